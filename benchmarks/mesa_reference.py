"""A plain per-agent Mesa 3.5 version of sim/journey.py: a SPEED REFERENCE, not part of the package.

The design asks for the array model (``sim.InnovationModel``) to be far faster than
"a plain Mesa loop that visits every agent in Python". This module is that plain loop, written
the way a Mesa user would write it, so that ``benchmarks/bench_model.py`` can report the ratio
of the two on the same scenario. Nothing in the package imports it.

It reuses the package's *inputs*, so it does the same work per agent: the configuration
(``sim.load_config``), the population, the network and the timeline
(``sim.mechanics.population.build_population``,
``sim.mechanics.network.build_network``, ``sim.mechanics.timeline.compile_timeline``)
and the per-step scenario series (policy support, budget index, workforce capacity and
churn) from ``sim.mechanics.journeys.Journeys(...).inputs(k)``. Everything
that happens per journey is re-implemented with Python scalars on Mesa agents, one step being:

1. the model applies the quarter's seeding events (named pilot sites, funded programmes);
2. ``agents.shuffle_do("forced_events")``: each agent handles the end of its funded
   programmes (pause, or end under the poverty trap), a change of director (pause or go back a
   stage) and an Ofsted inadequate judgement (culture drop, compliance pause);
3. the model counts, per nation, the journeys at Integrating or beyond (critical mass) and at
   Wider system change (policy feedback);
4. ``agents.shuffle_do("decide")``: each agent computes its exposure to each approach by
   iterating over its ties, the five conditions and readiness C, the prompting hazard (policy,
   peers, need, re-prompting, renewal after a cooldown), the progression hazard (synergy,
   rigidity trap, critical mass, programme funding, disruption), the resume, pause (momentum
   and workforce crisis), revisit and end hazards, and draws one competing-risks move per
   journey with ``self.random`` (decisions use the state at the start of the step);
5. ``agents.do("apply")``: all moves apply together, then each agent's bookkeeping:
   co-production, culture, integration times, spend and the lagged outcome index;
6. the model records counts by nation, approach, stage and status, mean readiness, spend,
   outcome and an event log.

The random draws differ from the array model's (one scalar draw per decision), so the two
agree in distribution, not run by run; :func:`check` compares their means over seeds.

Exposure: by default every agent iterates over all of its ties, including the region and
learning-network layers, which are complete graphs within their groups (an English authority in
the CS Network has about 175 such ties). ``group_sums=True`` is the cheaper variant a careful
Mesa modeller might write: explicit ties (borders, statistical neighbours, a synthetic graph)
are iterated, and the complete-graph layers use per-step group totals computed in one pass over
the agents. Both give the same exposure; the benchmark reports both ratios.

One deliberate difference from sim/journey.py: a journey that returns to Integrating after
leaving it gets a new ``integrated_since`` (the outcome lag restarts). journey.py only sets it
in steps in which some journey somewhere is integrated for the first time
(``sim.mechanics.bookkeeping.slow_variables``), which looks like a bug (see the benchmark report).

Run ``.venv/bin/python benchmarks/mesa_reference.py`` for the sanity check.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import mesa
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import sim  # noqa: E402
from sim.config import Config  # noqa: E402
from sim.mechanics.journeys import Journeys  # noqa: E402
from sim.mechanics.network import build_network  # noqa: E402
from sim.mechanics.population import build_population  # noqa: E402
from sim.mechanics.tables import chain_hazards  # noqa: E402
from sim.mechanics.timeline import compile_timeline  # noqa: E402
from sim.output.metrics import measure_counts  # noqa: E402
from sim.vocabulary import APPROACHES, NATIONS  # noqa: E402

ACTIVE, PAUSED, ENDED = 0, 1, 2
CS, TIP, TS = 0, 1, 2
WIDTH = len(APPROACHES)
INTEGRATING, GROWING, WIDER = 4, 5, 6
ENGLAND = NATIONS.index("England")
EPS = 1e-9
NAN = math.nan
FORWARD, PAUSE, REVISIT, END = 0, 1, 2, 3


def _log(x: float) -> float:
    return math.log(x) if x > 0.0 else -math.inf


class Journey:
    """One authority's journey with one approach: plain Python scalars."""

    __slots__ = ("stage", "status", "stage_before", "coproduction", "funded_until", "ended_at",
                 "integrated_since", "integrated_ever", "exposure", "case", "design", "macro",
                 "readiness", "spend", "outcome", "forced", "move")

    def __init__(self, stage: int, start: float):
        self.stage = stage
        self.status = ACTIVE
        self.stage_before = stage
        self.coproduction = 0.0
        self.funded_until = -math.inf
        self.ended_at = NAN
        self.integrated_ever = stage >= INTEGRATING
        self.integrated_since = start if self.integrated_ever else NAN
        self.exposure = 0.0
        self.case = self.design = self.macro = self.readiness = 1.0
        self.spend = 0.0
        self.outcome = 0.0
        self.forced: str | None = None      # kind of a forced event this step (seed, pause, ...)
        self.move: int | None = None        # hazard-driven move drawn this step


