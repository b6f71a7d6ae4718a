"""PNG figures (matplotlib): the charts the page offers for download, and the handouts' charts.

Matplotlib comes from :func:`sim.output.plots.pyplot` (drawing off screen). Every figure is a
``Figure`` object of its own, never registered with pyplot's global state, so sessions can draw
at the same time; it is drawn from the same tables the page shows (:mod:`dashboards.frames`).
The download PNGs (``*_png``) are wide, at :data:`EXPORT_DPI`; the handout charts
(``handout_*_png``) are sized in millimetres for an A4 page, at :data:`HANDOUT_DPI`, and carry
no metadata, so their bytes depend only on the chart.
"""

from __future__ import annotations

import io
import textwrap
from typing import TYPE_CHECKING, Any

import numpy as np

from dashboards.boundaries import ATTRIBUTION as MAP_ATTRIBUTION
from dashboards.boundaries import outlines, project
from dashboards.frames import (
    authority_conditions,
    authority_stages,
    observed_points,
    region_stage_counts,
    scope_size,
    scope_stage_counts,
)
from dashboards.map_data import inset_ids, map_colours
from dashboards.style import (
    CONDITION_COLORS,
    CONDITION_LABELS,
    PAUSED_OPACITY,
    READINESS,
    SCENARIO_COLORS,
    SCORES,
    STAGE_COLORS,
    STATUS_COLORS,
    approach_label,
    date_label,
    stage_legend,
)
from sim.data import ATTRIBUTION
from sim.output.plots import draw_observations, observation_handles, pyplot
from sim.output.results import RunResult
from sim.vocabulary import (
    APPROACH_NAMES,
    APPROACHES,
    COMPARISON_CAVEATS,
    MOBILISING,
    STAGES,
    STATUSES,
    WIDER,
)

if TYPE_CHECKING:
    from dashboards.ensembles import Ensemble
    from dashboards.session import Session

EXPORT_DPI = 110
HANDOUT_DPI = 200
MM = 1 / 25.4                       # inches per millimetre
INK = "#1a1a1a"


