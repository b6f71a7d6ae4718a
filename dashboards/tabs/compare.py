"""The Compare tab: scenario A against scenario B, each an ensemble of the same seeds.

Both scenarios are set with the page's own lever panel (:func:`ScenarioPanel`); A starts as the
page's scenario, B as the calibrated history. A result on screen is marked stale as soon as
either scenario or the number of runs changes. The answer comes first, in one sentence from the
paired runs (:func:`dashboards.ensembles.paired_reach`); the runs, sentences, chart and the
decision summary come from :mod:`dashboards.ensembles`, :mod:`dashboards.charts` and
:mod:`dashboards.figures`. Teach mode shows its comparisons with :func:`ComparisonView` too.
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import solara
import solara.lab

from dashboards.charts import compare_spec, gap_spec
from dashboards.ensembles import (
    Ensemble,
    compare_from_query,
    comparison_query,
    equity_rows,
    gap_bands,
    gap_sentence,
    paired_count,
    paired_reach,
    paired_sentences,
    posterior_sentence,
    preset_posterior,
    scenario_pair,
    scenario_words,
)
from dashboards.figures import compare_png, decision_summary
from dashboards.frames import comparison_table, csv_bytes, markdown_table
from dashboards.settings import DEFAULT_PRESET, Settings, parse_seed
from dashboards.tabs.common import RunStatus, Spec, VegaChart, guarded_work
from dashboards.tabs.controls import ScenarioPanel
from sim.errors import InputError
from sim.vocabulary import APPROACH_NAMES, APPROACHES, COMPARE_WORDS, EQUITY_WORDS, MEASURES

LABELS = ("scenario A", "scenario B")
DEFAULT_RUNS = 20


def page_address() -> str:
    """The page's address as the browser asked for it (``http://host/``), or '' if unknown."""
    try:
        host = (solara.lab.headers.value or {}).get("host", [""])[0]
    except Exception:  # no request (e.g. outside a browser session)
        return ""
    return f"http://{host}/" if host else ""


def _linked(search: str | None) -> tuple[Settings | None, int | None, str | None]:
    """Scenario B and the runs a link asks for, and why they cannot be used (or None)."""
    try:
        other, runs = compare_from_query(search)
    except InputError as exc:
        return None, None, f"The link's comparison could not be used: {exc}"
    return other, runs, None


def what_runs(settings: Settings) -> tuple:
    """What a comparison's runs depend on in ``settings`` (not its seed: seeds 0.. are run)."""
    return settings.preset, tuple(settings.overrides())


@solara.component
def ScenarioColumn(title: str, settings: Settings, on_settings, css: str, note: str):
    """One scenario of a comparison: its name, its words and the page's lever panel."""
    def set_seed(text: str) -> None:
        try:
            on_settings(replace(settings, seed=parse_seed(text)))
        except InputError:
            pass                 # the seed is not used by a comparison (COMPARE_WORDS["seed"])

    with solara.Column(classes=[css], style={"flex": "1 1 320px", "min-width": "280px",
                                             "max-width": "460px"}):
        solara.Markdown(f"## {title}\n\n{scenario_words(settings)}.\n\n<small>{note}</small>")
        ScenarioPanel(settings=settings, on_settings=on_settings, on_seed_text=set_seed,
                      seed_text=str(settings.seed))


