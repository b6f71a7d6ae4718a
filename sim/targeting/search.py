"""The optimised strategy: a lazy greedy search (CELF), and brute force to check it.

``evaluate(sets)`` gives the objective of each candidate set (the mean score over a seed set,
on common random numbers, so that the same set always gets the same value). The greedy search
adds, one at a time, the site with the largest marginal gain (per pound, under a budget in
pounds). CELF (Leskovec et al. 2007, "Cost-effective outbreak detection in networks", KDD)
keeps every site's last computed gain as an upper bound and re-computes only the sites at the
top of that list; when the objective is submodular (adding a site to a bigger set gains no
more), it chooses the sets plain greedy would, with far fewer evaluations. Under a budget in
pounds it runs both the gain and the gain-per-pound searches and keeps the better (as
Leskovec et al. do), which bounds its shortfall. Brute force evaluates every set of a given
size.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable, Sequence

import numpy as np

Evaluate = Callable[[list[tuple[int, ...]]], list[float]]
#: stale candidates re-evaluated at a time: a fixed number (not the number of workers), so
#: the search and its result do not depend on how many workers evaluate the sets
BATCH = 4


def lazy_greedy(evaluate: Evaluate, candidates: Sequence[int], cost: np.ndarray,
                budget: float) -> tuple[list[int], float, int]:
    """The CELF set within ``budget``: its sites, its objective and the sets evaluated.

    With every cost 1 the budget is a number of sites and one search runs; otherwise the gain
    and gain-per-pound searches both run and the better set is returned.
    """
    unit = bool(np.all(cost[list(candidates)] == 1.0)) if len(candidates) else True
    runs = [_lazy_greedy(evaluate, candidates, cost, budget, per_pound=False)]
    if not unit:
        runs.append(_lazy_greedy(evaluate, candidates, cost, budget, per_pound=True))
    best = max(runs, key=lambda r: r[1])
    return best[0], best[1], sum(r[2] for r in runs)


def _lazy_greedy(evaluate: Evaluate, candidates: Sequence[int], cost: np.ndarray,
                 budget: float, per_pound: bool) -> tuple[list[int], float, int]:
    base = evaluate([()])[0]
    singles = evaluate([(c,) for c in candidates])
    evaluated = 1 + len(candidates)
    # heap of (-key, site, round its gain was computed in, the objective with it then): ties
    # by the lower site
    heap = [(-_key(v - base, cost[c], per_pound), c, 0, v)
            for c, v in zip(candidates, singles, strict=True)]
    heapq.heapify(heap)
    chosen: list[int] = []
    value, spent = base, 0.0
    while heap:
        heap = [e for e in heap if spent + cost[e[1]] <= budget + 1e-9]
        heapq.heapify(heap)
        if not heap:
            break
        if heap[0][2] == len(chosen):            # its gain is fresh: the best there is
            _, site, _, value = heapq.heappop(heap)
            chosen.append(site)
            spent += cost[site]
            continue
        stale = [heapq.heappop(heap) for _ in range(min(BATCH, len(heap)))
                 if heap and heap[0][2] != len(chosen)]
        sets = [tuple(sorted((*chosen, e[1]))) for e in stale]
        values = evaluate(sets)
        evaluated += len(sets)
        for e, v in zip(stale, values, strict=True):
            heapq.heappush(heap, (-_key(v - value, cost[e[1]], per_pound), e[1], len(chosen),
                                  v))
    return sorted(chosen), value, evaluated


def _key(gain: float, cost: float, per_pound: bool) -> float:
    return gain / cost if per_pound else gain


def brute_force(evaluate: Evaluate, candidates: Sequence[int], k: int
                ) -> tuple[list[int], float, dict[tuple[int, ...], float]]:
    """The best set of ``k`` sites by evaluating every one; also every set's objective."""
    sets = [tuple(s) for s in itertools.combinations(sorted(candidates), k)]
    values = dict(zip(sets, evaluate(sets), strict=True))
    best = max(sets, key=lambda s: (values[s], [-i for i in s]))
    return list(best), values[best], values
