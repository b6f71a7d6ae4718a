"""Teach mode: a guided sequence a trainer projects and clicks through (``/?lesson=<id>``).

Each lesson of ``lessons.toml`` runs its own scenario once (one model per browser session, like
the rest of the page) and shows its steps one at a time, with Back and Next: one authority's
journey stage by stage, a pause and a renewal, the five conditions, changing one condition at a
time, Diamond 9, the spread across a region, and comparisons under austerity and a policy shift.
What each step reads from the run is computed in :mod:`dashboards.teaching.lessons`; the
components here only lay it out.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import solara

from dashboards.charts import lesson_journey_spec, region_spec, two_runs_spec
from dashboards.ensembles import EFFECT_SEEDS, Effect, effect
from dashboards.frames import authority_choices, journey_events, story, story_lines
from dashboards.map_data import hover_text, map_colours, map_legend
from dashboards.record import record_markdown, recorded_lines
from dashboards.style import (
    approach_label,
    date_label,
    quarter_label,
    region_words,
    short_name,
    times_words,
)
from dashboards.tabs.common import RunStatus, Spec, VegaChart
from dashboards.tabs.compare import ComparisonView
from dashboards.tabs.map import SvgMap
from dashboards.teaching.lessons import (
    DIAMOND_ROWS,
    SIMULATED_NOTE,
    LessonRun,
    Step,
    changed_run,
    check_diamond,
    condition_tally,
    curriculum,
    diamond_effects,
    diamond_html,
    effect_sentence,
    episode,
    fill,
    first_starters,
    held_periods,
    lesson_run,
    marked_story,
    peers,
    period_words,
    region_geometry_json,
    region_view_box,
    stage_periods,
    step_ensembles,
    workforce_note,
)
from sim.errors import InputError
from sim.output.results import RunResult
from sim.vocabulary import APPROACHES

TEXT_STYLE = {"font-size": "17px", "line-height": "1.5", "max-width": "1100px"}


def _story_markdown(lines: list[str]) -> str:
    return "\n".join(f"- {line}" for line in lines) if lines else "- Nothing happened yet."


def _marked_lines(frame) -> list[str]:
    """A story's lines with its chance shocks marked as simulated in this run."""
    return story_lines(marked_story(frame))


def _simulated_note(name: str) -> None:
    solara.Markdown(f"*{SIMULATED_NOTE.format(name=name)}*",
                    style={"font-size": "14px", "color": "#44515e"})


# -- the steps -----------------------------------------------------------------------------------

@solara.component
def Journey(run: LessonRun, index: int, periods: list[tuple[float, float, str]] | None = None):
    """The chart of one authority's journey with the lesson's approach."""
    spec = solara.use_memo(lambda: Spec(lesson_journey_spec(
        run.session, index, run.lesson.approach, periods or [])),
        [id(run), index, str(periods)])
    VegaChart(spec=spec)
    with solara.Div(classes=["innovate-teach-chart-note"]):
        solara.Markdown(f"{workforce_note(run.session.config)} A dashed red line marked "
                        "\u201cended\u201d is a journey that has ended, drawn at the stage "
                        "where it ended.", style={"font-size": "14px", "color": "#44515e"})


@solara.component
def IntroView(run: LessonRun):
    """The authority and its whole journey."""
    lesson, where = run.lesson, run.where
    lines = _marked_lines(story(run.result, where.agent_id, lesson.approach))
    record = recorded_lines(run.session.config, where.agent_id, lesson.approach)
    with solara.Card(title=f"{where.name} ({where.region}): {approach_label(lesson.approach)}",
                     margin=0, classes=["innovate-teach-journey"]):
        if record:
            solara.Markdown(record_markdown(record))
        solara.Markdown(_story_markdown(lines))
        _simulated_note(where.name)
    Journey(run=run, index=where.index)


