"""Teach mode: a guided sequence a trainer projects and clicks through (``/?lesson=<id>``).

Each lesson of ``lessons.toml`` runs its own scenario once (one model per browser session, like
the rest of the page) and shows its steps one at a time, with Back and Next: one authority's
journey stage by stage, a pause and a renewal, the five conditions, changing one condition at a
time, Diamond 9, the spread across a region, and comparisons under austerity and a policy shift.
What each step reads from the run is computed in :mod:`dashboards.lessons`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import altair as alt
import numpy as np
import pandas as pd
import solara

from dashboards.compare import ComparisonView, RunStatus, run_ensemble
from dashboards.journeys import _stage_expr, conditions_frame, story, story_lines
from dashboards.lessons import (
    DIAMOND_ROWS,
    EFFECT_SEEDS,
    Effect,
    LessonRun,
    Step,
    check_diamond,
    condition_tally,
    curriculum,
    effect,
    episode,
    fill,
    first_starters,
    journey_events,
    lesson_run,
    peers,
    region_stage_counts,
    region_words,
    short_name,
    stage_periods,
    top_three,
    with_changes,
)
from dashboards.map_view import MapView
from dashboards.style import (
    CONDITION_COLORS,
    CONDITION_LABELS,
    SCENARIO_COLORS,
    STAGE_COLORS,
    STATUS_COLORS,
    approach_label,
    date_label,
    quarter_label,
)
from dashboards.vega import Spec, VegaChart, template, with_data
from sim.errors import InputError
from sim.model import InnovationModel
from sim.output.results import RunResult
from sim.vocabulary import APPROACHES, CONDITIONS, STAGES

TEXT_STYLE = {"font-size": "17px", "line-height": "1.5", "max-width": "1100px"}
_CONDITION_KEYS = (*CONDITIONS, "readiness")


# -- charts --------------------------------------------------------------------------------------

def _x(window: tuple[float, float]) -> alt.X:
    return alt.X("time:Q", title="year", scale=alt.Scale(domain=list(window), nice=False),
                 axis=alt.Axis(format="d"))


def _stage_axis() -> alt.Axis:
    return alt.Axis(values=list(range(7)), labelExpr=_stage_expr())


@functools.lru_cache(maxsize=8)
def journey_template(window: tuple[float, float], width: int = 640) -> dict:
    """One journey: its stage (top, highlighted periods shaded) and its conditions (bottom).

    Data sets: ``periods`` (start, end), ``stage`` (time, stage, status), ``conditions``.
    """
    x = _x(window)
    shade = alt.Chart(alt.Data(name="periods")).mark_rect(color="#fde725", opacity=0.35).encode(
        x=alt.X("start:Q", scale=alt.Scale(domain=list(window), nice=False, zero=False)),
        x2="end:Q")
    base = alt.Chart(alt.Data(name="stage"))
    y = alt.Y("stage:Q", title=None, scale=alt.Scale(domain=[0, 6]), axis=_stage_axis())
    status = alt.Scale(domain=list(STATUS_COLORS), range=list(STATUS_COLORS.values()))
    stage = alt.layer(
        shade,
        base.mark_line(interpolate="step-after", color="#9aa5b1").encode(x=x, y=y),
        base.mark_circle(size=26, opacity=1).encode(
            x=x, y=y, fill=alt.Fill("status:N", scale=status, legend=alt.Legend(
                title="journey", orient="right")),
            tooltip=[alt.Tooltip("time:Q", format=".2f"), "stage:Q", "status:N"]),
    ).properties(width=width, height=150)
    labels = [CONDITION_LABELS[c] for c in _CONDITION_KEYS]
    colors = alt.Scale(domain=labels, range=[CONDITION_COLORS[c] for c in _CONDITION_KEYS])
    conditions = alt.Chart(alt.Data(name="conditions")).mark_line().encode(
        x=x, y=alt.Y("value:Q", title="condition (0-1)", scale=alt.Scale(domain=[0, 1])),
        color=alt.Color("label:N", scale=colors, sort=labels,
                        legend=alt.Legend(title="condition", orient="right")),
        strokeDash=alt.condition(alt.datum.condition == "readiness", alt.value([5, 3]),
                                 alt.value([1, 0])),
        tooltip=["label:N", alt.Tooltip("time:Q", format=".2f"),
                 alt.Tooltip("value:Q", format=".2f")],
    ).properties(width=width, height=170)
    return template(alt.vconcat(stage, conditions).resolve_scale(color="independent"))


def journey_spec(run: LessonRun, index: int, periods: list[tuple[float, float, str]]) -> dict:
    """The journey chart of the authority at ``index`` for the lesson's approach."""
    session, a = run.session, APPROACHES.index(run.lesson.approach)
    times, stage, status, _ = session.history(index)
    conditions = conditions_frame(session, index)
    conditions = conditions[conditions["approach"] == run.lesson.approach]
    window = (float(session.times[0]), float(session.times[-1]))
    return with_data(
        journey_template(window),
        periods=pd.DataFrame({"start": [p[0] for p in periods], "end": [p[1] for p in periods]}),
        stage=pd.DataFrame({"time": times, "stage": stage[:, a].astype(int),
                            "status": np.array(["active", "paused", "ended"],
                                               dtype=object)[status[:, a]]}),
        conditions=conditions[["time", "condition", "label", "value"]])


