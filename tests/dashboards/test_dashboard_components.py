"""The dashboard page rendered without a browser (Solara's test renderer), one or two sessions."""

from __future__ import annotations

import json
import re
import time

import pytest

solara = pytest.importorskip("solara")

import ipyvuetify as v  # noqa: E402
from solara.server import kernel  # noqa: E402
from solara.server.kernel_context import VirtualKernelContext  # noqa: E402

from dashboards.app import Page  # noqa: E402


class Browser:
    """One rendered page in its own virtual kernel (what one browser session gets)."""

    def __init__(self, name: str):
        self.context = VirtualKernelContext(id=name, kernel=kernel.Kernel(), session_id=name)
        with self.context:
            self.box, self.rc = solara.render(Page(), handle_error=False)

    def close(self) -> None:
        with self.context:
            self.rc.close()

    def button(self, css: str):
        with self.context:
            return self.rc.find(v.Btn, class_=css).widget

    def click(self, css: str, times: int = 1) -> None:
        with self.context:
            for _ in range(times):
                self.button(css).click()

    def now(self) -> str:
        with self.context:
            return self.rc.find(v.Html, class_="innovate-now").widget.children[0]

    def texts(self) -> list[str]:
        """Every string child in the page (labels, messages, markdown sources)."""
        with self.context:
            out = []
            for widget in self.rc.find(v.Html).widgets:
                out += [c for c in widget.children if isinstance(c, str)]
            for widget in self.rc.find(v.Alert).widgets:
                out += [c for c in widget.children if isinstance(c, str)]
            return out

    def find(self, cls, **matches):
        with self.context:
            return self.rc.find(cls, **matches)

    def set(self, widget, value) -> None:
        with self.context:
            widget.v_model = value

    def type(self, widget, text: str) -> None:
        """Type into a text field and leave it (what a person does)."""
        with self.context:
            widget.v_model = text
            widget.fire_event("focusout", None)

    def tab(self, index: int) -> None:
        with self.context:
            self.rc.find(v.Tabs).widget.v_model = index

    def alerts(self) -> list[str]:
        with self.context:
            return [" ".join(str(c) for c in w.children)
                    for w in self.rc.find(v.Alert).widgets]


@pytest.fixture
def page():
    browser = Browser("a")
    yield browser
    browser.close()


def _map(browser: Browser):
    with browser.context:
        found = [w for w in browser.rc.find(v.VuetifyTemplate).widgets
                 if hasattr(w, "colors") and hasattr(w, "geometry")]
    assert len(found) == 1
    return found[0]


def test_step_run_and_reset_update_the_page_and_the_map(page):
    assert page.now() == "Now: January 2010 (step 0 of 104)"
    start = json.loads(_map(page).colors)
    assert len(start) == 212 and all(v == ["#e6e6e6", False] for v in start.values())
    page.click("innovate-step", 4)
    assert page.now() == "Now: January 2011 (step 4 of 104)"
    page.click("innovate-run")
    assert page.now() == "Now: January 2036 (step 104 of 104)"
    assert page.button("innovate-step").disabled and page.button("innovate-run").disabled
    colors = json.loads(_map(page).colors)
    assert sum(v[0] != "#e6e6e6" for v in colors.values()) > 50       # CS has spread
    tips = json.loads(_map(page).tips)
    assert tips["E09000012"][0] == "Hackney (London)"
    assert len(json.loads(_map(page).geometry)["shapes"]) == 212
    page.click("innovate-reset")
    assert page.now() == "Now: January 2010 (step 0 of 104)"


def test_two_sessions_have_their_own_models():
    a, b = Browser("first"), Browser("second")
    try:
        a.click("innovate-step", 6)
        assert a.now().startswith("Now: July 2011 (step 6")
        assert b.now().startswith("Now: January 2010 (step 0")
        b.click("innovate-run")
        assert b.now().startswith("Now: January 2036 (step 104")
        assert a.now().startswith("Now: July 2011 (step 6")
        c = Browser("third")                 # a newcomer starts from scratch
        try:
            assert c.now().startswith("Now: January 2010 (step 0")
        finally:
            c.close()
    finally:
        a.close()
        b.close()


def test_bad_input_shows_a_message_and_keeps_the_model(page):
    page.click("innovate-step", 2)
    seed = page.find(v.TextField, label="Seed (a whole number)").widget
    page.type(seed, "abc")
    assert any("'abc' is not a seed: type a whole number" in text for text in page.alerts())
    assert page.now().startswith("Now: July 2010 (step 2")          # nothing was reset
    extra = page.find(v.Textarea).widget
    page.type(extra, "approaches.CS.qq=1")
    assert any("approaches.CS.qq: unknown key" in text for text in page.alerts())
    page.type(extra, "this is not a setting")
    assert any("expected KEY=VALUE" in text for text in page.alerts())
    page.type(extra, "")
    assert any("Settings applied" in text for text in page.alerts())
    page.type(seed, "12")
    assert page.now().startswith("Now: January 2010 (step 0")
    assert any("Settings applied" in text for text in page.alerts())


