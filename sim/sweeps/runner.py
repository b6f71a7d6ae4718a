"""Running an experiment: every point x replicate, in parallel, streamed to disk, resumable.

The runner is written against the ``concurrent.futures`` executor API: the local backend is a
process pool, the Dask backend is a ``distributed`` client's executor (a local cluster, or an
existing scheduler). Finished runs are buffered and written as numbered Parquet parts, each
written to a temporary name and renamed, curves before metrics: a metrics part is the marker
that its runs are complete. ``kill -9`` at any moment therefore loses at most the unwritten
buffer, and ``resume`` re-runs exactly the runs without a metrics part. The final
``metrics.parquet`` and ``curves.parquet`` are sorted by run id, so they are bit-identical
whatever the number of workers, the backend or any interruption.

Folder layout::

    manifest.json      experiment text, base configurations, seeds, versions, timings
    parts/             metrics-00000.parquet, curves-00000.parquet, ...
    metrics.parquet    one row per run: point, replicate, seed, parameters, status, metrics
                       (with a posterior: its draw and the posterior.* values it took)
    curves.parquet     one row per run x approach x measure: UK counts at every step
    points.csv         the design: one row per point with its parameter values
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import os
import signal
import sys
import time
import traceback
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from sim.errors import InputError
from sim.io import output_folder, read_json, stamp, write_json, write_parquet
from sim.sweeps.backends import BACKENDS, Backend, open_executor
from sim.sweeps.design import Experiment, Run
from sim.vocabulary import APPROACHES, MEASURES

CURVE_MEASURES = tuple(MEASURES)
FLUSH_RUNS = 256        # a part is written every FLUSH_RUNS runs or FLUSH_SECONDS seconds
FLUSH_SECONDS = 5.0
# Environment settings for checkpoints and for tests: INNOVATE_SWEEP_FLUSH_RUNS replaces
# FLUSH_RUNS (smaller parts lose less work at a kill); INNOVATE_SWEEP_STOP_AFTER_PART=k makes
# the driver stop itself (SIGSTOP) once part k is written, so that a test can kill it with
# kill -9 at a point the runner reports instead of after a guessed sleep.
FLUSH_RUNS_VARIABLE = "INNOVATE_SWEEP_FLUSH_RUNS"
STOP_AFTER_PART_VARIABLE = "INNOVATE_SWEEP_STOP_AFTER_PART"


@dataclass(frozen=True)
class Task:
    """What a worker needs for one run: plain data, no files."""

    run: Run
    base: dict
    base_digest: str
    overrides: tuple[tuple[str, Any], ...]
    metrics: tuple[str, ...]
    curves: bool
    parameters: tuple[tuple[str, float], ...] = ()


@dataclass(frozen=True)
class SweepSummary:
    """How a sweep went."""

    out: Path
    runs: int
    ran: int
    failed: int
    wall_time: float

    @property
    def runs_per_second(self) -> float:
        """Runs finished in this invocation per second of wall time."""
        return self.ran / self.wall_time if self.wall_time > 0 else float("nan")


# ---------------------------------------------------------------------------------------------
# One run (executed in the worker)
# ---------------------------------------------------------------------------------------------


_CONFIGS: dict[tuple[str, str], Any] = {}


def _config(task: Task) -> Any:
    """The task's configuration, built once per base, overrides and draw in each worker.

    The posterior values of the task's draw (``task.parameters``, without the keys the point
    sets itself) are set last.
    """
    from sim.config import load_config
    from sim.config.posterior import apply_parameters

    key = (task.base_digest, json.dumps(task.overrides, default=str),
           json.dumps(task.parameters))
    if key not in _CONFIGS:
        if len(_CONFIGS) >= 64:
            _CONFIGS.clear()
        config = load_config(task.base, task.overrides)
        _CONFIGS[key] = apply_parameters(config, dict(task.parameters))
    return _CONFIGS[key]


def run_task(task: Task) -> dict[str, Any]:
    """Run one simulation; never raises: a failure is returned with its traceback."""
    from sim.model import InnovationModel

    started = time.perf_counter()
    record: dict[str, Any] = {"run_id": task.run.run_id, "status": "ok", "error": ""}
    try:
        config = _config(task)
        result = InnovationModel(config=config, seed=task.run.seed).run()
        metrics = result.metrics
        record["metrics"] = {m: metrics[m] for m in task.metrics} if task.metrics else metrics
        if task.curves:
            record["curves"] = _curves(result)
            record["t0"], record["dt"] = float(result.times[0]), config.time.dt
    except Exception:  # noqa: BLE001 - a failing run is data, not a crash of the sweep
        record["status"] = "failed"
        record["error"] = traceback.format_exc()
    record["wall_time"] = time.perf_counter() - started
    return record


def run_chunk(tasks: list[Task]) -> list[dict[str, Any]]:
    """Run several tasks in one worker call (fewer round trips)."""
    _one_blas_thread()
    return [run_task(t) for t in tasks]


@functools.cache
def _one_blas_thread() -> None:
    """Workers are the parallelism: BLAS threads on top would oversubscribe the cores."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)


