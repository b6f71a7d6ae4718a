"""The rules that choose funded sites: each ranks the eligible authorities, a budget takes them.

A budget takes the ranked authorities in order while it lasts.

An authority is eligible when, in most of the seed set's runs, its journey in the approach is
before the funded stage at the start (or ended): funding a site that is already there buys
nothing but the funding boost.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Candidates:
    """What the rules know of every authority at the start (one entry per authority).

    Attributes:
        eligible: True where the authority may be funded.
        readiness: mean readiness for the approach at the start, over the seed set's runs.
        strength: the sum of its ties' weights in the always-on network (border and
            statistical-neighbour ties).
        region: region index.
        need: within-nation deprivation rank, 0 (least) to 1 (most deprived).
        cost: the model's cost of funding it (GBP), or 1 for a count of sites.
    """

    eligible: np.ndarray
    readiness: np.ndarray
    strength: np.ndarray
    region: np.ndarray
    need: np.ndarray
    cost: np.ndarray

    def ranked(self, key: np.ndarray) -> list[int]:
        """Eligible authorities by ``key``, highest first (ties: the lower index first)."""
        order = np.lexsort((np.arange(len(key)), -key))
        return [int(i) for i in order if self.eligible[i]]


def most_ready(c: Candidates) -> list[int]:
    """Highest readiness at the start first (as the CS Scale-Up chose its sites)."""
    return c.ranked(c.readiness)


def most_connected(c: Candidates) -> list[int]:
    """Strongest ties first."""
    return c.ranked(c.strength)


def most_deprived(c: Candidates) -> list[int]:
    """Most deprived first (within-nation rank; ties: the more ready)."""
    return c.ranked(c.need + 1e-6 * c.readiness)


def one_per_region(c: Candidates) -> list[int]:
    """The most ready of each region, then the second most ready of each, and so on.

    Within a round, regions come in the order of their most ready authority.
    """
    by_region: dict[int, list[int]] = {}
    for i in most_ready(c):
        by_region.setdefault(int(c.region[i]), []).append(i)
    order, depth = [], 0
    while any(len(v) > depth for v in by_region.values()):
        order += [v[depth] for v in by_region.values() if len(v) > depth]
        depth += 1
    return order


RULES = {"most_ready": most_ready, "most_connected": most_connected,
         "most_deprived": most_deprived, "one_per_region": one_per_region}


def random_order(c: Candidates, rng: np.random.Generator) -> list[int]:
    """The eligible authorities in a random order."""
    eligible = np.flatnonzero(c.eligible)
    return [int(i) for i in rng.permutation(eligible)]


def fill(order: list[int], cost: np.ndarray, budget: float) -> list[int]:
    """Take authorities in ``order`` while the budget lasts (skipping any that do not fit)."""
    chosen, spent = [], 0.0
    for i in order:
        if spent + cost[i] <= budget + 1e-9:
            chosen.append(i)
            spent += cost[i]
    return sorted(chosen)
