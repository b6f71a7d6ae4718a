"""Experiments: designs, seeds, the streaming sweep runner, resume, backends and analysis."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from helpers import session_processes

import sim
from sim.sweeps.analysis import analyze, read_sweep, summarise
from sim.sweeps.design import load_experiment, replicate_seeds
from sim.sweeps.runner import run_sweep

ROOT = Path(__file__).resolve().parent.parent
INNOVATE = [sys.executable, "-m", "sim.cli"]
# A small, fast world (60 synthetic authorities, 2010-2025) so the suite can run many runs.
FAST = """
[set]
"population.size" = 60
"network.kind" = "small_world"
"network.degree" = 4
"time.end" = 2025.0
"""


def _write(tmp_path: Path, body: str, name: str = "exp.toml") -> Path:
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    return path


def _grid(tmp_path: Path, replicates: int = 2, extra: str = "") -> Path:
    return _write(tmp_path, f"""
[experiment]
name = "grid"
replicates = {replicates}
seed = 11
curves = true
{FAST}
[design]
kind = "grid"

[parameters]
"approaches.TS.q" = [0.2, 0.8]
"levers.austerity_cut" = [0.0, 0.3]
{extra}""")


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ---------------------------------------------------------------------------------------------
# Designs and seeds
# ---------------------------------------------------------------------------------------------


def test_a_grid_is_the_full_factorial_and_seeds_come_from_seed_sequence(tmp_path):
    experiment = load_experiment(_grid(tmp_path, replicates=3))
    assert len(experiment.points) == 4 and len(experiment.runs) == 12
    overrides = [dict(p.overrides) for p in experiment.points]
    assert [(o["approaches.TS.q"], o["levers.austerity_cut"]) for o in overrides] == [
        (0.2, 0.0), (0.2, 0.3), (0.8, 0.0), (0.8, 0.3)]
    assert overrides[0]["population.size"] == 60
    children = np.random.SeedSequence(11).spawn(3)
    expected = [int(c.generate_state(1, np.uint64)[0]) >> 1 for c in children]
    assert list(experiment.seeds) == expected == list(replicate_seeds(11, 3))
    run = experiment.runs[7]
    assert (run.run_id, run.point, run.replicate, run.seed) == (7, 2, 1, expected[1])


@pytest.mark.parametrize(("kind", "extra", "points"), [
    ("sobol", "samples = 8", 8 * (2 + 2)),
    ("sobol", "samples = 8\nsecond_order = true", 8 * (2 * 2 + 2)),
    ("morris", "samples = 5\nlevels = 4", 5 * (2 + 1)),
    ("latin", "samples = 13", 13),
])
def test_sampled_designs_have_the_salib_sizes_and_stay_in_range(tmp_path, kind, extra, points):
    experiment = load_experiment(_write(tmp_path, f"""
