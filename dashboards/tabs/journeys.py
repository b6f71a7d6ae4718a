"""The Journeys tab: one authority's story for each approach, and its five conditions over time.

The story lists every transition with its date and its reason in plain words.
"""

from __future__ import annotations

import solara

from dashboards.charts import journey_spec
from dashboards.figures import journey_png
from dashboards.frames import authority_choices, csv_bytes, stories_table, story, story_lines
from dashboards.record import record_markdown, recorded_lines
from dashboards.session import Session
from dashboards.style import approach_label, date_label
from dashboards.tabs.common import Spec, VegaChart
from sim.vocabulary import APPROACHES


@solara.component
def JourneysTab(session: Session, version: solara.Reactive[int],
                selected: solara.Reactive[str]):
    """Pick an authority and read its story for each approach, with its conditions over time."""
    items = solara.use_memo(lambda: authority_choices(session.ids, session.names),
                            [id(session)])
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
    result = solara.use_memo(session.results, [version, id(session)])
    spec = solara.use_memo(lambda: Spec(journey_spec(session, index)),
                           [version, index, id(session)])
    agent = session.ids[index]
    solara.Markdown(f"## {session.names[index]} ({session.region(index)}), to "
                    f"{date_label(session.year)}")
    stories = {a: story(result, agent, a, session.config.time.dt) for a in APPROACHES}
    with solara.Row(style={"align-items": "flex-start", "flex-wrap": "wrap"}):
        for approach in APPROACHES:
            with solara.Column(style={"flex": "1 1 300px", "min-width": "280px"}):
                with solara.Card(title=approach_label(approach), margin=0,
                                 classes=["innovate-story"],
                                 style={"max-height": "330px", "overflow-y": "auto"}):
                    record = recorded_lines(session.config, agent, approach)
                    if record:
                        solara.Markdown(record_markdown(record))
                    lines = story_lines(stories[approach])
                    if not lines:
                        solara.Text("No transitions yet: not started.")
                    else:
                        solara.Markdown(("**This run**\n\n" if record else "")
                                        + "\n".join(f"- {line}" for line in lines))
    solara.Markdown("**Stage and the five conditions over time** (0 = poor, 1 = good; the dashed "
                    "line is readiness, all five combined, which drives progress).")
    VegaChart(spec=spec)
    with solara.Row():
        solara.FileDownload(lambda: journey_png(session, index), filename=f"journey-{agent}.png",
                            label="Chart (PNG)", mime_type="image/png")
        solara.FileDownload(lambda: csv_bytes(stories_table(stories)),
                            filename=f"journey-{agent}.csv", label="Story (CSV)",
                            mime_type="text/csv")