@solara.component
def StageView(run: LessonRun, stage: int):
    """One stage: its activities and key questions, and what the authority did there."""
    content = curriculum().stage[stage - 1]
    lesson, where = run.lesson, run.where
    a = APPROACHES.index(lesson.approach)
    times, stages, status, _ = run.session.history(where.index)
    periods = stage_periods(times, stages[:, a], status[:, a], stage)
    with solara.Row(style={"flex-wrap": "wrap", "align-items": "flex-start", "gap": "18px"}):
        with solara.Card(title=f"{content.name}: {', '.join(content.activities)}", margin=0,
                         style={"flex": "1 1 420px"}, classes=["innovate-teach-stage"]):
            solara.Markdown(f"{content.summary}\n\n**Key questions**\n\n" +
                            "\n".join(f"- {q}" for q in content.questions) +
                            f"\n\n**In the model.** {content.model}")
        with solara.Card(title=f"{where.name} at {content.name}", margin=0,
                         style={"flex": "1 1 420px"}):
            events = story(run.result, where.agent_id, lesson.approach)
            here = events[(events["to_stage"] == content.name) |
                          (events["from_stage"] == content.name)]
            if not periods:
                solara.Markdown(f"In this run {where.name} never reached **{content.name}** "
                                f"with {lesson.approach}. Ask: what would it have needed?")
            else:
                solara.Markdown(f"**When:** {period_words(periods)} (shaded on the chart).\n\n" +
                                _story_markdown(_marked_lines(here)))
                _simulated_note(where.name)
    Journey(run=run, index=where.index, periods=periods)


@solara.component
def EpisodeView(run: LessonRun, kind: str):
    """A pause, or an ending and a renewal, with the example authority's journey."""
    lesson, where, result = run.lesson, run.where, run.result
    events = episode(result, lesson.approach, kind, where)
    if events.empty:
        solara.Warning(f"No {kind} of {lesson.approach} happened in this run.")
        return
    agent_id = str(events["agent_id"].iloc[0])
    index = run.session.index_of(agent_id)
    name = run.session.names[index]
    frame = story(result, agent_id, lesson.approach)
    times = set(events["time"].round(6))
    lines = _marked_lines(frame[frame["time"].round(6).isin(times)])
    whose = (f"In {where.name}" if agent_id == where.agent_id else
             f"{where.name} has none in this run; here is one from "
             f"{region_words(run.session.region(index))}"
             f": {name}")
    t, _, status, _ = run.session.history(index)
    periods = held_periods(t, status[:, APPROACHES.index(lesson.approach)], kind)
    with solara.Card(title=f"{whose}", margin=0, classes=["innovate-teach-episode"]):
        solara.Markdown(_story_markdown(lines))
        _simulated_note(name)
    Journey(run=run, index=index, periods=periods)


@solara.component
def ConditionsView(run: LessonRun):
    """The five conditions, and which carried the authority forward or held it back."""
    lesson, where = run.lesson, run.where
    tally = condition_tally(journey_events(run.result, where.agent_id, lesson.approach))
    with solara.Row(style={"flex-wrap": "wrap", "gap": "12px"}):
        for c in curriculum().condition:
            with solara.Card(title=c.name, margin=0, style={"flex": "1 1 200px"}):
                solara.Markdown(f"{c.plain}\n\n*In the model:* {c.model}\n\n"
                                f"In this run it was the strongest condition when "
                                f"{where.name}'s journey moved on: "
                                f"{times_words(tally['forward'][c.key])}; the weakest when it "
                                f"paused, went back or ended: "
                                f"{times_words(tally['back'][c.key])}.")
    solara.Markdown(f"**{where.name}'s five conditions for {lesson.approach} over time** "
                    "(0 = poor, 1 = good; the dashed line is readiness, all five combined).")
    Journey(run=run, index=where.index)


