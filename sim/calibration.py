"""Calibration: fit the priors of MODEL.md to the patterns of its section 8 by ABC-SMC.

``innovate calibrate experiments/calibration.toml`` reads an :class:`Experiment` (a typed,
validated TOML file: the base scenario, the parameters to fit with their priors, the observed
patterns with the scale of each misfit, and the ABC settings), runs approximate Bayesian
computation by sequential Monte Carlo with `pyabc <https://pyabc.readthedocs.io>`_, and writes
into its output folder:

- ``posterior.parquet``: one row per accepted particle of the last generation (weight,
  distance, parameter values, simulated patterns), and ``posterior_summary.parquet``: weighted
  mean, median and 90% interval of each parameter beside its prior;
- ``generations.parquet``: epsilon, simulations and acceptance rate of every generation;
- ``fit.parquet``: each pattern observed, simulated by the base scenario (before), by draws
  from the posterior (posterior predictive) and by the posterior medians (after);
- ``posterior_predictive.png``, ``summary.md``, ``manifest.json`` (experiment, seeds, versions,
  timings) and pyabc's database ``abc.db``;
- the preset (``[preset]``): ``<name>.toml`` extending the base scenario with the posterior
  medians, also installed into the presets folder (``configs/``) unless told not to.

A ``[synthetic]`` table replaces the observed values by one simulation at known parameter
values (``truth``), so the same machinery shows that it recovers them (``recovery.parquet``).

Reproducibility: one seed gives a bit-identical posterior whatever the number of workers. Each
particle slot of each generation draws from its own stream,
``SeedSequence(seed, spawn_key=(call, slot))``, and keeps simulating until it is accepted; the
slots are evaluated by an ordered map over a process pool (:func:`seeded_sampler`), so which
worker runs a slot changes nothing. Every file is written to a temporary name and renamed.
"""

from __future__ import annotations

import copy
import datetime as dt
import difflib
import json
import math
import os
import platform
import random
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from sim.config import (
    APPROACHES,
    Config,
    flatten,
    load_config,
    preset_names,
    presets_dir,
    read_toml,
    validate,
)
from sim.data import load_uk
from sim.errors import InputError
from sim.io import output_folder
from sim.metrics import measure_counts, value_at

PRIOR_KINDS = ("uniform", "loguniform")
TARGETS = ("band", "value")
INTERVAL = (0.05, 0.95)  # the reported posterior interval: 90%, equal tails

# ---------------------------------------------------------------------------------------------
# The experiment file
# ---------------------------------------------------------------------------------------------


