"""Tables (pandas) of a run, a session or a comparison, shared by the tabs, exports and handouts.

Each function takes a finished run (:class:`sim.output.results.RunResult`), a browser session
(:class:`dashboards.session.Session`) or two ensembles and returns a DataFrame in long form, so
the charts (:mod:`dashboards.charts`), the PNG figures (:mod:`dashboards.figures`), the CSV
downloads and the handouts all read the same numbers. :func:`run_tables` and
:func:`about_text` are what the Export tab offers.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from dashboards.boundaries import ATTRIBUTION as MAP_ATTRIBUTION
from dashboards.style import (
    CONDITION_LABELS,
    KIND_WORDS,
    SCORES,
    date_label,
    points_words,
    quarter_label,
)
from sim.data import ATTRIBUTION, load_uk
from sim.output.markdown import markdown_lines
from sim.output.metrics import measure_counts
from sim.output.plots import observation_kind, observation_y
from sim.output.results import RunResult
from sim.vocabulary import (
    APPROACH_NAMES,
    APPROACHES,
    ENDED,
    MEASURE_PHRASES,
    MEASURES,
    METRIC_PLACES,
    METRIC_WORDS,
    MOBILISING,
    NATIONS,
    NOT_STARTED,
    OBSERVATION_KEYS,
    OBSERVATION_KINDS,
    READABLE_COLUMNS,
    SCOPE_COUNCILS,
    SCOPES,
    STAGES,
    STATUSES,
)

if TYPE_CHECKING:
    from dashboards.ensembles import Ensemble
    from dashboards.session import Session

RUN_TABLES: dict[str, str] = {          # the Export tab's CSV files, and what each holds
    "timeseries.csv": "journeys by quarter, nation, approach, stage and status",
    "events.csv": "every transition: when, which authority, from and to, and why",
    "stages.csv": "every authority's stage and status of each approach, every quarter",
    "agents.csv": "every authority now: stage, status, readiness, spend and outcome",
    "indicators.csv": "nation means of the five conditions, readiness, spend and outcome",
    "metrics.csv": "summary metrics (years to 10% and 50%, shares in 2030, spend ...)",
}


def markdown_table(frame: pd.DataFrame, percent: tuple[str, ...] = (),
                   points: tuple[str, ...] = ()) -> str:
    """A table as Markdown (:func:`sim.output.markdown.markdown_lines`).

    Columns in ``percent`` hold shares (shown as whole percentages), in ``points`` differences
    of shares (signed percentage points).
    """
    def cell(column: str, value) -> str:
        if (column in percent or column in points) and pd.isna(value):
            return "n/a"
        if column in percent:
            return f"{100 * value:.0f}%"
        if column in points:
            return points_words(value)
        return str(value)

    return "\n".join(markdown_lines(frame, cell))


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """A table as UTF-8 CSV without the index."""
    return frame.to_csv(index=False).encode("utf-8")


# -- counts by stage -----------------------------------------------------------------------------

def scope_size(result: RunResult, scope: str) -> int:
    """Number of authorities in a scope (UK, a nation, England and Wales)."""
    nations = [NATIONS.index(n) for n in SCOPES[scope]]
    return int(np.isin(result.population.nation, nations).sum())


def scope_stage_counts(result: RunResult, scope: str = "UK") -> pd.DataFrame:
    """Journeys at each stage 1-6 (not ended) by time and approach, in one scope.

    Columns: time, approach, stage (1-6), stage_name, count; the first rows are the start of
    the run (every journey at its initial stage), so a table can say which quarter a count
    belongs to.
    """
    nations = [NATIONS.index(n) for n in SCOPES[scope]]
    alive = result.counts[:, nations, :, MOBILISING:, :ENDED].sum(axis=(1, 4))
    times = np.concatenate([[result.config.time.start], result.times])
    alive = np.concatenate([np.zeros((1, *alive.shape[1:]), alive.dtype), alive])
    initial = result.config.approaches
    for a, name in enumerate(APPROACHES):          # step 0: every journey at its initial stage
        stage = initial[name].initial_stage
        if stage >= MOBILISING:
            alive[0, a, stage - MOBILISING] = scope_size(result, scope)
    idx = np.indices(alive.shape).reshape(3, -1)
    return pd.DataFrame({
        "time": times[idx[0]],
        "approach": np.array(APPROACHES, dtype=object)[idx[1]],
        "stage": idx[2] + MOBILISING,
        "stage_name": np.array(STAGES[MOBILISING:], dtype=object)[idx[2]],
        "count": alive.reshape(-1).astype(int),
    })


def region_stage_counts(result: RunResult, region: str, approach: str) -> pd.DataFrame:
    """How many of a region's authorities are at each stage (not ended) at every step.

    Columns: time, stage (name), count.
    """
    regions = list(result.population.regions)
    counts = result.region_counts[:, regions.index(region), APPROACHES.index(approach)]
    alive = counts[:, :, :ENDED].sum(axis=2)            # active + paused, by stage
    rows = [pd.DataFrame({"time": result.times, "stage": STAGES[s], "count": alive[:, s]})
            for s in range(MOBILISING, len(STAGES))]
    return pd.concat(rows, ignore_index=True)


def observed_points(scope: str | None = None, named: bool = True) -> pd.DataFrame:
    """The observations (``load_uk().observed``), or one scope's, ready to draw and to read.

    Besides the observation model's columns (kind, value, low, high ...), ``y`` is where the
    marker sits (:func:`sim.output.plots.observation_y`), ``key`` the kind in the chart's key
    (:data:`sim.vocabulary.OBSERVATION_KEYS`) and ``text`` the observation as a sentence
    (:func:`observation_sentence`). ``named=False`` leaves out the observations of one named
    authority's journey (``scope`` an agent_id), which are not counts.
    """
    frame = load_uk().observed.copy()
    if scope is not None:
        frame = frame[frame["scope"] == scope]
    if not named:
        frame = frame[frame["scope"].isin(list(SCOPES))]
    frame = frame.reset_index(drop=True)
    kinds = [observation_kind(k) for k in frame["kind"]]
    return frame.assign(
        y=[observation_y(k, v, lo, hi) for k, v, lo, hi in
           zip(kinds, frame["value"], frame["low"], frame["high"], strict=True)],
        key=[OBSERVATION_KEYS[k] for k in kinds],
        text=[observation_sentence(row) for row in frame.itertuples(index=False)])


def _round(x: float) -> str:
    return f"{x:,.0f}"


def observation_sentence(row: Any) -> str:
    """One observation in plain words, with its source: the chart's text alternative.

    For example 'Published: at least 55 English and Welsh councils engaged with Contextual
    Safeguarding by January 2022 (source: ...)'. The kind's words are those of
    :data:`sim.vocabulary.OBSERVATION_KINDS`; a seeded input says it is not a target.
    ``row`` has the attributes kind, value, low, high, approach, measure, scope, time, source.
    """
    kind = observation_kind(str(row.kind))
    word = OBSERVATION_KINDS[kind]
    y = observation_y(kind, row.value, row.low, row.high)
    if row.scope not in SCOPES:
        return _authority_sentence(row, kind, y)
    if kind == "band":
        amount, many = f"{word} {_round(row.low)} and {_round(row.high)}", True
    else:
        amount, many = f"{word} {_round(y)}", round(y) != 1
    one, several = SCOPE_COUNCILS[row.scope]
    what = (f"{several if many else one} {MEASURE_PHRASES[row.measure]} "
            f"{APPROACH_NAMES[row.approach]} by {date_label(float(row.time))}")
    return _said(kind, f"{_round(y) if kind == 'input' else amount} {what}", row.source)


def _authority_sentence(row: Any, kind: str, y: float) -> str:
    """An observation of one named authority's journey (1 at or beyond the stage, 0 not)."""
    names = dict(zip(load_uk().authorities["agent_id"], load_uk().authorities["name"],
                     strict=True))
    name = names.get(row.scope, row.scope)
    what = (f"{name} {'' if y >= 0.5 else 'not yet '}{MEASURE_PHRASES[row.measure]} "
            f"{APPROACH_NAMES[row.approach]} by {date_label(float(row.time))}")
    return _said(kind, what, row.source)


