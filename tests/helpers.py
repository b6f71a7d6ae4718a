"""Helpers shared by the test modules (imported explicitly, not through conftest)."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def require_chromium() -> Path:
    """Chromium's path; a failure (never a skip) naming the prerequisite when it is missing.

    The browser and PDF tests are part of the suite: ``python3 install.py test`` installs
    Debian's chromium. To leave them out on purpose, deselect them: ``-m "not browser"``.
    """
    from dashboards.handout import find_chromium

    path = find_chromium()
    if path is None:
        pytest.fail("the browser tests need Chromium: run 'python3 install.py test' (it "
                    "installs Debian's chromium) or set CHROMIUM=/path/to/chromium; to leave "
                    "them out on purpose, deselect them with -m 'not browser'")
    return path


def session_processes(session: int) -> list[int]:
    """Live processes (not zombies) of a session, from /proc (Linux)."""
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == session and fields[0] != "Z":
            pids.append(int(stat.parent.name))
    return pids
