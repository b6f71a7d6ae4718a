"""The Mesa model: agents as views of the arrays, AgentSet, DataCollector, and consistent tables."""

from __future__ import annotations

import mesa
import numpy as np
import pandas as pd
import pytest

import sim
from sim.output.metrics import measure_counts
from sim.vocabulary import STAGES


@pytest.fixture(scope="module")
def model() -> sim.InnovationModel:
    m = sim.InnovationModel("historical", seed=4)
    for _ in range(60):
        m.step()
    return m


def test_one_agent_per_authority(model):
    assert len(model.agents) == 212
    nations = model.agents.groupby("nation").count()
    assert nations == {"England": 153, "Wales": 22, "Scotland": 32, "Northern Ireland": 5}
    hackney = model.agents.select(lambda a: a.agent_id == "E09000012")
    assert len(hackney) == 1 and hackney.to_list()[0].name == "Hackney"


def test_agents_are_views_of_the_arrays(model):
    agent = model.agents.select(lambda a: a.agent_id == "S12000049").to_list()[0]   # Glasgow
    i = agent.index
    assert agent.stage("TIP") == model.state.stage[i, 1]
    assert agent.tip_stage == agent.stage("TIP")
    assert agent.status("CS") in sim.STATUSES
    conditions = agent.conditions("CS")
    assert set(conditions) == {"case", "workforce", "design", "culture", "macro", "readiness"}
    assert conditions["readiness"] == pytest.approx(model.state.readiness[i, 0])
    assert agent.culture == pytest.approx(model.state.culture[i])
    before = model.state.stage[i, 2]
    agent.set_stage("TS", 3)
    assert model.state.stage[i, 2] == 3 and agent.stage_name("TS") == STAGES[3]
    model.state.stage[i, 2] = before


def test_agentset_aggregates(model):
    stages = np.array(model.agents.get("cs_stage"))
    np.testing.assert_array_equal(np.sort(stages), np.sort(model.state.stage[:, 0]))
    assert model.agents.agg("tip_stage", max) == model.state.stage[:, 1].max()
    scottish = model.agents.select(lambda a: a.nation == "Scotland")
    assert len(scottish) == 32


def test_datacollector_works_on_the_array_model():
    m = sim.InnovationModel("historical", seed=1)
    collector = mesa.DataCollector(
        model_reporters={"year": "year", "CS engaged": lambda x: x.count("CS")},
        agent_reporters={"cs_stage": "cs_stage"})
    for _ in range(8):
        m.step()
        collector.collect(m)
    frame = collector.get_model_vars_dataframe()
    assert list(frame["year"]) == [2010.25 + 0.25 * k for k in range(8)]
    agents = collector.get_agent_vars_dataframe()
    assert len(agents) == 8 * 212
    assert frame["CS engaged"].iloc[-1] == m.count("CS")


def test_counts_match_the_state_at_every_step():
    m = sim.InnovationModel("historical", seed=2)
    for _ in range(40):
        m.step()
        recorded = measure_counts(m.results().counts[-1:], "engaged", "England and Wales")[0]
        assert [m.count(a, "engaged", "England and Wales") for a in sim.APPROACHES] == \
            list(recorded)
    result = m.results()
    engaged = measure_counts(result.counts, "engaged")
    assert engaged[-1, 0] == m.count("CS") and engaged[-1, 2] == m.count("TS")


def test_events_replay_to_the_final_state():
    result = sim.run("historical", seed=5)
    stage = np.zeros((212, 3), int)
    index = {a: i for i, a in enumerate(result.population.ids)}
    approaches = {a: k for k, a in enumerate(sim.APPROACHES)}
    for row in result.events.itertuples():
        i, a = index[row.agent_id], approaches[row.approach]
        assert stage[i, a] == row.from_stage, row
        stage[i, a] = row.to_stage
    np.testing.assert_array_equal(stage, result.final.stage)


def test_every_event_has_a_reason_in_plain_words():
    events = sim.run("historical", seed=6).events
    assert events["reason"].notna().all()
    prompts = events[events["kind"] == "prompt"]
    assert prompts["reason"].str.startswith(("prompted", "re-prompted")).all()
    seeds = events[events["kind"] == "seed"]
    assert "Hackney CS pilot funded by the DfE Innovation Programme" in set(seeds["reason"])
    assert {"pause", "resume", "progress", "end", "revisit"} <= set(events["kind"])


