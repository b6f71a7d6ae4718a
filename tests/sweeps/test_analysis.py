"""Analysis of a sweep: summaries, paired comparisons, Sobol, Morris, PRIM, EMA, censoring."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from helpers import FAST, INNOVATE, ROOT, write_file

import sim
from sim.sweeps.analysis import analyze, read_sweep, summarise
from sim.sweeps.design import load_experiment, replicate_seeds
from sim.sweeps.runner import run_sweep


def test_summaries_and_paired_comparisons_match_the_runs(grid_sweep):
    _, out, _ = grid_sweep
    report = analyze(out)
    metrics = pd.read_parquet(out / "metrics.parquet")
    summary = pd.read_csv(out / "analysis" / "summary.csv")
    row = summary[(summary["point"] == 2) & (summary["outcome"] == "TS.engaged_end")].iloc[0]
    values = metrics.loc[metrics["point"] == 2, "TS.engaged_end"].to_numpy()
    assert row["mean"] == pytest.approx(values.mean())
    assert row["q05"] == pytest.approx(np.quantile(values, 0.05))
    comparison = pd.read_csv(out / "analysis" / "comparison.csv")
    pick = comparison[(comparison["point"] == 2) & (comparison["outcome"] == "TS.engaged_end")]
    base = metrics.loc[metrics["point"] == 0, "TS.engaged_end"].to_numpy()
    assert pick["mean_difference"].iloc[0] == pytest.approx((values - base).mean())
    assert pick["baseline"].iloc[0] == "TS.q=0.2, austerity_cut=0.0"
    assert "TS.q=0.8, austerity_cut=0.0" in report.text
    for name in ("summary.csv", "comparison.csv", "curves.png", "report.txt"):
        assert (out / "analysis" / name).stat().st_size > 0
    assert summarise(read_sweep(out))["runs"].eq(2).all()


def _sampled(tmp_path: Path, kind: str, extra: str, analysis: str = "",
             driver: str = '"approaches.TS.q" = { low = 0.05, high = 1.5 }') -> Path:
    return write_file(tmp_path, f"""
