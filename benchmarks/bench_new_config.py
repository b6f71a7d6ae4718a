"""What a configuration of its own costs a run: the points of a design, ABC particles, draws.

Run from the repository root::

    .venv/bin/python benchmarks/bench_new_config.py            # 300 configurations a case
    .venv/bin/python benchmarks/bench_new_config.py --runs 100

Replicates of one configuration share what depends on the configuration alone (its validated
settings, timeline, scenario tables and journey constants, built once per process). The runs
of a design (every point its own settings), of an ABC calibration (every particle) and of a
posterior ensemble (every draw) build all of it again. Three cases, each run the way the
project runs it, in this process after one warm-up run:

- ``design point``: a sweep worker's point of ``experiments/sobol.toml`` (the calibrated history
  with 13 parameters set), ``load_config(base mapping, overrides)`` as
  :func:`sim.sweeps.runner.task_config` does;
- ``ABC particle``: :class:`sim.calibration.abc.Simulator` of ``experiments/calibration.toml``
  (the history to 2024.25) with values drawn uniformly from the priors, its configuration
  (:func:`sim.calibration.spec.configure`) and its run with the simulated patterns;
- ``posterior draw``: ``historical-calibrated`` with draw ``i`` of its posterior
  (:func:`sim.config.posterior.config_for_draw`).

Each line gives the medians of: the configuration, the model's construction, the run with its
metrics (or patterns), their total, and for comparison the total of a run that reuses one
configuration (construction, run and metrics). Seeds are 1, 2, ...; the load average is
printed before and after, so compare numbers measured at a low load.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
for path in (str(ROOT), str(HERE)):
    if path not in sys.path:
        sys.path.insert(0, path)

from bench_sweep import load  # noqa: E402  (the load average, as the sweep benchmark prints it)


def report(label: str, phases: dict[str, list[float]], reused: list[float]) -> None:
    """Print one line of medians (ms)."""
    medians = {name: statistics.median(values) * 1e3 for name, values in phases.items()}
    total = statistics.median([sum(parts) for parts in zip(*phases.values(), strict=True)])
    print(f"{label:15s} config {medians['config']:.2f} ms, construction "
          f"{medians['construction']:.2f}, run {medians['run']:.2f}: total {total * 1e3:.2f} "
          f"ms (one configuration reused: {statistics.median(reused) * 1e3:.2f} ms); "
          f"load {load()}", flush=True)


def timed(configs, run) -> tuple[dict[str, list[float]], list[float]]:
    """Time each configuration's phases, then the same number of runs reusing the first."""
    from sim.model import InnovationModel

    phases: dict[str, list[float]] = {"config": [], "construction": [], "run": []}
    first = None
    for seed, make in enumerate(configs, start=1):
        started = time.perf_counter()
        config = make()
        built = time.perf_counter()
        model = InnovationModel(config=config, seed=seed)
        constructed = time.perf_counter()
        run(model)
        done = time.perf_counter()
        phases["config"].append(built - started)
        phases["construction"].append(constructed - built)
        phases["run"].append(done - constructed)
        first = first or config
    reused = []
    for seed in range(1, len(configs) + 1):
        started = time.perf_counter()
        run(InnovationModel(config=first, seed=seed))
        reused.append(time.perf_counter() - started)
    return phases, reused


def design_points(runs: int):
    from sim.config import load_config
    from sim.sweeps.design import load_experiment

    experiment = load_experiment(ROOT / "experiments" / "sobol.toml")
    base = experiment.bases["historical-calibrated"]
    points = experiment.points[:runs]
    return [lambda p=p: load_config(base, p.overrides) for p in points]


def particles(runs: int):
    import numpy as np

    from sim.calibration.abc import Simulator
    from sim.calibration.spec import load_calibration
    from sim.data import load_uk

    calibration, base = load_calibration(ROOT / "experiments" / "calibration.toml")
    simulator = Simulator(base, load_uk().observed)
    rng = np.random.default_rng(0)
    values = [{p.key: float(rng.uniform(p.low, p.high)) for p in calibration.parameters}
              for _ in range(runs)]
    return simulator, [lambda v=v: simulator.config(v) for v in values]


def draws(runs: int):
    from sim.config import load_config
    from sim.config.posterior import config_for_draw, load_posterior

    base = load_config("historical-calibrated")
    posterior = load_posterior("historical-calibrated", base)
    return [lambda i=i: config_for_draw(base, posterior, i % posterior.size)
            for i in range(runs)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=300, help="configurations a case")
    args = parser.parse_args()
    from sim.model import InnovationModel

    print(f"load average (1/5/15 min): {load()}", flush=True)
    _ = InnovationModel(seed=0).run().metrics        # warm-up: kernels, data, network

    report("design point", *timed(design_points(args.runs), lambda m: m.run().metrics))
    simulator, configs = particles(args.runs)

    def patterns(model) -> None:
        simulator.patterns(model.run())

    report("ABC particle", *timed(configs, patterns))
    report("posterior draw", *timed(draws(args.runs), lambda m: m.run().metrics))


if __name__ == "__main__":
    main()
