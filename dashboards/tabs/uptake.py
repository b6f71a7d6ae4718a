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

from dashboards.charts import record_spec, uptake_spec
from dashboards.figures import uptake_png
from dashboards.frames import csv_bytes, observed_points, scope_stage_counts
from dashboards.session import Session
from dashboards.tabs.common import Spec, VegaChart
from sim.vocabulary import OBSERVATION_KEYS, OBSERVATION_KINDS, SCOPES

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
