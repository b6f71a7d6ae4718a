"""Analysis of a sweep: summaries, paired comparisons, Sobol, Morris, PRIM, EMA, censoring."""

from __future__ import annotations

import math
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from helpers import FAST, INNOVATE, ROOT, write_file

import sim
from sim.sweeps.analysis import (
    FinishedSweep,
    analyze,
    read_sweep,
    sensitivity,
    summarise,
)
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


ISHIGAMI_A, ISHIGAMI_B = 7.0, 0.1
ISHIGAMI_N = 2**13          # Sobol base samples: 8192 x (3 + 2) = 40,960 design points


def ishigami(x: np.ndarray, a: float = ISHIGAMI_A, b: float = ISHIGAMI_B) -> np.ndarray:
    """The Ishigami function of the rows of ``x`` (three columns, each in [-pi, pi])."""
    return np.sin(x[:, 0]) + a * np.sin(x[:, 1]) ** 2 + b * x[:, 2] ** 4 * np.sin(x[:, 0])


def ishigami_indices(a: float = ISHIGAMI_A, b: float = ISHIGAMI_B
                     ) -> tuple[np.ndarray, np.ndarray]:
    """Exact first-order and total Sobol indices of Ishigami with x_i ~ U[-pi, pi].

    From the closed-form variance decomposition: V1 = (1 + b pi^4/5)^2 / 2, V2 = a^2/8,
    V3 = 0, V13 = b^2 pi^8 (1/18 - 1/50) and no other interaction; S1_i = V_i / V,
    ST_1 = (V1 + V13) / V, ST_2 = V2 / V, ST_3 = V13 / V.
    """
    pi = math.pi
    v = a**2 / 8 + b * pi**4 / 5 + b**2 * pi**8 / 18 + 0.5
    v1 = 0.5 * (1 + b * pi**4 / 5) ** 2
    v2 = a**2 / 8
    v13 = b**2 * pi**8 * (1 / 18 - 1 / 50)
    assert v1 + v2 + v13 == pytest.approx(v, rel=1e-12)     # the decomposition is complete
    return np.array([v1, v2, 0.0]) / v, np.array([v1 + v13, v2, v13]) / v


def _ishigami_sweep(tmp_path: Path) -> tuple[FinishedSweep, list[str]]:
    """A finished Sobol sweep whose 'model' is Ishigami on the project's own design points.

    The design comes from ``load_experiment`` (its SALib Saltelli sample, expanded into
    points); each point's parameter values, as a run would receive them in its overrides,
    are mapped linearly from their ranges onto [-pi, pi] (x1, x2, x3 in file order). The
    ranges differ in width and offset so that a mix-up of bounds or columns shows.
    Returns the sweep as :func:`sensitivity` reads it and the parameter names in x order.
    """
    path = write_file(tmp_path, f"""
[experiment]
name = "ishigami"
replicates = 1
seed = 12
curves = false

[design]
kind = "sobol"
samples = {ISHIGAMI_N}
seed = 2013

[parameters]
"approaches.TS.q" = {{ low = 0.05, high = 1.5 }}
"costs.paused_fraction" = {{ low = 0.0, high = 1.0 }}
"approaches.CS.q" = {{ low = 0.2, high = 0.6 }}
""")
    experiment = load_experiment(path)
    names = experiment.parameter_names
    assert len(experiment.points) == ISHIGAMI_N * (len(names) + 2)   # first order only
    ranges = experiment.spec.parameters
    low = np.array([ranges[n].low for n in names])
    high = np.array([ranges[n].high for n in names])
    values = np.array([[dict(p.overrides)[n] for n in names] for p in experiment.points])
    x = -math.pi + 2 * math.pi * (values - low) / (high - low)
    index = [p.index for p in experiment.points]
    metrics = pd.DataFrame({"run_id": index, "point": index,
                            "point_name": [p.name for p in experiment.points],
                            "replicate": 0, "status": "ok", "ishigami.y": ishigami(x)})
    manifest = {"experiment": experiment.name, "experiment_toml": experiment.text,
                "design": experiment.spec.design.model_dump(), "parameters": names,
                "point_table": experiment.point_table()}
    return FinishedSweep(folder=tmp_path, manifest=manifest, metrics=metrics, curves=None), names


