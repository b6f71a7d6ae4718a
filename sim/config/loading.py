"""Loading a configuration: presets, inheritance, overrides and validation.

A configuration is built in four layers, later ones winning:

1. ``configs/defaults.toml``: every parameter's default value (its unit and source are in
   the schema, :mod:`sim.config.schema`);
2. the preset chain (``extends = "historical"`` and so on), merged table by table, with
   ``[[events]]`` merged by ``id`` (a child's event with the same id replaces the parent's);
3. a user's TOML file, which extends ``defaults`` unless it says otherwise;
4. ``KEY=VALUE`` overrides with dotted keys (``approaches.CS.q=0.4``,
   ``events.cs-wt2023.enabled=false``), values parsed as TOML.

Any problem raises :class:`sim.errors.InputError` with one line naming the key and what is
allowed.
"""

from __future__ import annotations

import copy
import functools
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from sim.cache import ProcessCache
from sim.config.schema import Config
from sim.errors import SHOWN_CHARACTERS, InputError, shown
from sim.io import parse_toml, read_text, read_toml
from sim.schema import describe_error


@functools.cache
def presets_dir() -> Path:
    """The folder of TOML presets: inside the installed package, or ``configs/`` of a checkout.

    Found once per process (every configuration loaded reads its defaults from it).
    """
    package = Path(__file__).resolve().parent.parent
    packaged = package / "configs"
    return packaged if packaged.is_dir() else package.parent / "configs"


def preset_names() -> list[str]:
    """Names of the scenario presets (every TOML in the presets folder but ``defaults``)."""
    return sorted(p.stem for p in presets_dir().glob("*.toml") if p.stem != "defaults")


def describe_presets() -> list[tuple[str, str]]:
    """(name, one-line description) of every preset."""
    rows = []
    for name in preset_names():
        _, raw = read_toml(presets_dir() / f"{name}.toml")
        rows.append((name, str(raw.get("description", "")).strip().splitlines()[0]
                     if raw.get("description") else ""))
    return rows


def _resolve(scenario: str | Path) -> Path:
    text = str(scenario)
    if text.endswith(".toml") or Path(text).is_file():
        return Path(text)
    path = presets_dir() / f"{text}.toml"
    if not path.is_file():
        raise InputError(f"unknown scenario {text!r}; choose one of: "
                         f"{', '.join(preset_names())} (or give a .toml file)")
    return path


def scenario_file(scenario: str | Path) -> Path:
    """The TOML file of a preset name or a ``.toml`` path.

    An unknown preset raises a one-line :class:`InputError` listing the presets.
    """
    return _resolve(scenario)


def _merge(base: dict, child: Mapping) -> dict:
    """Deep-merge child into a copy of base; events merge by id. Neither is changed."""
    out = copy.deepcopy(base)
    _merge_into(out, child)
    return out


def _merge_into(out: dict, child: Mapping) -> None:
    """Deep-merge child into ``out``, a mapping of the caller's own (each table copied once)."""
    for key, value in child.items():
        if key == "events":
            out["events"] = _merge_events(out.get("events", []), value)
        elif isinstance(value, Mapping) and isinstance(out.get(key), dict):
            _merge_into(out[key], value)
        else:
            out[key] = copy.deepcopy(value)


def _merge_events(base: list, child: Any) -> list:
    if not isinstance(child, list):
        raise InputError("events: must be an array of tables ([[events]])")
    out = [copy.deepcopy(e) for e in base]
    index = {e.get("id"): i for i, e in enumerate(out) if isinstance(e, dict)}
    for event in child:
        if not isinstance(event, dict):
            raise InputError("events: every entry must be a table with an id")
        if event.get("id") in index:
            merged = _merge(out[index[event["id"]]], event)
            out[index[event["id"]]] = merged
        else:
            index[event.get("id")] = len(out)
            out.append(copy.deepcopy(event))
    return out


_PARSED = ProcessCache(32)      # parsed TOML tables by their text


def _parsed(path: Path) -> dict:
    """The table of a TOML file, parsed once per process for each text it has (read-only).

    The file is read every time (a few microseconds), so an edited file is parsed again; only
    the parsing (about 0.8 ms for the defaults) is saved when a sweep's workers load a
    configuration for every point of a design.
    """
    text = read_text(path)
    return _PARSED.get(text, lambda: parse_toml(text, path))


def _chain(path: Path, seen: tuple[Path, ...] = ()) -> dict:
    """The merged table of a preset or TOML file and its ``extends`` chain.

    The table may share parts with the parsed files (:func:`_parsed`): never change it; merge
    it (:func:`_merge`) or copy it.
    """
    resolved = path.resolve()
    if resolved in seen:
        raise InputError(f"{path}: extends forms a cycle")
    raw = _parsed(path)
    defaults = (presets_dir() / "defaults.toml").resolve()
    parent = raw.get("extends", None if resolved == defaults else "defaults")
    raw = {key: value for key, value in raw.items() if key != "extends"}
    if parent is None:
        return raw
    if not isinstance(parent, str):
        raise InputError(f"{path}: extends must be a scenario name or a .toml path")
    parent_path = path.parent / parent if parent.endswith(".toml") else _resolve(parent)
    base = _chain(parent_path, (*seen, resolved))
    return _merge({key: value for key, value in base.items()
                   if key not in ("name", "description")}, raw)


