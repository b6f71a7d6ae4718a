"""The equity lens: groups, shares and the deprivation gap, checked against the final state."""

from __future__ import annotations

import numpy as np
import pytest

import sim
from sim.mechanics.population import authorities
from sim.output.equity import EQUITY_MEASURES
from sim.vocabulary import APPROACHES, GAP_NAME, NATIONS, QUINTILE_NAMES, QUINTILES


@pytest.fixture(scope="module")
def result() -> sim.RunResult:
    return sim.run("historical-calibrated", seed=3)


def test_quintiles_are_fifths_of_each_nation():
    population = authorities(sim.load_config("historical"))
    q = population.quintile
    for n, nation in enumerate(NATIONS):
        mine = population.nation == n
        sizes = np.bincount(q[mine], minlength=QUINTILES)
        # each nation's fifths differ in size by at most one authority (ties aside)
        assert sizes.max() - sizes.min() <= 1, (nation, sizes)
        # the most deprived fifth holds the highest within-nation ranks
        assert population.need[mine & (q == QUINTILES - 1)].min() > population.need[
            mine & (q == 0)].max()


def test_last_step_matches_the_final_state(result):
    """Every group's shares and mean outcome at the end, recounted from the agents table."""
    agents, table = result.agents, result.equity
    quintile = result.population.quintile
    last = table[table["time"] == result.times[-1]]
    for approach in APPROACHES:
        alive = agents[f"{approach}_status"] != "ended"
        engaged = alive & (agents[f"{approach}_stage"] >= 1)
        integrating = alive & (agents[f"{approach}_stage"] >= 4)
        outcome = agents[f"{approach}_outcome"]
        groups = {("UK", "UK"): np.ones(len(agents), bool)}
        groups |= {("nation", n): (agents["nation"] == n).to_numpy() for n in NATIONS}
        groups |= {("region", r): (agents["region"] == r).to_numpy()
                   for r in result.population.regions}
        groups |= {("quintile", name): quintile == q for q, name in enumerate(QUINTILE_NAMES)}
        for (group, name), mask in groups.items():
            row = last[(last["group"] == group) & (last["name"] == name)
                       & (last["approach"] == approach)]
            assert len(row) == 1, (group, name)
            row = row.iloc[0]
            assert row["authorities"] == mask.sum()
            assert row["engaged"] == pytest.approx(engaged[mask].mean(), abs=1e-12)
            assert row["integrating"] == pytest.approx(integrating[mask].mean(), abs=1e-12)
            assert row["outcome"] == pytest.approx(outcome[mask].mean(), abs=1e-12)
        gap = last[(last["group"] == "gap") & (last["approach"] == approach)].iloc[0]
        most, least = quintile == QUINTILES - 1, quintile == 0
        assert gap["name"] == GAP_NAME
        assert gap["integrating"] == pytest.approx(
            integrating[most].mean() - integrating[least].mean(), abs=1e-12)
        assert gap["outcome"] == pytest.approx(outcome[most].mean() - outcome[least].mean(),
                                               abs=1e-12)
        assert result.metrics[f"{approach}.gap_integrated_end"] == pytest.approx(
            gap["integrating"], abs=1e-12)
        assert result.metrics[f"{approach}.gap_engaged_end"] == pytest.approx(
            gap["engaged"], abs=1e-12)
        assert result.metrics[f"{approach}.gap_outcome_end"] == pytest.approx(
            gap["outcome"], abs=1e-12)


def test_every_step_counts_every_journey_once(result):
    """The quintiles partition the authorities at every step, as the regions do."""
    np.testing.assert_array_equal(result.quintile_counts.sum(axis=1),
                                  result.region_counts.sum(axis=1))
    regions = len(result.population.regions)
    np.testing.assert_allclose(result.outcome_sums[:, regions:].sum(axis=1),
                               result.outcome_sums[:, :regions].sum(axis=1), rtol=1e-12,
                               atol=1e-12)
    table = result.equity
    uk = table[table["group"] == "UK"]
    assert len(uk) == len(result.times) * len(APPROACHES)
    assert set(EQUITY_MEASURES) <= set(table.columns)
    assert uk["engaged"].between(0, 1).all() and uk["integrating"].le(uk["engaged"]).all()


def test_saved_with_the_run(result, tmp_path):
    import pandas as pd

    result.save(tmp_path / "run", plot=False)
    saved = pd.read_parquet(tmp_path / "run" / "equity.parquet")
    assert len(saved) == len(result.equity)
    assert sorted(saved["group"].astype(str).unique()) == sorted(
        ["UK", "nation", "region", "quintile", "gap"])


def test_some_steps_are_those_rows_of_every_step(result):
    import pandas as pd

    table = result.equity
    for steps, times in ((slice(-1, None), result.times[-1:]), (slice(10, 12),
                                                                 result.times[10:12])):
        part = result.equity_over(steps)
        whole = table[table["time"].isin(times)]
        pd.testing.assert_frame_equal(part.reset_index(drop=True),
                                      whole.reset_index(drop=True))


def test_the_end_as_arrays_is_the_last_step_of_the_table(result):
    labels, shares = result.equity_end()
    last = result.equity_over(slice(-1, None))
    assert labels == list(zip(last["group"].astype(str)[::3], last["name"][::3], strict=True))
    np.testing.assert_array_equal(shares.reshape(-1, 3),
                                  last[list(EQUITY_MEASURES)].to_numpy())


def test_the_gap_over_time_is_the_table_s_gap(result):
    table = result.equity
    for a, approach in enumerate(APPROACHES):
        rows = table[(table["group"] == "gap") & (table["approach"] == approach)]
        np.testing.assert_array_equal(rows[list(EQUITY_MEASURES)].to_numpy(),
                                      result.gaps[:, a])