def png_bytes(figure: Any, **savefig: Any) -> bytes:
    """A figure as PNG bytes (``savefig`` options: dpi, bbox_inches, metadata ...)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", **savefig)
    return buffer.getvalue()


def _export_png(figure: Any) -> bytes:
    return png_bytes(figure, dpi=EXPORT_DPI, bbox_inches="tight")


# -- what the page offers for download -----------------------------------------------------------

def map_png(session: Session, approach: str, k: int | None = None) -> bytes:
    """The map of one approach after step ``k`` (default now), with a London inset."""
    plt = pyplot()
    from matplotlib.collections import PolyCollection  # not re-exported by pyplot

    snapshot = session.snapshot(k)
    colours = map_colours(snapshot, session.ids, approach)
    rings = outlines()
    london = inset_ids()
    polygons, faces, inset_polygons, inset_faces = [], [], [], []
    for agent in session.ids:
        colour, paused = colours[agent]
        face = (colour, PAUSED_OPACITY if paused else 1.0)
        for ring in rings.get(agent, []):
            polygons.append(project(ring))
            faces.append(face)
            if agent in london:
                inset_polygons.append(project(ring))
                inset_faces.append(face)
    fig = plt.Figure(figsize=(7.5, 10))
    ax = fig.add_axes((0.0, 0.08, 1.0, 0.86))
    ax.add_collection(PolyCollection(polygons, facecolors=faces, edgecolors="white",
                                     linewidths=0.3))
    ax.autoscale_view()
    ax.set_aspect("equal")
    ax.set_axis_off()
    inset = fig.add_axes((0.64, 0.62, 0.34, 0.22))
    inset.add_collection(PolyCollection(inset_polygons, facecolors=inset_faces,
                                        edgecolors="white", linewidths=0.4))
    inset.autoscale_view()
    inset.set_aspect("equal")
    inset.set_xticks([])
    inset.set_yticks([])
    inset.set_title("London", fontsize=9)
    handles = [plt.Rectangle((0, 0), 1, 1, facecolor=(colour, PAUSED_OPACITY if faded else 1.0),
                             edgecolor="#999999", label=label)
               for label, colour, faded in stage_legend()]
    fig.legend(handles=handles, loc="lower center", ncol=3, fontsize=8, frameon=False,
               bbox_to_anchor=(0.5, 0.0))
    fig.suptitle(f"{approach_label(approach)}, {date_label(snapshot.time)}", fontsize=12)
    fig.text(0.5, -0.02, MAP_ATTRIBUTION, ha="center", fontsize=5.5, wrap=True)
    return _export_png(fig)


def uptake_png(result: RunResult, scope: str = "UK") -> bytes:
    """Authorities at each stage of each approach over time, with the scope's observations.

    The observations are drawn as their kinds say (:func:`sim.output.plots.draw_observations`),
    with one legend entry per kind present.
    """
    frame = scope_stage_counts(result, scope)
    points = observed_points(scope)
    size = scope_size(result, scope)
    downwards = range(WIDER, MOBILISING - 1, -1)      # Wider system change at the bottom
    fig = pyplot().Figure(figsize=(13, 4.4))
    axes = fig.subplots(1, 3, sharey=True)
    kinds: list[str] = []
    for ax, approach in zip(axes, APPROACHES, strict=True):
        mine = frame[frame["approach"] == approach]
        times = np.sort(mine["time"].unique())
        stacks = [mine[mine["stage"] == s].sort_values("time")["count"].to_numpy()
                  for s in downwards]
        ax.stackplot(times, *stacks, colors=[STAGE_COLORS[s] for s in downwards], step="pre",
                     labels=[STAGES[s] for s in downwards])
        kinds += draw_observations(ax, points[points["approach"] == approach], color=INK)
        ax.set_title(approach_label(approach), fontsize=10)
        ax.set_xlim(result.config.time.start, result.config.time.end)
        ax.set_ylim(0, size)
        ax.set_xlabel("year")
    axes[0].set_ylabel(f"authorities ({scope}, {size} in all)")
    handles, labels = axes[0].get_legend_handles_labels()
    marks = observation_handles(kinds, color=INK)
    fig.legend(handles[::-1] + marks, labels[::-1] + [m.get_label() for m in marks],
               loc="lower center", ncol=6, fontsize=8, frameon=False,
               bbox_to_anchor=(0.5, -0.11 if marks else -0.06))
    fig.suptitle(f"Uptake by stage, {scope} (seed {result.seed}, scenario "
                 f"{result.config.name})", fontsize=11)
    return _export_png(fig)


def journey_png(session: Session, index: int) -> bytes:
    """One authority's stage and five conditions over time, for each approach."""
    stages = authority_stages(session, index)
    conditions = authority_conditions(session, index)
    fig = pyplot().Figure(figsize=(13, 6))
    axes = fig.subplots(2, 3, sharex=True, gridspec_kw={"height_ratios": [1, 1.6]})
    for col, approach in enumerate(APPROACHES):
        mine = stages[stages["approach"] == approach]
        top = axes[0, col]
        top.step(mine["time"], mine["stage"], where="post", color="#9aa5b1", linewidth=1)
        for status, color in STATUS_COLORS.items():
            dots = mine[mine["status"] == status]
            top.scatter(dots["time"], dots["stage"], s=6, color=color, label=status, zorder=3)
        top.set_ylim(-0.3, 6.3)
        top.set_yticks(range(len(STAGES)), STAGES if col == 0 else [""] * len(STAGES),
                       fontsize=7)
        top.set_title(approach_label(approach), fontsize=10)
        bottom = axes[1, col]
        mine = conditions[conditions["approach"] == approach]
        for name, group in mine.groupby("condition", sort=False):
            bottom.plot(group["time"], group["value"], color=CONDITION_COLORS[name],
                        linestyle="--" if name == READINESS else "-",
                        label=CONDITION_LABELS[name])
        bottom.set_ylim(0, 1.02)
        bottom.set_xlabel("year")
    axes[1, 0].set_ylabel("condition (0-1)")
    handles, labels = axes[1, 0].get_legend_handles_labels()
    dots, words = axes[0, 0].get_legend_handles_labels()
    fig.legend(dots + handles, [f"journey {w}" for w in words] + labels, loc="lower center",
               ncol=5, fontsize=8, frameon=False, bbox_to_anchor=(0.5, -0.07))
    fig.suptitle(f"{session.names[index]}: journeys and conditions", fontsize=11)
    return _export_png(fig)


