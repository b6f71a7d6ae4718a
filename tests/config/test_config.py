"""Typed configuration: presets, inheritance, overrides and one-line errors."""

from __future__ import annotations

import pytest

import sim
from sim.config import (
    flatten,
    load_config,
    parameter_table,
    parse_override,
    preset_names,
    raw_scenario,
)
from sim.errors import InputError

PRESETS = ["historical", "austerity-deepens", "reinvestment", "cs-in-working-together-2023",
           "scotland-context-everywhere", "workforce-crisis", "triad-funded"]


def test_every_required_preset_exists_and_validates():
    assert set(PRESETS) <= set(preset_names())
    for name in preset_names():
        config = load_config(name)
        assert config.name == name
        assert config.description, f"{name} has no description"


def test_defaults_are_neutral_and_quarterly():
    config = load_config("defaults")
    assert config.time.steps == 104 and config.time.dt == 0.25
    assert config.events == []
    assert config.population.size == 212 and config.network.kind == "uk"


def test_every_parameter_is_documented_with_unit_and_source():
    rows = parameter_table()
    assert len(rows) == len(flatten(load_config("defaults")))
    for row in rows:
        assert row["unit"] and row["source"] and row["meaning"], row["name"]


def test_required_switch_keys_exist():
    values = flatten(load_config("defaults"))
    for key in ["population.size", "network.kind", "network.degree", "stages.collapsed",
                "mechanisms.macro", "mechanisms.workforce", "mechanisms.shocks",
                "mechanisms.synergy", "mechanisms.feedback", "approaches.CS.p0",
                "approaches.TIP.q", "approaches.TS.p0", "time.start", "time.end", "time.dt"]:
        assert key in values, key


def test_children_inherit_and_override_events_by_id():
    base = load_config("historical")
    child = load_config("cs-in-working-together-2023")
    wt2023 = {e.id: e for e in child.events}["cs-wt2023"]
    assert not wt2023.enabled and wt2023.date == 2023.95    # inherited fields kept
    assert len(child.events) == len(base.events)
    assert "cs-wt2023" not in {e.id for e in child.active_events}


def test_overrides_parse_toml_values_and_dotted_keys():
    assert parse_override("approaches.CS.q=0.4") == ("approaches.CS.q", 0.4)
    assert parse_override("mechanisms.macro=false") == ("mechanisms.macro", False)
    assert parse_override("network.kind=ring") == ("network.kind", "ring")
    assert parse_override("stages.visibility=[0,1,1,1,1,1,1]")[1] == [0, 1, 1, 1, 1, 1, 1]
    config = load_config("historical", {"approaches.CS.q": 0.5, "events.covid.enabled": False,
                                        "approaches__TS__p0": 0.1})
    assert config.approaches.CS.q == 0.5 and config.approaches.TS.p0 == 0.1
    assert "covid" not in {e.id for e in config.active_events}


def test_one_element_of_a_list_can_be_set_on_its_own():
    config = load_config("historical", {"progression.years_per_stage.2": 1.75,
                                        "conditions.culture_by_grade.3": 0.2})
    assert config.progression.years_per_stage == [1.0, 1.0, 1.75, 2.0, 4.0]
    assert config.conditions.culture_by_grade == [0.75, 0.6, 0.45, 0.2]
    again = load_config("historical")               # the preset itself is unchanged
    assert again.progression.years_per_stage == [1.0, 1.0, 1.5, 2.0, 4.0]


