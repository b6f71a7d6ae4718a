"""Charts as Vega-Lite specs: built once with Altair, then filled with fresh data on each render.

Building an Altair chart and validating it costs a few hundred milliseconds; the page redraws
its charts after every step. So each chart is defined with Altair once (kept per process) with
*named* data sets, and each render only puts the current tables (:mod:`dashboards.frames`) into
the spec's ``datasets``. The ``*_spec`` functions return plain dicts, ready for
:func:`dashboards.tabs.common.VegaChart`.
"""

from __future__ import annotations

import html
import math
from typing import TYPE_CHECKING, Any

import altair as alt
import numpy as np
import pandas as pd

from dashboards.frames import (
    authority_conditions,
    authority_stages,
    comparison_table,
    observed_points,
    region_stage_counts,
    scope_size,
    scope_stage_counts,
    simulated_record,
    stage_paths,
)
from dashboards.style import (
    CONDITION_COLORS,
    CONDITION_LABELS,
    MEASURE_WORDS,
    READINESS,
    SCENARIO_COLORS,
    SCORES,
    STAGE_COLORS,
    STATUS_COLORS,
    approach_label,
)
from sim.cache import ProcessCache
from sim.output.plots import INPUT_COLOR, observation_kind
from sim.output.results import RunResult
from sim.vocabulary import (
    APPROACH_NAMES,
    APPROACHES,
    MEASURES,
    MOBILISING,
    NOT_STARTED,
    OBSERVATION_KEYS,
    OBSERVATION_KINDS,
    STAGES,
    WIDER,
)

if TYPE_CHECKING:
    from dashboards.ensembles import Ensemble
    from dashboards.session import Session

_TEMPLATES = ProcessCache(64)       # validated specs without their data, by chart and shape
# The colours of the simulated series and their record (Vega's "dark2" scheme).
SERIES_COLORS = ("#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d",
                 "#666666")


def template(chart: alt.TopLevelMixin) -> dict:
    """The validated Vega-Lite spec of a chart whose varying data are ``alt.Data(name=...)``."""
    return chart.to_dict()


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON-ready dicts of native Python values (NaN becomes null)."""
    columns = []
    for name in frame.columns:
        values = frame[name].tolist()
        if frame[name].dtype.kind == "f":
            values = [v if math.isfinite(v) else None for v in values]
        columns.append(values)
    names = [str(c) for c in frame.columns]
    return [dict(zip(names, row, strict=True)) for row in zip(*columns, strict=True)]


def with_data(spec: dict, **datasets: pd.DataFrame) -> dict:
    """A copy of ``spec`` with the named data sets filled in (the kept spec is not changed)."""
    return {**spec, "datasets": {**spec.get("datasets", {}),
                                 **{name: records(frame) for name, frame in datasets.items()}}}


def _per_approach(prefix: str, frame: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """``<prefix>_<approach>`` -> the rows of that approach (without the approach column)."""
    return {f"{prefix}_{a}": frame[frame["approach"] == a].drop(columns="approach")
            for a in APPROACHES}


# -- pieces shared by several charts -------------------------------------------------------------

def _time_axis(window: tuple[float, float], **axis: Any) -> alt.X:
    return alt.X("time:Q", title="year", scale=alt.Scale(domain=list(window), nice=False),
                 axis=alt.Axis(format="d", **axis))


def _stage_axis(title: str | None = None) -> alt.Y:
    """Stages 0-6 on the y axis, labelled with their names."""
    names = ", ".join(f"'{s}'" for s in STAGES)
    return alt.Y("stage:Q", title=title, scale=alt.Scale(domain=[NOT_STARTED, WIDER]),
                 axis=alt.Axis(values=list(range(len(STAGES))),
                               labelExpr=f"[{names}][datum.value]"))


def _journey_layers(data: str, x: alt.X, y: alt.Y, size: int, legend: alt.Legend,
                    tooltip: list) -> list[alt.Chart]:
    """A journey's stage as a grey step line, with a dot per step coloured by its status."""
    base = alt.Chart(alt.Data(name=data))
    status = alt.Scale(domain=list(STATUS_COLORS), range=list(STATUS_COLORS.values()))
    return [base.mark_line(interpolate="step-after", color="#9aa5b1").encode(x=x, y=y),
            base.mark_circle(size=size, opacity=1).encode(
                x=x, y=y, fill=alt.Fill("status:N", scale=status, legend=legend),
                tooltip=tooltip)]