def compare_png(a: Ensemble, b: Ensemble, measure: str, threshold: float) -> bytes:
    """Mean and 90% band of both scenarios for one measure, for each approach."""
    fig = pyplot().Figure(figsize=(13, 4.4))
    axes = fig.subplots(1, 3, sharey=True)
    for ax, approach in zip(axes, APPROACHES, strict=True):
        for e, color in zip((a, b), SCENARIO_COLORS, strict=True):
            mean, low, high = e.band(approach, measure)
            ax.fill_between(e.times, low, high, color=color, alpha=0.2, linewidth=0)
            ax.plot(e.times, mean, color=color, label=f"{e.label} ({len(e.seeds)} seeds)")
        ax.axhline(threshold, color="#555555", linestyle="--", linewidth=0.8)
        ax.set_title(APPROACH_NAMES[approach], fontsize=10)
        ax.set_ylim(0, 1)
        ax.yaxis.set_major_formatter(lambda v, _: f"{100 * v:.0f}%")
        ax.set_xlabel("year")
    axes[0].set_ylabel(f"share {measure}")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=2, fontsize=9, frameon=False,
               bbox_to_anchor=(0.5, -0.06))
    fig.suptitle(f"Share of authorities {measure}: mean and 90% band", fontsize=11)
    return _export_png(fig)


# -- the decision summary ------------------------------------------------------------------------

A4 = (8.27, 11.69)                  # inches, portrait


def _text_block(fig: Any, y: float, text: str, size: float, width: int,
                **style: Any) -> float:
    """Write ``text`` wrapped to ``width`` characters from ``y`` down; the y below it."""
    lines = textwrap.wrap(text, width) or [""]
    fig.text(0.07, y, "\n".join(lines), fontsize=size, va="top", ha="left", color=INK,
             linespacing=1.3, **style)
    return y - len(lines) * size * 1.3 / 72 / A4[1] - 0.007


