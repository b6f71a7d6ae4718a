"""The dynamic state of every journey, and the record of what one step changed.

All state is structure-of-arrays: journey arrays have shape (agents, approaches), agent arrays
shape (agents,). A journey is also known by its *code*, ``approach * CODES + stage * 3 +
status``, which indexes the per-journey constant tables (:mod:`sim.mechanics.tables`).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from enum import IntEnum

import numpy as np

from sim.vocabulary import CONDITIONS, STATUSES

CODES = 7 * len(STATUSES)       # journey codes per approach: stage * 3 + status
FIELDS: tuple[str, ...] = (*CONDITIONS, "readiness", "spend", "outcome")


@dataclass
class JourneyState:
    """Dynamic state of every agent and journey (structure of arrays).

    ``fields`` holds, for every journey, the five conditions and readiness C of the last step,
    the spend so far (GBP) and the outcome index: shape (8, agents, approaches), in the order
    of :data:`FIELDS`; the properties below are views into it.
    """

    stage: np.ndarray
    status: np.ndarray
    coproduction: np.ndarray
    funded_until: np.ndarray
    ended_at: np.ndarray
    integrated_since: np.ndarray
    integrated_ever: np.ndarray
    culture: np.ndarray
    culture_initial: np.ndarray
    workforce: np.ndarray
    leader_changed_at: np.ndarray
    compliance_until: np.ndarray
    exposure: np.ndarray
    fields: np.ndarray

    def copy(self) -> JourneyState:
        """An independent copy (every array copied)."""
        return JourneyState(**{f.name: getattr(self, f.name).copy() for f in fields(self)})

    @property
    def conditions(self) -> np.ndarray:
        """Case, workforce, design, culture and macro conditions, shape (5, agents, approaches)."""
        return self.fields[:5]

    @property
    def readiness(self) -> np.ndarray:
        """Readiness C, the weighted geometric mean of the five conditions."""
        return self.fields[5]

    @property
    def spend(self) -> np.ndarray:
        """Spend so far in GBP."""
        return self.fields[6]

    @property
    def outcome(self) -> np.ndarray:
        """Outcome index, 0-1."""
        return self.fields[7]


class Evidence(IntEnum):
    """Rows of a step's evidence: what each journey that moved decided on.

    The five conditions and readiness C, the four prompting terms (national policy, peers,
    need, re-prompting from the authority's own Wider system change), whether programme funding
    carried it, and the two pause hazards (workforce crisis, loss of momentum).
    """

    CASE = 0
    WORKFORCE = 1
    DESIGN = 2
    CULTURE = 3
    MACRO = 4
    READINESS = 5
    POLICY = 6
    PEERS = 7
    NEED = 8
    REPROMPT = 9
    FUNDED = 10
    CRISIS = 11
    MOMENTUM = 12


@dataclass(frozen=True)
class StepEvents:
    """Transitions of one step: one entry per journey that changed.

    ``reason`` is a code into the reasons list, or -1 for a hazard-driven move, which
    :func:`sim.mechanics.reasons.explain` turns into a code from ``evidence``, shape
    (len(Evidence), moves), whose rows are named by :class:`Evidence`.
    """

    agent: np.ndarray
    approach: np.ndarray
    from_stage: np.ndarray
    to_stage: np.ndarray
    kind: np.ndarray
    reason: np.ndarray
    evidence: np.ndarray