def parse_override(item: str) -> tuple[str, Any]:
    """Split ``KEY=VALUE`` and parse VALUE as a TOML value (bare words become strings)."""
    key, sep, text = item.partition("=")
    key = key.strip()
    if not sep or not key:
        raise InputError(f"--set {shown(item)}: expected KEY=VALUE, e.g. approaches.CS.q=0.4")
    try:
        value = tomllib.loads(f"v = {text.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        value = text.strip()
    except ValueError:          # e.g. a whole number longer than Python reads (4300 digits)
        raise InputError(f"--set {shown(key)}: the value {shown(text.strip())} is not a "
                         "number, true/false or text that can be read") from None
    return key, value


def _apply_override(raw: dict, key: str, value: Any) -> None:
    parts = key.replace("__", ".").split(".")
    key = shown(key, 2 * SHOWN_CHARACTERS, quoted=False)       # as echoed in errors
    if parts[0] == "events":
        if len(parts) < 3:
            raise InputError(f"{key}: use events.<id>.<field>, e.g. events.cs-wt2023.enabled")
        matches = [e for e in raw.get("events", []) if e.get("id") == parts[1]]
        if not matches:
            ids = ", ".join(e.get("id", "?") for e in raw.get("events", []))
            raise InputError(f"{key}: no event with id {shown(parts[1])}; events are: "
                             f"{ids or 'none'}")
        target, parts = matches[0], parts[2:]
    else:
        target = raw
    for part in parts[:-1]:
        if isinstance(target, list):
            nxt = target[_list_index(target, part, key)]
        else:
            nxt = target.get(part)
            if nxt is None:
                nxt = target[part] = {}
        if not isinstance(nxt, dict | list):
            raise InputError(f"{key}: {shown(part)} is a value, not a table")
        target = nxt
    if isinstance(target, list):
        target[_list_index(target, parts[-1], key)] = value
    else:
        target[parts[-1]] = value


def apply_override(raw: dict, key: str, value: Any) -> None:
    """Set the dotted ``key`` (``approaches.CS.q``, ``events.<id>.value``) in a raw mapping.

    The one way a dotted key is set: ``KEY=VALUE`` overrides, experiments and posterior draws
    all go through it; validate the mapping afterwards (:func:`validate`).
    """
    _apply_override(raw, key, value)


def _list_index(items: list, part: str, key: str) -> int:
    """The position ``part`` names in a list: one element can be set on its own.

    For example ``progression.years_per_stage.2=1.5``.
    """
    if not part.isdigit() or int(part) >= len(items):
        raise InputError(f"--set: {key}: {shown(part)} is not a position in this list of "
                         f"{len(items)}; use 0 to {len(items) - 1}")
    return int(part)


def raw_scenario(scenario: str | Path) -> dict:
    """The merged raw mapping of a preset or TOML file (defaults and ``extends`` resolved).

    Passing it to :func:`load_config` gives the same configuration as the name or path, without
    reading any file: it is how runs travel to other processes and machines.
    """
    path = _resolve(scenario)
    raw = copy.deepcopy(_chain(path))
    raw.setdefault("name", path.stem)
    return raw


def load_config(scenario: str | Path | Mapping = "historical",
                overrides: Mapping[str, Any] | Iterable[tuple[str, Any]] = ()) -> Config:
    """Load a preset name, a TOML path or a raw mapping, apply dotted overrides and validate."""
    if isinstance(scenario, Mapping):
        source = "<mapping>"
        raw = _merge(_chain(presets_dir() / "defaults.toml"), scenario)
    else:
        source = str(_resolve(scenario))
        raw = raw_scenario(scenario)
    items = list(overrides.items() if isinstance(overrides, Mapping) else overrides)
    for key, value in items:
        _apply_override(raw, key, value)
    return validate(raw, source, {key.replace("__", ".") for key, _ in items})


def validate(raw: Mapping, source: str = "<config>", overridden: set[str] = frozenset()) -> Config:
    """Validate a merged raw mapping, turning the first error into a one-line InputError.

    The message names the file, or ``--set`` when the offending key was an override.
    """
    try:
        return Config.model_validate(raw)
    except ValidationError as exc:
        key, message = describe_error(exc, Config, raw)
        from_override = any(o == key or o.startswith(f"{key}.") or key.startswith(f"{o}.")
                            or message.startswith(o) for o in overridden)
        raise InputError(f"{'--set' if from_override else source}: {message}") from None