def test_sobol_design_and_analysis_recover_the_ishigami_indices(tmp_path):
    """V12: the project's Sobol design and analysis give Ishigami's analytic S1 and ST.

    Exact values (a = 7, b = 0.1): S1 = (0.3139, 0.4424, 0), ST = (0.5576, 0.4424, 0.2437).
    Tolerance, fixed from the sample size before any run: SALib's ``*_conf`` is the 95%
    bootstrap half-width, 1.96 x the bootstrap standard deviation of the estimator over
    100 resamples of the N = 2^13 base rows, i.e. its standard error at this N. Each index
    must lie within 3 conf (about 6 standard errors; a correct pipeline misses that with
    probability of order 1e-9 per index, and scrambled Sobol points err less than the
    Monte Carlo rate the bootstrap assumes) and within 0.01, the accuracy the research
    record gives for N >= 2^13 base samples. The design and bootstrap are seeded, so the
    check is deterministic. A wrong design (columns, bounds, Saltelli layout) or a wrong
    analysis (indices, order of points, problem) moves some index by far more than this.
    """
    sweep, names = _ishigami_sweep(tmp_path)
    indices = sensitivity(sweep)
    assert list(indices["parameter"]) == names
    assert set(indices["outcome"]) == {"ishigami.y"}
    exact = dict(zip(("S1", "ST"), ishigami_indices(), strict=True))
    assert exact["S1"] == pytest.approx([0.3139, 0.4424, 0.0], abs=1e-4)
    assert exact["ST"] == pytest.approx([0.5576, 0.4424, 0.2437], abs=1e-4)
    for kind in ("S1", "ST"):
        estimate = indices[kind].to_numpy()
        conf = indices[f"{kind}_conf"].to_numpy()
        error = np.abs(estimate - exact[kind])
        assert (conf > 0).all(), f"{kind}: no bootstrap interval {conf}"
        assert (error <= 3 * conf).all(), f"{kind} {estimate} vs {exact[kind]}, conf {conf}"
        assert (error <= 0.01).all(), f"{kind} {estimate} vs {exact[kind]}"


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


def test_the_equity_lens_of_each_point_and_against_the_baseline(grid_sweep):
    """equity.csv: each point's mean gap is the mean of its runs' gap metric, and its paired
    difference from the baseline the mean of the differences of those metrics."""
    _, out, _ = grid_sweep
    report = analyze(out)
    metrics = pd.read_parquet(out / "metrics.parquet")
    equity = pd.read_csv(out / "analysis" / "equity.csv")
    gap = equity[(equity["group"] == "gap") & (equity["approach"] == "TS")].set_index("point")
    for point in (0, 2):
        values = metrics.loc[metrics["point"] == point, "TS.gap_integrated_end"].to_numpy()
        assert gap.loc[point, "integrating"] == pytest.approx(values.mean())
    base = metrics.loc[metrics["point"] == 0, "TS.gap_integrated_end"].to_numpy()
    mine = metrics.loc[metrics["point"] == 2, "TS.gap_integrated_end"].to_numpy()
    assert gap.loc[2, "integrating_difference"] == pytest.approx((mine - base).mean())
    uk = equity[(equity["name"] == "UK") & (equity["approach"] == "CS")].set_index("point")
    ends = metrics.loc[metrics["point"] == 2, "CS.integrated_end"].to_numpy()
    assert uk.loc[2, "integrating"] == pytest.approx(ends.mean() / 60)   # 60 agents
    assert "equity.csv" in report.files and "The deprivation gap at the end" in report.text
