"""innovate-sim: how CS, TIP and TS spread across the UK's children's social care authorities.

Quick use::

    import sim
    result = sim.run("historical", seed=1)
    result.timeseries          # counts by step, nation, approach, stage and status
    result.events              # every transition with its reason
    result.metrics             # summary metrics
    result.save("results/")    # Parquet tables, metrics.json, manifest.json, adoption.png
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("innovate-sim")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.1.0"

from sim.agents import Authority
from sim.config import APPROACHES, NATIONS, Config, load_config, preset_names
from sim.errors import InputError
from sim.journey import STAGES, STATUSES
from sim.model import InnovationModel, run
from sim.results import RunResult

__all__ = [
    "APPROACHES",
    "NATIONS",
    "STAGES",
    "STATUSES",
    "Authority",
    "Config",
    "InnovationModel",
    "InputError",
    "RunResult",
    "load_config",
    "preset_names",
    "run",
    "__version__",
]
