"""Uptake: how many authorities are at each stage of CS, TIP and TS over time, with the record.

Stages are stacked from Wider system change at the bottom to Mobilising at the top, so the top
of the stack is the number *engaged*, the top of the Developing band the number *implementing*
and the top of the Integrating band the number *integrating*: the observed historical points
(``sim/data/observed_patterns.csv``) sit directly against the line they describe.
"""

from __future__ import annotations

import functools

import altair as alt
import numpy as np
import pandas as pd
import solara

from dashboards.session import Session
from dashboards.style import APPROACH_NAMES, STAGE_COLORS, approach_label
from dashboards.vega import Spec, VegaChart, template, with_data
from sim.data import load_uk
from sim.output.metrics import measure_counts
from sim.output.results import RunResult
from sim.vocabulary import APPROACHES, NATIONS, SCOPES, STAGES

SCOPE_NAMES: tuple[str, ...] = tuple(SCOPES)


def scope_size(result: RunResult, scope: str) -> int:
    """Number of authorities in a scope (UK, a nation, England and Wales)."""
    nations = [NATIONS.index(n) for n in SCOPES[scope]]
    return int(np.isin(result.population.nation, nations).sum())


def stage_frame(result: RunResult, scope: str = "UK") -> pd.DataFrame:
    """Journeys at each stage 1-6 (not ended) by time and approach, in one scope.

    Columns: time, approach, stage (1-6), stage_name, count, plus ``start`` (the step start),
    so a table can say which quarter a count belongs to.
    """
    nations = [NATIONS.index(n) for n in SCOPES[scope]]
    alive = result.counts[:, nations, :, 1:, :2].sum(axis=(1, 4))      # steps, approach, stage
    times = np.concatenate([[result.config.time.start], result.times])
    alive = np.concatenate([np.zeros((1, *alive.shape[1:]), alive.dtype), alive])
    initial = result.config.approaches
    for a, name in enumerate(APPROACHES):          # step 0: every journey at its initial stage
        stage = initial[name].initial_stage
        if stage >= 1:
            alive[0, a, stage - 1] = scope_size(result, scope)
    steps, width, stages = alive.shape
    idx = np.indices(alive.shape).reshape(3, -1)
    return pd.DataFrame({
        "time": times[idx[0]],
        "approach": np.array(APPROACHES, dtype=object)[idx[1]],
        "stage": idx[2] + 1,
        "stage_name": np.array(STAGES[1:], dtype=object)[idx[2]],
        "count": alive.reshape(-1).astype(int),
    })


def observed(scope: str | None = None) -> pd.DataFrame:
    """The observed historical points (MODEL.md 8), optionally only those of one scope."""
    frame = load_uk().observed.copy()
    if scope is not None:
        frame = frame[frame["scope"] == scope]
    return frame.reset_index(drop=True)


def _time_axis(window: tuple[float, float]) -> alt.X:
    return alt.X("time:Q", title="year", scale=alt.Scale(domain=list(window), nice=False),
                 axis=alt.Axis(format="d", tickMinStep=1))


@functools.lru_cache(maxsize=32)
def uptake_template(scope: str, size: int, window: tuple[float, float], width: int = 280
                    ) -> dict:
    """The stacked-stages chart of one scope, with its observed points; data set ``stages_<A>``."""
    points = observed(scope)
    colors = alt.Scale(domain=list(STAGES[1:]), range=list(STAGE_COLORS[1:]))
    panels = []
    for approach in APPROACHES:
        area = alt.Chart(alt.Data(name=f"stages_{approach}")).mark_area(
            interpolate="step-before").encode(
            x=_time_axis(window),
            y=alt.Y("count:Q", stack="zero", title=f"authorities ({scope}, {size} in all)",
                    scale=alt.Scale(domain=[0, size])),
            color=alt.Color("stage_name:N", scale=colors, sort=list(STAGES[1:]),
                            legend=alt.Legend(title="stage", orient="bottom")),
            order=alt.Order("stage:Q", sort="descending"),
            tooltip=[alt.Tooltip("time:Q", format=".2f"), "stage_name:N", "count:Q"])
        layers = [area]
        mine = points[points["approach"] == approach]
        if len(mine):
            mine = mine.assign(label=mine["measure"] + " (observed)")[
                ["time", "value", "low", "high", "label", "source"]]
            layers.append(alt.Chart(mine).mark_rule(color="black").encode(
                x="time:Q", y="low:Q", y2="high:Q"))
            layers.append(alt.Chart(mine).mark_point(
                shape="diamond", filled=True, color="black", size=70).encode(
                x="time:Q", y="value:Q",
                tooltip=["label:N", "value:Q", "low:Q", "high:Q", "source:N"]))
        panels.append(alt.layer(*layers).properties(
            title=approach_label(approach), width=width, height=230))
    return template(alt.hconcat(*panels).resolve_scale(color="shared"))