def stage_path(events: pd.DataFrame, start: float) -> pd.DataFrame:
    """A journey's stage over time from its events (stage 0 at ``start``)."""
    return pd.DataFrame({"time": np.r_[start, events["time"].to_numpy(float)],
                         "stage": np.r_[0, events["to_stage"].to_numpy(int)]})


@functools.lru_cache(maxsize=8)
def two_runs_template(labels: tuple[str, str], window: tuple[float, float],
                      width: int = 640) -> dict:
    """The same journey in two runs (data set ``runs``: time, stage, run)."""
    colors = alt.Scale(domain=list(labels), range=list(SCENARIO_COLORS))
    return template(alt.Chart(alt.Data(name="runs")).mark_line(
        interpolate="step-after", strokeWidth=2.5).encode(
        x=_x(window), y=alt.Y("stage:Q", title=None, scale=alt.Scale(domain=[0, 6]),
                              axis=_stage_axis()),
        color=alt.Color("run:N", scale=colors, legend=alt.Legend(title=None, orient="bottom")),
        strokeDash=alt.StrokeDash("run:N", legend=None),
    ).properties(width=width, height=170))


@functools.lru_cache(maxsize=8)
def region_template(region: str, window: tuple[float, float], width: int = 520) -> dict:
    """A region's authorities by stage over time (data set ``region``: time, stage, count)."""
    names = list(STAGES[1:])
    colors = alt.Scale(domain=names, range=list(STAGE_COLORS[1:]))
    return template(alt.Chart(alt.Data(name="region")).mark_area().encode(
        x=_x(window), y=alt.Y("count:Q", title=f"authorities in {region}", stack=True),
        color=alt.Color("stage:N", scale=colors, sort=names,
                        legend=alt.Legend(title="stage", orient="right")),
        order=alt.Order("order:Q"),
        tooltip=["stage:N", alt.Tooltip("time:Q", format=".2f"), "count:Q"],
    ).properties(width=width, height=240))


# -- the steps -----------------------------------------------------------------------------------

def _times(n: int) -> str:
    return {0: "never", 1: "once", 2: "twice"}.get(n, f"{n} times")


def _story_markdown(lines: list[str]) -> str:
    return "\n".join(f"- {line}" for line in lines) if lines else "- Nothing happened yet."


@solara.component
def Journey(run: LessonRun, index: int, periods: list[tuple[float, float, str]] | None = None):
    """The chart of one authority's journey with the lesson's approach."""
    spec = solara.use_memo(lambda: Spec(journey_spec(run, index, periods or [])),
                           [id(run), index, str(periods)])
    VegaChart(spec=spec)


@solara.component
def IntroView(run: LessonRun):
    """The authority and its whole journey."""
    lesson, where = run.lesson, run.where
    lines = story_lines(story(run.result, where.agent_id, lesson.approach))
    with solara.Card(title=f"{where.name} ({where.region}): {approach_label(lesson.approach)}",
                     margin=0, classes=["innovate-teach-journey"]):
        solara.Markdown(_story_markdown(lines))
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
                spans = "; ".join(f"{quarter_label(p[0])} to {quarter_label(p[1])}"
                                  + (" (paused)" if p[2] == "paused" else "") for p in periods)
                solara.Markdown(f"**When:** {spans} (shaded on the chart).\n\n" +
                                _story_markdown(story_lines(here)))
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
    lines = story_lines(frame[frame["time"].round(6).isin(times)])
    whose = (f"In {where.name}" if agent_id == where.agent_id else
             f"{where.name} has none in this run; here is one from "
             f"{region_words(run.session.region(index))}"
             f": {name}")
    a = APPROACHES.index(lesson.approach)
    t, stages, status, _ = run.session.history(index)
    if kind == "pause":
        held = (status[:, a] == 1)
    else:
        held = (status[:, a] == 2)
    periods = [(float(t[k]), float(t[min(k + 1, len(t) - 1)]), "") for k in np.flatnonzero(held)]
    with solara.Card(title=f"{whose}", margin=0, classes=["innovate-teach-episode"]):
        solara.Markdown(_story_markdown(lines))
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
                                f"{_times(tally['forward'][c.key])}; the weakest when it "
                                f"paused, went back or ended: {_times(tally['back'][c.key])}.")
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
            changed = InnovationModel(config=with_changes(run.settings, changes).config(),
                                      seed=run.seed).run()
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
    solara.Success(result.sentence(), classes=["innovate-teach-effect"])
    before = story(run.result, where.agent_id, lesson.approach)
    after = story(changed, where.agent_id, lesson.approach)
    with solara.Row(style={"flex-wrap": "wrap", "align-items": "flex-start", "gap": "12px"}):
        for title, frame in (("As it was", before), (f"With {words}", after)):
            with solara.Card(title=f"{where.name}: {title}", margin=0,
                             style={"flex": "1 1 380px", "max-height": "360px",
                                    "overflow-y": "auto"}):
                solara.Markdown(_story_markdown(story_lines(frame)))
    labels = ("as it was", f"with {words}")
    start = float(run.session.times[0])

    def spec() -> Spec:
        runs = pd.concat([stage_path(journey_events(r, where.agent_id, lesson.approach),
                                     start).assign(run=label)
                          for r, label in ((run.result, labels[0]), (changed, labels[1]))])
        end = float(run.session.times[-1])
        runs = pd.concat([runs, runs.groupby("run").tail(1).assign(time=end)])
        return Spec(with_data(two_runs_template(labels, (start, end)), runs=runs))

    VegaChart(spec=solara.use_memo(spec, [id(changed)]))
    solara.Markdown("Both stories start from the same chance draws, so where they part, the "
                    "change made the difference (directly, or through what followed from it). "
                    "The sentence above counts twenty runs with and twenty without the change, "
                    "because one run can be lucky or unlucky.")


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
            chosen = top_three(rows.value)
            found = [effect(run.settings, statements[i].test,
                            f"\u201c{statements[i].text.rstrip('.')}\u201d made true for every "
                            f"authority", where.region, lesson.approach) for i in chosen]
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
            solara.Success(found.sentence(), classes=["innovate-diamond-effect"])
        solara.Markdown("Discuss: does the model agree with your ranking? Where it does not, is "
                        "that about your service, or about what the model leaves out?")


