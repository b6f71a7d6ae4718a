"""Worker processes of local sweeps, forked from a server that has imported the model once.

Each worker of a ``forkserver`` pool starts as a fork of one server process, so it starts
with the model imported instead of importing it itself. ``innovate sweep`` starts that server
first thing, so the server imports the model while the command reads the experiment.
"""

from __future__ import annotations

import multiprocessing
import sys
from multiprocessing.context import BaseContext

PRELOAD = ["sim.model", "sim.sweep"]


def local_context() -> BaseContext:
    """The start method of local sweep workers, with its server running (spawn on Windows)."""
    if sys.platform == "win32":
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)
    from multiprocessing import forkserver

    forkserver.ensure_running()
    return context
