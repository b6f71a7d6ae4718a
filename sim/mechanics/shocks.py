"""Phases 1 and 2 of a step: dated events and agent-level shocks (ODD 7.7-7.10).

Dated events: named authorities (or whole nations) are seeded at a stage, perhaps with a
funded programme; when a programme ends, its journeys pause, or end early ones with a chance
graded by how far the budget is below the poverty-trap threshold (the poverty trap).

Agent-level shocks: a change of director pauses working journeys and may
send paused ones back a stage; an Ofsted inadequate judgement pauses every working journey
for a compliance focus of one to two years and lowers the culture.

These events are forced: they move journeys before the hazards are drawn, and a journey
that a forced event moved does not move again in the step.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.mechanics import hazards
from sim.mechanics.compiler import INDEX, WIDTH, kernel
from sim.mechanics.reasons import KIND, REASON
from sim.mechanics.state import JourneyState
from sim.mechanics.tables import BUCKETS
from sim.vocabulary import ACTIVE, APPROACHES, DEVELOPING, ENDED, PAUSED

if TYPE_CHECKING:
    from sim.mechanics.journeys import Journeys

EPS = 1e-9
_APPROACH_INDEX = np.arange(len(APPROACHES))


def seed(run: Journeys, s: JourneyState, k: int, kind: np.ndarray, reason: np.ndarray) -> bool:
    """Apply the step's seeding events; True if any journey moved."""
    forced = False
    for seeding in run.timeline.seedings[k]:
        rows, a = seeding.agents, seeding.approach
        s.funded_until[rows, a] = np.maximum(s.funded_until[rows, a], seeding.funded_until)
        run.funded_until_max = max(run.funded_until_max, seeding.funded_until)
        moves = (s.stage[rows, a] < seeding.stage) | (s.status[rows, a] != ACTIVE)
        rows = rows[moves & (kind[rows, a] < 0)]
        if len(rows):
            s.stage[rows, a] = np.maximum(s.stage[rows, a], seeding.stage)
            s.status[rows, a] = ACTIVE
            s.ended_at[rows, a] = np.nan
            kind[rows, a] = KIND["seed"]
            reason[rows, a] = run.reason_of[seeding.label]
            forced = True
    return forced


def programme_ends(run: Journeys, s: JourneyState, row: int, t0: float, t1: float,
                   u: np.ndarray, kind: np.ndarray, reason: np.ndarray) -> bool:
    """Funded programmes ending in the step: pause, or end by the graded poverty trap.

    A journey at Developing or earlier ends with probability (b* - b) / b* where its
    authority's budget index b is below the threshold b* (``shocks.poverty_budget``);
    otherwise it pauses with ``shocks.programme_end_pause_probability``. True if any ended.
    """
    ending = ((s.funded_until >= t0 - EPS) & (s.funded_until < t1 - EPS) & (s.stage >= 1)
              & (s.status != ENDED) & (kind < 0))
    threshold = run.config.shocks.poverty_budget
    gap = np.clip((threshold - run.per_agent(run.tables.budget[row])) / threshold, 0.0, 1.0)
    # the poverty trap, graded by the budget gap: the deeper below the threshold, the likelier
    # an early journey ends when its funding stops
    poor = ending & (s.stage <= DEVELOPING) & (u < gap[:, None])
    s.status[poor] = ENDED
    s.ended_at[poor] = t1
    kind[poor] = KIND["end"]
    reason[poor] = REASON["funded programme ended with a low budget (poverty trap)"]
    # otherwise it pauses with the programme's pause probability (the same uniform, rescaled,
    # so the two decisions are one draw)
    rest = (u - gap[:, None]) / np.maximum(1.0 - gap[:, None], 1e-12)
    pause = ending & ~poor & (s.status == ACTIVE) & (
        rest < run.config.shocks.programme_end_pause_probability)
    s.status[pause] = PAUSED
    kind[pause] = KIND["pause"]
    reason[pause] = REASON["funded programme ended"]
    return bool(ending.any())


