"""The Map tab: the 212 authorities coloured by stage of one approach, and the chosen one's card.

The map is drawn by ``map.vue`` (beside this module) from :mod:`dashboards.map_data`: hovering
shows an authority's stage and conditions without a round trip to the server; clicking selects
it.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import solara

from dashboards.figures import map_png
from dashboards.map_data import (
    condition_table,
    geometry_json,
    hover_text,
    map_colours,
    map_legend,
    stage_words,
)
from dashboards.session import Session
from dashboards.style import approach_label, date_label
from sim.vocabulary import APPROACHES


@solara.component_vue("map.vue")
def SvgMap(geometry: str, colors: str, tips: str, selected: str, legend: list, title: str,
           event_select: Callable[[str], None] | None = None):
    """The map widget (``map.vue``).

    Args:
        geometry: :func:`dashboards.map_data.geometry_json`.
        colors: JSON ``{agent_id: [fill colour, paused]}``.
        tips: JSON ``{agent_id: [lines shown on hover]}``.
        selected: the chosen authority's code ('' for none), drawn with a black outline.
        legend: ``[{label, color, faded}]``.
        title: the map's accessible name.
        event_select: called with an authority's code when it is clicked.
    """


@solara.component
def MapView(session: Session, version: int, approach: str, k: int, selected: str,
            on_select: Callable[[str], None]):
    """The map of one approach after step ``k``, with its legend."""
    snapshot = solara.use_memo(lambda: session.snapshot(k), [version, k, id(session)])
    colors = solara.use_memo(lambda: json.dumps(map_colours(snapshot, session.ids, approach),
                                                separators=(",", ":")), [snapshot, approach])
    tips = solara.use_memo(lambda: json.dumps(hover_text(session, snapshot, approach),
                                              separators=(",", ":")), [snapshot, approach])
    title = f"{approach_label(approach)}: stage of every authority, {date_label(snapshot.time)}"
    solara.Markdown(f"**{title}**")
    SvgMap(geometry=geometry_json(), colors=colors, tips=tips, selected=selected or "",
           legend=map_legend(), title=title, event_select=on_select)


@solara.component
def MapTab(session: Session, version: solara.Reactive[int], approach: solara.Reactive[str],
           view_k: solara.Reactive[int | None], selected: solara.Reactive[str],
           on_open_journey: Callable[[], None]):
    """The map tab: the map, the approach and time chooser, and the chosen authority."""
    version = version.value
    steps = session.steps
    k = steps if view_k.value is None else min(view_k.value, steps)

    def set_k(value: int) -> None:
        view_k.set(None if value >= session.steps else int(value))

    with solara.Row(style={"align-items": "flex-start", "flex-wrap": "wrap"}):
        with solara.Column(style={"flex": "3 1 520px", "min-width": "420px"}):
            MapView(session=session, version=version, approach=approach.value, k=k,
                    selected=selected.value, on_select=selected.set)
        with solara.Column(style={"flex": "1 1 260px", "min-width": "250px"}):
            solara.ToggleButtonsSingle(value=approach.value, values=list(APPROACHES),
                                       on_value=approach.set)
            solara.Text(approach_label(approach.value), style={"font-size": "13px"})
            solara.SliderInt(label=f"Time: {date_label(float(session.times[k]))}", value=k,
                             min=0, max=max(steps, 1), on_value=set_k, disabled=steps == 0)
            solara.Text("Drag to look back over the quarters run so far; Step or Play "
                        "follows the latest.", style={"font-size": "12.5px",
                                                       "color": "#55606b"})
            AuthorityCard(session=session, version=version, approach=approach.value, k=k,
                          agent_id=selected.value, on_open_journey=on_open_journey)
            solara.FileDownload(lambda: map_png(session, approach.value, k),
                                filename=f"map-{approach.value}-{session.times[k]:.2f}.png",
                                label="Download this map (PNG)", mime_type="image/png")


@solara.component
def AuthorityCard(session: Session, version: int, approach: str, k: int, agent_id: str,
                  on_open_journey: Callable[[], None]):
    """Name, stage and the five condition scores of the chosen authority."""
    index = session.index_of(agent_id) if agent_id else -1
    if index < 0:
        solara.Info("Hover over an authority to see its stage and conditions; click it to "
                    "choose it.", dense=True)
        return
    snapshot = session.snapshot(k)
    with solara.Card(title=session.names[index], subtitle=session.region(index),
                     margin=0, classes=["innovate-authority-card"]):
        solara.Markdown(f"**{approach}**: {stage_words(snapshot, index, approach)} "
                        f"({date_label(snapshot.time)})")
        if k == 0:
            solara.Text("Conditions are computed from the first step on.")
        else:
            solara.Markdown(condition_table(snapshot, index, approach))
        solara.Button("Read its journey", on_click=on_open_journey, text=True, color="primary")
