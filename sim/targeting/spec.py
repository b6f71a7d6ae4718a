"""A targeting experiment file: the approach, the budget, the support, the objective, the seeds.

Example (``experiments/targeting-cs.toml``)::

    [targeting]
    name = "targeting-cs"
    scenario = "historical-calibrated"
    approach = "CS"
    sites = 10                 # or budget_gbp_m = 2.0 (the model's costs of the funded stage)
    start = 2026.0
    support_years = 3.0
    horizon = 2036.0
    objective = "integrating"  # or "years_to_half_engaged", "outcome_years"
    seeds = 20
    seed_sets = 3
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, model_validator

from sim.config import Config, load_config
from sim.config.loading import raw_scenario
from sim.config.posterior import (
    Posterior,
    apply_parameters,
    draw_record,
    load_posterior,
    posterior_draws,
)
from sim.errors import InputError
from sim.io import read_toml
from sim.schema import Strict, describe_error
from sim.sweeps.design import replicate_seeds
from sim.vocabulary import QUINTILES, Approach

#: What a set of funded sites is scored by (higher is better, except the years).
OBJECTIVES: dict[str, str] = {
    "integrating": "authorities integrating the approach at the horizon",
    "years_to_half_engaged": "years from the start until half the authorities are engaged "
                             "(the horizon if never: fewer is better)",
    "outcome_years": "outcome-years of the approach from the start to the horizon",
}
#: The ways of choosing the funded sites.
STRATEGIES: dict[str, str] = {
    "random": "sites drawn at random (a fresh draw for every seed)",
    "most_ready": "the sites with the highest readiness for the approach at the start",
    "most_connected": "the sites with the strongest ties to other authorities",
    "one_per_region": "the most ready site of each region in turn",
    "most_deprived": "the most deprived sites first (within-nation deprivation rank)",
    "optimised": "a lazy greedy search for the set with the best objective (CELF)",
}
#: The most sets a brute-force check may evaluate (all pairs of the 212 authorities: 22,366).
BRUTE_FORCE_SETS = 50_000
#: The seeded journey's event id in the scenario (disabled when no site is funded).
EVENT_ID = "targeting-support"
#: The quintile weights of the equity-weighted objectives, least to most deprived: the most
#: deprived fifth counts 2.5 times the least (assumption: an illustrative priority).
EQUITY_WEIGHTS = (0.6, 0.8, 1.0, 1.2, 1.5)


class TargetingSpec(Strict):
    """The ``[targeting]`` table."""

    name: str = Field(min_length=1)
    description: str = ""
    scenario: str = "historical-calibrated"
    approach: Approach
    sites: int | None = Field(None, ge=1, le=212, description="Number of funded sites.")
    budget_gbp_m: float | None = Field(None, gt=0, description="Budget in GBP million, spent "
                                       "at the model's cost of the funded stage.")
    start: float = Field(2026.0, description="Year the support starts.")
    support_years: float = Field(3.0, gt=0, le=20)
    stage: int = Field(2, ge=1, le=6, description="Stage a funded site starts (or moves up) to.")
    horizon: float = Field(2036.0, description="Year at which the objective is read.")
    objective: Literal["integrating", "years_to_half_engaged", "outcome_years"] = "integrating"
    equity_weighted: bool = Field(False, description="Weight each deprivation quintile by "
                                  "EQUITY_WEIGHTS (most deprived most).")
    strategies: list[Literal["random", "most_ready", "most_connected", "one_per_region",
                             "most_deprived", "optimised"]] = Field(
        default_factory=lambda: list(STRATEGIES), min_length=1)
    seeds: int = Field(20, ge=2, le=10_000, description="Seeds per seed set.")
    seed_sets: int = Field(1, ge=1, le=50, description="Independent seed sets to choose on (rank "
                           "stability); every choice is scored on one more, held out.")
    seed: int = Field(0, ge=0, lt=2**63)
    posterior: str | None = Field(None, min_length=1, description="Draw each seed's "
                                  "calibrated parameters from this preset's posterior (or a "
                                  ".csv file): the same draw for every set on that seed.")
    check_brute_force: bool = Field(False, description="Also evaluate every set of `sites` "
                                    "sites on the first seed set, to check the search.")

    @model_validator(mode="after")
    def _check(self) -> TargetingSpec:
        if (self.sites is None) == (self.budget_gbp_m is None):
            raise ValueError("give either sites or budget_gbp_m")
        if self.check_brute_force and (self.sites is None or "optimised" not in self.strategies):
            raise ValueError("check_brute_force needs sites (not budget_gbp_m) and the "
                             "optimised strategy")
        if self.horizon <= self.start:
            raise ValueError("horizon must be after start")
        if "random" not in self.strategies:
            raise ValueError("strategies must include random (the gains are against it)")
        if len(set(self.strategies)) != len(self.strategies):
            raise ValueError("strategies: each at most once")
        return self


class TargetingFile(Strict):
    """A whole targeting file: the table and dotted settings of the scenario."""

    targeting: TargetingSpec
    set: dict[str, Any] = Field(default_factory=dict)


@dataclass(frozen=True)
class Targeting:
    """A validated targeting experiment: its spec, the base scenario and the seed sets."""

    spec: TargetingSpec
    path: Path | None
    text: str
    base: dict
    overrides: tuple[tuple[str, Any], ...]
    config: Config
    posterior: Posterior | None = None

    @property
    def seed_sets(self) -> list[tuple[int, ...]]:
        """The seeds of each independent seed set (SeedSequence children of ``seed``).

        First the ``seed_sets`` sets the strategies choose on, then the held-out set they are
        scored on.
        """
        seeds = replicate_seeds(self.spec.seed, self.spec.seeds * (self.spec.seed_sets + 1))
        n = self.spec.seeds
        return [seeds[k * n:(k + 1) * n] for k in range(self.spec.seed_sets + 1)]

    @property
    def held_out(self) -> int:
        """Index of the held-out seed set in :attr:`seed_sets`."""
        return self.spec.seed_sets

    def parameters(self, seed: int) -> dict[str, float]:
        """The posterior values a seed's runs take (none without a posterior).

        The file's own settings win over the posterior's.
        """
        if self.posterior is None:
            return {}
        draw = posterior_draws(self.posterior, [seed])[0]
        return draw_record(self.posterior, seed, draw, [k for k, _ in self.overrides])[
            "parameters"]

    def seed_config(self, seed: int) -> Config:
        """The configuration of a seed's runs: :attr:`config` with its posterior draw."""
        return apply_parameters(self.config, self.parameters(seed))

    @property
    def weights(self) -> tuple[float, ...]:
        """Weight of each deprivation quintile in the objective (all 1 unless weighted)."""
        return EQUITY_WEIGHTS if self.spec.equity_weighted else (1.0,) * QUINTILES

    @property
    def digest(self) -> str:
        """A hash of what determines the evaluations (to refuse resuming another experiment)."""
        what = {"spec": self.spec.model_dump(mode="json"), "base": self.base,
                "overrides": self.overrides,
                "posterior": self.posterior.sha256 if self.posterior else None}
        return hashlib.sha256(json.dumps(what, sort_keys=True, default=str).encode()).hexdigest()


