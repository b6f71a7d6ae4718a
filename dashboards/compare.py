"""Compare: two scenarios side by side, each an ensemble of seeds.

Each is shown with its mean and 90% band, and the difference is put in plain words ("under your
scenario TS reaches 25% integrating 3.5 years later").

Both scenarios run the same seeds (common random numbers), so a difference comes from the
scenario, not from luck of the draw.
"""

from __future__ import annotations

import functools
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, replace

import altair as alt
import numpy as np
import pandas as pd
import solara

from dashboards.settings import Settings
from dashboards.style import (
    APPROACH_NAMES,
    SCENARIO_COLORS,
    date_label,
    years_words,
)
from dashboards.vega import Spec, VegaChart, template, with_data
from sim.cache import ProcessCache, config_key
from sim.config import Config, preset_names
from sim.errors import InputError
from sim.model import InnovationModel
from sim.output.metrics import first_time, value_at
from sim.vocabulary import APPROACHES, MEASURES

logger = logging.getLogger(__name__)
BAND = (5.0, 95.0)          # percentiles of the 90% band
MAX_SEEDS = 100


@dataclass(frozen=True)
class Ensemble:
    """One scenario run with several seeds.

    Attributes:
        label: the scenario's name in the page ("your scenario", "historical").
        command: the ``innovate run`` command of seed 0 (the settings in full).
        seeds: the seeds run.
        times: calendar time at the end of each step.
        shares: share of authorities at or beyond each measure, shape
            (seeds, steps, approaches, measures) in :data:`sim.metrics.MEASURES` order.
        dt: step length in years.
        wall_time: seconds spent running.
    """

    label: str
    command: str
    seeds: tuple[int, ...]
    times: np.ndarray
    shares: np.ndarray
    dt: float
    wall_time: float

    def series(self, approach: str, measure: str) -> np.ndarray:
        """Shares of one approach and measure, shape (seeds, steps)."""
        return self.shares[:, :, APPROACHES.index(approach), list(MEASURES).index(measure)]

    def band(self, approach: str, measure: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Mean, 5th and 95th percentile over seeds at every step."""
        values = self.series(approach, measure)
        low, high = np.percentile(values, BAND, axis=0)
        return values.mean(axis=0), low, high


def run_ensemble(settings: Settings, seeds: int | list[int], label: str,
                 progress: Callable[[int, int], None] | None = None) -> Ensemble:
    """Run ``settings`` once per seed (the settings' own seed is ignored).

    ``seeds`` is a count (seeds 0..n-1) or a list. Invalid settings raise
    :class:`sim.errors.InputError` before anything runs.
    """
    import time

    seed_list = list(range(seeds)) if isinstance(seeds, int) else [int(s) for s in seeds]
    if not 1 <= len(seed_list) <= MAX_SEEDS:
        raise InputError(f"seeds: choose from 1 to {MAX_SEEDS} seeds (got {len(seed_list)})")
    config = settings.config()
    started = time.perf_counter()
    shares = []
    times = None
    for k, seed in enumerate(seed_list):
        times, alive, size, _ = run_counts(config, seed)
        uk = alive.sum(axis=1)          # (steps, approaches, stages)
        shares.append(np.stack([uk[..., first:].sum(axis=-1) for first in MEASURES.values()],
                               axis=-1) / size)
        if progress is not None:
            progress(k + 1, len(seed_list))
    command = settings.command_line()
    return Ensemble(label=label, command=command, seeds=tuple(seed_list), times=times,
                    shares=np.array(shares), dt=config.time.dt,
                    wall_time=time.perf_counter() - started)


_RUNS = ProcessCache(400)        # single runs (about 100 KB each)


def run_counts(config: Config, seed: int) -> tuple[np.ndarray, np.ndarray, int, list[str]]:
    """One run of ``config``: what comparisons, effect sentences and handouts count.

    Returns its step-end times, its journeys not ended by step, region, approach and stage,
    its number of authorities and its region names. Kept per process and read-only, so
    everything that needs the same configuration and seed runs it once.
    """
    def build() -> tuple[np.ndarray, np.ndarray, int, list[str]]:
        result = InnovationModel(config=config, seed=seed).run()
        alive = result.region_counts[..., :2].sum(axis=-1, dtype=np.int32)
        alive.flags.writeable = False
        return result.times, alive, result.size, list(result.population.regions)

    return _RUNS.get((config_key(config), seed), build)


def reach_time(ensemble: Ensemble, approach: str, measure: str, threshold: float) -> float:
    """First time the *mean* share reaches ``threshold`` (NaN if not within the window)."""
    mean = ensemble.series(approach, measure).mean(axis=0)
    return first_time(ensemble.times, mean, threshold)


def runs_reaching(ensemble: Ensemble, approach: str, measure: str, threshold: float) -> int:
    """How many seeds reach ``threshold`` within the window."""
    values = ensemble.series(approach, measure)
    return int((values.max(axis=1) >= threshold - 1e-9).sum())


def _pct(value: float) -> str:
    return f"{100 * value:.0f}%"


def difference_sentence(a: Ensemble, b: Ensemble, approach: str, measure: str,
                        threshold: float) -> str:
    """The difference between two scenarios for one approach, in plain words."""
    ta, tb = (reach_time(e, approach, measure, threshold) for e in (a, b))
    what = f"{approach} reaches {_pct(threshold)} {measure}"
    end = date_label(float(a.times[-1]))
    n_a, n_b = (runs_reaching(e, approach, measure, threshold) for e in (a, b))
    runs = (f" ({n_a} of {len(a.seeds)} runs of {a.label} and {n_b} of {len(b.seeds)} runs of "
            f"{b.label} get there by {end}.)")
    if math.isnan(ta) and math.isnan(tb):
        return (f"Under neither scenario does {approach} reach {_pct(threshold)} {measure} on "
                f"average by {end}." + runs)
    if math.isnan(ta):
        return (f"Under {a.label}, {approach} does not reach {_pct(threshold)} {measure} on "
                f"average by {end}; under {b.label} it does by {date_label(tb)}." + runs)
    if math.isnan(tb):
        return (f"Under {a.label}, {what} by {date_label(ta)}; under {b.label} it does not "
                f"on average by {end}." + runs)
    delta = ta - tb
    if abs(delta) < a.dt / 2:
        return (f"Under {a.label}, {what} at the same time as under {b.label} "
                f"({date_label(ta)})." + runs)
    direction = "later" if delta > 0 else "earlier"
    return (f"Under {a.label}, {what} {years_words(delta)} {direction} than under {b.label} "
            f"({date_label(ta)} against {date_label(tb)}, on average over the runs)." + runs)


def share_sentence(a: Ensemble, b: Ensemble, approach: str, measure: str,
                   year: float = 2030.0) -> str:
    """The share at ``year`` under each scenario, with its 90% range."""
    parts = []
    for e in (a, b):
        values = np.array([value_at(e.times, s, year) for s in e.series(approach, measure)])
        if np.isnan(values).all():
            return ""
        low, high = np.percentile(values, BAND)
        parts.append(f"{_pct(values.mean())} under {e.label} (90% of runs {_pct(low)} to "
                     f"{_pct(high)})")
    return f"In {year:.0f}, {approach} {measure}: " + "; ".join(parts) + "."


def summary_frame(a: Ensemble, b: Ensemble) -> pd.DataFrame:
    """Mean and 90% band of every approach and measure over time, both scenarios (long form)."""
    rows = []
    for e in (a, b):
        for approach in APPROACHES:
            for measure in MEASURES:
                mean, low, high = e.band(approach, measure)
                rows.append(pd.DataFrame({
                    "scenario": e.label, "approach": approach, "measure": measure,
                    "time": e.times, "mean": mean, "p05": low, "p95": high,
                    "seeds": len(e.seeds)}))
    return pd.concat(rows, ignore_index=True)


@functools.lru_cache(maxsize=16)
def compare_template(labels: tuple[str, str], measure: str, window: tuple[float, float],
                     width: int = 280) -> dict:
    """Mean lines and 90% bands of both scenarios for each approach.

    Its data sets are ``band_<A>`` and ``threshold``.
    """
    colors = alt.Scale(domain=list(labels), range=list(SCENARIO_COLORS))
    x = alt.X("time:Q", title="year", scale=alt.Scale(domain=list(window), nice=False),
              axis=alt.Axis(format="d"))
    panels = []
    for approach in APPROACHES:
        base = alt.Chart(alt.Data(name=f"band_{approach}"))
        band = base.mark_area(opacity=0.22).encode(
            x=x, y=alt.Y("p05:Q", title=f"share {measure}", axis=alt.Axis(format="%"),
                         scale=alt.Scale(domain=[0, 1])),
            y2="p95:Q", color=alt.Color("scenario:N", scale=colors))
        line = base.mark_line(strokeWidth=2.2).encode(
            x=x, y="mean:Q", color=alt.Color("scenario:N", scale=colors, legend=alt.Legend(
                title="average and 90% band of the runs", orient="bottom")),
            tooltip=["scenario:N", alt.Tooltip("time:Q", format=".2f"),
                     alt.Tooltip("mean:Q", format=".1%"), alt.Tooltip("p05:Q", format=".1%"),
                     alt.Tooltip("p95:Q", format=".1%")])
        rule = alt.Chart(alt.Data(name="threshold")).mark_rule(
            strokeDash=[4, 4], color="#555555").encode(y="threshold:Q")
        panels.append(alt.layer(band, line, rule).properties(
            title=APPROACH_NAMES[approach], width=width, height=220))
    return template(alt.hconcat(*panels).resolve_scale(color="shared"))


def compare_spec(a: Ensemble, b: Ensemble, measure: str, threshold: float) -> dict:
    """The comparison chart for one measure, ready to show."""
    window = (float(a.times[0] - a.dt), float(a.times[-1]))
    spec = compare_template((a.label, b.label), measure, window)
    data = {"threshold": pd.DataFrame({"threshold": [threshold]})}
    for approach in APPROACHES:
        rows = []
        for e in (a, b):
            mean, low, high = e.band(approach, measure)
            rows.append(pd.DataFrame({"scenario": e.label, "time": e.times, "mean": mean,
                                      "p05": low, "p95": high}))
        data[f"band_{approach}"] = pd.concat(rows, ignore_index=True).round(4)
    return with_data(spec, **data)


@solara.component
def CompareTab(settings: Settings):
    """Your scenario (the panel's settings) against another, as ensembles of seeds."""
    other = solara.use_reactive("historical")
    other_extra = solara.use_reactive("")
    seeds = solara.use_reactive(20)
    ensembles = solara.use_reactive(None)
    error = solara.use_reactive(None)
    progress = solara.use_reactive(0.0)

    def work() -> None:
        error.set(None)
        progress.set(0.0)
        n = seeds.value
        try:
            mine = run_ensemble(settings, n, "your scenario",
                                progress=lambda k, total: progress.set(50.0 * k / total))
            theirs_settings = replace(Settings.from_preset(other.value), extra=other_extra.value)
            theirs = run_ensemble(theirs_settings, n, other.value,
                                  progress=lambda k, total: progress.set(50 + 50.0 * k / total))
        except InputError as exc:
            error.set(str(exc))
            return
        except Exception as exc:  # never let a comparison break the page
            logger.exception("comparison failed")
            error.set(f"the comparison failed: {exc}")
            return
        ensembles.set((mine, theirs))

    task = solara.lab.use_task(work, dependencies=None, prefer_threaded=True)
    solara.Markdown(
        "**Compare two scenarios.** *Your scenario* is the one set in the panel on the left; "
        "choose what to compare it with. Each runs with the same seeds (0, 1, 2, ...), so "
        "the difference comes from the scenario, not from chance. Lines are the mean over "
        "the seeds, bands hold 90% of the runs.")
    with solara.Row(style={"flex-wrap": "wrap", "align-items": "center"}):
        solara.Select(label="Compare with", values=preset_names(), value=other.value,
                      on_value=other.set, style={"min-width": "240px"})
        solara.InputText(label="and these settings (KEY=VALUE; ...)", value=other_extra.value,
                         on_value=lambda text: other_extra.set(
                             "\n".join(p.strip() for p in text.split(";"))),
                         continuous_update=False, style={"min-width": "260px"})
        solara.SliderInt(label=f"Seeds: {seeds.value}", value=seeds.value, min=2, max=40,
                         on_value=seeds.set)
        solara.Button("Run comparison", on_click=task, disabled=task.pending, color="primary",
                      classes=["innovate-compare-run"])
    RunStatus(pending=task.pending, progress=progress.value,
              text=f"Running {2 * seeds.value} runs...",
              error=f"Comparison not run: {error.value}" if error.value else None)
    if ensembles.value is not None:
        a, b = ensembles.value
        ComparisonView(a=a, b=b)


@solara.component
def RunStatus(pending: bool, text: str, error: str | None = None, progress: float = 0.0):
    """Progress while runs are under way, and the error if they failed.

    Always one element (a column), so the results drawn after it keep their widgets while a
    new run is under way: a chart destroyed mid-draw makes vega-embed throw in the browser.
    """
    with solara.Column(gap="4px"):
        if pending:
            solara.ProgressLinear(progress or True)
            solara.Text(text)
        if error:
            solara.Error(error)


@solara.component
def ComparisonView(a: Ensemble, b: Ensemble, first_measure: str = "integrating"):
    """Sentences, chart and downloads of a finished comparison."""
    from dashboards.export import compare_png, csv_bytes

    measure = solara.use_reactive(first_measure)
    threshold = solara.use_reactive(25)
    with solara.Row(style={"flex-wrap": "wrap", "align-items": "center"}):
        solara.ToggleButtonsSingle(value=measure.value, values=list(MEASURES),
                                   on_value=measure.set)
        solara.SliderInt(label=f"Threshold: {threshold.value}% of authorities",
                         value=threshold.value, min=5, max=95, step=5, on_value=threshold.set)
    level = threshold.value / 100
    sentences = [difference_sentence(a, b, approach, measure.value, level)
                 for approach in APPROACHES]
    shares = [share_sentence(a, b, approach, measure.value) for approach in APPROACHES]
    solara.Markdown("\n".join(f"- {s}" for s in sentences) + "\n\n" +
                    "\n".join(f"- {s}" for s in shares if s),
                    style={"font-size": "15px"})
    spec = solara.use_memo(lambda: Spec(compare_spec(a, b, measure.value, level)),
                           [a, b, measure.value, level])
    VegaChart(spec=spec)
    solara.Markdown(f"<small>Your scenario: `{a.command}` · {b.label}: `{b.command}` · "
                    f"{len(a.seeds)} seeds each, {a.wall_time + b.wall_time:.1f} s.</small>")
    with solara.Row():
        solara.FileDownload(lambda: compare_png(a, b, measure.value, level),
                            filename="comparison.png", label="Chart (PNG)",
                            mime_type="image/png")
        solara.FileDownload(lambda: csv_bytes(summary_frame(a, b)), filename="comparison.csv",
                            label="Data (CSV)", mime_type="text/csv")
