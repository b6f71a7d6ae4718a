"""The "Where to fund next" tab: which authorities to fund first, by each strategy, in words.

The user picks the approach, the number of sites, the strategies and the runs; the tab runs a
targeting experiment on the page's scenario (:mod:`dashboards.funding`) and shows the answer
first, then each strategy's gain over random with its interval and its equity gap, the map
of the chosen sites, the downloads and the link that reopens the same choices.
"""

from __future__ import annotations

import html
from dataclasses import replace

import solara

from dashboards.charts import funded_sites_spec
from dashboards.figures import EXPORT_DPI, png_bytes
from dashboards.frames import csv_bytes, markdown_table
from dashboards.funding import (
    CHOICES,
    MAX_SEEDS,
    MAX_SITES,
    FundChoice,
    find_sites,
    headline,
    site_table,
    strategy_table,
)
from dashboards.settings import Settings
from dashboards.tabs.common import RunStatus, Spec, VegaChart, guarded_work
from dashboards.tabs.compare import page_address, what_runs
from sim.errors import InputError
from sim.targeting.report import map_figure
from sim.vocabulary import APPROACH_NAMES, APPROACHES, FUND_WORDS


def _linked(search: str | None) -> tuple[FundChoice, str | None]:
    """The choice a page address asks for, and why it cannot be used (or None)."""
    try:
        return FundChoice.from_query(search), None
    except InputError as exc:
        return FundChoice(), f"The link's choices could not be used: {exc}"


def map_png(found, strategy: str, approach: str) -> bytes:
    """The map of one strategy's sites as PNG bytes."""
    return png_bytes(map_figure({FUND_WORDS[strategy]: found.chosen[0][strategy]},
                                found.population, approach), dpi=EXPORT_DPI)


@solara.component
def FundingTab(settings: Settings):
    """Choose, run and read a targeting comparison on the page's scenario."""
    router = solara.use_router()
    linked, link_error = solara.use_memo(lambda: _linked(router.search), [])
    choice = solara.use_reactive(linked)
    shown = solara.use_reactive(None)       # (comparison, choice, settings) on screen
    error = solara.use_reactive(link_error)
    runs = solara.use_reactive(0)
    c = choice.value

    def work() -> None:
        wanted, scenario = choice.value, settings
        error.set(None)
        runs.set(0)
        found = guarded_work(lambda: find_sites(scenario, wanted, on_runs=runs.set), error,
                             "search")
        if found is not None:
            shown.set((found, wanted, scenario))

    def toggle(strategy: str, on: bool) -> None:
        picked = [s for s in CHOICES if (s == strategy and on) or (
            s != strategy and s in c.strategies)]
        if picked:
            choice.set(replace(c, strategies=tuple(picked)))

    task = solara.lab.use_task(work, dependencies=None, prefer_threaded=True)
    solara.Markdown(FUND_WORDS["intro"])
    with solara.Row(style={"flex-wrap": "wrap", "align-items": "center", "gap": "12px"}):
        solara.ToggleButtonsSingle(value=c.approach, values=list(APPROACHES),
                                   on_value=lambda a: choice.set(replace(c, approach=a)))
        solara.SliderInt(label=f"Authorities funded: {c.sites}", value=c.sites, min=1,
                         max=MAX_SITES, on_value=lambda k: choice.set(replace(c, sites=k)))
        solara.SliderInt(label=f"Paired runs: {c.seeds}", value=c.seeds, min=2,
                         max=MAX_SEEDS, on_value=lambda k: choice.set(replace(c, seeds=k)))
    with solara.Row(style={"flex-wrap": "wrap", "align-items": "center"}):
        for strategy in CHOICES:
            solara.Checkbox(label=f"Choose {FUND_WORDS[strategy]}",
                            value=strategy in c.strategies,
                            on_value=lambda on, s=strategy: toggle(s, on))
    solara.Button(FUND_WORDS["button"], on_click=task, disabled=task.pending, color="primary",
                  classes=["innovate-fund-run"])
    RunStatus(pending=task.pending, text=FUND_WORDS["running"].format(runs=runs.value),
              error=f"Not run: {error.value}" if error.value else None)
    if shown.value is not None:
        found, used, scenario = shown.value
        if (used, what_runs(scenario)) != (c, what_runs(settings)):
            solara.Warning(FUND_WORDS["stale"], classes=["innovate-fund-stale"])
        link = f"{page_address()}?{scenario.to_query()}&tab=fund&{used.to_query()}"
        FundingView(found=found, choice=used, link=link)


@solara.component
def FundingView(found, choice: FundChoice, link: str):
    """A finished comparison: the answer, the strategies' table, the map, downloads, link."""
    mapped = solara.use_reactive(choice.strategies[-1])
    if mapped.value not in choice.strategies:
        mapped.set(choice.strategies[-1])
    with solara.Column(classes=["innovate-fund-headline"]):
        solara.Markdown(f"**{headline(found, choice)}**", style={"font-size": "17px"})
    table = strategy_table(found)
    solara.Markdown(markdown_table(table), style={"font-size": "14px"})
    solara.Markdown(f"<small>{FUND_WORDS['equity']}</small>")
    solara.Markdown(f"## {FUND_WORDS['map']} ({APPROACH_NAMES[choice.approach]})")
    names = {strategy.replace("_", " "): strategy for strategy in choice.strategies}
    solara.ToggleButtonsSingle(value=mapped.value.replace("_", " "), values=list(names),
                               on_value=lambda name: mapped.set(names[name]))
    sites = found.chosen[0].get(mapped.value, [])
    spec = solara.use_memo(lambda: Spec(funded_sites_spec(
        found.population, sites, FUND_WORDS[mapped.value])), [found, mapped.value])
    VegaChart(spec=spec)
    with solara.Row(style={"flex-wrap": "wrap"}):
        solara.FileDownload(lambda: csv_bytes(table), filename="where-to-fund.csv",
                            label="Strategies (CSV)", mime_type="text/csv")
        solara.FileDownload(lambda: csv_bytes(site_table(found)), filename="funded-sites.csv",
                            label="Chosen authorities (CSV)", mime_type="text/csv")
        solara.FileDownload(lambda: map_png(found, mapped.value, choice.approach),
                            filename="funded-sites.png", label="Map (PNG)",
                            mime_type="image/png")
    with solara.Column(classes=["innovate-fund-link"]):
        solara.Markdown(f'{FUND_WORDS["link"]}: <span style="word-break: break-all">'
                        f"{html.escape(link)}</span>")