def _said(kind: str, what: str, source: str) -> str:
    """An observation's sentence: seeded input, assumption or published figure, with source."""
    if kind == "input":
        return (f"A {OBSERVATION_KINDS[kind]} input, not a target: {what} (the model is set up "
                f"to match it; source: {source})")
    said = "Assumed, as no count is published" if _assumed(source) else "Published"
    return f"{said}: {what} (source: {source})"


def _assumed(source: str) -> bool:
    """Whether a source says its numbers are an assumption, not a published count."""
    return str(source).lower().startswith("no count")


def simulated_record(result: RunResult) -> pd.DataFrame:
    """The simulated value of every observed series (approach, measure, scope) over time."""
    rows = []
    times = result.times
    for (approach, measure, scope), _ in observed_points(named=False).groupby(
            ["approach", "measure", "scope"], sort=False):
        series = measure_counts(result.counts, measure, scope)[:, APPROACHES.index(approach)]
        rows.append(pd.DataFrame({"time": times, "approach": approach, "count": series,
                                  "series": f"{measure}, {scope}"}))
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(
        columns=["time", "approach", "count", "series"])


# -- one authority -------------------------------------------------------------------------------

def journey_events(result: RunResult, agent_id: str, approach: str) -> pd.DataFrame:
    """Every event of one journey, in time order."""
    events = result.events
    mine = events[(events["agent_id"] == agent_id) & (events["approach"] == approach)]
    return mine.sort_values("time", kind="stable").reset_index(drop=True)


