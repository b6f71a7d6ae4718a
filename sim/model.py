"""The Mesa model: 212 UK authorities (or any population) on innovation journeys for CS, TIP, TS."""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import mesa
import numpy as np
from mesa.time import EventGenerator, Priority, Schedule

from sim.agents import Authority
from sim.config import Config, load_config
from sim.data import load_uk
from sim.errors import InputError, shown
from sim.mechanics.journeys import Journeys
from sim.mechanics.kernel import CompiledSteps
from sim.mechanics.network import build_network
from sim.mechanics.population import build_population
from sim.mechanics.state import JourneyState
from sim.mechanics.timeline import shared_timeline
from sim.output.metrics import uptake_counts
from sim.output.recorder import Recorder
from sim.output.results import RunResult
from sim.vocabulary import APPROACHES, ENDED, MEASURES, NATIONS, SCOPES


def check_seed(seed: Any) -> int:
    """A seed must be a whole number from 0 to 2**63 - 1; None draws a fresh one.

    A fresh seed comes from the operating system's entropy (as Mesa does for ``rng=None``);
    the run records it (``model.seed``, the manifest), so the run can still be repeated.
    """
    if seed is None:
        return int(np.random.SeedSequence().entropy % 2**63)
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or not (
            0 <= int(seed) < 2**63):
        raise InputError(f"seed: must be a whole number from 0 to 2**63-1 (got {shown(seed)})")
    return int(seed)


def seed_argument(seed: Any, rng: Any) -> Any:
    """The one seed given as ``seed=`` or as Mesa's ``rng=`` (giving both is an error)."""
    if seed is not None and rng is not None:
        raise InputError("seed and rng: give one of them (rng is Mesa's name for the seed)")
    return rng if seed is None else seed


UPTAKE_REPORTERS = tuple(f"{a} {m}" for a in APPROACHES for m in MEASURES)
#: How the steps are computed: the compiled step (the default) or the array reference.
ENGINES = ("compiled", "numpy")


