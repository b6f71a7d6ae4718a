"""Fixtures of the dashboard tests."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    """Chromium's path; a failure (never a skip) naming the prerequisite when it is missing.

    The browser and PDF tests are part of the suite: ``python3 install.py test`` installs
    Debian's chromium. To leave them out on purpose, deselect them: ``-m "not browser"``.
    """
    from dashboards.teaching.handout import find_chromium

    path = find_chromium()
    if path is None:
        pytest.fail("the browser tests need Chromium: run 'python3 install.py test' (it "
                    "installs Debian's chromium) or set CHROMIUM=/path/to/chromium; to leave "
                    "them out on purpose, deselect them with -m 'not browser'")
    return path


# Chromium's switches for the browser tests (no sandbox inside containers; nothing phoned home).
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--no-first-run"]


@pytest.fixture(scope="module")
def browser(chromium_path):
    """One headless Chromium per test module (Debian's, launched by its path)."""
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(chromium_path),
                                              headless=True, args=ARGS)
        yield chromium
        chromium.close()