@solara.component
def TryView(run: LessonRun):
    """Change one condition, stronger or weaker, and see the effect."""
    lesson, where = run.lesson, run.where
    conditions = curriculum().condition
    key = solara.use_reactive(conditions[0].key)
    direction = solara.use_reactive("stronger")
    outcome = solara.use_reactive(None)
    error = solara.use_reactive(None)

    def work() -> None:
        error.set(None)
        condition = curriculum().condition_by_key(key.value)
        changes = getattr(condition, direction.value)
        words = getattr(condition, f"{direction.value}_words")
        try:
            changed = changed_run(run, changes)
            result = effect(run.settings, changes, words, where.region, lesson.approach)
        except InputError as exc:
            error.set(str(exc))
            return
        outcome.set((condition.name, words, changed, result))

    task = solara.lab.use_task(work, dependencies=None, prefer_threaded=True)
    with solara.Row(style={"flex-wrap": "wrap", "align-items": "center", "gap": "12px"}):
        solara.ToggleButtonsSingle(value=key.value, values=[c.key for c in conditions],
                                   on_value=key.set, classes=["innovate-teach-condition"])
        solara.ToggleButtonsSingle(value=direction.value, values=["stronger", "weaker"],
                                   on_value=direction.set, classes=["innovate-teach-direction"])
        solara.Button("Run with this change", on_click=task, disabled=task.pending,
                      color="primary", classes=["innovate-teach-try"])
    chosen = curriculum().condition_by_key(key.value)
    solara.Markdown(f"*{chosen.name}*, {direction.value}: "
                    f"{getattr(chosen, direction.value + '_words')}.")
    RunStatus(pending=task.pending, text=f"Running {2 * EFFECT_SEEDS + 1} runs...",
              error=error.value)
    if outcome.value is not None:
        name, words, changed, result = outcome.value
        TryOutcome(run=run, name=name, words=words, changed=changed, result=result)


@solara.component
def TryOutcome(run: LessonRun, name: str, words: str, changed: RunResult, result: Effect):
    """The authority's journey with and without a change, and the effect over paired runs."""
    lesson, where = run.lesson, run.where
    solara.Info(effect_sentence(result), classes=["innovate-teach-effect"])
    before = story(run.result, where.agent_id, lesson.approach)
    after = story(changed, where.agent_id, lesson.approach)
    with solara.Row(style={"flex-wrap": "wrap", "align-items": "flex-start", "gap": "12px"}):
        for title, frame in (("As it was", before), (f"With {words}", after)):
            with solara.Card(title=f"{where.name}: {title}", margin=0,
                             style={"flex": "1 1 380px", "max-height": "360px",
                                    "overflow-y": "auto"}):
                solara.Markdown(_story_markdown(_marked_lines(frame)))
    runs = {"as it was": run.result, f"with {words}": changed}
    VegaChart(spec=solara.use_memo(
        lambda: Spec(two_runs_spec(runs, where.agent_id, lesson.approach, run.window)),
        [id(changed)]))
    solara.Markdown("Both stories start from the same chance draws, so where they part, the "
                    "change made the difference (directly, or through what followed from it). "
                    "The sentence above counts twenty runs with and twenty without the change, "
                    "because one run can be lucky or unlucky. Averages over runs are rounded "
                    "to whole authorities. " + SIMULATED_NOTE.format(name=where.name))