def test_levers_and_presets_restart_the_run_with_new_settings(page):
    page.click("innovate-step", 3)
    cut = page.find(v.Slider, label="Budget cut from the start year: 0%").widget
    page.set(cut, 0.3)
    assert page.now().startswith("Now: January 2010 (step 0")
    assert page.find(v.Slider, label="Budget cut from the start year: 30%").widget.v_model \
        == 0.3
    preset = page.find(v.Select, label="Starting point (preset)").widget
    page.set(preset, "austerity-deepens")
    assert page.find(v.Slider, label="Budget cut from the start year: 20%").widget.v_model == \
        pytest.approx(0.2)
    assert any("further 20%" in text for text in page.texts())


def test_clicking_the_map_chooses_an_authority_and_opens_its_journey(page):
    page.click("innovate-run")
    with page.context:
        _map(page).vue_select("E09000012")
    assert page.find(v.CardTitle, children=["Hackney"]).widgets
    with page.context:
        card = page.rc.find(v.Card, class_="ma-0 innovate-authority-card").widget
        markdown = [t for t in _markdown(page) if "score (0-1)" in t]
    assert card is not None and markdown and "workforce capacity" in markdown[0]
    with page.context:
        page.rc.find(v.Btn, children=["Read its journey"]).widget.click()
    assert page.find(v.Tabs).widget.v_model == 2
    with page.context:
        stories = page.rc.find(v.Card, class_="ma-0 innovate-story").widgets
    assert len(stories) == 3
    with page.context:
        charts = [w for w in page.rc.find(v.VuetifyTemplate).widgets if hasattr(w, "spec")]
    assert charts and "conditions_CS" in charts[0].spec["datasets"]


def test_the_journeys_tab_picks_an_authority_by_name(page):
    page.click("innovate-step", 30)
    page.tab(2)
    picker = page.find(v.Autocomplete, label="Authority (type to search)").widget
    assert len(picker.items) == 212
    assert {"text": "Glasgow City", "value": "S12000049"} in picker.items
    page.set(picker, "S12000049")
    assert page.find(v.CardTitle, children=["Contextual Safeguarding (CS)"]).widgets
    assert any("Glasgow City (Scotland), to July 2017" in t for t in _markdown(page))


def test_uptake_tab_draws_counts_and_observed_points(page):
    page.click("innovate-run")
    page.tab(1)
    with page.context:
        specs = [w.spec for w in page.rc.find(v.VuetifyTemplate).widgets if hasattr(w, "spec")]
    assert len(specs) == 2
    stages = specs[0]["datasets"]["stages_CS"]
    assert len(stages) == 105 * 6 and max(r["count"] for r in stages) > 10
    shapes = {enc["field"]: enc["scale"]["range"] for spec in specs
              for panel in spec["hconcat"] for layer in panel.get("layer", [])
              for enc in [layer.get("encoding", {}).get("shape")] if enc}
    assert {"triangle-up", "triangle-down", "diamond"} <= set(shapes["key"])
    texts = " ".join(_markdown(page))
    for words in ("at least", "at most", "between", "seeded"):
        assert words in texts
    assert "observed_patterns" not in texts


def test_compare_tab_runs_two_ensembles_and_says_the_difference(page):
    """Scenario A (the page's) against B (the calibrated history): the paired answer first."""
    page.tab(3)
    with page.context:
        page.rc.find(v.Slider, label="Paired runs of each scenario: 20").widget.v_model = 3
        page.rc.find(v.Btn, class_="innovate-compare-run").widget.click()
    deadline = time.time() + 60
    while time.time() < deadline:
        texts = " ".join(t for t in _markdown(page))
        if "paired runs" in texts:
            break
        time.sleep(0.2)
    texts = " ".join(_markdown(page))
    assert "paired runs" in texts and "3 paired runs" in texts, texts[:2000]


def _markdown(page: Browser) -> list[str]:
    """The rendered HTML of every Markdown element on the page."""
    with page.context:
        return [w.template for w in page.rc.find(v.VuetifyTemplate).widgets
                if isinstance(getattr(w, "template", None), str)
                and "solara-markdown" in w.template]


def test_play_steps_until_paused(page):
    page.click("innovate-play")
    deadline = time.time() + 20
    while time.time() < deadline and "step 0 " in page.now():
        time.sleep(0.1)
    time.sleep(0.6)
    page.click("innovate-play")                  # pause
    time.sleep(0.5)
    paused_at = page.now()
    assert "step 0 " not in paused_at
    time.sleep(0.8)
    assert page.now() == paused_at


# -- issue 14: the panel, the typed numbers and the one-run notes, rendered on their own --------

class Part:
    """One component rendered in its own virtual kernel."""

    def __init__(self, element, name: str = "part"):
        self.context = VirtualKernelContext(id=name, kernel=kernel.Kernel(), session_id=name)
        with self.context:
            self.box, self.rc = solara.render(element, handle_error=False)

    def close(self) -> None:
        with self.context:
            self.rc.close()


