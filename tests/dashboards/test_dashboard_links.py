"""Shareable, durable scenarios and released memory, in a real browser (issue 14).

A scenario lives in the page address (``?preset=...&seed=...&workforce=1.5&tab=uptake``): a
copied link reproduces the same numbers in a fresh browser context, a reload keeps it, a bad
value says so in one plain line, and after a server restart the page comes back on its own
scenario (or says what to do). Closed pages release their sessions (``/_innovate/status``).
These tests start their own server, because one of them restarts it.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
import urllib.request

import pytest
from test_dashboard_browser import TIMEOUT, Tab, _command, _free_port

from dashboards.serve import STATUS_PATH
from sim.vocabulary import LINK_WORDS

pytestmark = pytest.mark.browser

LINK = "?preset=austerity-deepens&seed=5&workforce=1.5&tab=uptake"


class Server:
    """An ``innovate dashboard`` process on a fixed port that can be stopped and started."""

    def __init__(self, log):
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.log = log
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        env = {**os.environ, "SOLARA_ASSETS_CDN": "http://127.0.0.1:9/npm/"}
        with open(self.log, "ab") as out:
            self.process = subprocess.Popen([*_command(), "dashboard", "--port", str(self.port)],
                                            stdout=out, stderr=subprocess.STDOUT, env=env)
        deadline = time.time() + 90
        while True:
            try:
                self.status()
                return
            except OSError:
                pass
            if self.process.poll() is not None or time.time() > deadline:
                self.stop()
                pytest.fail(f"innovate dashboard did not start: "
                            f"{self.log.read_text(errors='replace')[-2000:]}")
            time.sleep(0.3)

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None

    def status(self) -> dict:
        with urllib.request.urlopen(self.url.rstrip("/") + STATUS_PATH, timeout=10) as reply:
            return json.load(reply)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from dashboards.serve import install_assets
    install_assets()
    running = Server(tmp_path_factory.mktemp("links") / "server.log")
    running.start()
    yield running
    running.stop()


def _open(browser, url: str) -> Tab:
    """A fresh browser context on ``url``, once the run bar is there (any tab may be open)."""
    return Tab(browser, url, ready=(".innovate-step",))


def _counts_after_a_run(tab: Tab) -> str:
    """The counts line once the run has reached its end."""
    page = tab.page
    page.locator(".innovate-run").click()
    tab.wait_now("step 104 of 104")
    return page.locator("text=Authorities engaged:").inner_text()


def _wait_for_address(tab: Tab, part: str) -> None:
    tab.page.wait_for_function("part => window.location.search.includes(part)", arg=part,
                               timeout=TIMEOUT)


def test_a_copied_link_reproduces_the_numbers_in_a_fresh_browser(browser, server):
    first = _open(browser, server.url + "?preset=austerity-deepens&seed=5")
    first.context.grant_permissions(["clipboard-read", "clipboard-write"])
    try:
        page = first.page
        workforce = page.locator(".v-input", has_text="Workforce pressure").locator(
            ".v-slider__thumb").first
        workforce.click()
        page.keyboard.press("Home")
        for _ in range(20):                             # 0.5 + 20 x 0.05 = 1.5
            page.keyboard.press("ArrowRight")
        page.locator(".innovate-message", has_text="Settings applied").wait_for()
        _wait_for_address(first, "workforce=1.5")
        first.tab("Uptake")
        _wait_for_address(first, "tab=uptake")
        counts = _counts_after_a_run(first)
        page.locator(".innovate-copy-link").click()
        page.locator(".innovate-link-copied", has_text=LINK_WORDS["copied"]).wait_for()
        link = page.evaluate("navigator.clipboard.readText()")
        assert link == page.locator(".innovate-link-field").input_value() == page.url
        assert "preset=austerity-deepens" in link and "seed=5" in link
        second = _open(browser, link)                      # a fresh context: a new user
        try:
            assert second.page.locator(".v-tab--active").inner_text().strip().lower() == "uptake"
            second.page.locator(".v-input", has_text="x1.50").first.wait_for()
            assert _counts_after_a_run(second) == counts
        finally:
            second.close()
        page.reload()                                   # a reload keeps the scenario
        page.locator(".innovate-step").wait_for()
        assert page.locator(".v-tab--active").inner_text().strip().lower() == "uptake"
        page.locator(".v-input", has_text="x1.50").first.wait_for()
        assert _counts_after_a_run(first) == counts
    finally:
        first.close()


@pytest.mark.parametrize("query, says", [
    ("?preset=austerity-deepens&cut=lots", "cut in the link must be a number (got 'lots')"),
    ("?cut=0.2&colour=blue", "the link has settings this page does not know: 'colour'"),
    ("?cut=5", "levers.austerity_cut: input should be less than or equal to 0.9"),
])
def test_a_bad_link_says_so_in_one_plain_line_and_the_page_works(browser, server, query, says):
    tab = _open(browser, server.url + query)
    try:
        message = tab.page.locator(".innovate-message", has_text="This link could not be used")
        message.wait_for()
        text = message.inner_text()
        assert says in text and "\n" not in text.strip()
        assert "The page shows What happened (calibrated) instead." in text
        tab.step(1)
    finally:
        tab.close()


def test_after_a_server_restart_the_page_comes_back_on_its_scenario(browser, server):
    tab = _open(browser, server.url + LINK)
    try:
        page = tab.page
        tab.step(1)
        server.stop()
        notice = page.locator(".innovate-connection")
        notice.wait_for()
        assert notice.inner_text().startswith(LINK_WORDS["lost"])
        assert not page.get_by_text("Server disconnected").is_visible()
        server.start()
        notice.wait_for(state="hidden", timeout=120_000)
        tab.wait_now("(step 0 of")                      # a new run of the same scenario
        page.locator(".v-input", has_text="x1.50").first.wait_for()
        assert "preset=austerity-deepens" in page.url
        assert page.locator(".v-tab--active").inner_text().strip().lower() == "uptake"
        # when the page cannot carry on (Solara gives up), it says what to do, plainly
        page.evaluate("window.app.needsRefresh = true")
        notice.wait_for()
        assert LINK_WORDS["restarted"] in notice.inner_text()
        assert not page.get_by_text("Could not restore session").is_visible()
    finally:
        tab.close()


def test_closed_pages_release_their_sessions(browser, server):
    tabs = [_open(browser, server.url + LINK) for _ in range(4)]
    for tab in tabs:
        tab.step(1)
    assert server.status()["sessions"] >= 4
    for tab in tabs:
        tab.close()
    # a closed page's beacon closes its kernel; a page gone without one is freed after the
    # server's 30 s cull timeout (innovate dashboard sets it)
    deadline = time.time() + 90
    held = server.status()
    while (held["sessions"] or held["kernels"]) and time.time() < deadline:
        time.sleep(0.5)
        held = server.status()
    assert held["sessions"] == 0 and held["kernels"] == 0, held