def agent_shocks(run: Journeys, s: JourneyState, code: np.ndarray, t0: float, x: float,
                 u_agent: np.ndarray, u: np.ndarray, kind: np.ndarray, reason: np.ndarray,
                 forced: bool) -> bool:
    """Changes of director and Ofsted inadequate judgements (on the few agents hit).

    Their moves change the journey codes ``code`` in place; stage and status follow from
    the codes when the step's moves apply. ``x`` is the step's hazard scale, ``forced`` says
    whether earlier events of the step have already moved some journeys, which then cannot
    move again. Returns ``forced``, updated.
    """
    sh = run.config.shocks
    if x not in run.shock_probability:
        run.shock_probability[x] = (
            -np.expm1(-sh.leadership_change_rate * x * run.dt), -run.inadequate * x)
    leader_probability, inadequate_exponent = run.shock_probability[x]
    leaders = (u_agent[:, 0] < leader_probability).nonzero()[0]
    if len(leaders):
        s.leader_changed_at[leaders] = t0
        forced |= director_changes(run, journeys_of(leaders), u, code, kind, reason, forced)
    # an inadequate judgement: hazard rate * 2 (1 - culture)
    hit = (u_agent[:, 1] < -np.expm1(inadequate_exponent * (1.0 - s.culture))).nonzero()[0]
    if len(hit):
        forced |= inadequate(run, s, hit, t0, u_agent[hit, 2], code, kind, reason)
    return forced


def journeys_of(agents: np.ndarray) -> np.ndarray:
    """Flat indices (agent * approaches + approach) of every journey of ``agents``."""
    return (agents[:, None] * len(APPROACHES) + _APPROACH_INDEX).ravel()


def director_changes(run: Journeys, journeys: np.ndarray, draw: np.ndarray, code: np.ndarray,
                     kind: np.ndarray, reason: np.ndarray, forced: bool) -> bool:
    """A new director pauses working journeys or sends paused ones back a stage.

    ``journeys`` are flat indices into the (agents, approaches) arrays: working on the
    few journeys of the agents hit costs less than masking whole arrays.
    """
    constants = run.constants
    low, high = constants.leader_chances
    u = draw.take(journeys)
    bucket = (u >= low).view(np.int8) + (u >= high).view(np.int8)
    if forced:          # journeys already moved this step stay where they are
        bucket[kind.take(journeys) >= 0] = BUCKETS - 1
    index = code.take(journeys) * BUCKETS + bucket
    kinds = constants.leader_kind.take(index, mode="clip")
    if kinds.max() < 0:
        return False
    code.put(journeys, constants.leader_next.take(index, mode="clip"))
    kind.put(journeys, np.maximum(kind.take(journeys), kinds))
    reason.put(journeys, np.maximum(reason.take(journeys),
                                    constants.leader_reason.take(index, mode="clip")))
    return True


def inadequate(run: Journeys, s: JourneyState, hit: np.ndarray, t0: float, draw: np.ndarray,
               code: np.ndarray, kind: np.ndarray, reason: np.ndarray) -> bool:
    """Inadequate judgements: compliance focus, a drop in culture, working journeys pause."""
    low, high = run.config.shocks.inadequate_pause_years
    until = t0 + low + draw * (high - low)
    s.compliance_until[hit] = until
    run.compliance_until_max = max(run.compliance_until_max, float(until.max()))
    s.culture[hit] = np.maximum(
        0.0, s.culture[hit] - run.config.conditions.culture_inadequate_drop)
    journeys = journeys_of(hit)
    journeys = journeys[run.constants.working.take(code.take(journeys), mode="clip")
                        & (kind.take(journeys) < 0)]
    if not len(journeys):
        return False
    code.put(journeys, code.take(journeys) + PAUSED - ACTIVE)     # active -> paused
    kind.put(journeys, KIND["pause"])
    reason.put(journeys, REASON["Ofsted inadequate judgement: compliance focus"])
    return True


# -- the compiled step (sim.mechanics.kernel): the same phases, journey by journey -----------

_SEED, _END, _PAUSE = KIND["seed"], KIND["end"], KIND["pause"]
_POVERTY = REASON["funded programme ended with a low budget (poverty trap)"]
_PROGRAMME_ENDED = REASON["funded programme ended"]
_OFSTED = REASON["Ofsted inadequate judgement: compliance focus"]


