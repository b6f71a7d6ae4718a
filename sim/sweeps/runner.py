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
    equity.parquet     one row per run x group x approach: the shares engaged and integrating
                       and the mean outcome at the end, for the UK, each nation, region and
                       deprivation quintile, and the gap (with curves)
    gaps.parquet       one row per run x approach x measure: the gap, most less least
                       deprived quintile, at every step (with curves)
    points.csv         the design: one row per point with its parameter values
"""

from __future__ import annotations

import functools
import gc
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

from sim.cache import ProcessCache
from sim.errors import InputError
from sim.io import output_folder, read_json, stamp, write_json, write_parquet
from sim.output.equity import EQUITY_MEASURES
from sim.sweeps.backends import BACKENDS, Backend, open_executor
from sim.sweeps.design import Experiment, Run
from sim.vocabulary import APPROACHES, MEASURES

CURVE_MEASURES = tuple(MEASURES)
FLUSH_RUNS = 256        # a part is written every FLUSH_RUNS runs or FLUSH_SECONDS seconds
FLUSH_SECONDS = 5.0
# Runs are sent to the workers in chunks sized to take about CHUNK_SECONDS each (fewer round
# trips), measured on the runs already back; FIRST_CHUNK runs before anything is measured.
# The chunks are never bigger than a part, and shrink at the end so the workers finish together.
CHUNK_SECONDS = 0.1
FIRST_CHUNK = 8
WINDOW = 4              # chunks in flight per worker
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


_POINTS = ProcessCache(16)      # configurations by base and point settings
_CONFIGS = ProcessCache(64)     # ... and the posterior draw's values


def task_config(task: Task) -> Any:
    """The task's configuration, built once per base, overrides and draw in each worker.

    The posterior values of the task's draw (``task.parameters``, without the keys the point
    sets itself) are set last, on the point's configuration, which is loaded and validated once
    for all its draws. Safe from several threads (a dashboard's targeting runs).
    """
    from sim.config import load_config
    from sim.config.posterior import apply_parameters

    point = (task.base_digest, json.dumps(task.overrides, default=str))

    def build() -> Any:
        base = _POINTS.get(point, lambda: load_config(task.base, task.overrides))
        return apply_parameters(base, dict(task.parameters))

    return _CONFIGS.get((*point, json.dumps(task.parameters)), build)


def run_task(task: Task) -> dict[str, Any]:
    """Run one simulation; never raises: a failure is returned with its traceback."""
    from sim.model import InnovationModel

    started = time.perf_counter()
    record: dict[str, Any] = {"run_id": task.run.run_id, "status": "ok", "error": ""}
    try:
        config = task_config(task)
        result = InnovationModel(config=config, seed=task.run.seed).run()
        metrics = result.metrics
        record["metrics"] = {m: metrics[m] for m in task.metrics} if task.metrics else metrics
        if task.curves:
            record["curves"] = curve_counts(result.counts)
            record["t0"], record["dt"] = float(result.times[0]), config.time.dt
            record["equity_groups"], record["equity"] = result.equity_end()
            record["gaps"] = result.gaps
    except Exception:  # noqa: BLE001 - a failing run is data, not a crash of the sweep
        record["status"] = "failed"
        record["error"] = traceback.format_exc()
    record["wall_time"] = time.perf_counter() - started
    return record


def run_chunk(tasks: list[Task]) -> list[dict[str, Any]]:
    """Run several tasks in one worker call (fewer round trips)."""
    _one_blas_thread()
    records = [run_task(t) for t in tasks]
    _freeze_once()      # what the first chunk loaded stays: out of the collector's way
    gc.collect()        # the chunk's models, at once and cheaply (see _freeze_survivors)
    return records


def warm_up() -> None:
    """Take one run of the model's default scenario, its metrics and curves, and forget it.

    What a process's first run loads (the compiled step, the data, the UK network, the tables
    of the observed patterns) is then loaded; see :mod:`sim.sweeps.warm`. A failure is
    ignored: the runs themselves report it.
    """
    try:
        from sim.model import InnovationModel

        result = InnovationModel(seed=0).run()
        _ = result.metrics, curve_counts(result.counts)
    except Exception:  # noqa: BLE001 - only a warm-up: the runs report what fails
        pass
    _freeze_survivors()


@functools.cache
def _one_blas_thread() -> None:
    """Workers are the parallelism: BLAS threads on top would oversubscribe the cores."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)


@functools.cache
def _freeze_once() -> None:
    """:func:`_freeze_survivors`, once per worker, after its first chunk has loaded the model."""
    _freeze_survivors()


