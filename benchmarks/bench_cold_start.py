"""Cold start of ``innovate run``: the whole command, in a fresh process each time.

Run from the repository root::

    .venv/bin/python benchmarks/bench_cold_start.py                 # 7 repeats
    .venv/bin/python benchmarks/bench_cold_start.py --quick         # 3 repeats
    .venv/bin/python benchmarks/bench_cold_start.py --cold-cache    # also one first compile

Timed with time.perf_counter around the subprocess, from start to exit:

- ``innovate run``: ``innovate run historical-calibrated --no-plot --out <fresh folder>``, the
  ``innovate`` executable next to ``sys.executable``: interpreter start, imports, loading the
  compiled kernels from the disk cache, the run and writing its outputs. One untimed warm-up
  invocation first makes sure the compiled kernels of the current sources are cached (and
  warms the operating system's file cache). Target: median <= 2 s.
- ``import sim.model``: ``python -c "import sim.model"``, the share of the start that is
  importing the package and its libraries (numpy, pandas, numba, Mesa, ...).

Each is repeated (default 7) and reported as median, min and max, with the load average
before and after. ``--cold-cache`` also runs ``innovate run`` once with ``INNOVATE_CACHE_DIR``
pointing at a fresh temporary folder: the first run on a machine, which compiles the kernels.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TARGET_S = 2.0                          # innovate run, kernels cached, median
SCENARIO = "historical-calibrated"


def innovate() -> Path:
    """The ``innovate`` executable of this interpreter's environment."""
    path = Path(sys.executable).with_name("innovate")
    if not path.exists():
        raise SystemExit(f"no innovate executable next to {sys.executable}")
    return path


def timed(command: list[str], env: dict[str, str] | None = None) -> float:
    """Seconds from start to exit of ``command`` (run in the repository root); fails loudly."""
    started = time.perf_counter()
    out = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True,
                         check=False)
    seconds = time.perf_counter() - started
    if out.returncode != 0:
        tail = "\n".join(out.stderr.strip().splitlines()[-15:])
        raise SystemExit(f"{' '.join(command)} failed ({out.returncode}):\n{tail}")
    return seconds


def run_command(scenario: str, folder: str) -> list[str]:
    return [str(innovate()), "run", scenario, "--no-plot", "--out", str(Path(folder) / "run")]


def time_run(scenario: str, env: dict[str, str] | None = None) -> float:
    """One ``innovate run`` into a fresh temporary folder."""
    with tempfile.TemporaryDirectory(prefix="innovate-cold-start-") as folder:
        return timed(run_command(scenario, folder), env)


def summary(samples: list[float]) -> dict:
    return {"median_s": statistics.median(samples), "min_s": min(samples),
            "max_s": max(samples), "n": len(samples), "samples_s": samples}


def load() -> tuple[float, ...] | None:
    return os.getloadavg() if hasattr(os, "getloadavg") else None


def load_text(values: tuple[float, ...] | None) -> str:
    return ", ".join(f"{v:.2f}" for v in values) if values else "n/a"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=None,
                        help="timed invocations of each command (default 7, quick 3)")
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    parser.add_argument("--scenario", default=SCENARIO,
                        help=f"scenario of innovate run (default {SCENARIO})")
    parser.add_argument("--cold-cache", action="store_true",
                        help="also one innovate run with an empty kernel cache (first compile)")
    parser.add_argument("--json", type=Path, default=None, help="also write the numbers here")
    args = parser.parse_args(argv)
    repeats = args.repeats or (3 if args.quick else 7)

    report: dict = {"scenario": args.scenario, "repeats": repeats, "target_s": TARGET_S,
                    "executable": str(innovate()), "load_average_before": load()}
    print(f"warm-up: innovate run {args.scenario} (caches the compiled kernels) ...", flush=True)
    report["warm_up_s"] = time_run(args.scenario)
    print(f"innovate run: {repeats} runs ...", flush=True)
    report["innovate_run"] = summary([time_run(args.scenario) for _ in range(repeats)])
    print(f"import sim.model: {repeats} runs ...", flush=True)
    importing = [sys.executable, "-c", "import sim.model"]
    timed(importing)                                       # warm-up
    report["import_sim_model"] = summary([timed(importing) for _ in range(repeats)])
    if args.cold_cache:
        print("innovate run with an empty kernel cache ...", flush=True)
        with tempfile.TemporaryDirectory(prefix="innovate-kernel-cache-") as cache:
            env = {**os.environ, "INNOVATE_CACHE_DIR": cache}
            report["innovate_run_cold_cache_s"] = time_run(args.scenario, env)
    report["load_average_after"] = load()
    report["target_met"] = report["innovate_run"]["median_s"] <= TARGET_S

    print()
    print(f"{'command (whole process)':<44}{'median':>10}{'min':>10}{'max':>10}{'n':>4}")
    print("-" * 78)
    for label, key in ((f"innovate run {args.scenario} --no-plot", "innovate_run"),
                       ('python -c "import sim.model"', "import_sim_model")):
        s = report[key]
        print(f"{label:<44}{s['median_s']:>9.2f}s{s['min_s']:>9.2f}s{s['max_s']:>9.2f}s"
              f"{s['n']:>4}")
    print(f"{'warm-up invocation (untimed in the median)':<44}{report['warm_up_s']:>9.2f}s")
    if "innovate_run_cold_cache_s" in report:
        print(f"{'innovate run, empty kernel cache (compiles)':<44}"
              f"{report['innovate_run_cold_cache_s']:>9.2f}s")
    print()
    print(f"target: innovate run median <= {TARGET_S:g} s: "
          f"{'met' if report['target_met'] else 'MISSED'}")
    print(f"load average (1, 5, 15 min): {load_text(report['load_average_before'])} before, "
          f"{load_text(report['load_average_after'])} after")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2) + "\n")
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
