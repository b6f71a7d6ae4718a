"""The compiled step: every phase of a step, journey by journey, in machine code (ODD 3).

:meth:`sim.mechanics.journeys.Journeys.step` advances the journeys with whole-array numpy
operations; it is the reference. This module runs the same phases, in the same order, as
compiled loops (:mod:`sim.mechanics.compiler`), many steps per call:

1. dated events (:func:`~sim.mechanics.shocks.seed_kernel`,
   :func:`~sim.mechanics.shocks.programme_ends_kernel`);
2. agent-level shocks (:func:`~sim.mechanics.shocks.agent_shocks_kernel`);
3. exposure (:func:`~sim.mechanics.network.exposure_kernel`), the five conditions and
   readiness (:func:`~sim.mechanics.conditions.readiness_kernel`);
4. the hazards and the competing-risks draw (:func:`~sim.mechanics.hazards.hazards_kernel`);
5. the moves and the slow variables (:func:`~sim.mechanics.bookkeeping.apply_moves_kernel`,
   :func:`~sim.mechanics.bookkeeping.slow_variables_kernel`);
6. what the step records: counts by region and by deprivation quintile, nation sums, the
   outcome summed by region and by quintile, and the event log (:func:`record_kernel`).

The random numbers are the reference's: the same numpy Generator, drawn in the same order
(one block of uniforms per step, drawn for many steps at once), so a seed gives the same draws
on both paths and on any number of processes. Both paths do the same arithmetic except where
the reference sums in another order (dense matrix products and BLAS sums): there they agree to
rounding, and the journeys' moves, which compare a uniform with a hazard, agree exactly
(tests/mechanics/test_kernel.py).

The compiled step leaves out only work whose result it already has, so its outputs are the
same bits as when it did the work: a journey's case condition is kept while its exponent is
unchanged (:func:`~sim.mechanics.conditions.readiness_kernel`); a draw that an upper bound on
its chance of a move shows to be no move skips ``expm1``
(:func:`~sim.mechanics.hazards.no_move_bound`), as does an inadequate judgement that cannot
happen; the policy terms are recomputed only for journeys whose nation's share at Wider system
change moved (:func:`~sim.mechanics.conditions.policy_kernel`); sums add each group's agents
in order in registers rather than in memory.
"""

from __future__ import annotations

from collections import namedtuple
from typing import TYPE_CHECKING

import numpy as np

from sim.cache import ProcessCache, config_key
from sim.mechanics import bookkeeping, conditions, hazards, network, shocks
from sim.mechanics.compiler import INDEX, WIDTH, kernel
from sim.mechanics.state import FIELDS, Evidence, JourneyState
from sim.mechanics.tables import NO_MOVE
from sim.vocabulary import APPROACHES, ENDED, MOBILISING, NATIONS

if TYPE_CHECKING:
    from sim.mechanics.journeys import Journeys
    from sim.mechanics.network import Network

# rows of a step's evidence (sim.mechanics.state.Evidence)
_POLICY, _FUNDED = int(Evidence.POLICY), int(Evidence.FUNDED)
_CRISIS, _MOMENTUM = int(Evidence.CRISIS), int(Evidence.MOMENTUM)
_OUTCOME = FIELDS.index("outcome")

#: Scalars of the configuration the step reads (names as in the configuration's sections).
Rules = namedtuple("Rules", [
    "dt", "draws", "collapsed", "conditions", "workforce", "feedback", "shocks", "macro",
    "synergy", "leadership_window", "case_exposure", "case_coproduction", "case_baseline",
    "case_policy", "policy_gain", "reprompt_rate", "macro_policy_reference", "funding_boost",
    "resume_rate", "rigidity_culture", "rigidity_factor", "restart_cooldown", "restart_weight",
    "poverty_budget", "programme_end_pause_probability", "leadership_change_rate",
    "inadequate_years_low", "inadequate_years_high", "culture_inadequate_drop",
    "culture_reversion", "culture_tip_gain", "rise_rate", "decay_rate", "lag_years"])
#: The journey-code tables (:class:`sim.mechanics.tables.JourneyConstants`) the step reads.
Codes = namedtuple("Codes", [
    "code_offset", "before_rates", "before_flags", "after_rates", "after_flags", "working",
    "leader_chances", "leader_next", "leader_kind", "leader_reason", "move_kind", "next_code",
    "stage_of", "status_of", "p0", "q", "weights", "synergy", "pattern_bits", "design",
    "design_log", "pause_rate"])