def decision_summary(a: Ensemble, b: Ensemble, words: tuple[str, str], headline: str,
                     details: list[str], measure: str, threshold: float, link: str,
                     fmt: str = "png") -> bytes:
    """One A4 page of a comparison, as PNG or PDF bytes (``fmt`` "png" or "pdf").

    The scenarios in words, the headline, the chart with its bands, the other paired answers,
    the caveats, the link that reproduces it and the sources.
    """
    fig = pyplot().Figure(figsize=A4)
    y = 0.965
    y = _text_block(fig, y, f"Decision summary: {a.label} against {b.label}", 15, 70,
                    weight="bold")
    for e, said in zip((a, b), words, strict=True):
        y = _text_block(fig, y, f"{e.label[0].upper()}{e.label[1:]}: {said}.", 9.5, 110)
    y = _text_block(fig, y - 0.006, headline, 11.5, 74, weight="bold")
    height = 0.17
    width = 0.86 / 3
    bottom = y - height - 0.035
    for k, approach in enumerate(APPROACHES):
        ax = fig.add_axes((0.07 + k * width + 0.01, bottom, width - 0.035, height))
        for e, color in zip((a, b), SCENARIO_COLORS, strict=True):
            mean, low, high = e.band(approach, measure)
            ax.fill_between(e.times, low, high, color=color, alpha=0.2, linewidth=0)
            ax.plot(e.times, mean, color=color, linewidth=1.2,
                    label=f"{e.label}: average and 90% of runs")
        ax.axhline(threshold, color="#555555", linestyle="--", linewidth=0.8)
        ax.set_title(APPROACH_NAMES[approach], fontsize=9)
        ax.set_ylim(0, 1)
        ax.yaxis.set_major_formatter(lambda v, _: f"{100 * v:.0f}%")
        ax.tick_params(labelsize=7)
        if k:
            ax.set_yticklabels([])
        else:
            ax.set_ylabel(f"share of authorities {measure}", fontsize=8)
    handles, labels = fig.axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="upper left", ncol=2, fontsize=8, frameon=False,
               bbox_to_anchor=(0.06, bottom - 0.02))
    y = bottom - 0.06
    y = _text_block(fig, y, f"The dashed line is {100 * threshold:.0f}% of authorities. "
                    f"{len(a.seeds)} paired runs of each scenario, with the same seeds.", 8.5,
                    120, style="italic")
    for sentence in details:
        y = _text_block(fig, y, f"- {sentence}", 8, 128)
    y = _text_block(fig, y - 0.006, "What this is and is not", 10, 90, weight="bold")
    for caveat in COMPARISON_CAVEATS:
        y = _text_block(fig, y, f"- {caveat}", 8, 128)
    y = _text_block(fig, y - 0.006, "Reproduce it", 10, 90, weight="bold")
    y = _text_block(fig, y, f"Open this address: {link}", 8, 100, family="monospace")
    for e in (a, b):
        y = _text_block(fig, y, f"{e.label}, first run: {e.command}", 7, 115,
                        family="monospace")
    _text_block(fig, max(y, 0.06), f"Sources: {ATTRIBUTION}", 7, 140)
    buffer = io.BytesIO()
    fig.savefig(buffer, format=fmt, dpi=EXPORT_DPI if fmt == "png" else None,
                metadata={"Software": None} if fmt == "png" else {"Creator": None,
                                                                  "Producer": None,
                                                                  "CreationDate": None})
    return buffer.getvalue()

# -- the handouts' charts ------------------------------------------------------------------------

def _handout_figure(width_mm: float, height_mm: float) -> tuple[Any, Any]:
    figure = pyplot().Figure(figsize=(width_mm * MM, height_mm * MM), dpi=HANDOUT_DPI)
    axes = figure.add_subplot()
    axes.tick_params(labelsize=6.5, length=2, pad=1.5, colors=INK)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    return figure, axes


def _handout_png(figure: Any) -> bytes:
    return png_bytes(figure, metadata={"Software": None})


def handout_journey_png(session: Session, index: int, approach: str, width_mm: float = 74,
                        height_mm: float = 46) -> bytes:
    """An authority's stage over time, dots coloured by active, paused or ended."""
    a = APPROACHES.index(approach)
    times, stage, status, _ = session.history(index)
    figure, axes = _handout_figure(width_mm, height_mm)
    axes.step(times, stage[:, a], where="post", color="#9aa5b1", linewidth=0.9)
    for code, name in enumerate(STATUSES):
        mask = status[:, a] == code
        axes.scatter(times[mask], stage[mask, a], s=5, color=STATUS_COLORS[name], label=name,
                     zorder=3, linewidths=0)
    axes.set_yticks(range(len(STAGES)), [name.replace("system ", "system\n")
                                         for name in STAGES])
    axes.set_ylim(-0.4, len(STAGES) - 0.6)
    axes.set_xlim(times[0], times[-1])
    axes.legend(fontsize=6, frameon=False, loc="lower left", bbox_to_anchor=(0, 1.0), ncols=3,
                handletextpad=0.1, columnspacing=0.8, borderaxespad=0.1, markerscale=1.6)
    axes.grid(axis="y", color="#eeeeee", linewidth=0.5)
    figure.subplots_adjust(left=0.27, right=0.97, top=0.9, bottom=0.1)
    return _handout_png(figure)


