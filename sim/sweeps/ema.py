"""An adapter so EMA Workbench users can wrap the model directly.

EMA Workbench (an optional extra: ``pip install 'innovate-sim[ema]'``) needs parameter and
outcome names that are Python identifiers, so a dotted key such as ``levers.austerity_cut`` is
written with double underscores, ``levers__austerity_cut`` (the configuration loader reads
``__`` as ``.``). Example::

    from ema_workbench import RealParameter, SequentialEvaluator
    from sim.sweeps.ema import ema_model

    model = ema_model("historical", outcomes=["TS.year_integrated_10pct"], replications=5)
    model.uncertainties = [RealParameter("approaches__TS__q", 0.2, 0.6)]
    model.levers = [RealParameter("levers__austerity_cut", 0.0, 0.3)]
    with SequentialEvaluator(model) as evaluator:
        experiments, outcomes = evaluator.perform_experiments(scenarios=20, policies=2)

Each replication is one seed from :func:`sim.experiment.replicate_seeds`, the same seeds the
sweep runner uses, so a result can be re-run with ``innovate run``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from sim.errors import InputError
from sim.sweeps.design import replicate_seeds


def ema_name(key: str) -> str:
    """A dotted key or metric name as an EMA identifier (``.`` becomes ``__``)."""
    return key.replace(".", "__")


class ModelFunction:
    """The callable EMA runs: keyword parameters (``__`` for ``.``) and a seed -> outcomes."""

    def __init__(self, scenario: str | dict, outcomes: Sequence[str]):
        from sim.config import raw_scenario

        self.base = scenario if isinstance(scenario, dict) else raw_scenario(scenario)
        self.outcomes = list(outcomes)

    def __call__(self, seed: int = 0, **parameters: Any) -> dict[str, float]:
        """Run once with these overrides and seed; return the chosen metrics (NaN = never)."""
        from sim.config import load_config
        from sim.model import InnovationModel

        config = load_config(self.base, parameters)
        metrics = InnovationModel(config=config, seed=int(seed)).run().metrics
        return {ema_name(name): metrics.get(name, math.nan) for name in self.outcomes}


def ema_model(scenario: str | dict = "historical", *, outcomes: Sequence[str],
              replications: int = 10, seed: int = 0, name: str = "innovate") -> Any:
    """An EMA Workbench ``ReplicatorModel`` of the model, with seeded replications.

    Set ``uncertainties``, ``levers`` and ``constants`` on the returned model with EMA's
    parameter classes, naming them by the model's dotted keys written with ``__``.
    """
    try:
        from ema_workbench import ArrayOutcome, ReplicatorModel
    except ImportError:
        raise InputError("the EMA adapter needs EMA Workbench: pip install "
                         "'innovate-sim[ema]'") from None
    from sim.output.metrics import metric_names

    unknown = [o for o in outcomes if o not in metric_names()]
    if unknown:
        raise InputError(f"outcomes: unknown metric {unknown[0]!r}")
    model = ReplicatorModel(name, function=ModelFunction(scenario, outcomes))
    model.outcomes = [ArrayOutcome(ema_name(o)) for o in outcomes]
    model.replications = [{"seed": s} for s in replicate_seeds(seed, replications)]
    return model
