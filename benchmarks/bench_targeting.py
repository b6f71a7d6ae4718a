"""How long a targeting search takes (issue "Where to support next"), timed as a whole command.

    .venv/bin/python benchmarks/bench_targeting.py            # TS: K = 10, 20 seeds, 2 workers
    .venv/bin/python benchmarks/bench_targeting.py --approach cs --posterior --repeat 3

The case is experiments/targeting-ts.toml (or -cs) with one seed set of 20 seeds (the optimised
search over the 212 authorities for 10 sites (all that are eligible: most of them for TS, 61
for CS), the other strategies, and every choice scored on 20
held-out seeds), with or without the calibration's posterior draws. Reported: the wall time of
the whole `innovate target` command (start-up and writing included), the runs it took and the
sets the search evaluated, as median, min and max over --repeat, with the load average before
and after. Target: under 5 minutes on 2 workers.
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

ROOT = Path(__file__).resolve().parent.parent
TARGET_SECONDS = 300.0


def case(path: Path, approach: str, seeds: int, posterior: bool) -> Path:
    """The benchmark's targeting file: targeting-<approach>.toml with one seed set of ``seeds``."""
    lines = []
    source = ROOT / "experiments" / f"targeting-{approach}.toml"
    for line in source.read_text().splitlines():
        key = line.split("=")[0].strip()
        if key == "seeds":
            line = f"seeds = {seeds}"
        elif key == "seed_sets":
            line = "seed_sets = 1"
        elif key == "posterior" and not posterior:
            continue
        lines.append(line)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def load() -> str:
    return "/".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--approach", choices=["ts", "cs"], default="ts")
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--posterior", action="store_true",
                        help="each seed draws the calibrated parameters from the posterior")
    args = parser.parse_args()
    before = load()
    times, runs, searched = [], None, None
    with tempfile.TemporaryDirectory() as tmp:
        spec = case(Path(tmp) / "bench.toml", args.approach, args.seeds, args.posterior)
        for k in range(args.repeat):
            out = Path(tmp) / f"out{k}"
            started = time.perf_counter()
            subprocess.run([sys.executable, "-m", "sim.cli", "target", str(spec), "--out",
                            str(out), "--workers", str(args.workers), "--quiet"],
                           cwd=ROOT, check=True, capture_output=True)
            times.append(time.perf_counter() - started)
            manifest = json.loads((out / "manifest.json").read_text())
            runs = manifest["sessions"][-1]["runs"]
            searched = manifest["sets_searched"]["0"]
    median = statistics.median(times)
    print(f"innovate target {args.approach.upper()}, K = 10, {args.seeds} seeds, "
          f"{args.workers} workers, posterior: {'yes' if args.posterior else 'no'}")
    print(f"  wall time: median {median:.1f} s (min {min(times):.1f}, max {max(times):.1f}, "
          f"{len(times)} repeat(s)); {runs} runs ({runs / median:.0f} runs/s); the search "
          f"evaluated {searched} sets")
    verdict = "met" if median < TARGET_SECONDS else "missed"
    print(f"  target: under {TARGET_SECONDS:.0f} s: {verdict}")
    print(f"  load average before {before}, after {load()}")


if __name__ == "__main__":
    main()
