"""Experiment definitions: a base scenario, a design of parameter points, replicates and seeds.

An experiment file (TOML, in ``experiments/``) names a base scenario, fixed overrides, the
parameters to vary and how (named scenarios, a full-factorial grid, or a Latin hypercube,
Sobol or Morris design through SALib), the replicates per point, a master seed and the metrics
to keep. :func:`load_experiment` validates it and expands it into :class:`Run` tasks.

Seeds come from ``numpy.random.SeedSequence(master_seed)``: replicate ``r`` gets the ``r``-th
spawned seed at every point (common random numbers, so differences between points are not
inflated by seed noise), and ``innovate run BASE --seed S --set ...`` re-runs any run alone.

With ``posterior = "<preset>"`` in ``[experiment]``, every run also draws the calibrated
parameters from that preset's posterior (:mod:`sim.config.posterior`): the replicate's seed
picks the draw, so replicate ``r`` has the same draw at every point, and the point's own
settings (``[set]``, its parameters) win over a posterior key. ``innovate run BASE --seed S
--posterior <preset> --set ...`` re-runs any run alone.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import Field, ValidationError, field_validator, model_validator

from sim.config import load_config, preset_names, raw_scenario
from sim.config.posterior import (
    Posterior,
    check_posterior,
    draw_record,
    load_posterior,
    posterior_draws,
)
from sim.errors import InputError
from sim.io import read_toml
from sim.schema import Strict, describe_error

DesignKind = Literal["scenarios", "grid", "latin", "sobol", "morris"]
SAMPLED = ("latin", "sobol", "morris")


class Range(Strict):
    """A continuous range of one parameter for a sampled design."""

    low: float
    high: float
    integer: bool = Field(False, description="Round sampled values to whole numbers.")

    @model_validator(mode="after")
    def _ordered(self) -> Range:
        if not self.high > self.low:
            raise ValueError(f"empty range: high ({self.high}) must be above low ({self.low})")
        return self


class NamedScenario(Strict):
    """One named point of a ``scenarios`` design: a preset and/or overrides."""

    name: str = Field(min_length=1)
    scenario: str | None = Field(None, description="Preset or TOML file; default the base.")
    set: dict[str, Any] = Field(default_factory=dict)


class Design(Strict):
    """How the parameter points are chosen."""

    kind: DesignKind = "scenarios"
    samples: int = Field(16, ge=1, le=1_000_000, description="Latin: points; Sobol: N (a "
                         "power of 2); Morris: trajectories.")
    levels: int = Field(4, ge=2, le=64, description="Morris grid levels (even).")
    second_order: bool = Field(False, description="Sobol second-order indices.")
    seed: int = Field(0, ge=0, description="Seed of the SALib sampler.")


class Discovery(Strict):
    """Scenario discovery (PRIM): which inputs lead to ``outcome`` beyond ``threshold``."""

    outcome: str
    threshold: float
    above: bool = Field(True, description="Cases of interest are outcome >= threshold "
                        "(false: <=). A NaN time-to-threshold counts as never, i.e. above.")


class Analysis(Strict):
    """What ``innovate analyze`` reports."""

    outcomes: list[str] = Field(default_factory=list, description="Metrics to summarise "
                                "(default: every recorded metric).")
    baseline: str | None = Field(None, description="Point name to compare the others with.")
    measure: Literal["engaged", "implementing", "integrating"] = "integrating"
    discovery: Discovery | None = None


class ExperimentSpec(Strict):
    """The ``[experiment]`` table."""

    name: str = Field(min_length=1)
    description: str = ""
    scenario: str = "historical"
    replicates: int = Field(10, ge=1, le=100_000)
    seed: int = Field(0, ge=0, lt=2**63)
    metrics: list[str] = Field(default_factory=list, description="Metrics to keep (default all).")
    curves: bool = Field(True, description="Keep UK counts per step by approach and measure.")
    posterior: str | None = Field(None, min_length=1, description="Draw each run's calibrated "
                                  "parameters from this preset's posterior "
                                  "(<preset>.posterior.csv, or a .csv file): the replicate's "
                                  "seed picks the draw; the point's own settings win.")


class ExperimentFile(Strict):
    """A whole experiment file."""

    experiment: ExperimentSpec
    set: dict[str, Any] = Field(default_factory=dict)
    design: Design = Design()
    parameters: dict[str, list[Any] | Range] = Field(default_factory=dict)
    scenarios: list[NamedScenario] = Field(default_factory=list)
    analysis: Analysis = Analysis()

    @field_validator("parameters", mode="before")
    @classmethod
    def _ranges(cls, value: Any) -> Any:
        """A table is a range, anything else must be a list of values."""
        if not isinstance(value, dict):
            return value
        out = {}
        for name, item in value.items():
            if isinstance(item, dict):
                try:
                    item = Range.model_validate(item)
                except ValidationError as exc:
                    raise ValueError(f"{name}: {describe_error(exc, Range, item)[1]}") \
                        from None
            elif not isinstance(item, list):
                raise ValueError(f"{name}: give a list of values (grid) or a table "
                                 "{ low = ..., high = ... } (sampled designs)")
            out[name] = item
        return out


@dataclass(frozen=True)
class Point:
    """One parameter point: a name, its base scenario (raw mapping) and its overrides."""

    index: int
    name: str
    scenario: str
    overrides: tuple[tuple[str, Any], ...]


@dataclass(frozen=True)
class Run:
    """One simulation: a point and a replicate, with its seed (and its posterior draw)."""

    run_id: int
    point: int
    replicate: int
    seed: int
    draw: int | None = None


@dataclass(frozen=True)
class Experiment:
    """A validated, expanded experiment."""

    spec: ExperimentFile
    path: Path
    text: str
    points: tuple[Point, ...]
    seeds: tuple[int, ...]
    bases: dict[str, dict]
    posterior: Posterior | None = None

    @property
    def name(self) -> str:
        """The experiment's name."""
        return self.spec.experiment.name

    @property
    def parameter_names(self) -> list[str]:
        """Names of the varied parameters (in file order)."""
        return list(self.spec.parameters)

    @functools.cached_property
    def draws(self) -> tuple[int, ...] | None:
        """The posterior draw of each replicate (by its seed, the same at every point)."""
        if self.posterior is None:
            return None
        return tuple(posterior_draws(self.posterior, self.seeds))

    @functools.cached_property
    def runs(self) -> list[Run]:
        """Every point x replicate, run_id = point * replicates + replicate."""
        reps = self.spec.experiment.replicates
        draws = self.draws or (None,) * reps
        return [Run(run_id=p.index * reps + r, point=p.index, replicate=r, seed=self.seeds[r],
                    draw=draws[r])
                for p in self.points for r in range(reps)]

    @property
    def digest(self) -> str:
        """A hash of what determines the results (to refuse resuming a different sweep)."""
        what = {"points": [(p.name, p.scenario, p.overrides) for p in self.points],
                "seeds": self.seeds, "bases": self.bases,
                "metrics": self.spec.experiment.metrics,
                "curves": self.spec.experiment.curves}
        if self.posterior is not None:
            what["posterior"] = {"sha256": self.posterior.sha256, "draws": self.draws}
        content = json.dumps(what, sort_keys=True, default=str)
        return hashlib.sha256(content.encode()).hexdigest()

    def posterior_values(self, run: Run) -> dict[str, float]:
        """The posterior values ``run`` takes: its draw's, less the keys its point sets."""
        if self.posterior is None or run.draw is None:
            return {}
        record = draw_record(self.posterior, run.seed, run.draw,
                             [key for key, _ in self.points[run.point].overrides])
        return record["parameters"]

    def point_table(self) -> list[dict[str, Any]]:
        """One row per point: index, name and the value of every varied parameter."""
        rows = []
        for p in self.points:
            values = dict(p.overrides)
            rows.append({"point": p.index, "point_name": p.name} | {
                name: values.get(name) for name in self.parameter_names})
        return rows