def _conditions_chart(data: str, x: alt.X, legend: alt.Legend, tooltip: list,
                      width: int) -> alt.Chart:
    """The five conditions and readiness (dashed) over time, 0 to 1."""
    labels = [CONDITION_LABELS[c] for c in SCORES]
    colors = alt.Scale(domain=labels, range=[CONDITION_COLORS[c] for c in SCORES])
    return alt.Chart(alt.Data(name=data)).mark_line().encode(
        x=x, y=alt.Y("value:Q", title="condition (0-1)", scale=alt.Scale(domain=[0, 1])),
        color=alt.Color("label:N", scale=colors, sort=labels, legend=legend),
        strokeDash=alt.condition(alt.datum.condition == READINESS, alt.value([5, 3]),
                                 alt.value([1, 0])),
        tooltip=tooltip,
    ).properties(width=width, height=170)


def _window(result: RunResult) -> tuple[float, float]:
    return (float(result.config.time.start), float(result.config.time.end))


def _session_window(session: Session) -> tuple[float, float]:
    return (float(session.times[0]), float(session.times[-1]))


# -- observations (the record) ------------------------------------------------------------------

# The shape of each kind of observation in the charts' key; a band's is a bar through a hollow
# square (an SVG path in Vega's unit square), drawn on the band's own bar with caps.
OBSERVATION_SHAPES: dict[str, str] = {
    "point": "circle",
    "band": "M0,-1L0,-0.5M-0.5,-0.5L0.5,-0.5L0.5,0.5L-0.5,0.5L-0.5,-0.5M0,0.5L0,1",
    "lower": "triangle-up",
    "upper": "triangle-down",
    "input": "diamond",
}
OBSERVATION_FILLS: dict[str, str] = {"point": "#000000", "band": "#ffffff", "lower": "#000000",
                                     "upper": "#000000", "input": INPUT_COLOR}
KEY_TITLE = "the record"            # the title of the charts' key to the observations
ARROW_PX = 16                       # length of a bound's arrow, in pixels


def observation_layers(points: pd.DataFrame, colors: alt.Scale | None = None,
                       keys: list[str] | None = None) -> list[alt.Chart]:
    """The observations of one panel (rows of :func:`observed_points`) as Vega-Lite layers.

    Each kind has its own shape in a key of plain words (:data:`OBSERVATION_SHAPES`,
    :data:`sim.vocabulary.OBSERVATION_KEYS`): a count a filled circle, a band a bar with caps
    from low to high around a hollow square at the value, a lower bound a triangle up at
    ``low`` with an arrow up (at least), an upper bound a triangle down at ``high`` with an arrow
    down (at most), a seeded input a grey diamond. The tooltip is the observation as a sentence.
    With ``colors`` (the scale of the ``series`` column) bars, arrows and outlines take the
    colour of their series; otherwise they are black. ``keys`` (default: those of ``points``)
    are the key's entries: give every panel of a chart the same, as the panels share the key.
    """
    keys = observation_keys(points) if keys is None else keys
    frame = points.assign(kind=[observation_kind(k) for k in points["kind"]],
                          low=points["low"].where(np.isfinite(points["low"])),
                          high=points["high"].where(np.isfinite(points["high"])))
    columns = ["time", "y", "low", "high", "kind", "key", "text"] + (
        ["series"] if colors is not None else [])
    frame = frame[columns]
    ink = (alt.Color("series:N", scale=colors, legend=None) if colors is not None
           else alt.value("#000000"))
    x, tip = alt.X("time:Q"), [alt.Tooltip("text:N", title=KEY_TITLE)]
    layers = []
    bands = frame[frame["kind"] == "band"].dropna(subset=["low", "high"])
    if len(bands):
        bars = alt.Chart(bands)
        layers.append(bars.mark_rule(strokeWidth=1.6).encode(x=x, y="low:Q", y2="high:Q",
                                                             color=ink, tooltip=tip))
        for end in ("low", "high"):
            layers.append(bars.mark_tick(orient="horizontal", size=10, thickness=1.6).encode(
                x=x, y=f"{end}:Q", color=ink, tooltip=tip))
    for kind, up in (("lower", -ARROW_PX), ("upper", ARROW_PX)):
        bound = frame[frame["kind"] == kind]
        if len(bound):
            arrows = alt.Chart(bound)
            layers.append(arrows.mark_rule(strokeWidth=1.6, y2Offset=up).encode(
                x=x, y="y:Q", y2="y:Q", color=ink, tooltip=tip))
            layers.append(arrows.mark_point(
                shape="triangle-up" if kind == "lower" else "triangle-down", size=22,
                filled=True, yOffset=up, opacity=1).encode(x=x, y="y:Q", color=ink))
    scale = {"domain": keys,
             "range": [OBSERVATION_SHAPES[k] for k in OBSERVATION_KINDS
                       if OBSERVATION_KEYS[k] in keys]}
    fills = [OBSERVATION_FILLS[k] for k in OBSERVATION_KINDS if OBSERVATION_KEYS[k] in keys]
    legend = alt.Legend(title=KEY_TITLE, orient="bottom")
    shape = alt.Shape("key:N", scale=alt.Scale(**scale), sort=keys, legend=legend)
    fill = alt.Fill("key:N", scale=alt.Scale(domain=keys, range=fills), sort=keys, legend=legend)
    markers = alt.Chart(frame).mark_point(size=85, strokeWidth=1.6, opacity=1)
    # the key's outlines are black (the key's own layer); a series' markers are drawn again on
    # top, outlined in the series' colour
    layers.append(markers.encode(
        x=x, y="y:Q", shape=shape, fill=fill, tooltip=tip,
        stroke=alt.Stroke("key:N", scale=alt.Scale(domain=keys, range=["#000000"] * len(keys)),
                          sort=keys, legend=legend)))
    if colors is not None:
        layers.append(markers.encode(x=x, y="y:Q", shape=shape, fill=fill, color=ink,
                                     tooltip=tip))
    return layers


