"""Journey mechanics: the five conditions, the hazards and one synchronous step (MODEL.md 3-4).

Every journey (agent x approach) has a stage 0-6 and a status (active, paused, ended). All
state lives in arrays of shape (agents, approaches); one call of :meth:`Mechanics.step`
advances every journey by one step with whole-array operations:

1. seeding events of the quarter, and the end of funded programmes;
2. agent-level shocks: a change of director, an Ofsted inadequate judgement;
3. exposure through the network and the five conditions, combined into readiness C;
4. one competing-risks draw per journey among its possible moves;
5. bookkeeping: co-production, culture, absorptive capacity, spend and lagged outcomes.

Hazards are annual rates h; a journey whose moves have total hazard H makes one of them in a
step with probability 1 - exp(-H dt), the k-th with probability h_k / H, so probabilities never
exceed one. Every journey decides on the state at the start of the step (after the step's
dated events and shocks), and all moves then apply together.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from sim.config import APPROACHES, NATIONS, Config
from sim.network import Network
from sim.population import Population, authorities
from sim.scenario import ConfigCache, Timeline, agent_budget, config_key, workforce_rates

STAGES: tuple[str, ...] = ("Not started", "Mobilising", "Designing", "Developing",
                           "Integrating", "Growing", "Wider system change")
STATUSES: tuple[str, ...] = ("active", "paused", "ended")
ACTIVE, PAUSED, ENDED = 0, 1, 2
KINDS: tuple[str, ...] = ("prompt", "progress", "pause", "resume", "revisit", "end", "restart",
                          "seed")
CONDITIONS: tuple[str, ...] = ("case", "workforce", "design", "culture", "macro")
CONDITION_WORDS: tuple[str, ...] = ("case and buy-in", "workforce capacity", "achievable design",
                                    "open culture", "macro context")
CS, TIP, TS = (APPROACHES.index(a) for a in ("CS", "TIP", "TS"))
INTEGRATING = 4
CODES = 7 * 3       # journey codes per approach: stage * 3 + status
EPS = 1e-9
BUCKETS = 3         # a change of director's draw: below both, one or neither probability

# Reasons recorded in the event log, in plain words. "{condition}" variants name the weakest
# condition (setbacks) or the strongest (progress).
PROMPT_REASONS = ["prompted by national policy", "prompted by peers already using it",
                  "prompted by local need", "re-prompted by its own wider system change"]
FIXED_REASONS = [
    *PROMPT_REASONS,
    "renewal: picked up again after ending",
    "moved on with programme funding",
    "workforce crisis",
    "change of director",
    "change of director: went back a stage",
    "Ofsted inadequate judgement: compliance focus",
    "funded programme ended",
    "funded programme ended with a low budget (poverty trap)",
]
VARIANT_REASONS = {
    "progress": "conditions allowed it to move on (strongest: {condition})",
    "resume": "resumed as conditions allowed (strongest: {condition})",
    "pause": "lost momentum (weakest: {condition})",
    "revisit": "went back a stage to rework it (weakest: {condition})",
    "end": "ended (weakest: {condition})",
}
BASE_REASONS: list[str] = FIXED_REASONS + [text.format(condition=word)
                                           for text in VARIANT_REASONS.values()
                                           for word in CONDITION_WORDS]
_R = {text: i for i, text in enumerate(FIXED_REASONS)}
_V = {name: len(FIXED_REASONS) + 5 * k for k, name in enumerate(VARIANT_REASONS)}
_K = {name: i for i, name in enumerate(KINDS)}


def _transition_tables() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """New status, stage change and event kind for (status, started, choice) (choice 4 = none).

    Choices are the competing moves: 0 forward (prompt, progress, resume or restart), 1 pause,
    2 revisit, 3 end.
    """
    status = np.zeros((3, 2, 5), np.int8)
    status[:] = np.arange(3, dtype=np.int8)[:, None, None]
    delta = np.zeros((3, 2, 5), np.int8)
    kind = np.full((3, 2, 5), -1, np.int8)
    kind[ACTIVE, 0, 0], delta[ACTIVE, 0, 0] = _K["prompt"], 1
    kind[ACTIVE, 1, 0], delta[ACTIVE, 1, 0] = _K["progress"], 1
    kind[ACTIVE, 1, 1], status[ACTIVE, 1, 1] = _K["pause"], PAUSED
    kind[ACTIVE, 1, 2], delta[ACTIVE, 1, 2] = _K["revisit"], -1
    kind[ACTIVE, 1, 3], status[ACTIVE, 1, 3] = _K["end"], ENDED
    kind[PAUSED, 1, 0], status[PAUSED, 1, 0] = _K["resume"], ACTIVE
    kind[PAUSED, 1, 3], status[PAUSED, 1, 3] = _K["end"], ENDED
    for started in (0, 1):
        kind[ENDED, started, 0], status[ENDED, started, 0] = _K["restart"], ACTIVE
    return status.ravel(), delta.ravel(), kind.ravel()


FIELDS: tuple[str, ...] = (*CONDITIONS, "readiness", "spend", "outcome")


@dataclass
class JourneyState:
    """Dynamic state of every agent and journey (structure of arrays).

    Journey arrays have shape (agents, approaches); agent arrays have shape (agents,).
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


