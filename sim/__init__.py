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

# The names below are imported on first use (PEP 562), so that a command that needs only
# part of the package (``innovate sweep`` in its driver, say) does not import Mesa.
_EXPORTS = {
    "Authority": "sim.agents",
    "APPROACHES": "sim.vocabulary", "NATIONS": "sim.vocabulary", "Config": "sim.config",
    "load_config": "sim.config", "preset_names": "sim.config",
    "InputError": "sim.errors",
    "STAGES": "sim.vocabulary", "STATUSES": "sim.vocabulary",
    "InnovationModel": "sim.model", "run": "sim.model",
    "RunResult": "sim.output.results",
}


def __getattr__(name: str):
    """Import a public name from its module on first use."""
    if name not in _EXPORTS:
        raise AttributeError(f"module 'sim' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(_EXPORTS[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))


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
