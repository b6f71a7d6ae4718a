"""The Uptake tab: how many authorities are at each stage of CS, TIP and TS, with the record.

Stages are stacked from Wider system change at the bottom to Mobilising at the top, so the top
of the stack is the number *engaged*, the top of the Developing band the number *implementing*
and the top of the Integrating band the number *integrating*: the published record
(``load_uk().observed``) sits directly against the line it describes, each observation drawn as
its kind says (at least, at most, between, a count, or a seeded input), with its sentence
(:func:`dashboards.frames.observation_sentence`) as the tooltip and listed under the chart.
"""

from __future__ import annotations

import solara

from dashboards.charts import record_spec, uptake_band_spec, uptake_spec
from dashboards.figures import uptake_png
from dashboards.frames import csv_bytes, observed_points, scope_stage_counts
from dashboards.session import Session
from dashboards.tabs.common import RunStatus, Spec, VegaChart
from dashboards.uncertainty import (
    ENSEMBLE_RUNS,
    band_table,
    runs_note,
    settings_key,
    uptake_ensemble,
)
from sim.vocabulary import (
    APPROACH_NAMES,
    APPROACHES,
    MEASURE_COUNTED,
    OBSERVATION_KEYS,
    OBSERVATION_KINDS,
    ONE_RUN_NOTE,
    RUN_VIEWS,
    SCOPES,
)

# The key to the record's marks, in plain words (the charts' key says the same).
RECORD_KEY = (f"▲ **{OBSERVATION_KINDS['lower']}** a number (arrow up), ▼ "
              f"**{OBSERVATION_KINDS['upper']}** a number (arrow down), a bar with caps "
              f"**{OBSERVATION_KINDS['band']}** two numbers, ● a {OBSERVATION_KEYS['point']}; a "
              f"grey ◆ is a **{OBSERVATION_KINDS['input']}** input: where the model is set up to "
              f"start, not a target it has to meet.")


def record_lines(scope: str | None = None) -> str:
    """The record (of one scope) as a Markdown list of sentences: the charts' text alternative."""
    texts = observed_points(scope)["text"]
    if not len(texts):
        areas = [a for a in SCOPES if a in set(observed_points()["scope"])]
        return (f"Nothing is published for this area ({scope}); the record covers "
                f"{', '.join(areas)}.")
    return "\n".join(f"- {text}" for text in texts)


@solara.component
def UptakeTab(session: Session, version: solara.Reactive[int]):
    """Counts by stage over time for CS, TIP and TS, with the record drawn by its kinds."""
    version = version.value
    scope = solara.use_reactive("UK")
    result = solara.use_memo(session.results, [version, id(session)])
    spec = solara.use_memo(lambda: Spec(uptake_spec(result, scope.value)),
                           [result, scope.value])
    record = solara.use_memo(lambda: Spec(record_spec(result)), [result])
    view = solara.use_reactive("one")
    solara.ToggleButtonsSingle(value=view.value, on_value=view.set,
                               classes=["innovate-uptake-runs"],
                               children=[solara.Button(RUN_VIEWS[k], value=k)
                                         for k in RUN_VIEWS])
    if view.value == "many":
        UptakeRuns(session=session)
        return
    solara.Info(ONE_RUN_NOTE, dense=True, classes=["innovate-one-run"])
    solara.Markdown(
        "**How many authorities are at each stage.** Stages stack from *Wider system change* "
        "(bottom) to *Mobilising* (top): the top of the stack is the number engaged, the top of "
        "the *Developing* band the number implementing, the top of the *Integrating* band the "
        "number integrating. Journeys that ended are not counted. The marks are what was "
        "published for the chosen area: " + RECORD_KEY)
    with solara.Row(style={"align-items": "center"}):
        solara.Select(label="Area", values=list(SCOPES), value=scope.value,
                      on_value=scope.set, style={"max-width": "260px"})
        solara.FileDownload(lambda: uptake_png(result, scope.value),
                            filename=f"uptake-{scope.value.replace(' ', '-')}.png",
                            label="Chart (PNG)", mime_type="image/png")
        solara.FileDownload(lambda: csv_bytes(scope_stage_counts(result, scope.value)),
                            filename=f"uptake-{scope.value.replace(' ', '-')}.csv",
                            label="Data (CSV)", mime_type="text/csv")
    VegaChart(spec=spec)
    with solara.Details(summary="The record for this area, in words"):
        solara.Markdown(record_lines(scope.value))
    solara.Markdown(
        "**Against the record.** Every published number next to the simulated number for the "
        "same measure and area, in the same colour. A few are assumptions where no count is "
        "published: their sentence says so.")
    VegaChart(spec=record)
    with solara.Details(summary="The whole record, in words"):
        solara.Markdown(record_lines())


def band_lines(bands, size: int, year: float) -> str:
    """The "20 runs" chart at ``year``, in words (its text alternative), one line a measure.

    ``bands`` is :func:`dashboards.uncertainty.band_table`; the step nearest ``year`` is read.
    """
    k = int(abs(bands["time"].drop_duplicates().to_numpy() - year).argmin())
    lines = []
    for approach in APPROACHES:
        for measure, counted in MEASURE_COUNTED.items():
            rows = bands[(bands["approach"] == approach) & (bands["measure"] == measure)]
            row = rows.iloc[k]
            what = counted.format(approach=APPROACH_NAMES[approach])
            lines.append(f"- {row['time']:.0f}: {what}: {row['median']:.0f} in the middle run, "
                         f"{row['low']:.0f} to {row['high']:.0f} in 90% of runs (of {size}).")
    return "\n".join(lines)


@solara.component
def UptakeRuns(session: Session):
    """The "20 runs" view: the middle run and the 90% band of each measure, across the UK."""
    settings = session.settings

    def work():
        return uptake_ensemble(settings)

    task = solara.lab.use_task(work, dependencies=[settings_key(settings)],
                               prefer_threaded=True)
    RunStatus(pending=task.pending, text=f"Running {ENSEMBLE_RUNS} runs...",
              error=f"The runs failed: {task.error}" if task.error else None)
    ensemble = task.value if task.finished else None
    size = session.size
    spec = solara.use_memo(
        lambda: None if ensemble is None else Spec(uptake_band_spec(
            band_table(ensemble, size), size,
            (float(ensemble.times[0] - ensemble.dt), float(ensemble.times[-1])))),
        [ensemble, size])
    if ensemble is None or spec is None:
        return
    solara.Info(runs_note(len(ensemble.seeds), ensemble.posterior), dense=True,
                classes=["innovate-many-runs"])
    solara.Markdown(
        f"**How many authorities across the UK (all {size}) are engaged, implementing and "
        "integrating, over "
        f"{len(ensemble.seeds)} runs.** The line is the middle run at each date (the median); "
        "the band holds 90% of the runs (from the 5% to the 95% quantile). Journeys that "
        "ended are not counted.")
    VegaChart(spec=spec)
    bands = band_table(ensemble, size)
    with solara.Details(summary="The chart in words, 2030"):
        solara.Markdown(band_lines(bands, size, 2030.0))
    solara.FileDownload(lambda: csv_bytes(bands.round(1)), filename="uptake-20-runs.csv",
                        label="Data (CSV)", mime_type="text/csv")
