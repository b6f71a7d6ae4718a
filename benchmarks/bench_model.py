"""Speed and memory of both engines of the model, and their ratio to a per-agent Mesa loop.

Run from the repository root::

    .venv/bin/python benchmarks/bench_model.py            # full (a few minutes)
    .venv/bin/python benchmarks/bench_model.py --quick    # fewer repeats
    .venv/bin/python benchmarks/bench_model.py --preset historical

Every case uses one preset (``--preset``, default ``historical-calibrated``, the calibrated
history the package uses everywhere), its configuration loaded once. Each case is timed with
time.perf_counter after one warm-up run (which loads the data, the compiled kernels from the
disk cache and the tables that depend only on the configuration), and reported as median, min
and max over repeats, seeds 0, 1, 2, ... All cases run in the same process, one after the
other, so the ratios compare measurements of the same benchmark run.

- ``historical``: ``sim.InnovationModel(config=cfg, seed=s).run()`` in-process with the
  compiled engine (the default): construction, every quarterly step and ``results()``
  (``run()`` returns it). Also reported separately: construction, ``results()`` (a second
  call after the run, the same work) and the steps (``run()`` less that ``results()`` time).
  Targets: median total <= 3 ms, and the every-tie Mesa reference at least 150 times slower.
- ``historical_numpy``: the same with ``engine="numpy"``, the whole-array reference
  implementation (same draws and moves), whose steps go one by one through Mesa's scheduler.
- ``scale_free_20k`` and ``scale_free_20k_numpy``: the preset's timeline on 20,000 synthetic
  agents tied by a scale-free graph (``population.size=20000``, ``network.kind="scale_free"``),
  built and run in-process, compiled and numpy. Graph building
  (``sim.mechanics.network.build_network``, inside construction) is reported separately.
  Target: compiled median total <= 150 ms.
- ``reference`` and ``reference_group_sums``: the per-agent Mesa implementation of the same
  mechanics (benchmarks/mesa_reference.py) on the preset, iterating over every tie, and the
  variant that uses group totals for the complete-graph layers.
- ratios of medians (same run): Mesa reference (every tie) / compiled, Mesa reference (group
  sums) / compiled, numpy reference / compiled.
- peak memory of each case in a fresh subprocess (compiled engine): the peak resident set of
  the process (including the interpreter, libraries and data), the resident set after imports,
  and the tracemalloc peak of one warm run (what the run itself allocates).

The table, the targets (met or missed) and the load average before and after are printed and
written, with machine information, to benchmarks/results/latest.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
for path in (str(ROOT), str(HERE)):
    if path not in sys.path:
        sys.path.insert(0, path)

DEFAULT_PRESET = "historical-calibrated"
ENGINES = ("compiled", "numpy")                 # compiled first: the default engine
TARGETS = {                                     # of the compiled engine, median total
    "historical": {"max_seconds": 0.003, "min_reference_ratio": 150.0},
    "scale_free_20k": {"max_seconds": 0.150},
}
LARGE = {"population.size": 20000, "network.kind": "scale_free"}
MEMORY_CASES = ("historical", "scale_free_20k", "reference")


# -- timing ----------------------------------------------------------------------------------


def summary(samples: list[float]) -> dict:
    return {"median": statistics.median(samples), "min": min(samples), "max": max(samples),
            "n": len(samples), "samples": samples}


def case_name(case: str, engine: str) -> str:
    """Key of a case in the report: ``historical``, ``historical_numpy``, ..."""
    return case if engine == "compiled" else f"{case}_{engine}"


class GraphTimer:
    """Wraps sim.model.build_network to time graph building inside model construction."""

    def __init__(self):
        import sim.model
        self.module = sim.model
        self.original = sim.model.build_network
        self.seconds = 0.0

    def __enter__(self) -> GraphTimer:
        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return self.original(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - started
        self.module.build_network = timed
        return self

    def __exit__(self, *exc) -> None:
        self.module.build_network = self.original


def time_array_model(config, repeats: int, engine: str = "compiled",
                     graph: bool = False) -> dict:
    """Construction and ``run()`` of sim.InnovationModel with ``engine``, after one warm-up run.

    ``total`` is construction plus ``run()`` (every step and ``results()``, which ``run()``
    returns); ``results`` is a second ``results()`` call after the run (the same work) and
    ``steps`` is ``run()`` less that.
    """
    import sim

    sim.InnovationModel(config=config, seed=10**6, engine=engine).run()   # warm-up
    parts: dict[str, list[float]] = {"total": [], "construction": [], "steps": [], "results": []}
    if graph:
        parts["graph"] = []
    for seed in range(repeats):
        gc.collect()
        with GraphTimer() as timer:
            t0 = time.perf_counter()
            model = sim.InnovationModel(config=config, seed=seed, engine=engine)
            t1 = time.perf_counter()
        model.run()
        t2 = time.perf_counter()
        model.results()
        t3 = time.perf_counter()
        parts["total"].append(t2 - t0)
        parts["construction"].append(t1 - t0)
        parts["steps"].append(max(0.0, (t2 - t1) - (t3 - t2)))
        parts["results"].append(t3 - t2)
        if graph:
            parts["graph"].append(timer.seconds)
        del model
    return {name: summary(values) for name, values in parts.items()}


def time_reference(config, repeats: int, group_sums: bool) -> dict:
    """Construction and the steps of the per-agent Mesa reference, after one warm-up run."""
    from mesa_reference import ReferenceModel

    ReferenceModel(config, seed=10**6, group_sums=group_sums).run()
    parts: dict[str, list[float]] = {"total": [], "construction": [], "steps": []}
    for seed in range(repeats):
        gc.collect()
        t0 = time.perf_counter()
        model = ReferenceModel(config, seed=seed, group_sums=group_sums)
        t1 = time.perf_counter()
        model.run()
        t2 = time.perf_counter()
        parts["total"].append(t2 - t0)
        parts["construction"].append(t1 - t0)
        parts["steps"].append(t2 - t1)
        del model
    return {name: summary(values) for name, values in parts.items()}


# -- memory (in a fresh subprocess per case) ----------------------------------------------------


def _rss_mb() -> dict[str, float]:
    """Current and peak resident set of this process, MB.

    /proc/self/status VmHWM is the peak of this process's own address space. resource's
    ru_maxrss is the fallback: on Linux it keeps the parent's peak across fork and exec, so in
    a subprocess it can report the parent's memory instead.
    """
    try:
        text = Path("/proc/self/status").read_text()
        fields = dict(line.split(":", 1) for line in text.splitlines() if ":" in line)
        return {"rss": int(fields["VmRSS"].split()[0]) / 1024.0,
                "peak": int(fields["VmHWM"].split()[0]) / 1024.0}
    except (OSError, KeyError, ValueError):
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0   # KiB on Linux
        return {"rss": peak, "peak": peak}


def _reset_peak() -> bool:
    """Reset the peak resident set to the current one (Linux 4.0+); False if not possible."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def memory_case(name: str, preset: str = DEFAULT_PRESET) -> dict:
    """In a fresh process: peak RSS over a cold run, the peak increase of a warm run, and the
    tracemalloc peak of a warm run (compiled engine, ``preset``)."""
    import tracemalloc

    from mesa_reference import ReferenceModel

    import sim
    after_imports = _rss_mb()["rss"]
    if name == "historical":
        config = sim.load_config(preset)
        run: Callable[[], object] = lambda: sim.InnovationModel(config=config, seed=0).run()  # noqa: E731
    elif name == "scale_free_20k":
        config = sim.load_config(preset, LARGE)
        run = lambda: sim.InnovationModel(config=config, seed=0).run()  # noqa: E731
    elif name == "reference":
        config = sim.load_config(preset)
        run = lambda: ReferenceModel(config, seed=0).run()  # noqa: E731
    else:
        raise SystemExit(f"unknown memory case {name!r}")
    result = run()                                   # cold: loads and caches the data
    peak = _rss_mb()["peak"]
    del result
    gc.collect()
    warm_increase = None
    if _reset_peak():
        before = _rss_mb()["rss"]
        result = run()
        warm_increase = _rss_mb()["peak"] - before
        del result
        gc.collect()
    tracemalloc.start()
    result = run()
    traced = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return {"peak_rss_mb": peak, "rss_after_imports_mb": after_imports,
            "warm_run_peak_increase_mb": warm_increase, "tracemalloc_peak_mb": traced}


