"""Phase 4 of a step: the hazards of every journey's moves and one competing-risks draw.

A journey can make one move a step: forward (prompt, progress, resume or restart), pause, go
back a stage, or end (ODD 7.1, 7.5-7.6, 7.9, 7.11-7.13). Hazards are annual rates h; a journey
whose moves have total hazard H makes one of them in a step with probability 1 - exp(-H dt),
the k-th with probability h_k / H, so probabilities never exceed one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.mechanics import conditions
from sim.mechanics.compiler import WIDTH, inline_kernel, kernel
from sim.mechanics.state import JourneyState
from sim.mechanics.tables import END, NO_MOVE, PAUSE, REVISIT
from sim.vocabulary import DESIGNING, MOBILISING

if TYPE_CHECKING:
    from sim.mechanics.journeys import Journeys

EPS = 1e-9


def move_hazards(run: Journeys, s: JourneyState, k: int, t0: float, row: int,
                 prompt: np.ndarray, before: np.ndarray, flags: np.ndarray,
                 funded: np.ndarray | None):
    """Fill ``run.hazards`` (moves, agents, approaches) with every journey's move hazards.

    ``before`` and ``flags`` are the journey-code tables of the step (see
    :class:`sim.mechanics.tables.JourneyConstants`), ``funded`` the journeys a programme funds
    (None if none). Returns the workforce-crisis and loss-of-momentum pause hazards (None
    when stages are collapsed), which explain pauses afterwards.
    """
    cfg, hazards = run.config, run.hazards
    good, bad = ((s.readiness, 1.0 - s.readiness) if cfg.mechanisms.conditions
                 else (1.0, 1.0))
    _, forward_rate, _, _, working, _, integrated = before
    at_four, at_five, waiting, paused, ended = flags
    if cfg.stages.collapsed:
        np.multiply(prompt, waiting, out=hazards[0])
        return None, None
    # forward: progress (zero unless started and active), prompt, resume or restart
    forward = hazards[0]
    progression(run, s, k, forward_rate, good, funded, integrated, at_four, at_five,
                out=forward)
    # (forward is zero where a journey is not working)
    clear = None
    if run.compliance_until_max > t0:
        # compliance focus after an inadequate judgement: nothing starts, resumes or
        # is renewed
        clear = (s.compliance_until <= t0)[:, None]
        waiting, paused = waiting & clear, paused & clear
    np.copyto(forward, prompt, where=waiting)
    np.multiply(good, cfg.progression.resume_rate, out=forward, where=paused)
    if ended.any():
        cooled = ended & (t0 - s.ended_at >= cfg.prompting.restart_cooldown - EPS)
        if clear is not None:
            cooled &= clear
        np.add(forward, cfg.prompting.restart_weight * prompt, out=forward, where=cooled)
    crisis = run.per_agent(run.tables.crisis[row])
    momentum = run.constants.pause_rate * bad
    if funded is not None:
        # funded posts carry a funded journey's momentum
        momentum = momentum * ~funded
    np.add(momentum, crisis[:, None], out=hazards[PAUSE])
    hazards[PAUSE] *= working
    np.multiply(before[2:4], bad, out=hazards[REVISIT:END + 1])     # revisit and end
    if funded is not None:
        hazards[END] *= ~funded
    return crisis, momentum


def progression(run: Journeys, s: JourneyState, k: int, forward_rate: np.ndarray, good,
                funded: np.ndarray | None, integrated: np.ndarray, at_four: np.ndarray,
                at_five: np.ndarray, out: np.ndarray) -> None:
    """Progression hazard of every journey into ``out`` (zero unless started and active).

    h = r[s] * m[a] * C, times the funding boost while a programme funds the journey, a
    packaged design's multiplier at Mobilising and Designing, the triad's synergy, the
    rigidity trap at Integrating with a closed culture, critical mass at Growing (the share
    of the nation's authorities integrating), and a disruption (COVID).
    """
    cfg = run.config
    progression = cfg.progression
    rate = np.multiply(forward_rate, good, out=out)
    if funded is not None:
        np.multiply(rate, 1.0 + (progression.funding_boost - 1.0), out=rate, where=funded)
    package = run.timeline.package[k]
    if (package != 1.0).any():
        early = (s.stage == MOBILISING) | (s.stage == DESIGNING)
        np.multiply(rate, package.take(run.nation, axis=0, mode="clip"), out=rate, where=early)
    if run.constants.synergy is not None:
        rate *= 1.0 + integrated @ run.constants.synergy
    if cfg.mechanisms.conditions:
        if at_four.any():
            rigid = at_four & (s.culture < progression.rigidity_culture)[:, None]
            np.multiply(rate, 1.0 - (1.0 - progression.rigidity_factor), out=rate,
                        where=rigid)
        if at_five.any():
            share = run.nation_share(integrated).take(run.nation, axis=0, mode="clip")
            np.multiply(rate, share, out=rate, where=at_five)
    scale = run.timeline.progression_scale[k]
    if scale != 1.0:
        rate *= scale


def draw(hazards: np.ndarray, scale: float, dt: float, u: np.ndarray) -> np.ndarray:
    """Competing risks: index of the move that happens in the step (NO_MOVE for none).

    Move j happens when u * H < (h_0 + ... + h_j) * (1 - exp(-H dt)), H the total hazard;
    ``hazards`` (moves, agents, approaches) is overwritten.
    """
    total = hazards.sum(axis=0)
    happen = np.expm1(total * (-scale * dt))
    np.negative(happen, out=happen)
    threshold = u * total
    hazards *= happen
    for j in range(1, len(hazards)):
        hazards[j] += hazards[j - 1]
    choice = (hazards <= threshold).sum(axis=0, dtype=np.int8)
    if len(hazards) < NO_MOVE:
        choice[choice == len(hazards)] = NO_MOVE
    return choice


# -- the compiled step (sim.mechanics.kernel) -------------------------------------------------


@kernel
def hazards_kernel(s, x, k, t0, t1, row, code, prompt, u, kind, choice, funded, momentum,
                   crisis, share):
    """:func:`move_hazards` and :func:`draw`, journey by journey: the move of each into ``choice``.

    ``code`` holds the codes after the step's shocks, ``u`` the step's move uniforms; a journey
    that a forced event moved (``kind`` set) does not move again. ``funded``, ``momentum`` and
    ``crisis`` receive the evidence of the pause hazards; ``share`` (nations, approaches) is
    working space for critical mass.
    """
    r, c, t = x.rules, x.codes, x.timeline
    n, width = code.shape[0], WIDTH
    # critical mass: each nation's share of its authorities integrating each approach
    conditions.nation_counts_kernel(x, code, c.before_rates[6], share)
    for nation in range(share.shape[0]):
        for a in range(width):
            share[nation, a] = share[nation, a] / x.nation_size[nation]
    exponent = -t.hazard_scale[k] * r.dt
    boost = 1.0 + (r.funding_boost - 1.0)
    rigid = 1.0 - (1.0 - r.rigidity_factor)
    for i in range(n):
        crisis[i] = 0.0 if r.collapsed else x.tables.crisis[row, x.profile[i]]
        clear = s.compliance_until[i] <= t0
        for a in range(width):
            j = code[i, a]
            good = s.fields[5, i, a] if r.conditions else 1.0
            bad = 1.0 - s.fields[5, i, a] if r.conditions else 1.0
            funded[i, a] = s.funded_until[i, a] >= t1 - EPS
            if r.collapsed:
                momentum[i, a] = 0.0
                h = (prompt[i, a] if c.before_flags[2, j] else 0.0, 0.0, 0.0, 0.0)
            else:
                forward = 0.0       # (the product below is 0 when the rate is)
                if c.before_rates[1, j] != 0.0:
                    early = s.stage[i, a] == MOBILISING or s.stage[i, a] == DESIGNING
                    forward = progression_kernel(
                        c.before_rates[1, j] * good, boost if funded[i, a] else 1.0,
                        t.package[k, x.nation[i], a] if early else 1.0,
                        synergy_kernel(c.before_rates, c.synergy, code, i, a)
                        if r.synergy else 0.0,
                        rigid if (r.conditions and c.before_flags[0, j]
                                  and s.culture[i] < r.rigidity_culture) else 1.0,
                        share[x.nation[i], a] if r.conditions and c.before_flags[1, j] else 1.0,
                        t.progression_scale[k])
                if c.before_flags[2, j] and clear:                       # waiting
                    forward = prompt[i, a]
                elif c.before_flags[3, j] and clear:                     # paused
                    forward = good * r.resume_rate
                elif (c.before_flags[4, j] and clear                     # ended, cooled
                      and t0 - s.ended_at[i, a] >= r.restart_cooldown - EPS):
                    forward = forward + r.restart_weight * prompt[i, a]
                pause_rate = 0.0 if funded[i, a] else c.pause_rate * bad
                momentum[i, a] = pause_rate
                end = 0.0 if funded[i, a] else c.before_rates[3, j] * bad
                h = (forward, (pause_rate + crisis[i]) * c.before_rates[4, j],
                     c.before_rates[2, j] * bad, end)
            choice[i, a] = NO_MOVE if kind[i, a] >= 0 else draw_kernel(h, exponent, u[i, a])


@inline_kernel
def progression_kernel(rate, boost, package, synergy, rigidity, share, scale):
    """:func:`progression` of one journey.

    Its rate r[s] m[a] C times, in this order, the funding boost, a packaged design's
    multiplier, the triad's synergy, the rigidity trap, critical mass and the disruption
    (each factor 1 where it does not apply).
    """
    return rate * boost * package * (1.0 + synergy) * rigidity * share * scale


@inline_kernel
def synergy_kernel(before_rates, synergy, code, i, a):
    """The triad's synergy of journey (i, a): the sum over the agent's integrated approaches."""
    gain = 0.0
    for b in range(WIDTH):
        gain += before_rates[6, code[i, b]] * synergy[b, a]
    return gain


@inline_kernel
def draw_kernel(h, exponent, u):
    """:func:`draw` for one journey: its move (0-3), or NO_MOVE, from hazards ``h``.

    Most journeys do not move in a step, and that is known without ``expm1``
    (:func:`no_move_bound`); the others are drawn by :func:`exact_draw_kernel`.
    """
    total = h[0] + h[1] + h[2] + h[3]
    if total == 0.0:            # every cumulative hazard is 0 <= u * 0: no move
        return NO_MOVE
    if no_move_bound(h, total * exponent, u * total):
        return NO_MOVE
    return exact_draw_kernel(h, exponent, u)


@inline_kernel
def exact_draw_kernel(h, exponent, u):
    """:func:`draw` for one journey, calling ``expm1`` whatever the outcome."""
    total = h[0] + h[1] + h[2] + h[3]
    if total == 0.0:
        return NO_MOVE
    happen = -np.expm1(total * exponent)
    threshold = u * total
    cumulative = h[0] * happen
    move = 0
    for m in range(4):
        if m:
            cumulative = cumulative + h[m] * happen
        if cumulative <= threshold:
            move += 1
    return move


#: 1 + 2**-40: a bound on -expm1(y) for y <= 0 (see :func:`upper_happen`)
_ABOVE_ONE = 1.0 + 2.0 ** -40


@inline_kernel
def upper_happen(y):
    """An upper bound on the computed ``-np.expm1(y)`` for ``y <= 0``, without calling it.

    1 - exp(y) <= -y and <= 1; the computed expm1 is within an ulp (a relative 2**-52) of the
    exact value, and 2**-40 more, rounded, stays above that.
    """
    return min(-y * _ABOVE_ONE, 1.0)


@inline_kernel
def no_move_bound(h, y, threshold):
    """True when the draw's last cumulative hazard is surely at most ``threshold`` (no move).

    The cumulative hazards are computed with :func:`upper_happen` in place of
    ``-expm1(y)``: each product and sum of non-negative numbers rounds monotonically, so
    every one is at least the exact draw's, and if the last of them is at most the threshold
    the exact draw's is too: the same outcome, without ``expm1`` (about nine draws in ten).
    """
    bound = upper_happen(y)
    cumulative = h[0] * bound
    cumulative = cumulative + h[1] * bound
    cumulative = cumulative + h[2] * bound
    cumulative = cumulative + h[3] * bound
    return cumulative <= threshold