class Authority(mesa.Agent):
    """An authority holding its own state and deciding its own journeys, one at a time."""

    model: ReferenceModel

    def __init__(self, model: ReferenceModel, index: int):
        super().__init__(model)
        p, c = model.population, model.config.conditions
        self.index = index
        self.nation = int(p.nation[index])
        self.region = int(p.region[index])
        self.need = float(p.need[index])
        self.children = float(p.child_population[index]) / 1e4
        grade = float(p.ofsted_grade[index])
        self.culture = (c.culture_ungraded[NATIONS[self.nation]] if math.isnan(grade)
                        else c.culture_by_grade[int(grade) - 1])
        self.culture_initial = self.culture
        self.workforce = 1.0
        self.leader_changed_at = -math.inf
        self.compliance_until = -math.inf
        self.journeys = [Journey(model.initial_stage[a], model.start) for a in range(WIDTH)]
        # per approach: [(tied agent, weight / total weight)], set by ReferenceModel._wire
        self.ties: list[list[tuple[Authority, float]]] = [[] for _ in range(WIDTH)]
        # group_sums mode: normalised weight per group peer of the complete, region and
        # learning layers, per approach
        self.group_weights = [(0.0, 0.0, 0.0) for _ in range(WIDTH)]

    # -- 1. start of the step --------------------------------------------------------------

    def begin_step(self) -> None:
        for j in self.journeys:
            j.stage_before = j.stage
            j.forced = None
            j.move = None

    # -- 2. forced events: end of funded programmes and agent-level shocks ------------------

    def forced_events(self) -> None:
        if not self.model.collapsed:
            self.programme_ends()
        if self.model.shocks_on:
            self.shocks()

    def programme_ends(self) -> None:
        """Funded journeys whose programme ends this step pause, or end if the budget is low."""
        m = self.model
        sh = m.config.shocks
        t0, t1 = m.t0, m.t1
        for j in self.journeys:
            if (j.forced is None and j.stage >= 1 and j.status != ENDED
                    and t0 - EPS <= j.funded_until < t1 - EPS):
                if j.stage <= 3 and m.budget[self.index] < sh.poverty_budget:
                    j.status, j.ended_at, j.forced = ENDED, t1, "end"       # poverty trap
                elif j.status == ACTIVE and m.random.random() < sh.programme_end_pause_probability:
                    j.status, j.forced = PAUSED, "pause"

    def shocks(self) -> None:
        """A change of director and an Ofsted inadequate judgement (England)."""
        m = self.model
        sh = m.config.shocks
        rnd = m.random.random
        t0 = m.t0
        x = m.hazard_scale
        if rnd() < -math.expm1(-sh.leadership_change_rate * x * m.dt):
            self.leader_changed_at = t0
            for j in self.journeys:
                if j.forced is not None:
                    continue
                u = rnd()
                if j.status == ACTIVE and j.stage >= 1 and u < sh.leadership_pause_probability:
                    j.status, j.forced = PAUSED, "pause"
                elif (j.status == PAUSED and 2 <= j.stage <= 3
                      and u < sh.leadership_revisit_probability):
                    j.stage -= 1
                    j.forced = "revisit"
        if self.nation == ENGLAND:
            hazard = sh.inadequate_rate * 2.0 * m.dt * x * (1.0 - self.culture)
            if rnd() < -math.expm1(-hazard):
                low, high = sh.inadequate_pause_years
                self.compliance_until = t0 + low + rnd() * (high - low)
                self.culture = max(0.0, self.culture - m.config.conditions.culture_inadequate_drop)
                for j in self.journeys:
                    if j.forced is None and j.status == ACTIVE and j.stage >= 1:
                        j.status, j.forced = PAUSED, "pause"

    # -- 4. decisions ------------------------------------------------------------------------

    def exposure(self, a: int) -> float:
        """Weighted mean visibility of this agent's ties for approach a."""
        m = self.model
        visible = m.visible
        total = 0.0
        for other, w in self.ties[a]:
            j = other.journeys[a]
            total += w * visible[j.stage][j.status]
        if m.group_sums:
            complete_w, region_w, learning_w = self.group_weights[a]
            if complete_w or region_w or learning_w:
                own = self.journeys[a]
                v = visible[own.stage][own.status]
                total += complete_w * (m.all_total[a] - v)
                total += region_w * (m.region_total[self.region][a] - v)
                total += learning_w * (m.learning_total[a] - v)
        return total

    def decide(self) -> None:
        m = self.model
        cfg = m.config
        c, pr = cfg.conditions, cfg.progression
        i, t0, t1 = self.index, m.t0, m.t1
        capacity = m.capacity[i]
        workforce = capacity
        if m.workforce_on and self.leader_changed_at > t0 - c.leadership_window + EPS:
            workforce = capacity * c.leadership_factor
        self.workforce = workforce
        budget = m.budget[i]
        journeys = self.journeys
        at_six = [j.stage == WIDER and j.status != ENDED for j in journeys]
        integrated = [j.stage >= INTEGRATING and j.status != ENDED for j in journeys]
        absorptive = min(1.0, c.absorptive_initial
                         + c.absorptive_gain * sum(j.integrated_ever for j in journeys))
        w_case, w_workforce, w_design, w_culture, w_macro = m.weights
        agent_log = w_workforce * _log(workforce) + w_culture * _log(max(self.culture, 1e-6))
        crisis = m.crisis_rate if capacity < cfg.workforce.crisis_threshold else 0.0
        for a, j in enumerate(journeys):
            exposure = j.exposure = self.exposure(a)
            policy = m.policy[i][a]
            need = m.need_rate * self.need if (m.need_on and policy > 0) else 0.0
            reprompt = 0.0
            if m.feedback_on and m.any_six:
                policy += cfg.feedback.policy_gain * m.six_share[self.nation][a]
                if any(at_six[b] for b in range(WIDTH) if b != a):
                    reprompt = cfg.feedback.reprompt_rate
            prompt = m.p0[a] * policy + m.q[a] * exposure + need + reprompt
            if self.compliance_until > t0:
                prompt = 0.0                       # compliance focus: nothing starts
            if m.conditions_on:
                if m.macro_on:
                    macro = min(1.0, budget * min(1.0, (1.0 + policy)
                                                  / (1.0 + c.macro_policy_reference)))
                    macro = max(macro, 1e-6)
                else:
                    macro = 1.0
                case = 1.0 + (c.case_baseline - 1.0) * math.exp(
                    -(c.case_exposure * exposure + c.case_policy * min(policy, 2.0)
                      + c.case_coproduction * j.coproduction))
                case = max(case, 1e-6)
                design = max(1.0 - m.complexity[a] * (1.0 - absorptive), 1e-6)
                readiness = math.exp(w_case * _log(case) + w_design * _log(design)
                                     + w_macro * _log(macro) + agent_log)
                j.case, j.design, j.macro, j.readiness = case, design, macro, readiness
                good, bad = readiness, 1.0 - readiness
            else:
                good = bad = 1.0
            if j.forced is not None:
                continue                                  # a forced event took this step
            funded = j.funded_until >= t1 - EPS
            stage, status = j.stage, j.status
            if m.collapsed:
                hazards = (prompt if status == ACTIVE and stage == 0 else 0.0,)
            else:
                working = status == ACTIVE and stage >= 1
                if status == ACTIVE:
                    forward = (self.progress_rate(a, j, good, funded, integrated) if stage >= 1
                               else prompt)
                elif status == PAUSED:
                    forward = pr.resume_rate * good if self.compliance_until <= t0 else 0.0
                elif t0 - j.ended_at >= cfg.prompting.restart_cooldown - EPS:
                    forward = cfg.prompting.restart_weight * prompt          # renewal
                else:
                    forward = 0.0
                if working:
                    pause = m.pause_rate * bad + crisis
                    revisit = m.revisit_rate[stage] * bad
                    end = bad * m.end_rate[stage]
                else:
                    pause = revisit = 0.0
                    end = bad * pr.end_paused_rate if status == PAUSED else 0.0
                if funded:
                    end = 0.0
                hazards = (forward, pause, revisit, end)
            j.move = self.draw(hazards)

    def progress_rate(self, a: int, j: Journey, good: float, funded: bool,
                      integrated: list[bool]) -> float:
        m = self.model
        pr = m.config.progression
        rate = m.forward_rate[j.stage][a] * good
        if funded:
            rate *= pr.funding_boost
        if m.synergy is not None:
            rate *= 1.0 + sum(m.synergy[b][a] for b in range(WIDTH) if integrated[b])
        if m.conditions_on:
            if j.stage == INTEGRATING and self.culture < pr.rigidity_culture:
                rate *= pr.rigidity_factor                                   # rigidity trap
            if j.stage == GROWING:
                rate *= m.integrated_share[self.nation][a]                   # critical mass
        return rate * m.progression_scale                                    # disruption

    def draw(self, hazards: tuple[float, ...]) -> int | None:
        """Competing risks: a move happens with probability 1 - exp(-H dt), move k with h_k / H."""
        total = sum(hazards)
        if total <= 0.0:
            return None
        m = self.model
        happen = -math.expm1(-total * m.hazard_scale * m.dt)
        u = m.random.random()
        if u >= happen:
            return None
        threshold, cumulative = u * total, 0.0
        for choice, h in enumerate(hazards):
            cumulative += h * happen
            if threshold < cumulative:
                return choice
        return None

    # -- 5. moves and bookkeeping --------------------------------------------------------------

    def apply(self) -> None:
        m = self.model
        cfg = m.config
        c, o = cfg.conditions, cfg.outcomes
        dt, t1 = m.dt, m.t1
        for a, j in enumerate(self.journeys):
            kind = j.forced
            if j.move is not None:
                kind = self.move(j, j.move, t1)
            if kind is not None:
                m.events.append((t1, self.index, a, j.stage_before, j.stage, kind))
        tip_integrated = False
        for a, j in enumerate(self.journeys):
            integrated = j.stage >= INTEGRATING and j.status != ENDED
            if integrated:
                j.integrated_ever = True
                if math.isnan(j.integrated_since):
                    j.integrated_since = t1
                if a == TIP:
                    tip_integrated = True
            else:
                j.integrated_since = NAN
            if m.conditions_on and j.status == ACTIVE and j.stage >= 2:
                j.coproduction += dt * c.coproduction_rate * (1.0 - j.coproduction)
            j.spend += m.cost[j.stage][j.status][a] * dt * self.children
            if o.rise_rate or o.decay_rate:
                mature = (integrated and j.status == ACTIVE
                          and t1 - j.integrated_since >= o.lag_years - EPS)
                j.outcome += dt * (o.rise_rate * (1.0 - j.outcome) if mature
                                   else -o.decay_rate * j.outcome)
        change = (c.culture_reversion * (self.culture_initial - self.culture)
                  - m.churn[self.index] * self.culture)
        if tip_integrated:
            change += c.culture_tip_gain * (1.0 - self.culture)
        self.culture = min(max(self.culture + dt * change, 0.0), 1.0)

    @staticmethod
    def move(j: Journey, choice: int, t1: float) -> str | None:
        """Apply a drawn move; return its kind."""
        if j.status == ACTIVE:
            if j.stage == 0:
                if choice == FORWARD:
                    j.stage = 1
                    return "prompt"
                return None
            if choice == FORWARD:
                j.stage += 1
                return "progress"
            if choice == PAUSE:
                j.status = PAUSED
                return "pause"
            if choice == REVISIT:
                j.stage -= 1
                return "revisit"
            j.status, j.ended_at = ENDED, t1
            return "end"
        if j.status == PAUSED:
            if j.stage == 0:
                return None
            if choice == FORWARD:
                j.status = ACTIVE
                return "resume"
            if choice == END:
                j.status, j.ended_at = ENDED, t1
                return "end"
            return None
        if choice == FORWARD:
            j.stage, j.status, j.ended_at = 1, ACTIVE, NAN
            return "restart"
        return None


