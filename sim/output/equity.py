"""The equity lens: uptake, integration and outcomes by nation, region and deprivation quintile.

Each nation's authorities are split into fifths by their within-nation deprivation rank
(:attr:`sim.mechanics.population.Population.quintile`; the nations' indices of deprivation are
not comparable with each other). For every group the lens reports, at every step, the share of
its authorities engaged and integrating (at or beyond Mobilising, or Integrating, and not
ended) and the mean outcome index; the gap is the most deprived fifth less the least deprived.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.output.metrics import uptake_counts
from sim.vocabulary import (
    APPROACHES,
    EQUITY_GROUPS,
    GAP_NAME,
    MEASURES,
    NATIONS,
    QUINTILE_NAMES,
    QUINTILES,
)

#: What the lens measures of each group, in its table's column order.
EQUITY_MEASURES = ("engaged", "integrating", "outcome")
_ENGAGED, _INTEGRATING = (list(MEASURES).index(m) for m in ("engaged", "integrating"))


def group_shares(counts: np.ndarray, outcome_sums: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """Engaged share, integrating share and mean outcome of each group at every step.

    ``counts`` (steps, groups, approaches, stages, statuses), ``outcome_sums`` (steps, groups,
    approaches) and ``sizes`` (groups,); the result has shape (steps, groups, approaches, 3)
    in :data:`EQUITY_MEASURES` order, NaN for a group without authorities.
    """
    steps, groups = counts.shape[:2]
    alive = uptake_counts(counts.reshape(steps * groups, 1, *counts.shape[2:]))
    alive = alive.reshape(steps, groups, counts.shape[2], len(MEASURES))
    with np.errstate(invalid="ignore", divide="ignore"):
        size = np.where(sizes > 0, sizes, np.nan)[None, :, None]
        return np.stack((alive[..., _ENGAGED] / size, alive[..., _INTEGRATING] / size,
                         outcome_sums / size), axis=-1)


def quintile_sizes(quintile: np.ndarray) -> np.ndarray:
    """Authorities in each deprivation quintile."""
    return np.bincount(quintile, minlength=QUINTILES).astype(float)


def quintile_gap(shares: np.ndarray) -> np.ndarray:
    """The most deprived quintile less the least deprived: shape (steps, approaches, 3).

    ``shares`` is :func:`group_shares` by quintile.
    """
    return shares[:, QUINTILES - 1] - shares[:, 0]


def equity_arrays(population, region_counts: np.ndarray, quintile_counts: np.ndarray,
                  nation_counts: np.ndarray, nation_outcome: np.ndarray,
                  outcome_sums: np.ndarray) -> tuple[list[tuple[str, str]], np.ndarray,
                                                     np.ndarray]:
    """Every group of the lens: its (group, name), shares and size, the gap last.

    The groups are the UK, each nation, region and quintile with authorities, then the gap;
    the shares have shape (steps, groups, approaches, 3) in :data:`EQUITY_MEASURES` order and
    the sizes shape (groups,) (0 for the gap). The counts and sums are the recorder's, at the
    steps wanted.
    """
    regions = len(population.regions)
    blocks = [
        ("UK", ("UK",), nation_counts.sum(axis=1, keepdims=True),
         nation_outcome.sum(axis=1, keepdims=True), np.array([population.size], float)),
        ("nation", NATIONS, nation_counts, nation_outcome,
         np.bincount(population.nation, minlength=len(NATIONS)).astype(float)),
        ("region", population.regions, region_counts, outcome_sums[:, :regions],
         np.bincount(population.region, minlength=regions).astype(float)),
        ("quintile", QUINTILE_NAMES, quintile_counts, outcome_sums[:, regions:],
         quintile_sizes(population.quintile)),
    ]
    labels, shares, sizes = [], [], []
    for group, names, counts, outcome, size in blocks:
        keep = size > 0
        mine = group_shares(counts, outcome, size)
        labels += [(group, n) for n, k in zip(names, keep, strict=True) if k]
        shares.append(mine[:, keep])
        sizes.append(size[keep])
    labels.append(("gap", GAP_NAME))
    shares.append(quintile_gap(mine)[:, None])
    sizes.append(np.zeros(1))
    return labels, np.concatenate(shares, axis=1), np.concatenate(sizes)


def equity_table(times: np.ndarray, population, region_counts: np.ndarray,
                 quintile_counts: np.ndarray, nation_counts: np.ndarray,
                 nation_outcome: np.ndarray, outcome_sums: np.ndarray) -> pd.DataFrame:
    """One row per step x group x approach: the shares engaged and integrating, the mean outcome.

    ``group`` is one of :data:`sim.vocabulary.EQUITY_GROUPS` and ``name`` the nation, region,
    quintile or the gap; ``authorities`` is the group's size (0 for the gap). Rows come group
    by group (:func:`equity_arrays`), each group's step by step.
    """
    labels, shares, sizes = equity_arrays(population, region_counts, quintile_counts,
                                          nation_counts, nation_outcome, outcome_sums)
    frame = pd.concat([_long(times, group, name, shares[:, g], sizes[g])
                       for g, (group, name) in enumerate(labels)], ignore_index=True)
    frame["group"] = pd.Categorical(frame["group"], EQUITY_GROUPS)
    return frame


def _long(times: np.ndarray, group: str, name: str, shares: np.ndarray,
          size: float) -> pd.DataFrame:
    """One group's :func:`group_shares` (steps, approaches, 3) as rows of :func:`equity_table`."""
    steps, width = shares.shape[:2]
    frame = pd.DataFrame({
        "time": np.repeat(times, width), "group": group, "name": name,
        "approach": pd.Categorical.from_codes(np.tile(np.arange(width), steps), APPROACHES),
        "authorities": np.full(steps * width, size, np.int32),
    })
    for m, measure in enumerate(EQUITY_MEASURES):
        frame[measure] = shares[..., m].reshape(-1)
    return frame


def gap_series(quintile_counts: np.ndarray, outcome_sums: np.ndarray,
               quintile: np.ndarray) -> np.ndarray:
    """The gap, most less least deprived quintile, at every step: (steps, approaches, 3).

    In :data:`EQUITY_MEASURES` order; ``outcome_sums`` holds the quintiles' sums only; NaN
    where a quintile has no authorities.
    """
    return quintile_gap(group_shares(quintile_counts, outcome_sums, quintile_sizes(quintile)))
