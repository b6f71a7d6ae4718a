"""The journeys of one configured run, and one synchronous step (ODD 3 and 7).

Every journey (agent x approach) has a stage 0-6 and a status (active, paused, ended); all
state lives in a :class:`sim.mechanics.state.JourneyState` of arrays. :meth:`Journeys.step`
advances every journey by one step with whole-array operations, calling the phases of the
step in the order the ODD gives. Every journey decides on the state at the start of the step
(after the step's dated events and shocks), and all moves then apply together.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.config import Config
from sim.mechanics import bookkeeping, conditions, hazards, shocks
from sim.mechanics.inputs import ScenarioTables, scenario_inputs
from sim.mechanics.network import Network
from sim.mechanics.population import Population, authorities
from sim.mechanics.reasons import reason_list
from sim.mechanics.state import FIELDS, Evidence, JourneyState, StepEvents
from sim.mechanics.tables import MOVES, NO_MOVE, journey_constants
from sim.mechanics.timeline import Timeline
from sim.vocabulary import APPROACHES, ENDED, INTEGRATING, MOBILISING, NATIONS

EPS = 1e-9


@dataclass(frozen=True)
class StepInputs:
    """Scenario-driven inputs of one step for every agent, before policy feedback.

    Journey arrays have shape (agents, approaches); agent arrays have shape (agents,).
    """

    policy: np.ndarray
    policy_term: np.ndarray
    need: np.ndarray
    case_policy: np.ndarray
    macro: np.ndarray
    log_macro: np.ndarray
    budget: np.ndarray
    capacity: np.ndarray
    churn: np.ndarray


class Journeys:
    """The journeys of one configured run: constants, inputs and what the step remembers.

    The phases of a step (modules :mod:`~sim.mechanics.shocks`,
    :mod:`~sim.mechanics.conditions`, :mod:`~sim.mechanics.hazards` and
    :mod:`~sim.mechanics.bookkeeping`) read this object and update its memory:

    Attributes:
        constants: rates and journey-code tables of the configuration (shared, read-only).
        input_id, tables: each step's input set and the scenario tables (shared, read-only).
        nation, profile, profiles: each agent's nation, the real authority it copies (None
            when the agents are the real authorities) and those authorities.
        spend_scale, inadequate: per-agent step cost scale and inadequate-judgement hazard.
        funded_until_max, compliance_until_max: the latest funding and compliance dates seen,
            so steps can skip what no journey needs.
        design_log, feedback_key, feedback_terms, shock_probability: values kept from one
            step to the next until what they depend on changes.
        kind, reason, hazards: the step's buffers; code: every journey's code after the step.
    """

    def __init__(self, config: Config, population: Population, network: Network,
                 timeline: Timeline, seed_labels: list[str]):
        self.config, self.population, self.network, self.timeline = (config, population,
                                                                     network, timeline)
        self.n, self.width, self.dt = population.size, len(APPROACHES), config.time.dt
        self.reasons = reason_list(seed_labels)
        self.reason_of = {text: i for i, text in enumerate(self.reasons)}
        self.constants = journey_constants(config)
        scenario = scenario_inputs(config, timeline, self.constants.p0, self.constants.weights)
        self.input_id, self.tables = scenario.input_id, scenario.tables
        self.nation = population.nation
        self.nation_onehot = (population.nation[None, :] ==
                              np.arange(len(NATIONS))[:, None]).astype(float)
        self.nation_size = np.maximum(self.nation_onehot.sum(axis=1), 1.0)[:, None]
        self.spend_scale = (self.dt * (population.child_population / 1e4))[:, None]
        self.profiles = authorities(config)
        self.profile = None if population.is_real else population.source
        self.inadequate = (config.shocks.inadequate_rate * 2.0 * self.dt
                           * (population.nation == NATIONS.index("England")))
        self.programme_end_steps = {
            int(np.searchsorted(timeline.end, seeding.funded_until + EPS, side="right"))
            for seedings in timeline.seedings.values() for seeding in seedings
            if np.isfinite(seeding.funded_until)}
        self.funded_until_max = -np.inf
        self.compliance_until_max = -np.inf
        self.design_log: np.ndarray | None = None
        self.feedback_key: tuple | None = None
        self.feedback_terms: tuple = ()
        self.shock_probability: dict[float, tuple[float, np.ndarray]] = {}
        # uniforms per agent and step: moves (3), programme-end decisions (3), and with shocks
        # the agent's shocks (3) and the change-of-director decisions (3), drawn only when the
        # configuration can use them
        collapsed = config.stages.collapsed
        with_shocks = config.mechanisms.shocks and not collapsed
        self.draws = 3 + 3 * bool(self.programme_end_steps or with_shocks) + 6 * with_shocks
        self.kind = np.empty((self.n, self.width), np.int8)
        self.reason = np.empty((self.n, self.width), np.int16)
        self.hazards = np.empty((1 if collapsed else MOVES - 1, self.n, self.width))
        self.code: np.ndarray | None = None

    def step(self, s: JourneyState, k: int, rng: np.random.Generator) -> StepEvents:
        """Advance every journey by one step (synchronous); return the transitions.

        The phases, in the order of the ODD (section 3):

        1. dated events: seeding of named sites, and the end of funded programmes;
        2. agent-level shocks: a change of director, an Ofsted inadequate judgement;
        3. exposure through the ties, the five conditions and readiness C;
        4. the hazards of every journey's moves, and one competing-risks draw;
        5. the moves apply together, then the slow variables (co-production, culture,
           spend, outcomes);
        6. the step's transitions, with the evidence each journey decided on.
        """
        tl, n, width = self.timeline, self.n, self.width
        t0, t1, row = tl.start[k], tl.end[k], self.input_id[k]
        draws = rng.random(self.draws * n)
        u_move, u_forced = draws[:3 * n].reshape(n, width), draws[3 * n:6 * n].reshape(-1, width)
        u_agent, u_leader = draws[6 * n:9 * n].reshape(-1, 3), draws[9 * n:].reshape(-1, width)
        stage_before = s.stage.copy()
        kind, reason = self.kind, self.reason
        kind.fill(-1)
        reason.fill(-1)

        forced = shocks.seed(self, s, k, kind, reason) if k in tl.seedings else False
        funded = s.funded_until >= t1 - EPS if self.funded_until_max >= t1 - EPS else None
        if k in self.programme_end_steps and not self.config.stages.collapsed:
            forced |= shocks.programme_ends(self, s, row, t0, t1, u_forced, kind, reason)
        code = s.stage * 3
        code += s.status
        code = code + self.constants.code_offset
        if self.config.mechanisms.shocks and not self.config.stages.collapsed:
            forced |= shocks.agent_shocks(self, s, code, t0, tl.hazard_scale[k], u_agent,
                                          u_leader, kind, reason, forced)

        before = self.constants.before_rates.take(code, axis=1, mode="clip")
        flags = self.constants.before_flags.take(code, axis=1, mode="clip")
        # peer clusters' members: engaged and not ended (only needed while a cluster is on)
        members = ((s.stage >= MOBILISING) & (s.status != ENDED)
                   if tl.cluster_on[k].any() else None)
        s.exposure = self.network.exposure(before[0], tl, k, members)
        prompt, terms = conditions.readiness(self, s, row, t0, before[5])

        crisis, momentum = hazards.move_hazards(self, s, k, t0, row, prompt, before, flags,
                                                funded)
        choice = hazards.draw(self.hazards, tl.hazard_scale[k], self.dt, u_move)
        if forced:
            choice[kind >= 0] = NO_MOVE

        code = bookkeeping.apply_moves(self, s, code, choice, t1, kind)
        bookkeeping.slow_variables(self, s, code, self.per_agent(self.tables.churn[row]), t1)
        self.code = code
        return self._events(s, stage_before, terms, funded, crisis, momentum)

    def _events(self, s: JourneyState, stage_before: np.ndarray, terms: tuple,
                funded: np.ndarray | None, crisis: np.ndarray | None, momentum) -> StepEvents:
        """The step's transitions and, for each, the evidence it decided on."""
        kind = self.kind
        moved = (kind.ravel() >= 0).nonzero()[0]
        rows, cols = np.divmod(moved, self.width)
        evidence = np.zeros((len(Evidence), len(moved)))
        s.fields[:Evidence.POLICY].reshape(Evidence.POLICY, -1).take(
            moved, axis=1, out=evidence[:Evidence.POLICY], mode="clip")
        for line, term in zip((Evidence.POLICY, Evidence.PEERS, Evidence.NEED,
                               Evidence.REPROMPT), terms, strict=True):
            if term is not None:
                term.take(moved, out=evidence[line], mode="clip")
        if funded is not None:
            evidence[Evidence.FUNDED] = funded.take(moved)
        if crisis is not None:
            crisis.take(rows, out=evidence[Evidence.CRISIS], mode="clip")
            if np.ndim(momentum):
                momentum.take(moved, out=evidence[Evidence.MOMENTUM], mode="clip")
            else:
                evidence[Evidence.MOMENTUM] = momentum
        return StepEvents(agent=rows, approach=cols, from_stage=stage_before.take(moved),
                          to_stage=s.stage.take(moved), kind=kind.take(moved),
                          reason=self.reason.take(moved), evidence=evidence)

    def initial_state(self) -> JourneyState:
        """Every journey at its approach's initial stage, active; culture from Ofsted grades."""
        n, w = self.n, self.width
        c = self.config.conditions
        stage = np.tile(np.array([self.config.approaches[a].initial_stage for a in APPROACHES],
                                 np.int8), (n, 1))
        grade = self.population.ofsted_grade
        by_grade = np.r_[np.nan, c.culture_by_grade]
        ungraded = np.array([c.culture_ungraded[name] for name in NATIONS])[self.nation]
        culture = np.where(np.isnan(grade), ungraded,
                           by_grade[np.nan_to_num(grade, nan=0).astype(int)])
        if c.culture_shift:
            culture = np.clip(culture + c.culture_shift, 0.0, 1.0)
        integrated = stage >= INTEGRATING
        fields = np.ones((len(FIELDS), n, w))
        fields[FIELDS.index("spend")] = 0.0
        fields[FIELDS.index("outcome")] = 0.0
        return JourneyState(
            stage=stage, status=np.zeros((n, w), np.int8), coproduction=np.zeros((n, w)),
            funded_until=np.full((n, w), -np.inf), ended_at=np.full((n, w), np.nan),
            integrated_since=np.where(integrated, self.timeline.start[0], np.nan),
            integrated_ever=integrated.copy(), culture=culture.copy(), culture_initial=culture,
            workforce=np.ones(n), leader_changed_at=np.full(n, -np.inf),
            compliance_until=np.full(n, -np.inf), exposure=np.zeros((n, w)), fields=fields)

    def per_agent(self, table: np.ndarray) -> np.ndarray:
        """A profile array (profiles, ...) for every agent."""
        return table if self.profile is None else table.take(self.profile, axis=0, mode="clip")

    def nation_share(self, mask: np.ndarray) -> np.ndarray:
        """Share of each nation's agents with ``mask`` set, shape (nations, approaches)."""
        return self.nation_onehot @ mask / self.nation_size

    def inputs(self, k: int) -> StepInputs:
        """Inputs of step k for every agent (the step itself gathers only what it uses)."""
        t: ScenarioTables = self.tables
        row = self.input_id[k]
        policy = t.policy[row].take(self.nation, axis=0, mode="clip")
        policy_term, need, case_policy, macro, log_macro, budget, capacity, churn = (
            self.per_agent(x[row]) for x in (t.policy_term, t.need, t.case_policy, t.macro,
                                             t.log_macro, t.budget, t.capacity, t.churn))
        return StepInputs(policy=policy, policy_term=policy_term, need=need,
                          case_policy=case_policy, macro=macro, log_macro=log_macro,
                          budget=budget, capacity=capacity, churn=churn)
