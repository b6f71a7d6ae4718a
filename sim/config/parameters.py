"""The parameters as a table: every dotted key with its value, unit, source and meaning."""

from __future__ import annotations

import math
from typing import Any

from pydantic import BaseModel

from sim.config.loading import load_config, presets_dir
from sim.config.schema import Config
from sim.vocabulary import APPROACHES, NATIONS, STAGES


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


def event_table(config: Config) -> list[dict[str, str]]:
    """The scenario's active events in date order, each in words: date, kind, what, source.

    ``what`` is the event's label, its id in code font and what it sets; this is the table
    of docs/ODD.md section 10 (``innovate timeline``).
    """
    from sim.data import load_uk

    names = dict(zip(load_uk().authorities["agent_id"], load_uk().authorities["name"],
                     strict=True))
    rows = []
    for event in sorted(config.active_events, key=lambda e: e.date):
        year = math.floor(event.date + 1e-9)
        quarter = int((event.date - year) * 4 + 1e-9) + 1
        rows.append({"date": f"{event.date:g} ({year} Q{quarter})", "kind": event.kind,
                     "what": f"{event.label} (`{event.id}`): {_effect(event, names)}",
                     "source": event.source})
    return rows


def _effect(event: Any, names: dict[str, str]) -> str:
    """What an event sets, in words."""
    where = ", ".join(getattr(event, "nations", []) or [])
    if event.kind == "budget":
        return f"budget index of {where} = {event.value:g}"
    if event.kind == "policy":
        return f"{event.approach} policy support in {where} = {event.value:g}"
    if event.kind == "package":
        return (f"{event.approach} progression at Mobilising and Designing × {event.value:g} "
                f"in {where}")
    if event.kind == "network":
        layer = {"region": "region layer", "learning": f"{event.approach} open learning network",
                 "cluster": f"{event.approach} peer clusters"}[event.layer]
        return f"{layer} {'on' if event.active else 'off'} in {where}"
    if event.kind == "seed":
        who = (", ".join(names.get(a, a) for a in event.agents) if event.agents
               else f"every authority in {where}")
        funded = (f", funded until {event.funded_until:g}" if event.funded_until is not None
                  else "")
        return f"{event.approach} journey of {who} moved up to {STAGES[event.stage]}{funded}"
    if event.kind == "disruption":
        return f"progression hazards × {event.progression:g} until {event.until:g}"
    if event.kind == "hazard_scale":
        return f"every hazard × {event.value:g}"
    return (f"turnover × {event.turnover:g}, vacancy × {event.vacancy:g}, agency × "
            f"{event.agency:g} in {where}")


def event_markdown(config: Config) -> str:
    """:func:`event_table` as a Markdown table."""
    lines = ["| date | kind | what | source |", "|---|---|---|---|"]
    lines += [f"| {r['date']} | {r['kind']} | {r['what']} | {r['source']} |"
              for r in event_table(config)]
    return "\n".join(lines)
