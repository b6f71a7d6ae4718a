"""The scenario timeline compiled into per-step arrays."""

from __future__ import annotations

import numpy as np
import pytest

import sim
from sim.config import APPROACHES, NATIONS, load_config
from sim.population import build_population
from sim.scenario import compile_timeline


def _timeline(scenario="historical", **overrides):
    config = load_config(scenario, overrides)
    population = build_population(config, np.random.default_rng(0))
    return config, population, compile_timeline(config, population)


def test_an_event_applies_from_the_quarter_that_contains_it():
    config, _, tl = _timeline()
    cs, england = APPROACHES.index("CS"), NATIONS.index("England")
    step = np.flatnonzero((tl.start <= 2018.55) & (tl.end > 2018.55))[0]
    assert tl.policy[step - 1, england, cs] == 0.25
    assert tl.policy[step, england, cs] == 0.75


def test_budget_is_linear_between_knots_and_flat_outside():
    _, _, tl = _timeline()
    england = NATIONS.index("England")
    mid = (tl.start + tl.end) / 2
    assert tl.budget[mid < 2010.2, england] == pytest.approx(1.0, abs=0.01)
    at_2017 = tl.budget[np.argmin(np.abs(mid - 2017.625)), england]
    assert at_2017 == pytest.approx(0.60 + (0.52 - 0.60) * (1.625 / 3), abs=1e-9)
    assert tl.budget[mid > 2026.5, england] == pytest.approx(0.62)


def test_seeding_before_the_start_does_not_happen():
    _, population, tl = _timeline(**{"time.start": 2018.0})
    labels = {s.label for seedings in tl.seedings.values() for s in seedings}
    assert "Hackney CS pilot funded by the DfE Innovation Programme" not in labels
    assert "CS Scale-Up test site (create, test, embed), funded to 2022" in labels


def test_macro_off_makes_policy_and_budget_neutral():
    _, _, tl = _timeline(**{"mechanisms.macro": False})
    assert (tl.policy == 1.0).all() and (tl.budget == 1.0).all()


def test_disruption_slows_progression_only_while_it_lasts():
    _, _, tl = _timeline()
    covid = (tl.start >= 2020.25) & (tl.end <= 2021.5)
    assert (tl.progression_scale[covid] == 0.5).all()
    assert (tl.progression_scale[~((tl.end > 2020.25) & (tl.start < 2021.5))] == 1.0).all()


def test_workforce_events_multiply_rates():
    base = sim.InnovationModel("historical", seed=0)
    crisis = sim.InnovationModel("workforce-crisis", seed=0)
    late = base.timeline.steps - 1
    assert (crisis.mechanics.inputs(late).capacity <= base.mechanics.inputs(late).capacity).all()
    assert (crisis.mechanics.inputs(late).capacity < base.mechanics.inputs(late).capacity).any()
