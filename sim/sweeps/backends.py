"""Where runs execute: one executor interface for this process, local processes and Dask.

:func:`open_executor` yields a ``concurrent.futures.Executor`` for every backend, so the sweep
runner and the calibration are written once against ``submit`` and ``map``:

- ``"local"``: a process pool whose workers fork from a server that has imported the model
  and taken one run once (``forkserver``, :mod:`sim.sweeps.warm`; spawn on Windows), so they
  start warm. Each worker watches the process that started the pool (the driver): if the
  driver dies, however it dies (``kill -9``, the OOM killer, a batch scheduler), the worker
  exits at once, and the server, whose last client has then gone, exits after it. (The
  standard pools wait on a queue whose writing end the workers hold themselves, so without
  this they would wait for ever.)
- ``"dask"``: a ``distributed`` client's executor, on a local cluster or an existing scheduler.
- ``in_process=True``: no pool at all, for a single worker that should share this process.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import select
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from multiprocessing.context import BaseContext
from typing import Literal

from sim.errors import InputError

Backend = Literal["local", "dask"]
BACKENDS: tuple[str, ...] = ("local", "dask")
# what the local workers' server imports before it forks them; sim.sweeps.warm takes one run
PRELOAD = ["sim.model", "sim.sweeps.runner", "sim.sweeps.warm"]
POLL_SECONDS = 0.5      # how often a worker checks its driver where there is no pidfd


@contextlib.contextmanager
def open_executor(backend: Backend = "local", workers: int = 1, scheduler: str | None = None,
                  preload: list[str] | None = None, in_process: bool = False
                  ) -> Iterator[Executor]:
    """An executor of ``workers`` workers on ``backend`` (see the module docstring).

    ``preload`` names the modules the local workers' server imports before it forks them.
    An unreachable Dask scheduler or a missing package is a one-line :class:`InputError`.
    """
    if in_process:
        yield InProcessExecutor()
        return
    if backend == "local":
        with ProcessPoolExecutor(max_workers=workers, mp_context=local_context(preload),
                                 initializer=watch_driver, initargs=(os.getpid(),)) as pool:
            yield pool
        return
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise InputError("--backend dask needs the 'distributed' package: "
                         "pip install 'dask[distributed]'") from None
    if scheduler:
        try:
            client = Client(scheduler, timeout="10s")
        except (OSError, TimeoutError, ValueError) as exc:
            raise InputError(f"--scheduler {scheduler}: unreachable ({type(exc).__name__}: "
                             f"{str(exc).splitlines()[0] if str(exc) else ''})") from None
        with client:
            yield client.get_executor(pure=False)
        return
    import dask

    # our own cluster runs nothing but simulations: no statistical profiler sampling every
    # worker's stack (every 10 ms by default) and no GIL monitor
    quiet = {"distributed.worker.profile.enabled": False,
             "distributed.admin.system-monitor.gil.enabled": False}
    with dask.config.set(quiet), \
            LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                         dashboard_address=None, host="127.0.0.1") as cluster, \
            Client(cluster) as client:
        yield client.get_executor(pure=False)


class InProcessExecutor(Executor):
    """An executor that runs each call at once, in this process (``map`` keeps the order)."""

    def submit(self, fn, /, *args, **kwargs) -> Future:
        """Run ``fn(*args, **kwargs)`` now; a future holding its result or its exception."""
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # noqa: BLE001 - the caller sees it through the future
            future.set_exception(exc)
        return future


def local_context(preload: list[str] | None = None) -> BaseContext:
    """The start method of local workers, with its server running (spawn on Windows).

    ``innovate sweep`` calls it first thing, so that the server imports the model while the
    command reads the experiment.
    """
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