def observation_keys(points: pd.DataFrame) -> list[str]:
    """The key's words of the kinds present in ``points``, in the order of the kinds."""
    present = {observation_kind(k) for k in points["kind"]}
    return [OBSERVATION_KEYS[k] for k in OBSERVATION_KINDS if k in present]


def observation_description(points: pd.DataFrame) -> str:
    """The observations as sentences, one after another: a chart's text alternative."""
    if not len(points):
        return "No published count for this area."
    return " ".join(points["text"])


# -- Uptake tab ----------------------------------------------------------------------------------

def _uptake_template(scope: str, size: int, window: tuple[float, float], width: int = 280
                     ) -> dict:
    """The stacked-stages chart of one scope, with its observed points; data set ``stages_<A>``."""
    def build() -> dict:
        points = observed_points(scope)
        names = list(STAGES[MOBILISING:])
        colors = alt.Scale(domain=names, range=list(STAGE_COLORS[MOBILISING:]))
        panels = []
        for approach in APPROACHES:
            area = alt.Chart(alt.Data(name=f"stages_{approach}")).mark_area(
                interpolate="step-before").encode(
                x=_time_axis(window, tickMinStep=1),
                y=alt.Y("count:Q", stack="zero", title=f"authorities ({scope}, {size} in all)",
                        scale=alt.Scale(domain=[0, size])),
                color=alt.Color("stage_name:N", scale=colors, sort=names,
                                legend=alt.Legend(title="stage", orient="bottom")),
                order=alt.Order("stage:Q", sort="descending"),
                tooltip=[alt.Tooltip("time:Q", format=".2f"), "stage_name:N", "count:Q"])
            layers = [area]
            mine = points[points["approach"] == approach]
            if len(mine):
                layers += observation_layers(mine, keys=observation_keys(points))
            panels.append(alt.layer(*layers).properties(
                title=approach_label(approach), width=width, height=230))
        return template(alt.hconcat(*panels).resolve_scale(
            color="shared", shape="shared", fill="shared", stroke="shared").properties(
            description=f"Authorities at each stage over time, {scope}. "
                        f"{observation_description(points)}"))

    return _TEMPLATES.get(("uptake", scope, size, window, width), build)


def uptake_spec(result: RunResult, scope: str = "UK") -> dict:
    """Authorities at each stage over time in one scope, with the observed points."""
    spec = _uptake_template(scope, scope_size(result, scope), _window(result))
    return with_data(spec, **_per_approach("stages", scope_stage_counts(result, scope)))


