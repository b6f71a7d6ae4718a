"""The sweep every runner and analysis test reads: the 2 x 2 grid, 2 replicates each."""

from __future__ import annotations

import pytest
from helpers import grid_experiment

from sim.sweeps.design import load_experiment
from sim.sweeps.runner import run_sweep


@pytest.fixture(scope="session")
def grid_sweep(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("grid")
    out = tmp / "serial"
    summary = run_sweep(load_experiment(grid_experiment(tmp)), out, workers=1, progress=False)
    return tmp, out, summary
