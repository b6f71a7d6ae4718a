"""Validity of the calibrated history: the observation model, named authorities, the shape.

Twenty seeds of ``historical-calibrated`` (the posterior medians) against the observation model
of docs/ODD.md section 1.2 (sim/data/observed_patterns.csv). The acceptance figures are the
model issue's: a mean over 20 seeds inside each band and on the right side of each bound, and
the named authorities' journeys in the share of runs the record asks for. Seeded inputs (the
named pilot sites, all 32 Scottish councils funded for TIP) are checked as inputs: that the
seeding happened, never as evidence of fit.

Each test guards parameters that can break it; the closing note of the issue shows each one
failing when its parameter is moved far from its value.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.data import load_uk
from sim.output.metrics import measure_counts, value_at
from sim.vocabulary import APPROACHES, DESIGNING, DEVELOPING, INTEGRATING, SCOPES

HACKNEY = "E09000012"
SCALE_UP = ["E06000023", "E10000016", "E08000011", "W06000011", "E06000054"]
LONDON = ["E09000002", "E09000009", "E09000029", "E09000024"]
ENGLISH = 153


def mean_count(runs, measure: str, scope: str, approach: str, when: float) -> float:
    """Mean over the runs of the journeys at or beyond a measure's stage, not ended, at a time."""
    a = APPROACHES.index(approach)
    return float(np.mean([value_at(r.times, measure_counts(r.counts, measure, scope)[:, a],
                                   when) for r in runs]))


def stage_at(run, agent: str, approach: str, when: float) -> tuple[int, bool]:
    """A journey's stage at a time and whether it has ended, from the run's event log."""
    events = run.events
    mine = events[(events["agent_id"] == agent) & (events["approach"] == approach)
                  & (events["time"] <= when + 1e-9)]
    if not len(mine):
        return 0, False
    last = mine.iloc[-1]
    return int(last["to_stage"]), last["kind"] == "end"


# ------------------------------------------------------------------ the done-when figures

def test_english_cs_engaged_in_2022_is_70_to_84_percent(calibrated_runs):
    share = mean_count(calibrated_runs, "engaged", "England", "CS", 2022.0) / ENGLISH
    assert 0.70 <= share <= 0.84


def test_english_cs_at_developing_or_beyond_in_2022_is_28_to_40_percent(calibrated_runs):
    share = mean_count(calibrated_runs, "implementing", "England", "CS", 2022.0) / ENGLISH
    assert 0.28 <= share <= 0.40


@pytest.mark.parametrize(("when", "at_least"), [(2018.5, 30), (2022.0, 55), (2024.0, 78)])
def test_cs_engaged_in_england_and_wales_meets_the_interest_network_counts(
        calibrated_runs, when, at_least):
    assert mean_count(calibrated_runs, "engaged", "England and Wales", "CS", when) >= at_least


def test_every_observed_count_holds_on_average(calibrated_runs):
    """Each band and bound of the observation model's counts, on the mean of the 20 runs.

    (The named-authority observation, Hackney, is a share of runs: tested below.)
    """
    observed = load_uk().observed
    counts = observed[(observed["kind"] != "input") & observed["scope"].isin(list(SCOPES))]
    assert len(counts) == 10
    for row in counts.itertuples():
        mean = np.mean([r.metrics[f"patterns.{row.metric}"] for r in calibrated_runs])
        assert row.low <= mean <= row.high, (row.id, row.metric, mean)


# ------------------------------------------------------------------ named authorities

def test_hackney_embeds_cs_integrating_and_not_ended_in_mid_2022_in_80_percent(calibrated_runs):
    embedded = [stage_at(r, HACKNEY, "CS", 2022.5) for r in calibrated_runs]
    share = np.mean([stage >= INTEGRATING and not ended for stage, ended in embedded])
    assert share >= 0.8, share
    # the run's own pattern metric (O12) says the same, run by run
    metric = [r.metrics["patterns.CS_Hackney_integrating_2022"] for r in calibrated_runs]
    assert np.mean(metric) == share


@pytest.mark.parametrize("agent", SCALE_UP + LONDON)
def test_each_scale_up_and_london_site_reaches_developing_by_2022_in_most_runs(
        calibrated_runs, agent):
    reached = [stage_at(r, agent, "CS", 2022.0) for r in calibrated_runs]
    share = np.mean([stage >= DEVELOPING and not ended for stage, ended in reached])
    assert share > 0.5, (agent, share)


# ------------------------------------------------------------------ seeded inputs

def test_the_named_cs_sites_are_seeded_as_inputs(calibrated_runs):
    """O1: Hackney from 2014.5 (Designing from 2017.36), the nine test sites from 2019.36."""
    for run in calibrated_runs:
        events = run.events
        seeded = events[events["kind"] == "seed"]
        assert stage_at(run, HACKNEY, "CS", 2014.75)[0] >= 1
        assert stage_at(run, HACKNEY, "CS", 2017.5)[0] >= DESIGNING
        sites = seeded[(seeded["approach"] == "CS") & (seeded["time"] > 2019.3)
                       & (seeded["time"] < 2019.6)]
        assert set(sites["agent_id"]) <= set(SCALE_UP + LONDON)
        # in the seeding quarter (ending 2019.5) every site is moved up to Designing, unless
        # it was there already (then it is not logged, and may move on its own hazards)
        for agent in set(SCALE_UP + LONDON) - set(sites["agent_id"]):
            assert stage_at(run, agent, "CS", 2019.25)[0] >= DESIGNING, agent
        assert (sites["to_stage"] >= DESIGNING).all()


def test_all_32_scottish_councils_are_seeded_for_tip_in_2021_as_an_input(calibrated_runs):
    """O9 holds by construction (NTTP funding of every council): checked as an input only."""
    for run in calibrated_runs:
        engaged = measure_counts(run.counts, "engaged", "Scotland")[:, APPROACHES.index("TIP")]
        assert value_at(run.times, engaged, 2021.5) == 32       # the quarter after 2021.25


# ------------------------------------------------------------------ shape

def test_cs_uptake_is_s_shaped_and_starts_late(calibrated_runs):
    """Yearly new CS journeys implementing in England and Wales rise to a peak, then fall.

    Uptake is implementation, Developing or beyond (the review's "implementing CS in systems
    and practice"): its mean yearly increase over 2016-2030 peaks in an inner year, the first
    three years average under half the peak and the last year is under half the peak, a
    logistic curve's rise and saturation. Engagement starts late: at most Hackney (and one
    more) engaged before the CS Network of September 2016.
    """
    times = calibrated_runs[0].times
    engaged = np.mean([measure_counts(r.counts, "engaged", "England and Wales")[:, 0]
                       for r in calibrated_runs], axis=0)
    assert engaged[times <= 2016.5].max() <= 2
    implementing = np.mean([measure_counts(r.counts, "implementing", "England and Wales")[:, 0]
                            for r in calibrated_runs], axis=0)
    level = np.array([value_at(times, implementing, y) for y in np.arange(2016.0, 2031.0)])
    growth = np.diff(level)
    peak = int(np.argmax(growth))
    assert 0 < peak < len(growth) - 1, growth
    assert growth[:3].mean() < 0.5 * growth[peak], growth
    assert growth[-1] < 0.5 * growth[peak], growth


def test_ts_spreads_more_slowly_than_cs(calibrated_runs):
    ts = mean_count(calibrated_runs, "engaged", "England", "TS", 2024.0)
    cs = mean_count(calibrated_runs, "engaged", "England", "CS", 2024.0)
    assert ts < 0.6 * cs
