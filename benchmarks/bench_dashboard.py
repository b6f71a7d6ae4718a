"""Time the dashboard: one step rendered in each tab, and a 2 x 20-seed (40-run) comparison.

The page is rendered with Solara's test renderer in a virtual kernel (what one browser session
gets on the server); a "step render" is the time from the Step click until the new page is
built, i.e. the server's share of a step (the browser then redraws the changed widgets).

    .venv/bin/python benchmarks/bench_dashboard.py [--steps 40] [--seeds 20] [--repeats 5]
                                                   [--browser] [--json FILE]
    .venv/bin/python benchmarks/bench_dashboard.py --quick            # fewer clicks and repeats
    .venv/bin/python benchmarks/bench_dashboard.py --only comparison --profile

``--browser`` also times a Step in Debian's chromium against a real ``innovate dashboard``
server: from the click until the page shows the new quarter (server, network and drawing).

The comparison is what the Compare tab computes when "Run comparison" is clicked with its
defaults: scenario A (the calibrated history with workforce pressure 1.5) against scenario B
(the ``historical-calibrated`` preset), ``--seeds`` paired runs of each, each run drawing its
calibrated parameters from the preset's posterior (:func:`dashboards.ensembles.scenario_pair`),
then what the result view shows: the headline (paired reach), the paired count, the chart's
Vega-Lite spec with its data, every approach's sentences and the posterior note. It is timed
after one warm-up comparison (data, compiled kernels, posterior and chart templates loaded);
before each timed repeat the dashboard's per-process cache of runs
(``dashboards.ensembles._RUNS``) is emptied, so that every one of the 2 x seeds runs is run
(otherwise a repeat would only read the runs back). ``--profile`` profiles one more comparison
with cProfile and prints the top functions.

Targets: a step renders in under 200 ms (issue 4); a 2 x 20-seed comparison (40 runs) takes
at most 0.5 s (median).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import platform
import pstats
import statistics
import time
from dataclasses import replace

import ipyvuetify as v
import solara
from solara.server import kernel
from solara.server.kernel_context import VirtualKernelContext


def _stats(seconds: list[float]) -> dict[str, float]:
    ms = sorted(1000 * s for s in seconds)
    return {"median_ms": round(statistics.median(ms), 1),
            "p95_ms": round(ms[int(0.95 * (len(ms) - 1))], 1), "max_ms": round(ms[-1], 1),
            "n": len(ms)}


def step_renders(steps: int) -> dict[str, dict[str, float]]:
    """Median, 95th percentile and maximum time of a Step click with each tab showing."""
    from dashboards.app import Page

    out = {}
    for index, name in [(0, "map"), (1, "uptake"), (2, "journeys (Hackney)"), (4, "export")]:
        context = VirtualKernelContext(id=name, kernel=kernel.Kernel(), session_id=name)
        with context:
            _, rc = solara.render(Page(), handle_error=False)
            rc.find(v.Tabs).widget.v_model = index
            if index == 2:
                rc.find(v.Autocomplete).widget.v_model = "E09000012"
            button = rc.find(v.Btn, class_="innovate-step").widget
            for _ in range(3):                 # warm caches (chart templates, geometry)
                button.click()
            times = []
            for _ in range(steps):
                started = time.perf_counter()
                button.click()
                times.append(time.perf_counter() - started)
            out[name] = _stats(times)
            rc.close()
    return out


COMPARISON_TARGET_S = 0.5          # 2 x 20 seeds, median


def _one_comparison(seeds: int) -> tuple[float, float, str]:
    """One comparison as the Compare tab makes it: (seconds running, seconds in all, headline)."""
    from dashboards.charts import compare_spec
    from dashboards.ensembles import (
        paired_count,
        paired_reach,
        paired_sentences,
        posterior_sentence,
        preset_posterior,
        scenario_pair,
    )
    from dashboards.settings import DEFAULT_PRESET, Settings

    mine = replace(Settings.from_preset(DEFAULT_PRESET), workforce_pressure=1.5)
    other = Settings.from_preset(DEFAULT_PRESET)
    started = time.perf_counter()
    posteriors = (preset_posterior(mine.preset), preset_posterior(other.preset))
    a, b = scenario_pair(mine, other, seeds, "scenario B", posteriors=posteriors)
    runs = time.perf_counter() - started
    level = 0.25
    headline = paired_reach(a, b, "TS", "integrating", level).sentence()
    counted = paired_count(a, b, "TS", "integrating")
    if counted is not None:
        counted.sentence()
    compare_spec(a, b, "integrating", level)
    paired_sentences(a, b, "integrating", level)
    posterior_sentence(a, b)
    return runs, time.perf_counter() - started, headline


def _forget_runs() -> None:
    """Empty the dashboard's per-process cache of runs, so that a comparison runs every run."""
    from dashboards import ensembles

    ensembles._RUNS.clear()


def comparison(seeds: int, repeats: int = 5) -> dict:
    """Median wall time of the Compare tab's 2 x ``seeds`` runs and result, after a warm-up."""
    _one_comparison(seeds)                                    # warm-up
    totals, runs = [], []
    headline = ""
    for _ in range(repeats):
        _forget_runs()
        ran, total, headline = _one_comparison(seeds)
        runs.append(ran)
        totals.append(total)
    median = statistics.median(totals)
    return {"seeds_each": seeds, "runs": 2 * seeds, "repeats": repeats,
            "median_s": round(median, 3), "min_s": round(min(totals), 3),
            "max_s": round(max(totals), 3), "runs_median_s": round(statistics.median(runs), 3),
            "per_run_ms": round(1000 * statistics.median(runs) / (2 * seeds), 2),
            "target_s": COMPARISON_TARGET_S, "target_met": median <= COMPARISON_TARGET_S,
            "samples_s": [round(t, 4) for t in totals], "example": headline}


