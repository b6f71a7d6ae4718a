"""Worker pools never outlive their driver: the calibration's pool (the sweep's is tested with
its resume after kill -9 in test_experiments.py)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from helpers import session_processes

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")


def test_the_calibration_pool_exits_when_its_driver_is_killed():
    script = textwrap.dedent("""
        import time
        from sim.calibration.abc import ordered_map
        with ordered_map(2) as map_:
            print("ready", flush=True)
            map_(time.sleep, [120, 120, 120])
    """)
    driver = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, start_new_session=True,
                              stdout=subprocess.PIPE, text=True)
    assert driver.stdout.readline().strip() == "ready"
    deadline = time.monotonic() + 60
    while len(session_processes(driver.pid)) < 4 and time.monotonic() < deadline:
        time.sleep(0.1)     # the driver, its forkserver and two workers
    assert len(session_processes(driver.pid)) >= 4, "the pool never started"
    os.kill(driver.pid, signal.SIGKILL)
    driver.wait()
    deadline = time.monotonic() + 10
    while session_processes(driver.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = session_processes(driver.pid)
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    assert left == [], "the calibration's workers outlived their driver"