def measure_memory(name: str, preset: str = DEFAULT_PRESET) -> dict:
    out = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--memory-case", name,
                          "--preset", preset],
                         capture_output=True, text=True, cwd=ROOT, check=False)
    if out.returncode != 0:
        return {"error": out.stderr.strip().splitlines()[-1] if out.stderr else "failed"}
    return json.loads(out.stdout.strip().splitlines()[-1])


# -- machine information ------------------------------------------------------------------------


def machine_info() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    versions = {}
    for package in ("numpy", "numba", "llvmlite", "scipy", "networkx", "pandas", "mesa",
                    "pydantic"):
        try:
            versions[package] = version(package)
        except PackageNotFoundError:
            versions[package] = None
    cpu = None
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        memory_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError, AttributeError):
        memory_gb = None
    commit = _git("rev-parse", "HEAD")
    dirty = _git("status", "--porcelain", "--", "sim", "configs")
    return {
        "python": platform.python_version(),
        "python_implementation": platform.python_implementation(),
        "executable": sys.executable,
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu_model": cpu,
        "cpu_count": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "memory_gb": round(memory_gb, 1) if memory_gb else None,
        "load_average": os.getloadavg() if hasattr(os, "getloadavg") else None,
        "thread_env": {k: os.environ[k] for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                                                  "MKL_NUM_THREADS") if k in os.environ},
        "versions": versions,
        "git_commit": commit,
        "sim_or_configs_modified": bool(dirty) if dirty is not None else None,
    }