def profile_comparison(seeds: int, top: int = 25) -> str:
    """cProfile of one comparison (runs forgotten first): top functions by own and total time."""
    _forget_runs()
    profiler = cProfile.Profile()
    profiler.enable()
    _one_comparison(seeds)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).strip_dirs()
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)
    return out.getvalue()


def browser_steps(steps: int) -> dict[str, float]:
    """Click-to-updated-page time of Step in a real browser (map tab)."""
    import os
    import re
    import socket
    import subprocess
    import sys
    import urllib.request
    from pathlib import Path

    from playwright.sync_api import sync_playwright

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    script = Path(sys.executable).with_name("innovate")
    server = subprocess.Popen([str(script), "dashboard", "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              env={**os.environ, "SOLARA_ASSETS_CDN": "http://127.0.0.1:9/"})
    try:
        url = f"http://127.0.0.1:{port}/"
        for _ in range(200):
            try:
                urllib.request.urlopen(url, timeout=2).close()
                break
            except OSError:
                time.sleep(0.3)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path="/usr/bin/chromium", headless=True,
                args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
            page = browser.new_page(viewport={"width": 1500, "height": 1000})
            page.goto(url)
            page.locator(".innovate-map-area").first.wait_for(timeout=60_000)
            times = []
            for k in range(1, steps + 4):
                started = time.perf_counter()
                page.locator(".innovate-step").click()
                page.locator(".innovate-now", has_text=f"(step {k} of").wait_for()
                if k > 3:
                    times.append(time.perf_counter() - started)
            assert re.search(r"step \d+ of", page.locator(".innovate-now").inner_text())
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=15)
    return _stats(times)


def _load() -> tuple[float, ...] | None:
    return os.getloadavg() if hasattr(os, "getloadavg") else None


def _load_text(values: tuple[float, ...] | None) -> str:
    return ", ".join(f"{v:.2f}" for v in values) if values else "n/a"


def main() -> None:
    """Run the benchmarks and print (and optionally save) the numbers."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=None,
                        help="timed Step clicks per tab (default 40, quick 10)")
    parser.add_argument("--seeds", type=int, default=20,
                        help="seeds per scenario of the comparison (default 20: 40 runs)")
    parser.add_argument("--repeats", type=int, default=None,
                        help="timed comparisons after the warm-up (default 5, quick 3)")
    parser.add_argument("--quick", action="store_true", help="fewer clicks and repeats")
    parser.add_argument("--only", choices=("steps", "comparison"), default=None,
                        help="run only the step renders or only the comparison")
    parser.add_argument("--profile", action="store_true",
                        help="also profile one comparison with cProfile (top functions)")
    parser.add_argument("--browser", action="store_true",
                        help="also time a Step in chromium against a real server")
    parser.add_argument("--json", default=None, help="also write the numbers to this file")
    args = parser.parse_args()
    steps = args.steps or (10 if args.quick else 40)
    repeats = args.repeats or (3 if args.quick else 5)
    load_before = _load()
    renders = clicked = compared = None
    if args.only != "comparison":
        renders = step_renders(steps)
        print(f"Step render (server side, {steps} clicks per tab after 3 warm-up clicks):")
        for name, row in renders.items():
            print(f"  {name:20s} median {row['median_ms']:7.1f} ms   p95 {row['p95_ms']:7.1f} ms"
                  f"   max {row['max_ms']:7.1f} ms")
        clicked = browser_steps(min(steps, 30)) if args.browser else None
        if clicked:
            print(f"  {'browser (map tab)':20s} median {clicked['median_ms']:7.1f} ms   p95 "
                  f"{clicked['p95_ms']:7.1f} ms   max {clicked['max_ms']:7.1f} ms  (click to "
                  "page showing the new quarter)")
    if args.only != "steps":
        compared = comparison(args.seeds, repeats)
        verdict = "met" if compared["target_met"] else "MISSED"
        print(f"Comparison 2 x {args.seeds} seeds ({compared['runs']} runs), {repeats} repeats "
              f"after 1 warm-up: median {compared['median_s']:.3f} s (min "
              f"{compared['min_s']:.3f}, max {compared['max_s']:.3f}); the runs "
              f"{compared['runs_median_s']:.3f} s, {compared['per_run_ms']:.1f} ms a run; "
              f"target <= {COMPARISON_TARGET_S} s: {verdict}")
        print(f"  e.g. {compared['example']}")
    load_after = _load()
    print(f"load average (1, 5, 15 min): {_load_text(load_before)} before, "
          f"{_load_text(load_after)} after")
    if args.profile:
        print()
        print(profile_comparison(args.seeds))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump({"python": platform.python_version(), "machine": platform.machine(),
                       "step_render": renders, "browser_step": clicked,
                       "comparison": compared, "load_average_before": load_before,
                       "load_average_after": load_after}, out, indent=2)


if __name__ == "__main__":
    main()
