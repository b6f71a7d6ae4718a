"""One browser session's model, and the history of every authority that the page draws from.

The model records counts and events; the map and the journeys also need each authority's stage,
status and five conditions at every step, so :class:`Session` keeps a snapshot after each step
(about 1.6 MB for a whole run). A session is created per browser tab (``solara.use_memo`` in
``app.Explore``; Teach mode runs its own), never at module level, so two users never share a model.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import threading
import time
import weakref
from dataclasses import dataclass

import numpy as np

from dashboards.settings import DEFAULT_PRESET, Settings
from dashboards.style import SCORES
from sim.model import InnovationModel
from sim.output.results import RunResult
from sim.vocabulary import APPROACHES, NATIONS

_LIVE: weakref.WeakSet[Session] = weakref.WeakSet()     # every Session not yet freed


def live_sessions() -> int:
    """How many sessions this process still holds (after a garbage collection).

    A closed browser tab's session must be freed with its Solara kernel: the memory test and
    ``/_innovate/status`` check that this returns to 0 once every page is closed.
    """
    gc.collect()
    return len(_LIVE)


_TRIM = threading.Lock()


def release_memory(delay: float = 2.0) -> None:
    """Soon (after Solara's own collection of a closed page), give freed memory back to the OS.

    A closed session's arrays go back to the C allocator, which keeps them for reuse unless
    asked (``malloc_trim``): without this, the server's resident memory stays at its peak.
    Calls within ``delay`` of each other share one trim.
    """
    if not _TRIM.acquire(blocking=False):
        return

    def trim() -> None:
        try:
            time.sleep(delay)
            gc.collect()
            with contextlib.suppress(OSError, AttributeError):
                ctypes.CDLL("libc.so.6").malloc_trim(0)
        finally:
            _TRIM.release()

    thread = threading.Thread(target=trim, daemon=True, name="innovate-release-memory")
    thread.current_context = None  # type: ignore[attr-defined]  # outside any Solara kernel
    thread.start()


@dataclass(frozen=True)
class Snapshot:
    """Every authority at one point in time.

    Attributes:
        time: calendar time (the end of the step; the start of the run for step 0).
        stage: stage 0-6 (a ``sim.vocabulary.STAGES`` index), shape (authorities, approaches).
        status: a ``sim.vocabulary.STATUSES`` index, shape (authorities, approaches).
        conditions: the five conditions and readiness (``style.SCORES``), shape
            (6, authorities, approaches).
    """

    time: float
    stage: np.ndarray
    status: np.ndarray
    conditions: np.ndarray


class Session:
    """A model and its per-step history, for one browser session.

    Methods that change the model hold a lock, so the play loop (a thread) and a click cannot
    step the model at the same time.
    """

    def __init__(self, settings: Settings | None = None):
        self.lock = threading.RLock()
        self.settings = settings or Settings.from_preset(DEFAULT_PRESET)
        self._build(self.settings)
        _LIVE.add(self)

    def _build(self, settings: Settings) -> None:
        config = settings.config()               # raises InputError before anything changes
        model = InnovationModel(config=config, seed=settings.seed)
        steps = model.timeline.steps
        n = model.population.size
        with self.lock:
            self.settings, self.config, self.model = settings, config, model
            self.total_steps = steps
            self.times = np.concatenate([[config.time.start], model.timeline.end])
            self._stage = np.zeros((steps + 1, n, len(APPROACHES)), np.int8)
            self._status = np.zeros((steps + 1, n, len(APPROACHES)), np.int8)
            self._conditions = np.zeros((steps + 1, len(SCORES), n, len(APPROACHES)),
                                        np.float32)
            self._result: tuple[int, RunResult] | None = None
            self._record(0)

    def _record(self, k: int) -> None:
        state = self.model.state
        self._stage[k] = state.stage
        self._status[k] = state.status
        self._conditions[k] = state.fields[:len(SCORES)]      # the journey fields start so

    # -- commands ----------------------------------------------------------------------------

    def reset(self, settings: Settings | None = None) -> None:
        """A new model at the start of the window (with new settings if given).

        Invalid settings raise :class:`sim.errors.InputError` and leave the session unchanged.
        """
        self._build(settings or self.settings)

    def step(self, n: int = 1) -> int:
        """Take up to ``n`` steps (fewer at the end of the window); returns the steps taken."""
        taken = 0
        with self.lock:
            while taken < n and not self.finished:
                self.model.step()
                self._record(self.model.steps)
                taken += 1
        return taken

    def run(self) -> int:
        """Take every remaining step; returns the steps taken."""
        return self.step(self.total_steps)

    # -- what the page reads -----------------------------------------------------------------

    @property
    def steps(self) -> int:
        """Steps taken so far."""
        return min(self.model.steps, self.total_steps)

    @property
    def finished(self) -> bool:
        """True once the whole window has been run."""
        return self.steps >= self.total_steps

    @property
    def year(self) -> float:
        """Calendar time now."""
        return float(self.times[self.steps])

    @property
    def size(self) -> int:
        """Number of authorities."""
        return self.model.population.size

    @property
    def ids(self) -> list[str]:
        """Authority codes (agent_id) in model order."""
        return [str(i) for i in self.model.population.ids]

    @property
    def names(self) -> list[str]:
        """Authority names in model order."""
        return [str(i) for i in self.model.population.names]

    def nation(self, index: int) -> str:
        """Nation of the authority at ``index``."""
        return NATIONS[int(self.model.population.nation[index])]

    def region(self, index: int) -> str:
        """Region (or nation) of the authority at ``index``."""
        population = self.model.population
        return population.regions[int(population.region[index])]

    def snapshot(self, k: int | None = None) -> Snapshot:
        """Every authority after step ``k`` (default: now), clipped to the steps taken."""
        with self.lock:
            k = self.steps if k is None else int(np.clip(k, 0, self.steps))
            return Snapshot(time=float(self.times[k]), stage=self._stage[k].copy(),
                            status=self._status[k].copy(),
                            conditions=self._conditions[k].copy())

    def history(self, index: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """One authority over the steps taken.

        Returns times, stage and status (steps+1, approaches) and conditions
        (steps+1, 6, approaches).
        """
        with self.lock:
            k = self.steps + 1
            return (self.times[:k].copy(), self._stage[:k, index].copy(),
                    self._status[:k, index].copy(), self._conditions[:k, :, index].copy())

    def stage_history(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Times, stage and status of every authority over the steps taken."""
        with self.lock:
            k = self.steps + 1
            return self.times[:k].copy(), self._stage[:k].copy(), self._status[:k].copy()

    def results(self) -> RunResult:
        """The model's results for the steps taken (cached until the next step or reset)."""
        with self.lock:
            if self._result is None or self._result[0] != self.steps or \
                    self._result[1] is None:
                self._result = (self.steps, self.model.results())
            return self._result[1]

    def index_of(self, agent_id: str) -> int:
        """Row of an authority code, or -1."""
        ids = self.model.population.ids
        hits = np.flatnonzero(ids.astype(str) == str(agent_id))
        return int(hits[0]) if len(hits) else -1