[experiment]
name = "{kind}"
replicates = 1
[design]
kind = "{kind}"
{extra}
[parameters]
"approaches.TS.q" = {{ low = 0.2, high = 0.6 }}
"network.degree" = {{ low = 2, high = 10, integer = true }}
[set]
"network.kind" = "erdos_renyi"
"population.size" = 50
"""))
    assert len(experiment.points) == points
    q = np.array([dict(p.overrides)["approaches.TS.q"] for p in experiment.points])
    degree = [dict(p.overrides)["network.degree"] for p in experiment.points]
    assert q.min() >= 0.2 and q.max() <= 0.6
    assert all(isinstance(d, int) and 2 <= d <= 10 for d in degree)


BAD = {
    "unknown parameter": ('[design]\nkind = "grid"\n[parameters]\n"approaches.TS.qq" = [1.0]',
                          "approaches.TS.qq: unknown key"),
    "value out of range": ('[design]\nkind = "grid"\n[parameters]\n"approaches.TS.q" = [-1.0]',
                           "approaches.TS.q"),
    "empty range": ('[design]\nkind = "latin"\n[parameters]\n'
                    '"approaches.TS.q" = { low = 0.5, high = 0.5 }', "empty range"),
    "empty grid": ('[design]\nkind = "grid"\n[parameters]\n"approaches.TS.q" = []',
                   "non-empty list"),
    "sobol size": ('[design]\nkind = "sobol"\nsamples = 10\n[parameters]\n'
                   '"approaches.TS.q" = { low = 0.1, high = 0.5 }', "power of 2"),
    "morris levels": ('[design]\nkind = "morris"\nlevels = 3\n[parameters]\n'
                      '"approaches.TS.q" = { low = 0.1, high = 0.5 }', "SALib rejects"),
    "unknown metric": ('[analysis]\noutcomes = ["TS.year_integrated_33pct"]',
                       "unknown metric 'TS.year_integrated_33pct'"),
    "unknown design": ('[design]\nkind = "factorial"', "design.kind"),
    "unknown scenario": ('[[scenarios]]\nname = "a"\nscenario = "nope"', "unknown scenario"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_experiment_files_fail_in_one_line_before_any_run(tmp_path, case):
    body, message = BAD[case]
    path = _write(tmp_path, f'[experiment]\nname = "bad"\nreplicates = 1\n{body}\n')
    out = tmp_path / "out"
    result = subprocess.run([*INNOVATE, "sweep", str(path), "--out", str(out), "--quiet"],
                            capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert not out.exists()


def test_an_unreachable_scheduler_fails_in_one_line_before_any_run(tmp_path):
    out = tmp_path / "out"
    result = subprocess.run([*INNOVATE, "sweep", str(_grid(tmp_path)), "--out", str(out),
                             "--backend", "dask", "--scheduler", "tcp://127.0.0.1:9",
                             "--quiet"], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 2
    assert "--scheduler tcp://127.0.0.1:9: unreachable" in result.stderr
    assert result.stderr.count("\n") == 1
    assert not (out / "metrics.parquet").exists()


def test_a_used_folder_is_refused_without_resume_and_nothing_is_touched(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("precious")
    with pytest.raises(sim.InputError, match="not empty; use --resume"):
        run_sweep(load_experiment(_grid(tmp_path)), out, progress=False)
    assert (out / "keep.txt").read_text() == "precious"
    assert sorted(p.name for p in out.iterdir()) == ["keep.txt"]


# ---------------------------------------------------------------------------------------------
# Running: one row per run, any run re-runs alone, workers and backends agree
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def grid_sweep(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("grid")
    out = tmp / "serial"
    summary = run_sweep(load_experiment(_grid(tmp)), out, workers=1, progress=False)
    return tmp, out, summary


def test_every_run_has_one_row_and_reruns_alone_with_its_seed(grid_sweep):
    tmp, out, summary = grid_sweep
    assert (summary.runs, summary.ran, summary.failed) == (8, 8, 0)
    metrics = pd.read_parquet(out / "metrics.parquet")
    assert list(metrics["run_id"]) == list(range(8))
    assert set(metrics["status"]) == {"ok"}
    row = metrics.iloc[5]
    alone = sim.run("historical", seed=int(row["seed"]), **{
        "population.size": 60, "network.kind": "small_world", "network.degree": 4,
        "time.end": 2025.0, "approaches.TS.q": row["param.approaches.TS.q"],
        "levers.austerity_cut": row["param.levers.austerity_cut"]})
    for name, value in alone.metrics.items():
        assert row[name] == value or (np.isnan(row[name]) and np.isnan(value)), name
    curves = pd.read_parquet(out / "curves.parquet")
    assert len(curves) == 8 * 3 * 3
    engaged = curves[(curves["run_id"] == 5) & (curves["approach"] == "TS")
                     & (curves["measure"] == "engaged")]["counts"].iloc[0]
    assert engaged[-1] == alone.metrics["TS.engaged_end"]
    manifest = read_sweep(out).manifest
    assert manifest["status"] == "complete" and manifest["replicate_seeds"] == list(
        replicate_seeds(11, 2))
    assert manifest["base_configurations"]["historical"]["name"] == "historical"


def test_results_are_bit_identical_whatever_the_workers_and_backend(grid_sweep):
    tmp, serial, _ = grid_sweep
    two = tmp / "two"
    run_sweep(load_experiment(_grid(tmp)), two, workers=2, progress=False)
    dask = tmp / "dask"
    run_sweep(load_experiment(_grid(tmp)), dask, workers=2, backend="dask", progress=False)
    for name in ("metrics.parquet", "curves.parquet"):
        assert _sha(serial / name) == _sha(two / name) == _sha(dask / name), name


def test_a_running_dask_scheduler_is_used_when_given(grid_sweep):
    from distributed import LocalCluster

    tmp, serial, _ = grid_sweep
    out = tmp / "scheduler"
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                      dashboard_address=None, host="127.0.0.1") as cluster:
        result = subprocess.run([*INNOVATE, "sweep", str(_grid(tmp)), "--out", str(out),
                                 "--backend", "dask", "--scheduler", cluster.scheduler_address,
                                 "--workers", "1", "--quiet"], capture_output=True, text=True,
                                cwd=ROOT, timeout=300)
    assert result.returncode == 0, result.stderr
    assert read_sweep(out).manifest["scheduler"] == cluster.scheduler_address
    assert _sha(serial / "metrics.parquet") == _sha(out / "metrics.parquet")


def test_a_failing_run_is_recorded_and_does_not_stop_the_others(tmp_path):
    path = _write(tmp_path, f"""
