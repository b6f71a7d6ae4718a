"""Summary metrics of one run and the simulated values of the observed patterns (ODD 1.2, 7.20)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from sim.cache import ProcessCache
from sim.vocabulary import APPROACHES, ENDED, KINDS, MEASURES, NATIONS, SCOPES


def measure_counts(counts: np.ndarray, measure: str, scope: str = "UK") -> np.ndarray:
    """Journeys at or beyond a measure's stage and not ended, shape (steps, approaches).

    ``counts`` has shape (steps, nations, approaches, stages, statuses).
    """
    alive = counts[:, :, :, MEASURES[measure]:, :2]
    if len(SCOPES[scope]) < len(NATIONS):
        alive = alive[:, [NATIONS.index(n) for n in SCOPES[scope]]]
    return alive.sum(axis=(1, 3, 4))


def uptake_counts(counts: np.ndarray) -> np.ndarray:
    """Journeys at or beyond every measure's stage and not ended, over all areas.

    :func:`measure_counts` of every measure at once (the UK), shape (steps, approaches,
    measures) in :data:`MEASURES` order; ``counts`` has shape (steps, areas, approaches,
    stages, statuses), the areas being nations or regions.
    """
    alive = counts.sum(axis=1)[..., :ENDED].sum(axis=3)         # (steps, approaches, stages)
    beyond = np.cumsum(alive[..., ::-1], axis=-1)[..., ::-1]    # at or beyond each stage
    return beyond[..., list(MEASURES.values())]


def first_time(times: np.ndarray, series: np.ndarray, threshold: float) -> float:
    """First step-end time at which series reaches threshold (NaN if never)."""
    hits = np.flatnonzero(series >= threshold - 1e-9)
    return float(times[hits[0]]) if len(hits) else math.nan


def value_at(times: np.ndarray, series: np.ndarray, when: float) -> float:
    """Value at the last step ending at or before ``when`` (NaN outside the run)."""
    if when < times[0] - 1e-9 or when > times[-1] + 1e-9:
        return math.nan
    return float(series[np.searchsorted(times, when + 1e-9) - 1])


PER_APPROACH = ("year_engaged_10pct", "year_engaged_25pct", "year_engaged_50pct",
                "year_integrated_10pct", "year_integrated_25pct", "year_integrated_50pct",
                "share_integrated_2030", "engaged_end", "integrated_end", "peak_uptake_year",
                "clustering_moran_i", "spend_gbp_m", "outcome_end", "outcome_years_per_gbp_m",
                "gap_engaged_end", "gap_integrated_end", "gap_outcome_end")


def metric_names() -> list[str]:
    """Every metric a run of the real UK reports (per approach, then observed patterns)."""
    from sim.data import load_uk

    names = [f"{a}.{m}" for a in APPROACHES for m in PER_APPROACH]
    return names + [f"patterns.{m}" for m in load_uk().observed["metric"]]


# the metric names of each approach, made once: every run's dict shares these strings
_NAMES = {name: tuple(f"{name}.{m}" for m in PER_APPROACH) for name in APPROACHES}
# first_time's thresholds for the year-reached metrics, less its tolerance
_THRESHOLDS = np.array([0.10, 0.25, 0.50]) - 1e-9
_END = KINDS.index("end")


def summary_metrics(*, times: np.ndarray, counts: np.ndarray, size: int, dt: float,
                    uptake: list[np.ndarray], spend: np.ndarray, outcome_years: np.ndarray,
                    outcome_end: np.ndarray, clustering: dict[str, float],
                    observed: pd.DataFrame | None, event_log: dict | None = None,
                    ids: np.ndarray | None = None, gaps: np.ndarray | None = None
                    ) -> dict[str, float]:
    """Flat ``name -> value`` metrics; NaN marks what the run cannot say (e.g. out of window).

    Every value is what :func:`first_time` and :func:`value_at` give on the per-approach
    series, computed for all approaches, thresholds and patterns at once. ``gaps`` (approaches,
    3) are the equity gaps at the end (:func:`sim.output.equity.gap_metrics`), NaN if not given.
    """
    if gaps is None:
        gaps = np.full((len(APPROACHES), 3), math.nan)
    gap_values = gaps.tolist()
    alive = counts[..., 0] + counts[..., 1]             # active or paused, by stage
    at_or_beyond = np.cumsum(alive[..., ::-1], axis=-1)[..., ::-1]
    engaged = at_or_beyond[..., MEASURES["engaged"]].sum(axis=1)   # (steps, approaches)
    integrated = at_or_beyond[..., MEASURES["integrating"]].sum(axis=1)
    shares = np.stack((engaged, integrated)) / size     # (2, steps, approaches)
    reached = shares[..., None] >= _THRESHOLDS          # (2, steps, approaches, thresholds)
    years = np.where(reached.any(axis=1), times[reached.argmax(axis=1)], math.nan).tolist()
    at_2030 = _step_at(times, 2030.0)
    share_2030 = ([math.nan] * len(APPROACHES) if at_2030 is None
                  else shares[1, at_2030].tolist())
    engaged_end, integrated_end = engaged[-1].tolist(), integrated[-1].tolist()
    out: dict[str, float] = {}
    for a, name in enumerate(APPROACHES):
        out |= zip(_NAMES[name], (
            *years[0][a], *years[1][a], share_2030[a],
            float(engaged_end[a]), float(integrated_end[a]),
            _mode(np.floor(uptake[a] - dt + 1e-9)),
            clustering.get(name, math.nan),
            float(spend[a]) / 1e6,
            float(outcome_end[a]),
            float(outcome_years[a]) / (spend[a] / 1e6) if spend[a] > 0 else math.nan,
            *gap_values[a]),
            strict=True)
    if observed is not None:
        names, stages, nations, approaches, whens = _patterns(observed)
        if names:
            steps = np.searchsorted(times, whens + 1e-9) - 1
            inside = ~((whens < times[0] - 1e-9) | (whens > times[-1] + 1e-9))
            steps = np.where(inside, steps, 0)
            values = (at_or_beyond[steps, :, approaches, stages] * nations).sum(axis=1)
            out |= zip(names, np.where(inside, values, math.nan).tolist(), strict=True)
        if event_log is not None and ids is not None:
            out |= {f"patterns.{k}": v for k, v in
                    authority_patterns(observed, times, event_log, ids).items()}
    return out


def _step_at(times: np.ndarray, when: float) -> int | None:
    """The step :func:`value_at` reads at ``when`` (None outside the run)."""
    if when < times[0] - 1e-9 or when > times[-1] + 1e-9:
        return None
    return int(np.searchsorted(times, when + 1e-9)) - 1


def authority_patterns(observed: pd.DataFrame, times: np.ndarray, event_log: dict,
                       ids: np.ndarray) -> dict[str, float]:
    """Simulated values of the patterns about one named authority (``scope`` its agent_id).

    1 if its journey is at or beyond the measure's stage and not ended at the pattern's time,
    else 0; NaN outside the run, or if the authority is not in the run.
    """
    out: dict[str, float] = {}
    for metric, scope, approach, stage, when in _named_patterns(observed):
        where = np.flatnonzero(ids == scope)
        if not len(where) or not times[0] - 1e-9 <= when <= times[-1] + 1e-9:
            out[metric] = math.nan
            continue
        mine = np.flatnonzero((event_log["agent"] == where[0])
                              & (event_log["approach"] == approach)
                              & (event_log["time"] <= when + 1e-9))
        if not len(mine):
            out[metric] = 0.0
            continue
        last = mine[-1]
        alive = event_log["kind"][last] != _END
        out[metric] = float(alive and event_log["to_stage"][last] >= stage)
    return out


def _mode(values: np.ndarray) -> float:
    """The most frequent value (the smallest of those tied), NaN if there is none."""
    if not len(values):
        return math.nan
    ordered = np.sort(values)
    bounds = np.concatenate(([0], np.flatnonzero(ordered[1:] != ordered[:-1]) + 1,
                             [len(ordered)]))
    return float(ordered[bounds[np.argmax(bounds[1:] - bounds[:-1])]])


_PATTERNS = ProcessCache(8)


def _patterns(observed: pd.DataFrame
              ) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The observed patterns counted over a scope, as arrays (read once per table).

    Their names, the stage of their measure, which nations their scope holds (0/1 by nation),
    their approach index and their time. The observed table is loaded once per process.
    """
    return _tables(observed)[0]