def story(result: RunResult, agent_id: str, approach: str, dt: float = 0.25) -> pd.DataFrame:
    """Every transition of one journey: when (quarter), what happened, from and to, and why.

    Columns: time (end of the quarter), when, what, from_stage, to_stage, reason.
    """
    mine = journey_events(result, agent_id, approach)
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


def stories_table(stories: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The stories of several approaches (``approach -> story``) in one table."""
    return pd.concat([frame.assign(approach=approach) for approach, frame in stories.items()])


def authority_stages(session: Session, index: int) -> pd.DataFrame:
    """One authority's stage and status of each approach over the steps taken.

    Columns: time, approach, stage, stage_name, status.
    """
    times, stage, status, _ = session.history(index)
    rows = []
    for a, approach in enumerate(APPROACHES):
        rows.append(pd.DataFrame({
            "time": times, "approach": approach, "stage": stage[:, a].astype(int),
            "stage_name": [STAGES[s] for s in stage[:, a]],
            "status": np.array(STATUSES, dtype=object)[status[:, a]]}))
    return pd.concat(rows, ignore_index=True)


def authority_conditions(session: Session, index: int) -> pd.DataFrame:
    """One authority's five conditions, readiness and stage over the steps taken (long form).

    Conditions are computed from the first step on, so step 0 (the start) is left out.

    Columns: time, approach, condition, label, value, stage.
    """
    times, stage, _, conditions = session.history(index)
    if len(times) > 1:          # conditions exist from the first step on
        times, stage, conditions = times[1:], stage[1:], conditions[1:]
    steps = len(times)
    idx = np.indices((steps, len(SCORES), len(APPROACHES))).reshape(3, -1)
    return pd.DataFrame({
        "time": times[idx[0]],
        "approach": np.array(APPROACHES, dtype=object)[idx[2]],
        "condition": np.array(SCORES, dtype=object)[idx[1]],
        "label": np.array([CONDITION_LABELS[c] for c in SCORES], dtype=object)[idx[1]],
        "value": conditions[idx[0], idx[1], idx[2]].astype(float).round(4),
        "stage": stage[idx[0], idx[2]].astype(int),
    })


def stage_paths(results: dict[str, RunResult], agent_id: str, approach: str,
                window: tuple[float, float]) -> pd.DataFrame:
    """One journey's stage over time in several runs (``label -> run``), from its events.

    Columns: time, stage, run; every path starts not started and is held to the window's end.
    """
    start, end = window
    paths = []
    for label, result in results.items():
        events = journey_events(result, agent_id, approach)
        paths.append(pd.DataFrame({"time": np.r_[start, events["time"].to_numpy(float)],
                                   "stage": np.r_[NOT_STARTED, events["to_stage"].to_numpy(int)]}
                                  ).assign(run=label))
    runs = pd.concat(paths)
    return pd.concat([runs, runs.groupby("run").tail(1).assign(time=end)])


def authority_choices(ids: list[str], names: list[str]) -> list[dict[str, str]]:
    """Authorities as a picker's items, ``{"text": name, "value": code}``, sorted by name."""
    return sorted(({"text": name, "value": agent} for agent, name in zip(ids, names,
                                                                          strict=True)),
                  key=lambda item: item["text"])


# -- what the Export tab offers ------------------------------------------------------------------

def events_table(result: RunResult) -> pd.DataFrame:
    """Every transition with the authority's name next to its code."""
    names = dict(zip(result.population.ids.astype(str), result.population.names.astype(str),
                     strict=True))
    events = result.events.copy()
    events.insert(2, "name", events["agent_id"].astype(str).map(names))
    return events


def stages_table(session: Session) -> pd.DataFrame:
    """Stage and status of every authority and approach at every step taken (long form)."""
    times, stage, status = session.stage_history()
    idx = np.indices(stage.shape).reshape(3, -1)
    return pd.DataFrame({
        "time": times[idx[0]],
        "agent_id": np.array(session.ids, dtype=object)[idx[1]],
        "name": np.array(session.names, dtype=object)[idx[1]],
        "approach": np.array(APPROACHES, dtype=object)[idx[2]],
        "stage": stage.reshape(-1).astype(int),
        "stage_name": np.array(STAGES, dtype=object)[stage.reshape(-1)],
        "status": np.array(STATUSES, dtype=object)[status.reshape(-1)],
    })


def metric_values(result: RunResult) -> pd.DataFrame:
    """The run's summary metrics as a two-column table: metric, value."""
    return pd.DataFrame({"metric": list(result.metrics), "value": list(result.metrics.values())})


def metric_words(metric: str) -> str:
    """A summary metric's name in words: what is counted, and where.

    'CS.year_engaged_25pct' -> 'When 25% of UK authorities were engaged with Contextual
    Safeguarding'; 'patterns.CS_engaged_EW_2017' -> 'Authorities in England and Wales engaged
    with Contextual Safeguarding, 2017 (simulated)'. A name it does not know is returned as is.
    """
    head, _, tail = metric.partition(".")
    if head in APPROACH_NAMES:
        name = APPROACH_NAMES[head]
        found = re.fullmatch(r"(year_(?:engaged|integrated))_(\d+)pct", tail)
        if found:
            return METRIC_WORDS[found[1]].format(name=name, pct=found[2])
        if tail in METRIC_WORDS:
            return METRIC_WORDS[tail].format(name=name)
    found = re.fullmatch(r"([A-Z]+)_(engaged|implementing|integrating)_([A-Za-z]+)_(\d{4})",
                         tail)
    if head == "patterns" and found and found[1] in APPROACH_NAMES:
        approach, measure, place, year = found.groups()
        where = (f"in {METRIC_PLACES[place]}" if place in METRIC_PLACES else place)
        who = "Authorities " + where if place in METRIC_PLACES else where
        return (f"{who} {MEASURE_PHRASES[measure]} {APPROACH_NAMES[approach]}, {year} "
                "(simulated)")
    return metric


def _readable_value(metric: str, value: float) -> Any:
    """A metric's value rounded for reading: a year as a month, a share in %, else 1 decimal."""
    if value is None or not np.isfinite(value):
        return "not reached"
    if re.search(r"\.year_(engaged|integrated)_", metric):
        return date_label(float(value))
    if metric.endswith("share_integrated_2030"):
        return round(100 * float(value), 1)
    return round(float(value), 2 if abs(value) < 1 else 1)


def readable_metrics(result: RunResult) -> pd.DataFrame:
    """The summary metrics for reading: what each counts, in words, and its rounded value."""
    return pd.DataFrame({
        "What is measured": [metric_words(m) for m in result.metrics],
        "Value": [_readable_value(m, v) for m, v in result.metrics.items()]})


def readable(frame: pd.DataFrame) -> pd.DataFrame:
    """A table for reading: column names in words, times as months, numbers rounded.

    Columns named in :data:`sim.vocabulary.READABLE_COLUMNS` are renamed (an approach's own
    columns, ``CS_spend_gbp``, read 'CS spend (£)'); ``time`` becomes a month ('April 2018');
    numbers are rounded to 1 decimal, or 2 for scores between 0 and 1.
    """
    out = frame.copy()
    if "time" in out:
        out["time"] = [date_label(float(t)) for t in out["time"]]
    for column in out.columns:
        values = out[column]
        if values.dtype.kind == "f":
            small = bool(values.abs().max() <= 1) if len(values) else False
            out[column] = values.round(2 if small else 1)
    names = {}
    for column in out.columns:
        approach, _, rest = str(column).partition("_")
        if column in READABLE_COLUMNS:
            names[column] = READABLE_COLUMNS[column]
        elif approach in APPROACH_NAMES and rest in READABLE_COLUMNS:
            names[column] = f"{approach} {READABLE_COLUMNS[rest].lower()}"
        elif approach in APPROACH_NAMES and rest == "stage_name":
            names[column] = f"{approach} stage"
        elif approach in APPROACH_NAMES and rest in ("stage", "status", "outcome"):
            names[column] = f"{approach} {rest}" + (" number" if rest == "stage" else "")
    return out.rename(columns=names)


def readable_tables(session: Session) -> dict[str, Callable[[], bytes]]:
    """The Export tab's tables for reading (:func:`readable`): ``file name -> CSV bytes``."""
    def result() -> RunResult:
        return session.results()

    makers: dict[str, Callable[[], bytes]] = {
        "timeseries.csv": lambda: csv_bytes(readable(result().timeseries)),
        "events.csv": lambda: csv_bytes(readable(events_table(result()))),
        "stages.csv": lambda: csv_bytes(readable(stages_table(session))),
        "agents.csv": lambda: csv_bytes(readable(result().agents)),
        "indicators.csv": lambda: csv_bytes(readable(result().indicator_table)),
        "metrics.csv": lambda: csv_bytes(readable_metrics(result())),
    }
    return {name.replace(".csv", "-readable.csv"): makers[name] for name in RUN_TABLES}


def run_tables(session: Session) -> dict[str, Callable[[], bytes]]:
    """``file name -> function giving the CSV bytes`` of every table of :data:`RUN_TABLES`."""
    def result() -> RunResult:
        return session.results()

    makers: dict[str, Callable[[], bytes]] = {
        "timeseries.csv": lambda: csv_bytes(result().timeseries),
        "events.csv": lambda: csv_bytes(events_table(result())),
        "stages.csv": lambda: csv_bytes(stages_table(session)),
        "agents.csv": lambda: csv_bytes(result().agents),
        "indicators.csv": lambda: csv_bytes(result().indicator_table),
        "metrics.csv": lambda: csv_bytes(metric_values(result())),
    }
    return {name: makers[name] for name in RUN_TABLES}


def about_text(session: Session) -> str:
    """How to reproduce the run, and the data attribution."""
    return (f"innovate-sim dashboard export\n\nReproduce this run with:\n"
            f"  {session.settings.command_line()}\n\nSteps taken: {session.steps} of "
            f"{session.total_steps} (to {date_label(session.year)})\n\nIt is a model, not "
            f"evidence.\n\n{ATTRIBUTION}\n{MAP_ATTRIBUTION}\n")


def comparison_table(a: Ensemble, b: Ensemble) -> pd.DataFrame:
    """Mean and 90% band of every approach and measure over time, both scenarios (long form).

    Columns: scenario, approach, measure, time, mean, p05, p95 (the band), seeds.
    """
    rows = []
    for e in (a, b):
        for approach in APPROACHES:
            for measure in MEASURES:
                mean, low, high = e.band(approach, measure)
                rows.append(pd.DataFrame({
                    "scenario": e.label, "approach": approach, "measure": measure,
                    "time": e.times, "mean": mean, "p05": low, "p95": high,
                    "seeds": len(e.seeds)}))
    return pd.concat(rows, ignore_index=True)
