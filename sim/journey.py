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

from dataclasses import dataclass

import numpy as np

from sim.config import APPROACHES, NATIONS, Config
from sim.network import Network
from sim.population import Population
from sim.scenario import Timeline, agent_budget, workforce_rates

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
EPS = 1e-9

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


NEW_STATUS, STAGE_DELTA, MOVE_KIND = _transition_tables()


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


INPUT_BUDGET = 2_000_000   # numbers per precomputed input array (bounds memory for large runs)


@dataclass(frozen=True)
class StepInputs:
    """Scenario-driven inputs of a run of consecutive steps, leading axis = step.

    Journey arrays are (steps, agents, approaches); agent arrays are (steps, agents).
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


class Mechanics:
    """The journey submodels of one configured run, applied to a :class:`JourneyState`."""

    def __init__(self, config: Config, population: Population, network: Network,
                 timeline: Timeline, seed_labels: list[str]):
        self.config, self.population, self.network, self.timeline = (config, population,
                                                                     network, timeline)
        self.n, self.width = population.size, len(APPROACHES)
        self.dt = config.time.dt
        self.reasons = BASE_REASONS + [label for label in dict.fromkeys(seed_labels)
                                       if label not in BASE_REASONS]
        self._reason_of = {text: i for i, text in enumerate(self.reasons)}
        self._rates(config)
        self._inputs(config, population, timeline)
        self._design_log: np.ndarray | None = None

    # -- constants and precomputed inputs ---------------------------------------------------

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
        self.columns = np.arange(self.width)
        self.forward_rate = self.forward_rate.ravel()                    # stage * A + approach
        self.synergy = None
        if config.mechanisms.synergy:
            self.synergy = np.zeros((self.width, self.width))       # row: integrated approach
            self.synergy[TIP, CS] = self.synergy[TIP, TS] = config.synergy.tip_to_cs_ts
            self.synergy[CS, TIP] = config.synergy.cs_to_tip

    def _inputs(self, config: Config, population: Population, timeline: Timeline) -> None:
        """Per-step inputs that depend only on the scenario, computed once per run."""
        c, m = config.conditions, config.mechanisms
        n = population.size
        self.nation = population.nation
        self.nation_onehot = (population.nation[None, :] ==
                              np.arange(len(NATIONS))[:, None]).astype(float)
        self.nation_size = np.maximum(self.nation_onehot.sum(axis=1), 1.0)[:, None]
        self.children = population.child_population / 1e4
        self._chunk = max(1, INPUT_BUDGET // (n * self.width))
        self._input_id = self._distinct_inputs(config, timeline)
        self._inputs: dict[int, StepInputs] = {}
        self.crisis_rate = (config.workforce.crisis_pause_rate
                            if m.shocks and m.workforce else 0.0)
        self.inadequate = (config.shocks.inadequate_rate * 2.0 * self.dt
                           * (population.nation == NATIONS.index("England")))
        self.programme_end_steps = {
            int(np.searchsorted(timeline.end, seeding.funded_until + EPS, side="right"))
            for seedings in timeline.seedings.values() for seeding in seedings
            if np.isfinite(seeding.funded_until)}
        self.funded_until_max = -np.inf
        self.compliance_until_max = -np.inf
        self._inadequate_max: dict[float, np.ndarray] = {}
        # uniforms per agent and step: moves (3), forced decisions (3) and agent shocks (3),
        # drawn only when the configuration can use them
        collapsed = config.stages.collapsed
        self._draws = 3 + 3 * bool(self.programme_end_steps or (m.shocks and not collapsed)) \
            + 3 * bool(m.shocks and not collapsed)
        self._kind = np.empty((n, self.width), np.int8)
        self._reason = np.zeros((n, self.width), np.int16)

    @staticmethod
    def _distinct_inputs(config: Config, timeline: Timeline) -> np.ndarray:
        """For each step, the index of its distinct input set, numbered in order of appearance.

        Steps whose nation-level policy, budget and workforce series are the same share their
        inputs, so a run whose scenario is constant computes them once.
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
        return order[inverse.ravel()]

    def inputs(self, k: int) -> StepInputs:
        """Inputs of step k, computed a chunk of distinct input sets at a time."""
        wanted = self._input_id[k]
        if wanted not in self._inputs:
            ids = np.arange(wanted, min(wanted + self._chunk, self._input_id.max() + 1))
            steps = np.array([np.flatnonzero(self._input_id == i)[0] for i in ids])
            chunk = self._compute_inputs(steps)
            names = list(StepInputs.__dataclass_fields__)
            self._inputs = {int(i): StepInputs(*(getattr(chunk, name)[j] for name in names))
                            for j, i in enumerate(ids)}
        return self._inputs[wanted]

    def _compute_inputs(self, steps: np.ndarray) -> StepInputs:
        cfg, tl, population = self.config, self.timeline, self.population
        c, m = cfg.conditions, cfg.mechanisms
        policy = tl.policy[steps][:, population.nation, :]
        need = np.zeros_like(policy)
        if m.need:
            need = cfg.prompting.need_rate * population.need[None, :, None] * (policy > 0)
        budget = agent_budget(cfg, population, tl.budget[steps])
        macro = np.maximum(self._macro(budget[:, :, None], policy), 1e-6)
        if m.workforce:
            rates = workforce_rates(population, tl, steps)
            loss = np.tensordot(np.asarray(c.workforce_coefficients),
                                rates - c.workforce_reference, axes=1)
            capacity = np.clip(1.0 - loss, max(c.workforce_floor, 1e-6), 1.0)
            churn = c.culture_churn_loss * np.maximum(0.0, rates[0] - 0.15) / 0.10
        else:
            capacity = np.ones((len(steps), population.size))
            churn = np.zeros((len(steps), population.size))
        return StepInputs(policy=policy, policy_term=self.p0 * policy, need=need,
                          case_policy=c.case_policy * np.minimum(policy, 2.0), macro=macro,
                          log_macro=self.weights[4] * np.log(macro), budget=budget,
                          capacity=capacity, churn=churn)

    def _macro(self, budget: np.ndarray, policy: np.ndarray) -> np.ndarray:
        if not self.config.mechanisms.macro:
            return np.ones(np.broadcast_shapes(budget.shape, policy.shape))
        reference = self.config.conditions.macro_policy_reference
        return np.minimum(1.0, budget * np.minimum(1.0, (1.0 + policy) / (1.0 + reference)))

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
        t0, t1 = tl.start[k], tl.end[k]
        inputs = self.inputs(k)
        draws = rng.random(self._draws * n)
        u_move = draws[:3 * n].reshape(n, width)
        u_forced = draws[3 * n:6 * n].reshape(-1, width)
        u_agent = draws[6 * n:].reshape(-1, 3)
        stage_before = s.stage.copy()
        kind, reason = self._kind, self._reason
        kind.fill(-1)

        forced = self._seed(s, k, kind, reason) if k in tl.seedings else False
        funded = s.funded_until >= t1 - EPS if self.funded_until_max >= t1 - EPS else None
        if k in self.programme_end_steps and not cfg.stages.collapsed:
            forced |= self._programme_ends(s, inputs, t0, t1, u_forced, kind, reason)
        if cfg.mechanisms.shocks and not cfg.stages.collapsed:
            forced |= self._shocks(s, t0, tl.hazard_scale[k], u_agent, u_forced, kind, reason)

        stage, status = s.stage, s.status
        started = stage >= 1
        active, paused, ended = status == ACTIVE, status == PAUSED, status == ENDED
        alive = started & ~ended
        s.exposure = self.network.exposure(self.visible.take(stage * 3 + status), tl, k)
        prompt, terms = self._readiness(s, inputs, t0, alive)
        good, bad = (s.readiness, 1.0 - s.readiness) if cfg.mechanisms.conditions else (1.0, 1.0)

        crisis = momentum = None
        if cfg.stages.collapsed:
            h = [prompt * (active & ~started)]
        else:
            working = active & started
            forward = np.where(started, self._progress(s, k, good, funded, alive), prompt)
            resume = cfg.progression.resume_rate * good
            if self.compliance_until_max > t0:
                resume = resume * (s.compliance_until <= t0)[:, None]
            forward = np.where(active, forward, np.where(paused, resume, 0.0))
            if ended.any():
                cooled = ended & (t0 - s.ended_at >= cfg.prompting.restart_cooldown - EPS)
                forward = forward + cooled * (cfg.prompting.restart_weight * prompt)
            crisis = self.crisis_rate * (inputs.capacity < cfg.workforce.crisis_threshold)
            end = bad * np.where(working, self.end_rate.take(stage),
                                 paused * cfg.progression.end_paused_rate)
            if funded is not None:
                end = end * ~funded
            momentum = self.pause_rate * bad
            h = [forward, working * (momentum + crisis[:, None]),
                 working * self.revisit_rate.take(stage) * bad, end]
        choice = self._draw(h, tl.hazard_scale[k], u_move)
        if forced:
            choice[kind >= 0] = 4
        self._move(s, choice, started, t1, kind, reason)
        self._bookkeeping(s, inputs, t1)
        rows, cols = np.nonzero(kind >= 0)
        policy_term, peers, reprompt = terms
        evidence = np.zeros((len(EVIDENCE), len(rows)))
        evidence[:6] = s.fields[:6, rows, cols]
        evidence[6] = policy_term[rows, cols]
        evidence[7] = peers[rows, cols]
        evidence[8] = inputs.need[rows, cols]
        if reprompt is not None:
            evidence[9] = reprompt[rows, cols]
        if funded is not None:
            evidence[10] = funded[rows, cols]
        if crisis is not None:
            evidence[11] = crisis[rows]
            evidence[12] = momentum[rows, cols] if np.ndim(momentum) else momentum
        return StepEvents(agent=rows, approach=cols, from_stage=stage_before[rows, cols],
                          to_stage=s.stage[rows, cols], kind=kind[rows, cols],
                          reason=reason[rows, cols], evidence=evidence)

    def _nation_share(self, mask: np.ndarray) -> np.ndarray:
        """Share of each agent's nation with ``mask`` set, shape (agents, approaches)."""
        return (self.nation_onehot @ mask / self.nation_size)[self.nation]

    def _readiness(self, s: JourneyState, inputs: StepInputs, t0: float, alive: np.ndarray):
        """Update the five conditions and readiness C; return prompting hazards and terms."""
        cfg, c, w, f = self.config, self.config.conditions, self.weights, s.fields
        workforce = inputs.capacity
        recent = s.leader_changed_at > t0 - c.leadership_window + EPS
        if recent.any():
            workforce = np.where(recent, workforce * c.leadership_factor, workforce)
        s.workforce = workforce
        policy, policy_term = inputs.policy, inputs.policy_term
        case_policy, log_macro, macro = inputs.case_policy, inputs.log_macro, inputs.macro
        reprompt = None
        if cfg.mechanisms.feedback:
            at_six = alive & (s.stage == 6)
            if at_six.any():
                policy = policy + cfg.feedback.policy_gain * self._nation_share(at_six)
                policy_term = self.p0 * policy
                macro = np.maximum(self._macro(inputs.budget[:, None], policy), 1e-6)
                log_macro = w[4] * np.log(macro)
                case_policy = c.case_policy * np.minimum(policy, 2.0)
                others = at_six.sum(axis=1)[:, None] - at_six
                reprompt = cfg.feedback.reprompt_rate * (others > 0)
        peers = self.q * s.exposure
        prompt = policy_term + peers + inputs.need
        if reprompt is not None:
            prompt = prompt + reprompt
        if cfg.mechanisms.conditions:
            f[1] = workforce[:, None]
            f[3] = s.culture[:, None]
            f[4] = macro
            case = f[0]
            np.exp(-(c.case_exposure * s.exposure + case_policy
                     + c.case_coproduction * s.coproduction), out=case)
            case *= c.case_baseline - 1.0
            case += 1.0
            np.maximum(case, 1e-6, out=case)
            if self._design_log is None:
                absorptive = np.minimum(1.0, c.absorptive_initial
                                        + c.absorptive_gain * s.integrated_ever.sum(axis=1))
                f[2] = np.maximum(1.0 - self.complexity * (1.0 - absorptive[:, None]), 1e-6)
                self._design_log = w[2] * np.log(f[2])
            agent_log = w[1] * np.log(workforce) + w[3] * np.log(np.maximum(s.culture, 1e-6))
            np.exp(w[0] * np.log(case) + self._design_log + log_macro + agent_log[:, None],
                   out=f[5])
        return prompt, (policy_term, peers, reprompt)

    def _progress(self, s, k, good, funded, alive) -> np.ndarray:
        cfg = self.config
        stage = s.stage
        rate = self.forward_rate.take(stage * self.width + self.columns) * good
        if funded is not None:
            rate = rate * (1.0 + (cfg.progression.funding_boost - 1.0) * funded)
        integrated = alive & (stage >= INTEGRATING)
        if self.synergy is not None:
            rate = rate * (1.0 + integrated @ self.synergy)
        if cfg.mechanisms.conditions:
            at_four = stage == INTEGRATING
            if at_four.any():
                rigid = at_four & (s.culture < cfg.progression.rigidity_culture)[:, None]
                rate = rate * (1.0 - (1.0 - cfg.progression.rigidity_factor) * rigid)
            at_five = stage == 5
            if at_five.any():
                rate = np.where(at_five, rate * self._nation_share(integrated), rate)
        scale = self.timeline.progression_scale[k]
        return rate if scale == 1.0 else rate * scale

    def _draw(self, hazards: list[np.ndarray], scale: float, u: np.ndarray) -> np.ndarray:
        """Competing risks: index of the move that happens in the step (4 = none).

        Move j happens when u * H < (h_0 + ... + h_j) * (1 - exp(-H dt)), H the total hazard.
        """
        total = hazards[0]
        for h in hazards[1:]:
            total = total + h
        happen = -np.expm1(total * (-scale * self.dt))
        threshold = u * total
        choice = np.zeros(total.shape, np.int8)
        cumulative = 0.0
        for h in hazards:
            cumulative = cumulative + h * happen
            choice += threshold >= cumulative
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

    def _programme_ends(self, s, inputs, t0, t1, u, kind, reason) -> bool:
        ending = ((s.funded_until >= t0 - EPS) & (s.funded_until < t1 - EPS) & (s.stage >= 1)
                  & (s.status != ENDED) & (kind < 0))
        poor = ending & (s.stage <= 3) & (
            inputs.budget < self.config.shocks.poverty_budget)[:, None]
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

    def _shocks(self, s, t0, x, u_agent, u, kind, reason) -> bool:
        """Changes of director and Ofsted inadequate judgements (on the few agents hit)."""
        sh = self.config.shocks
        forced = False
        leaders = np.flatnonzero(u_agent[:, 0] < -np.expm1(-sh.leadership_change_rate * x
                                                            * self.dt))
        if len(leaders):
            s.leader_changed_at[leaders] = t0
            stage, status, draw = s.stage[leaders], s.status[leaders], u[leaders]
            free = kind[leaders] < 0
            pause = free & (status == ACTIVE) & (stage >= 1) & (
                draw < sh.leadership_pause_probability)
            back = free & (status == PAUSED) & (stage >= 2) & (stage <= 3) & (
                draw < sh.leadership_revisit_probability)
            if pause.any() or back.any():
                status[pause] = PAUSED
                stage[back] -= 1
                s.status[leaders], s.stage[leaders] = status, stage
                codes, why = kind[leaders], reason[leaders]
                codes[pause], why[pause] = _K["pause"], _R["change of director"]
                codes[back], why[back] = _K["revisit"], _R["change of director: went back a stage"]
                kind[leaders], reason[leaders] = codes, why
                forced = True
        # an inadequate judgement: hazard rate * 2 (1 - culture), drawn by thinning from the
        # largest possible hazard (culture 0), which gives exactly the same draws
        if x not in self._inadequate_max:
            self._inadequate_max[x] = -np.expm1(-self.inadequate * x)
        hit = np.flatnonzero(u_agent[:, 1] < self._inadequate_max[x])
        if len(hit):
            hit = hit[u_agent[hit, 1] < -np.expm1(-self.inadequate[hit] * x
                                                   * (1.0 - s.culture[hit]))]
        if len(hit):
            low, high = sh.inadequate_pause_years
            s.compliance_until[hit] = t0 + low + u_agent[hit, 2] * (high - low)
            self.compliance_until_max = max(self.compliance_until_max,
                                            float(s.compliance_until[hit].max()))
            s.culture[hit] = np.maximum(
                0.0, s.culture[hit] - self.config.conditions.culture_inadequate_drop)
            status = s.status[hit]
            pause = (kind[hit] < 0) & (status == ACTIVE) & (s.stage[hit] >= 1)
            if pause.any():
                status[pause] = PAUSED
                s.status[hit] = status
                codes, why = kind[hit], reason[hit]
                codes[pause] = _K["pause"]
                why[pause] = _R["Ofsted inadequate judgement: compliance focus"]
                kind[hit], reason[hit] = codes, why
                forced = True
        return forced

    # -- hazard-driven moves ---------------------------------------------------------------

    def _move(self, s, choice, started, t1, kind, reason) -> None:
        """Apply the drawn moves together; their reasons are explained later from evidence."""
        index = (s.status * 2 + started) * 5 + choice
        moved = MOVE_KIND.take(index)
        rows, cols = np.nonzero(moved >= 0)
        if not len(rows):
            return
        index = index[rows, cols]
        kinds = moved[rows, cols]
        stage = s.stage[rows, cols] + STAGE_DELTA.take(index)
        restart = kinds == _K["restart"]
        stage[restart] = 1
        s.stage[rows, cols] = stage
        s.status[rows, cols] = NEW_STATUS.take(index)
        ended_at = s.ended_at[rows, cols]
        ended_at[restart] = np.nan
        ended_at[kinds == _K["end"]] = t1
        s.ended_at[rows, cols] = ended_at
        kind[rows, cols] = kinds
        reason[rows, cols] = -1

    def _bookkeeping(self, s: JourneyState, inputs: StepInputs, t1: float) -> None:
        cfg, dt = self.config, self.dt
        c, o = cfg.conditions, cfg.outcomes
        integrated = (s.stage >= INTEGRATING) & (s.status != ENDED)
        s.integrated_since = np.where(integrated, s.integrated_since, np.nan)
        new = integrated & ~s.integrated_ever
        if new.any():
            s.integrated_ever |= new
            s.integrated_since[integrated & np.isnan(s.integrated_since)] = t1
            self._design_log = None
        active = s.status == ACTIVE
        if cfg.mechanisms.conditions:
            s.coproduction += (active & (s.stage >= 2)) * (dt * c.coproduction_rate) * (
                1.0 - s.coproduction)
        culture = s.culture
        change = (c.culture_reversion * (s.culture_initial - culture) - inputs.churn * culture)
        if c.culture_tip_gain:
            change += c.culture_tip_gain * integrated[:, TIP] * (1.0 - culture)
        s.culture = np.minimum(np.maximum(culture + dt * change, 0.0), 1.0)
        spend, outcome = s.spend, s.outcome
        spend += self.cost.take((s.stage * 3 + s.status) * self.width + self.columns) * (
            dt * self.children)[:, None]
        if (o.rise_rate or o.decay_rate) and s.integrated_ever.any():
            mature = integrated & active & (t1 - s.integrated_since >= o.lag_years - EPS)
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
