"""Plain-words names, colours and date labels shared by every part of the dashboard."""

from __future__ import annotations

import math

from sim.vocabulary import APPROACHES, CONDITION_WORDS, CONDITIONS, STAGES

APPROACH_NAMES: dict[str, str] = {
    "CS": "Contextual Safeguarding",
    "TIP": "Trauma-Informed Practice",
    "TS": "Transitional Safeguarding",
}
APPROACH_COLORS: dict[str, str] = {"CS": "#1b6ca8", "TIP": "#c2571a", "TS": "#5e8c31"}
# Not started, then Mobilising ... Wider system change (light to dark, colour-blind safe)
STAGE_COLORS: tuple[str, ...] = ("#e6e6e6", "#fde725", "#7ad151", "#22a884", "#2a788e",
                                 "#414487", "#440154")
ENDED_COLOR = "#b5473c"
STATUS_COLORS: dict[str, str] = {"active": "#333333", "paused": "#e0a100", "ended": ENDED_COLOR}
SCENARIO_COLORS = ("#1b6ca8", "#d1495b")        # scenario A, scenario B in comparisons
CONDITION_LABELS: dict[str, str] = dict(zip(CONDITIONS, CONDITION_WORDS, strict=True)) | {
    "readiness": "readiness (all five combined)"}
CONDITION_COLORS: dict[str, str] = {"case": "#1b6ca8", "workforce": "#c2571a",
                                    "design": "#5e8c31", "culture": "#8e44ad",
                                    "macro": "#7f7f7f", "readiness": "#000000"}
MEASURE_WORDS: dict[str, str] = {
    "engaged": "engaged (Mobilising or further)",
    "implementing": "implementing (Developing or further)",
    "integrating": "integrating (Integrating or further)",
}
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")


def approach_label(approach: str) -> str:
    """'Contextual Safeguarding (CS)'."""
    return f"{APPROACH_NAMES[approach]} ({approach})"


def stage_label(stage: int, status: str = "active") -> str:
    """'Developing', 'Developing (paused)' or 'Developing (ended)'."""
    name = STAGES[int(stage)]
    return name if status == "active" else f"{name} ({status})"


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


__all__ = ["APPROACHES", "APPROACH_NAMES", "STAGES", "approach_label", "date_label",
           "quarter_label", "stage_label", "years_words"]
