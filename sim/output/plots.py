"""Figures: matplotlib off screen, a run's adoption chart, and how observations are drawn.

:func:`draw_observations` is the one way every matplotlib figure draws the observation model
(``load_uk().observed``: counts, bands, one-sided bounds and seeded inputs).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from sim.io import write_figure
from sim.output.metrics import measure_counts
from sim.vocabulary import (
    APPROACH_NAMES,
    APPROACHES,
    OBSERVATION_KEYS,
    OBSERVATION_KINDS,
    SCOPES,
)

if TYPE_CHECKING:
    from sim.output.results import RunResult

# The marker of each kind of observation: a count is a filled circle, a band a hollow square on
# a bar with caps, a lower bound a triangle pointing up (with an arrow up: "at least"), an upper
# bound a triangle pointing down (arrow down: "at most"), a seeded input a grey diamond.
OBSERVATION_MARKERS: dict[str, str] = {"point": "o", "band": "s", "lower": "^", "upper": "v",
                                       "input": "D"}
INPUT_COLOR = "#8c8c8c"         # seeded inputs are drawn grey: they are not targets
ARROW_POINTS = 16               # length of a bound's arrow, in points


def pyplot() -> Any:
    """``matplotlib.pyplot`` on the Agg back end (no screen), for every figure the project draws."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def observation_kind(kind: str) -> str:
    """The kind an observation is drawn as: its own, or ``point`` for any other word.

    A calibration on synthetic data marks its exact values ``synthetic``: they draw as counts.
    """
    return kind if kind in OBSERVATION_KINDS else "point"


def observation_y(kind: str, value: float, low: float, high: float) -> float:
    """Where an observation's marker sits: the bound of a one-sided kind, else the value.

    ``low`` for a lower bound, ``high`` for an upper bound, ``value`` otherwise (and whenever
    that end is missing or infinite).
    """
    kind = observation_kind(kind)
    y = low if kind == "lower" else high if kind == "upper" else value
    return float(y) if y is not None and math.isfinite(y) else float(value)


def draw_observations(ax: Any, observed_rows: pd.DataFrame, *, color: str,
                      x: Sequence[float] | None = None) -> list[str]:
    """Draw observations (rows of ``load_uk().observed``) on ``ax``, each as its kind says.

    ``observed_rows`` needs the columns kind, value, low and high, and time unless ``x`` gives
    the horizontal positions. A ``point`` is a filled circle at its value; a ``band`` a bar with
    caps from low to high with a hollow square at the value; a ``lower`` bound a triangle up at
    ``low`` with an arrow up (at least); an ``upper`` bound a triangle down at ``high`` with an
    arrow down (at most); an ``input`` a grey diamond at its value (a seeded input, never a
    target). Each marker's artist has the gid ``observation:<kind>``; nothing is labelled for
    the legend: :func:`observation_handles` gives one entry per kind drawn.

    Returns the kinds drawn, in the order of :data:`sim.vocabulary.OBSERVATION_KINDS`.
    """
    xs = list(observed_rows["time"] if x is None else x)
    drawn = set()
    for t, row in zip(xs, observed_rows.itertuples(index=False), strict=True):
        kind = observation_kind(str(row.kind))
        value, low, high = float(row.value), float(row.low), float(row.high)
        y = observation_y(kind, value, low, high)
        marker = OBSERVATION_MARKERS[kind]
        gid = f"observation:{kind}"
        if kind == "band" and math.isfinite(low) and math.isfinite(high):
            bars = ax.errorbar([t], [value], yerr=[[value - low], [high - value]], fmt=marker,
                               ms=5, mfc="white", mec=color, mew=1.4, color=color, capsize=4,
                               elinewidth=1.4, zorder=4)
            bars.lines[0].set_gid(gid)
        elif kind == "input":
            ax.plot([t], [y], ls="none", marker=marker, ms=6, color=INPUT_COLOR,
                    mec="#4d4d4d", zorder=4, gid=gid)
        else:
            ax.plot([t], [y], ls="none", marker=marker, ms=7 if kind != "point" else 6,
                    color=color, mfc="white" if kind == "band" else color, zorder=4, gid=gid)
            if kind in ("lower", "upper"):
                up = ARROW_POINTS if kind == "lower" else -ARROW_POINTS
                ax.annotate("", xy=(t, y), xytext=(0, up), textcoords="offset points",
                            arrowprops={"arrowstyle": "<-", "color": color, "lw": 1.3,
                                        "shrinkA": 0, "shrinkB": 4})
        drawn.add(kind)
    return [k for k in OBSERVATION_KINDS if k in drawn]


