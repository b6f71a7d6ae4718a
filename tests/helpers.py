"""Helpers shared by the test modules (imported explicitly, not through conftest)."""

from __future__ import annotations

import hashlib
import math
import sys
from pathlib import Path

import numpy as np

import sim
from sim.output.metrics import measure_counts

ROOT = Path(__file__).resolve().parent.parent
INNOVATE = [sys.executable, "-m", "sim.cli"]     # the command line in a fresh process


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


# -- reductions: every mechanism off ---------------------------------------------------------------

ALL_OFF = {name: False for name in
           ("macro", "workforce", "shocks", "synergy", "feedback", "conditions", "need")}
NO_PROMPTING = {"p0": 0.0, "q": 0.0}


def bass_config(p: float = 0.03, q: float = 0.38, n: int = 10_000, end: float = 16.0,
                dt: float = 0.01, kind: str = "complete", degree: int = 6,
                events: list | None = None, macro: bool = False) -> dict:
    """Stages collapsed, every mechanism off: the Bass model on the given network."""
    return {
        "name": "bass", "time": {"start": 0.0, "end": end, "dt": dt},
        "population": {"size": n}, "network": {"kind": kind, "degree": degree},
        "mechanisms": {**ALL_OFF, "macro": macro}, "stages": {"collapsed": True},
        "approaches": {"CS": {"p0": p, "q": q, "policy": 1.0}, "TIP": NO_PROMPTING,
                       "TS": NO_PROMPTING},
        "events": events or [],
    }


def adopted_share(result: sim.RunResult, approach: int = 0) -> np.ndarray:
    """Share of agents engaged (adopted) at the end of each step."""
    return measure_counts(result.counts, "engaged")[:, approach] / result.size


def at(times: np.ndarray, series: np.ndarray, t: float) -> float:
    """Value at the end of the step ending at time t."""
    i = int(np.argmin(np.abs(times - t)))
    assert abs(times[i] - t) < 1e-6, f"no step ends at {t}"
    return float(series[..., i]) if series.ndim == 1 else series[..., i]


def bass_F(t: float, p: float, q: float) -> float:
    """Closed-form Bass cumulative adoption share."""
    e = math.exp(-(p + q) * t)
    return (1 - e) / (1 + q / p * e)


def four_sigma(sd: float, replicates: int) -> float:
    """Tolerance of a mean of `replicates` runs: four standard errors (false alarm ~6e-5)."""
    return 4.0 * sd / math.sqrt(replicates)


# -- experiments: a small, fast world (60 synthetic authorities, 2010-2025) -----------------------

FAST = """
[set]
"population.size" = 60
"network.kind" = "small_world"
"network.degree" = 4
"time.end" = 2025.0
"""


def write_file(folder: Path, body: str, name: str = "exp.toml") -> Path:
    """A text file in ``folder`` (an experiment, a scenario)."""
    path = folder / name
    path.write_text(body, encoding="utf-8")
    return path


def grid_experiment(folder: Path, replicates: int = 2, extra: str = "") -> Path:
    """A 2 x 2 grid (TS q, a further budget cut) in the fast world."""
    return write_file(folder, f"""
[experiment]
name = "grid"
replicates = {replicates}
seed = 11
curves = true
{FAST}
[design]
kind = "grid"

[parameters]
"approaches.TS.q" = [0.2, 0.8]
"levers.austerity_cut" = [0.0, 0.3]
{extra}""")


def sha(path: Path) -> str:
    """SHA-256 of a file."""
    return hashlib.sha256(path.read_bytes()).hexdigest()
