"""Export: the results as CSV tables and the charts as PNG images, built when downloaded.

The PNGs are drawn with matplotlib's object API (no pyplot state, so sessions can export at the
same time) from the same tables the page shows.
"""

from __future__ import annotations

import io
from collections.abc import Callable

import numpy as np
import pandas as pd
import solara
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from dashboards.boundaries import outlines, project
from dashboards.compare import Ensemble, summary_frame
from dashboards.journeys import conditions_frame, stage_frame
from dashboards.session import Session
from dashboards.style import (
    APPROACH_NAMES,
    CONDITION_COLORS,
    CONDITION_LABELS,
    ENDED_COLOR,
    SCENARIO_COLORS,
    STAGE_COLORS,
    STATUS_COLORS,
    approach_label,
    date_label,
)
from dashboards.uptake import observed, scope_size
from dashboards.uptake import stage_frame as uptake_frame
from sim.data import ATTRIBUTION, load_uk
from sim.data import ATTRIBUTION as DATA_ATTRIBUTION
from sim.output.results import RunResult
from sim.vocabulary import APPROACHES, STAGES, STATUSES

DPI = 110


# -- CSV ------------------------------------------------------------------------------------


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """A table as UTF-8 CSV without the index."""
    return frame.to_csv(index=False).encode("utf-8")


def events_table(result: RunResult) -> pd.DataFrame:
    """Every transition with the authority's name next to its code."""
    names = dict(zip(result.population.ids.astype(str), result.population.names.astype(str),
                     strict=True))
    events = result.events.copy()
    events.insert(2, "name", events["agent_id"].astype(str).map(names))
    return events


def stages_table(session: Session) -> pd.DataFrame:
    """Stage and status of every authority and approach at every step taken (long form)."""
    times, stage, status = session.stage_history()
    steps, n, width = stage.shape
    idx = np.indices(stage.shape).reshape(3, -1)
    return pd.DataFrame({
        "time": times[idx[0]],
        "agent_id": np.array(session.ids, dtype=object)[idx[1]],
        "name": np.array(session.names, dtype=object)[idx[1]],
        "approach": np.array(APPROACHES, dtype=object)[idx[2]],
        "stage": stage.reshape(-1).astype(int),
        "stage_name": np.array(STAGES, dtype=object)[stage.reshape(-1)],
        "status": np.array(STATUSES, dtype=object)[status.reshape(-1)],
    })


def metrics_table(result: RunResult) -> pd.DataFrame:
    """The summary metrics as name, value."""
    return pd.DataFrame({"metric": list(result.metrics), "value": list(result.metrics.values())})


def tables(session: Session) -> dict[str, Callable[[], bytes]]:
    """``file name -> function giving the CSV bytes`` of every table of the current run."""
    def result() -> RunResult:
        return session.results()

    return {
        "timeseries.csv": lambda: csv_bytes(result().timeseries),
        "events.csv": lambda: csv_bytes(events_table(result())),
        "stages.csv": lambda: csv_bytes(stages_table(session)),
        "agents.csv": lambda: csv_bytes(result().agents),
        "indicators.csv": lambda: csv_bytes(result().indicator_table),
        "metrics.csv": lambda: csv_bytes(metrics_table(result())),
    }


def about_text(session: Session) -> str:
    """How to reproduce the run, and the data attribution."""
    return (f"innovate-sim dashboard export\n\nReproduce this run with:\n"
            f"  {session.settings.command_line()}\n\nSteps taken: {session.steps} of "
            f"{session.total_steps} (to {date_label(session.year)})\n\nIt is a model, not "
            f"evidence.\n\n{DATA_ATTRIBUTION}\n{ATTRIBUTION}\n")


def comparison_table(a: Ensemble, b: Ensemble) -> pd.DataFrame:
    """Mean and 90% band of both scenarios over time (see :func:`compare.summary_frame`)."""
    return summary_frame(a, b)


# -- PNG ------------------------------------------------------------------------------------


def _png(fig: Figure) -> bytes:
    FigureCanvasAgg(fig)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight")
    return buffer.getvalue()


