"""Worker processes of local sweeps and calibrations: started warm, and never left behind.

Each worker of a ``forkserver`` pool starts as a fork of one server process, so it starts
with the model imported instead of importing it itself. ``innovate sweep`` starts that server
first thing, so the server imports the model while the command reads the experiment.

A worker also watches the process that started the pool (the driver). If the driver dies,
however it dies (``kill -9``, the OOM killer, a batch scheduler), the worker exits at once, and
the forkserver, whose last client has then gone, exits after it: nothing is left holding
memory. (The standard pools wait on a queue whose writing end the workers hold themselves, so
without this they would wait for ever.)
"""

from __future__ import annotations

import multiprocessing
import os
import select
import sys
import threading
import time
from multiprocessing.context import BaseContext

PRELOAD = ["sim.model", "sim.sweep"]
POLL_SECONDS = 0.5      # how often a worker checks its driver where there is no pidfd


def local_context(preload: list[str] | None = None) -> BaseContext:
    """The start method of local workers, with its server running (spawn on Windows)."""
    if sys.platform == "win32":
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(preload or PRELOAD)
    from multiprocessing import forkserver

    forkserver.ensure_running()
    return context


def watch_driver(driver: int) -> None:
    """A pool initializer: exit this worker as soon as process ``driver`` has died.

    Pass ``initializer=watch_driver, initargs=(os.getpid(),)`` to the pool. On Linux the
    driver is watched through a pidfd (no polling), on other POSIX systems it is polled twice
    a second. (On Windows, where ``os.kill(pid, 0)`` would end the driver, it is not watched.)
    """
    if sys.platform == "win32":
        return
    threading.Thread(target=_exit_with, args=(driver,), name="watch-driver",
                     daemon=True).start()


def _exit_with(driver: int) -> None:
    try:
        handle = os.pidfd_open(driver)
    except (AttributeError, OSError):
        handle = None
    if handle is not None:
        select.select([handle], [], [])         # readable once the driver has exited
    else:
        while _alive(driver):
            time.sleep(POLL_SECONDS)
    os._exit(1)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
