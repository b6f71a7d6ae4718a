"""Journey constants: rates and transition tables computed once per configuration.

A journey's constant properties (how visible it is, its base hazards, its cost, where each
move takes it) depend only on its approach, stage and status, so they are tables indexed by
the journey code ``approach * CODES + stage * 3 + status`` (:mod:`sim.mechanics.state`), and
each step looks them up with a few ``take`` calls instead of recomputing them. The runs of one
configuration in a process share one :class:`JourneyConstants`; its arrays are read-only.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from sim.cache import ProcessCache, config_key
from sim.config import Config
from sim.mechanics.reasons import KIND, REASON
from sim.mechanics.state import CODES
from sim.vocabulary import ACTIVE, APPROACHES, ENDED, GROWING, INTEGRATING, PAUSED, WIDER

# The competing moves of a journey in a step, and "none of them".
FORWARD, PAUSE, REVISIT, END, NO_MOVE = range(5)
MOVES = NO_MOVE + 1
# A change of director's draw: below both probabilities, below one of them, or neither.
BUCKETS = 3
TIP, CS = APPROACHES.index("TIP"), APPROACHES.index("CS")
TS = APPROACHES.index("TS")


@dataclass(frozen=True)
class JourneyConstants:
    """Rates and per-journey tables of one configuration.

    Rates, by stage (and approach where it matters):
        forward_rate: progression hazard at C = 1, by ``stage * approaches + approach``.
        revisit_rate, end_rate: hazards of going back a stage and of ending at C = 0, by stage.
        pause_rate: hazard of pausing at C = 0.
        p0, q: external and peer prompting rates, by approach.
        visible: peer visibility by ``stage * 3 + status``.
        cost: annual cost per 10,000 children by ``(stage * 3 + status) * approaches +
            approach``.
        weights: the five condition weights, normalised to sum to 1.
        synergy: extra progression of column approach while row approach is integrated
            (None when the triad is switched off).
        pattern_bits: bit of each approach in the pattern of approaches ever integrated.
        design, design_log: condition (c) and its log-weight by that pattern.

    Tables by journey code (and move or draw bucket):
        code_offset: the code of stage 0, active, of each approach.
        others: 1 - identity, to count an agent's other approaches with a matrix product.
        before_rates: visibility, forward rate, revisit and end hazards at C = 0, working
            (active and started), at Wider system change, integrated (floats, for products).
        before_flags: at Integrating, at Growing, waiting (active, not started), paused, ended.
        after_rates: annual cost, co-production growth per step, culture gain from TIP.
        after_flags: integrated, not integrated, integrated and active.
        working: active and started.
        leader_chances: the two change-of-director probabilities, sorted.
        leader_next, leader_kind, leader_reason: new code, event kind and reason by
            ``code * BUCKETS + bucket``.
        move_kind, next_code: event kind and new code by ``code * MOVES + move``.
        stage_of, status_of: stage and status of each code.
    """

    forward_rate: np.ndarray
    revisit_rate: np.ndarray
    end_rate: np.ndarray
    pause_rate: float
    p0: np.ndarray
    q: np.ndarray
    visible: np.ndarray
    cost: np.ndarray
    weights: np.ndarray
    synergy: np.ndarray | None
    pattern_bits: np.ndarray
    design: np.ndarray
    design_log: np.ndarray
    code_offset: np.ndarray
    others: np.ndarray
    before_rates: np.ndarray
    before_flags: np.ndarray
    after_rates: np.ndarray
    after_flags: np.ndarray
    working: np.ndarray
    leader_chances: np.ndarray
    leader_next: np.ndarray
    leader_kind: np.ndarray
    leader_reason: np.ndarray
    move_kind: np.ndarray
    next_code: np.ndarray
    stage_of: np.ndarray
    status_of: np.ndarray


_CONSTANTS = ProcessCache(4)


def journey_constants(config: Config) -> JourneyConstants:
    """The constants of a configuration, built once per process (read-only arrays)."""
    def build() -> JourneyConstants:
        values = _rates(config)
        values |= _code_tables(config, values)
        constants = JourneyConstants(**values)
        for f in fields(constants):
            value = getattr(constants, f.name)
            if isinstance(value, np.ndarray):
                value.flags.writeable = False
        return constants

    return _CONSTANTS.get(config_key(config), build)


def chain_hazards(forward: list[float], backward: list[float], exit_: list[float],
                  dt: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Annual hazards whose competing-risks step probabilities are exactly the given ones."""
    f, b, e = (np.asarray(x, float) for x in (forward, backward, exit_))
    total = f + b + e
    rate = np.divide(-np.log1p(-total) / dt, total, out=np.zeros_like(total), where=total > 0)
    return f * rate, b * rate, e * rate