# The colours of the three measures in the "20 runs" Uptake chart (engaged is the widest).
MEASURE_COLORS = ("#7ad151", "#22a884", "#414487")


def _uptake_band_template(size: int, runs: int, window: tuple[float, float], width: int = 280
                          ) -> dict:
    """Median line and 90% band of each measure, per approach; data set ``bands_<A>``."""
    def build() -> dict:
        names = [MEASURE_WORDS[m] for m in MEASURES]
        colors = alt.Scale(domain=names, range=list(MEASURE_COLORS))
        x = _time_axis(window, tickMinStep=1)
        panels = []
        for approach in APPROACHES:
            base = alt.Chart(alt.Data(name=f"bands_{approach}"))
            y = alt.Y("low:Q", title=f"authorities (UK, {size} in all)",
                      scale=alt.Scale(domain=[0, size]))
            band = base.mark_area(opacity=0.25, interpolate="step-before").encode(
                x=x, y=y, y2="high:Q", color=alt.Color("what:N", scale=colors, sort=names))
            line = base.mark_line(strokeWidth=2.2, interpolate="step-before").encode(
                x=x, y="median:Q", color=alt.Color("what:N", scale=colors, sort=names,
                                                   legend=alt.Legend(
                    title=f"middle run (line) and range of 90% of the {runs} runs (band)",
                    orient="bottom", titleLimit=500, labelLimit=400)),
                tooltip=[alt.Tooltip("time:Q", format=".2f"), "what:N",
                         alt.Tooltip("median:Q", format=".0f"),
                         alt.Tooltip("low:Q", format=".0f"), alt.Tooltip("high:Q", format=".0f")])
            panels.append(alt.layer(band, line).properties(
                title=approach_label(approach), width=width, height=230))
        return template(alt.hconcat(*panels).resolve_scale(color="shared").properties(
            description=f"Authorities across the UK engaged, implementing and integrating, "
                        f"each approach: the middle of {runs} runs and the range of 90% of them."))

    return _TEMPLATES.get(("uptake-bands", size, runs, window, width), build)


def uptake_band_spec(bands: pd.DataFrame, size: int, window: tuple[float, float]) -> dict:
    """The "20 runs" Uptake chart from :func:`dashboards.uncertainty.band_table`."""
    runs = int(bands["runs"].iloc[0])
    data = bands.assign(what=bands["measure"].map(MEASURE_WORDS))
    return with_data(_uptake_band_template(size, runs, window), **{
        f"bands_{a}": data[data["approach"] == a][["time", "what", "median", "low", "high"]]
        .round(2) for a in APPROACHES})


def _record_template(window: tuple[float, float], width: int = 280) -> dict:
    """Simulated lines (data set ``record_<A>``) against the observed points."""
    def build() -> dict:
        points = observed_points(named=False).assign(
            series=lambda d: d["measure"] + ", " + d["scope"])
        series = sorted(points["series"].unique())
        colors = alt.Scale(domain=series, range=[SERIES_COLORS[i % len(SERIES_COLORS)]
                                                 for i in range(len(series))])
        panels = []
        for approach in APPROACHES:
            line = alt.Chart(alt.Data(name=f"record_{approach}")).mark_line(
                interpolate="step-before").encode(
                x=_time_axis(window, tickMinStep=1), y=alt.Y("count:Q", title="authorities"),
                color=alt.Color("series:N", scale=colors,
                                legend=alt.Legend(title="simulated (line) and its record",
                                                  orient="bottom", titleLimit=400)))
            mine = points[points["approach"] == approach]
            panels.append(alt.layer(line, *observation_layers(
                mine, colors, observation_keys(points))).properties(
                title=APPROACH_NAMES[approach], width=width, height=180))
        return template(alt.hconcat(*panels).resolve_scale(
            color="shared", shape="shared", fill="shared", stroke="shared").properties(
            description="Simulated counts against the record. "
                        f"{observation_description(points)}"))

    return _TEMPLATES.get(("record", window, width), build)


def record_spec(result: RunResult) -> dict:
    """The simulated number of every observed series against the observed points."""
    return with_data(_record_template(_window(result)),
                     **_per_approach("record", simulated_record(result)))


# -- Journeys tab --------------------------------------------------------------------------------

