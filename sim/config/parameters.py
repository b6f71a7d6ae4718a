"""The parameters as a table: every dotted key with its value, unit, source and meaning."""

from __future__ import annotations

import math
from typing import Any

from pydantic import BaseModel

from sim.config.loading import load_config, presets_dir
from sim.config.schema import Config
from sim.vocabulary import APPROACHES, NATIONS


def flatten(config: Config) -> dict[str, Any]:
    """Every parameter as ``dotted.key -> value`` (events excluded), for tables and manifests."""
    out: dict[str, Any] = {}

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                walk(f"{prefix}.{k}" if prefix else str(k), v)
        else:
            out[prefix] = value

    data = config.model_dump(mode="json", exclude={"events", "name", "description"},
                             exclude_none=True)
    walk("", data)
    return out


def parameter_table(config: Config | None = None) -> list[dict[str, str]]:
    """Rows of name, default, unit, source and meaning for every documented parameter."""
    config = config or load_config(presets_dir() / "defaults.toml")
    values = flatten(config)
    rows = []
    for name, value in values.items():
        field = _field_for(name)
        if field is None:
            continue
        extra = field.json_schema_extra or {}
        rows.append({"name": name, "default": _show(value), "unit": extra.get("unit", ""),
                     "source": extra.get("source", ""), "meaning": field.description or ""})
    return rows


def _field_for(dotted: str) -> Any:
    model: Any = Config
    field = None
    for part in dotted.split("."):
        fields = getattr(model, "model_fields", None)
        if fields is None:
            return field
        if part in fields:
            field = fields[part]
            model = _model_of(field.annotation)
        elif part not in NATIONS and part not in APPROACHES:
            return None
    return field


def _show(value: Any) -> str:
    if isinstance(value, float) and math.isfinite(value):
        return f"{value:g}"
    if isinstance(value, list):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    return str(value).lower() if isinstance(value, bool) else str(value)


def _model_of(annotation: Any) -> Any:
    """The pydantic model inside an annotation (X, X | None, list[X]...), or None."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _model_of(arg)
        if found is not None:
            return found
    return None
