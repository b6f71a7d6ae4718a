"""The words of the model, in one place: approaches, nations, stages, statuses and the rest.

Everything that names or counts journeys imports them from here; the order of each tuple is
the order of the matching array axis.
"""

from __future__ import annotations

from typing import Literal

APPROACHES: tuple[str, ...] = ("CS", "TIP", "TS")
APPROACH_NAMES: dict[str, str] = {"CS": "Contextual Safeguarding",
                                  "TIP": "Trauma-Informed Practice",
                                  "TS": "Transitional Safeguarding"}
NATIONS: tuple[str, ...] = ("England", "Wales", "Scotland", "Northern Ireland")
Approach = Literal["CS", "TIP", "TS"]
Nation = Literal["England", "Wales", "Scotland", "Northern Ireland"]

# The six stages of the innovation journey, after "not started" (stage 0).
STAGES: tuple[str, ...] = ("Not started", "Mobilising", "Designing", "Developing",
                           "Integrating", "Growing", "Wider system change")
NOT_STARTED, MOBILISING, DESIGNING, DEVELOPING, INTEGRATING, GROWING, WIDER = range(7)
STATUSES: tuple[str, ...] = ("active", "paused", "ended")
ACTIVE, PAUSED, ENDED = range(3)

# The kinds of event in a journey's log.
KINDS: tuple[str, ...] = ("prompt", "progress", "pause", "resume", "revisit", "end", "restart",
                          "seed")

# The five conditions for innovation to flourish (the Innovate Project's finding 1).
CONDITIONS: tuple[str, ...] = ("case", "workforce", "design", "culture", "macro")
CONDITION_WORDS: tuple[str, ...] = ("case and buy-in", "workforce capacity", "achievable design",
                                    "open culture", "macro context")

# What a count of journeys measures: at or beyond this stage, and not ended.
MEASURES: dict[str, int] = {"engaged": MOBILISING, "implementing": DEVELOPING,
                            "integrating": INTEGRATING}
# Where it is counted.
SCOPES: dict[str, tuple[str, ...]] = {
    "UK": NATIONS,
    "England and Wales": ("England", "Wales"),
    "England": ("England",),
    "Wales": ("Wales",),
    "Scotland": ("Scotland",),
    "Northern Ireland": ("Northern Ireland",),
}

# The 90% band of an ensemble or a posterior: these two quantiles (equal tails).
BAND: tuple[float, float] = (0.05, 0.95)
