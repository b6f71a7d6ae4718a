"""WCAG 2.1 AA in a real browser: axe-core (through ``axe-playwright-python``, which bundles
its own ``axe.min.js``, so nothing is fetched) finds no violation on any tab of the explorer
or any step of any lesson; the page reflows at 320 px, zooms and shows focus.

The server and browser are those of the other browser tests (one of each per module).
"""

from __future__ import annotations

import pytest
from test_dashboard_browser import Tab, server  # noqa: F401 (the module's server fixture)

pytestmark = pytest.mark.browser

# The rules of WCAG 2.0/2.1 A and AA, and axe's best practices (one h1, landmarks, ...).
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a",
                                                       "wcag21aa", "best-practice"]},
               "resultTypes": ["violations"]}
# What each tab shows once it is drawn.
TAB_READY = {"Map": ".innovate-map-area", "Uptake": ".vega-embed canvas, .vega-embed svg",
             "Journeys": ".innovate-story",
             "Compare": ".innovate-compare-run", "Where to fund next": ".innovate-fund-run",
             "Export": "text=Map of",
             "About": "text=What this is."}


def _titles(lesson_id: str) -> list[str]:
    from dashboards.teaching.lessons import curriculum
    return [step.title for step in curriculum().lesson_by_id(lesson_id).steps]


def _steps() -> list[tuple[str, int, str]]:
    from dashboards.teaching.lessons import curriculum
    return [(lesson.id, k, step.title) for lesson in curriculum().lessons
            for k, step in enumerate(lesson.steps)]


def axe_violations(page) -> list[dict]:
    """axe-core's violations on the page as it is now."""
    from axe_playwright_python.sync_playwright import Axe
    page.wait_for_timeout(600)          # let Vega and Vue finish drawing
    return Axe().run(page, options=AXE_OPTIONS).response["violations"]


def describe(violations: list[dict]) -> str:
    """Each violation's id, impact, help and (up to five of) its targets."""
    lines = []
    for v in violations:
        lines.append(f"{v['id']} ({v['impact']}): {v['help']} [{len(v['nodes'])} nodes]")
        for node in v["nodes"][:5]:
            lines.append(f"    {node['target']}: {node.get('failureSummary', '')[:300]!r}")
    return "\n".join(lines)


def assert_no_violations(page, where: str) -> None:
    violations = axe_violations(page)
    report = describe(violations)
    if violations:
        print(f"axe-core violations on {where}:\n{report}")
    assert violations == [], f"{len(violations)} kinds of violation on {where}:\n{report}"


@pytest.mark.parametrize("name", list(TAB_READY))
def test_no_axe_violations_on_a_tab(browser, server, name):  # noqa: F811
    tab = Tab(browser, server)
    try:
        tab.step(1)                      # conditions exist from the first step on
        tab.page.locator('path.innovate-map-area[data-id="E09000012"]').click()  # Hackney
        tab.page.locator(".innovate-authority-card").wait_for()
        tab.tab(name)
        tab.page.locator(TAB_READY[name]).first.wait_for()
        assert_no_violations(tab.page, f"the {name} tab")
    finally:
        tab.close()


@pytest.mark.parametrize(("lesson", "k", "title"), _steps(),
                         ids=[f"{lesson}-{k + 1}" for lesson, k, _ in _steps()])
def test_no_axe_violations_on_a_teach_step(browser, server, lesson, k, title):  # noqa: F811
    tab = Tab(browser, f"{server}?lesson={lesson}", ready=(".innovate-teach-title",))
    page = tab.page
    try:
        for shown in _titles(lesson)[1:k + 1]:      # one step at a time, as a trainer would
            page.locator(".innovate-teach-next").click()
            page.locator(".innovate-teach-title", has_text=shown).wait_for(timeout=90_000)
        page.locator(".innovate-teach-title", has_text=title).wait_for(timeout=90_000)
        assert_no_violations(page, f"lesson {lesson}, step {k + 1} ({title})")
    finally:
        tab.close()


def test_the_page_has_lang_zooms_and_reflows_at_320px(browser, server):  # noqa: F811
    tab = Tab(browser, server)
    page = tab.page
    try:
        assert page.evaluate("document.documentElement.lang") == "en"
        viewport = page.evaluate("document.querySelector('meta[name=viewport]').content")
        assert "maximum-scale" not in viewport and "user-scalable=no" not in viewport
        assert page.locator("h1").count() == 1
        for name in TAB_READY:
            page.set_viewport_size({"width": 320, "height": 800})
            tab.tab(name)
            if name == "Journeys":
                continue                 # nothing chosen yet: only the picker
            page.locator(TAB_READY[name]).first.wait_for()
            page.wait_for_timeout(400)
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 320, f"the {name} tab scrolls sideways at 320 px: {width} px wide"
    finally:
        tab.close()


def test_focus_is_visible_and_the_map_has_a_keyboard_list(browser, server):  # noqa: F811
    tab = Tab(browser, server)
    page = tab.page
    try:
        tab.step(1)
        step = page.locator(".innovate-step")
        step.focus()
        page.keyboard.press("Shift+Tab")
        page.keyboard.press("Tab")           # focus from the keyboard, as :focus-visible wants
        outline = step.evaluate("e => getComputedStyle(e).outlineStyle + ' ' "
                                "+ getComputedStyle(e).outlineColor")
        assert outline.startswith("solid") or outline.startswith("auto"), outline
        assert "250, 250, 250" not in outline and "255, 255, 255" not in outline, outline
        summary = page.locator(".innovate-map-list summary")
        summary.focus()
        page.keyboard.press("Enter")
        rows = page.locator(".innovate-map-list tbody tr")
        assert rows.count() == 212
        button = page.locator(".innovate-map-list button", has_text="Hackney")
        button.focus()
        page.keyboard.press("Enter")
        page.locator(".innovate-authority-card", has_text="Hackney").wait_for()
    finally:
        tab.close()