@solara.component
def CompareTab(settings: Settings):
    """Scenario A (first the page's scenario) against scenario B, as paired ensembles."""
    router = solara.use_router()
    linked_b, linked_runs, link_error = solara.use_memo(lambda: _linked(router.search), [])
    mine = solara.use_reactive(None)        # A once changed here; None: follow the page
    other = solara.use_reactive(linked_b or Settings.from_preset(DEFAULT_PRESET))
    seeds = solara.use_reactive(linked_runs or DEFAULT_RUNS)
    shown = solara.use_reactive(None)       # (ensembles, A, B, runs) of the result on screen
    error = solara.use_reactive(link_error)
    progress = solara.use_reactive(0.0)
    scenario_a = mine.value if mine.value is not None else settings

    def report(percent: float) -> None:
        """Move the progress bar in steps of a tenth.

        Each move redraws the tab, which would take longer than the runs themselves if it
        were done for every run.
        """
        if percent >= 100.0 or percent - progress.value >= 10.0:
            progress.set(percent)

    def work() -> None:
        a, b, runs = scenario_a, other.value, seeds.value
        error.set(None)
        progress.set(0.0)

        def both() -> tuple[Ensemble, Ensemble]:
            posteriors = (preset_posterior(a.preset), preset_posterior(b.preset))
            mine, theirs = scenario_pair(a, b, runs, LABELS[1], progress=report,
                                         posteriors=posteriors)
            return replace(mine, label=LABELS[0]), theirs

        pair = guarded_work(both, error, "comparison")
        if pair is not None:
            shown.set((pair, a, b, runs))

    task = solara.lab.use_task(work, dependencies=None, prefer_threaded=True)
    solara.Markdown(COMPARE_WORDS["intro"])
    with solara.Row(style={"flex-wrap": "wrap", "align-items": "flex-start", "gap": "16px"}):
        ScenarioColumn(title="Scenario A", settings=scenario_a, on_settings=mine.set,
                       css="innovate-compare-a",
                       note=COMPARE_WORDS["follow" if mine.value is None else "own"] + " " +
                       COMPARE_WORDS["seed"])
        ScenarioColumn(title="Scenario B", settings=other.value, on_settings=other.set,
                       css="innovate-compare-b", note=COMPARE_WORDS["seed"])
    with solara.Row(style={"flex-wrap": "wrap", "align-items": "center"}):
        if mine.value is not None:
            solara.Button("Scenario A: use the scenario on the left again",
                          on_click=lambda: mine.set(None), outlined=True,
                          classes=["innovate-compare-follow"])
        solara.SliderInt(label=f"Paired runs of each scenario: {seeds.value}",
                         value=seeds.value, min=2, max=40, on_value=seeds.set)
        solara.Button("Run comparison", on_click=task, disabled=task.pending, color="primary",
                      classes=["innovate-compare-run"])
    RunStatus(pending=task.pending, progress=progress.value,
              text=f"Running {2 * seeds.value} runs...",
              error=f"Comparison not run: {error.value}" if error.value else None)
    if shown.value is not None:
        (a, b), used_a, used_b, runs = shown.value
        stale = ((what_runs(used_a), what_runs(used_b), runs)
                 != (what_runs(scenario_a), what_runs(other.value), seeds.value))
        if stale:
            solara.Warning(COMPARE_WORDS["stale"], classes=["innovate-compare-stale"])
        link = page_address() + "?" + comparison_query(used_a, used_b, runs)
        with solara.Column(style={"opacity": "0.55" if stale else "1"},
                           classes=["innovate-compare-result"]):
            ComparisonView(a=a, b=b, first_measure="integrating",
                           words=(scenario_words(used_a), scenario_words(used_b)), link=link)


