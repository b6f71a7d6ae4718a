"""What a run scores under a targeting objective, and what it says about the equity gap.

Every value is read from a run that ends at the horizon, for one approach, with each
deprivation quintile weighted (all weights 1 unless the objective is equity-weighted):

- ``integrating``: the weighted count of authorities integrating (at or beyond Integrating,
  not ended) at the horizon;
- ``years_to_half_engaged``: years from the start until the weighted share engaged first
  reaches one half, censored at the horizon (the score is its negative: sooner is better);
- ``outcome_years``: the weighted sum over quarters from the start of the outcome index, in
  years.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.output.equity import group_shares, quintile_gap, quintile_sizes
from sim.output.metrics import uptake_counts
from sim.vocabulary import APPROACHES, MEASURES

_ENGAGED, _INTEGRATING = (list(MEASURES).index(m) for m in ("engaged", "integrating"))


@dataclass(frozen=True)
class Objective:
    """A targeting objective: its kind, approach, start and quintile weights (plain data)."""

    kind: str
    approach: str
    start: float
    weights: tuple[float, ...]

    def values(self, result) -> dict[str, float]:
        """The run's score, value, integrating count and equity gaps for the approach.

        ``score`` is higher for better, ``value`` in the objective's own units; the count and
        the gaps (integrating and outcome, most less least deprived fifth) at the horizon.
        """
        a = APPROACHES.index(self.approach)
        times, dt = result.times, result.config.time.dt
        regions = len(result.population.regions)
        counts = result.quintile_counts[:, :, a:a + 1]           # (steps, 5, 1, stages, statuses)
        steps, quintiles = counts.shape[:2]
        alive = uptake_counts(counts.reshape(steps * quintiles, 1, *counts.shape[2:]))
        alive = alive.reshape(steps, quintiles, len(MEASURES))
        w = np.asarray(self.weights)
        sizes = quintile_sizes(result.population.quintile)
        after = times > self.start + 1e-9
        if self.kind == "integrating":
            value = float(alive[-1, :, _INTEGRATING] @ w)
            score = value
        elif self.kind == "years_to_half_engaged":
            share = (alive[:, :, _ENGAGED] @ w) / float(sizes @ w)
            reached = np.flatnonzero(after & (share >= 0.5 - 1e-9))
            value = float((times[reached[0]] if len(reached) else times[-1]) - self.start)
            score = -value
        else:
            outcome = result.outcome_sums[:, regions:, a] @ w
            value = float(dt * outcome[after].sum())
            score = value
        shares = group_shares(result.quintile_counts[-1:], result.outcome_sums[-1:, regions:],
                              sizes)
        gap = quintile_gap(shares)[0, a]
        return {"score": score, "value": value,
                "integrating": float(alive[-1, :, _INTEGRATING].sum()),
                "gap_integrating": float(gap[1]), "gap_outcome": float(gap[2])}
