"""Targeting experiments: the search against brute force, resuming, workers, objectives, input."""

from __future__ import annotations

import json
import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest
from helpers import INNOVATE, ROOT

import sim
from sim.sweeps.backends import InProcessExecutor
from sim.targeting.objective import Objective
from sim.targeting.run import Evaluations, run_targeting
from sim.targeting.spec import EQUITY_WEIGHTS, targeting_from_mapping

SMALL = {"targeting": {"name": "small", "scenario": "historical", "approach": "CS", "sites": 2,
                       "seeds": 12, "seed_sets": 2, "start": 2016.0, "horizon": 2026.0,
                       "seed": 11, "strategies": ["random", "most_ready", "most_deprived",
                                                  "optimised"],
                       "check_brute_force": True},
         "set": {"population.size": 10, "network.kind": "scale_free", "network.degree": 4,
                 "population.structure_seed": 3}}
OUTPUTS = {"manifest.json", "parts", "evaluations.parquet", "strategies.csv", "sites.csv",
           "summary.md", "map.png"}


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    out = tmp_path_factory.mktemp("targeting") / "two-workers"
    run_targeting(targeting_from_mapping(SMALL), out, workers=2, progress=False)
    return out


def test_the_search_matches_brute_force(small):
    """On a small synthetic network every pair of sites is evaluated on the same seeds: the
    search's pair is the best, or within twice the Monte Carlo error of it."""
    check = json.loads((small / "manifest.json").read_text())["brute_force"]
    assert check["sets"] >= 28                      # at least 8 eligible authorities: C(8, 2)
    assert check["difference"] >= 0
    assert check["found"] == check["best"] or check["difference"] <= 2 * check[
        "standard_error"]
    assert "The search against brute force" in (small / "summary.md").read_text()


def test_everything_is_written(small):
    assert {p.name for p in small.iterdir()} == OUTPUTS
    strategies = pd.read_csv(small / "strategies.csv")
    assert list(strategies["strategy"].unique()) == ["none", "random", "most_ready",
                                                     "most_deprived", "optimised"]
    assert sorted(strategies["seed_set"].unique()) == [0, 1]
    random = strategies[strategies["strategy"] == "random"]
    assert (random["gain_over_random"] == 0).all()
    for row in strategies.itertuples():
        assert row.gain_low <= row.gain_over_random <= row.gain_high or row.strategy == "random"
    sites = pd.read_csv(small / "sites.csv")
    assert sites["chosen_share"].between(0.5, 1).all()
    assert sites["stability_jaccard"].between(0, 1).all()