def _journey_template(window: tuple[float, float], width: int = 230) -> dict:
    """Stage (top) and conditions (bottom) of each approach.

    Its data sets are ``stage_<A>`` and ``conditions_<A>``.
    """
    def build() -> dict:
        x = _time_axis(window)
        columns = []
        for approach in APPROACHES:
            stage = alt.layer(*_journey_layers(
                f"stage_{approach}", x, _stage_axis("stage"), 18,
                alt.Legend(title="journey", orient="bottom"),
                [alt.Tooltip("time:Q", format=".2f"), "stage_name:N", "status:N"]),
            ).properties(title=approach_label(approach), width=width, height=110)
            conditions = _conditions_chart(
                f"conditions_{approach}", x,
                alt.Legend(title="condition", orient="bottom", columns=6),
                [alt.Tooltip("time:Q", format=".2f"), "label:N",
                 alt.Tooltip("value:Q", format=".2f")], width)
            columns.append(alt.vconcat(stage, conditions))
        return template(alt.hconcat(*columns).resolve_scale(color="shared", fill="shared"))

    return _TEMPLATES.get(("journey", window, width), build)


def journey_spec(session: Session, index: int) -> dict:
    """One authority's stage and conditions over time, for every approach."""
    return with_data(_journey_template(_session_window(session)),
                     **_per_approach("stage", authority_stages(session, index)),
                     **_per_approach("conditions", authority_conditions(session, index)))


# -- Compare tab ---------------------------------------------------------------------------------

def _compare_template(labels: tuple[str, str], measure: str, window: tuple[float, float],
                      width: int = 280) -> dict:
    """Mean lines and 90% bands of both scenarios for each approach.

    Its data sets are ``band_<A>`` and ``threshold``.
    """
    def build() -> dict:
        colors = alt.Scale(domain=list(labels), range=list(SCENARIO_COLORS))
        x = _time_axis(window)
        panels = []
        for approach in APPROACHES:
            base = alt.Chart(alt.Data(name=f"band_{approach}"))
            band = base.mark_area(opacity=0.22).encode(
                x=x, y=alt.Y("p05:Q", title=f"share {measure}", axis=alt.Axis(format="%"),
                             scale=alt.Scale(domain=[0, 1])),
                y2="p95:Q", color=alt.Color("scenario:N", scale=colors))
            line = base.mark_line(strokeWidth=2.2).encode(
                x=x, y="mean:Q", color=alt.Color("scenario:N", scale=colors, legend=alt.Legend(
                    title="average and 90% band of the runs", orient="bottom")),
                tooltip=["scenario:N", alt.Tooltip("time:Q", format=".2f"),
                         alt.Tooltip("mean:Q", format=".1%"),
                         alt.Tooltip("p05:Q", format=".1%"),
                         alt.Tooltip("p95:Q", format=".1%")])
            rule = alt.Chart(alt.Data(name="threshold")).mark_rule(
                strokeDash=[4, 4], color="#555555").encode(y="threshold:Q")
            panels.append(alt.layer(band, line, rule).properties(
                title=APPROACH_NAMES[approach], width=width, height=220))
        return template(alt.hconcat(*panels).resolve_scale(color="shared"))

    return _TEMPLATES.get(("compare", labels, measure, window, width), build)


def compare_spec(a: Ensemble, b: Ensemble, measure: str, threshold: float) -> dict:
    """Both scenarios' mean and 90% band of one measure, with the threshold, per approach."""
    window = (float(a.times[0] - a.dt), float(a.times[-1]))
    table = comparison_table(a, b)
    table = table[table["measure"] == measure]
    data = {"threshold": pd.DataFrame({"threshold": [threshold]})}
    for approach in APPROACHES:
        data[f"band_{approach}"] = table[table["approach"] == approach][
            ["scenario", "time", "mean", "p05", "p95"]].round(4)
    return with_data(_compare_template((a.label, b.label), measure, window), **data)


# -- Teach mode ----------------------------------------------------------------------------------

