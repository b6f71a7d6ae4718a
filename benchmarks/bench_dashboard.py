"""Time the dashboard: one step rendered in each tab, and a 2 x 20-seed comparison.

The page is rendered with Solara's test renderer in a virtual kernel (what one browser session
gets on the server); a "step render" is the time from the Step click until the new page is
built, i.e. the server's share of a step (the browser then redraws the changed widgets).

    .venv/bin/python benchmarks/bench_dashboard.py [--steps 40] [--seeds 20] [--browser]
                                                   [--json FILE]

``--browser`` also times a Step in Debian's chromium against a real ``innovate dashboard``
server: from the click until the page shows the new quarter (server, network and drawing).

Targets (issue 4): a step renders in under 200 ms; a 2 x 20-seed comparison takes under 10 s.
"""

from __future__ import annotations

import argparse
import json
import platform
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


def comparison(seeds: int) -> dict[str, float]:
    """Wall time of the two ensembles the Compare tab runs (your scenario vs historical)."""
    from dashboards.charts import compare_spec
    from dashboards.ensembles import difference_sentence, run_ensemble
    from dashboards.settings import Settings

    mine = replace(Settings.from_preset("historical"), workforce_pressure=1.5)
    started = time.perf_counter()
    a = run_ensemble(mine, seeds, "your scenario")
    b = run_ensemble(Settings.from_preset("historical"), seeds, "historical")
    runs = time.perf_counter() - started
    compare_spec(a, b, "integrating", 0.25)
    sentence = difference_sentence(a, b, "TIP", "integrating", 0.25)
    total = time.perf_counter() - started
    return {"seeds_each": seeds, "runs_s": round(runs, 2), "total_s": round(total, 2),
            "per_run_ms": round(1000 * runs / (2 * seeds), 1), "example": sentence}


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


def main() -> None:
    """Run both benchmarks and print (and optionally save) the numbers."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=40, help="timed Step clicks per tab")
    parser.add_argument("--seeds", type=int, default=20, help="seeds per scenario")
    parser.add_argument("--browser", action="store_true",
                        help="also time a Step in chromium against a real server")
    parser.add_argument("--json", default=None, help="also write the numbers to this file")
    args = parser.parse_args()
    renders = step_renders(args.steps)
    print(f"Step render (server side, {args.steps} clicks per tab after 3 warm-up clicks):")
    for name, row in renders.items():
        print(f"  {name:20s} median {row['median_ms']:7.1f} ms   p95 {row['p95_ms']:7.1f} ms"
              f"   max {row['max_ms']:7.1f} ms")
    clicked = browser_steps(min(args.steps, 30)) if args.browser else None
    if clicked:
        print(f"  {'browser (map tab)':20s} median {clicked['median_ms']:7.1f} ms   p95 "
              f"{clicked['p95_ms']:7.1f} ms   max {clicked['max_ms']:7.1f} ms  (click to page "
              "showing the new quarter)")
    compared = comparison(args.seeds)
    print(f"Comparison 2 x {args.seeds} seeds: {compared['total_s']:.2f} s "
          f"({compared['per_run_ms']:.0f} ms a run)")
    print(f"  e.g. {compared['example']}")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump({"python": platform.python_version(), "machine": platform.machine(),
                       "step_render": renders, "browser_step": clicked,
                       "comparison": compared}, out, indent=2)


if __name__ == "__main__":
    main()
