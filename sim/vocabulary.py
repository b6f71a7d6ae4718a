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

# The equity lens: each nation's authorities in fifths by their within-nation deprivation rank,
# named from least to most deprived; the gap is the most deprived fifth less the least.
QUINTILES = 5
QUINTILE_NAMES: tuple[str, ...] = ("Q1 least deprived", "Q2", "Q3", "Q4", "Q5 most deprived")
GAP_NAME = "gap Q5 - Q1"
# The groups the equity lens reports, in the order of its table.
EQUITY_GROUPS: tuple[str, ...] = ("UK", "nation", "region", "quintile", "gap")

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

# How a comparison names a changed lever in a sentence (dotted parameter -> words; the value is
# put in by dashboards.ensembles.scenario_words). Policy and tie levers name their approach,
# nation or tie after these words.
LEVER_WORDS: dict[str, str] = {
    "levers.start": "changes from {year}",
    "levers.austerity_cut": "a further budget cut of {percent}",
    "levers.austerity_cut.restored": "budgets restored by {percent}",
    "levers.austerity_years": "the cut phased in over {years}",
    "levers.workforce_pressure": "social worker turnover, vacancies and agency use x{times}",
    "levers.policy": "national policy support for {approach} in {nation} x{times}",
    "network.weights": "learning through {tie} x{times}",
    "mechanisms.synergy": "CS, TIP and TS not helping each other",
    "synergy.tip_to_cs_ts": "TIP speeding up CS and TS by {percent}",
    "synergy.cs_to_tip": "CS speeding up TIP by {percent}",
    "extra": "more settings: {text}",
    "none": "as the starting point has it",
}
# What the bands and the paired differences of a comparison include and leave out, and what a
# comparison is not (the decision summary's caveats).
COMPARISON_CAVEATS: tuple[str, ...] = (
    "This is a model, not a forecast: it turns assumptions into consequences you can inspect "
    "and argue with.",
    "Each scenario is run many times with the same seeds (common random numbers), so a paired "
    "difference comes from the scenarios, not from the luck of the draw.",
    "The bands hold 90% of the runs: the chance events of the model (a new director, an "
    "inspection, a budget shock), and, where a scenario is built on the calibrated history, "
    "the calibration's uncertainty about its parameters (one posterior draw per run).",
    "They leave out what the model cannot know: whether its structure is right, and events "
    "after the data it was calibrated on.",
)

# What the dashboard says about a scenario's link (dashboards.settings.Settings.from_query) and
# about its connection to the server (dashboards.app.ConnectionNotice).
LINK_WORDS: dict[str, str] = {
    "copy": "Copy link",
    "copied": "Link copied: paste it anywhere to open this scenario again.",
    "field": "Link to this scenario",
    "bad": "This link could not be used ({reason}). The page shows {preset} instead.",
    "unknown": "the link has settings this page does not know: {keys}",
    "twice": "the link gives {key} twice",
    "number": "{key} in the link must be a number (got {value})",
    "switch": "{key} in the link must be true or false (got {value})",
    "lost": "Lost contact with the dashboard. Trying to reconnect…",
    "restarted": "The dashboard restarted. Reload the page: your link keeps your scenario.",
    "reload": "Reload the page",
}

# -- one run and many runs (the Uptake and Map tabs) ---------------------------------------------
# What a view of a single run says about itself.
ONE_RUN_NOTE = ("This is one run of the model: chance events differ from run to run; switch to "
                "20 runs to see the range.")
# The switch between one run and many runs.
RUN_VIEWS: dict[str, str] = {"one": "One run", "many": "20 runs"}
# How the "20 runs" view of the Uptake tab names a measure: what is counted, and where.
MEASURE_COUNTED: dict[str, str] = {
    "engaged": "authorities across the UK engaged with {approach}",
    "implementing": "authorities across the UK implementing {approach} (Developing or beyond)",
    "integrating": "authorities across the UK integrating {approach} (Integrating or beyond)",
}