@solara.component
def DiamondView(run: LessonRun):
    """Diamond 9: rank nine statements 1-2-3-2-1, then test the top three in the model."""
    lesson, where = run.lesson, run.where
    statements = curriculum().statement
    rows = solara.use_reactive([None] * len(statements))
    effects = solara.use_reactive(None)
    error = solara.use_reactive(None)

    def set_row(i: int, value: int | None) -> None:
        new = list(rows.value)
        new[i] = value
        rows.set(new)
        effects.set(None)

    def work() -> None:
        error.set(None)
        try:
            found = diamond_effects(run, rows.value)
        except InputError as exc:
            error.set(str(exc))
            return
        effects.set(found)

    task = solara.lab.use_task(work, dependencies=None, prefer_threaded=True)
    options = [str(r) for r in range(1, len(DIAMOND_ROWS) + 1)]
    with solara.Row(style={"flex-wrap": "wrap", "align-items": "flex-start", "gap": "18px"}):
        with solara.Column(style={"flex": "1 1 460px"}):
            for i, statement in enumerate(statements):
                with solara.Row(style={"align-items": "center", "gap": "8px"}):
                    solara.Select(label="row", values=options,
                                  value=None if rows.value[i] is None else str(rows.value[i]),
                                  on_value=lambda v, i=i: set_row(i, int(v) if v else None),
                                  style={"max-width": "80px"},
                                  classes=[f"innovate-diamond-row-{i + 1}"])
                    solara.Text(f"{i + 1}. {statement.text}")
            with solara.Row():
                solara.Button("Example diamond", outlined=True,
                              on_click=lambda: (rows.set([2, 4, 3, 1, 3, 5, 4, 2, 3]),
                                                effects.set(None)),
                              classes=["innovate-diamond-example"])
                solara.Button("Clear", outlined=True,
                              on_click=lambda: (rows.set([None] * len(statements)),
                                                effects.set(None)))
                solara.Button("Test our top three", color="primary", on_click=task,
                              disabled=task.pending, classes=["innovate-diamond-test"])
        with solara.Column(style={"flex": "1 1 420px"}):
            solara.HTML(tag="div", unsafe_innerHTML=diamond_html(
                [s.text for s in statements], rows.value))
    try:
        check_diamond(rows.value)
    except InputError as exc:
        if any(r is not None for r in rows.value):
            solara.Text(str(exc), style={"color": "#8a5300"})
    RunStatus(pending=task.pending, text=f"Running {4 * EFFECT_SEEDS} runs...",
              error=error.value)
    if effects.value:
        solara.Markdown("**What the model says about your top three** (each tested on its own, "
                        f"for every authority, counting {lesson.approach} in "
                        f"{region_words(where.region)} and the UK):")
        for found in effects.value:
            solara.Info(effect_sentence(found), classes=["innovate-diamond-effect"])
        solara.Markdown("Discuss: does the model agree with your ranking? Where it does not, is "
                        "that about your service, or about what the model leaves out?")


@solara.component
def RegionMap(run: LessonRun, k: int):
    """The lesson's region on the map after step ``k``, framed so all of it shows.

    The Map tab shows the whole UK; here the region fills the map, and the map is no taller
    than the region needs, so its far end (Cornwall, in the South West) is on screen.
    """
    lesson, where, session = run.lesson, run.where, run.session
    snapshot = solara.use_memo(lambda: session.snapshot(k), [k, id(session)])
    colors = solara.use_memo(lambda: json.dumps(map_colours(snapshot, session.ids,
                                                            lesson.approach),
                                                separators=(",", ":")), [snapshot])
    tips = solara.use_memo(lambda: json.dumps(hover_text(session, snapshot, lesson.approach),
                                              separators=(",", ":")), [snapshot])
    _, _, width, height = region_view_box(where.region)
    title = (f"{approach_label(lesson.approach)}: stage of every authority in "
             f"{region_words(where.region)}, {date_label(snapshot.time)}")
    solara.Markdown(f"**{title}**")
    solara.Style(f".innovate-teach-region-map .innovate-map svg {{ height: auto !important; "
                 f"min-height: 0 !important; max-height: 62vh; "
                 f"aspect-ratio: {width:.0f} / {height:.0f}; }}")
    with solara.Column(classes=["innovate-teach-region-map"], style={"width": "100%"}):
        SvgMap(geometry=region_geometry_json(where.region), colors=colors, tips=tips,
               selected=where.agent_id, legend=map_legend(), title=title,
               event_select=lambda _: None)
    solara.Markdown(f"{where.name} has a black outline. The Map tab shows the whole UK.",
                    style={"font-size": "14px", "color": "#44515e"})


