"""The scenario timeline compiled into per-step arrays (macro context, layers, seeding).

An event dated within a step's quarter applies to that whole step. Step-valued series
(policy, layers, hazard scale, workforce multipliers) keep their last value; the budget index is
linear between its knots and constant outside them. One-off events (seeding) dated before the
run starts or after it ends do not happen.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

import numpy as np

from sim.cache import ProcessCache, config_key
from sim.config import Config
from sim.data import WORKFORCE_YEARS, load_uk
from sim.errors import InputError
from sim.mechanics.population import Population
from sim.vocabulary import APPROACHES, NATIONS

EPS = 1e-9


@dataclass(frozen=True)
class Seeding:
    """Authorities that start (or move up) a journey at one step, perhaps funded."""

    approach: int
    agents: np.ndarray
    stage: int
    funded_until: float
    label: str


@dataclass(frozen=True)
class Timeline:
    """Everything the scenario fixes in advance, one row per step.

    Attributes:
        start, end: calendar time at the start and the end of each step.
        budget: budget index of each nation at mid-step, shape (steps, nations); an agent's
            cut is deeper or shallower with its deprivation (:func:`agent_budget`).
        policy: exogenous policy support, shape (steps, nations, approaches).
        hazard_scale: the pure time change x(t) multiplying every hazard, shape (steps,).
        progression_scale: disruption multiplier of progression (COVID), shape (steps,).
        census: for each step, the two census years (indices into the workforce series) and
            the weight of the later one, to interpolate workforce rates at mid-step.
        workforce_multiplier: turnover, vacancy and agency multipliers from workforce events,
            shape (3, steps, nations).
        region_on: region layer switched on for each nation, shape (steps, nations).
        learning_on: open learning network on per nation and approach, (steps, nations,
            approaches).
        cluster_on: peer clusters on per nation and approach, (steps, nations, approaches).
        package: multiplier of the early stages' progression from packaged designs, (steps,
            nations, approaches); 1 where none.
        seedings: seeding events of each step.
    """

    start: np.ndarray
    end: np.ndarray
    budget: np.ndarray
    policy: np.ndarray
    hazard_scale: np.ndarray
    progression_scale: np.ndarray
    census: tuple[np.ndarray, np.ndarray, np.ndarray]
    workforce_multiplier: np.ndarray
    region_on: np.ndarray
    learning_on: np.ndarray
    cluster_on: np.ndarray
    package: np.ndarray
    seedings: dict[int, list[Seeding]] = field(default_factory=dict)

    @property
    def steps(self) -> int:
        """Number of steps."""
        return len(self.start)


_TIMELINES = ProcessCache(8)        # timelines of the real authorities


def shared_timeline(config: Config, population: Population) -> Timeline:
    """:func:`compile_timeline`, shared by the runs of a configuration on the real authorities.

    The timeline is compiled once per process and configuration; its arrays are read-only.
    """
    if not population.is_real:
        return compile_timeline(config, population)
    def build() -> Timeline:
        timeline = compile_timeline(config, population)
        arrays = [getattr(timeline, f.name) for f in fields(timeline)]
        arrays += [*timeline.census, *(s.agents for ss in timeline.seedings.values() for s in ss)]
        for array in arrays:
            if isinstance(array, np.ndarray):
                array.flags.writeable = False
        return timeline

    return _TIMELINES.get(config_key(config), build)


def compile_timeline(config: Config, population: Population) -> Timeline:
    """Turn the configuration's events into per-step arrays for this population."""
    steps = config.time.steps
    edges = config.time.start + np.arange(steps + 1) * config.time.dt
    start, end = edges[:-1], edges[1:]
    events = config.active_events
    macro = config.mechanisms.macro
    shocks = config.mechanisms.shocks

    policy = np.empty((steps, len(NATIONS), len(APPROACHES)))
    for a, name in enumerate(APPROACHES):
        policy[:, :, a] = config.approaches[name].policy
    for e in _of_kind(events, "policy"):
        policy[_from(e.date, end), _nations(e.nations), APPROACHES.index(e.approach)] = e.value
    levers, from_start = config.levers, _from(config.levers.start, end)
    for a, name in enumerate(APPROACHES):
        for n, nation in enumerate(NATIONS):
            policy[from_start, n, a] *= levers.policy_multiplier(name, nation)
    if not macro:
        policy[:] = 1.0

    hazard_scale = np.ones(steps)
    for e in _of_kind(events, "hazard_scale"):
        hazard_scale[_from(e.date, end)] = e.value

    progression_scale = np.ones(steps)
    if shocks:
        for e in _of_kind(events, "disruption"):
            overlap = (start < e.until - EPS) & (end > e.date + EPS)
            progression_scale[overlap] *= e.progression

    region_on = np.zeros((steps, len(NATIONS)), dtype=bool)
    learning_on = np.zeros((steps, len(NATIONS), len(APPROACHES)), dtype=bool)
    cluster_on = np.zeros_like(learning_on)
    for e in _of_kind(events, "network"):
        rows, cols = _from(e.date, end), _nations(e.nations)
        if e.layer == "region":
            region_on[rows, cols] = e.active
        else:
            on = learning_on if e.layer == "learning" else cluster_on
            on[rows, cols, APPROACHES.index(e.approach)] = e.active

    package = np.ones((steps, len(NATIONS), len(APPROACHES)))
    for e in _of_kind(events, "package"):
        package[_from(e.date, end), _nations(e.nations), APPROACHES.index(e.approach)] = e.value

    mid = (start + end) / 2
    budget = _budget(config, events, mid)
    if macro:
        phase = np.clip((mid - levers.start) / levers.austerity_years, 0.0, 1.0)
        budget *= (1.0 - levers.austerity_cut * phase)[:, None]
    multiplier = np.ones((3, steps, len(NATIONS)))
    for e in _of_kind(events, "workforce"):
        rows = _from(e.date, end)
        for k, value in enumerate((e.turnover, e.vacancy, e.agency)):
            multiplier[k, rows, _nations(e.nations)] = value
    multiplier[:, from_start] *= levers.workforce_pressure
    position = np.interp(mid, WORKFORCE_YEARS + 0.75, np.arange(len(WORKFORCE_YEARS)))
    low = np.floor(position).astype(int)
    census = (low, np.minimum(low + 1, len(WORKFORCE_YEARS) - 1), position - low)
    seedings = _seedings(config, population, events, start, end)
    return Timeline(start=start, end=end, budget=budget, policy=policy,
                    hazard_scale=hazard_scale, progression_scale=progression_scale,
                    census=census, workforce_multiplier=multiplier, region_on=region_on,
                    learning_on=learning_on, cluster_on=cluster_on, package=package,
                    seedings=seedings)