def _texts(widget, skip=lambda w: False) -> list[str]:
    """Every string in a widget tree (children, labels, Markdown), leaving out ``skip``."""
    if skip(widget):
        return []
    out = []
    for name in ("label", "template", "v_model", "items"):
        value = getattr(widget, name, None)
        if name == "template" and isinstance(value, str):
            if "solara-markdown" in value:       # its HTML, without scripts and styles
                out.append(re.sub(r"<(script|style)\b.*?</\1>", " ", value, flags=re.S))
        elif isinstance(value, str):
            out.append(value)
        elif name == "items" and isinstance(value, list):
            out += [str(i) for i in value]
    for child in getattr(widget, "children", None) or []:
        out += [child] if isinstance(child, str) else _texts(child, skip)
    for slot in getattr(widget, "v_slots", None) or []:
        out += _texts(slot.get("children"), skip) if hasattr(slot.get("children"), "children") \
            else []
    return out


def _advanced(widget) -> bool:
    """An expansion panel whose header says "Advanced"."""
    if not isinstance(widget, v.ExpansionPanel):
        return False
    header = [c for c in widget.children if isinstance(c, v.ExpansionPanelHeader)]
    return bool(header) and any("Advanced" in t for t in _texts(header[0]))


DOTTED_KEY = re.compile(r"\b[a-z_]+\.[a-z_]+(\.[A-Za-z_<>]+)*\b|--set|2\*\*63|innovate run")


def test_no_parameter_keys_or_commands_outside_advanced():
    from dashboards.settings import Settings
    from dashboards.tabs.controls import ScenarioPanel
    settings = Settings.from_preset("austerity-deepens")
    part = Part(ScenarioPanel(settings=settings, on_settings=lambda s: None,
                              on_seed_text=lambda s: None, seed_text="0"))
    try:
        with part.context:
            outside = " ".join(_texts(part.box, skip=_advanced))
            everything = " ".join(_texts(part.box))
    finally:
        part.close()
    found = [m.group(0) for m in DOTTED_KEY.finditer(outside)
             if m.group(0) not in ("e.g",)]
    assert not found, found
    assert "levers.austerity_cut" in everything and "innovate run" in everything
    assert "Budget cut from the start year: 20%" in outside
    assert "English authority" in outside and "DfE statistical" in outside


def test_a_typed_number_sets_the_lever_and_a_bad_one_keeps_the_value():
    from dashboards.tabs.controls import Lever
    got = []

    @solara.component
    def Harness():
        value = solara.use_reactive(0.2)

        def set_value(new):
            got.append(new)
            value.set(new)

        Lever(label=f"Cut: {value.value:.0%}", value=value.value, low=-0.5, high=0.9,
              step=0.05, on_value=set_value, field="Cut (%)", scale=100)

    part = Part(Harness())
    try:
        def field():
            return part.rc.find(v.TextField, label="Cut (%)").widget

        def type_(text):
            with part.context:
                field().v_model = text
                field().fire_event("focusout", None)

        with part.context:
            assert field().v_model == "20"
        type_("abc")
        with part.context:
            assert got == [] and part.rc.find(v.Slider).widget.v_model == pytest.approx(0.2)
            assert " ".join(_texts(part.box)).count("'abc' is not a number") == 1
        type_("120")
        with part.context:
            assert got == [] and "120 is outside the range" in " ".join(_texts(part.box))
        type_("35")
        with part.context:
            assert got == [pytest.approx(0.35)]
            assert part.rc.find(v.Slider).widget.v_model == pytest.approx(0.35)
            assert part.rc.find(v.Slider, label="Cut: 35%").widgets
            assert "not a number" not in " ".join(_texts(part.box))
            assert field().v_model == "35"
    finally:
        part.close()


def test_single_run_views_say_they_are_one_run_and_twenty_runs_show_the_band():
    from dashboards.session import Session
    from dashboards.settings import Settings
    from dashboards.tabs.uptake import UptakeTab
    from sim.vocabulary import ONE_RUN_NOTE
    session = Session(Settings.from_preset("historical"))
    session.step(8)

    @solara.component
    def Harness():
        version = solara.use_reactive(0)
        UptakeTab(session=session, version=version)

    part = Part(Harness())
    try:
        with part.context:
            assert ONE_RUN_NOTE in " ".join(_texts(part.box))
            part.rc.find(v.BtnToggle, class_="innovate-uptake-runs").widget.v_model = 1
        deadline = time.time() + 120
        while time.time() < deadline:
            with part.context:
                specs = [w.spec for w in part.rc.find(v.VuetifyTemplate).widgets
                         if hasattr(w, "spec")]
            if specs:
                break
            time.sleep(0.3)
        with part.context:
            texts = " ".join(_texts(part.box))
        assert ONE_RUN_NOTE not in texts and "These are 20 runs" in texts
        rows = specs[0]["datasets"]["bands_TS"]
        assert all(r["low"] <= r["median"] <= r["high"] for r in rows)
        assert "authorities across the UK integrating Transitional Safeguarding" in texts
    finally:
        part.close()
