"""What the map shows: the authorities' outlines as SVG paths, their colours and hover text.

The outlines (:mod:`dashboards.boundaries`) are turned into SVG paths once per process (they
never change); each render only sends each authority's colour and its hover text (name, stage
and the five condition scores). London's 33 boroughs are drawn again, enlarged, in an inset.
The Map tab (``tabs/map.vue``) and the map PNG (:func:`dashboards.figures.map_png`) both read
them from here.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from dashboards.boundaries import outlines, project
from dashboards.style import (
    CONDITION_LABELS,
    READINESS,
    SCORES,
    stage_color,
    stage_label,
    stage_legend,
)
from sim.data import load_uk
from sim.vocabulary import APPROACHES, CONDITIONS, PAUSED, STAGES, STATUSES

if TYPE_CHECKING:
    from dashboards.session import Session, Snapshot

UNIT = 0.1                 # SVG units per km: paths are written in 100 m integers
INSET_SCALE = 3.5          # London inset enlargement
INSET_REGION = "London"


@functools.cache
def inset_ids() -> frozenset[str]:
    """The authorities drawn again in the inset (London's boroughs)."""
    authorities = load_uk().authorities
    return frozenset(authorities.loc[authorities["region_name"] == INSET_REGION, "agent_id"])


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
    london = inset_ids()
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


def map_legend() -> list[dict]:
    """Legend entries ``{label, color, faded}``: not started, the six stages, paused, ended."""
    return [{"label": label, "color": color, "faded": faded}
            for label, color, faded in stage_legend()]


def map_colours(snapshot: Snapshot, ids: list[str], approach: str) -> dict[str, list]:
    """``agent_id -> [fill colour, paused]`` of every authority for one approach."""
    a = APPROACHES.index(approach)
    stage, status = snapshot.stage[:, a].tolist(), snapshot.status[:, a].tolist()
    return {agent: [stage_color(stage[i], status[i]), status[i] == PAUSED]
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
            lines.append(f"  {READINESS}: {conditions[SCORES.index(READINESS), i]:.2f}")
        else:
            lines.append("Conditions are computed from the first step on.")
        out[agent] = lines
    return out


def stage_words(snapshot: Snapshot, index: int, approach: str) -> str:
    """The stage of one authority's journey, as the card under the map says it."""
    a = APPROACHES.index(approach)
    return stage_label(int(snapshot.stage[index, a]), STATUSES[int(snapshot.status[index, a])])


def condition_table(snapshot: Snapshot, index: int, approach: str) -> str:
    """One authority's five conditions and readiness as a Markdown table."""
    a = APPROACHES.index(approach)
    rows = "\n".join(f"| {CONDITION_LABELS[name]} | {snapshot.conditions[j, index, a]:.2f} |"
                     for j, name in enumerate(SCORES))
    return "| condition | score (0-1) |\n|---|---|\n" + rows


# -- the "20 runs" map: share of runs at or beyond a stage -----------------------------------------

# Fills for the share of runs, from none (grey) to every run (dark blue), in five steps.
SHARE_COLORS: tuple[str, ...] = ("#e6e6e6", "#c6dbef", "#6baed6", "#2171b5", "#08306b")


def share_bin(share: float) -> int:
    """Which of :data:`SHARE_COLORS` a share of runs takes.

    None, up to a third, up to two thirds, more (but not all), all.
    """
    if share <= 0:
        return 0
    if share >= 1:
        return 4
    return 1 + min(2, int(share * 3 - 1e-9))


def share_legend(runs: int) -> list[dict]:
    """Legend entries ``{label, color, faded}`` of the share-of-runs map."""
    third, two = runs // 3, (2 * runs) // 3
    labels = (f"in none of the {runs} runs", f"in 1 to {third} runs",
              f"in {third + 1} to {two} runs", f"in {two + 1} to {runs - 1} runs",
              f"in all {runs} runs")
    return [{"label": label, "color": color, "faded": False}
            for label, color in zip(labels, SHARE_COLORS, strict=True)]


def share_colours(shares: np.ndarray, ids: list[str]) -> dict[str, list]:
    """``agent_id -> [fill colour, False]`` by the share of runs at or beyond a stage."""
    return {agent: [SHARE_COLORS[share_bin(float(s))], False]
            for agent, s in zip(ids, shares, strict=True)}


def share_text(names: list[str], regions: list[str], ids: list[str], shares: np.ndarray,
               runs: int, approach: str, stage: int) -> dict[str, list[str]]:
    """The hover lines of the share-of-runs map: the authority, and in how many runs."""
    where = f"{STAGES[stage]} or beyond" if stage < len(STAGES) - 1 else STAGES[stage]
    return {agent: [f"{name} ({region})",
                    f"{approach} at {where} in {round(float(s) * runs)} of {runs} runs"]
            for agent, name, region, s in zip(ids, names, regions, shares, strict=True)}