def _curves(result: Any) -> dict[tuple[str, str], np.ndarray]:
    from sim.output.metrics import measure_counts

    counts = result.counts
    out = {}
    for measure in CURVE_MEASURES:
        series = measure_counts(counts, measure)
        for a, name in enumerate(APPROACHES):
            out[(name, measure)] = series[:, a].astype(np.int16)
    return out


# ---------------------------------------------------------------------------------------------
# The sweep (executed in the driver)
# ---------------------------------------------------------------------------------------------


def run_sweep(experiment: Experiment, out: str | Path, *, workers: int = 1,
          backend: Backend = "local", scheduler: str | None = None, resume: bool = False,
          progress: bool = True) -> SweepSummary:
    """Run every point x replicate of ``experiment`` into ``out``; see the module docstring."""
    out = Path(out)
    if workers < 1:
        raise InputError(f"--workers must be at least 1, got {workers}")
    if backend not in BACKENDS:
        raise InputError(f"--backend must be 'local' or 'dask', got {backend!r}")
    if scheduler and backend != "dask":
        raise InputError("--scheduler needs --backend dask")
    checkpoint_settings()       # a bad setting is reported before anything is written
    done = _prepare_folder(experiment, out, resume)
    if not resume:
        pd.DataFrame(experiment.point_table()).to_csv(out / "points.csv", index=False)
    runs = [r for r in experiment.runs if r.run_id not in done]
    started = time.perf_counter()
    with open_executor(backend, workers, scheduler) as executor:
        manifest = (read_json(out / "manifest.json") if resume
                    else _manifest(experiment, backend, workers, scheduler))
        manifest["status"] = "running"
        write_json(out / "manifest.json", manifest)
        ran, failed = _stream(experiment, runs, executor, out, workers, progress,
                              total=len(experiment.runs), initial=len(done))
    wall = time.perf_counter() - started
    failed_all, timings = consolidate(out)
    manifest["status"] = "complete"
    manifest["failed_runs"] = failed_all
    manifest.setdefault("sessions", []).append({
        "finished": datetime.now(UTC).isoformat(timespec="seconds"), "backend": backend,
        "workers": workers, "scheduler": scheduler, "runs": ran, "failed": failed,
        "wall_time_s": round(wall, 3), "runs_per_s": round(ran / wall, 2) if wall else None})
    manifest["timings"] = timings
    write_json(out / "manifest.json", manifest)
    return SweepSummary(out=out, runs=len(experiment.runs), ran=ran, failed=len(failed_all),
                        wall_time=wall)


def _prepare_folder(experiment: Experiment, out: Path, resume: bool) -> set[int]:
    manifest = out / "manifest.json"
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out}: exists and is not a folder")
    if resume:
        if not manifest.is_file():
            raise InputError(f"--resume: {out} has no manifest.json; start the sweep without "
                             "--resume")
        previous = read_json(manifest)
        if previous.get("digest") != experiment.digest:
            raise InputError(f"--resume: {out} holds a different experiment (its points, seeds "
                             "or base changed); use another --out")
        return _completed_runs(out)
    if out.is_dir() and any(out.iterdir()):
        raise InputError(f"--out {out}: folder is not empty; use --resume to finish that sweep "
                         "or choose another folder")
    output_folder(out)
    (out / "parts").mkdir(exist_ok=True)
    return set()


def _completed_runs(out: Path) -> set[int]:
    """Run ids in complete metrics parts; removes temporary files and orphaned curve parts."""
    parts = out / "parts"
    parts.mkdir(exist_ok=True)
    for leftover in parts.glob("*.tmp"):
        leftover.unlink()
    done: set[int] = set()
    for path in sorted(parts.glob("metrics-*.parquet")):
        done.update(pq.read_table(path, columns=["run_id"]).column("run_id").to_pylist())
    for path in parts.glob("curves-*.parquet"):
        if not (parts / path.name.replace("curves-", "metrics-")).exists():
            path.unlink()
    return done


