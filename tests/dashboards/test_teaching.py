"""Teach mode: the curriculum, what each lesson reads from its run, Diamond 9, the what-if
effects, and the sequence clicked through in the rendered page (no browser; the browser test is
in test_dashboard_browser.py)."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

import sim
from dashboards.ensembles import EFFECT_SEEDS, counts_at, effect
from dashboards.frames import journey_events, region_stage_counts
from dashboards.style import region_words, short_name
from dashboards.teaching.lessons import (
    DIAMOND_ROWS,
    LESSONS_FILE,
    check_diamond,
    condition_tally,
    curriculum,
    episode,
    first_starters,
    held_periods,
    lesson_from_query,
    lesson_link,
    load_curriculum,
    peers,
    period_words,
    place,
    requested_lesson,
    stage_periods,
    top_three,
)
from sim.errors import InputError
from sim.vocabulary import CONDITIONS, STAGES


@pytest.fixture(scope="module")
def lesson_run():
    lesson = curriculum().lesson_by_id("stages")
    result = sim.InnovationModel(config=lesson.settings().config(), seed=lesson.seed).run()
    return lesson, result, place(result, lesson.authority)


# -- the curriculum ------------------------------------------------------------------------------

def test_the_curriculum_has_four_lessons_six_stages_five_conditions_nine_statements():
    c = curriculum()
    assert [lesson.id for lesson in c.lessons] == ["stages", "conditions", "spreading", "policy"]
    assert all(45 <= lesson.minutes <= 90 for lesson in c.lessons)
    assert [s.name for s in c.stage] == list(STAGES[1:])
    assert [x.key for x in c.condition] == list(CONDITIONS)
    assert len(c.statement) == sum(DIAMOND_ROWS) == 9
    assert {s.condition for s in c.statement} == set(CONDITIONS)   # every condition testable
    views = {step.view for lesson in c.lessons for step in lesson.steps}
    assert {"stage", "episode", "conditions", "try", "diamond9", "region", "compare"} <= views
    stages = [step.stage for step in c.lesson_by_id("stages").steps if step.view == "stage"]
    assert stages == [1, 2, 3, 4, 5, 6]
    kinds = [step.kind for step in c.lesson_by_id("stages").steps if step.view == "episode"]
    assert kinds == ["pause", "renewal"]
    # the key questions published for Mobilising come first
    assert c.stage[0].questions[0].startswith("Better for whom?")


def test_each_condition_change_moves_its_parameter_the_right_way():
    base = curriculum().lesson_by_id("conditions").settings()
    before = base.config()
    for condition in curriculum().condition:
        stronger = base.with_changes(condition.stronger).config()
        weaker = base.with_changes(condition.weaker).config()
        if condition.key == "case":
            assert stronger.conditions.case_baseline > before.conditions.case_baseline > \
                weaker.conditions.case_baseline
        elif condition.key == "workforce":
            assert stronger.levers.workforce_pressure < 1 < weaker.levers.workforce_pressure
            assert stronger.levers.start == weaker.levers.start == 2010
        elif condition.key == "design":
            for a in sim.APPROACHES:
                assert stronger.approaches[a].complexity < before.approaches[a].complexity < \
                    weaker.approaches[a].complexity
        elif condition.key == "culture":
            assert stronger.conditions.culture_shift > 0 > weaker.conditions.culture_shift
        else:
            assert stronger.levers.austerity_cut < 0 < weaker.levers.austerity_cut


def test_a_broken_lessons_file_names_the_field_in_one_line(tmp_path):
    text = LESSONS_FILE.read_text()
    bad = tmp_path / "lessons.toml"
    bad.write_text(text.replace('view = "stage"\nstage = 3', 'view = "stage"', 1))
    with pytest.raises(InputError) as error:
        load_curriculum(bad)
    assert str(error.value) == ("lessons.toml: lesson.stages.step[3]: stage: needed by a "
                                "'stage' step and only there")
    bad.write_text(text.replace('minutes = ', 'minuets = ', 1))
    with pytest.raises(InputError, match=r"^lessons.toml: lesson.stages.minuets: unknown key; "
                                         r"allowed: id, title, minutes, "):
        load_curriculum(bad)
    bad.write_text(text.replace('preset = "historical-calibrated"', 'preset = "nosuch"', 1))
    with pytest.raises(InputError, match="unknown preset 'nosuch'"):
        load_curriculum(bad)
    bad.write_text(text.replace('"conditions.culture_shift" = 0.2 }',
                                '"conditions.culture_shift" = 5 }', 1))
    with pytest.raises(InputError, match="conditions.culture_shift"):
        load_curriculum(bad)


def test_links_open_a_lesson_and_an_unknown_lesson_is_an_error():
    assert lesson_link("stages") == "http://127.0.0.1:8765/?lesson=stages"
    assert lesson_link("stages", authority="E09000012").endswith("&authority=E09000012")
    assert lesson_from_query("lesson=policy&x=1") == ("policy", None)
    assert lesson_from_query("?lesson=spreading&authority=W06000015") == ("spreading",
                                                                          "W06000015")
    assert lesson_from_query("") == (None, None)
    assert requested_lesson("lesson=conditions") == ("conditions", None, None)
    assert requested_lesson("lesson=stages&authority=S12000049") == ("stages", "S12000049",
                                                                     None)
    assert requested_lesson(None) == (None, None, None)
    assert requested_lesson("lesson=nosuch") == (
        None, None, "lesson: unknown lesson 'nosuch'; choose one of: stages, conditions, "
                    "spreading, policy")
    assert requested_lesson("lesson=stages&authority=X1")[2] == (
        "authority: unknown authority code 'X1'; use an ONS code such as E09000012 (Hackney)")


def test_names_read_as_people_say_them():
    assert short_name("Bristol, City of") == "Bristol"
    assert short_name("Herefordshire, County of") == "Herefordshire"
    assert short_name("Bath and North East Somerset") == "Bath and North East Somerset"
    assert region_words("South West") == "the South West"
    assert region_words("Scotland") == "Scotland"


# -- what a lesson reads from its run -------------------------------------------------------------

def test_stage_periods_find_every_spell_at_a_stage():
    times = np.array([0.0, 0.25, 0.5, 0.75, 1.0, 1.25])
    stage = np.array([0, 1, 1, 2, 1, 1])
    status = np.array([0, 0, 1, 0, 0, 2])
    assert stage_periods(times, stage, status, 1) == [(0.25, 0.75, "active"),
                                                      (1.0, 1.25, "active")]
    assert stage_periods(times, stage, status, 2) == [(0.75, 1.0, "active")]
    assert stage_periods(times, stage, status, 3) == []
    assert period_words([(2015.25, 2016.5, "active"), (2017.0, 2017.25, "paused")]) == (
        "Jan-Mar 2015 to Apr-Jun 2016; Oct-Dec 2016 to Jan-Mar 2017 (paused)")
    assert held_periods(times, status, "pause") == [(0.5, 0.75, "")]
    assert held_periods(times, status, "renewal") == [(1.25, 1.25, "")]   # the last step


def test_the_lesson_authority_and_its_journey(lesson_run):
    lesson, result, where = lesson_run
    assert (where.name, where.region, len(where.region_rows)) == ("Bristol", "South West", 15)
    events = journey_events(result, lesson.authority, "CS")
    assert (events["time"].diff().dropna() >= 0).all()
    assert events["kind"].iloc[0] == "seed"          # a named CS Scale-Up site


def test_episodes_are_a_pause_and_an_ending_then_a_renewal(lesson_run):
    lesson, result, where = lesson_run
    pause = episode(result, "CS", "pause", where)
    assert "pause" in set(pause["kind"]) and pause["agent_id"].nunique() == 1
    renewal = episode(result, "CS", "renewal", where)
    kinds = list(renewal["kind"])
    assert kinds.index("end") < kinds.index("restart")
    assert renewal["reason"].str.contains("renewal").any()
    # an authority without a pause borrows one from its region, then from anywhere
    for approach in sim.APPROACHES:
        for kind in ("pause", "renewal"):
            assert not episode(result, approach, kind, where).empty


def test_condition_tally_counts_strongest_and_weakest():
    events = pd.DataFrame({"reason": [
        "conditions allowed it to move on (strongest: workforce capacity)",
        "resumed as conditions allowed (strongest: workforce capacity)",
        "ended (weakest: open culture)", "change of director"]})
    tally = condition_tally(events)
    assert tally["forward"]["workforce"] == 2 and tally["back"]["culture"] == 1
    assert sum(tally["forward"].values()) == 2 and sum(tally["back"].values()) == 1


def test_region_counts_first_starters_and_ties(lesson_run):
    lesson, result, where = lesson_run
    counts = region_stage_counts(result, where.region, "CS")
    per_step = counts.groupby("time")["count"].sum()
    assert per_step.max() <= len(where.region_rows) and per_step.iloc[-1] > 0
    starters = first_starters(result, "CS", where)
    assert list(starters["time"]) == sorted(starters["time"])
    assert "Bristol, City of" in set(starters["name"])
    ties = peers(where.index)
    assert "South Gloucestershire" in ties["borders"]
    assert len(ties["statistical neighbours"]) == 10


# -- what if: paired runs -------------------------------------------------------------------------

def test_no_change_has_exactly_no_effect():
    lesson = curriculum().lesson_by_id("conditions")
    found = effect(lesson.settings(), {"levers.workforce_pressure": 1.0}, "nothing",
                   "South West", "CS", seeds=4)
    assert (found.changed == found.base).all()
    assert "no more and no fewer" in found.sentence()


def test_workforce_and_culture_move_integration_the_way_the_research_says():
    """Over 20 paired runs (the page's ensemble): a more stable workforce and a more open
    culture raise the UK count integrating CS in 2030; a less stable workforce lowers it."""
    lesson = curriculum().lesson_by_id("conditions")
    settings = lesson.settings()
    base = counts_at(settings, EFFECT_SEEDS, "South West", "CS", "integrating", 2030.0)
    c = curriculum()
    for key, direction, sign in (("workforce", "stronger", 1), ("workforce", "weaker", -1),
                                 ("culture", "stronger", 1)):
        condition = c.condition_by_key(key)
        found = effect(settings, getattr(condition, direction), direction, "South West", "CS",
                       base=base)
        mean, low, high = found.difference(1)
        assert sign * mean > 0, (key, direction, mean)
        assert found.changed.shape == (EFFECT_SEEDS, 2)


def test_diamond_rows_must_hold_one_two_three_two_one():
    rows = [2, 4, 3, 1, 3, 5, 4, 2, 3]
    assert check_diamond(rows) == [[3], [0, 7], [2, 4, 8], [1, 6], [5]]
    assert top_three(rows) == [3, 0, 7]
    with pytest.raises(InputError, match="row 1 needs 1 statement .it has 2."):
        check_diamond([1, 1, 3, 3, 3, 4, 4, 5, 2])
    with pytest.raises(InputError, match="statement 4 has no place yet"):
        check_diamond([2, 4, 3, None, 3, 5, 4, 2, 3])
    with pytest.raises(InputError, match="row must be 1 to 5"):
        check_diamond([2, 4, 3, 9, 3, 5, 4, 2, 3])


# -- the sequence in the rendered page -----------------------------------------------------------

def test_teach_mode_clicks_through_every_step_and_back_to_explore():
    import ipyvuetify as v
    import solara
    from solara.server import kernel
    from solara.server.kernel_context import VirtualKernelContext

    from dashboards.app import Page

    context = VirtualKernelContext(id="teach", kernel=kernel.Kernel(), session_id="teach")
    with context:
        box, rc = solara.render(Page(), handle_error=False)

        def title() -> str:
            return rc.find(v.Html, class_="innovate-teach-title").widget.children[0]

        def click(css: str) -> None:
            rc.find(v.Btn, class_=css).widget.click()

        click("innovate-teach-open")
        expected = [step.title for lesson in curriculum().lessons for step in lesson.steps]
        seen = [title()]
        while not rc.find(v.Btn, class_="innovate-teach-next").widget.disabled:
            click("innovate-teach-next")
            seen.append(title())
        assert seen == expected
        click("innovate-teach-back")
        assert title() == expected[-2]
        # the try step: change the culture, run, and read the effect
        rc.find(v.BtnToggle, class_="innovate-teach-lessons").widget.v_model = 1
        click("innovate-teach-next")
        assert title() == "Change one condition"
        rc.find(v.BtnToggle, class_="innovate-teach-condition").widget.v_model = 3
        click("innovate-teach-try")
    def alerts() -> list[str]:
        return [" ".join(str(c) for c in w.children) for w in rc.find(v.Alert).widgets]

    _settle(context, rc, lambda: any(a.startswith("With a more open") for a in alerts()), 120)
    with context:
        alerts = alerts()
    expected = "With a more open culture everywhere (0.2 higher on the 0 to 1 scale): in 2030"
    assert any(a.startswith(expected) for a in alerts), alerts
    with context:
        # an effect is information, not a success, whichever way it goes
        effect = next(w for w in rc.find(v.Alert).widgets
                      if " ".join(str(c) for c in w.children).startswith(expected))
        assert effect.type == "info", effect.type
        click("innovate-teach-leave")
        assert rc.find(v.Btn, class_="innovate-step").widget is not None
        rc.close()


def test_a_trainer_can_follow_another_authority_and_show_another_run():
    import ipyvuetify as v
    import solara
    from solara.server import kernel
    from solara.server.kernel_context import VirtualKernelContext

    from dashboards.teaching.lessons import lesson_run
    from dashboards.teaching.teach import TeachMode

    lesson = curriculum().lesson_by_id("stages")
    hackney = lesson_run(lesson, "E09000012", seed=5)
    assert (hackney.where.name, hackney.where.region, hackney.seed) == ("Hackney", "London", 5)
    assert hackney.settings.seed == 5 and hackney.session.finished

    @solara.component
    def Harness():
        lesson_id = solara.use_reactive("stages")
        TeachMode(lesson_id=lesson_id, on_leave=lambda: None, start_authority="E09000012")

    context = VirtualKernelContext(id="follow", kernel=kernel.Kernel(), session_id="follow")
    with context:
        box, rc = solara.render(Harness(), handle_error=False)

        def page_text() -> str:
            widgets = rc.find(v.VuetifyTemplate).widgets + rc.find(v.Card).widgets
            return " ".join(str(getattr(w, "template", "")) + str(getattr(w, "children", ""))
                            for w in widgets)

        def texts() -> str:
            return " ".join(c for w in rc.find(v.Html).widgets for c in w.children
                            if isinstance(c, str))

        assert "Run 57:" in texts()
        picker = rc.find(v.Autocomplete, class_="innovate-teach-authority").widget
        assert picker.v_model == "E09000012"
        picker.v_model = "W06000015"
        assert rc.find(v.Autocomplete, class_="innovate-teach-authority").widget.v_model == \
            "W06000015"
        assert "Cardiff (Wales)" in page_text() and "Hackney (London)" not in page_text()
        rc.find(v.Btn, class_="innovate-teach-reroll").widget.click()
        assert "Run 58:" in texts()
        rc.find(v.Btn, class_="innovate-teach-lesson-run").widget.click()
        assert "Run 57:" in texts()
        rc.close()


# -- Teach mode fixes (issue 14, point 7) ----------------------------------------------------------

def test_authorities_are_counted_whole_everywhere_in_teach_mode():
    from dashboards.teaching.lessons import authorities_words, effect_sentence, range_words

    assert authorities_words(-14.4) == "about 14 fewer"
    assert authorities_words(-0.8) == "about 1 fewer"
    assert authorities_words(0.3) == "less than 1 more"
    assert authorities_words(2.0) == "2 more"
    assert authorities_words(0.01) == "no change"
    assert authorities_words(5.3, signed=False) == "about 5"
    assert range_words(-3.0, 0.0) == "between 3 fewer and no change"
    lesson = curriculum().lesson_by_id("conditions")
    found = effect(lesson.settings(), curriculum().condition_by_key("workforce").weaker,
                   "weaker", "South West", "CS", seeds=4)
    sentence = effect_sentence(found)
    assert "of the 15 authorities in the South West" in sentence
    assert not __import__("re").search(r"\d\.\d", sentence), sentence


def test_simulated_shocks_are_marked_wherever_a_real_council_is_named(lesson_run):
    from dashboards.frames import story, story_lines
    from dashboards.teaching.lessons import SIMULATED_REASONS, marked_reason, marked_story

    lesson, result, where = lesson_run
    assert "simulated" in marked_reason("Ofsted inadequate judgement: compliance focus")
    assert all("simulated" in text and "in this run" in text
               for text in SIMULATED_REASONS.values())
    assert marked_reason("prompted by local need") == "prompted by local need"
    shocks = result.events[result.events["reason"].isin(list(SIMULATED_REASONS))]
    assert len(shocks)
    for agent_id in shocks["agent_id"].astype(str).unique()[:20]:
        for line in story_lines(marked_story(story(result, agent_id, lesson.approach))):
            if any(s in line for s in ("Ofsted", "director", "workforce crisis")):
                assert "simulated" in line, line


def test_ended_journeys_are_drawn_at_their_stage_in_the_ended_style():
    from dashboards.charts import lesson_journey_lines, lesson_journey_spec
    from dashboards.teaching.lessons import lesson_run as run_lesson

    stage = pd.DataFrame({"time": [0.0, 1, 2, 3, 4, 5], "stage": [1, 3, 3, 3, 1, 2],
                          "status": ["active", "active", "ended", "ended", "active", "active"]})
    lines = lesson_journey_lines(stage)
    ended = lines[lines["ended"]]
    assert ended["stage"].tolist() == [3, 3, 3]             # at the stage where it ended
    assert ended["time"].tolist() == [2.0, 3.0, 4.0]        # until the renewal
    going = lines[~lines["ended"]]
    assert going[(going["time"] > 2) & (going["time"] < 4)].empty    # no solid line while ended
    run = run_lesson(curriculum().lesson_by_id("stages"))
    found = episode(run.result, "CS", "renewal", run.where)
    index = run.session.index_of(str(found["agent_id"].iloc[0]))
    spec = lesson_journey_spec(run.session, index, "CS", [])
    labels = spec["datasets"]["ended_labels"]
    assert labels and all(row["stage"] >= 1 for row in labels)
    marks = str(spec)
    assert "strokeDash" in marks and "'ended'" in marks


def test_the_workforce_note_states_the_models_rule():
    from dashboards.teaching.lessons import workforce_note

    config = curriculum().lesson_by_id("stages").settings().config()
    note = workforce_note(config)
    assert config.conditions.leadership_factor == 0.5
    assert config.conditions.leadership_window == 1.0
    assert "drops when a new director arrives: the model halves workforce capacity for a " \
        "year" in note
    other = config.model_copy(update={"conditions": config.conditions.model_copy(
        update={"leadership_factor": 0.7, "leadership_window": 2.0})})
    assert "cuts workforce capacity to 70% for 2 years" in workforce_note(other)


def test_the_region_map_frames_the_whole_region():
    from dashboards.map_data import map_geometry
    from dashboards.teaching.lessons import _path_points, region_view_box

    x, y, w, h = region_view_box("South West")
    shapes = {s["id"]: s["d"] for s in map_geometry()["shapes"]}
    for code in ("E06000052", "E06000053", "E06000023", "E06000059"):  # Cornwall, Scilly ...
        points = _path_points(shapes[code])
        assert (points[:, 0] >= x).all() and (points[:, 0] <= x + w).all(), code
        assert (points[:, 1] >= y).all() and (points[:, 1] <= y + h).all(), code
    whole = [float(v) for v in map_geometry()["view_box"].split()]
    assert w < whole[2] / 1.5 and h < whole[3] / 3          # zoomed in on the region


def _settle(context, rc, condition, seconds: float) -> None:
    """Wait until ``condition()`` holds and the widgets are the same two polls running.

    A task's thread renders its result after the condition can first be seen; a click made
    while that render is still going can be lost in this harness (it was, about one run in
    three on a loaded machine), so the test waits for the page to settle first.
    """
    deadline, last = time.time() + seconds, None
    while time.time() < deadline:
        time.sleep(0.4)
        with context:
            now = repr(rc.find().widgets)
            if condition() and now == last:
                return
            last = now
    raise AssertionError(f"the page did not settle in {seconds} s")


def test_a_comparison_step_never_shows_the_step_befores_result():
    import ipyvuetify as v
    import solara
    from solara.server import kernel
    from solara.server.kernel_context import VirtualKernelContext

    from dashboards.teaching.teach import TeachMode

    @solara.component
    def Harness():
        lesson_id = solara.use_reactive("policy")
        TeachMode(lesson_id=lesson_id, on_leave=lambda: None)

    context = VirtualKernelContext(id="predict", kernel=kernel.Kernel(), session_id="predict")
    with context:
        box, rc = solara.render(Harness(), handle_error=False)

        def texts() -> str:
            return " ".join(str(c) for w in rc.find(v.Html).widgets for c in w.children)

        rc.find(v.Btn, class_="innovate-teach-next").widget.click()
        assert "Austerity deepens" in texts()
        rc.find(v.Btn, class_="innovate-teach-compare").widget.click()
    _settle(context, rc, lambda: bool(
        rc.find(v.Btn, class_="innovate-teach-compare").widget.disabled is False
        and "a further 20% cut" in repr(rc.find().widgets)), 240)
    with context:
        assert "a further 20% cut" in repr(rc.find().widgets)      # step 2 shows its result
        rc.find(v.Btn, class_="innovate-teach-next").widget.click()
        assert "A shift in policy" in texts()
        assert "a further 20% cut" not in repr(rc.find().widgets)  # step 3 waits to predict
        button = rc.find(v.Btn, class_="innovate-teach-compare").widget
        assert "Show the result" in str(button.children)
        rc.close()
