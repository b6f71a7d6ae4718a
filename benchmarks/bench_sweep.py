"""Sweep throughput and memory (issue 3 targets), timed as whole `innovate sweep` commands.

    .venv/bin/python benchmarks/bench_sweep.py                 # throughput, both backends
    .venv/bin/python benchmarks/bench_sweep.py --memory 10000  # + peak RSS of a 10,000-run sweep

Targets: the historical run at 30 runs/s or more on 2 workers, writing included; resident memory
flat in the number of runs (a 10,000-run sweep under 1 GB, driver and workers together); the
local and Dask backends give identical metrics for the same master seed.

Throughput is runs / wall time of the whole command (start-up, cluster start and consolidation
included), the median of --repeat repetitions. Resident memory is the peak, sampled every
0.2 s, of the summed RSS of the command's process tree.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INNOVATE = [sys.executable, "-m", "sim.cli"]


def experiment(path: Path, runs: int, seed: int = 1) -> Path:
    path.write_text(f'[experiment]\nname = "bench"\nscenario = "historical"\n'
                    f"replicates = {runs}\nseed = {seed}\n", encoding="utf-8")
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


def timed_sweep(exp: Path, out: Path, workers: int, backend: str) -> tuple[float, int]:
    """Wall seconds and peak tree RSS of one `innovate sweep`."""
    started = time.perf_counter()
    process = subprocess.Popen([*INNOVATE, "sweep", str(exp), "--out", str(out), "--workers",
                                str(workers), "--backend", backend, "--quiet"], cwd=ROOT,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, tree_rss(process.pid))
            time.sleep(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, err = process.communicate()
    wall = time.perf_counter() - started
    done.set()
    sampler.join()
    if process.returncode:
        raise SystemExit(f"sweep failed: {err.decode()[-500:]}")
    return wall, peak


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=600, help="runs per throughput sweep")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--memory", type=int, default=0, help="also run a sweep of this many "
                        "runs and report its peak memory (e.g. 10000)")
    args = parser.parse_args()
    print(f"CPUs: {os.cpu_count()}, load average: {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        exp = experiment(tmp / "bench.toml", args.runs)
        digests = {}
        for backend in ("local", "dask"):
            walls, peaks = [], []
            for i in range(args.repeat):
                out = tmp / f"{backend}-{i}"
                wall, peak = timed_sweep(exp, out, args.workers, backend)
                walls.append(wall)
                peaks.append(peak)
                digests.setdefault(backend, sha(out / "metrics.parquet"))
            median = statistics.median(walls)
            print(f"{backend:5s} backend, {args.workers} workers, {args.runs} historical runs: "
                  f"median {median:.2f} s (min {min(walls):.2f}) = {args.runs / median:.1f} "
                  f"runs/s (best {args.runs / min(walls):.1f}); peak RSS "
                  f"{max(peaks) / 2**20:.0f} MB; metrics sha256 {digests[backend]}")
        print("local and dask metrics identical:", digests["local"] == digests["dask"])
        if args.memory:
            small = experiment(tmp / "small.toml", max(args.memory // 10, 1), seed=2)
            wall_s, peak_s = timed_sweep(small, tmp / "mem-small", args.workers, "local")
            big = experiment(tmp / "big.toml", args.memory, seed=2)
            wall_b, peak_b = timed_sweep(big, tmp / "mem-big", args.workers, "local")
            print(f"memory: {args.memory // 10} runs peak RSS {peak_s / 2**20:.0f} MB "
                  f"({wall_s:.0f} s); {args.memory} runs peak RSS {peak_b / 2**20:.0f} MB "
                  f"({wall_b:.0f} s, {args.memory / wall_b:.1f} runs/s)")


if __name__ == "__main__":
    main()