def agent_budget(config: Config, population: Population, budget: np.ndarray) -> np.ndarray:
    """Budget index of each agent: its nation's cut, deeper in more deprived areas.

    ``budget`` has nations on its last axis; the result has agents there instead.
    """
    cut = 1.0 - budget[..., population.nation]
    deeper = 1.0 + config.conditions.deprivation_gain * population.deprivation_z
    return np.clip(1.0 - cut * deeper, 0.0, 2.0)


def workforce_rates(population: Population, timeline: Timeline, steps: np.ndarray) -> np.ndarray:
    """Turnover, vacancy and agency rates of each agent at the given steps, (3, steps, agents).

    The census (30 September) series is interpolated to mid-step and held flat outside
    2016-2025, then multiplied by any workforce events.
    """
    low, high, frac = (part[steps] for part in timeline.census)
    series = population.workforce
    rates = series[:, low] * (1 - frac)[None, :, None] + series[:, high] * frac[None, :, None]
    rates = rates * timeline.workforce_multiplier[:, steps][:, :, population.nation]
    return np.clip(rates, 0.0, 1.0)


def _of_kind(events: list, kind: str) -> list:
    return [e for e in events if e.kind == kind]


def _from(date: float, end: np.ndarray) -> slice:
    """The steps from the one whose quarter contains ``date`` onwards (``end`` increasing)."""
    return slice(int(np.searchsorted(end, date + EPS, side="right")), None)


def _nations(names: list[str]) -> list[int]:
    return [NATIONS.index(n) for n in names]


def _budget(config: Config, events: list, mid: np.ndarray) -> np.ndarray:
    """Each nation's budget index at mid-step: linear between knots, flat outside them."""
    by_nation = np.ones((len(mid), len(NATIONS)))
    if not config.mechanisms.macro:
        return by_nation
    for k in range(len(NATIONS)):
        knots = sorted((e.date, e.value) for e in _of_kind(events, "budget")
                       if NATIONS[k] in e.nations)
        if knots:
            dates, values = zip(*knots, strict=True)
            by_nation[:, k] = np.interp(mid, dates, values)
    return by_nation


def _seedings(config: Config, population: Population, events: list, start: np.ndarray,
              end: np.ndarray) -> dict[int, list[Seeding]]:
    known = load_uk().index_of
    position = known if population.is_real else {a: i for i, a in enumerate(population.ids)}
    out: dict[int, list[Seeding]] = {}
    for e in _of_kind(events, "seed"):
        unknown = [a for a in e.agents if a not in known and a not in position]
        if unknown:
            raise InputError(f"events.{e.id}.agents: unknown authority {unknown[0]!r}; use an "
                             "agent_id from sim/data/authorities.csv (or of the resampled "
                             "population)")
        step = int(np.searchsorted(end, e.date + EPS, side="right"))
        if e.date < start[0] - EPS or step >= len(end):
            continue
        members = [position[a] for a in e.agents if a in position]
        if e.nations:
            members += list(np.flatnonzero(np.isin(population.nation, _nations(e.nations))))
        stage = 1 if config.stages.collapsed else e.stage
        funded = e.funded_until if e.funded_until is not None else -np.inf
        out.setdefault(step, []).append(Seeding(
            approach=APPROACHES.index(e.approach), agents=np.unique(np.array(members, int)),
            stage=stage, funded_until=funded, label=e.label))
    return out