def _named_patterns(observed: pd.DataFrame) -> list[tuple[str, str, int, int, float]]:
    """The patterns about one named authority, in the table's order (read once per table).

    Each is its metric, the authority's agent_id, the approach index, the stage and the time.
    """
    return _tables(observed)[1]


def _tables(observed: pd.DataFrame) -> tuple[tuple, list[tuple]]:
    """The two readings of one observed table (cached for the table's lifetime)."""
    def build() -> tuple[pd.DataFrame, tuple, list[tuple]]:
        scoped = observed["scope"].isin(list(SCOPES))
        counted, named = observed[scoped], observed[~scoped]
        columns = [counted[c].tolist() for c in ("metric", "measure", "scope", "approach",
                                                 "time")]
        metric, measure, scope, approach, when = columns
        nations = np.array([[n in SCOPES[s] for n in NATIONS] for s in scope],
                           dtype=np.int64).reshape(len(scope), len(NATIONS))
        counted_arrays = ([f"patterns.{m}" for m in metric],
                          np.array([MEASURES[m] for m in measure], dtype=np.intp),
                          nations, np.array([APPROACHES.index(a) for a in approach],
                                            dtype=np.intp),
                          np.array(when, dtype=np.float64))
        named_rows = [(row.metric, row.scope, APPROACHES.index(row.approach),
                       MEASURES[row.measure], row.time) for row in named.itertuples()]
        return observed, counted_arrays, named_rows

    return _PATTERNS.get(id(observed), build)[1:]
