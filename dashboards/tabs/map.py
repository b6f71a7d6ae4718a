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
    share_colours,
    share_legend,
    share_text,
    stage_words,
)
from dashboards.session import Session
from dashboards.style import approach_label, date_label
from dashboards.tabs.common import RunStatus
from dashboards.uncertainty import ENSEMBLE_RUNS, runs_note, settings_key, stage_runs
from sim.vocabulary import APPROACHES, MOBILISING, ONE_RUN_NOTE, RUN_VIEWS, STAGES


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
    solara.Info(ONE_RUN_NOTE, dense=True, classes=["innovate-one-run"])
    SvgMap(geometry=geometry_json(), colors=colors, tips=tips, selected=selected or "",
           legend=map_legend(), title=title, event_select=on_select)


@solara.component
def MapTab(session: Session, version: solara.Reactive[int], approach: solara.Reactive[str],
           view_k: solara.Reactive[int | None], selected: solara.Reactive[str],
           on_open_journey: Callable[[], None]):
    """The map tab: the map, the approach and time chooser, and the chosen authority."""
    version = version.value
    view = solara.use_reactive("one")
    stage = solara.use_reactive(MOBILISING)
    many = view.value == "many"
    steps = session.total_steps if many else session.steps
    k = session.steps if view_k.value is None else min(view_k.value, steps)

    def set_k(value: int) -> None:
        view_k.set(None if value == session.steps else int(value))

    with solara.Row(style={"align-items": "flex-start", "flex-wrap": "wrap"}):
        with solara.Column(style={"flex": "3 1 520px", "min-width": "420px"}):
            if many:
                RunsMapView(session=session, approach=approach.value, k=k, stage=stage.value,
                            selected=selected.value, on_select=selected.set)
            else:
                MapView(session=session, version=version, approach=approach.value, k=k,
                        selected=selected.value, on_select=selected.set)
        with solara.Column(style={"flex": "1 1 260px", "min-width": "250px"}):
            solara.ToggleButtonsSingle(value=approach.value, values=list(APPROACHES),
                                       on_value=approach.set)
            solara.Text(approach_label(approach.value), style={"font-size": "13px"})
            solara.ToggleButtonsSingle(value=view.value, on_value=view.set,
                                       classes=["innovate-map-runs"],
                                       children=[solara.Button(RUN_VIEWS[key], value=key)
                                                 for key in RUN_VIEWS])
            if many:
                solara.v.Select(label="Colour by the share of runs at or beyond",
                                items=[{"text": name, "value": s} for s, name in
                                       enumerate(STAGES) if s >= MOBILISING],
                                v_model=stage.value, on_v_model=stage.set)
            solara.SliderInt(label=f"Time: {date_label(float(session.times[k]))}", value=k,
                             min=0, max=max(steps, 1), on_value=set_k, disabled=steps == 0)
            solara.Text("The 20 runs cover the whole period: drag to any date." if many else
                        "Drag to look back over the quarters run so far; Step or Play "
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


@solara.component
def RunsMapView(session: Session, approach: str, k: int, stage: int, selected: str,
                on_select: Callable[[str], None]):
    """The "20 runs" map: each authority coloured by the share of runs at or beyond ``stage``.

    The runs (:func:`dashboards.uncertainty.stage_runs`) cover the whole window, so every date
    can be looked at before the single run gets there.
    """
    settings = session.settings
    task = solara.lab.use_task(lambda: stage_runs(settings),
                               dependencies=[settings_key(settings)], prefer_threaded=True)
    RunStatus(pending=task.pending, text=f"Running {ENSEMBLE_RUNS} runs...",
              error=f"The runs failed: {task.error}" if task.error else None)
    runs = task.value if task.finished else None
    shares = solara.use_memo(
        lambda: None if runs is None else runs.share_at_or_beyond(k, approach, stage),
        [runs, k, approach, stage])
    if runs is None or shares is None:
        return
    n = len(runs.seeds)
    colors = json.dumps(share_colours(shares, session.ids), separators=(",", ":"))
    regions = [session.region(i) for i in range(session.size)]
    tips = json.dumps(share_text(session.names, regions, session.ids, shares, n, approach,
                                 stage), separators=(",", ":"))
    when = date_label(float(runs.times[min(k, len(runs.times) - 1)]))
    title = (f"{approach_label(approach)}: in how many of {n} runs each authority is at "
             f"{STAGES[stage]} or beyond, {when}")
    solara.Markdown(f"**{title}**")
    solara.Info(runs_note(n, runs.posterior), dense=True, classes=["innovate-many-runs"])
    SvgMap(geometry=geometry_json(), colors=colors, tips=tips, selected=selected or "",
           legend=share_legend(n), title=title, event_select=on_select)