def _lesson_journey_template(window: tuple[float, float], width: int = 640) -> dict:
    """One journey: its stage (top, highlighted periods shaded) and its conditions (bottom).

    Data sets: ``periods`` (start, end), ``stage`` (time, stage, stage_name, status),
    ``lines`` (the stage line in pieces, :func:`lesson_journey_lines`), ``ended_labels``
    (time, stage) and ``conditions``. A journey that has ended is drawn at the stage where it
    ended as a dashed red line with red dots, labelled "ended", so it never reads as going on.
    """
    def build() -> dict:
        x = _time_axis(window)
        y = _stage_axis()
        shade = alt.Chart(alt.Data(name="periods")).mark_rect(
            color="#fde725", opacity=0.35).encode(
            x=alt.X("start:Q", scale=alt.Scale(domain=list(window), nice=False, zero=False)),
            x2="end:Q")
        status = alt.Scale(domain=list(STATUS_COLORS), range=list(STATUS_COLORS.values()))
        line = alt.Chart(alt.Data(name="lines")).mark_line(interpolate="step-after").encode(
            x=x, y=y, detail="segment:N",
            color=alt.condition(alt.datum.ended, alt.value(STATUS_COLORS["ended"]),
                                alt.value("#9aa5b1")),
            strokeDash=alt.condition(alt.datum.ended, alt.value([5, 3]), alt.value([1, 0])))
        dots = alt.Chart(alt.Data(name="stage")).mark_circle(size=26, opacity=1).encode(
            x=x, y=y, fill=alt.Fill("status:N", scale=status,
                                    legend=alt.Legend(title="journey", orient="right")),
            tooltip=[alt.Tooltip("time:Q", format=".2f"),
                     alt.Tooltip("stage_name:N", title="stage"), "status:N"])
        label = alt.Chart(alt.Data(name="ended_labels")).mark_text(
            align="left", dx=3, dy=-8, fontSize=11, fontWeight="bold",
            color=STATUS_COLORS["ended"]).encode(x=x, y=y, text=alt.value("ended"))
        stage = alt.layer(shade, line, dots, label).properties(width=width, height=150)
        conditions = _conditions_chart(
            "conditions", x, alt.Legend(title="condition", orient="right"),
            ["label:N", alt.Tooltip("time:Q", format=".2f"),
             alt.Tooltip("value:Q", format=".2f")], width)
        return template(alt.vconcat(stage, conditions).resolve_scale(color="independent"))

    return _TEMPLATES.get(("lesson journey", window, width), build)


def lesson_journey_lines(stage: pd.DataFrame) -> pd.DataFrame:
    """A journey's stage line in pieces: one per spell while going (active or paused) or ended.

    ``stage`` has time, stage and status per step. Each piece runs on to the start of the next
    at its own stage, so an ended spell is a piece of its own at the stage where it ended.
    Columns: time, stage, segment (the piece's number), ended (bool).
    """
    ended = (stage["status"] == "ended").to_numpy()
    times, stages = stage["time"].to_numpy(float), stage["stage"].to_numpy(int)
    segment = np.r_[0, np.cumsum(ended[1:] != ended[:-1])] if len(ended) else ended
    pieces = [pd.DataFrame({"time": [], "stage": [], "segment": [], "ended": []})]
    for s in np.unique(segment):
        rows = np.flatnonzero(segment == s)
        t, y = list(times[rows]), list(stages[rows])
        if rows[-1] + 1 < len(times):           # run on to where the next piece starts
            t.append(times[rows[-1] + 1])
            y.append(stages[rows[-1]])
        pieces.append(pd.DataFrame({"time": t, "stage": y, "segment": int(s),
                                    "ended": bool(ended[rows[0]])}))
    return pd.concat(pieces, ignore_index=True).astype({"stage": int, "segment": int,
                                                        "ended": bool})


def lesson_journey_spec(session: Session, index: int, approach: str,
                        periods: list[tuple[float, float, str]]) -> dict:
    """One authority's journey with one approach, the ``periods`` (start, end, _) shaded.

    Ended spells are drawn in the ended style (:func:`_lesson_journey_template`).
    """
    stages = authority_stages(session, index)
    conditions = authority_conditions(session, index)
    mine = stages[stages["approach"] == approach][["time", "stage", "stage_name", "status"]]
    lines = lesson_journey_lines(mine)
    starts = lines[lines["ended"].astype(bool)].drop_duplicates("segment")
    return with_data(
        _lesson_journey_template(_session_window(session)),
        periods=pd.DataFrame({"start": [p[0] for p in periods], "end": [p[1] for p in periods]}),
        stage=mine, lines=lines, ended_labels=starts[["time", "stage"]],
        conditions=conditions[conditions["approach"] == approach][
            ["time", "condition", "label", "value"]])