def targeting_from_mapping(raw: dict, path: Path | None = None, text: str = "") -> Targeting:
    """Validate a targeting mapping; every error is one line (InputError)."""
    where = str(path) if path else "targeting"
    try:
        spec = TargetingFile.model_validate(raw)
    except ValidationError as exc:
        raise InputError(f"{where}: {describe_error(exc, TargetingFile, raw)[1]}") from None
    t = spec.targeting
    scenario = t.scenario
    if path is not None and scenario.endswith(".toml"):
        scenario = str(path.parent / scenario)
    base = raw_scenario(scenario)
    base.setdefault("events", []).append(support_event(t, []))
    overrides = (*spec.set.items(), ("time.end", t.horizon))
    config = load_config(base, overrides)
    if t.check_brute_force and math.comb(config.population.size, t.sites) > BRUTE_FORCE_SETS:
        raise InputError(f"{where}: targeting.check_brute_force: {config.population.size} "
                         f"authorities make {math.comb(config.population.size, t.sites):,} sets "
                         f"of {t.sites}; brute force is allowed up to {BRUTE_FORCE_SETS:,}")
    if not config.time.start < t.start < t.horizon:
        raise InputError(f"{where}: targeting.start must be inside the run "
                         f"({config.time.start} to {t.horizon}), got {t.start}")
    posterior = None
    if t.posterior is not None:
        name = t.posterior
        if path is not None and name.endswith((".toml", ".csv")):
            name = str(path.parent / name)
        posterior = load_posterior(name, field=f"{where}: targeting.posterior")
    return Targeting(spec=t, path=path, text=text, base=base, overrides=tuple(overrides),
                     config=config, posterior=posterior)


def load_targeting(path: str | Path) -> Targeting:
    """Read and validate a targeting experiment file."""
    path = Path(path)
    text, raw = read_toml(path)
    return targeting_from_mapping(raw, path, text)


def support_event(t: TargetingSpec, agents: list[str]) -> dict:
    """The seed event that funds ``agents`` (disabled when there are none).

    A disabled event is still validated, and a seed event needs someone to seed: without
    agents it names a placeholder, which :func:`support_overrides` replaces when it enables it.
    """
    return {"id": EVENT_ID, "kind": "seed", "date": t.start, "approach": t.approach,
            "agents": agents or ["placeholder"], "stage": t.stage,
            "funded_until": t.start + t.support_years, "enabled": bool(agents),
            "label": f"funded by the targeting experiment for {t.support_years:g} years",
            "source": "targeting experiment (innovate target)"}


def support_overrides(agents: list[str]) -> tuple[tuple[str, Any], ...]:
    """Dotted settings that fund ``agents`` through :func:`support_event`."""
    if not agents:
        return ()
    return ((f"events.{EVENT_ID}.agents", list(agents)), (f"events.{EVENT_ID}.enabled", True))
