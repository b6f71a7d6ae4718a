"""Phase 3 of a step: the five conditions, readiness C and the prompting hazard (ODD 7.3-7.4).

Each journey's five conditions are scored in [0, 1]: (a) case and buy-in, from peers'
evidence, policy support and co-production; (b) workforce capacity, from the authority's
turnover, vacancy and agency rates, lower under a new director; (c) achievable design, from the
approach's complexity and the authority's absorptive capacity; (d) an open culture; (e) the
macro context. Readiness C is their weighted geometric mean. The prompting hazard of a journey
not yet started is the sum of its policy, peer, need and re-prompting terms.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.mechanics.inputs import macro_condition
from sim.mechanics.state import JourneyState

if TYPE_CHECKING:
    from sim.mechanics.journeys import Journeys

EPS = 1e-9


def readiness(run: Journeys, s: JourneyState, row: int, t0: float, at_six: np.ndarray):
    """Update the five conditions and readiness C; return prompting hazards and their terms.

    ``row`` is the step's input set, ``t0`` its start and ``at_six`` the journeys at Wider
    system change (which feed policy support back when that mechanism is on). The terms are
    (policy, peers, need, re-prompting), each None where it does not apply.
    """
    cfg, c, f, t = run.config, run.config.conditions, s.fields, run.tables
    w = run.constants.weights
    workforce, log_workforce = run.per_agent(t.capacity[row]), run.per_agent(
        t.log_capacity[row])
    if cfg.mechanisms.workforce:
        # a new director lowers the workforce condition for a while
        recent = s.leader_changed_at > t0 - c.leadership_window + EPS
        workforce = np.where(recent, run.per_agent(t.capacity_led[row]), workforce)
        log_workforce = np.where(recent, run.per_agent(t.log_capacity_led[row]),
                                 log_workforce)
    s.workforce = workforce
    feedback = cfg.mechanisms.feedback and at_six.any()
    policy_term, case_policy, macro, log_macro = policy_terms(
        run, row, at_six if feedback else None)
    need = run.per_agent(t.need[row])
    peers = run.constants.q * s.exposure
    prompt = policy_term + peers
    prompt += need
    reprompt = None
    if feedback:
        reprompt = run.feedback_terms[4]
        prompt += reprompt
    if cfg.mechanisms.conditions:
        f[1] = workforce[:, None]
        f[3] = s.culture[:, None]
        f[4] = macro
        case = f[0]
        # exp(-(a E + p + b coproduction)), with the signs moved inside (exact)
        np.exp((-c.case_exposure) * s.exposure - case_policy
               + (-c.case_coproduction) * s.coproduction, out=case)
        case *= c.case_baseline - 1.0
        case += 1.0
        np.maximum(case, 1e-6, out=case)
        if run.design_log is None:
            pattern = s.integrated_ever.view(np.uint8) @ run.constants.pattern_bits
            f[2] = run.constants.design.take(pattern, axis=0, mode="clip")
            run.design_log = run.constants.design_log.take(pattern, axis=0, mode="clip")
        agent_log = log_workforce + w[3] * np.log(np.maximum(s.culture, 1e-6))
        np.exp(w[0] * np.log(case) + run.design_log + log_macro + agent_log[:, None],
               out=f[5])
    return prompt, (policy_term, peers, need, reprompt)


def policy_terms(run: Journeys, row: int, at_six: np.ndarray | None):
    """Policy prompting term, case term, macro condition and its log-weight per journey.

    With policy feedback (``at_six`` given) a nation's policy support rises with its share
    of journeys at Wider system change; otherwise the precomputed tables apply. The
    feedback terms (and the re-prompting hazard) are kept until the step's input set or
    ``at_six`` changes.
    """
    t = run.tables
    if at_six is None:
        return tuple(run.per_agent(x[row]) for x in (t.policy_term, t.case_policy, t.macro,
                                                     t.log_macro))
    key = (row, at_six.tobytes())
    if run.feedback_key != key:
        run.feedback_key = key
        policy = t.policy[row] + run.config.feedback.policy_gain * run.nation_share(at_six)
        macro = np.maximum(macro_condition(run.config, t.budget[row][:, None],
                                           policy[run.profiles.nation]), 1e-6)
        policy = policy.take(run.nation, axis=0, mode="clip")
        run.feedback_terms = (
            run.constants.p0 * policy,
            run.config.conditions.case_policy * policy,
            run.per_agent(macro), run.per_agent(run.constants.weights[4] * np.log(macro)),
            run.config.feedback.reprompt_rate * (at_six @ run.constants.others > 0))
    return run.feedback_terms[:4]
