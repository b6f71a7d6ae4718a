"""What a run records each step: counts, sums of the journeys' fields, and the event log.

Counts by region and by deprivation quintile; nation sums of every field; the outcome index
summed by region and by quintile.
"""

from __future__ import annotations

import numpy as np

from sim.mechanics.network import Network
from sim.mechanics.population import Population
from sim.mechanics.state import CODES, FIELDS, Evidence, JourneyState, StepEvents
from sim.vocabulary import APPROACHES, ENDED, MEASURES, NATIONS, QUINTILES

_WIDTH = len(APPROACHES)
_OUTCOME = FIELDS.index("outcome")


class Recorder:
    """Per-step counts and sums of the journeys, and the event log.

    Attributes:
        counts: journeys by step, region, approach, stage and status.
        quintile_counts: the same by deprivation quintile instead of region
            (:attr:`sim.mechanics.population.Population.quintile`).
        sums: nation sums of every journey field, shape (steps, fields, nations, approaches).
        outcome_sums: the outcome index summed by region, then by quintile, shape (steps,
            regions + quintiles, approaches).
    """

    def __init__(self, population: Population, network: Network, steps: int):
        self.population, self.network = population, network
        n = population.size
        regions = len(population.regions)
        self.counts = np.zeros((steps, regions, _WIDTH, 7, 3), np.int32)
        self.quintile_counts = np.zeros((steps, QUINTILES, _WIDTH, 7, 3), np.int32)
        self.sums = np.zeros((steps, len(FIELDS), len(NATIONS), _WIDTH))
        self.outcome_sums = np.zeros((steps, regions + QUINTILES, _WIDTH))
        quintile = population.quintile
        self._quintile_base = quintile[:, None] * _WIDTH * CODES
        self._groups = np.concatenate((
            population.region[None, :] == np.arange(regions)[:, None],
            quintile[None, :] == np.arange(QUINTILES)[:, None])).astype(float)
        self.clustering: dict[str, float] = {}
        self._events: list[dict[str, np.ndarray]] = []
        self._base = population.region[:, None] * _WIDTH * CODES
        self._onehot = (population.nation[None, :] ==
                        np.arange(len(NATIONS))[:, None]).astype(float)
        # counts of one step @ this = engaged (stage >= 1, not ended) journeys per approach
        engaged = np.zeros((regions, _WIDTH, 7, 3, _WIDTH), np.int64)
        for a in range(_WIDTH):
            engaged[:, a, MEASURES["engaged"]:, :2, a] = 1
        self._engaged = engaged.reshape(-1, _WIDTH)
        self._n = n

    def record(self, k: int, t1: float, state: JourneyState, events: StepEvents,
               code: np.ndarray) -> None:
        """Record step k (ending at t1); ``code`` is every journey's code (see Mechanics)."""
        counts = np.bincount((self._base + code).ravel(), minlength=self.counts[k].size)
        self.counts[k] = counts.reshape(self.counts.shape[1:])
        self.quintile_counts[k] = np.bincount(
            (self._quintile_base + code).ravel(),
            minlength=self.quintile_counts[k].size).reshape(self.quintile_counts.shape[1:])
        np.matmul(self._onehot, state.fields, out=self.sums[k])
        np.matmul(self._groups, state.fields[_OUTCOME], out=self.outcome_sums[k])
        if len(events.agent):
            self.add_events(time=np.full(len(events.agent), t1), agent=events.agent,
                            approach=events.approach, from_stage=events.from_stage,
                            to_stage=events.to_stage, kind=events.kind, reason=events.reason,
                            evidence=events.evidence)
        if len(self.clustering) < _WIDTH:
            engaged = counts @ self._engaged
            for a, name in enumerate(APPROACHES):
                if name not in self.clustering and 4 * engaged[a] >= self._n:
                    self.first_quarter(name, (state.stage[:, a] >= MEASURES["engaged"]) & (
                        state.status[:, a] != ENDED))

    def add_events(self, **columns: np.ndarray) -> None:
        """Append events: arrays named as in :meth:`event_arrays`, one entry per event."""
        self._events.append(columns)

    def first_quarter(self, approach: str, live: np.ndarray) -> None:
        """An approach has just engaged a quarter of the agents (``live``): its clustering."""
        self.clustering[approach] = self.network.moran(live)

    def event_arrays(self) -> dict[str, np.ndarray]:
        """The event log as concatenated arrays."""
        if not self._events:
            empty = np.zeros(0, np.int64)
            return {"time": np.zeros(0), "agent": empty, "approach": empty,
                    "from_stage": empty, "to_stage": empty, "kind": empty, "reason": empty,
                    "evidence": np.zeros((len(Evidence), 0))}
        return {name: np.concatenate([chunk[name] for chunk in self._events],
                                     axis=1 if name == "evidence" else 0)
                for name in _EVENT_COLUMNS}


_EVENT_COLUMNS = ("time", "agent", "approach", "from_stage", "to_stage", "kind", "reason",
                  "evidence")
