"""Server memory over many dashboard sessions: fresh, at peak, and after the pages close.

Starts a real ``innovate dashboard`` server, opens ``--sessions`` pages in Debian's chromium
(``--parallel`` at a time, each a fresh browser context that runs the model to its end), closes
them, then waits ``--settle`` seconds. It prints the server's resident memory (RSS) fresh (after
one warm-up page, which loads what every page shares), at peak and after the wait, and the
server's own count of sessions and Solara kernels still held (``/_innovate/status``).

    .venv/bin/python benchmarks/bench_dashboard_memory.py [--sessions 50] [--parallel 5]
                                                          [--settle 120]

Target (issue 14): RSS after the wait within 20% of fresh, and no session still held.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dashboards.serve import STATUS_PATH, resident_mb  # noqa: E402

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"]


def free_port() -> int:
    """A free TCP port on this machine."""
    import socket
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def status(url: str) -> dict:
    """The server's ``/_innovate/status`` answer."""
    with urllib.request.urlopen(url.rstrip("/") + STATUS_PATH, timeout=30) as response:
        return json.load(response)


def start_server(port: int, log: Path) -> subprocess.Popen:
    """``innovate dashboard`` on ``port``, once it answers (assets from the local cache)."""
    script = Path(sys.executable).with_name("innovate")
    env = {**os.environ, "SOLARA_ASSETS_CDN": "http://127.0.0.1:9/npm/"}
    with open(log, "wb") as out:
        process = subprocess.Popen([str(script), "dashboard", "--port", str(port)],
                                   stdout=out, stderr=subprocess.STDOUT, env=env)
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            status(f"http://127.0.0.1:{port}/")
            return process
        except OSError:
            time.sleep(0.3)
    process.kill()
    raise SystemExit(f"the dashboard did not start: {log.read_text(errors='replace')[-2000:]}")


def one_session(browser, url: str) -> None:
    """Open the page in a fresh context, run the model to its end, close the context."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    try:
        page = context.new_page()
        page.set_default_timeout(180_000)
        page.goto(url)
        page.locator(".innovate-run").wait_for()
        page.locator(".innovate-run").click()
        page.locator(".innovate-now", has_text="step 104 of 104").wait_for()
    finally:
        context.close()


def main() -> None:
    """Run the benchmark and print the numbers."""
    from playwright.sync_api import sync_playwright

    from dashboards.teaching.handout import find_chromium

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=50)
    parser.add_argument("--parallel", type=int, default=5)
    parser.add_argument("--settle", type=float, default=120.0)
    args = parser.parse_args()
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    server = start_server(port, Path("/tmp") / f"bench-dashboard-memory-{port}.log")
    peak = [0.0]
    sampling = threading.Event()

    def sample() -> None:
        while not sampling.wait(0.2):
            peak[0] = max(peak[0], resident_mb(server.pid))

    try:
        started = resident_mb(server.pid)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(find_chromium()),
                                                 headless=True, args=ARGS)
            one_session(browser, url)                       # warm-up: what all pages share
            time.sleep(5)
            fresh = resident_mb(server.pid)
            sampler = threading.Thread(target=sample, daemon=True)
            sampler.start()
            began = time.time()
            done = 0
            while done < args.sessions:
                batch = min(args.parallel, args.sessions - done)
                contexts = []
                for _ in range(batch):        # open `batch` pages at once, then run each
                    context = browser.new_context(viewport={"width": 1400, "height": 900})
                    page = context.new_page()
                    page.set_default_timeout(180_000)
                    page.goto(url)
                    contexts.append((context, page))
                for _context, page in contexts:
                    page.locator(".innovate-run").click()
                for _context, page in contexts:
                    page.locator(".innovate-now", has_text="step 104 of 104").wait_for()
                for context, _ in contexts:
                    context.close()
                done += batch
                print(f"  {done} sessions, RSS {resident_mb(server.pid):.0f} MB", flush=True)
            elapsed = time.time() - began
            browser.close()
        at_close = resident_mb(server.pid)
        time.sleep(args.settle)
        sampling.set()
        after = resident_mb(server.pid)
        held = status(url)
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(f"server RSS at start          {started:7.1f} MB")
    print(f"server RSS fresh (1 page)    {fresh:7.1f} MB")
    print(f"server RSS at peak           {peak[0]:7.1f} MB  ({args.sessions} sessions, "
          f"{args.parallel} at a time, {elapsed:.0f} s)")
    print(f"server RSS as the last closed {at_close:6.1f} MB")
    print(f"server RSS {args.settle:.0f} s after       {after:7.1f} MB  "
          f"({after / fresh - 1:+.0%} of fresh; target within +20%)")
    print(f"still held: {held['sessions']} sessions, {held['kernels']} Solara kernels")


if __name__ == "__main__":
    main()