[experiment]
name = "{kind}"
replicates = 2
seed = 5
curves = false
metrics = ["TS.engaged_end", "CS.engaged_end"]
{FAST}
[design]
kind = "{kind}"
{extra}
[parameters]
{driver}
"costs.paused_fraction" = {{ low = 0.0, high = 1.0 }}
{analysis}
""")


def test_sobol_finds_the_parameter_that_matters_and_zero_for_one_that_cannot(tmp_path):
    """Costs do not feed back on journeys, so with common seeds their indices are exactly 0."""
    out = tmp_path / "out"
    run_sweep(load_experiment(_sampled(tmp_path, "sobol", "samples = 16")), out, workers=2,
          progress=False)
    analyze(out)
    indices = pd.read_csv(out / "analysis" / "sensitivity.csv").set_index(
        ["outcome", "parameter"])
    ts = indices.loc["TS.engaged_end"]
    assert ts.loc["costs.paused_fraction", "ST"] == 0.0
    assert ts.loc["costs.paused_fraction", "S1"] == 0.0
    assert ts.loc["approaches.TS.q", "ST"] > 0.5
    assert (out / "analysis" / "sensitivity.png").stat().st_size > 0


def test_morris_ranks_the_parameters(tmp_path):
    out = tmp_path / "out"
    run_sweep(load_experiment(_sampled(tmp_path, "morris", "samples = 6\nlevels = 4")), out,
          workers=2, progress=False)
    analyze(out)
    indices = pd.read_csv(out / "analysis" / "sensitivity.csv").set_index(
        ["outcome", "parameter"]).loc["TS.engaged_end"]
    assert indices.loc["costs.paused_fraction", "mu_star"] == 0.0
    assert indices.loc["approaches.TS.q", "mu_star"] > 1.0


def test_prim_boxes_the_parameter_that_drives_the_outcome(tmp_path):
    pytest.importorskip("ema_workbench")
    out = tmp_path / "out"
    analysis = ('[analysis.discovery]\noutcome = "TS.engaged_end"\nthreshold = 30\n'
                'above = true')
    driver = '"approaches.TS.p0" = { low = 0.0, high = 0.4 }'
    run_sweep(load_experiment(_sampled(tmp_path, "latin", "samples = 60", analysis, driver)), out,
          workers=2, progress=False)
    report = analyze(out)
    limits = pd.read_csv(out / "analysis" / "discovery.csv")
    # TS engaged >= 30 of 60 needs p0 of about 0.15 or more (0.1 gives ~24, 0.2 gives ~36).
    assert list(limits["parameter"]) == ["approaches.TS.p0"]
    assert 0.08 < limits["low"].iloc[0] < 0.25 and limits["high"].iloc[0] >= 0.39
    assert "Scenario discovery (PRIM)" in report.text


def test_the_ema_adapter_runs_the_model_with_the_sweep_seeds():
    pytest.importorskip("ema_workbench")
    from ema_workbench import RealParameter, SequentialEvaluator

    from sim.sweeps.ema import ema_model

    model = ema_model("historical", outcomes=["TS.engaged_end"], replications=2, seed=3)
    model.uncertainties = [RealParameter("approaches__TS__q", 0.2, 0.6)]
    model.constants = []
    with SequentialEvaluator(model) as evaluator:
        experiments, outcomes = evaluator.perform_experiments(
            scenarios=2, uncertainty_sampling_kwargs={"rng": 1})
    assert outcomes["TS__engaged_end"].shape == (2, 2)
    q = float(experiments["approaches__TS__q"].iloc[1])
    seed = replicate_seeds(3, 2)[1]
    expected = sim.run("historical", seed=seed, **{"approaches.TS.q": q}).metrics
    assert outcomes["TS__engaged_end"][1, 1] == expected["TS.engaged_end"]


def test_metric_names_list_exactly_what_a_run_reports():
    from sim.output.metrics import metric_names

    assert list(sim.run("historical", seed=0).metrics) == metric_names()


SHIPPED = ["austerity", "working-together-2023", "workforce", "networks", "sobol"]


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_experiments_are_valid_and_documented(name):
    experiment = load_experiment(ROOT / "experiments" / f"{name}.toml")
    assert experiment.name == name and len(experiment.runs) >= 200
    readme = (ROOT / "experiments" / "README.md").read_text()
    assert f"## {name}" in readme and f"innovate sweep experiments/{name}.toml" in readme


def test_analyze_of_a_folder_that_is_not_a_sweep_fails_in_one_line(tmp_path):
    (tmp_path / "stray.txt").write_text("not a sweep")
    result = subprocess.run([*INNOVATE, "analyze", str(tmp_path)], capture_output=True,
                            text=True, cwd=ROOT)
    assert result.returncode == 2
    assert "not a finished sweep" in result.stderr and result.stderr.count("\n") == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["stray.txt"]


def test_analyze_prints_the_answer_in_plain_words(grid_sweep):
    _, out, _ = grid_sweep
    result = subprocess.run([*INNOVATE, "analyze", str(out)], capture_output=True, text=True,
                            cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert "Against the baseline (paired by replicate):" in result.stdout
    assert "Under 'TS.q=0.8, austerity_cut=0.0', TS.engaged_end is" in result.stdout
    assert "summary.csv" in result.stdout


def test_never_reached_times_are_censored_at_each_run_s_own_end(grid_sweep):
    """The grid sets time.end = 2025 on a base that ends in 2035: censoring uses 2025."""
    from sim.sweeps.analysis import censored, run_ends

    _, out, _ = grid_sweep
    sweep_ = read_sweep(out)
    assert run_ends(sweep_.manifest) == [2025.0] * 4
    raw = sweep_.ok["TS.year_integrated_50pct"].to_numpy(float)
    assert np.isnan(raw).all()
    assert (censored(sweep_, "TS.year_integrated_50pct") == 2025.0).all()