class _Table(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PriorSpec(_Table):
    """One fitted parameter: a dotted configuration key and its prior on [low, high]."""

    key: str = Field(min_length=1, description="Dotted key, e.g. approaches.CS.p0 or "
                     "events.<id>.value.")
    prior: Literal["uniform", "loguniform"] = Field("uniform", description="Prior shape.")
    low: float = Field(description="Lower end of the prior range.")
    high: float = Field(description="Upper end of the prior range.")
    source: str = Field("", description="Where the range comes from (MODEL.md, domain.md).")

    @model_validator(mode="after")
    def _range(self) -> PriorSpec:
        if not (math.isfinite(self.low) and math.isfinite(self.high)):
            raise ValueError("low and high must be finite numbers")
        if self.high <= self.low:
            raise ValueError(f"empty or inverted prior range [{self.low:g}, {self.high:g}]; "
                             "need low < high")
        if self.prior == "loguniform" and self.low <= 0:
            raise ValueError("a loguniform prior needs low > 0")
        return self

    def quantile(self, q: float | np.ndarray) -> float | np.ndarray:
        """Quantile of the prior."""
        if self.prior == "uniform":
            return self.low + q * (self.high - self.low)
        return np.exp(np.log(self.low) + q * (np.log(self.high) - np.log(self.low)))


class PatternSpec(_Table):
    """One observed pattern (a metric of sim/data/observed_patterns.csv) and its misfit scale."""

    metric: str = Field(min_length=1, description="Metric name in observed_patterns.csv.")
    scale: float = Field(gt=0, description="Misfit that counts as one unit of distance "
                         "(in counts).")
    target: Literal["band", "value"] = Field(
        "band", description="band: no misfit inside the observed [low, high]; value: misfit "
        "from the observed value.")


class AbcSettings(_Table):
    """Settings of ABC-SMC."""

    population_size: int = Field(ge=2, le=100_000, description="Particles per generation.")
    generations: int = Field(ge=1, le=100, description="Most generations (after the "
                             "calibration sample from the prior).")
    epsilon_quantile: float = Field(0.5, gt=0, lt=1, description="Next epsilon: this weighted "
                                    "quantile of the last generation's distances.")
    minimum_epsilon: float = Field(0.0, ge=0, description="Stop once epsilon is below this.")
    min_acceptance_rate: float = Field(0.0, ge=0, lt=1, description="Stop once a generation's "
                                       "acceptance rate is below this.")
    max_attempts: int = Field(100_000, ge=1, description="Most simulations for one particle "
                              "slot; a slot that needs more ends the run (the last complete "
                              "generation is the posterior).")
    seed: int = Field(ge=0, lt=2**63, description="Seed of the whole calibration.")
    workers: int = Field(1, ge=1, le=256, description="Worker processes (results do not "
                         "depend on it).")


class PredictiveSettings(_Table):
    """How many simulations judge the fit before and after calibration."""

    draws: int = Field(100, ge=1, le=100_000, description="Posterior-predictive simulations "
                       "(particles drawn by weight, one run each).")
    seeds: int = Field(20, ge=1, le=10_000, description="Seeds 0..seeds-1 of the base "
                       "scenario (before) and of the posterior medians (after).")


class PresetSpec(_Table):
    """The preset written from the posterior medians."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$", description="Preset name (file stem).")
    description: str = Field(min_length=1, description="One line for 'innovate scenarios'.")


class SyntheticSpec(_Table):
    """Synthetic data: the observed values become one simulation at known parameter values."""

    truth: dict[str, float] = Field(description="Parameter key -> true value.")
    seed: int = Field(ge=0, lt=2**63, description="Seed of the simulation that makes the data.")


class Experiment(_Table):
    """A calibration experiment (``experiments/calibration.toml``)."""

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", description="Experiment name; "
                      "default output folder results/<name>.")
    description: str = ""
    scenario: str = Field("historical", min_length=1, description="Base scenario.")
    overrides: dict[str, Any] = Field(default_factory=dict, description="Dotted settings of "
                                      "every simulation (not of the preset), e.g. a shorter "
                                      "time.end.")
    parameters: list[PriorSpec] = Field(min_length=1)
    patterns: list[PatternSpec] = Field(min_length=1)
    abc: AbcSettings
    predictive: PredictiveSettings = Field(default_factory=PredictiveSettings)
    preset: PresetSpec | None = None
    synthetic: SyntheticSpec | None = None

    @field_validator("overrides", mode="before")
    @classmethod
    def _dotted(cls, value: Any) -> Any:
        """Nested tables (``[overrides.time]``) become dotted keys (``time.end``)."""
        if not isinstance(value, Mapping):
            return value
        out: dict[str, Any] = {}
        for key, item in value.items():
            if isinstance(item, Mapping):
                out |= {f"{key}.{k}": v for k, v in cls._dotted(item).items()}
            else:
                out[str(key)] = item
        return out

    @property
    def keys(self) -> list[str]:
        """The fitted parameter keys, in file order."""
        return [p.key for p in self.parameters]


def load_experiment(path: str | Path, *, workers: int | None = None,
                    seed: int | None = None) -> tuple[Experiment, Config]:
    """Read and check an experiment file; returns it and the base configuration.

    Everything is checked before any simulation: the schema, the scenario and its overrides,
    every parameter key (a real-valued setting of the model or ``events.<id>.<field>``) and its
    prior range (both ends must be valid model values), every pattern (a metric of
    observed_patterns.csv inside the base scenario's time window) and the synthetic truth.
    ``workers`` and ``seed`` replace the file's ``abc.workers`` and ``abc.seed``.
    Any problem raises :class:`InputError` with one line naming the field and what is allowed.
    """
    path = Path(path)
    _, raw = read_toml(path)
    abc = raw.get("abc")
    if isinstance(abc, dict):
        if workers is not None:
            abc["workers"] = workers
        if seed is not None:
            abc["seed"] = seed
    try:
        experiment = Experiment.model_validate(raw)
    except ValidationError as exc:
        where = "--workers" if workers is not None and _loc(exc) == "abc.workers" else path
        raise InputError(f"{where}: {_describe(exc)}") from None
    try:
        return experiment, check_experiment(experiment)
    except InputError as exc:
        raise InputError(f"{path}: {exc}") from None


def check_experiment(experiment: Experiment) -> Config:
    """Check an experiment against the model and the observed data; returns the base config."""
    try:
        base = load_config(experiment.scenario, experiment.overrides)
    except InputError as exc:
        raise InputError(f"scenario/overrides: {exc}") from None
    raw = base.model_dump(mode="python")
    seen: set[str] = set()
    for i, spec in enumerate(experiment.parameters):
        where = f"parameters[{i}]"
        if spec.key in seen:
            raise InputError(f"{where}.key: {spec.key!r} is listed twice")
        seen.add(spec.key)
        if spec.key in experiment.overrides:
            raise InputError(f"{where}.key: {spec.key!r} is also set in [overrides]; "
                             "remove one")
        current = _current_value(base, spec.key)
        if current is None:
            raise InputError(f"{where}.key: unknown parameter {spec.key!r}{_suggest(base, spec)}"
                             "; allowed: a real-valued key of 'innovate params' (e.g. "
                             "approaches.CS.p0) or events.<id>.<number field>")
        for end in ("low", "high"):
            value = getattr(spec, end)
            try:
                _configure(raw, {spec.key: value})
            except InputError as exc:
                message = str(exc).split(": ", 1)[-1]
                raise InputError(f"{where}.{end}: {spec.key} = {value:g} is not a valid model "
                                 f"value ({message})") from None
    observed = load_uk().observed.set_index("metric")
    first, last = base.time.start + base.time.dt, base.time.end
    metrics: set[str] = set()
    for i, spec in enumerate(experiment.patterns):
        where = f"patterns[{i}].metric"
        if spec.metric not in observed.index:
            raise InputError(f"{where}: unknown pattern {spec.metric!r}; allowed: "
                             f"{', '.join(observed.index)}")
        if spec.metric in metrics:
            raise InputError(f"{where}: {spec.metric!r} is listed twice")
        metrics.add(spec.metric)
        when = float(observed.loc[spec.metric, "time"])
        if not first - 1e-9 <= when <= last + 1e-9:
            raise InputError(f"{where}: {spec.metric} is observed at {when:g}, outside the "
                             f"simulated window {first:g}-{last:g} of the base scenario")
    if experiment.synthetic is not None:
        truth = experiment.synthetic.truth
        if set(truth) != set(experiment.keys):
            raise InputError(f"synthetic.truth: needs exactly the fitted keys "
                             f"{', '.join(experiment.keys)}")
        for spec in experiment.parameters:
            if not spec.low <= truth[spec.key] <= spec.high:
                raise InputError(f"synthetic.truth.{spec.key}: {truth[spec.key]:g} is outside "
                                 f"its prior range [{spec.low:g}, {spec.high:g}]")
        if experiment.preset is not None:
            raise InputError("preset: a synthetic recovery run writes no preset; remove "
                             "[preset] or [synthetic]")
    if experiment.preset is not None and experiment.scenario not in preset_names():
        raise InputError(f"preset: the base scenario must be a preset name to extend; got "
                         f"{experiment.scenario!r}")
    return base


def _first_error(exc: ValidationError) -> dict:
    """The error to report: an unknown key first (it often explains a missing one)."""
    errors = exc.errors()
    return next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])


def _loc(exc: ValidationError) -> str:
    return ".".join(str(p) for p in _first_error(exc)["loc"])


def _describe(exc: ValidationError) -> str:
    error = _first_error(exc)
    loc = list(error["loc"])
    key = ".".join(f"[{p}]" if isinstance(p, int) else str(p) for p in loc).replace(".[", "[")
    if error["type"] == "extra_forbidden":
        model: Any = Experiment
        for part in loc[:-1]:
            if isinstance(part, int):
                continue
            annotation = model.model_fields[part].annotation
            model = next((a for a in (annotation, *getattr(annotation, "__args__", ()))
                          if isinstance(a, type) and issubclass(a, BaseModel)), None)
            if model is None:
                break
        allowed = ", ".join(model.model_fields) if model is not None else ""
        return f"{key}: unknown key" + (f"; allowed: {allowed}" if allowed else "")
    if error["type"] == "missing":
        return f"{key}: missing (required)"
    message = error["msg"].removeprefix("Value error, ")
    got = error.get("input")
    shown = "" if isinstance(got, dict | list) or error["type"] == "value_error" \
        else f" (got {got!r})"
    return f"{key}: {message[0].lower()}{message[1:]}{shown}" if key else message


def _real(value: Any) -> bool:
    return isinstance(value, float) and not isinstance(value, bool)


def _current_value(config: Config, key: str) -> float | None:
    """The base value of a fittable key, or None if the key is not a real-valued setting."""
    parts = key.split(".")
    if parts[0] == "events":
        if len(parts) != 3:
            return None
        event = next((e for e in config.events if e.id == parts[1]), None)
        if event is None or parts[2] not in type(event).model_fields:
            return None
        value = getattr(event, parts[2])
        annotation = type(event).model_fields[parts[2]].annotation
        return float(value) if annotation in (float, float | None) and value is not None \
            else None
    value = flatten(config).get(key)
    return float(value) if _real(value) else None


def _suggest(config: Config, spec: PriorSpec) -> str:
    candidates = [k for k, v in flatten(config).items() if _real(v)]
    candidates += [f"events.{e.id}.{f}" for e in config.events
                   for f in ("value", "date") if hasattr(e, f)]
    close = difflib.get_close_matches(spec.key, candidates, n=1)
    return f" (did you mean {close[0]}?)" if close else ""


def _configure(raw: Mapping, values: Mapping[str, float]) -> Config:
    """A validated Config: ``raw`` (a dumped Config) with dotted keys set."""
    out = copy.deepcopy(dict(raw))
    for key, value in values.items():
        parts = key.split(".")
        if parts[0] == "events":
            target = next(e for e in out["events"] if e["id"] == parts[1])
            parts = parts[2:]
        else:
            target = out
        for part in parts[:-1]:
            target = target[part]
        target[parts[-1]] = float(value)
    return validate(out, "<calibration>", set(values))


# ---------------------------------------------------------------------------------------------
# Simulating the patterns and measuring the distance
# ---------------------------------------------------------------------------------------------


class Simulator:
    """Runs the base configuration with some parameter values; returns the simulated patterns.

    A pattern's simulated value is the count of journeys at or beyond its measure's stage (and
    not ended) in its scope at its time, exactly as ``RunResult.metrics['patterns.<metric>']``.
    """

    def __init__(self, base: Config, observed: pd.DataFrame):
        self._raw = base.model_dump(mode="python")
        first, last = base.time.start + base.time.dt, base.time.end
        inside = observed[(observed["time"] >= first - 1e-9) & (observed["time"] <= last + 1e-9)]
        self.metrics: list[str] = list(inside["metric"])
        self._rows = [(r.metric, r.measure, r.scope, APPROACHES.index(r.approach), float(r.time))
                      for r in inside.itertuples()]

    def config(self, values: Mapping[str, float]) -> Config:
        """The base configuration with ``values`` (dotted key -> number) set."""
        return _configure(self._raw, values)

    def __call__(self, values: Mapping[str, float], seed: int) -> dict[str, float]:
        """Simulated value of each pattern (metric -> count) of one run."""
        from sim.model import InnovationModel

        result = InnovationModel(config=self.config(values), seed=seed).run()
        counts, times = result.counts, result.times
        return {metric: value_at(times, measure_counts(counts, measure, scope)[:, a], when)
                for metric, measure, scope, a, when in self._rows}


class PatternDistance:
    """Euclidean norm of the scaled misfits of the fitted patterns.

    A pattern's misfit is ``(simulated - observed) / scale``; with ``target = "band"`` it is
    zero inside the observed band [low, high] and measured from the nearer end outside it.
    A simulated value that is missing (NaN) gives an infinite distance.
    """

    def __init__(self, patterns: Sequence[PatternSpec], observed: pd.DataFrame):
        table = observed.set_index("metric")
        self.metrics = [p.metric for p in patterns]
        self.scale = np.array([p.scale for p in patterns])
        value = table.loc[self.metrics, "value"].to_numpy(float)
        band = np.array([p.target == "band" for p in patterns])
        self.low = np.where(band, table.loc[self.metrics, "low"].to_numpy(float), value)
        self.high = np.where(band, table.loc[self.metrics, "high"].to_numpy(float), value)

    def misfits(self, simulated: Mapping[str, float]) -> np.ndarray:
        """Scaled misfit of each fitted pattern (signed: positive means too many)."""
        x = np.array([simulated[m] for m in self.metrics], dtype=float)
        return (np.maximum(x - self.high, 0) - np.maximum(self.low - x, 0)) / self.scale

    def __call__(self, simulated: Mapping[str, float], _observed: Any = None) -> float:
        """The distance (pyabc passes the observed patterns too; they are already known)."""
        misfit = self.misfits(simulated)
        return math.inf if np.isnan(misfit).any() else float(np.sqrt((misfit ** 2).sum()))


class AbcModel:
    """The model as pyabc sees it: parameters in, simulated patterns out.

    The run's seed is drawn from numpy's global generator, which :func:`seeded_sampler` seeds
    for every particle slot, so a particle's simulation depends only on its slot.
    """

    def __init__(self, simulator: Simulator, keys: Sequence[str]):
        self.simulator = simulator
        self.keys = list(keys)

    def __call__(self, parameter: Mapping[str, float]) -> dict[str, float]:
        """Simulated patterns of one run at these parameter values."""
        seed = int(np.random.randint(0, 2**62, dtype=np.int64))
        return self.simulator({k: float(parameter[k]) for k in self.keys}, seed)


# ---------------------------------------------------------------------------------------------
# Deterministic sampling over a process pool
# ---------------------------------------------------------------------------------------------


def slot_state(seed: int, call: int, slot: int) -> np.ndarray:
    """The seed words of one particle slot: ``SeedSequence(seed, spawn_key=(call, slot))``."""
    return np.random.SeedSequence(seed, spawn_key=(call, slot)).generate_state(4)


def _sample_slot(task: tuple[bytes, np.ndarray, int]) -> tuple[Any, int]:
    """Simulate until one particle is accepted (or max_attempts), from the slot's own stream."""
    import cloudpickle

    payload, state, max_attempts = task
    simulate_one, factory = cloudpickle.loads(payload)
    np.random.seed(state)
    random.seed(int(state[0]))
    sample = factory()
    attempts = 0
    while attempts < max_attempts:
        particle = simulate_one()
        attempts += 1
        sample.append(particle)
        if particle.accepted:
            break
    return sample, attempts


def _run_task(task: tuple[Simulator, dict[str, float], int]) -> dict[str, float]:
    simulator, values, seed = task
    return simulator(values, seed)


@contextmanager
def ordered_map(workers: int):
    """An ordered ``map(function, items)``: in this process, or over a pool of ``workers``.

    In this process, numpy's and Python's global random states are restored afterwards, so the
    caller sees the same state whatever the number of workers.
    """
    if workers <= 1:
        def local(function: Callable, items: Iterable) -> list:
            saved = np.random.get_state(), random.getstate()
            try:
                return [function(item) for item in items]
            finally:
                np.random.set_state(saved[0])
                random.setstate(saved[1])

        yield local
        return
    # A forkserver (single-threaded, with the model and pyabc imported once) rather than fork:
    # forking this process is unsafe once pyarrow or sqlite have started threads.
    from sim.workers import local_context, watch_driver

    context = local_context(["sim.model", "sim.calibration", "pyabc"])
    with context.Pool(workers, initializer=watch_driver, initargs=(os.getpid(),)) as pool:
        yield lambda function, items: pool.map(function, list(items), chunksize=1)


def _sampler_class() -> type:
    from pyabc.sampler import Sampler

    class SeededSampler(Sampler):
        """Deterministic pyabc sampler; see :func:`seeded_sampler`."""

        def __init__(self, seed: int, map_: Callable, max_attempts: int,
                     progress: Callable[[str], None] | None = None):
            super().__init__()
            self.seed, self.map_, self.max_attempts = seed, map_, max_attempts
            self.progress = progress
            self.calls = 0

        def sample_until_n_accepted(self, n, simulate_one, t, *, max_eval=np.inf,
                                    all_accepted=False, ana_vars=None):
            """Fill ``n`` slots, each with one accepted particle (and its rejected ones)."""
            import cloudpickle

            call, self.calls = self.calls, self.calls + 1
            started = time.perf_counter()
            payload = cloudpickle.dumps((simulate_one, self.sample_factory))
            tasks = [(payload, slot_state(self.seed, call, i), self.max_attempts)
                     for i in range(n)]
            sample = self._create_empty_sample()
            evaluations = 0
            for part, attempts in self.map_(_sample_slot, tasks):
                sample += part
                evaluations += attempts
            self.nr_evaluations_ = evaluations
            if sample.n_accepted < n:
                sample.ok = False
            if self.progress is not None:
                label = "calibration sample" if call == 0 else f"generation {call - 1}"
                self.progress(f"  {label}: {n} particles from {evaluations} simulations "
                              f"in {time.perf_counter() - started:.1f} s")
            return sample

    return SeededSampler


def seeded_sampler(seed: int, map_: Callable, max_attempts: int,
                   progress: Callable[[str], None] | None = None):
    """A pyabc sampler whose result does not depend on the number of workers.

    Every call (the calibration sample, then one call per generation) has ``n`` particle slots;
    slot ``i`` of call ``c`` seeds numpy's and Python's global generators with
    :func:`slot_state` ``(seed, c, i)`` and simulates until it has one accepted particle. The
    slots go through ``map_`` (an ordered map, see :func:`ordered_map`). The class is built on
    first use so that importing this module does not import pyabc.
    """
    return _sampler_class()(seed, map_, max_attempts, progress)


# ---------------------------------------------------------------------------------------------
# Summaries
# ---------------------------------------------------------------------------------------------


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float | Sequence[float]
                      ) -> np.ndarray:
    """Quantiles of a weighted sample (midpoint rule on the sorted cumulative weights)."""
    values, weights = np.asarray(values, float), np.asarray(weights, float)
    values, weights = values[weights > 0], weights[weights > 0]
    order = np.argsort(values, kind="stable")
    v, w = values[order], weights[order]
    cumulative = (np.cumsum(w) - 0.5 * w) / w.sum()
    return np.interp(np.asarray(q, float), cumulative, v)


def summarize(posterior: pd.DataFrame, experiment: Experiment) -> pd.DataFrame:
    """Posterior mean, median and 90% interval of each parameter, beside its prior."""
    w = posterior["weight"].to_numpy()
    rows = []
    for spec in experiment.parameters:
        x = posterior[spec.key].to_numpy()
        q05, median, q95 = weighted_quantile(x, w, [INTERVAL[0], 0.5, INTERVAL[1]])
        p05, p95 = spec.quantile(INTERVAL[0]), spec.quantile(INTERVAL[1])
        rows.append({"parameter": spec.key, "prior": spec.prior, "prior_low": spec.low,
                     "prior_high": spec.high, "prior_q05": float(p05), "prior_q95": float(p95),
                     "mean": float(np.average(x, weights=w)), "median": float(median),
                     "q05": float(q05), "q95": float(q95),
                     "width_ratio": float((q95 - q05) / (p95 - p05))})
    return pd.DataFrame(rows)


def _band(values: np.ndarray) -> tuple[float, float, float, float]:
    values = values[~np.isnan(values)]
    if not len(values):
        return (math.nan,) * 4
    q05, q50, q95 = np.quantile(values, [INTERVAL[0], 0.5, INTERVAL[1]])
    return float(values.mean()), float(q50), float(q05), float(q95)


def fit_table(observed: pd.DataFrame, experiment: Experiment,
              runs: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Per pattern: observed value and band, and mean, median and 90% range of each run set.

    ``runs`` maps a label (before, predictive, after) to a frame of simulated patterns, one row
    per run. ``misfit_<label>`` is the scaled misfit of the mean (fitted patterns only).
    """
    specs = {p.metric: p for p in experiment.patterns}
    rows = []
    for row in observed.itertuples():
        if row.metric not in next(iter(runs.values())).columns:
            continue
        spec = specs.get(row.metric)
        out = {"metric": row.metric, "fitted": spec is not None, "observed": row.value,
               "low": row.low, "high": row.high, "kind": row.kind,
               "scale": spec.scale if spec else math.nan}
        for label, frame in runs.items():
            mean, median, q05, q95 = _band(frame[row.metric].to_numpy(float))
            out |= {f"{label}_mean": mean, f"{label}_median": median, f"{label}_q05": q05,
                    f"{label}_q95": q95}
            if spec is not None:
                out[f"misfit_{label}"] = float(PatternDistance([spec], observed).misfits(
                    {row.metric: mean})[0])
        rows.append(out)
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------------------------
# Running a calibration
# ---------------------------------------------------------------------------------------------


@dataclass
class CalibrationResult:
    """What :func:`calibrate` produced (every table is also a file in ``out``)."""

    out: Path
    posterior: pd.DataFrame
    summary: pd.DataFrame
    generations: pd.DataFrame
    fit: pd.DataFrame
    recovery: pd.DataFrame | None
    preset: dict[str, float]
    preset_path: Path | None
    manifest: dict[str, Any] = field(default_factory=dict)


def calibrate(experiment: Experiment, base: Config, out: str | Path, *,
              install_preset: bool = True, source: str | None = None,
              echo: Callable[[str], None] | None = print) -> CalibrationResult:
    """Run the experiment's ABC-SMC and write its results into ``out``.

    ``base`` is the configuration returned by :func:`load_experiment`. With ``install_preset``
    the preset is also written into the presets folder. ``echo`` prints progress (None: quiet).
    """
    import logging

    import pyabc

    started = time.perf_counter()
    say = echo or (lambda _text: None)
    logging.getLogger("ABC").setLevel(logging.WARNING)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    settings = experiment.abc
    truth = experiment.synthetic.truth if experiment.synthetic else None
    all_observed = load_uk().observed
    simulator = Simulator(base, all_observed)
    if truth is not None:
        data = simulator(truth, experiment.synthetic.seed)
        all_observed = all_observed.assign(
            value=all_observed["metric"].map(data).astype(float),
            kind="synthetic", source=f"one run at the synthetic truth, seed "
                                     f"{experiment.synthetic.seed}")
        all_observed["low"] = all_observed["high"] = all_observed["value"]
        all_observed = all_observed.dropna(subset=["value"])
    fitted = all_observed.set_index("metric").loc[[p.metric for p in experiment.patterns]]
    distance = PatternDistance(experiment.patterns, all_observed)
    prior = pyabc.Distribution(**{
        spec.key: (pyabc.RV("uniform", spec.low, spec.high - spec.low)
                   if spec.prior == "uniform" else pyabc.RV("loguniform", spec.low, spec.high))
        for spec in experiment.parameters})
    database = out / "abc.db"
    partial = out / ".abc.db.partial"
    partial.unlink(missing_ok=True)
    np.random.seed(slot_state(settings.seed, 2**31 - 1, 0))  # the main process's own stream
    random.seed(settings.seed)
    say(f"Calibrating {', '.join(experiment.keys)} to {len(experiment.patterns)} patterns: "
        f"ABC-SMC (pyabc {pyabc.__version__}), {settings.population_size} particles, up to "
        f"{settings.generations} generations, seed {settings.seed}, {settings.workers} "
        f"worker(s)")
    with ordered_map(settings.workers) as map_:
        sampler = seeded_sampler(settings.seed, map_, settings.max_attempts, say)
        abc = pyabc.ABCSMC(AbcModel(simulator, experiment.keys), prior, distance,
                           population_size=settings.population_size,
                           eps=pyabc.QuantileEpsilon(alpha=settings.epsilon_quantile),
                           sampler=sampler)
        abc.new(f"sqlite:///{partial}", {m: float(v) for m, v in fitted["value"].items()},
                gt_par=truth, meta_info={"experiment": experiment.name})
        history = abc.run(minimum_epsilon=settings.minimum_epsilon,
                          max_nr_populations=settings.generations,
                          min_acceptance_rate=settings.min_acceptance_rate)
        abc_time = time.perf_counter() - started
        completed, simulations = int(history.max_t + 1), int(history.total_nr_simulations)
        if completed < 1:
            raise InputError("abc: no generation completed; raise abc.max_attempts or widen "
                             "the pattern scales")
        posterior = _posterior_frame(history, experiment)
        generations = _generations_frame(history)
        summary = summarize(posterior, experiment)
        preset = {row.parameter: float(f"{row.median:.4g}") for row in summary.itertuples()}
        say(f"Posterior-predictive and before/after runs ({experiment.predictive.draws} draws, "
            f"{experiment.predictive.seeds} seeds each)")
        runs, seeds = _predictive_runs(map_, simulator, base, experiment, posterior, preset)
    fit = fit_table(all_observed, experiment, runs)
    recovery = _recovery(summary, truth) if truth is not None else None
    predictive_time = time.perf_counter() - started - abc_time

    written = []
    _write_parquet(out / "posterior.parquet", posterior)
    _write_parquet(out / "posterior_summary.parquet", summary)
    _write_parquet(out / "generations.parquet", generations)
    _write_parquet(out / "fit.parquet", fit)
    written += ["posterior.parquet", "posterior_summary.parquet", "generations.parquet",
                "fit.parquet"]
    if recovery is not None:
        _write_parquet(out / "recovery.parquet", recovery)
        written.append("recovery.parquet")
    _write_figure(out / "posterior_predictive.png", predictive_figure(fit, experiment))
    written.append("posterior_predictive.png")
    os.replace(partial, database)
    written.append("abc.db")

    total = time.perf_counter() - started
    manifest = {
        "experiment": experiment.model_dump(mode="json"),
        "experiment_file": source,
        "command": " ".join(["innovate", *sys.argv[1:]]) if source else None,
        "created_utc": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        "seeds": {
            "abc": settings.seed,
            "particle_slots": "SeedSequence(abc.seed, spawn_key=(call, slot)); call 0 is the "
                              "calibration sample, call g+1 generation g",
            "predictive": "SeedSequence(abc.seed, spawn_key=(2**31 - 1, 1))",
            "before_after": f"0 to {len(seeds) - 1}",
            "synthetic": experiment.synthetic.seed if truth else None},
        "workers": settings.workers,
        "generations_completed": completed,
        "simulations": simulations,
        "final_epsilon": float(generations["epsilon"].iloc[-1]),
        "posterior_median": preset,
        "timings_s": {"abc": round(abc_time, 2), "predictive": round(predictive_time, 2),
                      "total": round(total, 2)},
        "versions": _versions(),
        "files": written,
    }
    preset_path = None
    if experiment.preset is not None:
        text = preset_text(experiment, preset, manifest)
        _write_text(out / f"{experiment.preset.name}.toml", text)
        load_config(out / f"{experiment.preset.name}.toml")  # it must validate
        written.append(f"{experiment.preset.name}.toml")
        if install_preset:
            preset_path = presets_dir() / f"{experiment.preset.name}.toml"
            _write_text(preset_path, text)
            manifest["preset_installed"] = str(preset_path)
    _write_text(out / "summary.md", summary_markdown(experiment, summary, fit, generations,
                                                     recovery, manifest))
    written += ["summary.md", "manifest.json"]
    _write_text(out / "manifest.json",
                json.dumps(manifest, indent=2, allow_nan=False, default=str) + "\n")
    return CalibrationResult(out=out, posterior=posterior, summary=summary,
                             generations=generations, fit=fit, recovery=recovery, preset=preset,
                             preset_path=preset_path, manifest=manifest)


def _posterior_frame(history: Any, experiment: Experiment) -> pd.DataFrame:
    population = history.get_population(history.max_t)
    rows = []
    for particle in population.particles:
        rows.append({"weight": float(particle.weight), "distance": float(particle.distance),
                     **{k: float(particle.parameter[k]) for k in experiment.keys},
                     **{f"sim.{k}": float(v) for k, v in sorted(particle.sum_stat.items())}})
    frame = pd.DataFrame(rows).sort_values(experiment.keys, kind="stable", ignore_index=True)
    frame["weight"] /= frame["weight"].sum()
    frame.insert(0, "generation", int(history.max_t))
    frame.insert(0, "particle", np.arange(len(frame)))
    return frame


def _generations_frame(history: Any) -> pd.DataFrame:
    frame = history.get_all_populations()
    frame = frame[frame["t"] >= 0].reset_index(drop=True)
    return pd.DataFrame({"generation": frame["t"].astype(int),
                         "epsilon": frame["epsilon"].astype(float),
                         "simulations": frame["samples"].astype(int),
                         "acceptance_rate": frame["particles"] / frame["samples"],
                         "wall_time_s": frame["wall_time"].astype(float)})


def _predictive_runs(map_: Callable, simulator: Simulator, base: Config,
                     experiment: Experiment, posterior: pd.DataFrame,
                     preset: Mapping[str, float]) -> tuple[dict[str, pd.DataFrame], list[int]]:
    settings = experiment.predictive
    rng = np.random.default_rng(np.random.SeedSequence(experiment.abc.seed,
                                                       spawn_key=(2**31 - 1, 1)))
    picks = rng.choice(len(posterior), size=settings.draws,
                       p=posterior["weight"].to_numpy())
    draw_seeds = rng.integers(0, 2**62, size=settings.draws)
    before = {k: _current_value(base, k) for k in experiment.keys}
    seeds = list(range(settings.seeds))
    tasks = [(simulator, {k: float(posterior.loc[i, k]) for k in experiment.keys}, int(s))
             for i, s in zip(picks, draw_seeds, strict=True)]
    tasks += [(simulator, before, s) for s in seeds] + [(simulator, dict(preset), s)
                                                        for s in seeds]
    results = pd.DataFrame(map_(_run_task, tasks))
    n = settings.draws
    return {"before": results.iloc[n:n + len(seeds)].reset_index(drop=True),
            "predictive": results.iloc[:n].reset_index(drop=True),
            "after": results.iloc[n + len(seeds):].reset_index(drop=True)}, seeds


def _recovery(summary: pd.DataFrame, truth: Mapping[str, float]) -> pd.DataFrame:
    frame = summary[["parameter", "median", "q05", "q95", "prior_q05", "prior_q95",
                     "width_ratio"]].copy()
    frame.insert(1, "truth", frame["parameter"].map(truth))
    frame["covered"] = (frame["q05"] <= frame["truth"]) & (frame["truth"] <= frame["q95"])
    return frame


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for package in ("innovate-sim", "pyabc", "numpy", "scipy", "pandas", "mesa", "pydantic"):
        try:
            out[package] = version(package)
        except PackageNotFoundError:
            out[package] = "not installed"
    try:
        commit = subprocess.run(["git", "describe", "--always", "--dirty", "--abbrev=12"],
                                capture_output=True, text=True,
                                cwd=Path(__file__).resolve().parent, timeout=10)
        out["git_commit"] = commit.stdout.strip() if commit.returncode == 0 else "unknown"
    except (OSError, subprocess.SubprocessError):
        out["git_commit"] = "unknown"
    return out


# ---------------------------------------------------------------------------------------------
# Files
# ---------------------------------------------------------------------------------------------


def _temporary(path: Path) -> Path:
    return path.with_name(f".{path.name}.tmp-{os.getpid()}")


def _write_text(path: Path, text: str) -> None:
    tmp = _temporary(path)
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _write_parquet(path: Path, frame: pd.DataFrame) -> None:
    tmp = _temporary(path)
    frame.to_parquet(tmp, index=False)
    os.replace(tmp, path)


def _write_figure(path: Path, figure: Any) -> None:
    import matplotlib.pyplot as plt

    tmp = _temporary(path)
    try:
        figure.savefig(tmp, format="png", dpi=110)
    finally:
        plt.close(figure)
    os.replace(tmp, path)


def _toml_value(value: float) -> str:
    text = repr(float(value))
    return text if ("." in text or "e" in text or "inf" in text) else f"{text}.0"


def preset_text(experiment: Experiment, values: Mapping[str, float],
                manifest: Mapping[str, Any]) -> str:
    """The preset file: extends the base scenario and sets the posterior medians."""
    assert experiment.preset is not None
    settings = experiment.abc
    lines = [
        f"# Produced by `{manifest.get('command') or 'innovate calibrate'}` on "
        f"{manifest['created_utc'][:10]} (UTC),",
        f"# in {manifest['timings_s']['total']:.0f} s with {settings.workers} worker(s): "
        f"ABC-SMC (pyabc {manifest['versions']['pyabc']}), {settings.population_size} "
        f"particles,",
        f"# {manifest['generations_completed']} generations, {manifest['simulations']} "
        f"simulations, seed {settings.seed}, final epsilon {manifest['final_epsilon']:.3g}.",
        "# Each value below is the posterior median (4 significant digits) of a parameter of "
        f"the experiment '{experiment.name}',",
        "# fitted to the patterns of MODEL.md section 8 (sim/data/observed_patterns.csv);",
        "# the posterior, its 90% intervals and the fit of each pattern are in the output "
        "folder and",
        "# in experiments/README.md (## calibration). Do not edit by hand: run the command "
        "again.",
        "",
        f'extends = "{experiment.scenario}"',
        f'name = "{experiment.preset.name}"',
        f"description = {json.dumps(experiment.preset.description)}",
    ]
    tables: dict[str, list[str]] = {}
    events: dict[str, list[str]] = {}
    for key, value in values.items():
        parts = key.split(".")
        if parts[0] == "events":
            events.setdefault(parts[1], []).append(f"{parts[2]} = {_toml_value(value)}")
        else:
            table = ".".join(_toml_key(p) for p in parts[:-1])
            tables.setdefault(table, []).append(f"{_toml_key(parts[-1])} = "
                                                f"{_toml_value(value)}")
    for table, entries in tables.items():
        lines += ["", f"[{table}]", *entries] if table else ["", *entries]
    for ident, entries in events.items():
        lines += ["", "[[events]]", f'id = "{ident}"', *entries]
    return "\n".join(lines) + "\n"


def _toml_key(part: str) -> str:
    return part if part.replace("_", "").replace("-", "").isalnum() else json.dumps(part)


def predictive_figure(fit: pd.DataFrame, experiment: Experiment):
    """One panel per pattern: observed value and band; before, posterior-predictive and after.

    Points are medians and bars 90% ranges of the simulated counts.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = len(fit)
    cols = min(3, n)
    rows = math.ceil(n / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.2 * rows), squeeze=False,
                             constrained_layout=True)
    seeds, draws = experiment.predictive.seeds, experiment.predictive.draws
    sets = [("before", f"before: {experiment.scenario} ({seeds} seeds)", "tab:gray"),
            ("predictive", f"posterior predictive ({draws} draws)", "tab:blue"),
            ("after", f"after: posterior medians ({seeds} seeds)", "tab:orange")]
    for ax, row in zip(axes.ravel(), fit.itertuples(), strict=False):
        ax.axhspan(row.low, row.high, color="tab:green", alpha=0.15, lw=0)
        ax.axhline(row.observed, color="tab:green", lw=2, label="observed (band)")
        for x, (label, name, color) in enumerate(sets):
            median = getattr(row, f"{label}_median")
            low, high = getattr(row, f"{label}_q05"), getattr(row, f"{label}_q95")
            ax.errorbar([x], [median], yerr=[[median - low], [high - median]], fmt="o",
                        color=color, capsize=4, label=name)
        ax.set_xticks(range(len(sets)), ["before", "predictive", "after"])
        ax.set_xlim(-0.6, len(sets) - 0.4)
        ax.set_title(row.metric + ("" if row.fitted else " (not fitted)"), fontsize=9)
        ax.set_ylabel("authorities")
    for ax in axes.ravel()[n:]:
        ax.axis("off")
    axes.ravel()[0].legend(fontsize=7, loc="upper left")
    kind = "synthetic data" if experiment.synthetic else "observed patterns (MODEL.md 8)"
    fig.suptitle(f"{experiment.name}: simulated counts (median, 90% range) against {kind}")
    return fig


def _number(value: Any) -> str:
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, float | np.floating):
        return "-" if math.isnan(value) else f"{value:.4g}"
    return str(value)


