"""Summary metrics of one run (MODEL.md 7) and the simulated values of the observed patterns (8)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from sim.config import APPROACHES, NATIONS

SCOPES: dict[str, tuple[str, ...]] = {
    "UK": NATIONS,
    "England and Wales": ("England", "Wales"),
    "England": ("England",),
    "Wales": ("Wales",),
    "Scotland": ("Scotland",),
    "Northern Ireland": ("Northern Ireland",),
}
MEASURES: dict[str, int] = {"engaged": 1, "implementing": 3, "integrating": 4}


def measure_counts(counts: np.ndarray, measure: str, scope: str = "UK") -> np.ndarray:
    """Journeys at or beyond a measure's stage and not ended, shape (steps, approaches).

    ``counts`` has shape (steps, nations, approaches, stages, statuses).
    """
    nations = [NATIONS.index(n) for n in SCOPES[scope]]
    alive = counts[:, nations, :, MEASURES[measure]:, :2]
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
                    observed: pd.DataFrame | None) -> dict[str, float]:
    """Flat ``name -> value`` metrics; NaN marks what the run cannot say (e.g. out of window)."""
    engaged = measure_counts(counts, "engaged")
    integrated = measure_counts(counts, "integrating")
    out: dict[str, float] = {}
    for a, name in enumerate(APPROACHES):
        share_e, share_i = engaged[:, a] / size, integrated[:, a] / size
        years, per_year = np.unique(np.floor(uptake[a] - dt + 1e-9), return_counts=True)
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
            f"{name}.peak_uptake_year": (float(years[np.argmax(per_year)]) if len(years)
                                         else math.nan),
            f"{name}.clustering_moran_i": clustering.get(name, math.nan),
            f"{name}.spend_gbp_m": float(spend[a]) / 1e6,
            f"{name}.outcome_end": float(outcome_end[a]),
            f"{name}.outcome_years_per_gbp_m": (float(outcome_years[a]) / (spend[a] / 1e6)
                                                if spend[a] > 0 else math.nan),
        }
    if observed is not None:
        cache: dict[tuple[str, str], np.ndarray] = {}
        columns = (observed[c].tolist() for c in ("metric", "measure", "scope", "approach",
                                                   "time"))
        for metric, measure, scope, approach, when in zip(*columns, strict=True):
            if (measure, scope) not in cache:
                cache[measure, scope] = measure_counts(counts, measure, scope)
            series = cache[measure, scope][:, APPROACHES.index(approach)]
            out[f"patterns.{metric}"] = value_at(times, series, when)
    return out