def _stream(experiment: Experiment, runs: list[Run], executor: Executor, out: Path,
            workers: int, progress: bool, total: int, initial: int) -> tuple[int, list[int]]:
    """Submit chunks with a bounded window, write parts as results arrive."""
    spec = experiment.spec.experiment
    points = {p.index: p for p in experiment.points}
    digests = {name: hashlib.sha256(json.dumps(base, sort_keys=True).encode()).hexdigest()
               for name, base in experiment.bases.items()}
    tasks = [Task(run=r, base=experiment.bases[points[r.point].scenario],
                  base_digest=digests[points[r.point].scenario],
                  overrides=points[r.point].overrides, metrics=tuple(spec.metrics),
                  curves=spec.curves,
                  parameters=tuple(experiment.posterior_values(r).items())) for r in runs]
    size = max(1, min(8, len(tasks) // (workers * 8) or 1))
    chunks = [tasks[i:i + size] for i in range(0, len(tasks), size)]
    writer = _PartWriter(out / "parts", experiment)
    bar = _progress(total, initial, progress)
    failed: list[int] = []
    pending: set[Future] = set()
    queue = iter(chunks)
    try:
        while True:
            while len(pending) < workers * 4:
                chunk = next(queue, None)
                if chunk is None:
                    break
                pending.add(executor.submit(run_chunk, chunk))
            if not pending:
                break
            finished, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                records = future.result()
                failed += [r["run_id"] for r in records if r["status"] != "ok"]
                writer.add(records)
                bar(len(records))
        writer.flush()
    finally:
        for future in pending:
            future.cancel()
        bar(0, close=True)
    return len(tasks), failed


def _progress(total: int, initial: int, enabled: bool) -> Callable[..., None]:
    from tqdm import tqdm

    bar = tqdm(total=total, initial=initial, unit="run", disable=not enabled,
               file=sys.stderr, mininterval=0.5, dynamic_ncols=True)

    def update(n: int, close: bool = False) -> None:
        bar.update(n)
        if close:
            bar.close()
    return update


class _PartWriter:
    """Buffers finished runs and writes numbered parts atomically (curves first)."""

    def __init__(self, folder: Path, experiment: Experiment):
        self.folder = folder
        self.experiment = experiment
        self.points = {p.index: p for p in experiment.points}
        self.runs = {r.run_id: r for r in experiment.runs}
        self.buffer: list[dict[str, Any]] = []
        self.last = time.monotonic()
        numbers = [int(p.stem.split("-")[1]) for p in folder.glob("metrics-*.parquet")]
        self.next = max(numbers, default=-1) + 1
        self.flush_runs, self.stop_after = checkpoint_settings()

    def add(self, records: list[dict[str, Any]]) -> None:
        self.buffer += records
        if len(self.buffer) >= self.flush_runs or time.monotonic() - self.last > FLUSH_SECONDS:
            self.flush()

    def flush(self) -> None:
        if not self.buffer:
            return
        name = f"{self.next:05d}.parquet"
        curves = _curve_table(self.buffer)
        if curves is not None:
            write_parquet(self.folder / f"curves-{name}", curves)
        write_parquet(self.folder / f"metrics-{name}", self._metric_table())
        if self.next == self.stop_after and hasattr(signal, "SIGSTOP"):
            os.kill(os.getpid(), signal.SIGSTOP)
        self.buffer, self.next, self.last = [], self.next + 1, time.monotonic()

    def _metric_table(self) -> pa.Table:
        params = self.experiment.parameter_names
        rows = []
        for record in self.buffer:
            run = self.runs[record["run_id"]]
            point = self.points[run.point]
            values = dict(point.overrides)
            row = {"run_id": run.run_id, "point": run.point, "point_name": point.name,
                   "replicate": run.replicate, "seed": run.seed}
            if self.experiment.posterior is not None:
                drawn = self.experiment.posterior_values(run)
                row["draw"] = run.draw
                row |= {f"posterior.{key}": drawn.get(key, math.nan)
                        for key in self.experiment.posterior.keys}
            row |= {f"param.{name}": values.get(name) for name in params}
            row |= {"status": record["status"], "error": record["error"],
                    "wall_time": record["wall_time"]}
            row |= record.get("metrics", {})
            rows.append(row)
        return pa.Table.from_pandas(pd.DataFrame(rows), preserve_index=False)


def checkpoint_settings() -> tuple[int, int]:
    """Runs per part and the part after which to stop (-1: never), from the environment."""
    return (_whole_setting(FLUSH_RUNS_VARIABLE, FLUSH_RUNS),
            _whole_setting(STOP_AFTER_PART_VARIABLE, -1))


def _whole_setting(variable: str, default: int) -> int:
    """A whole-number setting from the environment (one-line error if it is not one)."""
    text = os.environ.get(variable)
    if text is None:
        return default
    try:
        value = int(text)
    except ValueError:
        raise InputError(f"{variable}: must be a whole number, got {text!r}") from None
    if value < 1 and variable == FLUSH_RUNS_VARIABLE:
        raise InputError(f"{variable}: must be at least 1, got {value}")
    return value


def _curve_table(records: list[dict[str, Any]]) -> pa.Table | None:
    rows = [(r["run_id"], approach, measure, r["t0"], r["dt"], series)
            for r in records if "curves" in r
            for (approach, measure), series in r["curves"].items()]
    if not rows:
        return None
    run_id, approach, measure, t0, dt, series = zip(*rows, strict=True)
    return pa.table({"run_id": pa.array(run_id, pa.int64()), "approach": pa.array(approach),
                     "measure": pa.array(measure), "t0": pa.array(t0, pa.float64()),
                     "dt": pa.array(dt, pa.float64()),
                     "counts": pa.array([s.tolist() for s in series], pa.list_(pa.int16()))})


def consolidate(out: str | Path) -> tuple[list[int], dict[str, float]]:
    """Merge the parts into sorted ``metrics.parquet`` and ``curves.parquet``.

    Returns the failed run ids and the run-time statistics (mean, median, max seconds).

    Rows are sorted by run id and the wall-time column (the only thing that differs between
    machines) stays in the parts, so the merged files depend on the experiment alone.
    """
    out = Path(out)
    parts = sorted((out / "parts").glob("metrics-*.parquet"))
    if not parts:
        return [], {}
    metrics = pd.concat([pd.read_parquet(p) for p in parts], ignore_index=True)
    walls = metrics["wall_time"].to_numpy()
    timings = {"run_seconds_mean": round(float(walls.mean()), 4),
               "run_seconds_median": round(float(np.median(walls)), 4),
               "run_seconds_max": round(float(walls.max()), 4)}
    metrics = metrics.sort_values("run_id", kind="stable").drop(columns="wall_time")
    metrics = metrics.reset_index(drop=True)
    write_parquet(out / "metrics.parquet", metrics)
    curve_parts = sorted((out / "parts").glob("curves-*.parquet"))
    if curve_parts:
        curves = pa.concat_tables([pq.read_table(p) for p in curve_parts])
        order = pc.sort_indices(curves, sort_keys=[("run_id", "ascending"),
                                                           ("approach", "ascending"),
                                                           ("measure", "ascending")])
        write_parquet(out / "curves.parquet", curves.take(order))
    return [int(i) for i in metrics.loc[metrics["status"] != "ok", "run_id"]], timings


def _manifest(experiment: Experiment, backend: Backend, workers: int, scheduler: str | None
              ) -> dict[str, Any]:
    manifest = {
        "experiment": experiment.name, "file": str(experiment.path),
        "experiment_toml": experiment.text, "digest": experiment.digest,
        **stamp(),
        "runs": len(experiment.runs), "points": len(experiment.points),
        "replicates": experiment.spec.experiment.replicates,
        "master_seed": experiment.spec.experiment.seed, "replicate_seeds": list(experiment.seeds),
        "design": experiment.spec.design.model_dump(), "parameters": experiment.parameter_names,
        "point_table": experiment.point_table(),
        "point_definitions": [{"name": p.name, "scenario": p.scenario,
                               "overrides": dict(p.overrides)} for p in experiment.points],
        "base_configurations": experiment.bases,
        "backend": backend, "workers": workers, "scheduler": scheduler,
        "rerun": "innovate run <base> --seed <seed> --set <each param.* value of the row>",
    }
    posterior = experiment.posterior
    if posterior is not None:
        manifest["posterior"] = posterior.describe() | {"replicates": [
            {"replicate": r, "seed": seed, "draw": draw,
             "parameters": posterior.parameters(draw)}
            for r, (seed, draw) in enumerate(zip(experiment.seeds, experiment.draws,
                                                 strict=True))]}
        manifest["rerun"] = (f"innovate run <base> --seed <seed> --posterior {posterior.path} "
                             "--set <each point setting and param.* value of the row>")
    return manifest