def _two_runs_template(labels: tuple[str, ...], window: tuple[float, float],
                       width: int = 640) -> dict:
    """The same journey in two runs (data set ``runs``: time, stage, run)."""
    def build() -> dict:
        colors = alt.Scale(domain=list(labels), range=list(SCENARIO_COLORS))
        return template(alt.Chart(alt.Data(name="runs")).mark_line(
            interpolate="step-after", strokeWidth=2.5).encode(
            x=_time_axis(window), y=_stage_axis(),
            color=alt.Color("run:N", scale=colors,
                            legend=alt.Legend(title=None, orient="bottom")),
            strokeDash=alt.StrokeDash("run:N", legend=None),
        ).properties(width=width, height=170))

    return _TEMPLATES.get(("two runs", labels, window, width), build)


def two_runs_spec(results: dict[str, RunResult], agent_id: str, approach: str,
                  window: tuple[float, float]) -> dict:
    """One journey's stage in two runs (``label -> run``), e.g. with and without a change."""
    return with_data(_two_runs_template(tuple(results), window),
                     runs=stage_paths(results, agent_id, approach, window))


def _region_template(region: str, window: tuple[float, float], width: int = 520) -> dict:
    """A region's authorities by stage over time (data set ``region``: time, stage, count)."""
    def build() -> dict:
        names = list(STAGES[MOBILISING:])
        colors = alt.Scale(domain=names, range=list(STAGE_COLORS[MOBILISING:]))
        return template(alt.Chart(alt.Data(name="region")).mark_area().encode(
            x=_time_axis(window), y=alt.Y("count:Q", title=f"authorities in {region}",
                                          stack=True),
            color=alt.Color("stage:N", scale=colors, sort=names,
                            legend=alt.Legend(title="stage", orient="right")),
            order=alt.Order("order:Q"),
            tooltip=["stage:N", alt.Tooltip("time:Q", format=".2f"), "count:Q"],
        ).properties(width=width, height=240))

    return _TEMPLATES.get(("region", region, window, width), build)


def region_spec(result: RunResult, region: str, approach: str,
                window: tuple[float, float]) -> dict:
    """How many of a region's authorities are at each stage of ``approach`` over time."""
    frame = region_stage_counts(result, region, approach)
    frame["order"] = frame["stage"].map({s: i for i, s in enumerate(STAGES)})
    return with_data(_region_template(region, window), region=frame)


# -- text alternatives ---------------------------------------------------------------------------

WORDS_ROWS = 60         # at most this many rows of each data set in a chart's words


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 1000 else f"{value:.0f}"
    return str(value)


def chart_words(spec: dict) -> tuple[str, list[tuple[str, list[str], list[list[str]]]]]:
    """A chart's text alternative, from its spec and data: (a sentence, its tables).

    The sentence is the chart's description (or title) and says what the tables hold; each
    table is (caption, column names, rows), one per data set, at whole years every 5 years
    and the last time when the data run over time (at most :data:`WORDS_ROWS` rows).
    """
    title = spec.get("title")
    title = title.get("text") if isinstance(title, dict) else title
    sentence = str(spec.get("description") or title or "A chart of the simulation")
    tables = []
    for name, rows in spec.get("datasets", {}).items():
        if not rows:
            continue
        if "time" in rows[0]:
            times = sorted({r["time"] for r in rows if r.get("time") is not None})
            keep = {t for t in times if abs(t - round(t)) < 1e-9 and round(t) % 5 == 0}
            keep |= set(times[-1:])
            rows = [r for r in rows if r.get("time") in keep]
        columns = list(rows[0])
        caption = ("data" if name.startswith("data-") else name.replace("_", ", "))
        tables.append((caption, columns, [[_cell(r.get(c)) for c in columns]
                                          for r in rows[:WORDS_ROWS]]))
    if tables:
        sentence += (f" The chart in words below gives its data ({len(tables)} "
                     f"table{'s' if len(tables) != 1 else ''}).")
    return sentence, tables