@solara.component
def ComparisonView(a: Ensemble, b: Ensemble, first_measure: str = "integrating",
                   words: tuple[str, str] | None = None, link: str = ""):
    """A finished comparison: the answer first, then the chart, the paired details, downloads.

    ``words`` says what each scenario is (for the decision summary; their labels if None);
    ``link`` is the address that reproduces the comparison.
    """
    approach = solara.use_reactive("TS")
    measure = solara.use_reactive(first_measure)
    threshold = solara.use_reactive(25)
    level = threshold.value / 100
    headline = paired_reach(a, b, approach.value, measure.value, level).sentence()
    with solara.Column(classes=["innovate-compare-headline"]):
        solara.Markdown(f"**{headline}**", style={"font-size": "17px"})
    with solara.Row(style={"flex-wrap": "wrap", "align-items": "center"}):
        solara.ToggleButtonsSingle(value=approach.value, values=list(APPROACHES),
                                   on_value=approach.set)
        solara.ToggleButtonsSingle(value=measure.value, values=list(MEASURES),
                                   on_value=measure.set)
        solara.SliderInt(label=f"Threshold: {threshold.value}% of authorities",
                         value=threshold.value, min=5, max=95, step=5, on_value=threshold.set)
    counted = paired_count(a, b, approach.value, measure.value) if a.size else None
    if counted is not None:
        solara.Markdown(counted.sentence())
    spec = solara.use_memo(lambda: Spec(compare_spec(a, b, measure.value, level)),
                           [a, b, measure.value, level])
    VegaChart(spec=spec)
    details = paired_sentences(a, b, measure.value, level)
    with solara.Details(f"Every approach: {', '.join(APPROACH_NAMES.values())}"):
        solara.Markdown("\n".join(f"- {s}" for s in details), style={"font-size": "14px"})
    if len(a.groups) and a.groups == b.groups:
        EquityView(a=a, b=b, approach=approach.value)
    drawn = posterior_sentence(a, b)
    if drawn:
        solara.Markdown(drawn)
    solara.Markdown(f"<small>{len(a.seeds)} paired runs of each scenario, "
                    f"{a.wall_time + b.wall_time:.1f} s. Lines are the average of the runs, "
                    "bands hold 90% of them; the sentences compare the runs pair by pair, never "
                    "the average lines.</small>")
    said = words or (a.label, b.label)

    def summary(fmt: str) -> bytes:
        extra = [counted.sentence()] if counted is not None else []
        if len(a.groups) and a.groups == b.groups:
            extra.append(gap_sentence(a, b, approach.value))
        return decision_summary(a, b, said, headline, extra + ([drawn] if drawn else []),
                                measure.value, level, link or "(no address: run it in the "
                                "dashboard)", fmt=fmt)

    solara.Markdown(f"<small>{COMPARE_WORDS['summary']}</small>")
    with solara.Row(style={"flex-wrap": "wrap"}):
        solara.FileDownload(lambda: summary("png"), filename="decision-summary.png",
                            label="Decision summary (PNG)", mime_type="image/png")
        solara.FileDownload(lambda: summary("pdf"), filename="decision-summary.pdf",
                            label="Decision summary (PDF)", mime_type="application/pdf")
        solara.FileDownload(lambda: compare_png(a, b, measure.value, level),
                            filename="comparison.png", label="Chart (PNG)",
                            mime_type="image/png")
        solara.FileDownload(lambda: csv_bytes(comparison_table(a, b)),
                            filename="comparison.csv", label="Data (CSV)", mime_type="text/csv")
        if len(a.groups) and a.groups == b.groups:
            solara.FileDownload(lambda: csv_bytes(pd.concat(
                [equity_rows(a, b, name).assign(approach=name) for name in APPROACHES])),
                filename="comparison-equity.csv", label="Equity (CSV)", mime_type="text/csv")


@solara.component
def EquityView(a: Ensemble, b: Ensemble, approach: str):
    """The deprivation gap under both scenarios, and every group's shares at the end."""
    solara.Markdown(gap_sentence(a, b, approach))
    window = (float(a.times[0] - a.dt), float(a.times[-1]))
    spec = solara.use_memo(lambda: Spec(gap_spec(gap_bands(a, b, approach), (a.label, b.label),
                                                 approach, window)), [a, b, approach])
    VegaChart(spec=spec)
    with solara.Details(EQUITY_WORDS["title"]):
        solara.Markdown(f"<small>{EQUITY_WORDS['table'].format(a=a.label, b=b.label)}</small>")
        rows = equity_rows(a, b, approach)
        solara.Markdown(markdown_table(rows, percent=tuple(rows.columns[2:-1]),
                                       points=(rows.columns[-1],)),
                        style={"font-size": "13px"})
