"""The "Where to fund next" tab's work: a targeting experiment on the page's scenario.

The page's scenario (preset and levers) is the base, with each seed's calibrated parameters
drawn from the calibration's posterior where the preset has one (as in the Compare tab); a few
authorities are funded from
:data:`START` for :data:`SUPPORT_YEARS` years at Designing, chosen by each strategy on one set
of seeds and scored against a random choice on another, held out (:mod:`sim.targeting`). The
runs go on threads (the compiled step releases the interpreter's lock), nothing is written to
disk, and the choices travel in the page address (:meth:`FundChoice.to_query`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode

import pandas as pd

from dashboards.ensembles import RUN_THREADS, posterior_owner
from dashboards.settings import Settings
from dashboards.style import points_words
from sim.errors import InputError, shown
from sim.targeting.run import Comparison, Evaluations, compare_strategies
from sim.targeting.spec import STRATEGIES, Targeting, targeting_from_mapping
from sim.vocabulary import APPROACH_NAMES, APPROACHES, FUND_WORDS

START, SUPPORT_YEARS, HORIZON, STAGE = 2026.0, 3.0, 2036.0, 2
#: the strategies a user can pick (random is always run: the gains are against it)
CHOICES: tuple[str, ...] = tuple(name for name in STRATEGIES if name != "random")
MAX_SITES, MAX_SEEDS = 10, 20
#: the address keys of a choice (besides the scenario's and ``tab``)
FUND_KEYS: tuple[str, ...] = ("fund", "sites", "fund_seeds", "strategies")


@dataclass(frozen=True)
class FundChoice:
    """What the user asks: the approach, how many sites, how many seeds, which strategies."""

    approach: str = "TS"
    sites: int = 5
    seeds: int = 8
    strategies: tuple[str, ...] = field(default=CHOICES)

    def __post_init__(self) -> None:
        if self.approach not in APPROACHES:
            raise InputError(f"fund: must be one of {', '.join(APPROACHES)} (got "
                             f"{shown(self.approach)})")
        if not 1 <= self.sites <= MAX_SITES:
            raise InputError(f"sites: must be a whole number from 1 to {MAX_SITES} (got "
                             f"{self.sites})")
        if not 2 <= self.seeds <= MAX_SEEDS:
            raise InputError(f"fund_seeds: must be a whole number from 2 to {MAX_SEEDS} (got "
                             f"{self.seeds})")
        unknown = [s for s in self.strategies if s not in CHOICES]
        if unknown or not self.strategies:
            raise InputError(f"strategies: choose one or more of {', '.join(CHOICES)} (got "
                             f"{shown(','.join(self.strategies))})")

    def to_query(self) -> str:
        """The choice as address keys (:data:`FUND_KEYS`)."""
        return urlencode([("fund", self.approach), ("sites", str(self.sites)),
                          ("fund_seeds", str(self.seeds)),
                          ("strategies", ",".join(self.strategies))])

    @classmethod
    def from_query(cls, text: str | None) -> FundChoice:
        """The choice an address asks for (defaults for what it does not give).

        Raises :class:`sim.errors.InputError` with one plain line for a value it cannot use.
        """
        given = dict(parse_qsl((text or "").lstrip("?")))
        default = cls()
        return cls(approach=given.get("fund", default.approach),
                   sites=_whole(given, "sites", default.sites),
                   seeds=_whole(given, "fund_seeds", default.seeds),
                   strategies=tuple(s for s in given["strategies"].split(",") if s)
                   if "strategies" in given else default.strategies)


def _whole(given: dict[str, str], key: str, default: int) -> int:
    try:
        return int(given[key]) if key in given else default
    except ValueError:
        raise InputError(f"{key}: must be a whole number (got {shown(given[key])})") from None


def targeting_for(settings: Settings, choice: FundChoice) -> Targeting:
    """The targeting experiment of a choice on the page's scenario."""
    return targeting_from_mapping({
        "targeting": {"name": "dashboard", "scenario": settings.preset,
                      "approach": choice.approach, "sites": choice.sites, "start": START,
                      "support_years": SUPPORT_YEARS, "stage": STAGE, "horizon": HORIZON,
                      "objective": "integrating", "seeds": choice.seeds, "seed_sets": 1,
                      "strategies": ["random", *choice.strategies], "seed": 0,
                      "posterior": posterior_owner(settings.preset)},
        "set": dict(settings.overrides())})


def find_sites(settings: Settings, choice: FundChoice,
               on_runs: Callable[[int], None] | None = None) -> Comparison:
    """Run the choice's targeting experiment on threads; nothing is written."""
    t = targeting_for(settings, choice)
    with ThreadPoolExecutor(RUN_THREADS) as pool:
        return compare_strategies(t, Evaluations(t, None, pool, RUN_THREADS, on_runs))


def headline(found: Comparison, choice: FundChoice) -> str:
    """The answer in one sentence: the strategy with the largest gain over random."""
    rows = found.strategies[found.strategies["strategy"].isin(choice.strategies)]
    best = rows.loc[rows["gain_over_random"].idxmax()]
    name = APPROACH_NAMES[choice.approach]
    clear = best["gain_low"] > 0
    return FUND_WORDS["headline"].format(
        sites=choice.sites, strategy=FUND_WORDS[best["strategy"]], name=name,
        gain=_signed(best["gain_over_random"]), low=_signed(best["gain_low"]),
        high=_signed(best["gain_high"]), year=f"{HORIZON:.0f}", seeds=choice.seeds,
        verdict=FUND_WORDS["clear" if clear else "unclear"])


def strategy_table(found: Comparison) -> pd.DataFrame:
    """Each strategy in words: its sites, gain over random with its interval, the equity gap."""
    rows = []
    for row in found.strategies.itertuples():
        rows.append({
            "Strategy": FUND_WORDS.get(row.strategy, row.strategy),
            "Sites": (row.names.replace(";", ", ") if row.names else "-" if row.strategy == "none"
                      else FUND_WORDS["random_sites"]),
            "Integrating in 2036 (mean)": round(row.integrating, 1),
            "More than random (90% interval)": (
                "-" if row.strategy == "random" else
                f"{_signed(row.gain_over_random)} ({_signed(row.gain_low)} to "
                f"{_signed(row.gain_high)})"),
            "Equity gap, most less least deprived": points_words(row.gap_integrating),
            "Gap change vs random": "-" if row.strategy == "random"
            else points_words(row.gap_integrating_change),
        })
    return pd.DataFrame(rows)


def site_table(found: Comparison) -> pd.DataFrame:
    """Every chosen authority of every strategy, with its region and nation."""
    p = found.population
    rows = [{"strategy": name, "agent_id": str(p.ids[i]), "authority": str(p.names[i]),
             "region": p.regions[p.region[i]]}
            for name, sites in found.chosen[0].items() for i in sites]
    return pd.DataFrame(rows, columns=["strategy", "agent_id", "authority", "region"])


def _signed(value: float) -> str:
    return "n/a" if not math.isfinite(value) else f"{value:+.1f}"
