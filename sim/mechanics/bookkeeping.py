"""Phase 5 of a step: the drawn moves apply together, then the slow variables move (ODD 7.15-7.17).

Co-production grows while a journey is Designing or beyond; culture reverts towards its
initial value, loses to workforce churn and gains while TIP is integrated; absorptive
capacity grows with each approach ever integrated; every journey costs by stage and approach;
the outcome index rises only after a lag at Integrating or beyond.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.mechanics.compiler import INDEX, WIDTH, kernel
from sim.mechanics.reasons import KIND
from sim.mechanics.state import JourneyState
from sim.mechanics.tables import MOVES, TIP

if TYPE_CHECKING:
    from sim.mechanics.journeys import Journeys

EPS = 1e-9


def apply_moves(run: Journeys, s: JourneyState, code: np.ndarray, choice: np.ndarray,
                t1: float, kind: np.ndarray) -> np.ndarray:
    """Apply the drawn moves together and return the new journey codes.

    Their reasons are explained later from evidence (the step's ``reason`` stays -1).
    """
    constants = run.constants
    index = code * MOVES + choice
    moved = constants.move_kind.take(index, mode="clip")
    code = constants.next_code.take(index, mode="clip")
    constants.stage_of.take(code, out=s.stage, mode="clip")
    constants.status_of.take(code, out=s.status, mode="clip")
    if moved.max() >= KIND["end"]:
        np.copyto(s.ended_at, t1, where=moved == KIND["end"])
        np.copyto(s.ended_at, np.nan, where=moved == KIND["restart"])
    np.maximum(kind, moved, out=kind)
    return code


def slow_variables(run: Journeys, s: JourneyState, code: np.ndarray, churn: np.ndarray,
                   t1: float) -> None:
    """Integration dates, co-production, culture, spend and outcomes after the moves."""
    cfg, dt = run.config, run.dt
    c, o = cfg.conditions, cfg.outcomes
    constants = run.constants
    integrated, outside, integrated_active = constants.after_flags.take(code, axis=1,
                                                                         mode="clip")
    cost, growth, tip_gain = constants.after_rates.take(code, axis=1, mode="clip")
    # integrated journeys keep their date (or get t1); the others have none
    np.copyto(s.integrated_since, t1, where=np.isnan(s.integrated_since))
    np.copyto(s.integrated_since, np.nan, where=outside)
    new = integrated > s.integrated_ever
    if new.any():
        s.integrated_ever |= new
        run.design_log = None
    if cfg.mechanisms.conditions:
        growth *= 1.0 - s.coproduction
        s.coproduction += growth
    culture = s.culture
    change = (c.culture_reversion * (s.culture_initial - culture) - churn * culture)
    if c.culture_tip_gain:
        change += tip_gain[:, TIP] * (1.0 - culture)
    s.culture = np.minimum(np.maximum(culture + dt * change, 0.0), 1.0)
    spend, outcome = s.spend, s.outcome
    cost *= run.spend_scale
    spend += cost
    if (o.rise_rate or o.decay_rate) and s.integrated_ever.any():
        mature = integrated_active & (t1 - s.integrated_since >= o.lag_years - EPS)
        outcome += dt * np.where(mature, o.rise_rate * (1.0 - outcome),
                                 -o.decay_rate * outcome)


# -- the compiled step (sim.mechanics.kernel) -------------------------------------------------

_END, _RESTART = KIND["end"], KIND["restart"]


@kernel
def apply_moves_kernel(s, x, code, choice, t1, kind):
    """:func:`apply_moves`: every journey's drawn move, its new code into ``code``."""
    c = x.codes
    for i in range(code.shape[0]):
        for a in range(WIDTH):
            index = INDEX(code[i, a] * MOVES + choice[i, a])
            moved = c.move_kind[index]
            j = c.next_code[index]
            code[i, a] = j
            s.stage[i, a], s.status[i, a] = c.stage_of[j], c.status_of[j]
            if moved == _END:
                s.ended_at[i, a] = t1
            elif moved == _RESTART:
                s.ended_at[i, a] = np.nan
            kind[i, a] = max(kind[i, a], moved)


@kernel
def slow_variables_kernel(s, x, row, code, t1):
    """:func:`slow_variables`: integration dates, co-production, culture, spend, outcomes."""
    r, c = x.rules, x.codes
    dt = r.dt
    outcomes = r.rise_rate != 0 or r.decay_rate != 0
    for i in range(code.shape[0]):
        for a in range(WIDTH):
            j = code[i, a]
            if np.isnan(s.integrated_since[i, a]):
                s.integrated_since[i, a] = t1
            if c.after_flags[1, j]:
                s.integrated_since[i, a] = np.nan
            if c.after_flags[0, j]:
                s.integrated_ever[i, a] = True
            if r.conditions:
                s.coproduction[i, a] += c.after_rates[1, j] * (1.0 - s.coproduction[i, a])
            s.fields[6, i, a] += c.after_rates[0, j] * x.spend_scale[i]
            if outcomes:
                outcome = s.fields[7, i, a]
                # (an outcome stays 0 until some journey has integrated, as in the array path)
                if c.after_flags[2, j] and t1 - s.integrated_since[i, a] >= r.lag_years - EPS:
                    s.fields[7, i, a] = outcome + dt * (r.rise_rate * (1.0 - outcome))
                else:
                    s.fields[7, i, a] = outcome + dt * (-r.decay_rate * outcome)
        culture = s.culture[i]
        change = (r.culture_reversion * (s.culture_initial[i] - culture)
                  - x.tables.churn[row, x.profile[i]] * culture)
        if r.culture_tip_gain != 0:
            change += c.after_rates[2, code[i, TIP]] * (1.0 - culture)
        s.culture[i] = min(max(culture + dt * change, 0.0), 1.0)