def map_png(session: Session, approach: str, k: int | None = None) -> bytes:
    """The map of one approach after step ``k`` (default now), with a London inset."""
    snapshot = session.snapshot(k)
    a = APPROACHES.index(approach)
    rings = outlines()
    authorities = load_uk().authorities
    london = set(authorities.loc[authorities["region_name"] == "London", "agent_id"])
    polygons, faces, inset_polygons, inset_faces = [], [], [], []
    for i, agent in enumerate(session.ids):
        status = snapshot.status[i, a]
        color = ENDED_COLOR if status == 2 else STAGE_COLORS[int(snapshot.stage[i, a])]
        alpha = 0.45 if status == 1 else 1.0
        for ring in rings.get(agent, []):
            polygons.append(project(ring))
            faces.append((color, alpha))
            if agent in london:
                inset_polygons.append(project(ring))
                inset_faces.append((color, alpha))
    fig = Figure(figsize=(7.5, 10))
    ax = fig.add_axes((0.0, 0.08, 1.0, 0.86))
    ax.add_collection(PolyCollection(polygons, facecolors=[_rgba(c, al) for c, al in faces],
                                     edgecolors="white", linewidths=0.3))
    ax.autoscale_view()
    ax.set_aspect("equal")
    ax.set_axis_off()
    inset = fig.add_axes((0.64, 0.62, 0.34, 0.22))
    inset.add_collection(PolyCollection(inset_polygons, facecolors=[
        _rgba(c, al) for c, al in inset_faces], edgecolors="white", linewidths=0.4))
    inset.autoscale_view()
    inset.set_aspect("equal")
    inset.set_xticks([])
    inset.set_yticks([])
    inset.set_title("London", fontsize=9)
    handles = [Patch(facecolor=c, edgecolor="#999999", label=s)
               for s, c in zip(STAGES, STAGE_COLORS, strict=True)]
    handles += [Patch(facecolor=_rgba(STAGE_COLORS[3], 0.45), edgecolor="#999999",
                      label="paused (paler)"),
                Patch(facecolor=ENDED_COLOR, edgecolor="#999999", label="ended")]
    fig.legend(handles=handles, loc="lower center", ncol=3, fontsize=8, frameon=False,
               bbox_to_anchor=(0.5, 0.0))
    fig.suptitle(f"{approach_label(approach)}, {date_label(snapshot.time)}", fontsize=12)
    fig.text(0.5, -0.02, ATTRIBUTION, ha="center", fontsize=5.5, wrap=True)
    return _png(fig)


def _rgba(color: str, alpha: float) -> tuple[float, float, float, float]:
    from matplotlib.colors import to_rgba
    return to_rgba(color, alpha)


def uptake_png(result: RunResult, scope: str = "UK") -> bytes:
    """Authorities at each stage of each approach over time, with the observed points."""
    frame = uptake_frame(result, scope)
    points = observed(scope)
    size = scope_size(result, scope)
    fig = Figure(figsize=(13, 4.4))
    axes = fig.subplots(1, 3, sharey=True)
    for ax, approach in zip(axes, APPROACHES, strict=True):
        mine = frame[frame["approach"] == approach]
        times = np.sort(mine["time"].unique())
        stacks = [mine[mine["stage"] == s].sort_values("time")["count"].to_numpy()
                  for s in range(6, 0, -1)]
        ax.stackplot(times, *stacks, colors=STAGE_COLORS[6:0:-1], step="pre",
                     labels=STAGES[6:0:-1])
        obs = points[points["approach"] == approach]
        if len(obs):
            ax.errorbar(obs["time"], obs["value"], yerr=[obs["value"] - obs["low"],
                                                         obs["high"] - obs["value"]],
                        fmt="D", color="black", markersize=5, capsize=2, label="observed")
        ax.set_title(approach_label(approach), fontsize=10)
        ax.set_xlim(result.config.time.start, result.config.time.end)
        ax.set_ylim(0, size)
        ax.set_xlabel("year")
    axes[0].set_ylabel(f"authorities ({scope}, {size} in all)")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles[::-1], labels[::-1], loc="lower center", ncol=7, fontsize=8,
               frameon=False, bbox_to_anchor=(0.5, -0.06))
    fig.suptitle(f"Uptake by stage, {scope} (seed {result.seed}, scenario "
                 f"{result.config.name})", fontsize=11)
    return _png(fig)


