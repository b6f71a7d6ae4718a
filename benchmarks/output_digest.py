"""Digests of the model's outputs, to show that a change to the code changed no bit of them.

    .venv/bin/python benchmarks/output_digest.py            # the compiled engine (the default)
    .venv/bin/python benchmarks/output_digest.py --engine numpy

Prints four SHA-256 digests (16 hex digits) of what runs produce with the given engine:

- every preset in configs/ x seeds 0, 1, 2;
- three populations off the UK network, seeds 0, 1, 2 each: 500 agents on a scale-free graph,
  300 on an Erdos-Renyi graph and 2,000 on a small world (the historical preset's timeline);
- 20 runs of historical-calibrated, seeds 0-19, each with its draw of the shipped posterior.

Each run contributes its counts by region and by quintile, the nation sums of every field, the
outcome sums, the event log (every column, the evidence included), the metrics, the clustering
statistic and the final state. Run it before and after a change that should not alter the
results (same machine, numpy and numba versions): the digests must be equal. A change of
numerics (a different order of a sum, another exp) changes them, and so do other versions of
numpy's random generator or libm.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import sim  # noqa: E402
from sim.config import load_config  # noqa: E402
from sim.config.posterior import config_for_draw, load_posterior, posterior_draws  # noqa: E402
from sim.model import ENGINES  # noqa: E402

SEEDS = (0, 1, 2)
OFF_THE_UK_NETWORK = {
    "scale_free 500": {"population.size": 500, "network.kind": "scale_free"},
    "erdos_renyi 300": {"population.size": 300, "network.kind": "erdos_renyi"},
    "small_world 2000": {"population.size": 2000, "network.kind": "small_world"},
}
FINAL = ("stage", "status", "culture", "coproduction", "exposure", "fields")


def add_run(digest, result: sim.RunResult) -> None:
    """Feed one run's outputs to ``digest``."""
    for array in (result.region_counts, result.quintile_counts, result.sums,
                  result.outcome_sums):
        digest.update(np.ascontiguousarray(array).tobytes())
    for name in sorted(result.event_log):
        digest.update(name.encode())
        digest.update(np.ascontiguousarray(result.event_log[name]).tobytes())
    digest.update(json.dumps(result.metrics, sort_keys=True, default=repr).encode())
    digest.update(json.dumps(result.clustering, sort_keys=True, default=repr).encode())
    for name in FINAL:
        digest.update(np.ascontiguousarray(getattr(result.final, name)).tobytes())


def digest_of(runs) -> str:
    """The digest of an iterable of runs, 16 hex digits."""
    digest = hashlib.sha256()
    for result in runs:
        add_run(digest, result)
    return digest.hexdigest()[:16]


def main(argv: list[str] | None = None) -> None:
    """Print the digests (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine", choices=ENGINES, default="compiled")
    engine = parser.parse_args(argv).engine
    presets = sorted(path.stem for path in (ROOT / "configs").glob("*.toml"))
    print(f"presets x seeds 0-2 ({len(presets)} presets)",
          digest_of(sim.InnovationModel(preset, seed=seed, engine=engine).run()
                    for preset in presets for seed in SEEDS))
    for label, overrides in OFF_THE_UK_NETWORK.items():
        config = load_config("historical", overrides)
        print(label, digest_of(sim.InnovationModel(config=config, seed=seed, engine=engine).run()
                               for seed in SEEDS))
    base = load_config("historical-calibrated")
    posterior = load_posterior("historical-calibrated")
    seeds = range(20)
    print("historical-calibrated, 20 posterior draws",
          digest_of(sim.InnovationModel(config=config_for_draw(base, posterior, draw),
                                        seed=seed, engine=engine).run()
                    for seed, draw in zip(seeds, posterior_draws(posterior, seeds),
                                          strict=True)))


if __name__ == "__main__":
    main()
