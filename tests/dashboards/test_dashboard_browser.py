"""The dashboard in a real browser: Playwright drives Debian's chromium against a real
``innovate dashboard`` server on a free port.

Solara's JavaScript must come from the local asset cache: the server's CDN is pointed at a
closed local port, and the browser aborts every request that leaves 127.0.0.1, so a missing
asset fails the test instead of being fetched. Set INNOVATE_SCREENSHOTS=docs/img to refresh
the screenshots in the docs.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

# Without chromium these tests fail, naming it (the chromium_path fixture): they never skip.
pytestmark = pytest.mark.browser

SHOTS = os.environ.get("INNOVATE_SCREENSHOTS")
# Solara's VegaLite widget draws a chart 100 ms after it appears; a chart removed sooner (the
# test clicks Next as soon as a step shows) makes vega-embed throw this, with nothing visible.
SOLARA_VEGA_RACE = "Cannot read properties of undefined (reading 'usermeta')"
TIMEOUT = 30_000


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _command() -> list[str]:
    script = Path(sys.executable).with_name("innovate")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "sim.cli"]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from dashboards.serve import install_assets, missing_assets
    install_assets()        # what the install and the dashboard's first start do (no npm)
    assert not missing_assets()
    port = _free_port()
    env = {**os.environ, "SOLARA_ASSETS_CDN": "http://127.0.0.1:9/npm/"}
    log = tmp_path_factory.mktemp("dashboard") / "server.log"
    with open(log, "wb") as out:      # a file, not a pipe: a full pipe would block the server
        process = subprocess.Popen([*_command(), "dashboard", "--port", str(port)],
                                   stdout=out, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.time() + 90
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    break
        except OSError:
            pass
        if process.poll() is not None or time.time() > deadline:
            process.kill()
            output = log.read_text(errors="replace")
            pytest.fail(f"innovate dashboard did not start: {output[-2000:]}")
        time.sleep(0.3)
    yield url
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


class Tab:
    """One browser context (one user) on the dashboard, recording what it loads."""

    def __init__(self, browser, url: str, ready: tuple[str, ...] = (".innovate-step",
                                                                    ".innovate-map-area")):
        self.context = browser.new_context(viewport={"width": 1500, "height": 1000},
                                           accept_downloads=True)
        self.page = self.context.new_page()
        self.page.set_default_timeout(TIMEOUT)
        self.blocked: list[str] = []
        self.failed: list[tuple[int, str]] = []
        self.cdn: list[tuple[int, str]] = []
        self.errors: list[str] = []
        self.page.route("**/*", self._route)
        self.page.on("response", self._response)
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.goto(url)
        for selector in ready:
            self.page.locator(selector).first.wait_for()

    def _route(self, route) -> None:
        host = route.request.url.split("/")[2].rsplit(":", 1)[0]
        if host in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            self.blocked.append(route.request.url)
            route.abort()

    def _response(self, response) -> None:
        if "/_solara/cdn/" in response.url:
            self.cdn.append((response.status, response.url))
        if response.status >= 400:
            self.failed.append((response.status, response.url))

    def front(self) -> None:
        """Make this the active tab (as a person would, before clicking in it)."""
        self.page.bring_to_front()

    def now(self) -> str:
        return self.page.locator(".innovate-now").inner_text()

    def wait_now(self, text: str) -> None:
        self.page.locator(".innovate-now", has_text=text).wait_for()

    def step(self, times: int) -> None:
        self.front()
        start = int(re.search(r"step (\d+) of", self.now()).group(1))
        for k in range(start + 1, start + times + 1):
            self.page.locator(".innovate-step").click()
            self.wait_now(f"(step {k} of")

    def tab(self, name: str) -> None:
        self.page.locator(".v-tab", has_text=name).click()

    def shot(self, name: str, height: int = 1000) -> None:
        """Save a screenshot for the docs (only when INNOVATE_SCREENSHOTS is set)."""
        if SHOTS:
            Path(SHOTS).mkdir(parents=True, exist_ok=True)
            self.page.set_viewport_size({"width": 1500, "height": height})
            self.page.wait_for_timeout(900)
            self.page.screenshot(path=str(Path(SHOTS) / f"{name}.png"))
            self.page.set_viewport_size({"width": 1500, "height": 1000})

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def tab(browser, server):
    opened = Tab(browser, server)
    yield opened
    opened.close()


def test_page_loads_offline_steps_and_explains_an_authority(tab):
    page = tab.page
    assert tab.now() == "Now: January 2010 (step 0 of 104)"
    assert page.locator(".innovate-map-area").count() == 212
    assert page.locator(".innovate-map-inset").count() == 33
    tab.step(3)
    page.locator(".innovate-run").click()
    tab.wait_now("step 104 of 104")
    # neighbouring areas overlap Hackney's edge: send the pointer event to its own path
    hackney = page.locator('path.innovate-map-area[data-id="E09000012"]')
    box = hackney.bounding_box()
    hackney.dispatch_event("mousemove", {"clientX": box["x"] + box["width"] / 2,
                                         "clientY": box["y"] + box["height"] / 2})
    tip = page.locator(".innovate-map-tip")
    tip.wait_for()
    text = tip.inner_text()
    assert "Hackney (London)" in text and "CS: " in text
    assert "workforce capacity:" in text and "readiness:" in text
    tab.shot("dashboard-map")
    page.locator('path.innovate-map-area[data-id="E09000012"]').dispatch_event("click")
    page.locator(".innovate-authority-card", has_text="Hackney").wait_for()
    page.get_by_role("button", name="Read its journey").click()
    page.locator(".innovate-story").first.wait_for()
    assert page.locator(".innovate-story").count() == 3
    page.locator(".innovate-story", has_text="Why:").first.wait_for()
    page.locator(".vega-embed svg").first.wait_for()
    tab.shot("dashboard-journeys", height=1350)
    # Solara's JavaScript came from the local cache: nothing left the machine, nothing failed
    assert tab.blocked == [], tab.blocked
    assert tab.failed == [], tab.failed
    assert tab.cdn and all(status in (200, 304) for status, _ in tab.cdn)
    assert any("solara-vuetify-app" in url for _, url in tab.cdn)
    assert any("vega-lite" in url for _, url in tab.cdn)


def test_two_concurrent_sessions_have_their_own_models(browser, server):
    first, second = Tab(browser, server), Tab(browser, server)
    try:
        first.step(5)
        assert first.now() == "Now: April 2011 (step 5 of 104)"
        assert second.now() == "Now: January 2010 (step 0 of 104)"
        second.front()
        second.page.locator(".innovate-run").click()
        second.wait_now("step 104 of 104")
        first.page.wait_for_timeout(500)
        assert first.now() == "Now: April 2011 (step 5 of 104)"
        first.step(1)
        assert first.now() == "Now: July 2011 (step 6 of 104)"
        assert second.now() == "Now: January 2036 (step 104 of 104)"
        third = Tab(browser, server)                  # a newcomer starts from scratch
        try:
            assert third.now() == "Now: January 2010 (step 0 of 104)"
        finally:
            third.close()
    finally:
        first.close()
        second.close()


def test_bad_input_shows_a_message_and_the_page_keeps_working(tab):
    page = tab.page
    page.locator(".v-expansion-panel-header", has_text=re.compile(r"^\s*Seed\s*$")).click()
    seed = page.get_by_label("Seed (a whole number)")
    seed.fill("twelve")
    seed.press("Enter")
    page.get_by_text("'twelve' is not a seed: type a whole number").wait_for()
    page.locator(".v-expansion-panel-header", has_text="Advanced: model parameters").click()
    extra = page.get_by_label("More settings: KEY=VALUE, one a line")
    extra.fill("approaches.CS.qq = 1")
    seed.click()                                         # leave the box
    page.locator(".innovate-message", has_text="approaches.CS.qq: unknown key").wait_for()
    tab.step(2)
    assert tab.failed == []


def test_a_lever_then_uptake_compare_and_export(tab):
    page = tab.page
    tab.step(2)
    workforce = page.locator(".v-input", has_text="Workforce pressure: x1.00")
    workforce.locator(".v-slider__thumb").click()
    for _ in range(10):                                   # 10 x 0.05: turnover up by half
        page.keyboard.press("ArrowRight")
    page.locator(".v-input", has_text="Workforce pressure: x1.50").wait_for()
    page.locator(".innovate-message", has_text="Settings applied").wait_for()
    tab.wait_now("(step 0 of")
    page.locator(".innovate-run").click()
    tab.wait_now("step 104 of 104")
    tab.tab("Uptake")
    page.get_by_text("Against the record.", exact=True).wait_for()
    page.locator(".vega-embed svg").nth(1).wait_for()
    assert page.locator(".vega-embed").count() == 2
    tab.shot("dashboard-uptake", height=1250)
    tab.tab("Compare")
    if not SHOTS:                     # the docs' screenshot shows the default 20 seeds
        page.locator(".v-input", has_text="Paired runs of each scenario: 20").locator(
            ".v-slider__thumb").click()
        page.keyboard.press("Home")                      # the fewest runs: 2
        page.locator(".v-input", has_text="Paired runs of each scenario: 2").first.wait_for()
    # scenario A follows the lever set on the left (test_dashboard_compare.py tests the rest)
    assert "agency use x1.5" in page.locator(".innovate-compare-a").inner_text()
    page.locator(".innovate-compare-run").click()
    headline = page.locator(".innovate-compare-headline")
    headline.wait_for(timeout=90_000)
    assert headline.inner_text().startswith("Under scenario A, Transitional Safeguarding")
    drawn = page.locator(".solara-markdown", has_text="draw their parameters from the").inner_text()
    assert drawn.startswith("The runs of scenario A and scenario B draw")
    page.locator(".vega-embed svg").first.wait_for()
    tab.shot("dashboard-compare", height=1150)
    tab.tab("Export")
    page.locator(".v-expansion-panel-header", has_text="Advanced: machine-readable").click()
    with page.expect_download() as download:
        page.get_by_role("button", name="events.csv", exact=True).click()
    path = download.value.path()
    header = Path(path).read_text(encoding="utf-8").splitlines()[0]
    assert header == "time,agent_id,name,approach,from_stage,to_stage,kind,reason"
    with page.expect_download() as download:
        page.get_by_role("button", name="Map of CS").click()
    assert Path(download.value.path()).read_bytes().startswith(b"\x89PNG")
    assert tab.failed == [] and tab.blocked == []


def test_a_lesson_link_opens_teach_mode_and_every_step_clicks_through(browser, server):
    from dashboards.teaching.lessons import curriculum

    tab = Tab(browser, f"{server}?lesson=stages", ready=(".innovate-teach-next",))
    page = tab.page
    try:
        titles = [step.title for lesson in curriculum().lessons for step in lesson.steps]
        title = page.locator(".innovate-teach-title")
        assert title.inner_text() == titles[0]
        page.get_by_text("Jul-Sep 2018: started as a named site").wait_for()
        for expected in titles[1:]:
            page.locator(".innovate-teach-next").click()
            page.locator(".innovate-teach-title", has_text=expected).wait_for()
            assert title.inner_text() == expected
            if expected == "Stage 3: Developing":
                page.get_by_text("Bristol at Developing").wait_for()
                page.get_by_text("What exactly are we testing").wait_for()
                page.locator(".vega-embed svg").first.wait_for()
                tab.shot("teach-stage", height=1050)
            elif expected == "A pause":
                page.locator(".innovate-teach-episode", has_text="paused at").wait_for()
            elif expected == "An ending, and a renewal":
                page.locator(".innovate-teach-episode",
                             has_text="renewal: picked up again after ending").wait_for()
            elif expected == "Change one condition":
                page.get_by_role("button", name="culture").click()
                page.locator(".innovate-teach-try").click()
                effect = page.locator(".innovate-teach-effect")
                effect.wait_for(timeout=120_000)
                assert effect.inner_text().startswith("With a more open culture everywhere")
                page.get_by_text("Bristol: As it was").wait_for()
                tab.shot("teach-try", height=1300)
            elif expected == "Diamond 9: your own service":
                page.locator(".innovate-diamond-example").click()
                page.locator(".innovate-diamond", has_text="4. Our social workers").wait_for()
                page.locator(".innovate-diamond-test").click()
                page.locator(".innovate-diamond-effect").nth(2).wait_for(timeout=120_000)
                assert page.locator(".innovate-diamond-effect").count() == 3
                tab.shot("teach-diamond", height=1150)
            elif expected == "What if authorities did not learn from each other?":
                page.locator(".innovate-teach-compare").click()
                page.get_by_text("Under no ties between authorities").first.wait_for(
                    timeout=120_000)
        assert page.locator(".innovate-teach-next").is_disabled()
        page.locator(".innovate-teach-leave").click()
        page.locator(".innovate-step").wait_for()
        assert tab.failed == [] and tab.blocked == []
        assert [e for e in tab.errors if e != SOLARA_VEGA_RACE] == [], tab.errors
    finally:
        tab.close()


def test_an_unknown_lesson_link_says_so_in_the_explorer(browser, server):
    tab = Tab(browser, f"{server}?lesson=nosuch")
    try:
        message = tab.page.locator(".innovate-message", has_text="unknown lesson 'nosuch'")
        message.wait_for()
        assert "choose one of: stages, conditions, spreading, policy" in message.inner_text()
        tab.page.locator(".innovate-teach-open").click()
        tab.page.locator(".innovate-teach-title", has_text="One authority's journey").wait_for()
    finally:
        tab.close()


def _lever_tracks(page) -> list[tuple[str, float, float]]:
    """(label, track width, track left) of every visible lever slider."""
    return [tuple(row) for row in page.evaluate(
        """() => [...document.querySelectorAll('.innovate-lever')].filter(e => e.offsetParent)
          .map(e => { const t = e.querySelector('.v-slider__track-container')
                                 .getBoundingClientRect();
                      return [e.querySelector('.v-label').innerText, t.width, t.x]; })""")]


def test_slider_tracks_are_wide_and_stay_put_and_numbers_can_be_typed(tab):
    page = tab.page
    before = _lever_tracks(page)
    assert len(before) >= 4 and all(width >= 120 for _, width, _ in before), before
    field = page.get_by_label("Cut (%)")
    field.fill("30")
    field.press("Enter")
    page.locator(".v-label", has_text="Budget cut from the start year: 30%").wait_for()
    after = _lever_tracks(page)
    assert [(w, x) for _, w, x in after] == [(w, x) for _, w, x in before], (before, after)
    field.fill("abc")
    field.press("Enter")
    message = page.locator(".innovate-lever-message").first
    message.wait_for()
    assert "'abc' is not a number" in message.inner_text()
    assert page.locator(".v-label", has_text="Budget cut from the start year: 30%").count() == 1


def test_twenty_concurrent_sessions_each_get_their_own_correct_run(browser, server):
    """Twenty pages, each opened on its own seed by its link, run at once: every page's counts
    are those of the same run computed in-process."""
    import sim
    from sim.vocabulary import APPROACHES

    seeds = range(20)
    tabs = []
    try:
        for seed in seeds:
            tabs.append(Tab(browser, f"{server}?preset=historical-calibrated&seed={seed}"))
        for tab in tabs:                                   # start every run before any ends
            tab.page.locator(".innovate-run").click()
        for seed, tab in zip(seeds, tabs, strict=True):
            tab.wait_now("step 104 of 104")
            model = sim.InnovationModel("historical-calibrated", seed=seed)
            model.run()
            expected = " · ".join(f"{a} {model.count(a, 'engaged')}" for a in APPROACHES)
            tab.page.get_by_text(f"Authorities engaged: {expected}.").wait_for()
            assert tab.failed == []
    finally:
        for tab in tabs:
            tab.close()
