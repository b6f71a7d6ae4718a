"""What a run records each step: counts by region, nation sums of every field, the event log."""

from __future__ import annotations

import numpy as np

from sim.mechanics.network import Network
from sim.mechanics.population import Population
from sim.mechanics.state import CODES, FIELDS, Evidence, JourneyState, StepEvents
from sim.vocabulary import APPROACHES, ENDED, MEASURES, NATIONS

_WIDTH = len(APPROACHES)


class Recorder:
    """Per-step counts by region, nation sums of every journey field, and the event log."""

    def __init__(self, population: Population, network: Network, steps: int):
        self.population, self.network = population, network
        n = population.size
        regions = len(population.regions)
        self.counts = np.zeros((steps, regions, _WIDTH, 7, 3), np.int32)
        self.sums = np.zeros((steps, len(FIELDS), len(NATIONS), _WIDTH))
        self.clustering: dict[str, float] = {}
        self._events: list[tuple[float, StepEvents]] = []
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
        np.matmul(self._onehot, state.fields, out=self.sums[k])
        if len(events.agent):
            self._events.append((t1, events))
        if len(self.clustering) < _WIDTH:
            engaged = counts @ self._engaged
            for a, name in enumerate(APPROACHES):
                if name not in self.clustering and 4 * engaged[a] >= self._n:
                    live = (state.stage[:, a] >= MEASURES["engaged"]) & (
                        state.status[:, a] != ENDED)
                    self.clustering[name] = self.network.moran(live)

    def event_arrays(self) -> dict[str, np.ndarray]:
        """The event log as concatenated arrays."""
        if not self._events:
            empty = np.zeros(0, np.int64)
            return {"time": np.zeros(0), "agent": empty, "approach": empty,
                    "from_stage": empty, "to_stage": empty, "kind": empty, "reason": empty,
                    "evidence": np.zeros((len(Evidence), 0))}
        return {
            "time": np.repeat([t for t, _ in self._events],
                              [len(e.agent) for _, e in self._events]),
            **{name: np.concatenate([getattr(e, name) for _, e in self._events])
               for name in ("agent", "approach", "from_stage", "to_stage", "kind", "reason")},
            "evidence": np.concatenate([e.evidence for _, e in self._events], axis=1),
        }
