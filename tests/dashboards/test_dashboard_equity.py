"""The equity lens of a comparison: the gap under each scenario and every group's shares."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

import sim
from dashboards.charts import gap_spec
from dashboards.ensembles import equity_rows, gap_bands, gap_sentence, scenario_pair
from dashboards.frames import markdown_table
from dashboards.settings import Settings
from dashboards.style import points_words


@pytest.fixture(scope="module")
def pair():
    base = Settings.from_preset("historical-calibrated")
    cut = replace(base, austerity_cut=0.3)
    return cut, base, scenario_pair(cut, base, 3, "what happened")


def test_the_gap_is_each_run_s_own(pair):
    """The sentence's gaps are the mean over runs of each run's end-of-run gap metric."""
    cut, base, (a, b) = pair
    runs = {label: [sim.InnovationModel(config=s.config(), seed=seed).run()
                    for seed in range(3)] for label, s in (("a", cut), ("b", base))}
    gap = {label: np.mean([r.metrics["TS.gap_integrated_end"] for r in rs])
           for label, rs in runs.items()}
    assert (f"is {points_words(gap['a'])} under your scenario and {points_words(gap['b'])} "
            "under what happened") in gap_sentence(a, b, "TS")
    rows = equity_rows(a, b, "TS")
    uk = rows[rows["name"] == "UK"].iloc[0]
    assert uk["integrating, your scenario"] == pytest.approx(
        np.mean([r.metrics["TS.integrated_end"] for r in runs["a"]]) / 212)
    q5 = rows[rows["name"] == "Q5 most deprived"].iloc[0]
    q1 = rows[rows["name"] == "Q1 least deprived"].iloc[0]
    last = rows.iloc[-1]
    assert last["group"] == "gap"
    assert last["integrating, difference"] == pytest.approx(
        (q5["integrating, your scenario"] - q5["integrating, what happened"])
        - (q1["integrating, your scenario"] - q1["integrating, what happened"]))
    table = markdown_table(rows, percent=tuple(rows.columns[2:-1]),
                           points=(rows.columns[-1],))
    assert table.count("\n") == len(rows) + 1 and "| nation | Scotland |" in table


def test_the_gap_over_time_is_the_runs_gaps(pair):
    """The chart's lines are the mean over runs of each run's gap at every step."""
    cut, base, (a, b) = pair
    runs = [sim.InnovationModel(config=cut.config(), seed=seed).run() for seed in range(3)]
    bands = gap_bands(a, b, "CS")
    mine = bands[bands["scenario"] == a.label]
    np.testing.assert_allclose(mine["mean"].to_numpy(),
                               np.nanmean([r.gaps[:, 0, 1] for r in runs], axis=0))
    assert (mine["p05"] <= mine["mean"] + 1e-12).all()
    assert (mine["mean"] <= mine["p95"] + 1e-12).all()
    spec = gap_spec(bands, (a.label, b.label), "CS", (2010.0, 2036.0))
    assert "Contextual Safeguarding" in spec["description"]
    assert len(spec["datasets"]["gap"]) == len(bands)