def test_stepping_past_the_end_is_harmless():
    m = sim.InnovationModel({"time": {"start": 0.0, "end": 1.0, "dt": 0.25}}, seed=0)
    result = m.run()
    assert len(result.times) == 4 and not m.running
    m.step()
    assert m.finished and len(m.results().times) == 4


@pytest.mark.parametrize("kind", ["complete", "ring", "regular", "erdos_renyi", "small_world",
                                  "scale_free"])
def test_synthetic_networks_of_any_size(kind):
    result = sim.run("historical", seed=1, **{"network.kind": kind, "population.size": 300,
                                              "network.degree": 4})
    assert result.size == 300 and result.agents["agent_id"].str.startswith("R").all()
    assert (result.timeseries.groupby(["time", "approach"], observed=True)["count"].sum()
            == 300).all()


def test_run_from_time_zero_with_any_step_length():
    result = sim.run("defaults", seed=0, **{"time.start": 0.0, "time.end": 3.0, "time.dt": 0.1})
    assert len(result.times) == 30 and result.times[-1] == pytest.approx(3.0)


def test_python_api_returns_the_same_tables_as_the_files(tmp_path):
    result = sim.run("historical", seed=8)
    result.save(tmp_path, plot=False)
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "timeseries.parquet"),
                                  result.timeseries)
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "events.parquet"), result.events)


def test_mesa_batch_run_works_as_with_mesas_examples():
    import multiprocessing

    method = multiprocessing.get_start_method(allow_none=True)
    try:        # batch_run sets the start method to spawn for the whole process
        rows = mesa.batch_run(sim.InnovationModel,
                              parameters={"scenario": ["historical", "austerity-deepens"]},
                              rng=[1, 2], max_steps=500, number_processes=1,
                              display_progress=False)
    finally:
        multiprocessing.set_start_method(method, force=True)
    frame = pd.DataFrame(rows)
    assert len(frame) == 4 and set(frame["seed"]) == {1, 2}
    assert (frame["Step"] == 104).all()
    for row in frame.itertuples():
        metrics = sim.run(row.scenario, seed=row.seed).metrics
        for approach in sim.APPROACHES:
            assert frame.at[row.Index, f"{approach} engaged"] == \
                metrics[f"{approach}.engaged_end"]
            assert frame.at[row.Index, f"{approach} integrating"] == \
                metrics[f"{approach}.integrated_end"]


def test_the_datacollector_records_the_start_and_every_step():
    model = sim.InnovationModel("historical", rng=6)
    result = model.run()
    frame = model.datacollector.get_model_vars_dataframe()
    assert len(frame) == len(result.times) + 1
    engaged = measure_counts(result.counts, "engaged")
    np.testing.assert_array_equal(frame["TS engaged"].to_numpy()[1:], engaged[:, 2])
    assert frame["CS engaged"].iloc[0] == 0


def test_rng_is_mesas_name_for_the_seed():
    by_rng = sim.InnovationModel("historical", rng=3).run()
    by_seed = sim.InnovationModel("historical", seed=3).run()
    assert by_rng.seed == 3
    pd.testing.assert_frame_equal(by_rng.events, by_seed.events)
    pd.testing.assert_frame_equal(sim.run("historical", rng=3).timeseries, by_seed.timeseries)
    with pytest.raises(sim.InputError, match="give one of them"):
        sim.InnovationModel("historical", seed=1, rng=2)


def test_no_seed_draws_a_fresh_one_and_records_it():
    first, second = sim.InnovationModel("historical"), sim.InnovationModel("historical")
    assert first.seed != second.seed
    again = sim.InnovationModel("historical", seed=first.seed).run()
    pd.testing.assert_frame_equal(first.run().events, again.events)


def test_a_structure_seed_fixes_the_synthetic_population_and_network():
    """With population.structure_seed every run shares its authorities and ties; the run's seed
    still drives what happens. Without it each seed draws its own."""
    fixed = {"population.size": 40, "network.kind": "scale_free", "network.degree": 4,
             "population.structure_seed": 9}
    a, b = (sim.InnovationModel("historical", seed=s, overrides=fixed) for s in (1, 2))
    np.testing.assert_array_equal(a.population.source, b.population.source)
    assert (a.network.static != b.network.static).nnz == 0
    ra, rb = a.run(), b.run()
    assert not np.array_equal(ra.region_counts, rb.region_counts)
    free = {k: v for k, v in fixed.items() if k != "population.structure_seed"}
    c, d = (sim.InnovationModel("historical", seed=s, overrides=free) for s in (1, 2))
    assert not np.array_equal(c.population.source, d.population.source)