def salib_problem(ranges: dict[str, Range]) -> dict:
    """The SALib problem of a sampled design: its parameters' names and ranges."""
    return {"num_vars": len(ranges), "names": list(ranges),
            "bounds": [[r.low, r.high] for r in ranges.values()]}


def replicate_seeds(master: int, replicates: int) -> tuple[int, ...]:
    """Seeds of replicates 0..n-1: one 63-bit integer per SeedSequence child."""
    children = np.random.SeedSequence(master).spawn(replicates)
    return tuple(int(c.generate_state(1, np.uint64)[0] >> np.uint64(1)) for c in children)


def load_experiment(path: str | Path) -> Experiment:
    """Read, validate and expand an experiment file; every error is one line (InputError)."""
    path = Path(path)
    text, raw = read_toml(path)
    try:
        spec = ExperimentFile.model_validate(raw)
    except ValidationError as exc:
        raise InputError(f"{path}: {describe_error(exc, ExperimentFile, raw)[1]}") from None
    points = _points(spec, path)
    bases = {name: raw_scenario(_scenario_path(name, path)) for name in
             sorted({p.scenario for p in points})}
    posterior = None
    if spec.experiment.posterior is not None:
        posterior = load_posterior(_scenario_path(spec.experiment.posterior, path, ".csv"),
                                   field=f"{path}: experiment.posterior")
    experiment = Experiment(spec=spec, path=path, text=text, points=tuple(points),
                            seeds=replicate_seeds(spec.experiment.seed,
                                                  spec.experiment.replicates), bases=bases,
                            posterior=posterior)
    _check_configs(experiment)
    return experiment


