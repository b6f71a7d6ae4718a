"""The Compare tab in a real browser: two scenarios from the lever panel, a stale result marked,
the paired answer first, and the decision summary downloaded.

It reuses the server, browser and page helper of :mod:`test_dashboard_browser`.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
import test_dashboard_browser as shared  # noqa: E402

Tab = shared.Tab
server = shared.server          # the same server fixture (the browser is conftest's)

pytestmark = pytest.mark.browser
STALE = "These results are for the scenarios as they were; run the comparison again."


def test_compare_marks_a_changed_scenario_stale_and_downloads_a_decision_summary(browser,
                                                                                 server):
    tab = Tab(browser, server)
    page = tab.page
    try:
        tab.tab("Compare")
        a = page.locator(".innovate-compare-a")
        b = page.locator(".innovate-compare-b")
        a.get_by_text("as the starting point has it").wait_for()
        assert "What happened (calibrated)" in b.inner_text()
        page.locator(".v-input", has_text="Paired runs of each scenario: 20").locator(
            ".v-slider__thumb").click()
        page.keyboard.press("Home")                               # the fewest runs: 2
        page.locator(".v-input", has_text="Paired runs of each scenario: 2").wait_for()
        # scenario A: workforce pressure up by half, set in its own panel (no KEY=VALUE)
        a.locator(".v-input", has_text="Workforce pressure: x1.00").locator(
            ".v-slider__thumb").click()
        for _ in range(10):
            page.keyboard.press("ArrowRight")
        a.get_by_text("agency use x1.5").wait_for()
        page.locator(".innovate-compare-run").click()
        headline = page.locator(".innovate-compare-headline")
        headline.wait_for(timeout=90_000)
        text = headline.inner_text()
        assert text.startswith("Under scenario A, Transitional Safeguarding reaches 25% of "
                               "authorities integrating")
        assert "paired runs" in text and " of 2 paired runs" in text
        assert page.locator(".innovate-compare-stale").count() == 0
        # a change to B marks the result stale ...
        b.locator(".v-input", has_text="Workforce pressure: x1.00").locator(
            ".v-slider__thumb").click()
        page.keyboard.press("ArrowRight")
        page.locator(".innovate-compare-stale", has_text=STALE).wait_for()
        # ... until the comparison is run again
        page.locator(".innovate-compare-run").click()
        page.locator(".innovate-compare-stale").wait_for(state="detached", timeout=90_000)
        page.locator(".vega-embed svg").first.wait_for()
        with page.expect_download() as download:
            page.get_by_role("button", name="Decision summary (PNG)").click()
        assert Path(download.value.path()).read_bytes().startswith(b"\x89PNG")
        with page.expect_download() as download:
            page.get_by_role("button", name="Decision summary (PDF)").click()
        assert Path(download.value.path()).read_bytes().startswith(b"%PDF")
        tab.shot("dashboard-compare-paired", height=1400)
        assert tab.failed == [] and tab.blocked == [] and tab.errors == []
    finally:
        tab.close()