#: The scenario tables (:class:`sim.mechanics.inputs.ScenarioTables`) by input set.
Tables = namedtuple("Tables", [
    "policy", "policy_term", "case_policy", "need", "macro", "log_macro", "budget", "churn",
    "capacity", "capacity_led", "log_capacity", "log_capacity_led", "crisis"])
#: The timeline's per-step arrays (:class:`sim.mechanics.timeline.Timeline`).
Steps = namedtuple("Steps", [
    "start", "end", "input_id", "hazard_scale", "progression_scale", "package", "region_on",
    "learning_on", "cluster_on", "programme_end"])
#: The seeding events, flattened: events of step k are ``seed_ptr[k]:seed_ptr[k + 1]``, the
#: members of event e ``members[member_ptr[e]:member_ptr[e + 1]]``.
Seedings = namedtuple("Seedings", [
    "seed_ptr", "seed_approach", "seed_stage", "seed_until", "seed_reason", "member_ptr",
    "members"])
#: Everything a run's steps read and never write.
Inputs = namedtuple("Inputs", [
    "rules", "codes", "tables", "timeline", "events", "nation", "nation_order", "nation_ptr",
    "profile", "profile_nation", "nation_size", "region", "quintile", "inadequate",
    "spend_scale"])
#: The always-on ties as a sparse matrix (CSR) and the weights of the switchable layers.
Ties = namedtuple("Ties", [
    "indptr", "indices", "data", "static_weight", "complete_weight", "region",
    "region_size", "region_weight", "learning_weight", "cluster_weight"])
#: The journeys' state (:class:`sim.mechanics.state.JourneyState`), arrays written in place.
State = namedtuple("State", [
    "stage", "status", "coproduction", "funded_until", "ended_at", "integrated_since",
    "integrated_ever", "culture", "culture_initial", "workforce", "leader_changed_at",
    "compliance_until", "exposure", "fields"])
#: What one step computes and the next does not need (reused from step to step).
Scratch = namedtuple("Scratch", [
    "code", "kind", "reason", "stage_before", "visible", "members", "den", "prompt", "terms",
    "funded", "momentum", "crisis", "choice", "policy", "groups", "share", "case_memo"])
#: The policy terms of the last input set and shares at Wider system change (and that key),
#: and which nations' shares changed since.
Policy = namedtuple("Policy", ["key", "at_six", "last_at_six", "terms", "changed"])
#: Where the steps record: counts by region and by quintile, nation sums, outcome sums by
#: region and by quintile, the event log and the moment each approach first reaches a quarter
#: of the agents (for the clustering statistic).
Record = namedtuple("Record", [
    "counts", "quintile_counts", "sums", "outcome_sums", "event_step", "event_agent",
    "event_approach", "event_from", "event_to", "event_kind", "event_reason", "evidence",
    "events", "quarter_step", "quarter_live"])


@kernel
def step_kernel(s, x, net, k, u, w):
    """Advance every journey by one step ``k``; ``u`` holds the step's uniforms."""
    n, width = s.stage.shape[0], WIDTH
    t, r = x.timeline, x.rules
    t0, t1, row = t.start[k], t.end[k], t.input_id[k]
    u_move = u[:3 * n].reshape(n, width)
    for i in range(n):
        for a in range(width):
            w.stage_before[i, a] = s.stage[i, a]
            w.kind[i, a] = -1
            w.reason[i, a] = -1
    # 1. dated events
    shocks.seed_kernel(s, x, k, w.kind, w.reason)
    if t.programme_end[k] and not r.collapsed:
        shocks.programme_ends_kernel(s, x, row, t0, t1, u[3 * n:6 * n].reshape(n, width),
                                     w.kind, w.reason)
    offset = x.codes.code_offset
    for i in range(n):
        for a in range(width):
            stage, status = s.stage[i, a], s.status[i, a]
            w.code[i, a] = offset[a] + stage * 3 + status
            # (the agent-level shocks change codes, not stages: exposure's members as here)
            w.members[i, a] = stage >= MOBILISING and status != ENDED
    # 2. agent-level shocks
    if r.shocks and not r.collapsed:
        shocks.agent_shocks_kernel(s, x, t0, t.hazard_scale[k],
                                   u[6 * n:9 * n].reshape(n, 3),
                                   u[9 * n:12 * n].reshape(n, width), w.code, w.kind, w.reason)
    # 3. exposure, conditions and readiness
    visibility = x.codes.before_rates[0]
    for i in range(n):
        for a in range(width):
            w.visible[i, a] = visibility[w.code[i, a]]
    network.exposure_kernel(net, x, k, w.visible, w.members, s.exposure, w.den, w.groups)
    conditions.readiness_kernel(s, x, row, t0, w.code, w.prompt, w.terms, w.policy,
                                w.case_memo)
    # 4. hazards and the draw
    hazards.hazards_kernel(s, x, k, t0, t1, row, w.code, w.prompt, u_move, w.kind, w.choice,
                           w.funded, w.momentum, w.crisis, w.share)
    # 5. the moves, then the slow variables
    bookkeeping.apply_moves_kernel(s, x, w.code, w.choice, t1, w.kind)
    bookkeeping.slow_variables_kernel(s, x, row, w.code, t1)