def diamond_html(texts: list[str], rows: list[int | None]) -> str:
    """The diamond as HTML: rows of 1, 2, 3, 2 and 1 boxes, each with its statement or empty."""
    placed: list[list[int]] = [[] for _ in DIAMOND_ROWS]
    for i, row in enumerate(rows):
        if row is not None and 1 <= row <= len(DIAMOND_ROWS):
            placed[row - 1].append(i)
    html = []
    for r, want in enumerate(DIAMOND_ROWS):
        boxes = []
        for j in range(max(want, len(placed[r]))):
            over = j >= want
            text = (f"{placed[r][j] + 1}. {texts[placed[r][j]]}" if j < len(placed[r]) else "")
            boxes.append(
                f'<div style="width:150px;min-height:62px;border:2px solid '
                f'{"#b5473c" if over else "#2a788e"};border-radius:6px;padding:4px;'
                f'font-size:12.5px;background:{"#fdecea" if over else "#f4f8fb"}">{text}</div>')
        html.append('<div style="display:flex;justify-content:center;gap:6px;margin:4px 0">'
                    + "".join(boxes) + "</div>")
    return ('<div class="innovate-diamond" aria-label="Diamond 9">'
            '<div style="text-align:center;font-weight:600">most important</div>'
            + "".join(html) +
            '<div style="text-align:center;font-weight:600">least important</div></div>')


@solara.component
def RegionView(run: LessonRun):
    """The spread across the authority's region: map, stages over time, first starters, ties."""
    lesson, where, result = run.lesson, run.where, run.result
    k = solara.use_reactive(run.session.steps)
    with solara.Row(style={"flex-wrap": "wrap", "align-items": "flex-start", "gap": "18px"}):
        with solara.Column(style={"flex": "1 1 440px", "max-width": "560px"}):
            solara.SliderInt(label=f"Time: {date_label(float(run.session.times[k.value]))}",
                             value=k.value, min=0, max=run.session.steps, on_value=k.set)
            MapView(session=run.session, version=0, approach=lesson.approach, k=k.value,
                    selected=where.agent_id, on_select=lambda _: None)
        with solara.Column(style={"flex": "1 1 440px"}):
            window = (float(run.session.times[0]), float(run.session.times[-1]))

            def spec() -> Spec:
                frame = region_stage_counts(result, where.region, lesson.approach)
                frame["order"] = frame["stage"].map({s: i for i, s in enumerate(STAGES)})
                return Spec(with_data(region_template(where.region, window), region=frame))

            VegaChart(spec=solara.use_memo(spec, [id(run)]))
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
            base = run_ensemble(run.settings, EFFECT_SEEDS, "as it is")
            changed = run_ensemble(with_changes(run.settings, step.changes),
                                   EFFECT_SEEDS, step.label)
        except InputError as exc:
            error.set(str(exc))
            return
        ensembles.set((changed, base))

    task = solara.lab.use_task(work, dependencies=None, prefer_threaded=True)
    solara.Info("Before you run it: ask the group to predict what will happen, and why.")
    solara.Button(f"Run {2 * EFFECT_SEEDS} runs", on_click=task, disabled=task.pending,
                  color="primary", classes=["innovate-teach-compare"])
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
        solara.Markdown("### Teach mode: the innovation journey")
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
        StepView(run=run, step=step)


@solara.component
def RunChooser(run: LessonRun, authority: solara.Reactive[str | None],
               seed: solara.Reactive[int | None]):
    """Follow another authority, or show another run of the same scenario."""
    items = solara.use_memo(lambda: sorted(
        ({"text": short_name(name), "value": agent} for agent, name in
         zip(run.session.ids, run.session.names, strict=True)), key=lambda i: i["text"]), [])
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
