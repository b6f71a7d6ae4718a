"""Where to fund next: the choices, their link, the runs behind the tab, and the tab in Chromium."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import pytest

from dashboards.app import scenario_from_address
from dashboards.funding import (
    FundChoice,
    find_sites,
    headline,
    site_table,
    strategy_table,
    targeting_for,
)
from dashboards.settings import Settings
from sim.errors import InputError

sys.path.insert(0, str(Path(__file__).parent))
import test_dashboard_browser as shared  # noqa: E402

server = shared.server          # the same server fixture (the browser is conftest's)
SMALL = FundChoice(approach="CS", sites=2, seeds=3, strategies=("most_ready", "optimised"))


def test_a_choice_travels_in_the_address():
    choice = FundChoice.from_query(SMALL.to_query())
    assert choice == SMALL
    query = f"{Settings.from_preset('historical-calibrated').to_query()}&tab=fund&" \
            f"{SMALL.to_query()}"
    settings, tab, problem = scenario_from_address(query)
    assert problem is None and tab == 4 and settings.preset == "historical-calibrated"


@pytest.mark.parametrize(("query", "message"), [
    ("fund=XX", "fund: must be one of CS, TIP, TS"),
    ("sites=0", "sites: must be a whole number from 1 to 10"),
    ("sites=two", "sites: must be a whole number"),
    ("fund_seeds=1", "fund_seeds: must be a whole number from 2 to 20"),
    ("strategies=most_ready,luck", "strategies: choose one or more of"),
])
def test_a_bad_choice_is_one_plain_line(query, message):
    with pytest.raises(InputError, match=message):
        FundChoice.from_query(query)


def test_the_page_scenario_is_the_base():
    settings = Settings.from_preset("historical-calibrated")
    t = targeting_for(settings, SMALL)
    assert t.config.time.end == 2036.0 and t.spec.strategies == ["random", "most_ready",
                                                                 "optimised"]
    assert t.config.levers.austerity_cut == 0.0
    cut = replace(settings, austerity_cut=0.2, workforce_pressure=1.5)
    levers = targeting_for(cut, SMALL).config.levers
    assert (levers.austerity_cut, levers.workforce_pressure) == (0.2, 1.5)


def test_the_runs_answer_in_words():
    found = find_sites(Settings.from_preset("historical-calibrated"), SMALL)
    sentence = headline(found, SMALL)
    assert sentence.startswith("Funding 2 authorities chosen by ")
    assert "compared with 2 chosen at random (90% interval" in sentence
    table = strategy_table(found)
    assert list(table["Strategy"]) == ["none funded", "at random",
                                       "by readiness (most ready first)",
                                       "by the optimised search"]
    sites = site_table(found)
    assert len(sites) == 4 and set(sites["strategy"]) == {"most_ready", "optimised"}


@pytest.mark.browser
def test_the_tab_in_a_browser_answers_maps_and_links(browser, server):
    query = f"?preset=historical-calibrated&seed=0&tab=fund&{SMALL.to_query()}"
    tab = shared.Tab(browser, server + query, ready=(".innovate-fund-run",))
    page = tab.page
    try:
        page.get_by_text("Authorities funded: 2").wait_for()
        page.get_by_text("Paired runs: 3").wait_for()
        page.locator(".innovate-fund-run").click()
        headline = page.locator(".innovate-fund-headline")
        headline.wait_for(timeout=120_000)
        assert "chosen at random (90% interval" in headline.inner_text()
        page.locator(".vega-embed svg, .vega-embed canvas").first.wait_for()
        assert "tab=fund" in page.locator(".innovate-fund-link").inner_text()
        with page.expect_download() as download:
            page.get_by_text("Strategies (CSV)").click()
        assert download.value.suggested_filename == "where-to-fund.csv"
        page.locator(".v-input", has_text="Authorities funded: 2").locator(
            ".v-slider__thumb").click()
        page.keyboard.press("ArrowRight")
        page.locator(".innovate-fund-stale").wait_for()
        from test_accessibility import assert_no_violations
        assert_no_violations(page, "the Where to fund next tab with its results")
        assert tab.errors == [] and tab.blocked == []
    finally:
        tab.context.close()
