"""Phase 4 of a step: the hazards of every journey's moves and one competing-risks draw.

A journey can make one move a step: forward (prompt, progress, resume or restart), pause, go
back a stage, or end (ODD 7.1, 7.5-7.6, 7.9, 7.11-7.13). Hazards are annual rates h; a journey
whose moves have total hazard H makes one of them in a step with probability 1 - exp(-H dt),
the k-th with probability h_k / H, so probabilities never exceed one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

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