def _scenario_path(name: str, experiment_path: Path, *suffixes: str) -> str:
    """A preset name as is; a TOML (or ``suffixes``) path relative to the experiment's folder."""
    if name in preset_names() or not name.endswith((".toml", *suffixes)):
        return name
    candidate = experiment_path.parent / name
    return str(candidate if candidate.is_file() else name)


def _points(spec: ExperimentFile, path: Path) -> list[Point]:
    design, params = spec.design, spec.parameters
    base = spec.experiment.scenario
    fixed = tuple(spec.set.items())
    if design.kind == "scenarios":
        if params:
            raise InputError(f"{path}: parameters: a 'scenarios' design takes [[scenarios]], "
                             "not [parameters]; use design.kind = 'grid' to vary parameters")
        if not spec.scenarios:
            return [Point(0, spec.experiment.name, base, fixed)]
        names = [s.name for s in spec.scenarios]
        if len(set(names)) != len(names):
            raise InputError(f"{path}: scenarios: duplicate name")
        return [Point(i, s.name, s.scenario or base, fixed + tuple(s.set.items()))
                for i, s in enumerate(spec.scenarios)]
    if spec.scenarios:
        raise InputError(f"{path}: scenarios: only a 'scenarios' design takes [[scenarios]]")
    if not params:
        raise InputError(f"{path}: parameters: design '{design.kind}' needs at least one "
                         "parameter to vary")
    if design.kind == "grid":
        lists = {}
        for name, values in params.items():
            if not isinstance(values, list) or not values:
                raise InputError(f"{path}: parameters.{name}: a grid needs a non-empty list "
                                 "of values")
            lists[name] = values
        combos = itertools.product(*lists.values())
        short = short_names(list(lists))
        return [Point(i, _label(dict(zip(short, combo, strict=True))), base,
                      fixed + tuple(zip(lists, combo, strict=True)))
                for i, combo in enumerate(combos)]
    for name, value in params.items():
        if not isinstance(value, Range):
            raise InputError(f"{path}: parameters.{name}: design '{design.kind}' needs a range "
                             "{ low = ..., high = ... }")
    samples = _sample(spec, path)
    ranges = list(params.items())
    points = []
    for i, row in enumerate(samples):
        values = [(name, round(float(v)) if r.integer else float(v))
                  for (name, r), v in zip(ranges, row, strict=True)]
        points.append(Point(i, f"point {i}", base, fixed + tuple(values)))
    return points


