"""A calibration file: the parameters to fit and their priors, the patterns, the ABC settings.

``experiments/calibration.toml`` is read into a :class:`CalibrationSpec` and checked against
the model and the observed data before any simulation (:func:`load_calibration`): every
parameter key must be a real-valued setting whose prior range holds valid values, every pattern
must be observed inside the simulated window. Any problem is one line naming the field.
"""

from __future__ import annotations

import copy
import difflib
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import Field, ValidationError, field_validator, model_validator

from sim.config import Config, flatten, load_config, preset_names, validate
from sim.config.loading import apply_override
from sim.config.posterior import parameter_value
from sim.data import load_uk
from sim.errors import InputError
from sim.io import read_toml
from sim.schema import Strict, describe_error
from sim.vocabulary import FITTED_KINDS


class PriorSpec(Strict):
    """One fitted parameter: a dotted configuration key and its prior on [low, high]."""

    key: str = Field(min_length=1, description="Dotted key, e.g. approaches.CS.p0 or "
                     "events.<id>.value.")
    prior: Literal["uniform", "loguniform"] = Field("uniform", description="Prior shape.")
    low: float = Field(description="Lower end of the prior range.")
    high: float = Field(description="Upper end of the prior range.")
    source: str = Field("", description="Where the range comes from: a publication, a data "
                        "set, or 'assumption:' and why.")

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


class PatternSpec(Strict):
    """One observed pattern (a metric of sim/data/observed_patterns.csv) and its misfit scale."""

    metric: str = Field(min_length=1, description="Metric name in observed_patterns.csv.")
    scale: float = Field(gt=0, description="Misfit that counts as one unit of distance "
                         "(in counts).")


class AbcSettings(Strict):
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


class PredictiveSettings(Strict):
    """How many simulations judge the fit before and after calibration."""

    draws: int = Field(100, ge=1, le=100_000, description="Posterior-predictive simulations "
                       "(particles drawn by weight, one run each).")
    seeds: int = Field(20, ge=1, le=10_000, description="Seeds 0..seeds-1 of the base "
                       "scenario (before) and of the posterior medians (after).")


class PresetSpec(Strict):
    """The preset written from the posterior medians."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$", description="Preset name (file stem).")
    description: str = Field(min_length=1, description="One line for 'innovate scenarios'.")


class SyntheticSpec(Strict):
    """Synthetic data: the observed values become one simulation at known parameter values."""

    truth: dict[str, float] = Field(description="Parameter key -> true value.")
    seed: int = Field(ge=0, lt=2**63, description="Seed of the simulation that makes the data.")


class CalibrationSpec(Strict):
    """A calibration calibration (``experiments/calibration.toml``)."""

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", description="CalibrationSpec name; "
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


def load_calibration(path: str | Path, *, workers: int | None = None,
                    seed: int | None = None) -> tuple[CalibrationSpec, Config]:
    """Read and check a calibration file; returns it and the base configuration.

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
        calibration = CalibrationSpec.model_validate(raw)
    except ValidationError as exc:
        key, message = describe_error(exc, CalibrationSpec, raw)
        where = "--workers" if workers is not None and key == "abc.workers" else path
        raise InputError(f"{where}: {message}") from None
    try:
        return calibration, check_calibration(calibration)
    except InputError as exc:
        raise InputError(f"{path}: {exc}") from None