@kernel
def record_kernel(s, x, k, w, rec):
    """Record step ``k``: counts and sums, its events with their evidence.

    The caller makes sure the event buffers have room for one event per journey.
    """
    n, width = s.stage.shape[0], WIDTH
    fields, sums, counts = s.fields, rec.sums[k], rec.counts[k]
    by_quintile, outcome = rec.quintile_counts[k], rec.outcome_sums[k]
    regions = rec.counts.shape[1]
    # each nation's sums add its agents in order, two fields and their three approaches at
    # once (six independent sums held in registers, not in memory)
    for nation in range(x.nation_ptr.shape[0] - 1):
        for f in range(0, fields.shape[0], 2):
            g = min(f + 1, fields.shape[0] - 1)     # (an odd last field pairs with itself)
            cs, tip, ts = sums[f, nation, 0], sums[f, nation, 1], sums[f, nation, 2]
            cs2, tip2, ts2 = sums[g, nation, 0], sums[g, nation, 1], sums[g, nation, 2]
            for m in range(x.nation_ptr[nation], x.nation_ptr[nation + 1]):
                i = x.nation_order[m]
                cs += fields[f, i, 0]
                tip += fields[f, i, 1]
                ts += fields[f, i, 2]
                cs2 += fields[g, i, 0]
                tip2 += fields[g, i, 1]
                ts2 += fields[g, i, 2]
            sums[f, nation, 0], sums[f, nation, 1], sums[f, nation, 2] = cs, tip, ts
            sums[g, nation, 0], sums[g, nation, 1], sums[g, nation, 2] = cs2, tip2, ts2
    for i in range(n):
        region, quintile = x.region[i], x.quintile[i]
        for a in range(width):
            stage, status = INDEX(s.stage[i, a]), INDEX(s.status[i, a])
            counts[region, a, stage, status] += 1
            by_quintile[quintile, a, stage, status] += 1
            value = fields[_OUTCOME, i, a]
            if value != 0.0:        # (outcomes are >= 0: adding 0 changes no sum)
                outcome[region, a] += value
                outcome[regions + quintile, a] += value
            if w.kind[i, a] < 0:
                continue
            e = rec.events[0]
            rec.event_step[e], rec.event_agent[e], rec.event_approach[e] = k, i, a
            rec.event_from[e], rec.event_to[e] = w.stage_before[i, a], s.stage[i, a]
            rec.event_kind[e], rec.event_reason[e] = w.kind[i, a], w.reason[i, a]
            for f in range(_POLICY):
                rec.evidence[f, e] = s.fields[f, i, a]
            for term in range(4):
                rec.evidence[_POLICY + term, e] = w.terms[term, i, a]
            rec.evidence[_FUNDED, e] = 1.0 if w.funded[i, a] else 0.0
            rec.evidence[_CRISIS, e] = w.crisis[i]
            rec.evidence[_MOMENTUM, e] = w.momentum[i, a]
            rec.events[0] = e + 1
    # the first step at which each approach engages a quarter of the agents
    for a in range(width):
        if rec.quarter_step[a] != -1:       # reached already (or recorded before)
            continue
        engaged = 0
        for i in range(n):
            engaged += s.stage[i, a] >= MOBILISING and s.status[i, a] != ENDED
        if 4 * engaged >= n:
            rec.quarter_step[a] = k
            for i in range(n):
                rec.quarter_live[a, i] = s.stage[i, a] >= MOBILISING and s.status[i, a] != ENDED


