"""The Compare tab: your scenario against another, each an ensemble of seeds.

The runs, the sentences and the chart come from :mod:`dashboards.ensembles`,
:mod:`dashboards.charts` and :mod:`dashboards.figures`; Teach mode shows its comparisons with
:func:`ComparisonView` too.
"""

from __future__ import annotations

import logging
from dataclasses import replace

import solara

from dashboards.charts import compare_spec
from dashboards.ensembles import (
    Ensemble,
    comparison_sentences,
    posterior_sentence,
    preset_posterior,
    scenario_pair,
)
from dashboards.figures import compare_png
from dashboards.frames import comparison_table, csv_bytes
from dashboards.settings import DEFAULT_PRESET, Settings, extra_lines, preset_items
from dashboards.tabs.common import RunStatus, Spec, VegaChart
from sim.config import preset_names
from sim.errors import InputError
from sim.vocabulary import MEASURES

logger = logging.getLogger(__name__)


@solara.component
def CompareTab(settings: Settings):
    """Your scenario (the panel's settings) against another, as ensembles of seeds."""
    other = solara.use_reactive(DEFAULT_PRESET)
    other_extra = solara.use_reactive("")
    seeds = solara.use_reactive(20)
    ensembles = solara.use_reactive(None)
    error = solara.use_reactive(None)
    progress = solara.use_reactive(0.0)

    def work() -> None:
        error.set(None)
        progress.set(0.0)
        try:
            theirs = replace(Settings.from_preset(other.value), extra=other_extra.value)
            posteriors = (preset_posterior(settings.preset), preset_posterior(other.value))
            pair = scenario_pair(settings, theirs, seeds.value, other.value,
                                 progress=progress.set, posteriors=posteriors)
        except InputError as exc:
            error.set(str(exc))
            return
        except Exception as exc:  # never let a comparison break the page
            logger.exception("comparison failed")
            error.set(f"the comparison failed: {exc}")
            return
        ensembles.set(pair)

    task = solara.lab.use_task(work, dependencies=None, prefer_threaded=True)
    solara.Markdown(
        "**Compare two scenarios.** *Your scenario* is the one set in the panel on the left; "
        "choose what to compare it with. Each runs with the same seeds (0, 1, 2, ...), so "
        "the difference comes from the scenario, not from chance. Lines are the mean over "
        "the seeds, bands hold 90% of the runs. A calibrated preset (one with a posterior "
        "beside it), and a scenario built on it, draws its parameters from the calibration's "
        "posterior, one draw per seed.")
    with solara.Row(style={"flex-wrap": "wrap", "align-items": "center"}):
        solara.v.Select(label="Compare with", items=preset_items(preset_names()),
                        v_model=other.value, on_v_model=other.set, style_="min-width: 240px")
        solara.InputText(label="and these settings (KEY=VALUE; ...)", value=other_extra.value,
                         on_value=lambda text: other_extra.set(extra_lines(text)),
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
def ComparisonView(a: Ensemble, b: Ensemble, first_measure: str = "integrating"):
    """Sentences, chart and downloads of a finished comparison."""
    measure = solara.use_reactive(first_measure)
    threshold = solara.use_reactive(25)
    with solara.Row(style={"flex-wrap": "wrap", "align-items": "center"}):
        solara.ToggleButtonsSingle(value=measure.value, values=list(MEASURES),
                                   on_value=measure.set)
        solara.SliderInt(label=f"Threshold: {threshold.value}% of authorities",
                         value=threshold.value, min=5, max=95, step=5, on_value=threshold.set)
    level = threshold.value / 100
    differences, shares = comparison_sentences(a, b, measure.value, level)
    solara.Markdown("\n".join(f"- {s}" for s in differences) + "\n\n" +
                    "\n".join(f"- {s}" for s in shares),
                    style={"font-size": "15px"})
    drawn = posterior_sentence(a, b)
    if drawn:
        solara.Markdown(drawn)
    spec = solara.use_memo(lambda: Spec(compare_spec(a, b, measure.value, level)),
                           [a, b, measure.value, level])
    VegaChart(spec=spec)
    solara.Markdown(f"<small>Your scenario: `{a.command}` · {b.label}: `{b.command}` · "
                    f"{len(a.seeds)} seeds each, {a.wall_time + b.wall_time:.1f} s.</small>")
    with solara.Row():
        solara.FileDownload(lambda: compare_png(a, b, measure.value, level),
                            filename="comparison.png", label="Chart (PNG)",
                            mime_type="image/png")
        solara.FileDownload(lambda: csv_bytes(comparison_table(a, b)),
                            filename="comparison.csv", label="Data (CSV)", mime_type="text/csv")