EVIDENCE: tuple[str, ...] = (*CONDITIONS, "readiness", "policy_term", "peer_term", "need_term",
                             "reprompt_term", "funded", "crisis_term", "momentum_term")


@dataclass(frozen=True)
class StepEvents:
    """Transitions of one step: one entry per journey that changed.

    ``reason`` is a code into the reasons list, or -1 for a hazard-driven move, which
    :func:`explain` turns into a code from ``evidence`` (shape (len(EVIDENCE), moves)): the
    conditions, readiness and prompting terms the journey decided on.
    """

    agent: np.ndarray
    approach: np.ndarray
    from_stage: np.ndarray
    to_stage: np.ndarray
    kind: np.ndarray
    reason: np.ndarray
    evidence: np.ndarray


def chain_hazards(forward: list[float], backward: list[float], exit_: list[float],
                  dt: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Annual hazards whose competing-risks step probabilities are exactly the given ones."""
    f, b, e = (np.asarray(x, float) for x in (forward, backward, exit_))
    total = f + b + e
    rate = np.divide(-np.log1p(-total) / dt, total, out=np.zeros_like(total), where=total > 0)
    return f * rate, b * rate, e * rate


SCENARIO_CACHE = 4      # configurations whose scenario tables are kept (see Mechanics._scenario)


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


@dataclass(frozen=True)
class ScenarioTables:
    """Scenario-driven inputs of every distinct input set (leading axis), per profile.

    Agents copying the same real authority (a *profile*) share every static attribute, so the
    inputs are computed once per profile and gathered for the agents of each step. ``policy``
    is per nation, (sets, nations, approaches), for policy feedback; the other arrays are
    (sets, profiles, approaches) or (sets, profiles). ``capacity_led`` is the capacity under a
    new director, ``log_capacity`` and ``log_capacity_led`` their log-weights in readiness,
    and ``crisis`` the workforce-crisis pause hazard.
    """

    policy: np.ndarray
    policy_term: np.ndarray
    case_policy: np.ndarray
    need: np.ndarray
    macro: np.ndarray
    log_macro: np.ndarray
    budget: np.ndarray
    capacity: np.ndarray
    churn: np.ndarray
    capacity_led: np.ndarray
    log_capacity: np.ndarray
    log_capacity_led: np.ndarray
    crisis: np.ndarray


_SCENARIOS = ConfigCache(SCENARIO_CACHE)    # input sets and scenario tables
_CONSTANTS = ConfigCache(SCENARIO_CACHE)    # rates and journey-code tables


class Mechanics:
    """The journey submodels of one configured run, applied to a :class:`JourneyState`.

    Per-journey constants (visibility, base hazards, costs, transitions) are tables indexed by
    the journey code ``approach * 21 + stage * 3 + status``, so each step looks them up with a
    few ``take`` calls instead of recomputing them from stage and status.
    """

    def __init__(self, config: Config, population: Population, network: Network,
                 timeline: Timeline, seed_labels: list[str]):
        self.config, self.population, self.network, self.timeline = (config, population,
                                                                     network, timeline)
        self.n, self.width = population.size, len(APPROACHES)
        self.dt = config.time.dt
        self.reasons = BASE_REASONS + [label for label in dict.fromkeys(seed_labels)
                                       if label not in BASE_REASONS]
        self._reason_of = {text: i for i, text in enumerate(self.reasons)}
        self._constants(config)
        self._inputs(config, population, timeline)
        self._design_log: np.ndarray | None = None
        self._feedback_key: tuple | None = None
        self._feedback_terms: tuple = ()

    # -- constants and precomputed inputs ---------------------------------------------------

    def _constants(self, config: Config) -> None:
        """Rates and journey-code tables (:meth:`_rates`, :meth:`_code_tables`).

        They depend only on the configuration, so the runs of one configuration in a process
        share them; they are read-only.
        """
        def build() -> dict:
            before = set(vars(self))
            self._rates(config)
            self._code_tables(config)
            added = {name: value for name, value in vars(self).items() if name not in before}
            for value in added.values():
                if isinstance(value, np.ndarray):
                    value.flags.writeable = False
            return added

        vars(self).update(_CONSTANTS.get(config_key(config), build))

    def _rates(self, config: Config) -> None:
        approaches = [config.approaches[a] for a in APPROACHES]
        progression = config.progression
        forward = np.zeros(7)
        forward[1:6] = 1.0 / np.asarray(progression.years_per_stage)
        revisit = np.r_[0.0, progression.revisit_rate]
        end = np.r_[0.0, progression.end_rate]
        pause = progression.pause_rate
        if config.chain is not None:
            f, b, e = chain_hazards(config.chain.forward, config.chain.backward,
                                    config.chain.exit, self.dt)
            forward[1:6], revisit[1:6], end[1:6] = f, b, e
            forward[6] = revisit[6] = end[6] = pause = 0.0
        speed = np.array([a.speed for a in approaches])
        self.forward_rate = forward[:, None] * speed[None, :]          # (stage, approach)
        self.revisit_rate, self.end_rate, self.pause_rate = revisit, end, pause
        self.p0 = np.array([a.p0 for a in approaches])
        self.q = np.array([a.q for a in approaches])
        self.complexity = np.array([a.complexity for a in approaches])
        visibility = np.array(config.stages.visibility, float)
        if config.stages.collapsed:
            visibility = np.r_[0.0, np.ones(6)]
        status_factor = np.array([1.0, config.stages.paused_visibility, 0.0])
        self.visible = (visibility[:, None] * status_factor[None, :]).ravel()  # stage*3+status
        cost = np.r_[0.0, config.costs.per_stage]
        status_factor = np.array([1.0, config.costs.paused_fraction, 0.0])
        multiplier = np.array([a.cost_multiplier for a in approaches])
        # annual cost per 10,000 children, indexed by (stage * 3 + status) * A + approach
        self.cost = (cost[:, None, None] * status_factor[None, :, None]
                     * multiplier[None, None, :]).ravel()
        w = config.conditions.weights
        weights = np.array([w.case, w.workforce, w.design, w.culture, w.macro])
        self.weights = weights / weights.sum()
        self.forward_rate = self.forward_rate.ravel()                    # stage * A + approach
        self.synergy = None
        if config.mechanisms.synergy:
            self.synergy = np.zeros((self.width, self.width))       # row: integrated approach
            self.synergy[TIP, CS] = self.synergy[TIP, TS] = config.synergy.tip_to_cs_ts
            self.synergy[CS, TIP] = config.synergy.cs_to_tip
        c = config.conditions
        # design condition (c) and its log-weight by the number of approaches ever integrated,
        # looked up by the pattern of those approaches (bit a set for approach a)
        absorptive = np.minimum(1.0, c.absorptive_initial
                                + c.absorptive_gain * np.arange(self.width + 1))
        by_count = np.maximum(1.0 - self.complexity * (1.0 - absorptive[:, None]), 1e-6)
        self.pattern_bits = (2 ** np.arange(self.width)).astype(np.uint8)
        count = [bin(pattern).count("1") for pattern in range(2 ** self.width)]
        self.design = by_count[count]
        self.design_log = self.weights[2] * np.log(self.design)

    def _code_tables(self, config: Config) -> None:
        """Per-journey constants and transitions by journey code (see the class docstring)."""
        width, dt = self.width, self.dt
        code = np.arange(width * CODES)
        a, stage, status = code // CODES, code % CODES // 3, code % 3
        started, active, paused, ended = (stage >= 1, status == ACTIVE, status == PAUSED,
                                          status == ENDED)
        working, alive = active & started, started & ~ended
        integrated = (stage >= INTEGRATING) & ~ended
        self.code_offset = np.arange(width) * CODES
        self._approaches = np.arange(width)
        self._others = 1.0 - np.eye(width)      # mask @ this: count of the other approaches
        # before the moves: visibility, forward rate, revisit and end hazards at C = 0 (zero
        # where the move is impossible), the working (active and started) indicator, and the
        # 0/1 indicators of Wider system change and integration (floats, for matrix products)
        self._before_rates = np.stack([
            self.visible[stage * 3 + status],
            working * self.forward_rate[stage * width + a],
            working * self.revisit_rate[stage],
            np.where(working, self.end_rate[stage],
                     paused * config.progression.end_paused_rate),
            working, alive & (stage == 6), alive & (stage >= INTEGRATING)])
        self._before_flags = np.stack([stage == INTEGRATING, stage == 5, active & ~started,
                                       paused, ended])
        # after the moves: annual cost, co-production growth, culture gain from integrated
        # TIP, and bookkeeping indicators
        self._after_rates = np.stack([
            self.cost[(stage * 3 + status) * width + a],
            (active & (stage >= 2)) * (dt * config.conditions.coproduction_rate),
            config.conditions.culture_tip_gain * integrated])
        self._after_flags = np.stack([integrated, ~integrated, integrated & active])
        self._working = working
        self._leader_tables(config, code, working, paused & (stage >= 2) & (stage <= 3))
        # transitions by journey code * 5 + choice
        new_status, delta, kind = _transition_tables()
        index = (status * 2 + started)[:, None] * 5 + np.arange(5)
        self._move_kind = kind[index].ravel()
        # a journey at stage 6 has no forward hazard, so it never moves to a stage 7
        new_stage = np.minimum(np.where(kind[index] == _K["restart"], 1,
                                        stage[:, None] + delta[index]), 6)
        self._next_code = np.where(kind[index] >= 0,
                                   (a * CODES)[:, None] + new_stage * 3 + new_status[index],
                                   code[:, None]).ravel()
        self._stage_of, self._status_of = stage.astype(np.int8), status.astype(np.int8)

    def _leader_tables(self, config: Config, code: np.ndarray, pausable: np.ndarray,
                       revisable: np.ndarray) -> None:
        """A change of director's move by journey code * BUCKETS + bucket of its draw.

        The bucket is the number of the two probabilities (pause, go back a stage) at or
        below the draw (compared with both, sorted), so the draw is below the k-th
        smallest exactly when the bucket is at most k. The last bucket never moves.
        """
        sh = config.shocks
        chances = np.array([sh.leadership_pause_probability, sh.leadership_revisit_probability])
        order = np.argsort(chances, kind="stable")
        self._leader_chances = chances[order]
        rank = np.argsort(order)            # position of each probability once sorted
        bucket = np.arange(BUCKETS)
        pause = pausable[:, None] & (bucket <= rank[0])
        back = revisable[:, None] & (bucket <= rank[1])
        here = np.repeat(code[:, None], BUCKETS, axis=1)
        self._leader_next = np.select([pause, back], [here + 1, here - 3], here).ravel()
        self._leader_kind = np.select([pause, back], [_K["pause"], _K["revisit"]],
                                      -1).astype(np.int8).ravel()
        self._leader_reason = np.select(
            [pause, back], [_R["change of director"], _R["change of director: went back a stage"]],
            -1).astype(np.int16).ravel()

    def _inputs(self, config: Config, population: Population, timeline: Timeline) -> None:
        """Per-step inputs that depend only on the scenario, computed once per run."""
        m = config.mechanisms
        n = population.size
        self.nation = population.nation
        self.nation_onehot = (population.nation[None, :] ==
                              np.arange(len(NATIONS))[:, None]).astype(float)
        self.nation_size = np.maximum(self.nation_onehot.sum(axis=1), 1.0)[:, None]
        self.children = population.child_population / 1e4
        self._spend_scale = (self.dt * self.children)[:, None]
        self.profiles = authorities(config)
        # the profile (real authority) of each agent, or None when the agents are the profiles
        self.profile = None if population.is_real else population.source
        self.crisis_rate = (config.workforce.crisis_pause_rate
                            if m.shocks and m.workforce else 0.0)
        self._input_id, self.tables = self._scenario(config, timeline)
        self.inadequate = (config.shocks.inadequate_rate * 2.0 * self.dt
                           * (population.nation == NATIONS.index("England")))
        self.programme_end_steps = {
            int(np.searchsorted(timeline.end, seeding.funded_until + EPS, side="right"))
            for seedings in timeline.seedings.values() for seeding in seedings
            if np.isfinite(seeding.funded_until)}
        self.funded_until_max = -np.inf
        self.compliance_until_max = -np.inf
        self._shock_probability: dict[float, tuple[float, np.ndarray]] = {}
        # uniforms per agent and step: moves (3), programme-end decisions (3), and with shocks
        # the agent's shocks (3) and the change-of-director decisions (3), drawn only when the
        # configuration can use them
        collapsed = config.stages.collapsed
        shocks = m.shocks and not collapsed
        self._draws = 3 + 3 * bool(self.programme_end_steps or shocks) + 6 * shocks
        self._kind = np.empty((n, self.width), np.int8)
        self._reason = np.empty((n, self.width), np.int16)
        self._hazards = np.empty((1 if collapsed else 4, n, self.width))

    def _scenario(self, config: Config, timeline: Timeline) -> tuple[np.ndarray, ScenarioTables]:
        """The input set of each step and the scenario tables, cached per configuration.

        Both depend only on the configuration (the tables cover every real authority), so the
        runs of one configuration in a process share them; they are read-only.
        """
        def build() -> tuple[np.ndarray, ScenarioTables]:
            input_id, steps = self._distinct_inputs(config, timeline)
            tables = self._scenario_tables(steps)
            # C order: the step mixes these with its own arrays, which costs less in one order
            tables = ScenarioTables(**{f.name: np.ascontiguousarray(getattr(tables, f.name))
                                       for f in fields(tables)})
            for array in (input_id, *(getattr(tables, f.name) for f in fields(tables))):
                array.flags.writeable = False
            return input_id, tables

        return _SCENARIOS.get(config_key(config), build)

    @staticmethod
    def _distinct_inputs(config: Config, timeline: Timeline) -> tuple[np.ndarray, np.ndarray]:
        """For each step, the index of its distinct input set; and the first step of each set.

        Sets are numbered in order of appearance. Steps whose nation-level policy, budget and
        workforce series are the same share their inputs, so a run whose scenario is constant
        computes them once.
        """
        parts = [timeline.policy.reshape(timeline.steps, -1), timeline.budget]
        if config.mechanisms.workforce:
            low, high, frac = timeline.census
            parts += [np.c_[low, high, frac],
                      timeline.workforce_multiplier.transpose(1, 0, 2).reshape(
                          timeline.steps, -1)]
        _, first, inverse = np.unique(np.concatenate(parts, axis=1), axis=0, return_index=True,
                                      return_inverse=True)
        order = np.argsort(np.argsort(first))
        return order[inverse.ravel()], np.sort(first)

    def _scenario_tables(self, steps: np.ndarray) -> ScenarioTables:
        """The inputs of the input sets first seen at ``steps``, per nation and per profile."""
        cfg, tl, profiles = self.config, self.timeline, self.profiles
        c, m = cfg.conditions, cfg.mechanisms
        policy = tl.policy[steps]
        by_profile = policy[:, profiles.nation, :]
        need = np.zeros_like(by_profile)
        if m.need:
            need = cfg.prompting.need_rate * profiles.need[None, :, None] * (by_profile > 0)
        budget = agent_budget(cfg, profiles, tl.budget[steps])
        macro = np.maximum(self._macro(budget[:, :, None], by_profile), 1e-6)
        if m.workforce:
            rates = workforce_rates(profiles, tl, steps)
            loss = np.tensordot(np.asarray(c.workforce_coefficients),
                                rates - c.workforce_reference, axes=1)
            capacity = np.clip(1.0 - loss, max(c.workforce_floor, 1e-6), 1.0)
            churn = c.culture_churn_loss * np.maximum(0.0, rates[0] - 0.15) / 0.10
        else:
            capacity = np.ones((len(steps), profiles.size))
            churn = np.zeros((len(steps), profiles.size))
        led = capacity * c.leadership_factor
        return ScenarioTables(policy=policy, policy_term=self.p0 * by_profile,
                              case_policy=c.case_policy * np.minimum(by_profile, 2.0),
                              need=need, macro=macro, log_macro=self.weights[4] * np.log(macro),
                              budget=budget, capacity=capacity, churn=churn, capacity_led=led,
                              log_capacity=self.weights[1] * np.log(capacity),
                              log_capacity_led=self.weights[1] * np.log(led),
                              crisis=self.crisis_rate * (capacity
                                                         < cfg.workforce.crisis_threshold))

    def _per_agent(self, table: np.ndarray) -> np.ndarray:
        """A profile array (profiles, ...) for every agent."""
        return table if self.profile is None else table.take(self.profile, axis=0, mode="clip")

    def _macro(self, budget: np.ndarray, policy: np.ndarray) -> np.ndarray:
        if not self.config.mechanisms.macro:
            return np.ones(np.broadcast_shapes(budget.shape, policy.shape))
        reference = self.config.conditions.macro_policy_reference
        return np.minimum(1.0, budget * np.minimum(1.0, (1.0 + policy) / (1.0 + reference)))

    def inputs(self, k: int) -> StepInputs:
        """Inputs of step k for every agent (the step itself gathers only what it uses)."""
        t, row = self.tables, self._input_id[k]
        policy = t.policy[row].take(self.nation, axis=0, mode="clip")
        policy_term, need, case_policy, macro, log_macro, budget, capacity, churn = (
            self._per_agent(x[row]) for x in (t.policy_term, t.need, t.case_policy, t.macro,
                                              t.log_macro, t.budget, t.capacity, t.churn))
        return StepInputs(policy=policy, policy_term=policy_term, need=need,
                          case_policy=case_policy, macro=macro, log_macro=log_macro,
                          budget=budget, capacity=capacity, churn=churn)

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

    # -- one step --------------------------------------------------------------------------

    def step(self, s: JourneyState, k: int, rng: np.random.Generator) -> StepEvents:
        """Advance every journey by one step (synchronous); return the transitions."""
        cfg, tl, n, width = self.config, self.timeline, self.n, self.width
        collapsed = cfg.stages.collapsed
        t0, t1 = tl.start[k], tl.end[k]
        row = self._input_id[k]
        draws = rng.random(self._draws * n)
        u_move = draws[:3 * n].reshape(n, width)
        u_forced = draws[3 * n:6 * n].reshape(-1, width)
        u_agent = draws[6 * n:9 * n].reshape(-1, 3)
        u_leader = draws[9 * n:].reshape(-1, width)
        stage_before = s.stage.copy()
        kind, reason = self._kind, self._reason
        kind.fill(-1)
        reason.fill(-1)

        forced = self._seed(s, k, kind, reason) if k in tl.seedings else False
        funded = s.funded_until >= t1 - EPS if self.funded_until_max >= t1 - EPS else None
        if k in self.programme_end_steps and not collapsed:
            forced |= self._programme_ends(s, row, t0, t1, u_forced, kind, reason)

        code = s.stage * 3
        code += s.status
        code = code + self.code_offset
        if cfg.mechanisms.shocks and not collapsed:
            forced |= self._shocks(s, code, t0, tl.hazard_scale[k], u_agent, u_leader, kind,
                                   reason, forced)
        before = self._before_rates.take(code, axis=1, mode="clip")
        visible, forward_rate, _, _, working, at_six, integrated = before
        at_four, at_five, waiting, paused, ended = self._before_flags.take(code, axis=1,
                                                                           mode="clip")
        s.exposure = self.network.exposure(visible, tl, k)
        prompt, terms = self._readiness(s, row, t0, at_six)
        good, bad = (s.readiness, 1.0 - s.readiness) if cfg.mechanisms.conditions else (1.0, 1.0)

        hazards = self._hazards
        crisis = momentum = None
        if collapsed:
            np.multiply(prompt, waiting, out=hazards[0])
        else:
            # forward: progress (zero unless started and active), prompt, resume or restart
            forward = hazards[0]
            self._progress(s, k, forward_rate, good, funded, integrated, at_four, at_five,
                           out=forward)
            # (forward is zero where a journey is not working)
            clear = None
            if self.compliance_until_max > t0:
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
                np.add(forward, cfg.prompting.restart_weight * prompt, out=forward,
                       where=cooled)
            crisis = self._per_agent(self.tables.crisis[row])
            momentum = self.pause_rate * bad
            np.add(momentum, crisis[:, None], out=hazards[1])
            hazards[1] *= working
            np.multiply(before[2:4], bad, out=hazards[2:4])     # revisit and end
            if funded is not None:
                hazards[3] *= ~funded
        choice = self._draw(hazards, tl.hazard_scale[k], u_move)
        if forced:
            choice[kind >= 0] = 4
        code = self._move(s, code, choice, t1, kind)
        self._bookkeeping(s, code, self._per_agent(self.tables.churn[row]), t1)
        self.code = code

        moved = (kind.ravel() >= 0).nonzero()[0]
        rows, cols = np.divmod(moved, width)
        policy_term, peers, need, reprompt = terms
        evidence = np.zeros((len(EVIDENCE), len(moved)))
        s.fields[:6].reshape(6, -1).take(moved, axis=1, out=evidence[:6], mode="clip")
        for line, term in ((6, policy_term), (7, peers), (8, need), (9, reprompt)):
            if term is not None:
                term.take(moved, out=evidence[line], mode="clip")
        if funded is not None:
            evidence[10] = funded.take(moved)
        if crisis is not None:
            crisis.take(rows, out=evidence[11], mode="clip")
            if np.ndim(momentum):
                momentum.take(moved, out=evidence[12], mode="clip")
            else:
                evidence[12] = momentum
        return StepEvents(agent=rows, approach=cols, from_stage=stage_before.take(moved),
                          to_stage=s.stage.take(moved), kind=kind.take(moved),
                          reason=reason.take(moved), evidence=evidence)

    def _nation_share(self, mask: np.ndarray) -> np.ndarray:
        """Share of each nation's agents with ``mask`` set, shape (nations, approaches)."""
        return self.nation_onehot @ mask / self.nation_size

    def _policy_terms(self, row: int, at_six: np.ndarray | None):
        """Policy prompting term, case term, macro condition and its log-weight per journey.

        With policy feedback (``at_six`` given) a nation's policy support rises with its share
        of journeys at Wider system change; otherwise the precomputed tables apply. The
        feedback terms (and the re-prompting hazard) are kept until the step's input set or
        ``at_six`` changes.
        """
        t = self.tables
        if at_six is None:
            return tuple(self._per_agent(x[row]) for x in (t.policy_term, t.case_policy, t.macro,
                                                            t.log_macro))
        key = (row, at_six.tobytes())
        if self._feedback_key != key:
            self._feedback_key = key
            policy = t.policy[row] + self.config.feedback.policy_gain * self._nation_share(at_six)
            macro = np.maximum(self._macro(t.budget[row][:, None], policy[self.profiles.nation]),
                               1e-6)
            policy = policy.take(self.nation, axis=0, mode="clip")
            self._feedback_terms = (
                self.p0 * policy, self.config.conditions.case_policy * np.minimum(policy, 2.0),
                self._per_agent(macro), self._per_agent(self.weights[4] * np.log(macro)),
                self.config.feedback.reprompt_rate * (at_six @ self._others > 0))
        return self._feedback_terms[:4]

    def _readiness(self, s: JourneyState, row: int, t0: float, at_six: np.ndarray):
        """Update the five conditions and readiness C; return prompting hazards and terms."""
        cfg, c, w, f, t = self.config, self.config.conditions, self.weights, s.fields, self.tables
        workforce, log_workforce = self._per_agent(t.capacity[row]), self._per_agent(
            t.log_capacity[row])
        if cfg.mechanisms.workforce:
            # a new director lowers the workforce condition for a while
            recent = s.leader_changed_at > t0 - c.leadership_window + EPS
            workforce = np.where(recent, self._per_agent(t.capacity_led[row]), workforce)
            log_workforce = np.where(recent, self._per_agent(t.log_capacity_led[row]),
                                     log_workforce)
        s.workforce = workforce
        feedback = cfg.mechanisms.feedback and at_six.any()
        policy_term, case_policy, macro, log_macro = self._policy_terms(
            row, at_six if feedback else None)
        need = self._per_agent(self.tables.need[row])
        peers = self.q * s.exposure
        prompt = policy_term + peers
        prompt += need
        reprompt = None
        if feedback:
            reprompt = self._feedback_terms[4]
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
            if self._design_log is None:
                pattern = s.integrated_ever.view(np.uint8) @ self.pattern_bits
                f[2] = self.design.take(pattern, axis=0, mode="clip")
                self._design_log = self.design_log.take(pattern, axis=0, mode="clip")
            agent_log = log_workforce + w[3] * np.log(np.maximum(s.culture, 1e-6))
            np.exp(w[0] * np.log(case) + self._design_log + log_macro + agent_log[:, None],
                   out=f[5])
        return prompt, (policy_term, peers, need, reprompt)

    def _progress(self, s, k, forward_rate, good, funded, integrated, at_four, at_five,
                  out: np.ndarray) -> None:
        """Progression hazard of every journey into ``out`` (zero unless started and active)."""
        cfg = self.config
        progression = cfg.progression
        rate = np.multiply(forward_rate, good, out=out)
        if funded is not None:
            np.multiply(rate, 1.0 + (progression.funding_boost - 1.0), out=rate, where=funded)
        if self.synergy is not None:
            rate *= 1.0 + integrated @ self.synergy
        if cfg.mechanisms.conditions:
            if at_four.any():
                rigid = at_four & (s.culture < progression.rigidity_culture)[:, None]
                np.multiply(rate, 1.0 - (1.0 - progression.rigidity_factor), out=rate,
                            where=rigid)
            if at_five.any():
                share = self._nation_share(integrated).take(self.nation, axis=0, mode="clip")
                np.multiply(rate, share, out=rate, where=at_five)
        scale = self.timeline.progression_scale[k]
        if scale != 1.0:
            rate *= scale

    def _draw(self, hazards: np.ndarray, scale: float, u: np.ndarray) -> np.ndarray:
        """Competing risks: index of the move that happens in the step (4 = none).

        Move j happens when u * H < (h_0 + ... + h_j) * (1 - exp(-H dt)), H the total hazard;
        ``hazards`` (moves, agents, approaches) is overwritten.
        """
        total = hazards.sum(axis=0)
        happen = np.expm1(total * (-scale * self.dt))
        np.negative(happen, out=happen)
        threshold = u * total
        hazards *= happen
        for j in range(1, len(hazards)):
            hazards[j] += hazards[j - 1]
        choice = (hazards <= threshold).sum(axis=0, dtype=np.int8)
        if len(hazards) < 4:
            choice[choice == len(hazards)] = 4
        return choice

    # -- forced events ---------------------------------------------------------------------

    def _seed(self, s: JourneyState, k: int, kind, reason) -> bool:
        forced = False
        for seeding in self.timeline.seedings[k]:
            rows, a = seeding.agents, seeding.approach
            s.funded_until[rows, a] = np.maximum(s.funded_until[rows, a], seeding.funded_until)
            self.funded_until_max = max(self.funded_until_max, seeding.funded_until)
            moves = (s.stage[rows, a] < seeding.stage) | (s.status[rows, a] != ACTIVE)
            rows = rows[moves & (kind[rows, a] < 0)]
            if len(rows):
                s.stage[rows, a] = np.maximum(s.stage[rows, a], seeding.stage)
                s.status[rows, a] = ACTIVE
                s.ended_at[rows, a] = np.nan
                kind[rows, a] = _K["seed"]
                reason[rows, a] = self._reason_of[seeding.label]
                forced = True
        return forced

    def _programme_ends(self, s, row, t0, t1, u, kind, reason) -> bool:
        ending = ((s.funded_until >= t0 - EPS) & (s.funded_until < t1 - EPS) & (s.stage >= 1)
                  & (s.status != ENDED) & (kind < 0))
        low_budget = self.tables.budget[row] < self.config.shocks.poverty_budget
        poor = ending & (s.stage <= 3) & self._per_agent(low_budget)[:, None]
        s.status[poor] = ENDED
        s.ended_at[poor] = t1
        kind[poor] = _K["end"]
        reason[poor] = _R["funded programme ended with a low budget (poverty trap)"]
        pause = ending & ~poor & (s.status == ACTIVE) & (
            u < self.config.shocks.programme_end_pause_probability)
        s.status[pause] = PAUSED
        kind[pause] = _K["pause"]
        reason[pause] = _R["funded programme ended"]
        return bool(ending.any())

    def _shocks(self, s, code, t0, x, u_agent, u, kind, reason, forced) -> bool:
        """Changes of director and Ofsted inadequate judgements (on the few agents hit).

        Their moves change the journey codes ``code`` in place; stage and status follow from
        the codes when the step's moves apply. ``forced`` says whether earlier events of the
        step have already moved some journeys, which then cannot move again.
        """
        sh = self.config.shocks
        if x not in self._shock_probability:
            self._shock_probability[x] = (
                -np.expm1(-sh.leadership_change_rate * x * self.dt), -self.inadequate * x)
        leader_probability, inadequate_exponent = self._shock_probability[x]
        leaders = (u_agent[:, 0] < leader_probability).nonzero()[0]
        if len(leaders):
            s.leader_changed_at[leaders] = t0
            forced |= self._director_changes(self._journeys(leaders), u, code, kind, reason,
                                             forced)
        # an inadequate judgement: hazard rate * 2 (1 - culture)
        hit = (u_agent[:, 1] < -np.expm1(inadequate_exponent * (1.0 - s.culture))).nonzero()[0]
        if len(hit):
            forced |= self._inadequate(s, hit, t0, u_agent[hit, 2], code, kind, reason)
        return forced

    def _journeys(self, agents: np.ndarray) -> np.ndarray:
        """Flat indices (agent * approaches + approach) of every journey of ``agents``."""
        return (agents[:, None] * self.width + self._approaches).ravel()

    def _director_changes(self, journeys, draw, code, kind, reason, forced) -> bool:
        """A new director pauses working journeys or sends paused ones back a stage.

        ``journeys`` are flat indices into the (agents, approaches) arrays: working on the
        few journeys of the agents hit costs less than masking whole arrays.
        """
        low, high = self._leader_chances
        u = draw.take(journeys)
        bucket = (u >= low).view(np.int8) + (u >= high).view(np.int8)
        if forced:          # journeys already moved this step stay where they are
            bucket[kind.take(journeys) >= 0] = BUCKETS - 1
        index = code.take(journeys) * BUCKETS + bucket
        kinds = self._leader_kind.take(index, mode="clip")
        if kinds.max() < 0:
            return False
        code.put(journeys, self._leader_next.take(index, mode="clip"))
        kind.put(journeys, np.maximum(kind.take(journeys), kinds))
        reason.put(journeys, np.maximum(reason.take(journeys),
                                        self._leader_reason.take(index, mode="clip")))
        return True

    def _inadequate(self, s, hit, t0, draw, code, kind, reason) -> bool:
        """Inadequate judgements: compliance focus, a drop in culture, working journeys pause."""
        low, high = self.config.shocks.inadequate_pause_years
        until = t0 + low + draw * (high - low)
        s.compliance_until[hit] = until
        self.compliance_until_max = max(self.compliance_until_max, float(until.max()))
        s.culture[hit] = np.maximum(
            0.0, s.culture[hit] - self.config.conditions.culture_inadequate_drop)
        journeys = self._journeys(hit)
        journeys = journeys[self._working.take(code.take(journeys), mode="clip")
                            & (kind.take(journeys) < 0)]
        if not len(journeys):
            return False
        code.put(journeys, code.take(journeys) + 1)     # active -> paused
        kind.put(journeys, _K["pause"])
        reason.put(journeys, _R["Ofsted inadequate judgement: compliance focus"])
        return True

    # -- hazard-driven moves ---------------------------------------------------------------

    def _move(self, s, code, choice, t1, kind) -> np.ndarray:
        """Apply the drawn moves together and return the new journey codes.

        Their reasons are explained later from evidence (the step's ``reason`` stays -1).
        """
        index = code * 5 + choice
        moved = self._move_kind.take(index, mode="clip")
        code = self._next_code.take(index, mode="clip")
        self._stage_of.take(code, out=s.stage, mode="clip")
        self._status_of.take(code, out=s.status, mode="clip")
        if moved.max() >= _K["end"]:
            np.copyto(s.ended_at, t1, where=moved == _K["end"])
            np.copyto(s.ended_at, np.nan, where=moved == _K["restart"])
        np.maximum(kind, moved, out=kind)
        return code

    def _bookkeeping(self, s: JourneyState, code: np.ndarray, churn: np.ndarray,
                     t1: float) -> None:
        cfg, dt = self.config, self.dt
        c, o = cfg.conditions, cfg.outcomes
        integrated, outside, integrated_active = self._after_flags.take(code, axis=1, mode="clip")
        cost, growth, tip_gain = self._after_rates.take(code, axis=1, mode="clip")
        # integrated journeys keep their date (or get t1); the others have none
        np.copyto(s.integrated_since, t1, where=np.isnan(s.integrated_since))
        np.copyto(s.integrated_since, np.nan, where=outside)
        new = integrated > s.integrated_ever
        if new.any():
            s.integrated_ever |= new
            self._design_log = None
        if cfg.mechanisms.conditions:
            growth *= 1.0 - s.coproduction
            s.coproduction += growth
        culture = s.culture
        change = (c.culture_reversion * (s.culture_initial - culture) - churn * culture)
        if c.culture_tip_gain:
            change += tip_gain[:, TIP] * (1.0 - culture)
        s.culture = np.minimum(np.maximum(culture + dt * change, 0.0), 1.0)
        spend, outcome = s.spend, s.outcome
        cost *= self._spend_scale
        spend += cost
        if (o.rise_rate or o.decay_rate) and s.integrated_ever.any():
            mature = integrated_active & (t1 - s.integrated_since >= o.lag_years - EPS)
            outcome += dt * np.where(mature, o.rise_rate * (1.0 - outcome),
                                     -o.decay_rate * outcome)


_REASON_BASE = np.array([0, _V["progress"], _V["pause"], _V["resume"], _V["revisit"], _V["end"],
                         _R["renewal: picked up again after ending"], 0], np.int16)
_REASON_VARIANT = np.array([0, 2, 1, 2, 1, 1, 0, 0], np.int8)     # 1 weakest, 2 strongest


def explain(kind: np.ndarray, reason: np.ndarray, evidence: np.ndarray) -> np.ndarray:
    """Reason codes of all events: forced events keep theirs; hazard-driven moves (-1) get one.

    A prompt is explained by its largest prompting term; progress and resumption by the
    strongest condition (or programme funding); pauses by a workforce crisis when the crisis
    hazard outweighed loss of momentum, otherwise, like going back and ending, by the weakest
    condition.
    """
    out = reason.astype(np.int16).copy()
    todo = out < 0
    if not todo.any():
        return out
    k, e = kind[todo], evidence[:, todo]
    conditions = e[:5]
    variant = _REASON_VARIANT.take(k)
    code = _REASON_BASE.take(k) + np.where(variant == 1, conditions.argmin(axis=0),
                                           np.where(variant == 2, conditions.argmax(axis=0), 0))
    prompt = k == _K["prompt"]
    code[prompt] = e[6:10, prompt].argmax(axis=0)
    row = EVIDENCE.index
    code[(k == _K["progress"]) & (e[row("funded")] > 0)] = _R["moved on with programme funding"]
    crisis = e[row("crisis_term")] > e[row("momentum_term")]
    code[(k == _K["pause"]) & crisis] = _R["workforce crisis"]
    out[todo] = code
    return out
