"""Approximate Bayesian computation: the simulator, the distance, and a seeded sampler.

pyabc sees the model as :class:`AbcModel`: parameter values in, the simulated patterns out.
:class:`PatternDistance` measures the misfit to the observed patterns. Reproducibility: one
seed gives a bit-identical posterior whatever the number of workers. Each particle slot of
each generation draws from its own stream, ``SeedSequence(seed, spawn_key=(call, slot))``, and
keeps simulating until it is accepted; the slots are evaluated by an ordered map over the
project's executor (:func:`seeded_sampler`), so which worker runs a slot changes nothing.
"""

from __future__ import annotations

import functools
import math
import random
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sim.calibration.spec import PatternSpec, configure
from sim.config import Config
from sim.output.metrics import authority_patterns, measure_counts, value_at
from sim.sweeps.backends import open_executor
from sim.vocabulary import APPROACHES, SCOPES

if TYPE_CHECKING:
    from sim.output.results import RunResult

PRELOAD = ["sim.model", "sim.calibration.run", "pyabc", "sim.sweeps.warm"]


class Simulator:
    """Runs the base configuration with some parameter values; returns the simulated patterns.

    A pattern's simulated value is the count of journeys at or beyond its measure's stage (and
    not ended) in its scope at its time, exactly as ``RunResult.metrics['patterns.<metric>']``.
    """

    def __init__(self, base: Config, observed: pd.DataFrame):
        self._raw = base.model_dump(mode="python")
        first, last = base.time.start + base.time.dt, base.time.end
        inside = observed[(observed["time"] >= first - 1e-9) & (observed["time"] <= last + 1e-9)]
        self._observed = inside
        self.metrics: list[str] = list(inside["metric"])
        self._rows = [(r.metric, r.measure, r.scope, APPROACHES.index(r.approach), float(r.time))
                      for r in inside.itertuples()]

    def config(self, values: Mapping[str, float]) -> Config:
        """The base configuration with ``values`` (dotted key -> number) set."""
        return configure(self._raw, values)

    def __call__(self, values: Mapping[str, float], seed: int) -> dict[str, float]:
        """Simulated value of each pattern (metric -> count) of one run."""
        from sim.model import InnovationModel

        return self.patterns(InnovationModel(config=self.config(values), seed=seed).run())

    def patterns(self, result: RunResult) -> dict[str, float]:
        """Simulated value of each pattern (metric -> count) in a run's results."""
        counts, times = result.counts, result.times
        named = authority_patterns(self._observed, times, result.event_log,
                                   result.population.ids)
        return {metric: (named[metric] if scope not in SCOPES else
                         value_at(times, measure_counts(counts, measure, scope)[:, a], when))
                for metric, measure, scope, a, when in self._rows}


class PatternDistance:
    """Euclidean norm of the scaled misfits of the fitted patterns (the observation model).

    A pattern's misfit is zero inside its allowed region [low, high] and measured from the
    nearer end outside it, in units of its ``scale``: one-sided for a bound (a lower bound
    has high = +inf, an upper bound low = -inf), from the value for a point. A simulated
    value that is missing (NaN) gives an infinite distance.
    """

    def __init__(self, patterns: Sequence[PatternSpec], observed: pd.DataFrame):
        table = observed.set_index("metric")
        self.metrics = [p.metric for p in patterns]
        self.scale = np.array([p.scale for p in patterns])
        self.low = table.loc[self.metrics, "low"].to_numpy(float)
        self.high = table.loc[self.metrics, "high"].to_numpy(float)

    def misfits(self, simulated: Mapping[str, float]) -> np.ndarray:
        """Scaled misfit of each fitted pattern (signed: positive means too many)."""
        x = np.array([simulated[m] for m in self.metrics], dtype=float)
        return (np.maximum(x - self.high, 0) - np.maximum(self.low - x, 0)) / self.scale

    def __call__(self, simulated: Mapping[str, float], _observed: Any = None) -> float:
        """The distance (pyabc passes the observed patterns too; they are already known)."""
        misfit = self.misfits(simulated)
        return math.inf if np.isnan(misfit).any() else float(np.sqrt((misfit ** 2).sum()))


class AbcModel:
    """The model as pyabc sees it: parameters in, simulated patterns out.

    The run's seed is drawn from numpy's global generator, which :func:`seeded_sampler` seeds
    for every particle slot, so a particle's simulation depends only on its slot.
    """

    def __init__(self, simulator: Simulator, keys: Sequence[str]):
        self.simulator = simulator
        self.keys = list(keys)

    def __call__(self, parameter: Mapping[str, float]) -> dict[str, float]:
        """Simulated patterns of one run at these parameter values."""
        seed = int(np.random.randint(0, 2**62, dtype=np.int64))
        return self.simulator({k: float(parameter[k]) for k in self.keys}, seed)


