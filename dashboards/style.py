"""Colours, plain-words names and date labels shared by every part of the dashboard.

The model's own words (approaches, stages, statuses, conditions, measures, event kinds) come
from :mod:`sim.vocabulary`; this module only adds how the page shows them.
"""

from __future__ import annotations

import math

from sim.vocabulary import (
    ACTIVE,
    APPROACH_NAMES,
    APPROACHES,
    CONDITION_WORDS,
    CONDITIONS,
    ENDED,
    KINDS,
    MEASURES,
    PAUSED,
    STAGES,
    STATUSES,
)

# What the page shows of a journey's conditions: the five conditions, then readiness (all five
# combined), in the order of the model's journey fields.
READINESS = "readiness"
SCORES: tuple[str, ...] = (*CONDITIONS, READINESS)

APPROACH_COLORS: dict[str, str] = dict(zip(APPROACHES, ("#1b6ca8", "#c2571a", "#5e8c31"),
                                           strict=True))
# Not started, then Mobilising ... Wider system change (light to dark, colour-blind safe)
STAGE_COLORS: tuple[str, ...] = ("#e6e6e6", "#fde725", "#7ad151", "#22a884", "#2a788e",
                                 "#414487", "#440154")
ENDED_COLOR = "#b5473c"
PAUSED_OPACITY = 0.45       # a paused journey is drawn paler (map.vue uses the same opacity)
STATUS_COLORS: dict[str, str] = dict(zip(STATUSES, ("#333333", "#e0a100", ENDED_COLOR),
                                         strict=True))
SCENARIO_COLORS = ("#1b6ca8", "#d1495b")        # scenario A, scenario B in comparisons
CONDITION_LABELS: dict[str, str] = dict(zip(CONDITIONS, CONDITION_WORDS, strict=True)) | {
    READINESS: "readiness (all five combined)"}
CONDITION_COLORS: dict[str, str] = dict(zip(SCORES, ("#1b6ca8", "#c2571a", "#5e8c31",
                                                     "#8e44ad", "#7f7f7f", "#000000"),
                                            strict=True))
MEASURE_WORDS: dict[str, str] = dict(zip(MEASURES, (
    "engaged (Mobilising or further)",
    "implementing (Developing or further)",
    "integrating (Integrating or further)"), strict=True))
KIND_WORDS: dict[str, str] = dict(zip(KINDS, (
    "started", "moved on", "paused", "resumed", "went back a stage", "ended", "started again",
    "started as a named site"), strict=True))
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")
_COMPASS = ("North East", "North West", "South East", "South West", "East Midlands",
            "West Midlands", "East of England")


def approach_label(approach: str) -> str:
    """'Contextual Safeguarding (CS)'."""
    return f"{APPROACH_NAMES[approach]} ({approach})"


def stage_label(stage: int, status: str = STATUSES[ACTIVE]) -> str:
    """'Developing', 'Developing (paused)' or 'Developing (ended)'."""
    name = STAGES[int(stage)]
    return name if status == STATUSES[ACTIVE] else f"{name} ({status})"


def stage_color(stage: int, status: int) -> str:
    """The fill of a journey at ``stage`` with ``status`` (a :data:`STATUSES` index)."""
    return ENDED_COLOR if status == ENDED else STAGE_COLORS[stage]


def stage_legend() -> list[tuple[str, str, bool]]:
    """(label, colour, drawn paler) of every colour a map uses: the stages, paused, ended."""
    items = [(name, color, False) for name, color in zip(STAGES, STAGE_COLORS, strict=True)]
    return [*items, (f"{STATUSES[PAUSED]} (paler)", STAGE_COLORS[3], True),
            (STATUSES[ENDED], ENDED_COLOR, False)]


def date_label(t: float) -> str:
    """A calendar time as a month: 2018.25 -> 'April 2018'."""
    year = math.floor(t + 1e-9)
    month = min(11, int(round((t - year) * 12)))
    return f"{_MONTHS[month]} {year}"