@kernel
def run_kernel(s, x, net, k0, k1, uniforms, w, rec):
    """Steps ``k0`` to ``k1 - 1`` (uniforms: one block per step); return the next step.

    Stops early, before a step, when the event buffers might not hold its events.
    """
    n, width = s.stage.shape[0], WIDTH
    block = x.rules.draws * n
    capacity = rec.event_step.shape[0]
    for k in range(k0, k1):
        if rec.events[0] + n * width > capacity:
            return k
        step_kernel(s, x, net, k, uniforms[(k - k0) * block:(k - k0 + 1) * block], w)
        record_kernel(s, x, k, w, rec)
    return k1


# ---------------------------------------------------------------------------------------------
# Packing a run for the compiled step (plain Python)
# ---------------------------------------------------------------------------------------------


def _frozen(array, dtype=None) -> np.ndarray:
    """A read-only C-ordered view (one type per input, so the step compiles once)."""
    if not (isinstance(array, np.ndarray) and array.dtype == dtype
            and array.flags.c_contiguous):
        array = np.ascontiguousarray(array, dtype=dtype)
    view = array.view()
    view.flags.writeable = False
    return view


def run_inputs(run: Journeys) -> Inputs:
    """Everything the compiled step reads of one configured run."""
    cfg = run.config
    c, p, sh, m = cfg.conditions, cfg.progression, cfg.shocks, cfg.mechanisms
    k = run.constants
    rules = Rules(
        dt=float(run.dt), draws=int(run.draws), collapsed=bool(cfg.stages.collapsed),
        conditions=bool(m.conditions), workforce=bool(m.workforce), feedback=bool(m.feedback),
        shocks=bool(m.shocks), macro=bool(m.macro), synergy=k.synergy is not None,
        leadership_window=float(c.leadership_window), case_exposure=float(c.case_exposure),
        case_coproduction=float(c.case_coproduction), case_baseline=float(c.case_baseline),
        case_policy=float(c.case_policy), policy_gain=float(cfg.feedback.policy_gain),
        reprompt_rate=float(cfg.feedback.reprompt_rate),
        macro_policy_reference=float(c.macro_policy_reference),
        funding_boost=float(p.funding_boost), resume_rate=float(p.resume_rate),
        rigidity_culture=float(p.rigidity_culture), rigidity_factor=float(p.rigidity_factor),
        restart_cooldown=float(cfg.prompting.restart_cooldown),
        restart_weight=float(cfg.prompting.restart_weight),
        poverty_budget=float(sh.poverty_budget),
        programme_end_pause_probability=float(sh.programme_end_pause_probability),
        leadership_change_rate=float(sh.leadership_change_rate),
        inadequate_years_low=float(sh.inadequate_pause_years[0]),
        inadequate_years_high=float(sh.inadequate_pause_years[1]),
        culture_inadequate_drop=float(c.culture_inadequate_drop),
        culture_reversion=float(c.culture_reversion), culture_tip_gain=float(c.culture_tip_gain),
        rise_rate=float(cfg.outcomes.rise_rate), decay_rate=float(cfg.outcomes.decay_rate),
        lag_years=float(cfg.outcomes.lag_years))
    codes = Codes(
        code_offset=_frozen(k.code_offset, INDEX),
        before_rates=_frozen(k.before_rates, float), before_flags=_frozen(k.before_flags, bool),
        after_rates=_frozen(k.after_rates, float), after_flags=_frozen(k.after_flags, bool),
        working=_frozen(k.working, bool), leader_chances=_frozen(k.leader_chances, float),
        leader_next=_frozen(k.leader_next, INDEX), leader_kind=_frozen(k.leader_kind, np.int8),
        leader_reason=_frozen(k.leader_reason, np.int16),
        move_kind=_frozen(k.move_kind, np.int8), next_code=_frozen(k.next_code, INDEX),
        stage_of=_frozen(k.stage_of, np.int8), status_of=_frozen(k.status_of, np.int8),
        p0=_frozen(k.p0, float), q=_frozen(k.q, float), weights=_frozen(k.weights, float),
        synergy=_frozen(np.zeros((WIDTH, WIDTH)) if k.synergy is None else k.synergy, float),
        pattern_bits=_frozen(k.pattern_bits, INDEX), design=_frozen(k.design, float),
        design_log=_frozen(k.design_log, float), pause_rate=float(k.pause_rate))
    t = run.tables
    tables = Tables(**{name: _frozen(getattr(t, name), float) for name in Tables._fields})
    tl = run.timeline
    programme_end = np.zeros(tl.steps, bool)
    programme_end[[s for s in run.programme_end_steps if s < tl.steps]] = True
    steps = Steps(
        start=_frozen(tl.start, float), end=_frozen(tl.end, float),
        input_id=_frozen(run.input_id, np.int64), hazard_scale=_frozen(tl.hazard_scale, float),
        progression_scale=_frozen(tl.progression_scale, float),
        package=_frozen(tl.package, float), region_on=_frozen(tl.region_on, bool),
        learning_on=_frozen(tl.learning_on, bool), cluster_on=_frozen(tl.cluster_on, bool),
        programme_end=_frozen(programme_end, bool))
    profile = np.arange(run.n) if run.profile is None else run.profile
    return Inputs(
        rules=rules, codes=codes, tables=tables, timeline=steps, events=_seedings(run),
        nation=_frozen(run.nation, INDEX),
        nation_order=_frozen(np.argsort(run.nation, kind="stable"), INDEX),
        nation_ptr=_frozen(np.searchsorted(np.sort(run.nation), np.arange(len(NATIONS) + 1)),
                           INDEX),
        profile=_frozen(profile, INDEX),
        profile_nation=_frozen(run.profiles.nation, INDEX),
        nation_size=_frozen(run.nation_size.ravel(), float),
        region=_frozen(run.population.region, INDEX),
        quintile=_frozen(run.population.quintile, INDEX),
        inadequate=_frozen(run.inadequate, float),
        spend_scale=_frozen(run.spend_scale.ravel(), float))