def _git(*args: str) -> str | None:
    try:
        out = subprocess.run(["git", *args], capture_output=True, text=True, cwd=ROOT,
                             check=True, timeout=10)
        return out.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None


# -- report -------------------------------------------------------------------------------------


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:9.2f} ms" if seconds < 10 else f"{seconds:9.2f} s "


def _load(values) -> str:
    return ", ".join(f"{v:.2f}" for v in values) if values else "n/a"


def ratios(cases: dict) -> dict[str, float]:
    """Ratios of medians between cases of this run (only those measured)."""
    out = {}
    pairs = [
        ("Mesa reference (every tie) / compiled, historical, total", "reference",
         "historical", "total"),
        ("Mesa reference (group sums) / compiled, historical, total", "reference_group_sums",
         "historical", "total"),
        ("numpy reference / compiled, historical, total", "historical_numpy", "historical",
         "total"),
        ("numpy reference / compiled, scale_free_20k, total", "scale_free_20k_numpy",
         "scale_free_20k", "total"),
        ("Mesa reference (every tie) / compiled, historical, steps", "reference",
         "historical", "steps"),
        ("Mesa reference (group sums) / compiled, historical, steps", "reference_group_sums",
         "historical", "steps"),
        ("numpy reference / compiled, historical, steps", "historical_numpy", "historical",
         "steps"),
        ("numpy reference / compiled, scale_free_20k, steps", "scale_free_20k_numpy",
         "scale_free_20k", "steps"),
    ]
    for label, slow, fast, part in pairs:
        if slow in cases and fast in cases:
            denominator = cases[fast][part]["median"]
            out[label] = (cases[slow][part]["median"] / denominator if denominator > 0
                          else float("inf"))
    return out


def verdicts(cases: dict, found: dict) -> dict[str, bool | None]:
    """Each target: met (True), missed (False) or not measured (None)."""
    historical = TARGETS["historical"]
    large = TARGETS["scale_free_20k"]
    ratio = found.get("Mesa reference (every tie) / compiled, historical, total")
    return {
        f"historical compiled median total <= {historical['max_seconds'] * 1e3:g} ms":
            cases["historical"]["total"]["median"] <= historical["max_seconds"],
        f"Mesa reference (every tie) / historical compiled >= "
        f"{historical['min_reference_ratio']:g}":
            None if ratio is None else ratio >= historical["min_reference_ratio"],
        f"scale_free_20k compiled median total <= {large['max_seconds'] * 1e3:g} ms":
            cases["scale_free_20k"]["total"]["median"] <= large["max_seconds"],
    }