@kernel
def seed_kernel(s, x, k, kind, reason):
    """:func:`seed` for step ``k`` (``x``: the run's :class:`sim.mechanics.kernel.Inputs`)."""
    e = x.events
    for event in range(e.seed_ptr[k], e.seed_ptr[k + 1]):
        a, stage, until = e.seed_approach[event], e.seed_stage[event], e.seed_until[event]
        for m in range(e.member_ptr[event], e.member_ptr[event + 1]):
            i = e.members[m]
            s.funded_until[i, a] = max(s.funded_until[i, a], until)
            if (s.stage[i, a] < stage or s.status[i, a] != ACTIVE) and kind[i, a] < 0:
                s.stage[i, a] = max(s.stage[i, a], stage)
                s.status[i, a] = ACTIVE
                s.ended_at[i, a] = np.nan
                kind[i, a] = _SEED
                reason[i, a] = e.seed_reason[event]


@kernel
def programme_ends_kernel(s, x, row, t0, t1, u, kind, reason):
    """:func:`programme_ends`; ``u``: the step's programme-end uniforms (agents, approaches)."""
    r = x.rules
    threshold = r.poverty_budget
    for i in range(s.stage.shape[0]):
        gap = min(max((threshold - x.tables.budget[row, x.profile[i]]) / threshold, 0.0), 1.0)
        for a in range(WIDTH):
            if not (s.funded_until[i, a] >= t0 - EPS and s.funded_until[i, a] < t1 - EPS
                    and s.stage[i, a] >= 1 and s.status[i, a] != ENDED and kind[i, a] < 0):
                continue
            if s.stage[i, a] <= DEVELOPING and u[i, a] < gap:
                s.status[i, a] = ENDED
                s.ended_at[i, a] = t1
                kind[i, a] = _END
                reason[i, a] = _POVERTY
            elif s.status[i, a] == ACTIVE and (
                    (u[i, a] - gap) / max(1.0 - gap, 1e-12)
                    < r.programme_end_pause_probability):
                s.status[i, a] = PAUSED
                kind[i, a] = _PAUSE
                reason[i, a] = _PROGRAMME_ENDED


@kernel
def agent_shocks_kernel(s, x, t0, scale, u_agent, u_leader, code, kind, reason):
    """:func:`agent_shocks` (changes of director, then inadequate judgements), agent by agent.

    ``scale`` is the step's hazard scale; the moves change ``code`` as in the array version.
    """
    r, c = x.rules, x.codes
    leader_probability = -np.expm1(-r.leadership_change_rate * scale * r.dt)
    low, high = c.leader_chances[0], c.leader_chances[1]
    years_low, years_high = r.inadequate_years_low, r.inadequate_years_high
    for i in range(code.shape[0]):
        if u_agent[i, 0] < leader_probability:
            s.leader_changed_at[i] = t0
            for a in range(WIDTH):
                u = u_leader[i, a]
                bucket = (u >= low) + (u >= high) if kind[i, a] < 0 else BUCKETS - 1
                index = INDEX(code[i, a] * BUCKETS + bucket)
                if c.leader_kind[index] >= 0:
                    code[i, a] = c.leader_next[index]
                    kind[i, a] = max(kind[i, a], c.leader_kind[index])
                    reason[i, a] = max(reason[i, a], c.leader_reason[index])
        exponent = -x.inadequate[i] * scale
        y = exponent * (1.0 - s.culture[i])
        # (upper_happen(y) bounds the chance from above: most steps need no expm1)
        if u_agent[i, 1] < hazards.upper_happen(y) and u_agent[i, 1] < -np.expm1(y):
            s.compliance_until[i] = t0 + years_low + u_agent[i, 2] * (years_high - years_low)
            s.culture[i] = max(0.0, s.culture[i] - r.culture_inadequate_drop)
            for a in range(WIDTH):
                if c.working[code[i, a]] and kind[i, a] < 0:
                    code[i, a] += PAUSED - ACTIVE
                    kind[i, a] = _PAUSE
                    reason[i, a] = _OFSTED