def _rates(config: Config) -> dict:
    """The rates and the design condition (see :class:`JourneyConstants`)."""
    width = len(APPROACHES)
    approaches = [config.approaches[a] for a in APPROACHES]
    progression = config.progression
    forward = np.zeros(7)
    forward[1:6] = 1.0 / np.asarray(progression.years_per_stage)
    revisit = np.r_[0.0, progression.revisit_rate]
    end = np.r_[0.0, progression.end_rate]
    pause = progression.pause_rate
    if config.chain is not None:
        f, b, e = chain_hazards(config.chain.forward, config.chain.backward,
                                config.chain.exit, config.time.dt)
        forward[1:6], revisit[1:6], end[1:6] = f, b, e
        forward[6] = revisit[6] = end[6] = pause = 0.0
    speed = np.array([a.speed for a in approaches])
    forward_rate = forward[:, None] * speed[None, :]          # (stage, approach)
    complexity = np.array([a.complexity for a in approaches])
    visibility = np.array(config.stages.visibility, float)
    if config.stages.collapsed:
        visibility = np.r_[0.0, np.ones(6)]
    status_factor = np.array([1.0, config.stages.paused_visibility, 0.0])
    visible = (visibility[:, None] * status_factor[None, :]).ravel()  # stage*3+status
    cost = np.r_[0.0, config.costs.per_stage]
    status_factor = np.array([1.0, config.costs.paused_fraction, 0.0])
    multiplier = np.array([a.cost_multiplier for a in approaches])
    cost = (cost[:, None, None] * status_factor[None, :, None]
            * multiplier[None, None, :]).ravel()
    w = config.conditions.weights
    weights = np.array([w.case, w.workforce, w.design, w.culture, w.macro])
    weights = weights / weights.sum()
    synergy = None
    if config.mechanisms.synergy:
        synergy = np.zeros((width, width))       # row: integrated approach
        synergy[TIP, CS] = synergy[TIP, TS] = config.synergy.tip_to_cs_ts
        synergy[CS, TIP] = config.synergy.cs_to_tip
    c = config.conditions
    # design condition (c) and its log-weight by the number of approaches ever integrated,
    # looked up by the pattern of those approaches (bit a set for approach a)
    absorptive = np.minimum(1.0, c.absorptive_initial
                            + c.absorptive_gain * np.arange(width + 1))
    by_count = np.maximum(1.0 - complexity * (1.0 - absorptive[:, None]), 1e-6)
    count = [bin(pattern).count("1") for pattern in range(2 ** width)]
    design = by_count[count]
    return {
        "forward_rate": forward_rate.ravel(), "revisit_rate": revisit, "end_rate": end,
        "pause_rate": pause, "p0": np.array([a.p0 for a in approaches]),
        "q": np.array([a.q for a in approaches]), "visible": visible, "cost": cost,
        "weights": weights, "synergy": synergy,
        "pattern_bits": (2 ** np.arange(width)).astype(np.uint8), "design": design,
        "design_log": weights[2] * np.log(design)}


def _transitions() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """New status, stage change and event kind by (status, started, move), raveled."""
    status = np.zeros((3, 2, MOVES), np.int8)
    status[:] = np.arange(3, dtype=np.int8)[:, None, None]
    delta = np.zeros((3, 2, MOVES), np.int8)
    kind = np.full((3, 2, MOVES), -1, np.int8)
    kind[ACTIVE, 0, FORWARD], delta[ACTIVE, 0, FORWARD] = KIND["prompt"], 1
    kind[ACTIVE, 1, FORWARD], delta[ACTIVE, 1, FORWARD] = KIND["progress"], 1
    kind[ACTIVE, 1, PAUSE], status[ACTIVE, 1, PAUSE] = KIND["pause"], PAUSED
    kind[ACTIVE, 1, REVISIT], delta[ACTIVE, 1, REVISIT] = KIND["revisit"], -1
    kind[ACTIVE, 1, END], status[ACTIVE, 1, END] = KIND["end"], ENDED
    kind[PAUSED, 1, FORWARD], status[PAUSED, 1, FORWARD] = KIND["resume"], ACTIVE
    kind[PAUSED, 1, END], status[PAUSED, 1, END] = KIND["end"], ENDED
    for started in (0, 1):
        kind[ENDED, started, FORWARD], status[ENDED, started, FORWARD] = KIND["restart"], ACTIVE
    return status.ravel(), delta.ravel(), kind.ravel()