def handout_conditions_png(session: Session, index: int, approach: str, width_mm: float = 84,
                           height_mm: float = 41) -> bytes:
    """An authority's five conditions and readiness (dashed) over time."""
    a = APPROACHES.index(approach)
    times, _, _, conditions = session.history(index)
    figure, axes = _handout_figure(width_mm, height_mm)
    for c, key in enumerate(SCORES):
        axes.plot(times[1:], conditions[1:, c, a], color=CONDITION_COLORS[key],
                  linewidth=1.4 if key == READINESS else 0.9,
                  linestyle="--" if key == READINESS else "-",
                  label=READINESS if key == READINESS else CONDITION_LABELS[key])
    axes.set_ylim(0, 1)
    axes.set_xlim(times[1], times[-1])
    axes.set_ylabel("0 poor, 1 good", fontsize=6.5, labelpad=1)
    axes.legend(fontsize=5.8, frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.12),
                ncols=3, handlelength=1.6, columnspacing=0.8, borderaxespad=0)
    figure.subplots_adjust(left=0.09, right=0.99, top=0.97, bottom=0.32)
    return _handout_png(figure)


def handout_region_png(result: RunResult, region: str, approach: str, size: int,
                       width_mm: float = 84, height_mm: float = 46) -> bytes:
    """How many of a region's ``size`` authorities are at each stage over time (stacked)."""
    frame = region_stage_counts(result, region, approach)
    names = list(STAGES[MOBILISING:])
    wide = frame.pivot(index="time", columns="stage", values="count")[names]
    figure, axes = _handout_figure(width_mm, height_mm)
    axes.stackplot(wide.index.to_numpy(float), wide.to_numpy(float).T, labels=names,
                   colors=STAGE_COLORS[MOBILISING:], linewidth=0)
    axes.set_xlim(wide.index[0], wide.index[-1])
    axes.set_ylim(0, size)
    axes.yaxis.set_major_locator(pyplot().MaxNLocator(integer=True))
    axes.set_ylabel("authorities", fontsize=6.5, labelpad=1)
    axes.legend(fontsize=5.8, frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.1),
                ncols=3, handlelength=1.2, columnspacing=0.8, borderaxespad=0)
    figure.subplots_adjust(left=0.1, right=0.98, top=0.97, bottom=0.28)
    return _handout_png(figure)


def handout_shares_png(ensembles: list[Ensemble], approach: str, measure: str,
                       start: float | None = None, width_mm: float = 96,
                       height_mm: float = 30) -> bytes:
    """The UK's share at ``measure`` over time in each ensemble: mean, and 90% of runs shaded.

    The first ensemble is drawn grey (as it is); ``start`` (a dotted line) is when the changes
    start.
    """
    colours = ["#555555", *SCENARIO_COLORS[::-1], *STAGE_COLORS[3:]]
    figure, axes = _handout_figure(width_mm, height_mm)
    for ensemble, colour in zip(ensembles, colours, strict=False):
        mean, low, high = ensemble.band(approach, measure)
        axes.fill_between(ensemble.times, 100 * low, 100 * high, color=colour, alpha=0.14,
                          linewidth=0)
        axes.plot(ensemble.times, 100 * mean, color=colour, linewidth=1.1,
                  label=ensemble.label)
    if start is not None:
        axes.axvline(start, color="#999999", linewidth=0.7, linestyle=":")
    axes.set_xlim(ensembles[0].times[0], ensembles[0].times[-1])
    axes.set_ylim(0, None)
    axes.set_ylabel("% of authorities", fontsize=6.5, labelpad=1)
    axes.legend(fontsize=6, frameon=False, loc="upper left", handlelength=1.6,
                borderaxespad=0.2)
    figure.subplots_adjust(left=0.09, right=0.98, top=0.97, bottom=0.1)
    return _handout_png(figure)
