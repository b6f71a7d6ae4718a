"""The scenario timeline compiled into per-step arrays."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

import sim
from sim.config import load_config
from sim.mechanics.inputs import distinct_inputs
from sim.mechanics.population import build_population
from sim.mechanics.timeline import compile_timeline
from sim.vocabulary import APPROACHES, NATIONS


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
    assert (crisis.journeys.inputs(late).capacity <= base.journeys.inputs(late).capacity).all()
    assert (crisis.journeys.inputs(late).capacity < base.journeys.inputs(late).capacity).any()


def test_austerity_lever_phases_the_cut_in_and_holds_it():
    _, _, base = _timeline()
    _, _, cut = _timeline(**{"levers.austerity_cut": 0.2, "levers.start": 2026.0,
                             "levers.austerity_years": 2.0})
    mid = (base.start + base.end) / 2
    ratio = cut.budget / base.budget
    np.testing.assert_array_equal(ratio[mid < 2026.0], 1.0)
    halfway = np.argmin(np.abs(mid - 2027.125))
    assert ratio[halfway] == pytest.approx(np.full(len(NATIONS), 1 - 0.2 * 1.125 / 2))
    np.testing.assert_allclose(ratio[mid > 2028.0], 0.8)


def test_austerity_deepens_preset_equals_the_old_budget_knots():
    """The preset is the lever; it reproduces the knots 0.62 -> 0.496 (England) of its brief."""
    _, _, tl = _timeline("austerity-deepens")
    mid = (tl.start + tl.end) / 2
    england = NATIONS.index("England")
    expected = np.interp(mid, [2026.0, 2028.0], [0.62, 0.496])
    late = mid > 2026.0
    np.testing.assert_allclose(tl.budget[late, england], expected[late], rtol=1e-12)


def test_policy_and_workforce_levers_multiply_the_timeline_from_their_start():
    _, _, base = _timeline()
    _, _, tl = _timeline(**{"levers.start": 2024.0, "levers.workforce_pressure": 1.5,
                            "levers.policy.TS.Wales": 3.0})
    after = base.end > 2024.0 + 1e-9
    ts, wales = APPROACHES.index("TS"), NATIONS.index("Wales")
    np.testing.assert_array_equal(tl.policy[after, wales, ts], 3.0 * base.policy[after, wales, ts])
    np.testing.assert_array_equal(tl.policy[~after], base.policy[~after])
    others = np.ones(len(APPROACHES), bool)
    others[ts] = False
    np.testing.assert_array_equal(tl.policy[:, :, others], base.policy[:, :, others])
    np.testing.assert_array_equal(tl.workforce_multiplier[:, after],
                                  1.5 * base.workforce_multiplier[:, after])
    np.testing.assert_array_equal(tl.workforce_multiplier[:, ~after], 1.0)


def test_macro_switch_off_ignores_the_budget_and_policy_levers():
    _, _, tl = _timeline(**{"mechanisms.macro": False, "levers.austerity_cut": 0.5,
                            "levers.policy.CS.England": 0.0})
    np.testing.assert_array_equal(tl.budget, 1.0)
    np.testing.assert_array_equal(tl.policy, 1.0)


@pytest.mark.parametrize(("key", "value", "message"), [
    ("levers.austerity_cut", 0.95, "levers.austerity_cut"),
    ("levers.policy.CS.Scotland", -1.0, "levers.policy.CS.Scotland"),
    ("levers.policy.XX.Scotland", 1.0, "levers.policy.XX"),
])
def test_bad_lever_values_name_the_field(key, value, message):
    with pytest.raises(sim.InputError, match=message.replace(".", r"\.")) as info:
        load_config("historical", {key: value})
    assert "\n" not in str(info.value)


def test_steps_with_the_same_inputs_share_one_input_set_numbered_as_first_seen():
    config, _, tl = _timeline(**{"mechanisms.workforce": False})
    policy = np.zeros_like(tl.policy)
    budget = np.ones_like(tl.budget)
    policy[3:6], budget[5:] = 0.5, 0.8            # sets: 0 (steps 0-2), 1 (3-4), 2 (5), 3 (6-)
    policy[0] = -0.0                              # -0.0 is the value 0.0: the same set
    input_id, first = distinct_inputs(config, replace(tl, policy=policy, budget=budget))
    expected = np.r_[[0] * 3, [1] * 2, 2, [3] * (tl.steps - 6)]
    np.testing.assert_array_equal(input_id, expected)
    np.testing.assert_array_equal(first, [0, 3, 5, 6])
    budget[-1] = 0.5                              # a set first seen at the last step
    input_id, first = distinct_inputs(config, replace(tl, policy=policy, budget=budget))
    assert input_id[-1] == 4 and first[-1] == tl.steps - 1


def test_each_step_reads_its_own_input_set_in_a_real_scenario():
    config, _, tl = _timeline("historical-calibrated")
    input_id, first = distinct_inputs(config, tl)
    assert len(first) == input_id.max() + 1 and (input_id[first] == np.arange(len(first))).all()
    assert (np.diff(first) > 0).all() and input_id[0] == 0
    for k in range(tl.steps):                     # same inputs exactly when the same set
        j = first[input_id[k]]
        assert np.array_equal(tl.policy[k], tl.policy[j])
        assert np.array_equal(tl.budget[k], tl.budget[j])
        assert tuple(part[k] for part in tl.census) == tuple(part[j] for part in tl.census)
    assert len(first) < tl.steps