def _markdown(frame: pd.DataFrame) -> list[str]:
    lines = ["| " + " | ".join(frame.columns) + " |", "|" + "---|" * len(frame.columns)]
    lines += ["| " + " | ".join(_number(v) for v in row) + " |"
              for row in frame.itertuples(index=False)]
    return lines


def summary_markdown(experiment: Experiment, summary: pd.DataFrame, fit: pd.DataFrame,
                     generations: pd.DataFrame, recovery: pd.DataFrame | None,
                     manifest: Mapping[str, Any]) -> str:
    """A short Markdown report: posterior summary, fit before and after, generations."""
    lines = [f"# Calibration '{experiment.name}'", "",
             f"{manifest['simulations']} simulations, {manifest['generations_completed']} "
             f"generations, final epsilon {manifest['final_epsilon']:.4g}, "
             f"{manifest['timings_s']['total']:.0f} s with {experiment.abc.workers} worker(s).",
             "", "## Posterior (weighted; 90% intervals)", ""]
    lines += _markdown(summary[["parameter", "prior_low", "prior_high", "mean", "median", "q05",
                                "q95", "width_ratio"]])
    if recovery is not None:
        lines += ["", "## Recovery of the synthetic truth", ""]
        lines += _markdown(recovery[["parameter", "truth", "median", "q05", "q95",
                                     "width_ratio", "covered"]])
    lines += ["", "## Patterns: observed, before (base scenario) and after (posterior medians)",
              "", "Mean of the runs, 90% range in brackets.", ""]
    table = pd.DataFrame({
        "pattern": fit["metric"], "fitted": fit["fitted"], "observed": fit["observed"],
        "band": [f"{lo:g}-{hi:g}" for lo, hi in zip(fit["low"], fit["high"], strict=True)],
        **{label: [f"{m:.1f} [{lo:.0f}-{hi:.0f}]" for m, lo, hi in
                   zip(fit[f"{label}_mean"], fit[f"{label}_q05"], fit[f"{label}_q95"],
                       strict=True)]
           for label in ("before", "predictive", "after")}})
    lines += _markdown(table)
    lines += ["", "## Generations", ""]
    lines += _markdown(generations)
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------------------------


def main(experiment_file: str | Path, *, out: str | Path | None = None,
         workers: int | None = None, seed: int | None = None, install_preset: bool = True,
         quiet: bool = False) -> int:
    """``innovate calibrate``: check the experiment, run it, print the summary; exit code."""
    if workers is not None and not 1 <= workers <= 256:
        raise InputError(f"--workers: must be a whole number from 1 to 256 (got {workers})")
    experiment, base = load_experiment(experiment_file, workers=workers, seed=seed)
    folder = output_folder(Path(out) if out is not None else Path("results") / experiment.name)
    try:
        import pyabc  # noqa: F401
    except ImportError:
        raise InputError("calibrate needs pyabc: pip install 'innovate-sim[calibrate]'") from None
    result = calibrate(experiment, base, folder, install_preset=install_preset,
                       source=str(experiment_file), echo=None if quiet else print)
    print()
    print("\n".join(summary_markdown(experiment, result.summary, result.fit,
                                     result.generations, result.recovery,
                                     result.manifest).splitlines()[2:]))
    print()
    print(f"Results written to {folder}/ ({', '.join(result.manifest['files'])})")
    if result.preset_path is not None:
        print(f"Preset written to {result.preset_path}")
    return 0