# -- readable exports ----------------------------------------------------------------------------
# Column names of the readable CSV files (the raw files keep the model's own names).
READABLE_COLUMNS: dict[str, str] = {
    "time": "Date (end of quarter)", "agent_id": "Authority code", "name": "Authority",
    "nation": "Nation", "region": "Region", "approach": "Approach", "stage": "Stage number",
    "stage_name": "Stage", "status": "Status", "count": "Number of authorities",
    "from_stage": "From stage", "to_stage": "To stage", "kind": "What happened",
    "reason": "Why", "child_population": "Children living there", "culture": "Open culture",
    "workforce": "Workforce capacity", "case": "Case and buy-in", "design": "Achievable design",
    "macro": "Macro context", "readiness": "Readiness (all five combined)",
    "spend_gbp_to_date": "Spend to date (£)", "outcome": "Outcome (0-1)",
    "stage_readable": "Stage", "spend_gbp": "spend (£)", "integrated_ever": "ever integrated",
}
# The summary metrics in words: ``{name}`` is the approach's full name; ``{pct}`` a share.
METRIC_WORDS: dict[str, str] = {
    "year_engaged": "When {pct}% of UK authorities were engaged with {name}",
    "year_integrated": "When {pct}% of UK authorities were integrating {name}",
    "share_integrated_2030": "Share of UK authorities integrating {name} in 2030 (%)",
    "engaged_end": "UK authorities engaged with {name} at the end of the run",
    "integrated_end": "UK authorities integrating {name} at the end of the run",
    "peak_uptake_year": "Year in which most UK authorities took up {name}",
    "clustering_moran_i": "How clustered {name} is on the map (Moran's I: 0 none, 1 complete)",
    "spend_gbp_m": "Spent on {name} over the run (£ million)",
    "outcome_end": "Outcome of {name} at the end of the run (0-1)",
    "outcome_years_per_gbp_m": "Outcome-years of {name} per £1 million spent",
    "gap_engaged_end": "Share of the most deprived fifth of authorities engaged with {name}, "
                       "less that of the least deprived fifth, at the end of the run",
    "gap_integrated_end": "Share of the most deprived fifth of authorities integrating {name}, "
                          "less that of the least deprived fifth, at the end of the run",
    "gap_outcome_end": "Outcome of {name} in the most deprived fifth of authorities less that "
                       "in the least deprived fifth, at the end of the run",
}
# The equity lens of a comparison (dashboards/ensembles.py).
EQUITY_WORDS: dict[str, str] = {
    "title": "By deprivation, nation and region (at the end of the run)",
    "gap": "At the end of the run, the share of authorities integrating {name} in the most "
           "deprived fifth of each nation less that in the least deprived fifth is {gap_a} "
           "under {a} and {gap_b} under {b}: a difference of {difference} ({band} of {runs} "
           "paired runs between {low} and {high}).",
    "table": "Share of each group's authorities engaged and integrating, mean over the runs; "
             "the difference is {a} less {b}, pair by pair. Fifths (Q1-Q5) are of each "
             "nation's authorities by deprivation; the gap is Q5 less Q1.",
}
# The "Where to fund next" tab's words (dashboards/tabs/funding.py).
FUND_WORDS: dict[str, str] = {
    "intro": "**Where to fund next.** Choose an approach and how many authorities a programme "
             "could fund from 2026, for three years, starting at Designing. Each way of "
             "choosing them is tried on the same simulated futures as choosing the same number "
             "at random, and the difference is what the choice buys. The optimised choice "
             "searches for the authorities that bring most others to integrating by 2036; it "
             "chooses on one set of runs and is scored on another, so its advantage is not "
             "flattered.",
    "headline": "Funding {sites} authorities chosen {strategy} gives {gain} authorities "
                "integrating {name} in {year} compared with {sites} chosen at random (90% "
                "interval {low} to {high}, over {seeds} paired runs): {verdict}.",
    "clear": "a clear gain",
    "unclear": "not clearly better than chance",
    "random": "at random",
    "none": "none funded",
    "most_ready": "by readiness (most ready first)",
    "most_connected": "by their ties (most connected first)",
    "one_per_region": "one per region (the most ready of each)",
    "most_deprived": "by deprivation (most deprived first)",
    "optimised": "by the optimised search",
    "random_sites": "a random set in each run",
    "equity": "The equity gap is the share integrating in the most deprived fifth of each "
              "nation's authorities less that in the least deprived fifth, in 2036. A change "
              "above zero means the choice favours the most deprived more than a random one.",
    "map": "Where the funded authorities are",
    "running": "Running the strategies: {runs} runs so far...",
    "stale": "These results are for the choices as they were; find the sites again.",
    "button": "Find where to fund",
    "link": "Link to these choices",
}
# Where the record's counts are taken ("EW" in a metric's name is England and Wales).
METRIC_PLACES: dict[str, str] = {"EW": "England and Wales", "England": "England",
                                 "Wales": "Wales", "Scotland": "Scotland",
                                 "NI": "Northern Ireland"}
# The Compare tab's own sentences.
COMPARE_WORDS: dict[str, str] = {
    "intro": "**Compare two scenarios.** Set scenario A and scenario B with the same levers as "
             "the panel on the left: A starts as your scenario, B as what happened "
             "(calibrated). Each is run many times with the same seeds, run for run, so the "
             "difference between a pair of runs comes from the scenarios, not from chance.",
    "stale": "These results are for the scenarios as they were; run the comparison again.",
    "follow": "Scenario A follows the scenario on the left until you change it here.",
    "own": "Scenario A is set here; the scenario on the left no longer changes it.",
    "seed": "The seed is not used here: each scenario runs seeds 0, 1, 2, ... in turn.",
    "summary": "A one-page summary of this comparison, for a meeting or a paper: the "
               "scenarios in words, the answer, the chart, what it leaves out, and the link "
               "that reproduces it.",
}