def _seedings(run: Journeys) -> Seedings:
    steps = run.timeline.steps
    events = [(k, seeding) for k in range(steps) for seeding in run.timeline.seedings.get(k, [])]
    seed_ptr = np.searchsorted([k for k, _ in events], np.arange(steps + 1), side="left")
    members = [np.asarray(seeding.agents, np.int64) for _, seeding in events]
    return Seedings(
        seed_ptr=_frozen(seed_ptr, INDEX),
        seed_approach=_frozen([e.approach for _, e in events], INDEX),
        seed_stage=_frozen([e.stage for _, e in events], np.int8),
        seed_until=_frozen([e.funded_until for _, e in events], float),
        seed_reason=_frozen([run.reason_of[e.label] for _, e in events], np.int16),
        member_ptr=_frozen(np.r_[0, np.cumsum([len(a) for a in members], dtype=np.int64)],
                           INDEX),
        members=_frozen(np.concatenate(members) if members else np.zeros(0), INDEX))


def run_ties(net: Network) -> Ties:
    """The network of a run for the compiled exposure."""
    n = len(net.nation)
    static = net.static if net.static is not None else None
    if static is None:
        indptr, indices, data = np.zeros(n + 1, np.int64), np.zeros(0, np.int64), np.zeros(0)
    else:
        static = static.tocsr()
        static.sort_indices()
        indptr, indices, data = static.indptr, static.indices, static.data
    return Ties(
        indptr=_frozen(indptr, INDEX), indices=_frozen(indices, INDEX),
        data=_frozen(data, float), static_weight=_frozen(net.static_weight, float),
        complete_weight=float(net.complete_weight), region=_frozen(net.region, INDEX),
        region_size=_frozen(np.bincount(net.region, minlength=int(net.region.max()) + 1
                                        if n else 0), float),
        region_weight=float(net.region_weight), learning_weight=float(net.learning_weight),
        cluster_weight=float(net.cluster_weight))


def kernel_state(s: JourneyState) -> State:
    """The state's arrays for the compiled step (made writable and C-ordered where needed)."""
    for name in State._fields:
        array = getattr(s, name)
        if not (array.flags.writeable and array.flags.c_contiguous):
            setattr(s, name, np.array(array, order="C"))
    return State(*(getattr(s, name) for name in State._fields))