def short_names(keys: list[str]) -> list[str]:
    """The shortest dotted suffix (of 4 characters or more) that tells the keys apart."""
    out = []
    for key in keys:
        parts = key.split(".")
        for n in range(1, len(parts) + 1):
            suffix = ".".join(parts[-n:])
            unique = sum(k == suffix or k.endswith("." + suffix) for k in keys) == 1
            if unique and len(suffix) >= 4:
                break
        out.append(suffix)
    return out


def _label(values: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in values.items())


def _sample(spec: ExperimentFile, path: Path) -> np.ndarray:
    """The SALib sample of a sampled design (rows = points)."""
    from SALib.sample import latin, morris, sobol

    design = spec.design
    problem = salib_problem(spec.parameters)
    try:
        if design.kind == "latin":
            return latin.sample(problem, design.samples, seed=design.seed)
        if design.kind == "sobol":
            n = design.samples
            if n & (n - 1):
                raise ValueError(f"samples must be a power of 2 for Sobol, got {n}")
            return sobol.sample(problem, n, calc_second_order=design.second_order,
                                seed=design.seed)
        if design.levels % 2:
            raise ValueError(f"levels must be even for Morris, got {design.levels}")
        return morris.sample(problem, design.samples, num_levels=design.levels,
                             seed=design.seed)
    except (ValueError, RuntimeError, AssertionError) as exc:
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(f"{path}: design: SALib rejects the {design.kind} design: "
                         f"{message}") from None


def _check_configs(experiment: Experiment) -> None:
    """Validate every point's configuration before any run (corners for sampled designs)."""
    spec = experiment.spec
    if spec.design.kind in SAMPLED:
        fixed = tuple(spec.set.items())
        checks = [fixed + ((name, value),) for name, r in spec.parameters.items()
                  for value in (r.low, r.high)]
        scenarios = [spec.experiment.scenario] * len(checks)
    else:
        checks = [p.overrides for p in experiment.points]
        scenarios = [p.scenario for p in experiment.points]
    seen: set = set()
    for scenario, overrides in zip(scenarios, checks, strict=True):
        key = (scenario, json.dumps(overrides, default=str))
        if key in seen:
            continue
        seen.add(key)
        try:
            load_config(experiment.bases[scenario], overrides)
        except InputError as error:
            raise InputError(f"{experiment.path}: {str(error).removeprefix('--set: ')}") \
                from None
    if experiment.posterior is not None:
        for base in experiment.bases.values():
            try:
                check_posterior(experiment.posterior, load_config(base, spec.set))
            except InputError as error:
                raise InputError(f"{experiment.path}: experiment.posterior: {error}") from None
    _check_metrics(experiment)


def _check_metrics(experiment: Experiment) -> None:
    from sim.output.metrics import metric_names

    known = set(metric_names())
    spec = experiment.spec
    wanted = [("experiment.metrics", m) for m in spec.experiment.metrics]
    wanted += [("analysis.outcomes", m) for m in spec.analysis.outcomes]
    if spec.analysis.discovery:
        wanted.append(("analysis.discovery.outcome", spec.analysis.discovery.outcome))
    for field, name in wanted:
        if name not in known:
            close = sorted(k for k in known if k.split(".")[-1] == name.split(".")[-1])[:3]
            hint = f"; did you mean {', '.join(close)}?" if close else \
                "; see the metric names in metrics.json of any run"
            raise InputError(f"{experiment.path}: {field}: unknown metric {name!r}{hint}")
    kept = spec.experiment.metrics
    for field, name in wanted[len(kept):]:
        if kept and name not in kept:
            raise InputError(f"{experiment.path}: {field}: {name!r} is not among "
                             "experiment.metrics")
    if spec.analysis.baseline is not None and spec.analysis.baseline not in {
            p.name for p in experiment.points}:
        raise InputError(f"{experiment.path}: analysis.baseline: no point named "
                         f"{spec.analysis.baseline!r}")

