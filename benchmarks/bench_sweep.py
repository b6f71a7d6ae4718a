"""Sweep throughput and memory (issue "Speed"), timed as whole `innovate sweep` commands.

    .venv/bin/python benchmarks/bench_sweep.py                 # local: metrics only, with curves
    .venv/bin/python benchmarks/bench_sweep.py --dask          # + the Dask backend (same metrics?)
    .venv/bin/python benchmarks/bench_sweep.py --memory 10000  # + peak RSS of a 10,000-run sweep
    .venv/bin/python benchmarks/bench_sweep.py --experiment experiments/sobol.toml  # + a design

Targets, on 2 workers with the historical-calibrated preset: 300 runs/s or more with metrics
only (`curves = false`) and 150 runs/s or more with curves (`curves = true`, the default), the
whole command counted; a 10,000-run sweep under 1 GB, driver, server and workers together; the
local and Dask backends give identical metrics for the same master seed.

Throughput is runs / wall time of the whole command (start-up, cluster start, writing the parts
and consolidation included), the median of --repeat repetitions; "runner" is the rate the
command reports itself (from its first submission to its last part). A command spends about
1.5 s starting (importing the model in the workers' server), so short sweeps cannot reach the
targets: compare runs of the same size. "model" is the median in-process time of one run
(`sim.InnovationModel(config=cfg, seed=s).run()`), and "ceiling" what 2 workers doing nothing
else would reach at that speed. ``--experiment FILE`` also times the sweep of an experiment
file as it is (its points, replicates and metrics): in a design every point is a configuration
of its own, which each worker loads, validates and builds its tables for before its first run.
Resident memory is the peak, sampled every 0.2 s, of the summed
RSS of the command's process tree. The machine is shared: the load average is printed before
and after; compare numbers only at a low load.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INNOVATE = [sys.executable, "-m", "sim.cli"]
MODEL_TIME = """
import statistics, time, sim
cfg = sim.load_config({scenario!r})
sim.InnovationModel(config=cfg, seed=0).run().metrics
times = []
for seed in range(1, 41):
    started = time.perf_counter()
    sim.InnovationModel(config=cfg, seed=seed).run()
    times.append(time.perf_counter() - started)
print(statistics.median(times))
"""


def experiment(path: Path, runs: int, scenario: str, curves: bool, seed: int = 1) -> Path:
    path.write_text(f'[experiment]\nname = "bench"\nscenario = "{scenario}"\n'
                    f"replicates = {runs}\nseed = {seed}\ncurves = {str(curves).lower()}\n",
                    encoding="utf-8")
    return path


def tree_rss(pid: int) -> int:
    """Summed resident memory (bytes) of a process and all its descendants."""
    total, stack = 0, [pid]
    while stack:
        p = stack.pop()
        try:
            with open(f"/proc/{p}/status") as handle:
                for line in handle:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as handle:
                    stack += [int(c) for c in handle.read().split()]
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return total


def timed_sweep(exp: Path, out: Path, workers: int, backend: str) -> tuple[float, int, float]:
    """Wall seconds, peak tree RSS and the runner's own runs/s of one `innovate sweep`."""
    started = time.perf_counter()
    process = subprocess.Popen([*INNOVATE, "sweep", str(exp), "--out", str(out), "--workers",
                                str(workers), "--backend", backend, "--quiet"], cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, tree_rss(process.pid))
            time.sleep(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    output, err = process.communicate()
    wall = time.perf_counter() - started
    done.set()
    sampler.join()
    if process.returncode:
        raise SystemExit(f"sweep failed: {err.decode()[-500:]}")
    reported = re.search(r"\(([\d.]+) runs/s\)", output.decode())
    return wall, peak, float(reported.group(1)) if reported else float("nan")


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def load() -> str:
    return "/".join(f"{x:.2f}" for x in os.getloadavg())


def throughput(tmp: Path, label: str, exp: Path, runs: int, args: argparse.Namespace,
               backend: str = "local") -> str:
    """Time --repeat sweeps of ``exp`` (``runs`` runs), print one line, return the digest."""
    walls, peaks, reported, digest = [], [], [], ""
    for i in range(args.repeat):
        out = tmp / f"{label}-{backend}-{i}"
        wall, peak, rate = timed_sweep(exp, out, args.workers, backend)
        walls.append(wall)
        peaks.append(peak)
        reported.append(rate)
        digest = digest or sha(out / "metrics.parquet")
    median = statistics.median(walls)
    print(f"{label:13s} {backend:5s} {args.workers} workers, {runs} runs: median "
          f"{median:.2f} s (min {min(walls):.2f}) = {runs / median:.0f} runs/s (best "
          f"{runs / min(walls):.0f}; runner {statistics.median(reported):.0f}); peak RSS "
          f"{max(peaks) / 2**20:.0f} MB; metrics sha256 {digest}; load {load()}", flush=True)
    return digest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3000, help="runs per throughput sweep")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--scenario", default="historical-calibrated")
    parser.add_argument("--dask", action="store_true", help="also time the Dask backend and "
                        "compare its metrics with the local backend's")
    parser.add_argument("--memory", type=int, default=0, help="also run a sweep of this many "
                        "runs (with curves) and report its peak memory (e.g. 10000)")
    parser.add_argument("--experiment", type=Path, action="append", default=[],
                        help="also time the sweep of this experiment file as it is (repeatable)")
    parser.add_argument("--only-experiments", action="store_true",
                        help="time only the --experiment files")
    args = parser.parse_args()
    from sim.sweeps.design import load_experiment

    print(f"CPUs: {os.cpu_count()}, load average (1/5/15 min): {load()}", flush=True)
    model = float(subprocess.run([sys.executable, "-c", MODEL_TIME.format(
        scenario=args.scenario)], cwd=ROOT, capture_output=True, text=True,
        check=True).stdout)
    print(f"model: {args.scenario} run {model * 1e3:.1f} ms (median in-process); ceiling of "
          f"{args.workers} workers {args.workers / model:.0f} runs/s", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for path in args.experiment:
            runs = len(load_experiment(path).runs)
            throughput(tmp, path.name, path.resolve(), runs, args)
        if args.only_experiments:
            return
        digests = {}
        for curves in (False, True):
            label = "with curves" if curves else "metrics only"
            exp = experiment(tmp / f"{label[:4]}.toml", args.runs, args.scenario, curves)
            digests[curves] = throughput(tmp, label, exp, args.runs, args)
        print("metrics the same with and without curves:", digests[False] == digests[True])
        if args.dask:
            exp = experiment(tmp / "dask.toml", args.runs, args.scenario, True)
            dask = throughput(tmp, "with curves", exp, args.runs, args, "dask")
            print("local and dask metrics identical:", dask == digests[True])
        if args.memory:
            small = experiment(tmp / "small.toml", max(args.memory // 10, 1), args.scenario,
                               True, seed=2)
            wall_s, peak_s, _ = timed_sweep(small, tmp / "mem-small", args.workers, "local")
            big = experiment(tmp / "big.toml", args.memory, args.scenario, True, seed=2)
            wall_b, peak_b, _ = timed_sweep(big, tmp / "mem-big", args.workers, "local")
            print(f"memory (with curves): {args.memory // 10} runs peak RSS "
                  f"{peak_s / 2**20:.0f} MB ({wall_s:.0f} s); {args.memory} runs peak RSS "
                  f"{peak_b / 2**20:.0f} MB ({wall_b:.0f} s, {args.memory / wall_b:.0f} runs/s); "
                  f"load {load()}")


if __name__ == "__main__":
    main()