def scratch(n: int, regions: int) -> Scratch:
    """The step's working arrays for ``n`` agents in ``regions`` regions."""
    shape = (n, WIDTH)
    return Scratch(
        code=np.zeros(shape, INDEX), kind=np.full(shape, -1, np.int8),
        reason=np.full(shape, -1, np.int16), stage_before=np.zeros(shape, np.int8),
        visible=np.zeros(shape), members=np.zeros(shape, bool), den=np.zeros(shape),
        prompt=np.zeros(shape), terms=np.zeros((4, n, WIDTH)), funded=np.zeros(shape, bool),
        momentum=np.zeros(shape), crisis=np.zeros(n), choice=np.full(shape, NO_MOVE, np.int8),
        policy=Policy(key=np.full(2, -1, np.int64), at_six=np.zeros((len(NATIONS), WIDTH)),
                      last_at_six=np.zeros((len(NATIONS), WIDTH)),
                      terms=np.zeros((4, n, WIDTH)),
                      changed=np.zeros((len(NATIONS), WIDTH), bool)),
        groups=np.zeros((regions + 5, WIDTH)), share=np.zeros((len(NATIONS), WIDTH)),
        case_memo=np.full((3, n, WIDTH), np.nan))


def record_buffers(recorder, n: int, capacity: int, quarter_done: np.ndarray) -> Record:
    """Event buffers for ``capacity`` events; counts and sums go into ``recorder``'s arrays."""
    return Record(
        counts=recorder.counts, quintile_counts=recorder.quintile_counts, sums=recorder.sums,
        outcome_sums=recorder.outcome_sums, event_step=np.empty(capacity, np.int64),
        event_agent=np.empty(capacity, np.int64), event_approach=np.empty(capacity, np.int64),
        event_from=np.empty(capacity, np.int8), event_to=np.empty(capacity, np.int8),
        event_kind=np.empty(capacity, np.int8), event_reason=np.empty(capacity, np.int16),
        evidence=np.empty((len(Evidence), capacity)), events=np.zeros(1, np.int64),
        quarter_step=np.where(quarter_done, np.int64(-2), np.int64(-1)),
        quarter_live=np.zeros((WIDTH, n), bool))


_INPUTS = ProcessCache(16)      # inputs of the real authorities by configuration, and ties


class CompiledSteps:
    """The compiled step of one run: its inputs, working arrays and event buffers.

    :meth:`advance` takes any number of steps in one call; the model uses it for a whole run
    and for single steps alike.
    """

    #: uniforms drawn at a time (a block of steps), at most
    MAX_UNIFORMS = 1 << 20

    def __init__(self, run: Journeys, net: Network, recorder):
        self.run, self.recorder = run, recorder
        if run.population.is_real:      # everything it reads is the configuration's
            self.inputs = _INPUTS.get(config_key(run.config), lambda: run_inputs(run))
        else:
            self.inputs = run_inputs(run)
        layers = (net.complete_weight, net.region_weight, net.learning_weight,
                  net.cluster_weight)
        self.ties = (run_ties(net) if net.cache_key is None
                     else _INPUTS.get((net.cache_key, layers), lambda: run_ties(net)))
        self.scratch = scratch(run.n, len(self.ties.region_size))
        done = np.array([name in recorder.clustering for name in APPROACHES])
        self.record = record_buffers(recorder, run.n,
                                     max(4 * run.n * WIDTH, 1 << 13), done)

    def advance(self, state: JourneyState, k0: int, k1: int, rng: np.random.Generator) -> None:
        """Take steps ``k0`` to ``k1 - 1`` on ``state``, recording into the run's recorder."""
        s, x, rec = kernel_state(state), self.inputs, self.record
        block = x.rules.draws * self.run.n
        per_draw = max(1, self.MAX_UNIFORMS // max(block, 1))
        while k0 < k1:
            stop = min(k1, k0 + per_draw)
            uniforms = rng.random(block * (stop - k0))
            k = k0
            while k < stop:
                reached = run_kernel(s, x, self.ties, k, stop,
                                     uniforms[(k - k0) * block:], self.scratch, rec)
                self._flush()
                k = reached
            k0 = stop

    def _flush(self) -> None:
        """Hand the buffered events, and any approach's first quarter, to the recorder."""
        rec, recorder = self.record, self.recorder
        m = int(rec.events[0])
        if m:
            recorder.add_events(
                time=self.run.timeline.end[rec.event_step[:m]],
                agent=rec.event_agent[:m].copy(), approach=rec.event_approach[:m].copy(),
                from_stage=rec.event_from[:m].copy(), to_stage=rec.event_to[:m].copy(),
                kind=rec.event_kind[:m].copy(), reason=rec.event_reason[:m].copy(),
                evidence=rec.evidence[:, :m].copy())
            rec.events[0] = 0
        for a in (rec.quarter_step >= 0).nonzero()[0]:
            recorder.first_quarter(APPROACHES[a], rec.quarter_live[a])
            rec.quarter_step[a] = -2