def slot_state(seed: int, call: int, slot: int) -> np.ndarray:
    """The seed words of one particle slot: ``SeedSequence(seed, spawn_key=(call, slot))``."""
    return np.random.SeedSequence(seed, spawn_key=(call, slot)).generate_state(4)


def _sample_slot(task: tuple[bytes, np.ndarray, int]) -> tuple[Any, int]:
    """Simulate until one particle is accepted (or max_attempts), from the slot's own stream."""
    payload, state, max_attempts = task
    simulate_one, factory = _generation(payload)
    np.random.seed(state)
    random.seed(int(state[0]))
    sample = factory()
    attempts = 0
    while attempts < max_attempts:
        particle = simulate_one()
        attempts += 1
        sample.append(particle)
        if particle.accepted:
            break
    return sample, attempts


@functools.lru_cache(maxsize=2)
def _generation(payload: bytes) -> tuple[Callable, Callable]:
    """A generation's ``simulate_one`` and sample factory, unpickled once per process.

    Every slot of a generation carries the same payload; unpickling it (pyabc's transitions,
    priors and the simulator) took about 4 ms, as long as a simulation, for each slot. The
    objects keep no state from one call to the next (each slot seeds the global generators
    before it simulates), as pyabc's own samplers assume when they call one ``simulate_one``
    for every particle; so the slots a worker runs share them.
    """
    import cloudpickle

    return cloudpickle.loads(payload)


def run_task(task: tuple[Simulator, dict[str, float], int]) -> dict[str, float]:
    """The simulated patterns of one (simulator, parameter values, seed) task."""
    simulator, values, seed = task
    return simulator(values, seed)


@contextmanager
def ordered_map(workers: int):
    """An ordered ``map(function, items)`` on the project's executor.

    With one worker it runs in this process, and numpy's and Python's global random states
    are restored afterwards, so the caller sees the same state whatever the number of
    workers. Otherwise it runs on local workers that fork from a server with the model and
    pyabc imported (forking this process is unsafe once pyarrow or sqlite have started
    threads), and that exit if this process dies.
    """
    in_process = workers <= 1
    with open_executor("local", workers, preload=PRELOAD, in_process=in_process) as executor:
        def ordered(function: Callable, items: Iterable) -> list:
            saved = np.random.get_state(), random.getstate()
            try:
                return list(executor.map(function, list(items)))
            finally:
                if in_process:
                    np.random.set_state(saved[0])
                    random.setstate(saved[1])

        yield ordered


def _sampler_class() -> type:
    from pyabc.sampler import Sampler

    class SeededSampler(Sampler):
        """Deterministic pyabc sampler; see :func:`seeded_sampler`."""

        def __init__(self, seed: int, map_: Callable, max_attempts: int,
                     progress: Callable[[str], None] | None = None):
            super().__init__()
            self.seed, self.map_, self.max_attempts = seed, map_, max_attempts
            self.progress = progress
            self.calls = 0

        def sample_until_n_accepted(self, n, simulate_one, t, *, max_eval=np.inf,
                                    all_accepted=False, ana_vars=None):
            """Fill ``n`` slots, each with one accepted particle (and its rejected ones)."""
            import cloudpickle

            call, self.calls = self.calls, self.calls + 1
            started = time.perf_counter()
            payload = cloudpickle.dumps((simulate_one, self.sample_factory))
            tasks = [(payload, slot_state(self.seed, call, i), self.max_attempts)
                     for i in range(n)]
            sample = self._create_empty_sample()
            evaluations = 0
            for part, attempts in self.map_(_sample_slot, tasks):
                sample += part
                evaluations += attempts
            self.nr_evaluations_ = evaluations
            if sample.n_accepted < n:
                sample.ok = False
            if self.progress is not None:
                label = "calibration sample" if call == 0 else f"generation {call - 1}"
                self.progress(f"  {label}: {n} particles from {evaluations} simulations "
                              f"in {time.perf_counter() - started:.1f} s")
            return sample

    return SeededSampler


def seeded_sampler(seed: int, map_: Callable, max_attempts: int,
                   progress: Callable[[str], None] | None = None):
    """A pyabc sampler whose result does not depend on the number of workers.

    Every call (the calibration sample, then one call per generation) has ``n`` particle slots;
    slot ``i`` of call ``c`` seeds numpy's and Python's global generators with
    :func:`slot_state` ``(seed, c, i)`` and simulates until it has one accepted particle. The
    slots go through ``map_`` (an ordered map, see :func:`ordered_map`). The class is built on
    first use so that importing this module does not import pyabc.
    """
    return _sampler_class()(seed, map_, max_attempts, progress)
