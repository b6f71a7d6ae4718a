"""Fixtures shared by the test suite (helper functions are in helpers.py)."""

from __future__ import annotations

import os

import pytest

import sim
from sim.config import parse_override

# Moves parameters of the validity runs, to watch a validity test fail when the parameter it
# guards is far from its value, e.g.
#   INNOVATE_VALIDITY_SET="approaches.CS.speed=3" pytest tests/calibration/test_validity.py
VALIDITY_SET = "INNOVATE_VALIDITY_SET"


@pytest.fixture(scope="session")
def calibrated_runs() -> list[sim.RunResult]:
    """The historical-calibrated preset over 20 seeds (shared by the validity tests).

    ``INNOVATE_VALIDITY_SET`` (``KEY=VALUE`` items separated by ``;``) overrides parameters;
    unset, the runs are the preset's.
    """
    items = [item for item in os.environ.get(VALIDITY_SET, "").split(";") if item.strip()]
    config = sim.load_config("historical-calibrated", [parse_override(i) for i in items])
    return [sim.InnovationModel(config=config, seed=s).run() for s in range(20)]
