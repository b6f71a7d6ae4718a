"""The streaming sweep runner: one row per run, workers and backends agree, failures,
resume after kill -9."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from helpers import FAST, INNOVATE, ROOT, grid_experiment, session_processes, sha, write_file

import sim
from sim.sweeps.analysis import read_sweep
from sim.sweeps.design import load_experiment, replicate_seeds
from sim.sweeps.runner import chunk_size, run_sweep


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
    equity = pd.read_parquet(out / "equity.parquet")
    mine = equity[equity["run_id"] == 5]
    groups, shares = alone.equity_end()
    assert len(mine) == len(groups) * 3 and list(equity["run_id"].unique()) == list(range(8))
    np.testing.assert_array_equal(mine[["engaged", "integrating", "outcome"]].to_numpy(),
                                  shares.reshape(-1, 3))
    gap = mine[(mine["group"] == "gap") & (mine["approach"] == "TS")].iloc[0]
    assert gap["integrating"] == alone.metrics["TS.gap_integrated_end"]
    gaps = pd.read_parquet(out / "gaps.parquet")
    assert len(gaps) == 8 * 3 * 3
    over_time = gaps[(gaps["run_id"] == 5) & (gaps["approach"] == "TS")
                     & (gaps["measure"] == "integrating")]["gap"].iloc[0]
    np.testing.assert_array_equal(over_time, alone.gaps[:, 2, 1])
    manifest = read_sweep(out).manifest
    assert manifest["status"] == "complete" and manifest["replicate_seeds"] == list(
        replicate_seeds(11, 2))
    assert manifest["base_configurations"]["historical"]["name"] == "historical"


def test_results_are_bit_identical_whatever_the_workers_and_backend(grid_sweep):
    tmp, serial, _ = grid_sweep
    two = tmp / "two"
    run_sweep(load_experiment(grid_experiment(tmp)), two, workers=2, progress=False)
    dask = tmp / "dask"
    run_sweep(load_experiment(grid_experiment(tmp)), dask, workers=2, backend="dask",
              progress=False)
    for name in ("metrics.parquet", "curves.parquet", "equity.parquet", "gaps.parquet"):
        assert sha(serial / name) == sha(two / name) == sha(dask / name), name


def test_a_running_dask_scheduler_is_used_when_given(grid_sweep):
    from distributed import LocalCluster

    tmp, serial, _ = grid_sweep
    out = tmp / "scheduler"
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                      dashboard_address=None, host="127.0.0.1") as cluster:
        result = subprocess.run([*INNOVATE, "sweep", str(grid_experiment(tmp)), "--out", str(out),
                                 "--backend", "dask", "--scheduler", cluster.scheduler_address,
                                 "--workers", "1", "--quiet"], capture_output=True, text=True,
                                cwd=ROOT, timeout=300)
    assert result.returncode == 0, result.stderr
    assert read_sweep(out).manifest["scheduler"] == cluster.scheduler_address
    assert sha(serial / "metrics.parquet") == sha(out / "metrics.parquet")


def test_a_failing_run_is_recorded_and_does_not_stop_the_others(tmp_path):
    path = write_file(tmp_path, f"""
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
    path = grid_experiment(tmp_path, replicates=60)
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
    for name in ("metrics.parquet", "curves.parquet", "equity.parquet", "gaps.parquet"):
        assert sha(whole / name) == sha(out / name), name
    again = subprocess.run([*INNOVATE, "sweep", str(path), "--out", str(out), "--quiet",
                            "--resume"], capture_output=True, text=True, cwd=ROOT)
    assert again.returncode == 0 and "ran 0 " in again.stdout
    assert sha(whole / "metrics.parquet") == sha(out / "metrics.parquet")


def test_a_bad_checkpoint_setting_is_one_line_before_anything_is_written(tmp_path):
    path = grid_experiment(tmp_path)
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
    other = load_experiment(grid_experiment(tmp_path, replicates=3))
    with pytest.raises(sim.InputError, match="different experiment"):
        run_sweep(other, out, resume=True, progress=False)




def test_chunks_take_about_a_tenth_of_a_second_and_shrink_at_the_end():
    assert chunk_size(10_000, 2, None) == 8             # nothing measured yet
    assert chunk_size(10_000, 2, 0.005) == 20           # 0.1 s of 5 ms runs
    assert chunk_size(10_000, 2, 0.0005) == 200
    assert chunk_size(10_000, 2, 0.00001) == 256        # never more than a part
    assert chunk_size(10_000, 2, 0.00001, largest=16) == 16
    assert chunk_size(10_000, 2, 2.0) == 1              # slow runs one at a time
    assert chunk_size(40, 2, 0.005) == 5                # the last 40 runs: 5 a chunk
    assert chunk_size(3, 2, 0.005) == 1
    assert chunk_size(8, 1, None) == 2
