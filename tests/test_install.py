"""install.py picks a Python 3.12 or newer itself; `.ci/run` asks it which (`install.py which`)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _which(env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "install.py"), "which"], env=env,
                          capture_output=True, text=True, cwd=ROOT)


def test_which_prints_the_path_of_a_python_312_or_newer():
    env = {k: v for k, v in os.environ.items() if k != "PYTHON"}
    done = _which(env)
    assert done.returncode == 0, done.stderr
    path = done.stdout.strip()
    version = subprocess.run([path, "-c", "import sys; print(*sys.version_info[:2])"],
                             capture_output=True, text=True, check=True).stdout.split()
    assert tuple(map(int, version)) >= (3, 12)


def test_which_refuses_an_older_python_named_by_PYTHON(tmp_path):
    old = tmp_path / "python3.11"
    old.write_text("#!/bin/sh\necho 3 11\n")          # answers the version question as 3.11
    old.chmod(0o755)
    done = _which({**os.environ, "PYTHON": str(old)})
    assert done.returncode == 1
    assert done.stdout == ""
    assert f"PYTHON={old} is not a Python 3.12 or newer" in done.stderr
