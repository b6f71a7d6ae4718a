"""Journeys: one authority's story for each approach, and its five conditions over time.

The story lists every transition with its date and its reason in plain words.
"""

from __future__ import annotations

import functools

import altair as alt
import numpy as np
import pandas as pd
import solara

from dashboards.session import Session
from dashboards.style import (
    CONDITION_COLORS,
    CONDITION_LABELS,
    STATUS_COLORS,
    approach_label,
    date_label,
    quarter_label,
)
from dashboards.vega import Spec, VegaChart, template, with_data
from sim.output.results import RunResult
from sim.vocabulary import APPROACHES, CONDITIONS, STAGES

KIND_WORDS: dict[str, str] = {
    "prompt": "started",
    "progress": "moved on",
    "pause": "paused",
    "resume": "resumed",
    "revisit": "went back a stage",
    "end": "ended",
    "restart": "started again",
    "seed": "started as a named site",
}
_CONDITION_KEYS = (*CONDITIONS, "readiness")


def story(result: RunResult, agent_id: str, approach: str, dt: float = 0.25) -> pd.DataFrame:
    """Every transition of one journey: when (quarter), what happened, from and to, and why.

    Columns: time (end of the quarter), when, what, from_stage, to_stage, reason.
    """
    events = result.events
    mine = events[(events["agent_id"] == agent_id) & (events["approach"] == approach)]
    mine = mine.sort_values("time", kind="stable")
    return pd.DataFrame({
        "time": mine["time"].to_numpy(float),
        "when": [quarter_label(t, dt) for t in mine["time"]],
        "what": [_what(str(k), int(f)) for k, f in zip(mine["kind"], mine["from_stage"],
                                                     strict=True)],
        "from_stage": [STAGES[int(s)] for s in mine["from_stage"]],
        "to_stage": [STAGES[int(s)] for s in mine["to_stage"]],
        "reason": mine["reason"].astype(str).to_numpy(),
    })


def _what(kind: str, from_stage: int) -> str:
    if kind == "seed" and from_stage > 0:
        return "moved on as a named site"
    return KIND_WORDS.get(kind, kind)


def story_lines(frame: pd.DataFrame) -> list[str]:
    """The story as plain sentences.

    For example 'Apr-Jun 2018: moved on: Developing to Integrating. Why: moved on with
    programme funding'.
    """
    lines = []
    for row in frame.itertuples():
        if row.from_stage == row.to_stage:
            move = f"{row.what} at {row.to_stage}"
        else:
            move = f"{row.what}: {row.from_stage} to {row.to_stage}"
        lines.append(f"{row.when}: {move}. Why: {row.reason}")
    return lines


def conditions_frame(session: Session, index: int) -> pd.DataFrame:
    """One authority's five conditions, readiness and stage over the steps taken (long form).

    Conditions are computed from the first step on, so step 0 (the start) is left out.

    Columns: time, approach, condition, label, value, stage.
    """
    times, stage, _, conditions = session.history(index)
    if len(times) > 1:          # conditions exist from the first step on
        times, stage, conditions = times[1:], stage[1:], conditions[1:]
    steps = len(times)
    idx = np.indices((steps, len(_CONDITION_KEYS), len(APPROACHES))).reshape(3, -1)
    return pd.DataFrame({
        "time": times[idx[0]],
        "approach": np.array(APPROACHES, dtype=object)[idx[2]],
        "condition": np.array(_CONDITION_KEYS, dtype=object)[idx[1]],
        "label": np.array([CONDITION_LABELS[c] for c in _CONDITION_KEYS], dtype=object)[idx[1]],
        "value": conditions[idx[0], idx[1], idx[2]].astype(float).round(4),
        "stage": stage[idx[0], idx[2]].astype(int),
    })


def stage_frame(session: Session, index: int) -> pd.DataFrame:
    """One authority's stage and status of each approach over the steps taken."""
    times, stage, status, _ = session.history(index)
    rows = []
    for a, approach in enumerate(APPROACHES):
        rows.append(pd.DataFrame({
            "time": times, "approach": approach, "stage": stage[:, a].astype(int),
            "stage_name": [STAGES[s] for s in stage[:, a]],
            "status": np.array(["active", "paused", "ended"], dtype=object)[status[:, a]]}))
    return pd.concat(rows, ignore_index=True)