def observation_handles(kinds: Iterable[str], color: str = "black") -> list[Any]:
    """One legend entry per kind (in :data:`OBSERVATION_KINDS` order), in plain words.

    The words are :data:`sim.vocabulary.OBSERVATION_KEYS`; the markers those of
    :func:`draw_observations` (a band's entry is a bar with caps and a hollow square).
    """
    from matplotlib.collections import LineCollection
    from matplotlib.container import ErrorbarContainer
    from matplotlib.lines import Line2D

    wanted = {observation_kind(k) for k in kinds}
    handles = []
    for kind in (k for k in OBSERVATION_KINDS if k in wanted):
        label, marker = OBSERVATION_KEYS[kind], OBSERVATION_MARKERS[kind]
        if kind == "band":
            line = Line2D([], [], ls="none", marker=marker, ms=5, mfc="white", mec=color,
                          mew=1.4, color=color)
            caps = tuple(Line2D([], [], ls="none", marker="_", ms=8, color=color)
                         for _ in range(2))
            handles.append(ErrorbarContainer((line, caps, (LineCollection([], colors=color),)),
                                             has_yerr=True, label=label))
        elif kind == "input":
            handles.append(Line2D([], [], ls="none", marker=marker, ms=6, color=INPUT_COLOR,
                                  mec="#4d4d4d", label=label))
        else:
            handles.append(Line2D([], [], ls="none", marker=marker, ms=6, color=color,
                                  label=label))
    return handles


def adoption_figure(result: RunResult):
    """A figure with one panel per approach: UK engaged and integrating counts over time.

    On a run of the real authorities, each observed count (ODD 1.2) is drawn by
    :func:`draw_observations` in the colour of the simulated count for the same scope and
    measure, with one legend entry per kind of observation. Observations of one named
    authority's journey (``scope`` an agent_id) are not counts, so they are not drawn here.
    """
    plt = pyplot()
    times = result.times
    fig, axes = plt.subplots(1, 3, figsize=(15, 6), sharex=True, constrained_layout=True)
    engaged = measure_counts(result.counts, "engaged")
    integrating = measure_counts(result.counts, "integrating")
    observed = result.observed
    for a, (name, ax) in enumerate(zip(APPROACHES, axes, strict=True)):
        ax.plot(times, engaged[:, a], color="C0", lw=2, label="engaged (UK)")
        ax.plot(times, integrating[:, a], color="C2", lw=2, ls="--",
                label="integrating or beyond (UK)")
        kinds: list[str] = []
        if observed is not None:
            rows = observed[(observed["approach"] == name)
                            & observed["scope"].isin(list(SCOPES))]   # counts, not one journey
            for k, ((measure, scope), group) in enumerate(rows.groupby(["measure", "scope"])):
                colour = f"C{3 + k}"
                series = measure_counts(result.counts, measure, scope)[:, a]
                ax.plot(times, series, color=colour, lw=1, ls=":",
                        label=f"{measure} ({scope}), simulated")
                kinds += draw_observations(ax, group, color=colour)
        ax.set_title(APPROACH_NAMES[name])
        ax.set_xlabel("year")
        ax.set_ylim(0, result.size * 1.02)
        ax.grid(alpha=0.3)
        lines, _ = ax.get_legend_handles_labels()
        ax.legend(handles=lines + observation_handles(kinds, color="#333333"), fontsize=7,
                  loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2, frameon=False)
    axes[0].set_ylabel("authorities")
    fig.suptitle(f"Scenario '{result.config.name}', seed {result.seed}: a model, not evidence",
                 fontsize=11)
    return fig


def save_adoption_png(result: RunResult, path: Path) -> None:
    """Write the adoption chart as a PNG."""
    write_figure(path, adoption_figure(result))
