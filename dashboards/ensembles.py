"""Runs behind comparisons and lessons: ensembles of seeds, paired effects, and their words.

Every run is kept per process (:func:`run_counts`), so what needs the same configuration and
seed (a comparison, a lesson's what-if, a handout) runs it once. Scenarios compared run the same
seeds (common random numbers), so a difference comes from the scenario, not from luck of the
draw. An :class:`Ensemble` is shown with its mean and 90% band (:data:`sim.vocabulary.BAND`),
and the difference is put in plain words ("under your scenario TS reaches 25% integrating 3.5
years later"). No Solara here: the tabs and Teach mode call these functions.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import NamedTuple
from urllib.parse import parse_qsl, urlencode

import numpy as np
import pandas as pd

from dashboards.settings import TIES, Changes, Settings, preset_config, preset_label
from dashboards.style import date_label, points_words, region_words, years_words
from sim.cache import ProcessCache, config_key
from sim.config import Config
from sim.config.loading import scenario_file
from sim.config.posterior import (
    Posterior,
    config_for_draw,
    has_posterior,
    load_posterior,
    parameter_value,
    posterior_draws,
    posterior_path,
)
from sim.data import load_uk
from sim.errors import InputError
from sim.io import read_toml
from sim.model import InnovationModel
from sim.output.equity import EQUITY_MEASURES
from sim.output.metrics import first_time, value_at
from sim.vocabulary import (
    APPROACH_NAMES,
    APPROACHES,
    BAND,
    ENDED,
    EQUITY_WORDS,
    GAP_NAME,
    LEVER_WORDS,
    MEASURE_PHRASES,
    MEASURES,
)

MAX_SEEDS = 100
RUN_THREADS = min(4, os.cpu_count() or 1)     # runs of an ensemble at once
EFFECT_SEEDS = 20               # paired runs behind every "what if" answer
EFFECT_YEAR = 2030.0
_RUNS = ProcessCache(400)       # single runs (about 100 KB each)
_POSTERIORS = ProcessCache(16)  # posteriors of presets (they do not change while serving)


class RunCounts(NamedTuple):
    """What comparisons, effect sentences and handouts count of one run.

    Attributes:
        times: step-end times.
        alive: journeys not ended by step, region, approach and stage.
        size: number of authorities.
        regions: region names.
        equity: the equity lens at the last step (:meth:`sim.RunResult.equity_end`), shape
            (groups, approaches, measures) in :data:`EQUITY_MEASURES` order.
        groups: the (group, name) of each row of ``equity``.
        gaps: the equity gap at every step (:attr:`sim.RunResult.gaps`), shape (steps,
            approaches, measures).
    """

    times: np.ndarray
    alive: np.ndarray
    size: int
    regions: list[str]
    equity: np.ndarray
    groups: tuple[tuple[str, str], ...]
    gaps: np.ndarray


def run_counts(config: Config, seed: int) -> RunCounts:
    """One run of ``config``: what comparisons, effect sentences and handouts count.

    Kept per process and read-only, so everything that needs the same configuration and seed
    runs it once.
    """
    def build() -> RunCounts:
        result = InnovationModel(config=config, seed=seed).run()
        alive = result.region_counts[..., :ENDED].sum(axis=-1, dtype=np.int32)
        alive.flags.writeable = False
        groups, equity = result.equity_end()
        gaps = result.gaps
        for array in (equity, gaps):
            array.flags.writeable = False
        return RunCounts(result.times, alive, result.size, list(result.population.regions),
                         equity, tuple(groups), gaps)

    return _RUNS.get((config_key(config), seed), build)


# -- ensembles -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Ensemble:
    """One scenario run with several seeds.

    Attributes:
        label: the scenario's name in the page ("your scenario", "historical").
        command: the ``innovate run`` command of seed 0 (the settings in full).
        seeds: the seeds run.
        times: calendar time at the end of each step.
        shares: share of authorities at or beyond each measure, shape
            (seeds, steps, approaches, measures) in :data:`sim.vocabulary.MEASURES` order.
        dt: step length in years.
        wall_time: seconds spent running.
        posterior: the posterior the runs drew their parameters from (its preset's name), or
            None when every run uses the settings' own parameters.
        draws: the posterior draw of each seed (empty without a posterior).
        size: authorities in each run (0 if not known): a share times the size is a whole
            number of authorities.
        equity: the equity lens at the end of each run, shape (seeds, groups, approaches,
            measures) (:class:`RunCounts`), and ``groups`` its rows' (group, name).
        gaps: each run's equity gap at every step, shape (seeds, steps, approaches, measures).
    """

    label: str
    command: str
    seeds: tuple[int, ...]
    times: np.ndarray
    shares: np.ndarray
    dt: float
    wall_time: float
    posterior: str | None = None
    draws: tuple[int, ...] = ()
    size: int = 0
    equity: np.ndarray | None = None
    groups: tuple[tuple[str, str], ...] = ()
    gaps: np.ndarray | None = None

    def series(self, approach: str, measure: str) -> np.ndarray:
        """Shares of one approach and measure, shape (seeds, steps)."""
        return self.shares[:, :, APPROACHES.index(approach), list(MEASURES).index(measure)]

    def band(self, approach: str, measure: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Mean and the two quantiles of :data:`BAND` over seeds at every step."""
        values = self.series(approach, measure)
        low, high = np.quantile(values, BAND, axis=0)
        return values.mean(axis=0), low, high


def preset_posterior(preset: str) -> Posterior | None:
    """The calibration's posterior of a preset, or None.

    The posterior beside the preset (``<preset>.posterior.csv``); else, for a preset built on a
    calibrated one (``extends = "historical-calibrated"``, directly or through other presets)
    that keeps every calibrated value, that preset's posterior: a scenario of the calibrated
    history carries the calibration's uncertainty as the history does, so a comparison of the
    two is paired draw by draw. Kept per process until the file changes. A posterior file that
    is there but cannot be read raises :class:`sim.errors.InputError`.
    """
    owner = posterior_owner(preset)
    if owner is None:
        return None
    return _posterior_of(owner)


def _posterior_of(preset: str) -> Posterior:
    path = posterior_path(preset)
    return _POSTERIORS.get((str(path), path.stat().st_mtime_ns), lambda: load_posterior(preset))


def posterior_owner(preset: str, seen: tuple[str, ...] = ()) -> str | None:
    """The preset whose posterior ``preset`` uses: itself, a calibrated ancestor, or None."""
    if has_posterior(preset):
        return preset
    try:
        _, raw = read_toml(scenario_file(preset))
    except InputError:
        return None
    parent = raw.get("extends")
    if not isinstance(parent, str) or parent.endswith(".toml") or parent in seen:
        return None
    owner = posterior_owner(parent, (*seen, preset))
    if owner is None:
        return None
    mine, theirs = preset_config(preset), preset_config(owner)
    keys = _posterior_of(owner).keys
    if any(parameter_value(mine, key) != parameter_value(theirs, key) for key in keys):
        return None                 # the preset sets a calibrated value itself
    return owner


def run_ensemble(settings: Settings, seeds: int | list[int], label: str,
                 progress: Callable[[int, int], None] | None = None,
                 posterior: Posterior | None = None) -> Ensemble:
    """Run ``settings`` once per seed (the settings' own seed is ignored).

    ``seeds`` is a count (seeds 0..n-1) or a list. With a ``posterior``, each seed's run
    draws the calibrated parameters from it (:func:`sim.config.posterior.posterior_draws`:
    the seed picks the draw), except those the settings change from the preset. Invalid
    settings raise :class:`sim.errors.InputError` before anything runs.
    """
    seed_list = list(range(seeds)) if isinstance(seeds, int) else [int(s) for s in seeds]
    if not 1 <= len(seed_list) <= MAX_SEEDS:
        raise InputError(f"seeds: choose from 1 to {MAX_SEEDS} seeds (got {len(seed_list)})")
    config = settings.config()
    draws: list[int] = []
    configs = [config] * len(seed_list)
    if posterior is not None:
        keep = [key for key, _ in settings.overrides()]
        draws = posterior_draws(posterior, seed_list)
        configs = [config_for_draw(config, posterior, draw, keep) for draw in draws]
    started = time.perf_counter()
    shares, equity, gaps = [], [], []
    times, size, groups = None, 0, ()
    # the compiled step releases the GIL, so runs overlap on the machine's cores; each run
    # depends only on its configuration and seed, so the results are the same in any order
    with ThreadPoolExecutor(RUN_THREADS) as pool:
        runs = [pool.submit(run_counts, run_config, seed)
                for seed, run_config in zip(seed_list, configs, strict=True)]
        for k, run in enumerate(runs):
            counted = run.result()
            times, alive, size, groups = (counted.times, counted.alive, counted.size,
                                          counted.groups)
            equity.append(counted.equity)
            gaps.append(counted.gaps)
            uk = alive.sum(axis=1)          # (steps, approaches, stages)
            shares.append(np.stack([uk[..., first:].sum(axis=-1) for first in MEASURES.values()],
                                   axis=-1) / size)
            if progress is not None:
                progress(k + 1, len(seed_list))
    command = settings.command_line()
    if posterior is not None:
        command += f" --posterior {posterior.name}"
    return Ensemble(label=label, command=command, seeds=tuple(seed_list), times=times,
                    shares=np.array(shares), dt=config.time.dt,
                    wall_time=time.perf_counter() - started,
                    posterior=None if posterior is None else posterior.name,
                    draws=tuple(draws), size=size, equity=np.array(equity), groups=groups,
                    gaps=np.array(gaps))


def scenario_pair(mine: Settings, other: Settings, seeds: int, other_label: str,
                  progress: Callable[[float], None] | None = None,
                  posteriors: tuple[Posterior | None, Posterior | None] = (None, None)
                  ) -> tuple[Ensemble, Ensemble]:
    """Your scenario and another, over the same seeds; ``progress`` gets 0-100 (percent).

    ``posteriors`` (yours, the other's): each ensemble with one draws its calibrated
    parameters from it, one draw per seed (:func:`run_ensemble`).
    """
    def share(offset: float) -> Callable[[int, int], None] | None:
        if progress is None:
            return None
        return lambda k, total: progress(offset + 50.0 * k / total)

    return (run_ensemble(mine, seeds, "your scenario", progress=share(0),
                         posterior=posteriors[0]),
            run_ensemble(other, seeds, other_label, progress=share(50),
                         posterior=posteriors[1]))


def posterior_sentence(a: Ensemble, b: Ensemble) -> str:
    """Which runs draw their parameters from a calibration's posterior ('' if none do)."""
    drawing = [e for e in (a, b) if e.posterior is not None]
    if not drawing:
        return ""
    who = " and ".join(f"{e.label}" for e in drawing)
    names = sorted({e.posterior for e in drawing})
    return (f"The runs of {who} draw their parameters from the calibration's posterior "
            f"({', '.join(f'{n}.posterior.csv' for n in names)}): each seed uses its own "
            "draw, so the bands show the uncertainty of the calibrated parameters as well as "
            "chance.")


def reach_time(ensemble: Ensemble, approach: str, measure: str, threshold: float) -> float:
    """First time the *mean* share reaches ``threshold`` (NaN if not within the window)."""
    mean = ensemble.series(approach, measure).mean(axis=0)
    return first_time(ensemble.times, mean, threshold)


def runs_reaching(ensemble: Ensemble, approach: str, measure: str, threshold: float) -> int:
    """How many seeds reach ``threshold`` within the window."""
    values = ensemble.series(approach, measure)
    return int((values.max(axis=1) >= threshold - 1e-9).sum())


def _pct(value: float) -> str:
    return f"{100 * value:.0f}%"


def difference_sentence(a: Ensemble, b: Ensemble, approach: str, measure: str,
                        threshold: float) -> str:
    """The difference between two scenarios for one approach, in plain words."""
    ta, tb = (reach_time(e, approach, measure, threshold) for e in (a, b))
    what = f"{approach} reaches {_pct(threshold)} {measure}"
    end = date_label(float(a.times[-1]))
    n_a, n_b = (runs_reaching(e, approach, measure, threshold) for e in (a, b))
    runs = (f" ({n_a} of {len(a.seeds)} runs of {a.label} and {n_b} of {len(b.seeds)} runs of "
            f"{b.label} get there by {end}.)")
    if math.isnan(ta) and math.isnan(tb):
        return (f"Under neither scenario does {approach} reach {_pct(threshold)} {measure} on "
                f"average by {end}." + runs)
    if math.isnan(ta):
        return (f"Under {a.label}, {approach} does not reach {_pct(threshold)} {measure} on "
                f"average by {end}; under {b.label} it does by {date_label(tb)}." + runs)
    if math.isnan(tb):
        return (f"Under {a.label}, {what} by {date_label(ta)}; under {b.label} it does not "
                f"on average by {end}." + runs)
    delta = ta - tb
    if abs(delta) < a.dt / 2:
        return (f"Under {a.label}, {what} at the same time as under {b.label} "
                f"({date_label(ta)})." + runs)
    direction = "later" if delta > 0 else "earlier"
    return (f"Under {a.label}, {what} {years_words(delta)} {direction} than under {b.label} "
            f"({date_label(ta)} against {date_label(tb)}, on average over the runs)." + runs)


def share_sentence(a: Ensemble, b: Ensemble, approach: str, measure: str,
                   year: float = 2030.0) -> str:
    """The share at ``year`` under each scenario, with its 90% range ('' outside the run)."""
    parts = []
    for e in (a, b):
        values = np.array([value_at(e.times, s, year) for s in e.series(approach, measure)])
        if np.isnan(values).all():
            return ""
        low, high = np.quantile(values, BAND)
        parts.append(f"{_pct(values.mean())} under {e.label} (90% of runs {_pct(low)} to "
                     f"{_pct(high)})")
    return f"In {year:.0f}, {approach} {measure}: " + "; ".join(parts) + "."


def comparison_sentences(a: Ensemble, b: Ensemble, measure: str, threshold: float
                         ) -> tuple[list[str], list[str]]:
    """For every approach: when each scenario reaches ``threshold``; then the shares in 2030."""
    return ([difference_sentence(a, b, approach, measure, threshold) for approach in APPROACHES],
            [s for s in (share_sentence(a, b, approach, measure) for approach in APPROACHES)
             if s])


# -- paired differences: the comparison's answer -------------------------------------------------

def _order(values: np.ndarray, q: float) -> float:
    """The ``q`` quantile of ``values`` as one of them (no interpolation, so infinities stay)."""
    return float(np.quantile(values, q, method="inverted_cdf"))


@dataclass(frozen=True)
class PairedReach:
    """When each of two scenarios reaches a share, seed by seed (common random numbers).

    Attributes:
        approach, measure, threshold: what is reached (a share of authorities at or beyond
            ``measure``).
        labels: the two scenarios' names (A, then B).
        end: the end of the runs.
        dt: step length in years.
        differences: per paired run, A's time minus B's in years; +inf where only B reaches the
            share by ``end``, -inf where only A does, NaN where neither does.
    """

    approach: str
    measure: str
    threshold: float
    labels: tuple[str, str]
    end: float
    dt: float
    differences: np.ndarray

    @property
    def runs(self) -> int:
        """How many paired runs."""
        return len(self.differences)

    def counts(self) -> dict[str, int]:
        """Paired runs where A reaches the share later, earlier, in the same step, or neither."""
        d = self.differences
        reached = d[~np.isnan(d)]
        return {"later": int((reached > self.dt / 2).sum()),
                "earlier": int((reached < -self.dt / 2).sum()),
                "same": int((np.abs(reached) <= self.dt / 2).sum()),
                "neither": int(np.isnan(d).sum())}

    def summary(self) -> tuple[float, float, float]:
        """The middle paired run and the two of :data:`BAND` (runs where either reaches it).

        Each is one paired run's difference (no interpolation): NaN if neither scenario reaches
        the share in any run.
        """
        reached = self.differences[~np.isnan(self.differences)]
        if not len(reached):
            return math.nan, math.nan, math.nan
        return (_order(reached, 0.5), _order(reached, BAND[0]), _order(reached, BAND[1]))

    def _shift(self, value: float) -> str:
        a, b = self.labels
        by = date_label(self.end)
        if value == math.inf:
            return f"not by {by} under {a}"
        if value == -math.inf:
            return f"not by {by} under {b}"
        if abs(value) <= self.dt / 2:
            return "no difference"
        return f"{years_words(value)} {'later' if value > 0 else 'earlier'}"

    def sentence(self) -> str:
        """The answer in one sentence, with its uncertainty, from the paired runs.

        E.g. "Under scenario A, Transitional Safeguarding reaches 25% of authorities engaged
        about 1.25 years later than under scenario B (90% of paired runs: from 6 months to
        2 years later; later in 34 of 40 paired runs, earlier in 2, at the same time in 4)."
        """
        a, b = self.labels
        name, n = APPROACH_NAMES[self.approach], self.runs
        goal = f"{_pct(self.threshold)} of authorities {self.measure}"
        by = date_label(self.end)
        count = self.counts()
        if count["neither"] == n:
            return (f"Under neither scenario does {name} reach {goal} by {by}, in any of the "
                    f"{n} paired runs.")
        typical, low, high = self.summary()
        if typical == math.inf:
            head = (f"Under {a}, {name} mostly does not reach {goal} by {by}, while under {b} "
                    "it does")
        elif typical == -math.inf:
            head = (f"Under {a}, {name} mostly reaches {goal} by {by}, while under {b} it does "
                    "not")
        elif abs(typical) <= self.dt / 2:
            head = f"Under {a}, {name} reaches {goal} at about the same time as under {b}"
        else:
            head = (f"Under {a}, {name} reaches {goal} about {self._shift(typical)} than "
                    f"under {b}")
        spread = (self._shift(low) if low == high
                  else f"from {self._shift(low)} to {self._shift(high)}")
        parts = [f"later in {count['later']} of {n} paired runs", f"earlier in {count['earlier']}"]
        if count["same"]:
            parts.append(f"at the same time in {count['same']}")
        if count["neither"]:
            parts.append(f"neither by {by} in {count['neither']}")
        return f"{head} (90% of paired runs: {spread}; {', '.join(parts)})."


def paired_reach(a: Ensemble, b: Ensemble, approach: str, measure: str,
                 threshold: float) -> PairedReach:
    """When ``a`` reaches ``threshold`` against ``b``, seed by seed (never from the mean curve).

    The two ensembles must have run the same seeds (:func:`scenario_pair` runs them so), else
    :class:`sim.errors.InputError`.
    """
    if a.seeds != b.seeds:
        raise InputError("a paired comparison needs the same seeds for both scenarios")
    differences = []
    for sa, sb in zip(a.series(approach, measure), b.series(approach, measure), strict=True):
        ta, tb = first_time(a.times, sa, threshold), first_time(b.times, sb, threshold)
        if math.isnan(ta) and math.isnan(tb):
            differences.append(math.nan)
        elif math.isnan(ta):
            differences.append(math.inf)
        elif math.isnan(tb):
            differences.append(-math.inf)
        else:
            differences.append(ta - tb)
    return PairedReach(approach=approach, measure=measure, threshold=threshold,
                       labels=(a.label, b.label), end=float(a.times[-1]), dt=a.dt,
                       differences=np.array(differences, dtype=float))


@dataclass(frozen=True)
class PairedCount:
    """How many more authorities one scenario has at a measure in a year, seed by seed.

    Attributes:
        approach, measure, year: what is counted (authorities at or beyond ``measure``, not
            ended, at ``year``).
        labels: the two scenarios' names (A, then B).
        size: authorities in each run.
        a, b: whole numbers of authorities per paired run.
    """

    approach: str
    measure: str
    year: float
    labels: tuple[str, str]
    size: int
    a: np.ndarray
    b: np.ndarray

    def summary(self) -> tuple[int, int, int]:
        """The middle paired difference (A minus B) and the two of :data:`BAND`, each a run's."""
        diff = self.a - self.b
        return (int(_order(diff, 0.5)), int(_order(diff, BAND[0])), int(_order(diff, BAND[1])))

    def sentence(self) -> str:
        """The count's difference in one sentence, in whole authorities, with its uncertainty.

        E.g. "In 2030, about 3 fewer of the 212 authorities are engaged with Transitional
        Safeguarding under scenario A than under scenario B (90% of paired runs: from 6 fewer to
        1 more; fewer in 30 of 40 paired runs, more in 4)."
        """
        a, b = self.labels
        typical, low, high = self.summary()
        diff = self.a - self.b
        doing = f"{MEASURE_PHRASES[self.measure]} {APPROACH_NAMES[self.approach]}"
        if typical == 0:
            head = (f"In {self.year:.0f}, about as many of the {self.size} authorities are "
                    f"{doing} under {a} as under {b}")
        else:
            head = (f"In {self.year:.0f}, about {_whole(typical)} of the {self.size} "
                    f"authorities are {doing} under {a} than under {b}")
        spread = _whole(low) if low == high else f"from {_whole(low)} to {_whole(high)}"
        n = len(diff)
        parts = [f"fewer in {int((diff < 0).sum())} of {n} paired runs",
                 f"more in {int((diff > 0).sum())}"]
        if (diff == 0).any():
            parts.append(f"as many in {int((diff == 0).sum())}")
        return f"{head} (90% of paired runs: {spread}; {', '.join(parts)})."


def _whole(value: int) -> str:
    """A whole-number difference of authorities: '3 fewer', '1 more', 'as many'."""
    if value == 0:
        return "as many"
    return f"{abs(value)} {'more' if value > 0 else 'fewer'}"


def paired_count(a: Ensemble, b: Ensemble, approach: str, measure: str,
                 year: float = EFFECT_YEAR) -> PairedCount | None:
    """Authorities at ``measure`` in ``year`` under ``a`` and ``b``, seed by seed.

    None when ``year`` is outside the runs. The ensembles must have run the same seeds and know
    their size, else :class:`sim.errors.InputError`.
    """
    if a.seeds != b.seeds:
        raise InputError("a paired comparison needs the same seeds for both scenarios")
    if not a.size or a.size != b.size:
        raise InputError("a paired count needs the number of authorities of both scenarios")
    counts = []
    for e in (a, b):
        shares = np.array([value_at(e.times, s, year) for s in e.series(approach, measure)])
        if np.isnan(shares).any():
            return None
        counts.append(np.rint(shares * e.size).astype(int))
    return PairedCount(approach=approach, measure=measure, year=year, labels=(a.label, b.label),
                       size=a.size, a=counts[0], b=counts[1])


def paired_sentences(a: Ensemble, b: Ensemble, measure: str, threshold: float,
                     year: float = EFFECT_YEAR) -> list[str]:
    """Per approach, from paired runs: when ``threshold`` is reached; the count in ``year``."""
    out = [paired_reach(a, b, approach, measure, threshold).sentence()
           for approach in APPROACHES]
    if a.size and a.size == b.size:
        counts = [paired_count(a, b, approach, measure, year) for approach in APPROACHES]
        out += [c.sentence() for c in counts if c is not None]
    return out


def scenario_words(settings: Settings) -> str:
    """A scenario in plain words: its starting point and every lever it changes from it."""
    phrases = []
    extra = []
    changed = settings.overrides()
    for key, value in changed:
        parts = key.split(".")
        if key in settings.values() or key.startswith(("levers.policy.", "network.weights.")):
            phrases.append(_lever_phrase(parts, value))
        else:
            extra.append(f"{key}={value}")
    keys = [key for key, _ in changed]
    if phrases and "levers.start" not in keys and any(k.startswith("levers.") for k in keys):
        phrases.append(LEVER_WORDS["levers.start"].format(year=f"{settings.start:.0f}"))
    if extra:
        phrases.append(LEVER_WORDS["extra"].format(text="; ".join(extra)))
    start = preset_label(settings.preset)
    return f"{start}: {', '.join(phrases) if phrases else LEVER_WORDS['none']}"


def _lever_phrase(parts: list[str], value: object) -> str:
    """One changed lever in words (see :data:`sim.vocabulary.LEVER_WORDS`)."""
    key = ".".join(parts)
    if parts[:2] == ["levers", "policy"]:
        return LEVER_WORDS["levers.policy"].format(approach=parts[2], nation=parts[3],
                                                   times=f"{value:g}")
    if parts[:2] == ["network", "weights"]:
        return LEVER_WORDS["network.weights"].format(
            tie=TIES.get(parts[2], parts[2]).lower(), times=f"{value:g}")
    if key == "mechanisms.synergy":
        return LEVER_WORDS[key] if not value else "CS, TIP and TS helping each other"
    if key == "levers.austerity_cut" and float(value) < 0:
        return LEVER_WORDS["levers.austerity_cut.restored"].format(percent=_pct(-float(value)))
    return LEVER_WORDS[key].format(year=f"{float(value):.0f}", percent=_pct(float(value)),
                                   years=years_words(float(value)), times=f"{float(value):g}")

# -- the link that reproduces a comparison -------------------------------------------------------

COMPARE_KEYS: tuple[str, ...] = ("tab", "compare", "runs")   # a comparison link's own keys


def comparison_query(a: Settings, b: Settings, runs: int) -> str:
    """A page address's query string (without ``?``) that reproduces a comparison.

    Scenario A is the page's scenario (:meth:`Settings.to_query`); scenario B travels whole in
    ``compare`` (its own query string), with the number of paired runs in ``runs`` and the tab.
    """
    return "&".join([a.to_query(), urlencode([("tab", "compare"), ("compare", b.to_query()),
                                             ("runs", str(runs))])])


def compare_from_query(text: str | None) -> tuple[Settings | None, int | None]:
    """Scenario B and the number of runs a link asks for (None for what it does not give).

    Raises :class:`sim.errors.InputError` for a B or a number of runs that cannot be used.
    """
    given = dict(parse_qsl((text or "").lstrip("?")))
    other = Settings.from_query(given["compare"]) if "compare" in given else None
    runs = None
    if "runs" in given:
        try:
            runs = int(given["runs"])
        except ValueError:
            raise InputError(f"runs: must be a whole number from 2 to {MAX_SEEDS} "
                             f"(got {given['runs']!r})") from None
        if not 2 <= runs <= MAX_SEEDS:
            raise InputError(f"runs: must be a whole number from 2 to {MAX_SEEDS} (got {runs})")
    return other, runs

# -- what if: paired runs ------------------------------------------------------------------------

@dataclass(frozen=True)
class Effect:
    """The effect of a change, from paired runs with the same seeds.

    Attributes:
        label: the change in words.
        approach, measure, year: what is counted (authorities at or beyond ``measure``, not
            ended, at ``year``).
        region: the region counted besides the UK.
        base, changed: counts per seed, shape (seeds, 2): the region, then the UK.
        region_size: authorities in the region.
    """

    label: str
    approach: str
    measure: str
    year: float
    region: str
    base: np.ndarray
    changed: np.ndarray
    region_size: int

    def difference(self, scope: int) -> tuple[float, float, float]:
        """Mean paired difference and its :data:`BAND` quantiles (scope 0 region, 1 UK)."""
        diff = self.changed[:, scope] - self.base[:, scope]
        low, high = np.quantile(diff, BAND)
        return float(diff.mean()), float(low), float(high)

    def sentence(self) -> str:
        """The effect in plain words, for the region and for the UK."""
        mean_r, low_r, high_r = self.difference(0)
        mean_uk, low_uk, high_uk = self.difference(1)
        doing = {"engaged": "engaged with", "implementing": "at Developing or beyond with",
                 "integrating": "at Integrating or beyond with"}[self.measure]
        return (f"With {self.label}: in {self.year:.0f}, on average {_signed(mean_r)} of the "
                f"{self.region_size} authorities in {region_words(self.region)} are {doing} "
                f"{APPROACH_NAMES[self.approach]} ({self.base[:, 0].mean():.1f} without the "
                f"change; in {runs_in_band(len(self.base))} of {len(self.base)} runs the "
                f"difference was {_between(low_r, high_r)}"
                f"{_unclear(low_r, high_r)}), and {_signed(mean_uk)} across the UK "
                f"({_between(low_uk, high_uk)}{_unclear(low_uk, high_uk)}).")


def runs_in_band(runs: int) -> int:
    """How many of ``runs`` paired runs fall inside the band of :data:`BAND` (18 of 20)."""
    return round(runs * round(100 * (BAND[1] - BAND[0])) / 100)


def _signed(value: float) -> str:
    if abs(value) < 0.05:
        return "no more and no fewer"
    return f"{abs(value):.1f} {'more' if value > 0 else 'fewer'}"


def _unclear(low: float, high: float) -> str:
    return "; too small to tell apart from chance" if low < 0 < high else ""


def difference_words(value: float) -> str:
    """A difference in authorities in words: '1.9 more', '0.3 fewer', 'no change'."""
    return "no change" if abs(value) < 0.05 else _signed(value)


def _between(low: float, high: float) -> str:
    if abs(high - low) < 0.05:
        return _signed(low)
    return f"between {difference_words(low)} and {difference_words(high)}"


def counts_at(settings: Settings, seeds: int, region: str, approach: str, measure: str,
              year: float) -> np.ndarray:
    """Authorities at or beyond ``measure`` (not ended) at ``year``, region and UK.

    One row per seed 0..seeds-1: shape (seeds, 2).
    """
    config = settings.config()
    a, first = APPROACHES.index(approach), MEASURES[measure]
    out = np.zeros((seeds, 2))
    for seed in range(seeds):
        times, alive, _, regions, *_ = run_counts(config, seed)
        k = int(np.searchsorted(times, year + 1e-9) - 1)
        if k < 0 or math.isnan(year):
            raise InputError(f"year: {year} is outside the run")
        by_region = alive[k, :, a, first:].sum(axis=1)
        out[seed] = by_region[regions.index(region)], by_region.sum()
    return out


def effect(settings: Settings, changes: Changes, label: str, region: str, approach: str,
           seeds: int = EFFECT_SEEDS, measure: str = "integrating", year: float = EFFECT_YEAR,
           base: np.ndarray | None = None) -> Effect:
    """What ``changes`` do to ``settings``, over ``seeds`` paired runs.

    Every run is kept (:func:`run_counts`), so the runs without the change are run once for all
    the changes tried. ``base`` (from :func:`counts_at`) may be given.
    """
    if base is None:
        base = counts_at(settings, seeds, region, approach, measure, year)
    changed = counts_at(settings.with_changes(changes), seeds, region, approach, measure, year)
    size = int((load_uk().authorities["region_name"] == region).sum())
    return Effect(label=label, approach=approach, measure=measure, year=year, region=region,
                  base=base, changed=changed, region_size=size)


# -- the equity lens of a comparison --------------------------------------------------------------

def equity_rows(a: Ensemble, b: Ensemble, approach: str) -> pd.DataFrame:
    """Both scenarios at the end of their runs, by nation, region and deprivation fifth.

    One row per group: the mean share engaged and integrating under each scenario, and the
    paired difference in the share integrating (A less B, mean over pairs); the last row is
    the gap, most less least deprived fifth.
    """
    k = APPROACHES.index(approach)
    engaged, integrating = (EQUITY_MEASURES.index(m) for m in ("engaged", "integrating"))
    rows = []
    for g, (group, name) in enumerate(a.groups):
        ea, eb = a.equity[:, g, k], b.equity[:, g, k]
        rows.append({"group": group, "name": name,
                     f"engaged, {a.label}": ea[:, engaged].mean(),
                     f"engaged, {b.label}": eb[:, engaged].mean(),
                     f"integrating, {a.label}": ea[:, integrating].mean(),
                     f"integrating, {b.label}": eb[:, integrating].mean(),
                     "integrating, difference": (ea[:, integrating] - eb[:, integrating]).mean()})
    return pd.DataFrame(rows)


def gap_sentence(a: Ensemble, b: Ensemble, approach: str) -> str:
    """The deprivation gap in the share integrating at the end, under each scenario, in words."""
    k = APPROACHES.index(approach)
    g = a.groups.index(("gap", GAP_NAME))
    integrating = EQUITY_MEASURES.index("integrating")
    gap_a, gap_b = a.equity[:, g, k, integrating], b.equity[:, g, k, integrating]
    low, high = np.quantile(gap_a - gap_b, BAND)
    return EQUITY_WORDS["gap"].format(
        name=APPROACH_NAMES[approach], a=a.label, b=b.label, gap_a=points_words(gap_a.mean()),
        gap_b=points_words(gap_b.mean()), difference=points_words((gap_a - gap_b).mean()),
        low=points_words(low), high=points_words(high), band=runs_in_band(len(gap_a)),
        runs=len(gap_a))


def gap_bands(a: Ensemble, b: Ensemble, approach: str) -> pd.DataFrame:
    """The gap in the share integrating over time under each scenario, over the runs.

    Columns scenario, time, mean, p05 and p95 (the quantiles of :data:`BAND`).
    """
    k, integrating = APPROACHES.index(approach), EQUITY_MEASURES.index("integrating")
    frames = []
    for e in (a, b):
        values = e.gaps[:, :, k, integrating]
        low, high = np.nanquantile(values, BAND, axis=0)
        frames.append(pd.DataFrame({"scenario": e.label, "time": e.times,
                                    "mean": np.nanmean(values, axis=0), "p05": low,
                                    "p95": high}))
    return pd.concat(frames, ignore_index=True)