@functools.lru_cache(maxsize=8)
def journey_template(window: tuple[float, float], width: int = 230) -> dict:
    """Stage (top) and conditions (bottom) of each approach.

    Its data sets are ``stage_<A>`` and ``conditions_<A>``.
    """
    x = alt.X("time:Q", title="year", scale=alt.Scale(domain=list(window), nice=False),
              axis=alt.Axis(format="d"))
    labels = [CONDITION_LABELS[c] for c in _CONDITION_KEYS]
    colors = alt.Scale(domain=labels, range=[CONDITION_COLORS[c] for c in _CONDITION_KEYS])
    status_colors = alt.Scale(domain=list(STATUS_COLORS), range=list(STATUS_COLORS.values()))
    columns = []
    for approach in APPROACHES:
        y = alt.Y("stage:Q", title="stage", scale=alt.Scale(domain=[0, 6]),
                  axis=alt.Axis(values=list(range(7)), labelExpr=_stage_expr()))
        base = alt.Chart(alt.Data(name=f"stage_{approach}"))
        stage = alt.layer(
            base.mark_line(interpolate="step-after", color="#9aa5b1").encode(x=x, y=y),
            base.mark_circle(size=18, opacity=1).encode(
                x=x, y=y, fill=alt.Fill("status:N", scale=status_colors, legend=alt.Legend(
                    title="journey", orient="bottom")),
                tooltip=[alt.Tooltip("time:Q", format=".2f"), "stage_name:N", "status:N"]),
        ).properties(title=approach_label(approach), width=width, height=110)
        conditions = alt.Chart(alt.Data(name=f"conditions_{approach}")).mark_line().encode(
            x=x, y=alt.Y("value:Q", title="condition (0-1)", scale=alt.Scale(domain=[0, 1])),
            color=alt.Color("label:N", scale=colors, sort=labels,
                            legend=alt.Legend(title="condition", orient="bottom", columns=6)),
            strokeDash=alt.condition(alt.datum.condition == "readiness", alt.value([5, 3]),
                                     alt.value([1, 0])),
            tooltip=[alt.Tooltip("time:Q", format=".2f"), "label:N",
                     alt.Tooltip("value:Q", format=".2f")],
        ).properties(width=width, height=170)
        columns.append(alt.vconcat(stage, conditions))
    return template(alt.hconcat(*columns).resolve_scale(color="shared", fill="shared"))


def _stage_expr() -> str:
    names = ", ".join(f"'{s}'" for s in STAGES)
    return f"[{names}][datum.value]"


def journey_spec(session: Session, index: int) -> dict:
    """The journey chart of one authority, ready to show."""
    stages = stage_frame(session, index)
    conditions = conditions_frame(session, index)
    window = (float(session.times[0]), float(session.times[-1]))
    data = {}
    for approach in APPROACHES:
        data[f"stage_{approach}"] = stages[stages["approach"] == approach].drop(
            columns="approach")
        data[f"conditions_{approach}"] = conditions[conditions["approach"] == approach].drop(
            columns="approach")
    return with_data(journey_template(window), **data)


@solara.component
def JourneysTab(session: Session, version: solara.Reactive[int],
                selected: solara.Reactive[str]):
    """Pick an authority and read its story for each approach, with its conditions over time."""
    items = solara.use_memo(lambda: sorted(
        ({"text": name, "value": agent} for agent, name in zip(session.ids, session.names,
                                                                 strict=True)),
        key=lambda item: item["text"]), [id(session)])
    solara.v.Autocomplete(label="Authority (type to search)", items=items,
                   v_model=selected.value or None, on_v_model=lambda value: selected.set(
                       value or ""), clearable=True, style_="max-width: 420px",
                   class_="innovate-authority-picker")
    index = session.index_of(selected.value) if selected.value else -1
    if index < 0:
        solara.Info("Choose an authority above, or click one on the map.")
    else:
        JourneyView(session=session, version=version.value, index=index)


@solara.component
def JourneyView(session: Session, version: int, index: int):
    """The story and the conditions chart of the authority at ``index``."""
    from dashboards.export import csv_bytes, journey_png

    result = solara.use_memo(session.results, [version, id(session)])
    spec = solara.use_memo(lambda: Spec(journey_spec(session, index)),
                           [version, index, id(session)])
    agent = session.ids[index]
    solara.Markdown(f"### {session.names[index]} ({session.region(index)}), to "
                    f"{date_label(session.year)}")
    stories = {a: story(result, agent, a, session.config.time.dt) for a in APPROACHES}
    with solara.Row(style={"align-items": "flex-start", "flex-wrap": "wrap"}):
        for approach in APPROACHES:
            with solara.Column(style={"flex": "1 1 300px", "min-width": "280px"}):
                with solara.Card(title=approach_label(approach), margin=0,
                                 classes=["innovate-story"],
                                 style={"max-height": "330px", "overflow-y": "auto"}):
                    lines = story_lines(stories[approach])
                    if not lines:
                        solara.Text("No transitions yet: not started.")
                    else:
                        solara.Markdown("\n".join(f"- {line}" for line in lines))
    solara.Markdown("**Stage and the five conditions over time** (0 = poor, 1 = good; the dashed "
                    "line is readiness, all five combined, which drives progress).")
    VegaChart(spec=spec)
    with solara.Row():
        solara.FileDownload(lambda: journey_png(session, index), filename=f"journey-{agent}.png",
                            label="Chart (PNG)", mime_type="image/png")
        solara.FileDownload(
            lambda: csv_bytes(pd.concat([f.assign(approach=a) for a, f in stories.items()])),
            filename=f"journey-{agent}.csv", label="Story (CSV)", mime_type="text/csv")
