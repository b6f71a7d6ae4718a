"""Summary metrics of one run and the simulated values of the observed patterns (ODD 1.2, 7.20)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from sim.cache import ProcessCache
from sim.vocabulary import APPROACHES, KINDS, MEASURES, NATIONS, SCOPES


def measure_counts(counts: np.ndarray, measure: str, scope: str = "UK") -> np.ndarray:
    """Journeys at or beyond a measure's stage and not ended, shape (steps, approaches).

    ``counts`` has shape (steps, nations, approaches, stages, statuses).
    """
    alive = counts[:, :, :, MEASURES[measure]:, :2]
    if len(SCOPES[scope]) < len(NATIONS):
        alive = alive[:, [NATIONS.index(n) for n in SCOPES[scope]]]
    return alive.sum(axis=(1, 3, 4))


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
                "clustering_moran_i", "spend_gbp_m", "outcome_end", "outcome_years_per_gbp_m")


def metric_names() -> list[str]:
    """Every metric a run of the real UK reports (per approach, then observed patterns)."""
    from sim.data import load_uk

    names = [f"{a}.{m}" for a in APPROACHES for m in PER_APPROACH]
    return names + [f"patterns.{m}" for m in load_uk().observed["metric"]]


def summary_metrics(*, times: np.ndarray, counts: np.ndarray, size: int, dt: float,
                    uptake: list[np.ndarray], spend: np.ndarray, outcome_years: np.ndarray,
                    outcome_end: np.ndarray, clustering: dict[str, float],
                    observed: pd.DataFrame | None, event_log: dict | None = None,
                    ids: np.ndarray | None = None) -> dict[str, float]:
    """Flat ``name -> value`` metrics; NaN marks what the run cannot say (e.g. out of window)."""
    alive = counts[..., 0] + counts[..., 1]             # active or paused, by stage
    at_or_beyond = np.cumsum(alive[..., ::-1], axis=-1)[..., ::-1]
    by_nation = {measure: at_or_beyond[..., stage]    # (steps, nations, approaches)
                 for measure, stage in MEASURES.items()}
    engaged = by_nation["engaged"].sum(axis=1)
    integrated = by_nation["integrating"].sum(axis=1)
    out: dict[str, float] = {}
    for a, name in enumerate(APPROACHES):
        share_e, share_i = engaged[:, a] / size, integrated[:, a] / size
        out |= {
            f"{name}.year_engaged_10pct": first_time(times, share_e, 0.10),
            f"{name}.year_engaged_25pct": first_time(times, share_e, 0.25),
            f"{name}.year_engaged_50pct": first_time(times, share_e, 0.50),
            f"{name}.year_integrated_10pct": first_time(times, share_i, 0.10),
            f"{name}.year_integrated_25pct": first_time(times, share_i, 0.25),
            f"{name}.year_integrated_50pct": first_time(times, share_i, 0.50),
            f"{name}.share_integrated_2030": value_at(times, share_i, 2030.0),
            f"{name}.engaged_end": float(engaged[-1, a]),
            f"{name}.integrated_end": float(integrated[-1, a]),
            f"{name}.peak_uptake_year": _mode(np.floor(uptake[a] - dt + 1e-9)),
            f"{name}.clustering_moran_i": clustering.get(name, math.nan),
            f"{name}.spend_gbp_m": float(spend[a]) / 1e6,
            f"{name}.outcome_end": float(outcome_end[a]),
            f"{name}.outcome_years_per_gbp_m": (float(outcome_years[a]) / (spend[a] / 1e6)
                                                if spend[a] > 0 else math.nan),
        }
    if observed is not None:
        for name, measure, nations, a, when in _patterns(observed):
            series = by_nation[measure][:, nations, a].sum(axis=1)
            out[name] = value_at(times, series, when)
        if event_log is not None and ids is not None:
            out |= {f"patterns.{k}": v for k, v in
                    authority_patterns(observed, times, event_log, ids).items()}
    return out


def authority_patterns(observed: pd.DataFrame, times: np.ndarray, event_log: dict,
                       ids: np.ndarray) -> dict[str, float]:
    """Simulated values of the patterns about one named authority (``scope`` its agent_id).

    1 if its journey is at or beyond the measure's stage and not ended at the pattern's time,
    else 0; NaN outside the run, or if the authority is not in the run.
    """
    out: dict[str, float] = {}
    named = observed[~observed["scope"].isin(list(SCOPES))]
    for row in named.itertuples():
        where = np.flatnonzero(ids == row.scope)
        if not len(where) or not times[0] - 1e-9 <= row.time <= times[-1] + 1e-9:
            out[row.metric] = math.nan
            continue
        mine = np.flatnonzero((event_log["agent"] == where[0])
                              & (event_log["approach"] == APPROACHES.index(row.approach))
                              & (event_log["time"] <= row.time + 1e-9))
        if not len(mine):
            out[row.metric] = 0.0
            continue
        last = mine[-1]
        alive = event_log["kind"][last] != KINDS.index("end")
        out[row.metric] = float(alive and event_log["to_stage"][last] >= MEASURES[row.measure])
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


def _patterns(observed: pd.DataFrame) -> list[tuple[str, str, list[int], int, float]]:
    """Name, measure, nation indices, approach index and time of each observed pattern.

    Read once per table (the observed table is loaded once per process).
    """
    def build() -> tuple[pd.DataFrame, list[tuple]]:
        counted = observed[observed["scope"].isin(list(SCOPES))]
        columns = (counted[c].tolist() for c in ("metric", "measure", "scope", "approach",
                                                  "time"))
        return observed, [(f"patterns.{metric}", measure,
                           [NATIONS.index(n) for n in SCOPES[scope]],
                           APPROACHES.index(approach), when)
                          for metric, measure, scope, approach, when
                          in zip(*columns, strict=True)]

    return _PATTERNS.get(id(observed), build)[1]
