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

# How a published count relates to the model's count (the observation model, ODD 1.2):
# a point value, a band [low, high], a one-sided bound, or a seeded input (checked that the
# seeding happened, never counted as evidence of fit).
OBSERVATION_KINDS: dict[str, str] = {"point": "about", "band": "between", "lower": "at least",
                                     "upper": "at most", "input": "seeded"}
# The kinds a calibration may fit (a seeded input holds whatever the parameters are).
FITTED_KINDS: tuple[str, ...] = ("point", "band", "lower", "upper")

# The 90% band of an ensemble or a posterior: these two quantiles (equal tails).
BAND: tuple[float, float] = (0.05, 0.95)

# How a figure's legend or a chart's key names each kind of observation (plain words).
OBSERVATION_KEYS: dict[str, str] = {"point": "published count",
                                    "band": "between (published range)",
                                    "lower": "at least (published)",
                                    "upper": "at most (published)",
                                    "input": "seeded input, not a target"}
# Who a scope's count is of, in a sentence: (one, many), e.g. "55 English and Welsh councils".
SCOPE_COUNCILS: dict[str, tuple[str, str]] = {
    "UK": ("council in the UK", "councils across the UK"),
    "England and Wales": ("English or Welsh council", "English and Welsh councils"),
    "England": ("English council", "English councils"),
    "Wales": ("Welsh council", "Welsh councils"),
    "Scotland": ("Scottish council", "Scottish councils"),
    "Northern Ireland": ("authority in Northern Ireland", "authorities in Northern Ireland"),
}
# A measure in a sentence, before the approach's name: "engaged with Contextual Safeguarding".
MEASURE_PHRASES: dict[str, str] = {"engaged": "engaged with", "implementing": "implementing",
                                   "integrating": "integrating"}

# How the dashboard's menus name the shipped presets (plain words; a preset not listed here is
# shown by its file name).
PRESET_WORDS: dict[str, str] = {
    "historical-calibrated": "What happened (calibrated)",
    "historical": "What happened (uncalibrated priors)",
    "austerity-deepens": "Austerity deepens from 2026",
    "reinvestment": "Budgets restored from 2026",
    "workforce-crisis": "Workforce crisis from 2026",
    "cs-in-working-together-2023": "If Working Together 2023 had kept Contextual Safeguarding",
    "scotland-context-everywhere": "Scotland's trauma-informed path in every nation",
    "triad-funded": "CS, TIP and TS funded together from 2026",
}