def chart_words_html(spec: dict) -> tuple[str, str]:
    """:func:`chart_words` as (the sentence, a closed ``<details>`` "The chart in words")."""
    sentence, tables = chart_words(spec)
    parts = ['<details class="innovate-chart-words"><summary>The chart in words</summary>',
             f"<p>{html.escape(sentence)}</p>"]
    for caption, columns, rows in tables:
        head = "".join(f'<th scope="col">{html.escape(c)}</th>' for c in columns)
        body = "".join("<tr>" + "".join(f"<td>{html.escape(v)}</td>" for v in row) + "</tr>"
                       for row in rows)
        parts.append(f"<table><caption>{html.escape(caption)}</caption><thead><tr>{head}"
                     f"</tr></thead><tbody>{body}</tbody></table>")
    return sentence, "".join(parts) + "</details>"


# -- Where to fund next --------------------------------------------------------------------------

def funded_sites_spec(population, sites: list[int], strategy: str, width: int = 360) -> dict:
    """Every authority as a grey dot at its centroid; the funded ones large, named on hover.

    The funded sites are the data set ``funded`` (the chart's words list them); the
    other authorities are drawn from inline values.
    """
    from sim.data import load_uk

    auth = load_uk().authorities
    everyone = pd.DataFrame({"lon": auth["centroid_lon"].to_numpy()[population.source],
                             "lat": auth["centroid_lat"].to_numpy()[population.source]})
    funded = pd.DataFrame({
        "authority": population.names[sites].astype(str),
        "region": [population.regions[r] for r in population.region[sites]],
        "lon": everyone["lon"].to_numpy()[sites].round(3),
        "lat": everyone["lat"].to_numpy()[sites].round(3)})
    others = alt.Chart(alt.Data(values=records(everyone.round(3)))).mark_circle(
        size=14, color="#b0b0b0", opacity=0.8).encode(
        longitude="lon:Q", latitude="lat:Q")
    chosen = alt.Chart(alt.Data(name="funded")).mark_circle(
        size=110, color="#1f4e9c", stroke="#000000", strokeWidth=0.8, opacity=1).encode(
        longitude="lon:Q", latitude="lat:Q",
        tooltip=["authority:N", "region:N"])
    spec = template(alt.layer(others, chosen).project(type="mercator").properties(
        width=width, height=int(width * 1.3),
        description=f"Map of the UK's {population.size} authorities with the {len(sites)} "
                    f"funded {strategy} marked."))
    return with_data(spec, funded=funded)


# -- the equity gap of a comparison --------------------------------------------------------------

def gap_spec(bands: pd.DataFrame, labels: tuple[str, str], approach: str,
             window: tuple[float, float]) -> dict:
    """The gap in the share integrating, most less least deprived fifth, over time.

    Both scenarios' means and 90% bands (``bands``: :func:`dashboards.ensembles.gap_bands`).
    """
    spec = with_data(_gap_template(labels, window), gap=bands.round(4))
    spec["description"] = (f"The gap in the share of authorities integrating "
                           f"{APPROACH_NAMES[approach]} between the most and least deprived "
                           f"fifths over time, under {labels[0]} and {labels[1]}: the average "
                           "of the runs and the band holding 90% of them.")
    return spec


def _gap_template(labels: tuple[str, str], window: tuple[float, float],
                  width: int = 520) -> dict:
    def build() -> dict:
        colors = alt.Scale(domain=list(labels), range=list(SCENARIO_COLORS))
        x = _time_axis(window)
        base = alt.Chart(alt.Data(name="gap"))
        band = base.mark_area(opacity=0.22).encode(
            x=x, y=alt.Y("p05:Q", title="gap, most less least deprived",
                         axis=alt.Axis(format="+%")),
            y2="p95:Q", color=alt.Color("scenario:N", scale=colors))
        line = base.mark_line(strokeWidth=2.2).encode(
            x=x, y="mean:Q", color=alt.Color("scenario:N", scale=colors, legend=alt.Legend(
                title="average and 90% band of the runs", orient="bottom")),
            tooltip=["scenario:N", alt.Tooltip("time:Q", format=".2f"),
                     alt.Tooltip("mean:Q", format="+.1%")])
        zero = alt.Chart(alt.Data(values=[{"zero": 0}])).mark_rule(
            strokeDash=[4, 4], color="#555555").encode(y="zero:Q")
        return template(alt.layer(band, line, zero).properties(width=width, height=200))

    return _TEMPLATES.get(("gap", labels, window, width), build)
