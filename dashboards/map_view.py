"""The map: the 212 authorities on the simplified boundaries, coloured by stage of one approach.

The outlines are turned into SVG paths once per process (they never change); each render only
sends each authority's colour and its hover text (name, stage and the five condition scores).
Hovering shows that text without a round trip to the server; clicking selects the authority.
London's 33 boroughs are drawn again, enlarged, in an inset.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable

import numpy as np
import solara

from dashboards.boundaries import outlines, project
from dashboards.session import Session, Snapshot
from dashboards.style import (
    CONDITION_LABELS,
    ENDED_COLOR,
    STAGE_COLORS,
    approach_label,
    date_label,
    stage_label,
)
from sim.data import load_uk
from sim.vocabulary import APPROACHES, CONDITIONS, STAGES, STATUSES

UNIT = 0.1                 # SVG units per km: paths are written in 100 m integers
INSET_SCALE = 3.5          # London inset enlargement
INSET_REGION = "London"


def _path(rings: list[np.ndarray], transform: Callable[[np.ndarray], np.ndarray]) -> str:
    """SVG path data of polygon rings, in relative integer moves (compact)."""
    parts = []
    for ring in rings:
        points = np.rint(transform(project(ring)) / UNIT).astype(np.int64)
        keep = np.ones(len(points), bool)
        keep[1:] = np.any(points[1:] != points[:-1], axis=1)
        points = points[keep]
        if len(points) < 3:
            continue
        moves = np.diff(points, axis=0).ravel()
        parts.append(f"M{points[0, 0]} {points[0, 1]}l" + " ".join(map(str, moves)) + "z")
    return "".join(parts)


@functools.cache
def map_geometry() -> dict:
    """SVG paths of every authority and of the London inset, the view box and the inset frame.

    Coordinates are km in a sinusoidal projection about 2 degrees W, y pointing down.
    """
    rings = outlines()
    authorities = load_uk().authorities
    names = dict(zip(authorities["agent_id"], authorities["name"], strict=True))
    london = set(authorities.loc[authorities["region_name"] == INSET_REGION, "agent_id"])
    flip = np.array([1.0, -1.0])
    points = np.concatenate([project(r) for rs in rings.values() for r in rs]) * flip
    low, high = points.min(axis=0), points.max(axis=0)
    inset_points = np.concatenate([project(r) for a in london for r in rings[a]]) * flip
    inset_low, inset_high = inset_points.min(axis=0), inset_points.max(axis=0)
    size = (inset_high - inset_low) * INSET_SCALE
    pad = 8.0
    # top right, over the North Sea: clear of Orkney, Shetland and the east coast
    origin = np.array([high[0] - size[0] - pad, low[1] + 290.0])

    def main(xy: np.ndarray) -> np.ndarray:
        return xy * flip

    def inset(xy: np.ndarray) -> np.ndarray:
        return (xy * flip - inset_low) * INSET_SCALE + origin + pad

    order = sorted(rings)
    margin = 10.0
    box = np.concatenate([low - margin, high - low + 2 * margin]) / UNIT
    frame = np.concatenate([origin, size + 2 * pad]) / UNIT
    return {
        "shapes": [{"id": a, "name": names.get(a, a), "d": _path(rings[a], main)}
                   for a in order],
        "inset": [{"id": a, "name": names.get(a, a), "d": _path(rings[a], inset)}
                  for a in order if a in london],
        "view_box": " ".join(f"{v:.0f}" for v in box),
        "inset_frame": dict(zip(("x", "y", "width", "height"),
                                (round(float(v)) for v in frame), strict=True)),
    }


@functools.cache
def geometry_json() -> str:
    """:func:`map_geometry` as one JSON string, sent once per page.

    A string (rather than nested lists) keeps each render from walking a large structure.
    """
    return json.dumps(map_geometry(), separators=(",", ":"))


@solara.component_vue("map.vue")
def SvgMap(geometry: str, colors: str, tips: str, selected: str, legend: list, title: str,
           event_select: Callable[[str], None] | None = None):
    """The map widget (``map.vue``).

    Args:
        geometry: :func:`geometry_json`.
        colors: JSON ``{agent_id: [fill colour, paused]}``.
        tips: JSON ``{agent_id: [lines shown on hover]}``.
        selected: the chosen authority's code ('' for none), drawn with a black outline.
        legend: ``[{label, color, faded}]``.
        title: the map's accessible name.
        event_select: called with an authority's code when it is clicked.
    """


def legend() -> list[dict]:
    """Legend entries: not started, the six stages, paused (paler) and ended."""
    items = [{"label": name, "color": color, "faded": False}
             for name, color in zip(STAGES, STAGE_COLORS, strict=True)]
    items.append({"label": "paused (paler)", "color": STAGE_COLORS[3], "faded": True})
    items.append({"label": "ended", "color": ENDED_COLOR, "faded": False})
    return items


def colours(snapshot: Snapshot, ids: list[str], approach: str) -> dict[str, list]:
    """``agent_id -> [fill colour, paused]`` of every authority for one approach."""
    a = APPROACHES.index(approach)
    stage, status = snapshot.stage[:, a].tolist(), snapshot.status[:, a].tolist()
    return {agent: [ENDED_COLOR if status[i] == 2 else STAGE_COLORS[stage[i]], status[i] == 1]
            for i, agent in enumerate(ids)}


def hover_text(session: Session, snapshot: Snapshot, approach: str) -> dict[str, list[str]]:
    """The lines shown when hovering over each authority."""
    a = APPROACHES.index(approach)
    ids, names = session.ids, session.names
    conditions = snapshot.conditions[:, :, a]
    started = snapshot.time > session.times[0]
    out = {}
    for i, agent in enumerate(ids):
        status = STATUSES[int(snapshot.status[i, a])]
        lines = [f"{names[i]} ({session.region(i)})",
                 f"{approach}: {stage_label(int(snapshot.stage[i, a]), status)}"]
        if started:
            lines.append("Conditions (0 = poor, 1 = good):")
            lines += [f"  {CONDITION_LABELS[name]}: {conditions[k, i]:.2f}"
                      for k, name in enumerate(CONDITIONS)]
            lines.append(f"  readiness: {conditions[5, i]:.2f}")
        else:
            lines.append("Conditions are computed from the first step on.")
        out[agent] = lines
    return out


@solara.component
def MapView(session: Session, version: int, approach: str, k: int, selected: str,
            on_select: Callable[[str], None]):
    """The map of one approach after step ``k``, with its legend."""
    snapshot = solara.use_memo(lambda: session.snapshot(k), [version, k, id(session)])
    colors = solara.use_memo(lambda: json.dumps(colours(snapshot, session.ids, approach),
                                                separators=(",", ":")), [snapshot, approach])
    tips = solara.use_memo(lambda: json.dumps(hover_text(session, snapshot, approach),
                                              separators=(",", ":")), [snapshot, approach])
    title = f"{approach_label(approach)}: stage of every authority, {date_label(snapshot.time)}"
    solara.Markdown(f"**{title}**")
    SvgMap(geometry=geometry_json(), colors=colors, tips=tips, selected=selected or "",
           legend=legend(), title=title, event_select=on_select)


@solara.component
def MapTab(session: Session, version: solara.Reactive[int], approach: solara.Reactive[str],
           view_k: solara.Reactive[int | None], selected: solara.Reactive[str],
           on_open_journey: Callable[[], None]):
    """The map tab: the map, the approach and time chooser, and the chosen authority."""
    from dashboards.export import map_png

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
    a = APPROACHES.index(approach)
    status = STATUSES[int(snapshot.status[index, a])]
    with solara.Card(title=session.names[index], subtitle=session.region(index),
                     margin=0, classes=["innovate-authority-card"]):
        solara.Markdown(f"**{approach}**: {stage_label(int(snapshot.stage[index, a]), status)} "
                        f"({date_label(snapshot.time)})")
        if k == 0:
            solara.Text("Conditions are computed from the first step on.")
        else:
            rows = "\n".join(
                f"| {CONDITION_LABELS[name]} | {snapshot.conditions[j, index, a]:.2f} |"
                for j, name in enumerate((*CONDITIONS, "readiness")))
            solara.Markdown("| condition | score (0-1) |\n|---|---|\n" + rows)
        solara.Button("Read its journey", on_click=on_open_journey, text=True, color="primary")