def journey_png(session: Session, index: int) -> bytes:
    """One authority's stage and five conditions over time, for each approach."""
    stages = stage_frame(session, index)
    conditions = conditions_frame(session, index)
    fig = Figure(figsize=(13, 6))
    axes = fig.subplots(2, 3, sharex=True, gridspec_kw={"height_ratios": [1, 1.6]})
    for col, approach in enumerate(APPROACHES):
        mine = stages[stages["approach"] == approach]
        top = axes[0, col]
        top.step(mine["time"], mine["stage"], where="post", color="#9aa5b1", linewidth=1)
        for status, color in STATUS_COLORS.items():
            dots = mine[mine["status"] == status]
            top.scatter(dots["time"], dots["stage"], s=6, color=color, label=status, zorder=3)
        top.set_ylim(-0.3, 6.3)
        top.set_yticks(range(7), STAGES if col == 0 else [""] * 7, fontsize=7)
        top.set_title(approach_label(approach), fontsize=10)
        bottom = axes[1, col]
        mine = conditions[conditions["approach"] == approach]
        for name, group in mine.groupby("condition", sort=False):
            bottom.plot(group["time"], group["value"], color=CONDITION_COLORS[name],
                        linestyle="--" if name == "readiness" else "-",
                        label=CONDITION_LABELS[name])
        bottom.set_ylim(0, 1.02)
        bottom.set_xlabel("year")
    axes[1, 0].set_ylabel("condition (0-1)")
    handles, labels = axes[1, 0].get_legend_handles_labels()
    dots, words = axes[0, 0].get_legend_handles_labels()
    fig.legend(dots + handles, [f"journey {w}" for w in words] + labels, loc="lower center",
               ncol=5, fontsize=8, frameon=False, bbox_to_anchor=(0.5, -0.07))
    fig.suptitle(f"{session.names[index]}: journeys and conditions", fontsize=11)
    return _png(fig)


def compare_png(a: Ensemble, b: Ensemble, measure: str, threshold: float) -> bytes:
    """Mean and 90% band of both scenarios for one measure, for each approach."""
    fig = Figure(figsize=(13, 4.4))
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
    return _png(fig)


@solara.component
def ExportTab(session: Session, version: solara.Reactive[int], approach: solara.Reactive[str],
              scope: str = "UK"):
    """Every table of the current run as CSV, the charts as PNG, and how to reproduce it."""
    _ = version.value          # re-render after every change of the model
    approach = approach.value
    solara.Markdown(
        f"**The run so far** ({session.steps} of {session.total_steps} quarters, to "
        f"{date_label(session.year)}). Reproduce it exactly from the command line with:")
    solara.Markdown(f"```\n{session.settings.command_line()}\n```")
    descriptions = {
        "timeseries.csv": "journeys by quarter, nation, approach, stage and status",
        "events.csv": "every transition: when, which authority, from and to, and why",
        "stages.csv": "every authority's stage and status of each approach, every quarter",
        "agents.csv": "every authority now: stage, status, readiness, spend and outcome",
        "indicators.csv": "nation means of the five conditions, readiness, spend and outcome",
        "metrics.csv": "summary metrics (years to 10% and 50%, shares in 2030, spend ...)",
    }
    solara.Markdown("**Tables (CSV)**")
    for name, make in tables(session).items():
        with solara.Row(style={"align-items": "center"}):
            solara.FileDownload(make, filename=name, label=name, mime_type="text/csv")
            solara.Text(descriptions.get(name, ""), style={"font-size": "13px"})
    solara.Markdown("**Charts (PNG)**")
    with solara.Row(style={"flex-wrap": "wrap"}):
        solara.FileDownload(lambda: map_png(session, approach), filename=f"map-{approach}.png",
                            label=f"Map of {approach}", mime_type="image/png")
        solara.FileDownload(lambda: uptake_png(session.results(), scope),
                            filename="uptake.png", label="Uptake by stage",
                            mime_type="image/png")
    solara.Text("The Journeys and Compare tabs have their own PNG and CSV buttons.",
                style={"font-size": "13px"})
    solara.FileDownload(lambda: about_text(session).encode("utf-8"), filename="about.txt",
                        label="about.txt (command, attribution)", mime_type="text/plain")