def quarter_label(end: float, dt: float = 0.25) -> str:
    """The step that ends at ``end``: 2018.25 -> 'Jan-Mar 2018'."""
    start = end - dt
    year = math.floor(start + 1e-9)
    first = int(round((start - year) * 12))
    last = min(11, first + max(1, int(round(dt * 12))) - 1)
    return f"{_MONTHS[first][:3]}-{_MONTHS[last][:3]} {year}"


def years_words(delta: float) -> str:
    """'3.5 years', '2.25 years', '1 year', '3 months'."""
    delta = abs(delta)
    if delta < 1 - 1e-9:
        months = int(round(delta * 12))
        return f"{months} month{'s' if months != 1 else ''}"
    text = f"{delta:.2f}".rstrip("0").rstrip(".")
    return f"{text} year{'s' if text != '1' else ''}"


def points_words(share: float) -> str:
    """A difference of two shares in signed percentage points ("+3 points", "-1 point")."""
    if share != share:                  # NaN
        return "n/a"
    points = round(100 * share)
    if not points:
        return "0 points"
    return f"{points:+d} {'point' if abs(points) == 1 else 'points'}"


def times_words(n: int) -> str:
    """'never', 'once', 'twice', '3 times'."""
    return {0: "never", 1: "once", 2: "twice"}.get(n, f"{n} times")


def short_name(name: str) -> str:
    """An authority's name as people say it: 'Bristol, City of' -> 'Bristol'."""
    head, _, tail = name.partition(", ")
    return head if tail in ("City of", "County of") else name


def region_words(region: str) -> str:
    """A region as it reads in a sentence: 'the South West', 'London', 'Scotland'."""
    return f"the {region}" if region in _COMPASS else region


# The page's own CSS (WCAG 2.1 AA; docs/accessibility.md), put into the page by
# dashboards.tabs.page.PageBasics. Inline styles of the components need !important.
PAGE_CSS = """
:focus-visible { outline: 3px solid #1b4f8a !important; outline-offset: 2px !important; }
.v-btn:focus-visible, .v-tab:focus-visible, .v-expansion-panel-header:focus-visible {
  box-shadow: 0 0 0 5px #ffffff !important; }
.v-alert .v-alert__content, .v-alert .v-alert__icon { color: #1f2933 !important; }
.v-alert.info--text, .v-alert.info { border-left: 5px solid #1b4f8a !important; }
.v-alert.error--text, .v-alert.error { border-left: 5px solid #a61b1b !important; }
.v-alert.success--text, .v-alert.success { border-left: 5px solid #1e6b34 !important; }
.v-alert.warning--text, .v-alert.warning { border-left: 5px solid #8a5a00 !important; }
.solara-markdown h1 { font-size: 1.4rem; line-height: 1.3; margin: 0.2em 0 0.4em; }
.solara-markdown h2 { font-size: 1.15rem; line-height: 1.3; }
.innovate-visually-hidden { position: absolute !important; width: 1px; height: 1px;
  overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
.innovate-chart { max-width: 100%; overflow-x: auto; }
.innovate-chart-words summary { cursor: pointer; font-size: 13px; color: #1b4f8a; }
.innovate-chart-words table, .innovate-map-list table { border-collapse: collapse;
  font-size: 12.5px; margin: 4px 0; }
.innovate-chart-words th, .innovate-chart-words td, .innovate-map-list th,
.innovate-map-list td { border: 1px solid #c5ccd3; padding: 2px 6px; text-align: left; }
.innovate-map-list .innovate-scroll { max-height: 320px; overflow-y: auto; }
.innovate-map-list button { text-decoration: underline; color: #1b4f8a; text-align: left; }
@media (max-width: 700px) {
  .v-application [style*="min-width"] { min-width: 0 !important; }
  .v-application [style*="flex-wrap: nowrap"] { flex-wrap: wrap !important; }
  .innovate-scenario-panel { flex: 1 1 100% !important; width: 100% !important;
    max-height: none !important; }
  .v-application .v-main, .v-application .container { max-width: 100vw; }
  .v-tabs-bar { max-width: 100%; }
  .innovate-map svg { height: auto !important; min-height: 0 !important; }
  pre, table { max-width: 100%; overflow-x: auto; display: block; }
}
"""
