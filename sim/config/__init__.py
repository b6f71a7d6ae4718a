"""Typed, validated configuration: the schema, TOML presets, inheritance and overrides.

- :mod:`sim.config.schema`: every parameter table and scenario event, with unit and source;
- :mod:`sim.config.loading`: presets, ``extends``, ``KEY=VALUE`` overrides and validation;
- :mod:`sim.config.parameters`: the parameters as a table (``innovate params``).
"""

from sim.config.loading import (
    describe_presets,
    load_config,
    parse_override,
    preset_names,
    presets_dir,
    raw_scenario,
    validate,
)
from sim.config.parameters import event_markdown, event_table, flatten, parameter_table
from sim.config.schema import UK_SIZE, Config

__all__ = ["UK_SIZE", "Config", "describe_presets", "event_markdown", "event_table", "flatten",
           "load_config",
           "parameter_table", "parse_override", "preset_names", "presets_dir", "raw_scenario",
           "validate"]
