"""The Uptake tab: how many authorities are at each stage of CS, TIP and TS, with the record.

Stages are stacked from Wider system change at the bottom to Mobilising at the top, so the top
of the stack is the number *engaged*, the top of the Developing band the number *implementing*
and the top of the Integrating band the number *integrating*: the observed historical points
(``sim/data/observed_patterns.csv``) sit directly against the line they describe.
"""

from __future__ import annotations

import solara

from dashboards.charts import record_spec, uptake_spec
from dashboards.figures import uptake_png
from dashboards.frames import csv_bytes, scope_stage_counts
from dashboards.session import Session
from dashboards.tabs.common import Spec, VegaChart
from sim.vocabulary import SCOPES


@solara.component
def UptakeTab(session: Session, version: solara.Reactive[int]):
    """Counts by stage over time for CS, TIP and TS, with the observed historical points."""
    version = version.value
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
        solara.Select(label="Area", values=list(SCOPES), value=scope.value,
                      on_value=scope.set, style={"max-width": "260px"})
        solara.FileDownload(lambda: uptake_png(result, scope.value),
                            filename=f"uptake-{scope.value.replace(' ', '-')}.png",
                            label="Chart (PNG)", mime_type="image/png")
        solara.FileDownload(lambda: csv_bytes(scope_stage_counts(result, scope.value)),
                            filename=f"uptake-{scope.value.replace(' ', '-')}.csv",
                            label="Data (CSV)", mime_type="text/csv")
    VegaChart(spec=spec)
    solara.Markdown(
        "**Against the record.** Each observed point (diamond, with its range) next to the "
        "simulated number for the same measure and area. Points marked *prior* in "
        "`observed_patterns.csv` are guesses where no count is published.")
    VegaChart(spec=record)
