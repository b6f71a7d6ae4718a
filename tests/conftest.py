"""Shared helpers for the test suite."""

from __future__ import annotations

import math

import numpy as np
import pytest

import sim
from sim.output.metrics import measure_counts

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


@pytest.fixture(scope="session")
def historical_runs() -> list[sim.RunResult]:
    """The historical preset over 20 seeds (shared by the plausibility tests)."""
    config = sim.load_config("historical")
    return [sim.InnovationModel(config=config, seed=s).run() for s in range(20)]
