"""Fixtures shared by the test suite (helper functions are in helpers.py)."""

from __future__ import annotations

import pytest

import sim


@pytest.fixture(scope="session")
def historical_runs() -> list[sim.RunResult]:
    """The historical preset over 20 seeds (shared by the plausibility tests)."""
    config = sim.load_config("historical")
    return [sim.InnovationModel(config=config, seed=s).run() for s in range(20)]