@solara.component
def RegionView(run: LessonRun):
    """The spread across the authority's region: map, stages over time, first starters, ties."""
    lesson, where, result = run.lesson, run.where, run.result
    k = solara.use_reactive(run.session.steps)
    with solara.Row(style={"flex-wrap": "wrap", "align-items": "flex-start", "gap": "18px"}):
        with solara.Column(style={"flex": "1 1 440px", "max-width": "560px"}):
            solara.SliderInt(label=f"Time: {date_label(float(run.session.times[k.value]))}",
                             value=k.value, min=0, max=run.session.steps, on_value=k.set)
            RegionMap(run=run, k=k.value)
        with solara.Column(style={"flex": "1 1 440px"}):
            VegaChart(spec=solara.use_memo(
                lambda: Spec(region_spec(result, where.region, lesson.approach, run.window)),
                [id(run)]))
            starters = first_starters(result, lesson.approach, where)
            solara.Markdown(f"**The first in {region_words(where.region)} to start "
                            f"{lesson.approach}**\n\n" +
                            "\n".join(f"- {quarter_label(t)}: {name}: {reason}" for t, name,
                                      reason in zip(starters["time"], starters["name"],
                                                    starters["reason"], strict=True)))
            ties = peers(where.index)
            solara.Markdown(f"**{where.name} learns from** the authorities it borders: "
                            f"{', '.join(ties['borders']) or 'none'}; and its statistical "
                            f"neighbours: {', '.join(ties['statistical neighbours']) or 'none'}.")


@solara.component
def CompareView(run: LessonRun, step: Step):
    """The lesson's scenario against the same with the step's changes, twenty runs each."""
    ensembles = solara.use_reactive(None)
    error = solara.use_reactive(None)

    def work() -> None:
        error.set(None)
        try:
            base, changed = step_ensembles(run, [step])
        except InputError as exc:
            error.set(str(exc))
            return
        ensembles.set((changed, base))

    task = solara.lab.use_task(work, dependencies=None, prefer_threaded=True)
    solara.Info("Before you show the result: ask the group to predict what will happen, "
                "and why.")
    solara.Button(f"Show the result ({2 * EFFECT_SEEDS} runs)", on_click=task,
                  disabled=task.pending, color="primary", classes=["innovate-teach-compare"])
    RunStatus(pending=task.pending, text=f"Running {2 * EFFECT_SEEDS} runs...",
              error=error.value)
    if ensembles.value is not None:
        changed, base = ensembles.value
        ComparisonView(a=changed, b=base, first_measure="engaged")


# -- the sequence --------------------------------------------------------------------------------

@solara.component
def StepView(run: LessonRun, step: Step):
    """The body of one step."""
    if step.text:
        solara.Markdown(fill(step.text, run.lesson, run.where), style=TEXT_STYLE)
    if step.view == "intro":
        IntroView(run=run)
    elif step.view == "stage":
        StageView(run=run, stage=step.stage)
    elif step.view == "episode":
        EpisodeView(run=run, kind=step.kind)
    elif step.view == "conditions":
        ConditionsView(run=run)
    elif step.view == "try":
        TryView(run=run)
    elif step.view == "diamond9":
        DiamondView(run=run)
    elif step.view == "region":
        RegionView(run=run)
    elif step.view == "compare":
        CompareView(run=run, step=step)