@dataclass
class ReferenceResult:
    """What a reference run recorded, per step."""

    times: np.ndarray
    counts: np.ndarray      # (steps, nations, approaches, stages, statuses), like RunResult.counts
    readiness: np.ndarray   # (steps, approaches): mean readiness C
    spend: np.ndarray       # (steps, approaches): spend so far, GBP
    outcome: np.ndarray     # (steps, approaches): mean outcome index
    events: list[tuple]     # (time, agent, approach, from_stage, to_stage, kind)
    wall_time: float

    def measure(self, measure: str = "engaged", scope: str = "UK") -> np.ndarray:
        """Journeys at or beyond a measure's stage and not ended, shape (steps, approaches)."""
        return measure_counts(self.counts, measure, scope)


class ReferenceModel(mesa.Model):
    """The mechanics of :class:`sim.mechanics.journeys.Journeys`, one Python agent at a time."""

    def __init__(self, config: Config, seed: int = 0, group_sums: bool = False):
        started = time.perf_counter()
        super().__init__(rng=seed)
        self.config = config
        self.group_sums = group_sums
        # the same structural draws as sim.InnovationModel (same population and graph)
        structure = np.random.default_rng(np.random.SeedSequence(seed).spawn(2)[0])
        self.population = build_population(config, structure)
        self.network = build_network(config, self.population, structure)
        self.timeline = compile_timeline(config, self.population)
        labels = [e.label for e in config.active_events if e.kind == "seed"]
        self.scenario_series = Journeys(config, self.population, self.network, self.timeline,
                                         labels)
        self._constants(config)
        self.start = float(self.timeline.start[0])
        n = self.population.size
        self.nation_size = [max(1, int((self.population.nation == k).sum()))
                            for k in range(len(NATIONS))]
        self.region_count = len(self.population.regions)
        self.people = [Authority(self, i) for i in range(n)]
        self._wired: tuple | None = None
        steps = self.timeline.steps
        self._counts = np.zeros((steps, len(NATIONS), WIDTH, 7, 3), np.int64)
        self._readiness = np.zeros((steps, WIDTH))
        self._spend = np.zeros((steps, WIDTH))
        self._outcome = np.zeros((steps, WIDTH))
        self.events: list[tuple] = []
        self.wall_time = time.perf_counter() - started

    def _constants(self, config: Config) -> None:
        """Parameters as Python scalars and small lists."""
        m, st, pr = config.mechanisms, config.stages, config.progression
        approaches = [config.approaches[a] for a in APPROACHES]
        self.dt = config.time.dt
        self.collapsed = st.collapsed
        self.shocks_on = m.shocks and not st.collapsed
        self.conditions_on, self.macro_on, self.need_on = m.conditions, m.macro, m.need
        self.workforce_on = m.workforce
        self.feedback_on = m.feedback
        self.initial_stage = [a.initial_stage for a in approaches]
        self.p0 = [a.p0 for a in approaches]
        self.q = [a.q for a in approaches]
        self.complexity = [a.complexity for a in approaches]
        self.need_rate = config.prompting.need_rate
        self.crisis_rate = config.workforce.crisis_pause_rate if (m.shocks and m.workforce) else 0.0
        w = config.conditions.weights
        weights = [w.case, w.workforce, w.design, w.culture, w.macro]
        self.weights = [x / sum(weights) for x in weights]
        forward = [0.0] + [1.0 / y for y in pr.years_per_stage] + [0.0]
        revisit = [0.0, *pr.revisit_rate]
        end = [0.0, *pr.end_rate]
        pause = pr.pause_rate
        if config.chain is not None:
            f, b, e = chain_hazards(config.chain.forward, config.chain.backward,
                                    config.chain.exit, self.dt)
            forward[1:6], revisit[1:6], end[1:6] = list(f), list(b), list(e)
            forward[6] = revisit[6] = end[6] = pause = 0.0
        self.forward_rate = [[forward[s] * a.speed for a in approaches] for s in range(7)]
        self.revisit_rate, self.end_rate, self.pause_rate = revisit, end, pause
        visibility = [0.0] + [1.0] * 6 if st.collapsed else list(st.visibility)
        seen = (1.0, st.paused_visibility, 0.0)
        self.visible = [[v * f for f in seen] for v in visibility]
        cost = [0.0, *config.costs.per_stage]
        paid = (1.0, config.costs.paused_fraction, 0.0)
        self.cost = [[[cost[s] * p * a.cost_multiplier for a in approaches] for p in paid]
                     for s in range(7)]
        self.synergy = None
        if m.synergy:
            self.synergy = [[0.0] * WIDTH for _ in range(WIDTH)]    # row: integrated approach
            self.synergy[TIP][CS] = self.synergy[TIP][TS] = config.synergy.tip_to_cs_ts
            self.synergy[CS][TIP] = config.synergy.cs_to_tip

    # -- the step --------------------------------------------------------------------------------

    def step(self) -> None:
        k = self.steps - 1              # Mesa counts the step before calling us
        tl = self.timeline
        if k >= tl.steps:
            self.running = False
            return
        self.t0, self.t1 = float(tl.start[k]), float(tl.end[k])
        self.hazard_scale = float(tl.hazard_scale[k])
        self.progression_scale = float(tl.progression_scale[k])
        self._scenario_inputs(k)
        self._wire(k)
        self.agents.do("begin_step")
        self._apply_seedings(k)
        self.agents.shuffle_do("forced_events")
        self._aggregates()
        self.agents.shuffle_do("decide")
        self.agents.do("apply")
        self._record(k)
        if k + 1 >= tl.steps:
            self.running = False

    def run(self) -> ReferenceResult:
        started = time.perf_counter()
        while self.steps < self.timeline.steps:
            self.step()
        self.wall_time += time.perf_counter() - started
        return self.results()

    def _scenario_inputs(self, k: int) -> None:
        """The scenario's series of step k for every agent, as Python lists."""
        inputs = self.scenario_series.inputs(k)
        self.policy = inputs.policy.tolist()          # exogenous policy support, [agent][approach]
        self.budget = inputs.budget.tolist()          # deprivation-weighted budget index
        self.capacity = inputs.capacity.tolist()      # workforce capacity from the data series
        self.churn = inputs.churn.tolist()            # culture loss from turnover

    def _apply_seedings(self, k: int) -> None:
        for seeding in self.timeline.seedings.get(k, []):
            a = seeding.approach
            for i in seeding.agents.tolist():
                j = self.people[i].journeys[a]
                j.funded_until = max(j.funded_until, seeding.funded_until)
                if (j.stage < seeding.stage or j.status != ACTIVE) and j.forced is None:
                    j.stage = max(j.stage, seeding.stage)
                    j.status, j.ended_at, j.forced = ACTIVE, NAN, "seed"

    def _aggregates(self) -> None:
        """Per-nation shares for critical mass and feedback (and group totals if asked)."""
        nations = len(NATIONS)
        integrated = [[0] * WIDTH for _ in range(nations)]
        six = [[0] * WIDTH for _ in range(nations)]
        visible = self.visible
        if self.group_sums:
            self.all_total = [0.0] * WIDTH
            self.region_total = [[0.0] * WIDTH for _ in range(self.region_count)]
            self.learning_total = [0.0] * WIDTH
        for agent in self.people:
            for a, j in enumerate(agent.journeys):
                if j.status != ENDED and j.stage >= INTEGRATING:
                    integrated[agent.nation][a] += 1
                    if j.stage == WIDER:
                        six[agent.nation][a] += 1
                if self.group_sums:
                    v = visible[j.stage][j.status]
                    self.all_total[a] += v
                    self.region_total[agent.region][a] += v
                    if self._learning_member[agent.index][a]:
                        self.learning_total[a] += v
        self.integrated_share = [[x / self.nation_size[k] for x in row]
                                 for k, row in enumerate(integrated)]
        self.six_share = [[x / self.nation_size[k] for x in row] for k, row in enumerate(six)]
        self.any_six = any(any(row) for row in six)

    def _wire(self, k: int) -> None:
        """Give every agent its weighted ties for the layers switched on at step k."""
        tl, net = self.timeline, self.network
        region_on, learning_on = tl.region_on[k], tl.learning_on[k]
        key = (region_on.tobytes(), learning_on.tobytes())
        if key == self._wired:
            return
        self._wired = key
        people, n = self.people, len(self.people)
        by_region: dict[int, list[Authority]] = {}
        for agent in people:
            by_region.setdefault(agent.region, []).append(agent)
        members = [[agent for agent in people if net.learning_weight > 0
                    and learning_on[agent.nation, a]] for a in range(WIDTH)]
        self._learning_member = [[bool(learning_on[agent.nation, a]) and net.learning_weight > 0
                                  for a in range(WIDTH)] for agent in people]
        static = net.static
        indptr = static.indptr.tolist() if static is not None else None
        indices = static.indices.tolist() if static is not None else None
        data = static.data.tolist() if static is not None else None
        for agent in people:
            i = agent.index
            weights: dict[Authority, float] = {}
            total = float(net.static_weight[i])
            if static is not None:
                for p in range(indptr[i], indptr[i + 1]):
                    other = people[indices[p]]
                    weights[other] = weights.get(other, 0.0) + data[p]
            complete_w = region_w = 0.0
            if net.complete_weight > 0 and n > 1:
                complete_w = net.complete_weight / (n - 1)
                total += net.complete_weight
            peers = len(by_region[agent.region]) - 1
            if net.region_weight > 0 and region_on[agent.nation] and peers > 0:
                region_w = net.region_weight / peers
                total += net.region_weight
            if not self.group_sums:
                for other in people if complete_w else ():
                    if other is not agent:
                        weights[other] = weights.get(other, 0.0) + complete_w
                for other in by_region[agent.region] if region_w else ():
                    if other is not agent:
                        weights[other] = weights.get(other, 0.0) + region_w
            for a in range(WIDTH):
                ties, den, learning_w = dict(weights), total, 0.0
                count = len(members[a])
                if self._learning_member[i][a] and count > 1:
                    learning_w = net.learning_weight / (count - 1)
                    den += net.learning_weight
                    if not self.group_sums:
                        for other in members[a]:
                            if other is not agent:
                                ties[other] = ties.get(other, 0.0) + learning_w
                scale = 1.0 / den if den > 0 else 0.0
                agent.ties[a] = [(other, w * scale) for other, w in ties.items()]
                agent.group_weights[a] = (complete_w * scale, region_w * scale,
                                          learning_w * scale)

    def _record(self, k: int) -> None:
        counts = self._counts[k]
        tally = {}
        readiness, spend, outcome = [0.0] * WIDTH, [0.0] * WIDTH, [0.0] * WIDTH
        for agent in self.people:
            for a, j in enumerate(agent.journeys):
                key = (agent.nation, a, j.stage, j.status)
                tally[key] = tally.get(key, 0) + 1
                readiness[a] += j.readiness
                spend[a] += j.spend
                outcome[a] += j.outcome
        for key, value in tally.items():
            counts[key] = value
        n = len(self.people)
        self._readiness[k] = [x / n for x in readiness]
        self._spend[k] = spend
        self._outcome[k] = [x / n for x in outcome]

    def results(self) -> ReferenceResult:
        taken = min(self.steps, self.timeline.steps)
        return ReferenceResult(times=self.timeline.end[:taken].copy(),
                               counts=self._counts[:taken].copy(),
                               readiness=self._readiness[:taken].copy(),
                               spend=self._spend[:taken].copy(),
                               outcome=self._outcome[:taken].copy(), events=list(self.events),
                               wall_time=self.wall_time)