def _freeze_survivors() -> None:
    """Keep the objects alive now (modules, caches) out of the cyclic collector's way.

    A run leaves its model to the cyclic garbage collector (the Mesa model and its agents
    refer to each other), and what outlives a run's first collections waits for a full one,
    which Python starts only once the objects that survived the last one have grown by a
    quarter: after the imports of the model, hundreds of runs' garbage (some 180 MB a worker).
    Frozen (``gc.freeze``), those objects are left out, so a full collection scans only the
    runs' objects: :func:`run_chunk` makes one after each chunk (about 1 ms). The local
    workers' server freezes after its warm-up run (:func:`warm_up`), which also keeps the pages
    the workers share with it shared; other workers (Dask) after their first chunk.
    """
    gc.collect()
    gc.freeze()
    gc.collect()        # a full collection without the frozen objects resets the count


def curve_counts(counts: np.ndarray) -> np.ndarray:
    """The curves of one run: UK journeys at or beyond each measure's stage and not ended.

    :func:`sim.output.metrics.uptake_counts` of :data:`CURVE_MEASURES` (every measure), as
    int16 of shape (measures, approaches, steps).
    """
    from sim.output.metrics import uptake_counts

    return uptake_counts(counts).transpose(2, 1, 0).astype(np.int16)


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
    for path in [*parts.glob("curves-*.parquet"), *parts.glob("equity-*.parquet"),
                 *parts.glob("gaps-*.parquet")]:
        if not (parts / ("metrics-" + path.name.split("-", 1)[1])).exists():
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
    writer = _PartWriter(out / "parts", experiment)
    bar = _progress(total, initial, progress)
    failed: list[int] = []
    pending: set[Future] = set()
    submitted, seconds_per_run = 0, None
    try:
        while True:
            while len(pending) < workers * WINDOW and submitted < len(tasks):
                size = chunk_size(len(tasks) - submitted, workers, seconds_per_run,
                                  writer.flush_runs)
                pending.add(executor.submit(run_chunk, tasks[submitted:submitted + size]))
                submitted += size
            if not pending:
                break
            finished, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                records = future.result()
                failed += [r["run_id"] for r in records if r["status"] != "ok"]
                seconds_per_run = float(np.median([r["wall_time"] for r in records]))
                writer.add(records)
                bar(len(records))
        writer.flush()
    finally:
        for future in pending:
            future.cancel()
        bar(0, close=True)
    return len(tasks), failed


def chunk_size(remaining: int, workers: int, seconds_per_run: float | None,
               largest: int = FLUSH_RUNS) -> int:
    """How many runs the next chunk sent to a worker holds.

    Enough runs to take about :data:`CHUNK_SECONDS` at ``seconds_per_run`` (the time of the
    runs measured so far; :data:`FIRST_CHUNK` runs while nothing is measured), at most
    ``largest`` (the runs of a part) and at most a quarter of the ``remaining`` runs per
    worker, so that the last chunks shrink and the workers finish together; at least 1.
    """
    if seconds_per_run is None:
        wanted = FIRST_CHUNK
    else:
        wanted = int(CHUNK_SECONDS / max(seconds_per_run, 1e-6))
    return max(1, min(wanted, largest, math.ceil(remaining / (4 * workers))))


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
            write_parquet(self.folder / f"equity-{name}", _equity_table(self.buffer))
            write_parquet(self.folder / f"gaps-{name}", _gap_table(self.buffer))
        write_parquet(self.folder / f"metrics-{name}", self._metric_table())
        if self.next == self.stop_after and hasattr(signal, "SIGSTOP"):
            os.kill(os.getpid(), signal.SIGSTOP)
        self.buffer, self.next, self.last = [], self.next + 1, time.monotonic()

    def _metric_table(self) -> pa.Table:
        """One row per buffered run: its point, replicate, seed, parameters, status, metrics.

        Built column by column; the metric columns are those of the runs in the order they
        first appear (NaN where a run lacks one, e.g. a failed run).
        """
        runs = [self.runs[record["run_id"]] for record in self.buffer]
        points = [self.points[run.point] for run in runs]
        columns: dict[str, Any] = {
            "run_id": [run.run_id for run in runs], "point": [run.point for run in runs],
            "point_name": [point.name for point in points],
            "replicate": [run.replicate for run in runs], "seed": [run.seed for run in runs]}
        if self.experiment.posterior is not None:
            drawn = [self.experiment.posterior_values(run) for run in runs]
            columns["draw"] = [run.draw for run in runs]
            columns |= {f"posterior.{key}": [values.get(key, math.nan) for values in drawn]
                        for key in self.experiment.posterior.keys}
        settings = [dict(point.overrides) for point in points]
        columns |= {f"param.{name}": [values.get(name) for values in settings]
                    for name in self.experiment.parameter_names}
        columns |= {"status": [record["status"] for record in self.buffer],
                    "error": [record["error"] for record in self.buffer],
                    "wall_time": [record["wall_time"] for record in self.buffer]}
        frame = pd.DataFrame(columns)
        names = list(dict.fromkeys(name for record in self.buffer
                                   for name in record.get("metrics", ())))
        if names:
            values = np.full((len(self.buffer), len(names)), np.nan)
            index = {name: i for i, name in enumerate(names)}
            for row, record in enumerate(self.buffer):
                metrics = record.get("metrics")
                if metrics:
                    values[row, [index[name] for name in metrics]] = list(metrics.values())
            metric_frame = pd.DataFrame(values, columns=names)
            frame = pd.concat([frame, metric_frame], axis=1)
        return pa.Table.from_pandas(frame, preserve_index=False)


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
    """One row per run x approach x measure of the records with curves (counts as int16)."""
    records = [r for r in records if "curves" in r]
    if not records:
        return None
    measures, approaches = records[0]["curves"].shape[:2]
    return _series_table(records, [r["curves"].reshape(measures * approaches, -1)
                                   for r in records],
                         approach=np.tile(APPROACHES, measures),
                         measure=np.repeat(CURVE_MEASURES, approaches),
                         column="counts", kind=pa.int16())


