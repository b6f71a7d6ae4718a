"""Figures: the one way to get matplotlib drawing off screen, and a run's adoption chart."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.io import write_figure
from sim.output.metrics import measure_counts
from sim.vocabulary import APPROACH_NAMES, APPROACHES

if TYPE_CHECKING:
    from sim.output.results import RunResult


def pyplot() -> Any:
    """``matplotlib.pyplot`` on the Agg back end (no screen), for every figure the project draws."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def adoption_figure(result: RunResult):
    """A figure with one panel per approach: UK engaged and integrating counts over time.

    On a run of the real authorities, each observed pattern (ODD 1.2) is drawn as a point
    with its range, beside the simulated count for the same scope and measure.
    """
    plt = pyplot()
    times = result.times
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.6), sharex=True, constrained_layout=True)
    engaged = measure_counts(result.counts, "engaged")
    integrating = measure_counts(result.counts, "integrating")
    observed = result.observed
    for a, (name, ax) in enumerate(zip(APPROACHES, axes, strict=True)):
        ax.plot(times, engaged[:, a], color="C0", lw=2, label="engaged (UK)")
        ax.plot(times, integrating[:, a], color="C2", lw=2, ls="--",
                label="integrating or beyond (UK)")
        if observed is not None:
            rows = observed[observed["approach"] == name]
            for k, ((measure, scope), group) in enumerate(rows.groupby(["measure", "scope"])):
                colour = f"C{3 + k}"
                series = measure_counts(result.counts, measure, scope)[:, a]
                ax.plot(times, series, color=colour, lw=1, ls=":",
                        label=f"{measure} ({scope}), simulated")
                ax.errorbar(group["time"], group["value"],
                            yerr=[group["value"] - group["low"], group["high"] - group["value"]],
                            fmt="o" if (group["kind"] == "count").all() else "s",
                            mfc="white" if (group["kind"] == "prior").any() else colour,
                            color=colour, capsize=3,
                            label=f"{measure} ({scope}), "
                                  f"{'prior' if (group['kind'] == 'prior').any() else 'observed'}")
        ax.set_title(APPROACH_NAMES[name])
        ax.set_xlabel("year")
        ax.set_ylim(0, result.size * 1.02)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="upper left")
    axes[0].set_ylabel("authorities")
    fig.suptitle(f"Scenario '{result.config.name}', seed {result.seed}: a model, not evidence",
                 fontsize=11)
    return fig


def save_adoption_png(result: RunResult, path: Path) -> None:
    """Write the adoption chart as a PNG."""
    write_figure(path, adoption_figure(result))