class InnovationModel(mesa.Model):
    """Innovation journeys of children's social care authorities (see docs/ODD.md).

    State lives in numpy arrays (``model.state``, one row per agent, one column per approach);
    each ``step()`` advances every journey by one ``time.dt`` with whole-array operations.
    ``model.agents`` holds one :class:`sim.agents.Authority` per agent, a thin view of those
    arrays, so Mesa's AgentSet and DataCollector work as usual.

    ``model.datacollector`` is a Mesa ``DataCollector`` that records, at the start and after
    every step, the UK count of journeys engaged, implementing and integrating for each
    approach (``"CS engaged"``, ...), so ``mesa.batch_run`` works as with Mesa's examples.

    Args:
        scenario: a preset name, a TOML path, or a mapping of settings over the defaults.
        seed: the run's seed; the same seed gives bit-identical results. None (the default
            when neither seed nor rng is given) draws a fresh seed, kept in ``model.seed``.
        rng: Mesa's name for the seed (``mesa.batch_run(..., rng=[1, 2])``); give one of the two.
        overrides: dotted ``key -> value`` settings applied last (``{"approaches.CS.q": 0.4}``).
        config: an already validated configuration (then scenario and overrides are ignored).
        engine: ``"compiled"`` (machine code, :mod:`sim.mechanics.kernel`) or ``"numpy"`` (the
            whole-array reference, :meth:`sim.mechanics.journeys.Journeys.step`); the same
            seed gives the same draws and the same moves on both.
    """

    def __init__(self, scenario: str | Path | Mapping = "historical-calibrated", *,
                 seed: int | None = None,
                 rng: int | None = None, overrides: Mapping[str, Any] | None = None,
                 config: Config | None = None, engine: str = "compiled"):
        started = time.perf_counter()
        if engine not in ENGINES:
            raise InputError(f"engine: must be one of {', '.join(ENGINES)} (got {shown(engine)})")
        seed = check_seed(seed_argument(seed, rng))
        self.config = config if config is not None else load_config(scenario, overrides or {})
        super().__init__(rng=seed)
        self.seed = seed
        structure, dynamics = (np.random.default_rng(s)
                               for s in np.random.SeedSequence(seed).spawn(2))
        if self.config.population.structure_seed is not None:
            structure = np.random.default_rng(np.random.SeedSequence(
                self.config.population.structure_seed).spawn(2)[0])
        self.population = build_population(self.config, structure)
        self.network = build_network(self.config, self.population, structure)
        self.timeline = shared_timeline(self.config, self.population)
        labels = [e.label for e in self.config.active_events if e.kind == "seed"]
        self.journeys = Journeys(self.config, self.population, self.network, self.timeline,
                                   labels)
        self.state: JourneyState = self.journeys.initial_state()
        self.recorder = Recorder(self.population, self.network, self.timeline.steps)
        self.engine = engine
        self._compiled = (CompiledSteps(self.journeys, self.network, self.recorder)
                          if engine == "compiled" else None)
        self._dynamics = dynamics
        self._build_time = time.perf_counter() - started
        self._run_time = 0.0
        self._views_made = False
        self._uptake = self._uptake_counts(None)
        self.datacollector = mesa.DataCollector(model_reporters={
            name: _reporter(k) for k, name in enumerate(UPTAKE_REPORTERS)})
        self.datacollector.collect(self)

    @property
    def agents(self) -> mesa.agentset.AgentSet:
        """The authorities as Mesa agents, thin views of the arrays (made on first use)."""
        self._make_views()
        return super().agents

    @property
    def agents_by_type(self) -> dict:
        """Mesa's agents by type (one type, :class:`sim.agents.Authority`)."""
        self._make_views()
        return super().agents_by_type

    @property
    def agent_types(self) -> list[type]:
        """Mesa's agent types (:class:`sim.agents.Authority`)."""
        self._make_views()
        return super().agent_types

    def _make_views(self) -> None:
        """One :class:`sim.agents.Authority` per agent, made once.

        A run that never looks at them does not pay for 212 Mesa registrations.
        """
        if not self._views_made:
            self._views_made = True
            for index in range(self.population.size):
                Authority(self, index)

    @property
    def year(self) -> float:
        """Calendar time now (the end of the last step taken)."""
        return float(self.config.time.start + self.steps * self.config.time.dt)

    @property
    def finished(self) -> bool:
        """True once every step of the time window has been taken."""
        return self.steps >= self.timeline.steps

    def step(self) -> None:
        """Advance every journey by one step (a quarter by default)."""
        k = self.steps - 1        # Mesa counts the step before calling us
        if k >= self.timeline.steps:
            self.steps = self.timeline.steps
            self.running = False
            return
        started = time.perf_counter()
        self._advance(k, k + 1)
        self._uptake = self._uptake_counts(k)
        self.datacollector.collect(self)
        self._run_time += time.perf_counter() - started
        if k + 1 >= self.timeline.steps:
            self.running = False

    def run(self) -> RunResult:
        """Take every remaining step and return the results.

        With the compiled engine the steps are taken in one call, and Mesa's step count, clock
        and DataCollector are brought up to date as if ``step()`` had been called for each;
        with the array reference they go through Mesa's scheduler one by one.
        """
        remaining = self.timeline.steps - min(self.steps, self.timeline.steps)
        if remaining and self._compiled is None:
            self.run_for(remaining)
        elif remaining:
            started = time.perf_counter()
            k0 = self.steps
            self._advance(k0, k0 + remaining)
            self._caught_up(k0, remaining)
            self._run_time += time.perf_counter() - started
        return self.results()

    def _advance(self, k0: int, k1: int) -> None:
        """Steps k0 to k1 - 1 of the journeys, recorded."""
        if self._compiled is not None:
            self._compiled.advance(self.state, k0, k1, self._dynamics)
            return
        for k in range(k0, k1):
            events = self.journeys.step(self.state, k, self._dynamics)
            self.recorder.record(k, self.timeline.end[k], self.state, events,
                                 self.journeys.code)

    def _caught_up(self, k0: int, taken: int) -> None:
        """Mesa's steps, time, schedule and DataCollector after ``taken`` steps from k0."""
        collector = self.datacollector
        uptake = uptake_counts(self.recorder.counts[k0:k0 + taken]).reshape(taken, -1)
        for name, values in zip(UPTAKE_REPORTERS, uptake.T.tolist(), strict=True):
            collector.model_vars[name].extend(values)
        collector._collection_steps.extend((self.time + 1 + np.arange(taken)).tolist())
        self._uptake = uptake[-1].tolist()
        self._default_schedule.stop()
        self.steps += taken
        self.time += taken
        self._default_schedule = EventGenerator(
            self, self._do_step, Schedule(interval=1.0, start=self.time + 1.0),
            priority=Priority.HIGH).start()
        self.running = self.steps < self.timeline.steps

    def count(self, approach: str, measure: str = "engaged", scope: str = "UK") -> int:
        """Journeys engaged, implementing or integrating (and not ended) right now."""
        stage = MEASURES[measure]
        a = APPROACHES.index(approach)
        nations = [NATIONS.index(n) for n in SCOPES[scope]]
        mask = np.isin(self.population.nation, nations)
        s = self.state
        return int(((s.stage[mask, a] >= stage) & (s.status[mask, a] != ENDED)).sum())

    def _uptake_counts(self, k: int | None) -> list[int]:
        """UK journeys at or beyond each measure's stage and not ended, in reporter order.

        After step ``k``, or at the start for None.
        """
        if k is None:
            s = self.state
            alive = s.status != ENDED
            return [int(np.count_nonzero((s.stage[:, a] >= stage) & alive[:, a]))
                    for a in range(len(APPROACHES)) for stage in MEASURES.values()]
        return uptake_counts(self.recorder.counts[k:k + 1])[0].ravel().tolist()

    def results(self) -> RunResult:
        """The results of the steps taken so far."""
        taken = min(self.steps, self.timeline.steps)
        observed = load_uk().observed if self.population.is_real else None
        return RunResult(
            config=self.config, seed=self.seed, times=self.timeline.end[:taken].copy(),
            region_counts=self.recorder.counts[:taken].copy(),
            quintile_counts=self.recorder.quintile_counts[:taken].copy(),
            sums=self.recorder.sums[:taken].copy(),
            outcome_sums=self.recorder.outcome_sums[:taken].copy(), population=self.population,
            final=self.state.copy(), event_log=self.recorder.event_arrays(),
            reasons=list(self.journeys.reasons), clustering=dict(self.recorder.clustering),
            observed=observed,
            wall_time=self._build_time + self._run_time)


def _reporter(k: int):
    """A model reporter: the k-th uptake count of the current step."""
    return lambda model: model._uptake[k]


def run(scenario: str | Path | Mapping = "historical-calibrated", seed: int | None = None, *,
        rng: int | None = None, **overrides: Any) -> RunResult:
    """Run a scenario to the end and return its tables, metrics and manifest.

    ``seed`` (or Mesa's ``rng``) as for :class:`InnovationModel`, except that with neither
    the run uses seed 0, as ``innovate run`` does. Overrides are dotted keys; in Python pass
    them as ``**{"approaches.CS.q": 0.4}`` or with double underscores, ``approaches__CS__q=0.4``.
    """
    seed = seed_argument(seed, rng)
    return InnovationModel(scenario, seed=0 if seed is None else seed,
                           overrides=overrides).run()