# -- sanity check --------------------------------------------------------------------------------


def check(scenario: str = "historical", seeds: int = 5, group_sums: bool = False,
          verbose: bool = True) -> dict:
    """Compare end-of-run counts of the reference and the array model over the same seeds.

    The two use different random draws, so only their distributions should agree. A row is
    flagged when the means differ by more than 3 standard errors and more than 15% (and 3
    journeys). Returns the table as a dict.
    """
    config = sim.load_config(scenario)
    rows = {}
    ref_end, arr_end = [], []
    ref_time, arr_time = [], []
    for seed in range(seeds):
        started = time.perf_counter()
        ref = ReferenceModel(config, seed=seed, group_sums=group_sums).run()
        ref_time.append(time.perf_counter() - started)
        started = time.perf_counter()
        arr = sim.InnovationModel(config=config, seed=seed).run()
        arr_time.append(time.perf_counter() - started)
        ref_end.append({m: ref.measure(m)[-1] for m in ("engaged", "integrating")}
                       | {"engaged E&W end-2023": _at(ref.times, ref.measure(
                           "engaged", "England and Wales"), 2024.0)})
        arr_end.append({m: measure_counts(arr.counts, m)[-1] for m in ("engaged", "integrating")}
                       | {"engaged E&W end-2023": _at(arr.times, measure_counts(
                           arr.counts, "engaged", "England and Wales"), 2024.0)})
    ok = True
    if verbose:
        print(f"{scenario}, {seeds} seeds, reference exposure: "
              f"{'group sums' if group_sums else 'every tie'}")
        print(f"{'measure':<24}{'approach':<10}{'reference':>18}{'array model':>18}"
              f"{'diff/SE':>10}  ok")
    for measure in ref_end[0]:
        for a, name in enumerate(APPROACHES):
            r = [float(x[measure][a]) for x in ref_end]
            v = [float(x[measure][a]) for x in arr_end]
            mr, ma = statistics.fmean(r), statistics.fmean(v)
            sr = statistics.stdev(r) if seeds > 1 else 0.0
            sa = statistics.stdev(v) if seeds > 1 else 0.0
            se = math.sqrt((sr ** 2 + sa ** 2) / seeds) if seeds > 1 else math.nan
            z = (mr - ma) / se if se and se > 0 else 0.0
            fine = not (abs(z) > 3 and abs(mr - ma) > max(3.0, 0.15 * max(ma, 1.0)))
            ok &= fine
            rows[f"{measure}/{name}"] = {"reference_mean": mr, "reference_sd": sr,
                                         "array_mean": ma, "array_sd": sa, "z": z, "ok": fine}
            if verbose:
                print(f"{measure:<24}{name:<10}{mr:>10.1f} ({sr:5.1f}){ma:>10.1f} ({sa:5.1f})"
                      f"{z:>10.2f}  {'yes' if fine else 'NO'}")
    if verbose:
        print(f"wall time per run (median): reference {statistics.median(ref_time):.3f} s, "
              f"array model {statistics.median(arr_time):.3f} s (first array run loads data)")
        print("same ballpark" if ok else "MISMATCH: some counts differ by more than 3 SE and 15%")
    return {"ok": ok, "rows": rows, "seeds": seeds, "scenario": scenario,
            "group_sums": group_sums}


def _at(times: np.ndarray, series: np.ndarray, when: float) -> np.ndarray:
    """Value at the last step ending at or before ``when``."""
    return series[np.searchsorted(times, when + 1e-9) - 1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="historical")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--group-sums", action="store_true",
                        help="group totals for the complete-graph layers (cheaper exposure)")
    args = parser.parse_args(argv)
    result = check(args.scenario, args.seeds, args.group_sums)
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