def test_resuming_and_workers_change_nothing(small, tmp_path):
    """An interrupted experiment, finished on one worker, ends with the same files."""
    out = tmp_path / "resumed"
    shutil.copytree(small, out)
    parts = sorted((out / "parts").glob("*.parquet"))
    assert len(parts) >= 4
    for path in parts[len(parts) // 2:]:
        path.unlink()
    for name in ("evaluations.parquet", "strategies.csv", "sites.csv", "summary.md"):
        (out / name).unlink()
    targeting = targeting_from_mapping(SMALL)
    summary = run_targeting(targeting, out, workers=1, resume=True, progress=False)
    assert 0 < summary.ran < summary.evaluations
    pd.testing.assert_frame_equal(pd.read_parquet(out / "evaluations.parquet"),
                                  pd.read_parquet(small / "evaluations.parquet"))
    for name in ("strategies.csv", "sites.csv", "summary.md"):
        assert (out / name).read_text() == (small / name).read_text(), name
    with pytest.raises(sim.InputError, match="not empty"):
        run_targeting(targeting, out, workers=1, progress=False)


@pytest.fixture(scope="module")
def uk_run():
    config = sim.load_config("historical-calibrated", {"time.end": 2036.0})
    return sim.InnovationModel(config=config, seed=4).run()


def test_the_objectives_read_the_run(uk_run):
    r, dt = uk_run, uk_run.config.time.dt
    ones = (1.0,) * 5
    integrating = Objective("integrating", "TS", 2026.0, ones).values(r)
    assert integrating["value"] == r.metrics["TS.integrated_end"] == integrating["score"]
    assert integrating["gap_integrating"] == pytest.approx(r.metrics["TS.gap_integrated_end"])
    outcome = Objective("outcome_years", "CS", 2026.0, ones).values(r)
    after = r.times > 2026.0
    expected = dt * r.sums[after, -1, :, 0].sum()       # nation sums of CS's outcome
    assert outcome["value"] == pytest.approx(expected, rel=1e-12)
    half = Objective("years_to_half_engaged", "TIP", 2010.0, ones).values(r)
    assert half["value"] == pytest.approx(r.metrics["TIP.year_engaged_50pct"] - 2010.0)
    assert half["score"] == -half["value"]
    weighted = Objective("integrating", "TS", 2026.0, EQUITY_WEIGHTS).values(r)
    per_quintile = np.array([
        ((r.agents["TS_stage"] >= 4) & (r.agents["TS_status"] != "ended"))[
            r.population.quintile == q].sum() for q in range(5)])
    assert weighted["value"] == pytest.approx(per_quintile @ np.array(EQUITY_WEIGHTS))


@pytest.mark.parametrize(("change", "message"), [
    ({"budget_gbp_m": 2.0}, "give either sites or budget_gbp_m"),
    ({"horizon": 2016.0}, "horizon must be after start"),
    ({"strategies": ["optimised"]}, "strategies must include random"),
    ({"approach": "XX"}, "targeting.approach"),
    ({"sites": 3, "check_brute_force": True}, "brute force is allowed up to"),
    ({"start": 2005.0, "horizon": 2020.0}, "targeting.start must be inside the run"),
])
def test_bad_input_is_one_line(tmp_path, change, message):
    spec = {**SMALL["targeting"], "scenario": "historical-calibrated", "check_brute_force":
            False, **change}
    lines = ["[targeting]"] + [f"{k} = {json.dumps(v)}" for k, v in spec.items()]
    path = tmp_path / "bad.toml"
    path.write_text("\n".join(lines) + "\n")
    out = subprocess.run([*INNOVATE, "target", str(path), "--out", str(tmp_path / "out")],
                         capture_output=True, text=True, cwd=ROOT, check=False)
    assert out.returncode == 2, out.stderr
    assert len(out.stderr.strip().splitlines()) == 1 and message in out.stderr, out.stderr
    assert not (tmp_path / "out").exists()


def test_each_seed_draws_its_calibrated_parameters():
    """With a posterior, every run of a seed takes that seed's draw; the file's settings win."""
    raw = {"targeting": {**SMALL["targeting"], "scenario": "historical-calibrated",
                         "posterior": "historical-calibrated", "check_brute_force": False},
           "set": {"approaches.CS.q": 0.5}}
    t = targeting_from_mapping(raw)
    seeds = t.seed_sets[0]
    first, second = t.parameters(seeds[0]), t.parameters(seeds[1])
    assert first and first != second
    assert "approaches.CS.q" not in first and "approaches.TS.speed" in first
    config = t.seed_config(seeds[0])
    assert config.approaches.CS.q == 0.5
    assert config.approaches.TS.speed == pytest.approx(first["approaches.TS.speed"])
    assert targeting_from_mapping({**raw, "targeting": {**raw["targeting"],
                                                        "posterior": None}}).digest != t.digest
    # an evaluation is the run of that configuration and seed
    store = Evaluations(t, None, InProcessExecutor(), 1)
    ids = np.array(sim.load_config("historical").population.size * [""])   # no site funded
    got = store.scores(0, [((), 0)], ids)[0]
    run = sim.InnovationModel(config=config, seed=seeds[0]).run()
    assert got == store.objective.values(run)


def test_a_budget_in_pounds_buys_what_it_can(tmp_path):
    """With a budget in pounds every strategy's sites cost no more than the budget."""
    from sim.targeting.run import candidates

    spec = {key: value for key, value in SMALL["targeting"].items() if key != "sites"}
    spec |= {"budget_gbp_m": 1.0, "check_brute_force": False, "seed_sets": 1}
    cost = candidates(targeting_from_mapping({**SMALL, "targeting": spec}), 0)[0].cost
    assert cost.min() > 1000            # pounds, from the model's costs (not a count)
    budget = float(np.sort(cost)[:3].sum() * 1.01)      # the three cheapest, or fewer dearer
    spec["budget_gbp_m"] = budget / 1e6
    run_targeting(targeting_from_mapping({**SMALL, "targeting": spec}), tmp_path / "budget",
                  workers=1, progress=False)
    strategies = pd.read_csv(tmp_path / "budget" / "strategies.csv")
    chosen = strategies[~strategies["strategy"].isin(["none", "random"])]
    assert (chosen["cost_gbp_m"] <= budget / 1e6 + 1e-9).all()
    assert (chosen["sites"] >= 1).all() and chosen["sites"].max() <= 3
    assert "GBP" in (tmp_path / "budget" / "summary.md").read_text()


@pytest.mark.parametrize("name", ["targeting-cs", "targeting-ts", "targeting-cs-check"])
def test_shipped_targeting_experiments_are_valid_and_documented(name):
    from sim.targeting.spec import load_targeting

    t = load_targeting(ROOT / "experiments" / f"{name}.toml")
    assert t.spec.name == name and t.config.time.end == t.spec.horizon
    readme = (ROOT / "experiments" / "README.md").read_text()
    assert f"innovate target experiments/{name}.toml" in readme


def test_the_dask_backend_gives_the_same_files(small, tmp_path):
    """The same experiment on a local Dask cluster: the same evaluations and strategies."""
    out = tmp_path / "dask"
    run_targeting(targeting_from_mapping(SMALL), out, workers=2, backend="dask",
                  progress=False)
    pd.testing.assert_frame_equal(pd.read_parquet(out / "evaluations.parquet"),
                                  pd.read_parquet(small / "evaluations.parquet"))
    assert (out / "strategies.csv").read_text() == (small / "strategies.csv").read_text()