def _window(result: RunResult) -> tuple[float, float]:
    return (float(result.config.time.start), float(result.config.time.end))


def uptake_spec(result: RunResult, scope: str = "UK") -> dict:
    """The uptake chart of a result, ready to show."""
    frame = stage_frame(result, scope)
    spec = uptake_template(scope, scope_size(result, scope), _window(result))
    return with_data(spec, **{f"stages_{a}": frame[frame["approach"] == a].drop(
        columns="approach") for a in APPROACHES})


def record_frame(result: RunResult) -> pd.DataFrame:
    """The simulated value of every observed series (approach, measure, scope) over time."""
    rows = []
    points = observed()
    times = result.times
    for (approach, measure, scope), _ in points.groupby(["approach", "measure", "scope"],
                                                        sort=False):
        series = measure_counts(result.counts, measure, scope)[:, APPROACHES.index(approach)]
        rows.append(pd.DataFrame({"time": times, "approach": approach, "count": series,
                                  "series": f"{measure}, {scope}"}))
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(
        columns=["time", "approach", "count", "series"])


@functools.lru_cache(maxsize=8)
def record_template(window: tuple[float, float], width: int = 280) -> dict:
    """Simulated lines (data set ``record_<A>``) against the observed points."""
    points = observed().assign(series=lambda d: d["measure"] + ", " + d["scope"])
    series = sorted(points["series"].unique())
    colors = alt.Scale(domain=series, scheme="dark2")
    panels = []
    for approach in APPROACHES:
        line = alt.Chart(alt.Data(name=f"record_{approach}")).mark_line(
            interpolate="step-before").encode(
            x=_time_axis(window), y=alt.Y("count:Q", title="authorities"),
            color=alt.Color("series:N", scale=colors,
                            legend=alt.Legend(title="simulated (line) and observed (point)",
                                              orient="bottom", titleLimit=400)))
        mine = points[points["approach"] == approach][
            ["time", "value", "low", "high", "series", "source"]]
        rule = alt.Chart(mine).mark_rule().encode(
            x="time:Q", y="low:Q", y2="high:Q", color=alt.Color("series:N", scale=colors))
        dots = alt.Chart(mine).mark_point(filled=True, size=70, shape="diamond").encode(
            x="time:Q", y="value:Q", color=alt.Color("series:N", scale=colors),
            tooltip=["series:N", "value:Q", "low:Q", "high:Q", "source:N"])
        panels.append(alt.layer(line, rule, dots).properties(
            title=APPROACH_NAMES[approach], width=width, height=180))
    return template(alt.hconcat(*panels).resolve_scale(color="shared"))


def record_spec(result: RunResult) -> dict:
    """The against-the-record chart of a result, ready to show."""
    frame = record_frame(result)
    return with_data(record_template(_window(result)), **{
        f"record_{a}": frame[frame["approach"] == a].drop(columns="approach")
        for a in APPROACHES})


@solara.component
def UptakeTab(session: Session, version: solara.Reactive[int]):
    """Counts by stage over time for CS, TIP and TS, with the observed historical points."""
    version = version.value
    from dashboards.export import csv_bytes, uptake_png

    scope = solara.use_reactive("UK")
    result = solara.use_memo(session.results, [version, id(session)])
    spec = solara.use_memo(lambda: Spec(uptake_spec(result, scope.value)),
                           [result, scope.value])
    record = solara.use_memo(lambda: Spec(record_spec(result)), [result])
    solara.Markdown(
        "**How many authorities are at each stage.** Stages stack from *Wider system change* "
        "(bottom) to *Mobilising* (top): the top of the stack is the number engaged, the top of "
        "the *Developing* band the number implementing, the top of the *Integrating* band the "
        "number integrating. Journeys that ended are not counted. Black diamonds are the "
        "observed record for the chosen area (with its range).")
    with solara.Row(style={"align-items": "center"}):
        solara.Select(label="Area", values=list(SCOPE_NAMES), value=scope.value,
                      on_value=scope.set, style={"max-width": "260px"})
        solara.FileDownload(lambda: uptake_png(result, scope.value),
                            filename=f"uptake-{scope.value.replace(' ', '-')}.png",
                            label="Chart (PNG)", mime_type="image/png")
        solara.FileDownload(lambda: csv_bytes(stage_frame(result, scope.value)),
                            filename=f"uptake-{scope.value.replace(' ', '-')}.csv",
                            label="Data (CSV)", mime_type="text/csv")
    VegaChart(spec=spec)
    solara.Markdown(
        "**Against the record.** Each observed point (diamond, with its range) next to the "
        "simulated number for the same measure and area. Points marked *prior* in "
        "`observed_patterns.csv` are guesses where no count is published.")
    VegaChart(spec=record)