def _series_table(records: list[dict[str, Any]], series: list[np.ndarray], approach: np.ndarray,
                  measure: np.ndarray, column: str, kind: pa.DataType) -> pa.Table:
    """One row per run and series: its run id, approach, measure, t0, dt and values as a list.

    ``series`` holds one (series, steps) array per record, its rows named by ``approach`` and
    ``measure``.
    """
    rows = len(approach)
    steps = np.repeat([s.shape[1] for s in series], rows)
    offsets = np.concatenate(([0], np.cumsum(steps))).astype(np.int32)
    values = np.concatenate([s.reshape(-1) for s in series])

    def per_run(key: str) -> np.ndarray:
        return np.repeat([r[key] for r in records], rows)

    return pa.table({
        "run_id": pa.array(per_run("run_id"), pa.int64()),
        "approach": pa.array(np.tile(approach, len(records))),
        "measure": pa.array(np.tile(measure, len(records))),
        "t0": pa.array(per_run("t0"), pa.float64()), "dt": pa.array(per_run("dt"), pa.float64()),
        column: pa.ListArray.from_arrays(pa.array(offsets), pa.array(values, kind))})


def _equity_table(records: list[dict[str, Any]]) -> pa.Table:
    """One row per run x group x approach of the records with curves: the lens at the end.

    The equity lens of :meth:`sim.RunResult.equity_end`: shares engaged and integrating and
    the mean outcome of the UK, each nation, region and quintile, and the gap.
    """
    records = [r for r in records if "equity" in r]
    width = len(APPROACHES)
    rows = [len(r["equity_groups"]) * width for r in records]
    columns: dict[str, Any] = {
        "run_id": pa.array(np.repeat([r["run_id"] for r in records], rows), pa.int64()),
        "group": pa.array([g for r in records for g, _ in r["equity_groups"]
                           for _ in range(width)]),
        "name": pa.array([n for r in records for _, n in r["equity_groups"]
                          for _ in range(width)]),
        "approach": pa.array(np.tile(APPROACHES, sum(rows) // width))}
    values = np.concatenate([r["equity"].reshape(-1, len(EQUITY_MEASURES)) for r in records])
    columns |= {m: pa.array(values[:, k], pa.float64())
                for k, m in enumerate(EQUITY_MEASURES)}
    return pa.table(columns)


def _gap_table(records: list[dict[str, Any]]) -> pa.Table:
    """One row per run x approach x measure of the records with curves: the gap over time.

    The equity gap, most less least deprived quintile, at every step
    (:attr:`sim.RunResult.gaps`).
    """
    records = [r for r in records if "gaps" in r]
    width, measures = len(APPROACHES), len(EQUITY_MEASURES)
    return _series_table(records, [r["gaps"].transpose(1, 2, 0).reshape(width * measures, -1)
                                   for r in records],
                         approach=np.repeat(APPROACHES, measures),
                         measure=np.tile(EQUITY_MEASURES, width),
                         column="gap", kind=pa.float64())


def consolidate(out: str | Path) -> tuple[list[int], dict[str, float]]:
    """Merge the parts into sorted ``metrics``, ``curves``, ``equity`` and ``gaps`` files.

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
    # equity and gaps: a run's rows are together and in one order, and Arrow's sort is stable:
    # sorted by run id, each file is the same however the runs were split into parts
    for kind, keys in (("curves", ("run_id", "approach", "measure")), ("equity", ("run_id",)),
                       ("gaps", ("run_id",))):
        parts = sorted((out / "parts").glob(f"{kind}-*.parquet"))
        if parts:
            table = pa.concat_tables([pq.read_table(p) for p in parts])
            order = pc.sort_indices(table, sort_keys=[(key, "ascending") for key in keys])
            write_parquet(out / f"{kind}.parquet", table.take(order))
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