def test_user_file_extends_defaults(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text('name = "mine"\n[approaches.CS]\nq = 0.9\n')
    config = load_config(path)
    assert config.name == "mine" and config.approaches.CS.q == 0.9
    assert config.approaches.TIP.q == load_config("defaults").approaches.TIP.q


def test_user_file_extends_a_preset_by_name(tmp_path):
    path = tmp_path / "later.toml"
    path.write_text('extends = "historical"\nname = "later"\n[time]\nend = 2041.0\n')
    config = load_config(path)
    assert config.time.steps == 124
    assert len(config.events) == len(load_config("historical").events)


def test_an_edited_file_is_read_again(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text('extends = "historical"\nname = "mine"\n[approaches.CS]\nq = 0.4\n')
    assert load_config(path).approaches.CS.q == 0.4
    path.write_text('extends = "historical"\nname = "mine"\n[approaches.CS]\nq = 0.7\n')
    assert load_config(path).approaches.CS.q == 0.7       # (same size, same second)


def test_changing_a_loaded_mapping_changes_no_later_load():
    """Parsed files are kept per process: what a caller gets is its own to change."""
    for name in ("defaults", "historical"):
        raw = raw_scenario(name)
        raw["approaches"]["CS"]["q"] = 99.0
        raw.setdefault("events", []).append({"id": "added"})
        raw.pop("conditions")
        again = raw_scenario(name)
        assert again["approaches"]["CS"]["q"] != 99.0 and "conditions" in again
        assert all(e.get("id") != "added" for e in again.get("events", []))
    mapping = raw_scenario("historical")
    first = load_config(mapping, {"approaches.CS.q": 0.9})
    assert first.approaches.CS.q == 0.9
    assert load_config(mapping).approaches.CS.q == load_config("historical").approaches.CS.q
    assert mapping == raw_scenario("historical")            # the caller's mapping is unchanged


@pytest.mark.parametrize("overrides, fragment", [
    ({"approaches.CS.qq": 1}, "approaches.CS.qq: unknown key; allowed: p0, q,"),
    ({"approaches.CS.q": -1}, "approaches.CS.q: input should be greater than or equal to 0"),
    ({"network.kind": "lattice"}, "network.kind: input should be 'uk', 'complete'"),
    ({"mechanisms.macro": "perhaps"}, "mechanisms.macro: input should be a valid boolean"),
    ({"time.dt": 0.3}, "whole number of steps"),
    ({"population.size": 500}, "population.size must be 212 with network.kind = 'uk'"),
    ({"stages.visibility": [0, 1]}, "stages.visibility needs exactly 7 values"),
    ({"events.nope.enabled": False}, "no event with id 'nope'"),
    ({"progression.years_per_stage.5": 1.0},
     "progression.years_per_stage.5: '5' is not a position in this list of 5; use 0 to 4"),
    ({"progression.end_rate.1": -0.1}, "progression rates must be >= 0"),
])
def test_bad_values_give_one_line_naming_the_key(overrides, fragment):
    with pytest.raises(InputError) as error:
        load_config("historical", overrides)
    message = str(error.value)
    assert fragment in message
    assert "\n" not in message
    assert message.startswith("--set:") or "no event" in message or "whole number" in message


def test_unknown_scenario_lists_the_presets():
    with pytest.raises(InputError,
                       match="unknown scenario 'histrical'; choose one of: .*historical"):
        load_config("histrical")


@pytest.mark.parametrize("text, fragment", [
    ("[time\nstart = 1", "malformed TOML"),
    ('[approaches.CS]\nq = "fast"\n', "approaches.CS.q: input should be a valid number"),
    ('[tim]\nstart = 0.0\n', "tim: unknown key; allowed: name, description, time"),
    ('[[events]]\nid = "x"\nkind = "party"\ndate = 2020.0\nlabel = "x"\n',
     "events.x.kind: unknown kind 'party'; allowed: budget, policy"),
    ('[[events]]\nid = "x"\nkind = "policy"\ndate = 2020.0\nlabel = "x"\napproach = "XX"\n'
     'nations = ["England"]\nvalue = 1.0\n', "events.x.approach: input should be 'CS', 'TIP'"),
    ('[[events]]\nid = "x"\nkind = "seed"\ndate = 2020.0\nlabel = "x"\napproach = "CS"\n'
     'stage = 1\n', "a seed event needs agents or nations"),
    ('extends = "mine.toml"\n', "extends forms a cycle"),
])
def test_bad_files_give_one_line(tmp_path, text, fragment):
    path = tmp_path / "mine.toml"
    path.write_text(text)
    with pytest.raises(InputError) as error:
        load_config(path)
    assert fragment in str(error.value)
    assert "\n" not in str(error.value)


def test_duplicate_event_ids_are_rejected(tmp_path):
    event = '[[events]]\nid = "x"\nkind = "hazard_scale"\ndate = 1.0\nvalue = 1.0\nlabel = "x"\n'
    path = tmp_path / "dup.toml"
    path.write_text('name = "dup"\n' + event)
    config = load_config(path)   # one is fine
    with pytest.raises(InputError, match="duplicate id 'x'"):
        sim.config.validate({**config.model_dump(), "events": [config.events[0].model_dump()] * 2})


def test_unknown_authority_in_a_seed_event_is_an_input_error(tmp_path):
    path = tmp_path / "seed.toml"
    path.write_text('extends = "historical"\nname = "s"\n[[events]]\nid = "bad"\nkind = "seed"\n'
                    'date = 2020.0\nlabel = "x"\napproach = "CS"\nagents = ["E0000000"]\n'
                    'stage = 1\n')
    with pytest.raises(InputError, match="events.bad.agents: unknown authority 'E0000000'"):
        sim.InnovationModel(path, seed=0)


def test_seed_must_be_a_whole_number():
    with pytest.raises(InputError, match="seed: must be a whole number"):
        sim.InnovationModel("defaults", seed=-1)
    with pytest.raises(InputError):
        sim.InnovationModel("defaults", seed=1.5)