def check_calibration(calibration: CalibrationSpec) -> Config:
    """Check an calibration against the model and the observed data; returns the base config."""
    try:
        base = load_config(calibration.scenario, calibration.overrides)
    except InputError as exc:
        raise InputError(f"scenario/overrides: {exc}") from None
    raw = base.model_dump(mode="python")
    seen: set[str] = set()
    for i, spec in enumerate(calibration.parameters):
        where = f"parameters[{i}]"
        if spec.key in seen:
            raise InputError(f"{where}.key: {spec.key!r} is listed twice")
        seen.add(spec.key)
        if spec.key in calibration.overrides:
            raise InputError(f"{where}.key: {spec.key!r} is also set in [overrides]; "
                             "remove one")
        current = current_value(base, spec.key)
        if current is None:
            raise InputError(f"{where}.key: unknown parameter {spec.key!r}{_suggest(base, spec)}"
                             "; allowed: a real-valued key of 'innovate params' (e.g. "
                             "approaches.CS.p0) or events.<id>.<number field>")
        for end in ("low", "high"):
            value = getattr(spec, end)
            try:
                configure(raw, {spec.key: value})
            except InputError as exc:
                message = str(exc).split(": ", 1)[-1]
                raise InputError(f"{where}.{end}: {spec.key} = {value:g} is not a valid model "
                                 f"value ({message})") from None
    observed = load_uk().observed.set_index("metric")
    first, last = base.time.start + base.time.dt, base.time.end
    metrics: set[str] = set()
    for i, spec in enumerate(calibration.patterns):
        where = f"patterns[{i}].metric"
        if spec.metric not in observed.index:
            raise InputError(f"{where}: unknown pattern {spec.metric!r}; allowed: "
                             f"{', '.join(observed.index)}")
        if spec.metric in metrics:
            raise InputError(f"{where}: {spec.metric!r} is listed twice")
        if observed.loc[spec.metric, "kind"] not in FITTED_KINDS:
            raise InputError(f"{where}: {spec.metric} is a seeded input, not evidence of fit; "
                             f"allowed: a pattern of kind {', '.join(FITTED_KINDS)}")
        metrics.add(spec.metric)
        when = float(observed.loc[spec.metric, "time"])
        if not first - 1e-9 <= when <= last + 1e-9:
            raise InputError(f"{where}: {spec.metric} is observed at {when:g}, outside the "
                             f"simulated window {first:g}-{last:g} of the base scenario")
    if calibration.synthetic is not None:
        truth = calibration.synthetic.truth
        if set(truth) != set(calibration.keys):
            raise InputError(f"synthetic.truth: needs exactly the fitted keys "
                             f"{', '.join(calibration.keys)}")
        for spec in calibration.parameters:
            if not spec.low <= truth[spec.key] <= spec.high:
                raise InputError(f"synthetic.truth.{spec.key}: {truth[spec.key]:g} is outside "
                                 f"its prior range [{spec.low:g}, {spec.high:g}]")
        if calibration.preset is not None:
            raise InputError("preset: a synthetic recovery run writes no preset; remove "
                             "[preset] or [synthetic]")
    if calibration.preset is not None and calibration.scenario not in preset_names():
        raise InputError(f"preset: the base scenario must be a preset name to extend; got "
                         f"{calibration.scenario!r}")
    return base


def _real(value: Any) -> bool:
    return isinstance(value, float) and not isinstance(value, bool)


def current_value(config: Config, key: str) -> float | None:
    """The base value of a fittable key, or None if the key is not a real-valued setting.

    The one definition is :func:`sim.config.posterior.parameter_value`.
    """
    return parameter_value(config, key)


def _suggest(config: Config, spec: PriorSpec) -> str:
    candidates = [k for k, v in flatten(config).items() if _real(v)]
    candidates += [f"events.{e.id}.{f}" for e in config.events
                   for f in ("value", "date") if hasattr(e, f)]
    close = difflib.get_close_matches(spec.key, candidates, n=1)
    return f" (did you mean {close[0]}?)" if close else ""


def configure(raw: Mapping, values: Mapping[str, float]) -> Config:
    """A validated Config: ``raw`` (a dumped Config) with dotted keys set.

    Keys are set the one way the project sets a dotted key (:func:`sim.config.apply_override`).
    """
    out = copy.deepcopy(dict(raw))
    for key, value in values.items():
        apply_override(out, key, float(value))
    return validate(out, "<calibration>", set(values))
