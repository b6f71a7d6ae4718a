"""Scenario inputs of every step: policy, need, the macro condition, budgets and workforce.

What the scenario fixes for a step (national policy support, budget index, workforce rates)
depends only on the configuration. Steps whose nation-level series are the same share one
*input set*, and each set is computed once per profile (a real authority, which resampled
agents copy), so a run looks its inputs up instead of computing them. The runs of one
configuration in a process share one :class:`ScenarioInputs`; its arrays are read-only.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from sim.cache import ProcessCache, config_key
from sim.config import Config
from sim.mechanics.population import Population, authorities
from sim.mechanics.timeline import Timeline, agent_budget, workforce_rates


@dataclass(frozen=True)
class ScenarioTables:
    """Scenario-driven inputs of every distinct input set (leading axis), per profile.

    ``policy`` is per nation, (sets, nations, approaches), for policy feedback; the other
    arrays are (sets, profiles, approaches) or (sets, profiles). ``capacity_led`` is the
    workforce capacity under a new director, ``log_capacity`` and ``log_capacity_led`` their
    log-weights in readiness, and ``crisis`` the workforce-crisis pause hazard.
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


@dataclass(frozen=True)
class ScenarioInputs:
    """The input set of each step (``input_id``, by step) and the tables of every set."""

    input_id: np.ndarray
    tables: ScenarioTables


_INPUTS = ProcessCache(4)


def scenario_inputs(config: Config, timeline: Timeline, p0: np.ndarray,
                    weights: np.ndarray) -> ScenarioInputs:
    """The scenario inputs of a configuration, built once per process (read-only arrays).

    ``p0`` and ``weights`` are the prompting rates and normalised condition weights of the
    configuration (:class:`sim.mechanics.tables.JourneyConstants`).
    """
    def build() -> ScenarioInputs:
        input_id, steps = distinct_inputs(config, timeline)
        tables = _tables(config, timeline, steps, p0, weights)
        # C order: the step mixes these with its own arrays, which costs less in one order
        tables = ScenarioTables(**{f.name: np.ascontiguousarray(getattr(tables, f.name))
                                   for f in fields(tables)})
        for array in (input_id, *(getattr(tables, f.name) for f in fields(tables))):
            array.flags.writeable = False
        return ScenarioInputs(input_id=input_id, tables=tables)

    return _INPUTS.get(config_key(config), build)


def distinct_inputs(config: Config, timeline: Timeline) -> tuple[np.ndarray, np.ndarray]:
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
    rows = np.concatenate(parts, axis=1) + 0.0       # (+ 0.0: -0.0 is 0.0, as a value)
    sets: dict[bytes, int] = {}
    input_id = np.array([sets.setdefault(row.tobytes(), len(sets)) for row in rows])
    return input_id, np.unique(input_id, return_index=True)[1]


def macro_condition(config: Config, budget: np.ndarray, policy: np.ndarray) -> np.ndarray:
    """Condition (e), the macro context: the budget index, held back by weak policy support.

    It is 1 with the macro mechanism switched off; otherwise
    min(1, budget * min(1, (1 + policy) / (1 + reference))).
    """
    if not config.mechanisms.macro:
        return np.ones(np.broadcast_shapes(budget.shape, policy.shape))
    reference = config.conditions.macro_policy_reference
    return np.minimum(1.0, budget * np.minimum(1.0, (1.0 + policy) / (1.0 + reference)))


def crisis_rate(config: Config) -> float:
    """The pause hazard of a workforce crisis (0 with shocks or workforce switched off)."""
    m = config.mechanisms
    return config.workforce.crisis_pause_rate if m.shocks and m.workforce else 0.0


def _tables(config: Config, timeline: Timeline, steps: np.ndarray, p0: np.ndarray,
            weights: np.ndarray) -> ScenarioTables:
    """The inputs of the input sets first seen at ``steps``, per nation and per profile."""
    profiles: Population = authorities(config)
    c, m = config.conditions, config.mechanisms
    policy = timeline.policy[steps]
    by_profile = policy.take(profiles.nation, axis=1)     # (C order, as every table below)
    need = np.zeros_like(by_profile)
    if m.need:
        need = config.prompting.need_rate * profiles.need[None, :, None] * (by_profile > 0)
    budget = agent_budget(config, profiles, timeline.budget[steps])
    macro = np.maximum(macro_condition(config, budget[:, :, None], by_profile), 1e-6)
    if m.workforce:
        rates = workforce_rates(profiles, timeline, steps)
        loss = np.tensordot(np.asarray(c.workforce_coefficients),
                            rates - c.workforce_reference, axes=1)
        capacity = np.clip(1.0 - loss, max(c.workforce_floor, 1e-6), 1.0)
        churn = c.culture_churn_loss * np.maximum(0.0, rates[0] - 0.15) / 0.10
    else:
        capacity = np.ones((len(steps), profiles.size))
        churn = np.zeros((len(steps), profiles.size))
    led = capacity * c.leadership_factor
    return ScenarioTables(policy=policy, policy_term=p0 * by_profile,
                          case_policy=c.case_policy * by_profile,
                          need=need, macro=macro, log_macro=weights[4] * np.log(macro),
                          budget=budget, capacity=capacity, churn=churn, capacity_led=led,
                          log_capacity=weights[1] * np.log(capacity),
                          log_capacity_led=weights[1] * np.log(led),
                          crisis=crisis_rate(config) * (capacity
                                                        < config.workforce.crisis_threshold))
