"""The lazy greedy search (CELF) and brute force on objectives whose answer is known."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from sim.targeting.search import brute_force, lazy_greedy
from sim.targeting.strategies import (
    Candidates,
    fill,
    most_connected,
    most_deprived,
    most_ready,
    one_per_region,
)


def coverage(seed: int, sites: int = 14, items: int = 40):
    """A weighted coverage objective (submodular) and a counter of the sets it evaluated."""
    rng = np.random.default_rng(seed)
    covers = rng.random((sites, items)) < 0.15
    weight = rng.random(items)
    asked: list[tuple[int, ...]] = []

    def evaluate(sets):
        asked.extend(sets)
        return [float(weight[covers[list(s)].any(axis=0)].sum()) if s else 0.0 for s in sets]
    return evaluate, asked


def plain_greedy(evaluate, candidates, k):
    chosen: list[int] = []
    for _ in range(k):
        rest = [c for c in candidates if c not in chosen]
        values = evaluate([tuple(sorted((*chosen, c))) for c in rest])
        chosen.append(rest[int(np.argmax(values))])
    return sorted(chosen)


@pytest.mark.parametrize("seed", range(8))
def test_celf_chooses_what_plain_greedy_chooses(seed):
    evaluate, asked = coverage(seed)
    chosen, value, evaluated = lazy_greedy(evaluate, list(range(14)), np.ones(14), 4)
    assert chosen == plain_greedy(coverage(seed)[0], list(range(14)), 4)
    assert value == pytest.approx(evaluate([tuple(chosen)])[0], abs=1e-12)
    # lazily: fewer evaluations than plain greedy's 14 + 13 + 12 + 11 (plus the empty set)
    assert evaluated == len(set(asked)) < 1 + 14 + 13 + 12 + 11


@pytest.mark.parametrize("seed", range(8))
def test_greedy_reaches_the_submodular_guarantee(seed):
    """Greedy on a monotone submodular objective is within 1 - 1/e of the best set
    (Nemhauser, Wolsey & Fisher 1978); on these it is usually the best itself."""
    evaluate, _ = coverage(seed)
    _, value, _ = lazy_greedy(evaluate, list(range(14)), np.ones(14), 3)
    best, best_value, values = brute_force(evaluate, list(range(14)), 3)
    assert len(values) == 364 and len(best) == 3
    assert best_value == max(values.values())
    assert value >= (1 - 1 / np.e) * best_value - 1e-12


def test_a_budget_in_pounds_is_never_exceeded():
    evaluate, _ = coverage(3)
    cost = np.random.default_rng(0).uniform(1, 4, 14)
    chosen, value, _ = lazy_greedy(evaluate, list(range(14)), cost, 6.0)
    assert cost[chosen].sum() <= 6.0 + 1e-9
    # the better of the gain and gain-per-pound searches: no feasible single site beats it
    assert value >= max(evaluate([(i,)])[0] for i in range(14) if cost[i] <= 6.0)
    feasible = [s for k in (1, 2, 3) for s in itertools.combinations(range(14), k)
                if cost[list(s)].sum() <= 6.0]
    best = max(evaluate(feasible))
    assert value >= 0.5 * (1 - 1 / np.e) * best     # Leskovec et al. 2007's bound


def candidates() -> Candidates:
    return Candidates(
        eligible=np.array([True, True, False, True, True, True]),
        readiness=np.array([0.5, 0.9, 1.0, 0.2, 0.7, 0.6]),
        strength=np.array([3.0, 1.0, 9.0, 2.0, 5.0, 0.0]),
        region=np.array([0, 0, 1, 1, 2, 2]),
        need=np.array([0.1, 0.3, 0.9, 0.8, 0.5, 0.95]),
        cost=np.array([1.0, 1.0, 1.0, 1.0, 2.0, 1.0]))


def test_the_rules_rank_eligible_authorities():
    c = candidates()
    assert most_ready(c) == [1, 4, 5, 0, 3]              # 2 is not eligible
    assert most_connected(c) == [4, 0, 3, 1, 5]
    assert most_deprived(c) == [5, 3, 4, 1, 0]
    # each region's most ready first (regions by their best), then the next of each
    assert one_per_region(c) == [1, 4, 3, 0, 5]
    assert fill(most_ready(c), c.cost, 3.0) == [1, 4]     # 1 + 2 = 3: the budget is spent
    assert fill(most_ready(c), np.ones(6), 2.0) == [1, 4]