[experiment]
name = "failing"
replicates = 2
{FAST}
[[scenarios]]
name = "fine"

[[scenarios]]
name = "broken"
set = {{ "events.cs-hackney-pilot.agents" = ["No Such Council"] }}
""")
    out = tmp_path / "out"
    result = subprocess.run([*INNOVATE, "sweep", str(path), "--out", str(out), "--quiet",
                             "--workers", "1"], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 1
    assert "2 run(s) failed" in result.stderr
    metrics = pd.read_parquet(out / "metrics.parquet")
    assert list(metrics["status"]) == ["ok", "ok", "failed", "failed"]
    assert "unknown authority 'No Such Council'" in metrics["error"].iloc[2]
    assert "Traceback" in metrics["error"].iloc[2]
    assert read_sweep(out).manifest["failed_runs"] == [2, 3]


def _wait_until_stopped(pid: int, timeout: float = 120.0) -> None:
    """Wait until a process has stopped itself (state T in /proc/<pid>/stat)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        if state == "T":
            return
        assert state != "Z", "the sweep ended before it reached the part it should stop after"
        time.sleep(0.02)
    raise AssertionError("the sweep never stopped after the part it was told to")


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")
def test_resume_after_kill_9_gives_exactly_the_uninterrupted_runs(tmp_path):
    """The driver stops itself after part 2 (of 16 runs each), is killed with kill -9 there,
    leaves no process behind, and a resumed sweep gives the uninterrupted files exactly."""
    path = _grid(tmp_path, replicates=60)
    whole = tmp_path / "whole"
    run_sweep(load_experiment(path), whole, workers=1, progress=False)
    out = tmp_path / "killed"
    env = {**os.environ, "INNOVATE_SWEEP_FLUSH_RUNS": "16", "INNOVATE_SWEEP_STOP_AFTER_PART": "2"}
    process = subprocess.Popen([*INNOVATE, "sweep", str(path), "--out", str(out), "--quiet",
                                "--workers", "2"], cwd=ROOT, start_new_session=True, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _wait_until_stopped(process.pid)
    os.kill(process.pid, signal.SIGKILL)        # the driver only: its workers must follow
    process.wait()
    deadline = time.monotonic() + 10
    while session_processes(process.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert session_processes(process.pid) == [], "workers or forkserver outlived the driver"
    written = pd.concat([pd.read_parquet(p) for p in (out / "parts").glob("metrics-*.parquet")])
    assert 24 <= len(written) < 240 and len(written) % 8 == 0
    assert not (out / "metrics.parquet").exists()
    result = subprocess.run([*INNOVATE, "sweep", str(path), "--out", str(out), "--quiet",
                             "--resume", "--workers", "2"], capture_output=True, text=True,
                            cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert f"ran {240 - len(written)} " in result.stdout
    for name in ("metrics.parquet", "curves.parquet"):
        assert _sha(whole / name) == _sha(out / name), name
    again = subprocess.run([*INNOVATE, "sweep", str(path), "--out", str(out), "--quiet",
                            "--resume"], capture_output=True, text=True, cwd=ROOT)
    assert again.returncode == 0 and "ran 0 " in again.stdout
    assert _sha(whole / "metrics.parquet") == _sha(out / "metrics.parquet")


def test_a_bad_checkpoint_setting_is_one_line_before_anything_is_written(tmp_path):
    path = _grid(tmp_path)
    out = tmp_path / "out"
    result = subprocess.run([*INNOVATE, "sweep", str(path), "--out", str(out)], cwd=ROOT,
                            capture_output=True, text=True,
                            env={**os.environ, "INNOVATE_SWEEP_FLUSH_RUNS": "0"})
    assert result.returncode == 2
    assert result.stderr.strip() == ("innovate: error: INNOVATE_SWEEP_FLUSH_RUNS: must be at "
                                     "least 1, got 0")
    assert not out.exists()


def test_resume_refuses_a_different_experiment(grid_sweep, tmp_path):
    _, out, _ = grid_sweep
    other = load_experiment(_grid(tmp_path, replicates=3))
    with pytest.raises(sim.InputError, match="different experiment"):
        run_sweep(other, out, resume=True, progress=False)


# ---------------------------------------------------------------------------------------------
# Analysis
# ---------------------------------------------------------------------------------------------


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
    return _write(tmp_path, f"""
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