@solara.component
def TeachMode(lesson_id: solara.Reactive[str], on_leave: Callable[[], None],
              start_authority: str | None = None):
    """Teach mode: choose a lesson, then click through its steps with Back and Next.

    The trainer can follow another authority than the lesson's (``start_authority`` or the
    picker) and show another run of the same scenario (different chance events).
    """
    lessons = curriculum().lessons
    ids = [lesson.id for lesson in lessons]
    lesson = curriculum().lesson_by_id(lesson_id.value)
    position = solara.use_reactive(0)
    authority = solara.use_reactive(start_authority)
    seed = solara.use_reactive(None)
    run = solara.use_memo(lambda: lesson_run(lesson, authority.value, seed.value),
                          [lesson.id, authority.value, seed.value])
    number = ids.index(lesson.id)
    k = min(position.value, len(lesson.steps) - 1)
    step = lesson.steps[k]

    def choose(new_id: str) -> None:
        position.set(0)
        lesson_id.set(new_id)

    def forward() -> None:
        if k + 1 < len(lesson.steps):
            position.set(k + 1)
        elif number + 1 < len(ids):
            choose(ids[number + 1])

    def back() -> None:
        if k > 0:
            position.set(k - 1)
        elif number > 0:
            previous = curriculum().lesson_by_id(ids[number - 1])
            lesson_id.set(previous.id)
            position.set(len(previous.steps) - 1)

    with solara.Row(style={"align-items": "center", "flex-wrap": "wrap", "gap": "10px"}):
        solara.Markdown("# Teach mode: the innovation journey")
        solara.ToggleButtonsSingle(value=lesson.id, values=ids, on_value=choose,
                                   classes=["innovate-teach-lessons"])
        solara.Button("Leave Teach mode", on_click=on_leave, text=True,
                      classes=["innovate-teach-leave"])
    solara.Markdown(f"**Lesson {number + 1} of {len(ids)}: {lesson.title}** "
                    f"({lesson.minutes} minutes) · step {k + 1} of {len(lesson.steps)}",
                    style={"font-size": "15px"})
    RunChooser(run=run, authority=authority, seed=seed)
    with solara.Row(style={"align-items": "center", "gap": "10px"}):
        solara.Button("Back", on_click=back, disabled=number == 0 and k == 0,
                      icon_name="mdi-chevron-left", outlined=True, classes=["innovate-teach-back"])
        last = number + 1 == len(ids) and k + 1 == len(lesson.steps)
        solara.Button("Next lesson" if k + 1 == len(lesson.steps) and not last else "Next",
                      on_click=forward, disabled=last, icon_name="mdi-chevron-right",
                      color="primary", classes=["innovate-teach-next"])
        solara.Text(step.title, classes=["innovate-teach-title"],
                    style={"font-size": "26px", "font-weight": "600", "margin-left": "10px"})
    with solara.Column(style=TEXT_STYLE | {"max-width": "none"}):
        # one key per step: a step's results (a comparison, a what-if) never carry over to the
        # next step, which asks the group to predict before anything is shown
        StepView(run=run, step=step).key(f"{lesson.id}-{k}-{run.seed}-{run.where.agent_id}")


@solara.component
def RunChooser(run: LessonRun, authority: solara.Reactive[str | None],
               seed: solara.Reactive[int | None]):
    """Follow another authority, or show another run of the same scenario."""
    items = solara.use_memo(lambda: authority_choices(
        run.session.ids, [short_name(name) for name in run.session.names]), [])
    with solara.Row(style={"align-items": "center", "flex-wrap": "wrap", "gap": "10px"}):
        solara.v.Autocomplete(label="Follow an authority", items=items,
                              v_model=run.where.agent_id,
                              on_v_model=lambda value: authority.set(value or None),
                              style_="max-width: 300px", dense=True,
                              class_="innovate-teach-authority")
        solara.Button("Another run", on_click=lambda: seed.set(run.seed + 1), outlined=True,
                      icon_name="mdi-dice-multiple", classes=["innovate-teach-reroll"])
        if seed.value is not None:
            solara.Button("The lesson's run", on_click=lambda: seed.set(None), text=True,
                          classes=["innovate-teach-lesson-run"])
        solara.Text(f"Run {run.seed}: chance events (a new director, an inspection, a loss of "
                    "momentum) differ from run to run; what the model assumes (budgets, policy, "
                    "ties between authorities) does not.",
                    style={"font-size": "13px", "color": "#55606b"})
