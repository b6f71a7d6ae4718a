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

from sim.mechanics.compiler import INDEX, WIDTH, inline_kernel, kernel
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


# -- the compiled step (sim.mechanics.kernel) -------------------------------------------------


@kernel
def readiness_kernel(s, x, row, t0, code, prompt, terms, policy, case_memo):
    """:func:`readiness`: conditions, readiness C, prompting hazards into ``prompt``.

    ``code`` holds the journey codes after the step's shocks; ``terms`` (4, agents,
    approaches) receives the policy, peer, need and re-prompting terms (zero where a term
    does not apply); ``policy`` is :func:`policy_kernel`'s memory. ``case_memo`` (3, agents,
    approaches; NaN before the first step) keeps each journey's last exponent of the case
    condition, the condition and its log: about half the time a journey's exposure, policy
    and co-production are as they were, and the two calls are not made again (the values
    are the same bits).
    """
    r, c, tab = x.rules, x.codes, x.tables
    n, width = code.shape[0], WIDTH
    w = c.weights
    feedback = policy_kernel(x, row, code, policy)
    policy_term, case_policy, macro, log_macro = (policy.terms[0], policy.terms[1],
                                                  policy.terms[2], policy.terms[3])
    for i in range(n):
        p = x.profile[i]
        if r.workforce and s.leader_changed_at[i] > t0 - r.leadership_window + EPS:
            workforce, log_workforce = tab.capacity_led[row, p], tab.log_capacity_led[row, p]
        else:
            workforce, log_workforce = tab.capacity[row, p], tab.log_capacity[row, p]
        s.workforce[i] = workforce
        culture = s.culture[i]
        agent_log = log_workforce + w[3] * np.log(max(culture, 1e-6))
        pattern = INDEX(0)
        others_at_six = 0.0
        for a in range(width):
            if s.integrated_ever[i, a]:
                pattern += c.pattern_bits[a]
            others_at_six += c.before_rates[5, code[i, a]]
        for a in range(width):
            reprompt = 0.0
            if feedback and others_at_six - c.before_rates[5, code[i, a]] > 0:
                reprompt = r.reprompt_rate
            exposure = s.exposure[i, a]
            peers = c.q[a] * exposure
            need = tab.need[row, p, a]
            prompt[i, a] = policy_term[i, a] + peers + need
            if feedback:
                prompt[i, a] += reprompt
            terms[0, i, a], terms[1, i, a], terms[2, i, a] = policy_term[i, a], peers, need
            terms[3, i, a] = reprompt
            if r.conditions:
                f = s.fields
                f[1, i, a], f[3, i, a], f[4, i, a] = workforce, culture, macro[i, a]
                exponent = ((-r.case_exposure) * exposure - case_policy[i, a]
                            + (-r.case_coproduction) * s.coproduction[i, a])
                if exponent != case_memo[0, i, a]:
                    case = max(np.exp(exponent) * (r.case_baseline - 1.0) + 1.0, 1e-6)
                    case_memo[0, i, a], case_memo[1, i, a] = exponent, case
                    case_memo[2, i, a] = np.log(case)
                f[0, i, a] = case_memo[1, i, a]
                f[2, i, a] = c.design[pattern, a]
                f[5, i, a] = np.exp(w[0] * case_memo[2, i, a] + c.design_log[pattern, a]
                                    + log_macro[i, a] + agent_log)


@inline_kernel
def nation_counts_kernel(x, code, flag, out):
    """Journeys by nation and approach whose code has ``flag`` (a 0/1 row of a code table).

    Each nation's agents are taken in order, the three approaches' counts held in
    registers (not read and written in memory for every journey).
    """
    for nation in range(x.nation_ptr.shape[0] - 1):
        cs, tip, ts = 0.0, 0.0, 0.0
        for m in range(x.nation_ptr[nation], x.nation_ptr[nation + 1]):
            i = x.nation_order[m]
            cs += flag[code[i, 0]]
            tip += flag[code[i, 1]]
            ts += flag[code[i, 2]]
        out[nation, 0], out[nation, 1], out[nation, 2] = cs, tip, ts


@inline_kernel
def policy_kernel(x, row, code, policy):
    """:func:`policy_terms` into ``policy.terms``; True if policy feedback applies.

    The terms (policy prompting, case policy, the macro condition and its log-weight, per
    journey) are recomputed only when the input set or the nations' shares of journeys at
    Wider system change differ from the last call (``policy.key``); when only some shares
    differ, only the journeys that read them (``policy.changed``).
    """
    r, c, tab = x.rules, x.codes, x.tables
    n, width = code.shape[0], WIDTH
    at_six = policy.at_six
    feedback = False
    if r.feedback:
        nation_counts_kernel(x, code, c.before_rates[5], at_six)
        for nation in range(at_six.shape[0]):
            for a in range(width):
                feedback = feedback or at_six[nation, a] > 0
    else:
        at_six[:] = 0.0
    everything = not (policy.key[0] == row and policy.key[1] == feedback)
    changed, some = policy.changed, False
    for nation in range(at_six.shape[0]):
        for a in range(width):
            changed[nation, a] = feedback and policy.last_at_six[nation, a] != at_six[nation, a]
            some = some or changed[nation, a]
    if not (everything or some):
        return feedback
    policy.key[0], policy.key[1] = row, feedback
    for nation in range(at_six.shape[0]):       # (element by element: a slice copy allocates)
        for a in range(width):
            policy.last_at_six[nation, a] = at_six[nation, a]
    share = at_six       # each nation's share, in place (the counts are kept above)
    for nation in range(share.shape[0]):
        for a in range(width):
            share[nation, a] = share[nation, a] / x.nation_size[nation]
    terms = policy.terms
    for i in range(n):
        p = x.profile[i]
        for a in range(width):
            if not (everything or changed[x.nation[i], a] or changed[x.profile_nation[p], a]):
                continue
            if not feedback:
                terms[0, i, a], terms[1, i, a] = tab.policy_term[row, p, a], tab.case_policy[
                    row, p, a]
                terms[2, i, a], terms[3, i, a] = tab.macro[row, p, a], tab.log_macro[row, p, a]
                continue
            level = tab.policy[row, x.nation[i], a] + r.policy_gain * share[x.nation[i], a]
            profile_level = (tab.policy[row, x.profile_nation[p], a]
                             + r.policy_gain * share[x.profile_nation[p], a])
            macro = 1.0
            if r.macro:
                macro = min(1.0, tab.budget[row, p] * min(
                    1.0, (1.0 + profile_level) / (1.0 + r.macro_policy_reference)))
            macro = max(macro, 1e-6)
            terms[0, i, a], terms[1, i, a] = c.p0[a] * level, r.case_policy * level
            terms[2, i, a], terms[3, i, a] = macro, c.weights[4] * np.log(macro)
    return feedback