def print_table(report: dict) -> None:
    cases = report["cases"]
    steps = report["settings"].get("steps", "")
    preset = report["settings"]["preset"]
    rows = []
    for case, title, graph in (("historical", f"{preset}, in-process", False),
                               ("scale_free_20k", "scale_free 20,000 agents", True)):
        for engine in ENGINES:
            rows += [
                (f"{title}, {engine}: total", case_name(case, engine), "total"),
                ("  construction", case_name(case, engine), "construction"),
            ]
            if graph:
                rows.append(("    of which graph building", case_name(case, engine), "graph"))
            rows += [
                (f"  {steps} steps", case_name(case, engine), "steps"),
                ("  results()", case_name(case, engine), "results"),
            ]
    for case, title in (("reference", "every tie"), ("reference_group_sums", "group sums")):
        rows += [
            (f"Mesa reference, {title}: total", case, "total"),
            ("  construction", case, "construction"),
            (f"  {steps} steps", case, "steps"),
        ]
    width = max(len(label) for label, _, _ in rows) + 2
    print()
    print(f"{'case':<{width}}{'median':>12}{'min':>12}{'max':>12}{'n':>4}")
    print("-" * (width + 40))
    for label, case, part in rows:
        if case not in cases or part not in cases[case]:
            continue
        s = cases[case][part]
        print(f"{label:<{width}}{_ms(s['median']):>12}{_ms(s['min']):>12}{_ms(s['max']):>12}"
              f"{s['n']:>4}")
    if report.get("ratios"):
        print()
        print("ratios of medians, this run:")
        for name, value in report["ratios"].items():
            print(f"  {name:<62}{value:9.1f} x")
    print()
    print("targets:")
    for name, met in report["targets_met"].items():
        print(f"  {name:<70}{'not measured' if met is None else 'met' if met else 'MISSED'}")
    if report.get("memory"):
        print()
        print(f"{'memory (fresh process per case)':<36}{'peak RSS':>12}"
              f"{'after imports':>15}{'warm run':>12}{'tracemalloc':>13}")
        print("-" * 88)
        for name, m in report["memory"].items():
            if "error" in m:
                print(f"{name:<36}  error: {m['error']}")
                continue
            warm = m["warm_run_peak_increase_mb"]
            warm_text = f"{warm:>9.1f} MB" if warm is not None else f"{'n/a':>12}"
            print(f"{name:<36}{m['peak_rss_mb']:>9.1f} MB{m['rss_after_imports_mb']:>12.1f} MB"
                  f"{warm_text}{m['tracemalloc_peak_mb']:>10.1f} MB")
    machine = report["machine"]
    versions = machine["versions"]
    print()
    print(f"machine: {machine['cpu_model']}, {machine['cpu_count']} CPUs "
          f"({machine['cpus_usable']} usable), Python {machine['python']}, numpy "
          f"{versions['numpy']}, numba {versions['numba']}, mesa {versions['mesa']}")
    print(f"load average (1, 5, 15 min): {_load(report['load_average_before'])} before, "
          f"{_load(report['load_average_after'])} after")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default=DEFAULT_PRESET,
                        help=f"scenario preset of every case (default {DEFAULT_PRESET})")
    parser.add_argument("--repeats", type=int, default=None,
                        help="timed runs of each historical case (default 20, quick 5); the "
                             "20,000-agent cases and the reference use a quarter (at least 2)")
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    parser.add_argument("--large-repeats", type=int, default=None,
                        help="timed runs of each 20,000-agent case")
    parser.add_argument("--reference-repeats", type=int, default=None,
                        help="timed runs of each Mesa reference variant")
    parser.add_argument("--skip-memory", action="store_true", help="no memory subprocesses")
    parser.add_argument("--skip-reference", action="store_true", help="no Mesa reference")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "latest.json")
    parser.add_argument("--memory-case", choices=MEMORY_CASES, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.memory_case:
        print(json.dumps(memory_case(args.memory_case, args.preset)))
        return 0

    import sim

    repeats = args.repeats or (5 if args.quick else 20)
    large = args.large_repeats or max(2, repeats // 4)
    reference = args.reference_repeats or max(2, repeats // 4)
    load_before = os.getloadavg() if hasattr(os, "getloadavg") else None
    config = sim.load_config(args.preset)
    report: dict = {
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine_info(),
        "settings": {"preset": args.preset, "engines": list(ENGINES), "repeats": repeats,
                     "large_repeats": large, "reference_repeats": reference,
                     "quick": args.quick, "large_overrides": LARGE, "warm_up_runs": 1},
        "targets": TARGETS,
        "cases": {},
        "load_average_before": load_before,
    }
    for engine in ENGINES:
        print(f"{args.preset}, {engine}: {repeats} runs ...", flush=True)
        report["cases"][case_name("historical", engine)] = time_array_model(config, repeats,
                                                                            engine)
    report["settings"]["steps"] = sim.InnovationModel(config=config, seed=0).timeline.steps
    large_config = sim.load_config(args.preset, LARGE)
    for engine in ENGINES:
        print(f"scale_free, 20,000 agents, {engine}: {large} runs ...", flush=True)
        report["cases"][case_name("scale_free_20k", engine)] = time_array_model(
            large_config, large, engine, graph=True)
    if not args.skip_reference:
        for name, group_sums in (("reference", False), ("reference_group_sums", True)):
            print(f"Mesa reference ({'group sums' if group_sums else 'every tie'}): "
                  f"{reference} runs ...", flush=True)
            report["cases"][name] = time_reference(config, reference, group_sums)
    report["ratios"] = ratios(report["cases"])
    if not args.skip_memory:
        report["memory"] = {}
        for name in MEMORY_CASES:
            if name == "reference" and args.skip_reference:
                continue
            print(f"memory: {name} (fresh process) ...", flush=True)
            report["memory"][name] = measure_memory(name, args.preset)
    report["load_average_after"] = os.getloadavg() if hasattr(os, "getloadavg") else None
    report["targets_met"] = verdicts(report["cases"], report["ratios"])
    print_table(report)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nwrote {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