def _code_tables(config: Config, rates: dict) -> dict:
    """Per-journey constants and transitions by journey code (see :class:`JourneyConstants`)."""
    width, dt = len(APPROACHES), config.time.dt
    code = np.arange(width * CODES)
    a, stage, status = code // CODES, code % CODES // 3, code % 3
    started, active, paused, ended = (stage >= 1, status == ACTIVE, status == PAUSED,
                                      status == ENDED)
    working, alive = active & started, started & ~ended
    integrated = (stage >= INTEGRATING) & ~ended
    out = {"code_offset": np.arange(width) * CODES, "others": 1.0 - np.eye(width)}
    out["before_rates"] = np.stack([
        rates["visible"][stage * 3 + status],
        working * rates["forward_rate"][stage * width + a],
        working * rates["revisit_rate"][stage],
        np.where(working | (paused & (stage >= INTEGRATING)), rates["end_rate"][stage],
                 paused * config.progression.end_paused_rate),
        working, alive & (stage == WIDER), alive & (stage >= INTEGRATING)])
    out["before_flags"] = np.stack([stage == INTEGRATING, stage == GROWING,
                                    active & ~started, paused, ended])
    out["after_rates"] = np.stack([
        rates["cost"][(stage * 3 + status) * width + a],
        (active & (stage >= 2)) * (dt * config.conditions.coproduction_rate),
        config.conditions.culture_tip_gain * integrated])
    out["after_flags"] = np.stack([integrated, ~integrated, integrated & active])
    out["working"] = working
    out |= _leader_tables(config, code, working, paused & (stage >= 2) & (stage <= 3))
    new_status, delta, kind = _transitions()
    index = (status * 2 + started)[:, None] * MOVES + np.arange(MOVES)
    out["move_kind"] = kind[index].ravel()
    # a journey at stage 6 has no forward hazard, so it never moves to a stage 7
    new_stage = np.minimum(np.where(kind[index] == KIND["restart"], 1,
                                    stage[:, None] + delta[index]), WIDER)
    out["next_code"] = np.where(kind[index] >= 0,
                                (a * CODES)[:, None] + new_stage * 3 + new_status[index],
                                code[:, None]).ravel()
    out["stage_of"], out["status_of"] = stage.astype(np.int8), status.astype(np.int8)
    return out


def _leader_tables(config: Config, code: np.ndarray, pausable: np.ndarray,
                   revisable: np.ndarray) -> dict:
    """A change of director's move by journey code * BUCKETS + bucket of its draw.

    The bucket is the number of the two probabilities (pause, go back a stage) at or
    below the draw (compared with both, sorted), so the draw is below the k-th
    smallest exactly when the bucket is at most k. The last bucket never moves.
    """
    sh = config.shocks
    chances = np.array([sh.leadership_pause_probability, sh.leadership_revisit_probability])
    order = np.argsort(chances, kind="stable")
    rank = np.argsort(order)            # position of each probability once sorted
    bucket = np.arange(BUCKETS)
    pause = pausable[:, None] & (bucket <= rank[0])
    back = revisable[:, None] & (bucket <= rank[1])
    here = np.repeat(code[:, None], BUCKETS, axis=1)
    return {
        "leader_chances": chances[order],
        "leader_next": np.select([pause, back], [here + 1, here - 3], here).ravel(),
        "leader_kind": np.select([pause, back], [KIND["pause"], KIND["revisit"]],
                                 -1).astype(np.int8).ravel(),
        "leader_reason": np.select(
            [pause, back], [REASON["change of director"],
                            REASON["change of director: went back a stage"]],
            -1).astype(np.int16).ravel()}
