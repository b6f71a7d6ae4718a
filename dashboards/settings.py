"""Scenario settings: a preset plus the levers a policy audience changes, as model parameters.

Every lever is an ordinary, validated parameter of the model (``levers.*``, ``network.weights.*``,
``synergy.*``, ``mechanisms.synergy``), so what the page runs is exactly what
``innovate run PRESET --seed N --set KEY=VALUE ...`` runs; :meth:`Settings.command_line` prints
that command.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import parse_qsl, urlencode

from sim.cache import ProcessCache
from sim.config import Config, load_config, parse_override, preset_names
from sim.errors import InputError, shown
from sim.model import check_seed
from sim.vocabulary import APPROACHES, LINK_WORDS, NATIONS, PRESET_WORDS

TIES: dict[str, str] = {
    "border": "Shared borders",
    "statistical_neighbours": "DfE statistical neighbours (England)",
    "region": "Regional improvement alliances",
    "learning": "Learning networks",
}
TIE_HELP: dict[str, str] = {
    "border": "how much an authority learns from the authorities it borders",
    "statistical_neighbours": "how much an English authority watches its ten DfE statistical "
                              "neighbours",
    "region": "how much authorities in one region learn from each other once the regional "
              "alliances exist (from 2019)",
    "learning": "how much an approach's learning network (e.g. the CS Network from 2016) spreads "
                "it",
}
Changes = dict[str, float | int | bool | str]       # dotted model parameter -> value
DEFAULT_PRESET = "historical-calibrated"            # what a new page and Compare start from
_PRESETS = ProcessCache(16)
# The names of the levers in a page's address (``?preset=...&seed=...&cut=0.2``), each a model
# parameter; ``set`` (repeated) carries the extra KEY=VALUE lines.
QUERY_LEVERS: dict[str, str] = {
    "start": "levers.start", "cut": "levers.austerity_cut",
    "cut_years": "levers.austerity_years", "workforce": "levers.workforce_pressure",
    "synergy": "mechanisms.synergy", "tip_boost": "synergy.tip_to_cs_ts",
    "cs_boost": "synergy.cs_to_tip",
    **{f"policy.{a}.{n.replace(' ', '_')}": f"levers.policy.{a}.{n}"
       for a in APPROACHES for n in NATIONS},
    **{f"ties.{name}": f"network.weights.{name}" for name in TIES},
}


def preset_config(preset: str) -> Config:
    """The validated configuration of a preset (kept: presets do not change while serving)."""
    return _PRESETS.get(preset, lambda: load_config(preset))


def preset_label(preset: str) -> str:
    """A preset as the page's menus name it: plain words, or its name if it has none."""
    return PRESET_WORDS.get(preset, preset)


def preset_items(presets: list[str]) -> list[dict[str, str]]:
    """Menu items of presets (the calibrated history first): plain words shown, name chosen."""
    ordered = sorted(presets, key=lambda name: (name != DEFAULT_PRESET, name))
    return [{"text": preset_label(name), "value": name} for name in ordered]


@dataclass(frozen=True)
class Settings:
    """What one run of the page uses: a preset, a seed, the levers and any extra parameters.

    Attributes:
        preset: a preset name (``innovate scenarios``).
        seed: the run's seed; the same settings and seed give the same run.
        start: year from which the levers apply (``levers.start``).
        austerity_cut: further cut of every nation's budget, 0-0.9 (``levers.austerity_cut``;
            negative values restore budgets).
        austerity_years: years over which the cut is phased in (``levers.austerity_years``).
        workforce_pressure: multiplier of turnover, vacancy and agency rates
            (``levers.workforce_pressure``).
        policy: policy support multipliers, ``policy[approach][nation]``
            (``levers.policy.<approach>.<nation>``).
        ties: weight of each tie layer (``network.weights.*``).
        synergy: whether the TIP-CS-TS triad helps progress (``mechanisms.synergy``).
        tip_to_cs_ts: extra progression of CS and TS where TIP is integrated.
        cs_to_tip: extra progression of TIP where CS is integrated.
        extra: more ``KEY=VALUE`` settings, one a line, applied last.
    """

    preset: str = DEFAULT_PRESET
    seed: int = 0
    start: float = 2026.0
    austerity_cut: float = 0.0
    austerity_years: float = 2.0
    workforce_pressure: float = 1.0
    policy: dict[str, dict[str, float]] = field(default_factory=dict)
    ties: dict[str, float] = field(default_factory=dict)
    synergy: bool = True
    tip_to_cs_ts: float = 0.25
    cs_to_tip: float = 0.10
    extra: str = ""

    @classmethod
    def from_preset(cls, preset: str = DEFAULT_PRESET, seed: int = 0) -> Settings:
        """The settings a preset itself uses (every lever at the preset's value)."""
        config = preset_config(preset)
        levers = config.levers
        return cls(
            preset=preset, seed=seed, start=levers.start, austerity_cut=levers.austerity_cut,
            austerity_years=levers.austerity_years,
            workforce_pressure=levers.workforce_pressure,
            policy={a: {n: levers.policy_multiplier(a, n) for n in NATIONS} for a in APPROACHES},
            ties={name: getattr(config.network.weights, name) for name in TIES},
            synergy=config.mechanisms.synergy, tip_to_cs_ts=config.synergy.tip_to_cs_ts,
            cs_to_tip=config.synergy.cs_to_tip)

    def with_preset(self, preset: str) -> Settings:
        """The chosen preset's own settings, keeping this seed (levers follow the preset)."""
        return replace(Settings.from_preset(preset, self.seed), extra=self.extra)

    def with_changes(self, changes: Changes) -> Settings:
        """These settings with ``changes`` (dotted model parameters) applied after the rest."""
        lines = [f"{key}={_text(value)}" for key, value in changes.items()]
        return replace(self, extra="\n".join(line for line in [self.extra, *lines] if line))

    def values(self) -> dict[str, Any]:
        """Every lever as ``dotted.key -> value``."""
        out: dict[str, Any] = {
            "levers.start": self.start, "levers.austerity_cut": self.austerity_cut,
            "levers.austerity_years": self.austerity_years,
            "levers.workforce_pressure": self.workforce_pressure,
            "mechanisms.synergy": self.synergy, "synergy.tip_to_cs_ts": self.tip_to_cs_ts,
            "synergy.cs_to_tip": self.cs_to_tip,
        }
        for approach, by_nation in self.policy.items():
            for nation, value in by_nation.items():
                out[f"levers.policy.{approach}.{nation}"] = value
        for name, value in self.ties.items():
            out[f"network.weights.{name}"] = value
        return {k: _clean(v) for k, v in out.items()}

    def extra_overrides(self) -> list[tuple[str, Any]]:
        """The ``KEY=VALUE`` lines of :attr:`extra` (blank lines and ``#`` comments skipped)."""
        items = []
        for line in self.extra.splitlines():
            line = line.strip()
            if line and not line.startswith("#"):
                items.append(parse_override(line))
        return items

    def overrides(self) -> list[tuple[str, Any]]:
        """The parameters that differ from the preset, then the extra lines."""
        if self.preset not in preset_names():
            raise InputError(f"unknown scenario {self.preset!r}; choose one of: "
                             f"{', '.join(preset_names())}")
        base = Settings.from_preset(self.preset).values()
        changed = [(k, v) for k, v in self.values().items() if base.get(k) != v]
        return changed + self.extra_overrides()

    def config(self) -> Config:
        """The validated configuration (raises :class:`sim.errors.InputError` if invalid)."""
        check_seed(self.seed)
        return load_config(self.preset, self.overrides())

    def to_query(self) -> str:
        """These settings as a page address's query string (without ``?``).

        The preset and seed always; then each lever that differs from the preset's own value
        (:data:`QUERY_LEVERS` names); then the extra lines as ``set=KEY=VALUE``.
        :meth:`from_query` reads it back to equal settings.
        """
        base = Settings.from_preset(self.preset).values() if self.preset in preset_names() \
            else {}
        values = self.values()
        pairs = [("preset", self.preset), ("seed", str(self.seed))]
        for name, key in QUERY_LEVERS.items():
            if key in values and base.get(key) != values[key]:
                pairs.append((name, _query_text(values[key])))
        pairs += [("set", line.strip()) for line in self.extra.splitlines() if line.strip()]
        return urlencode(pairs)

    @classmethod
    def from_query(cls, text: str | None, page_keys: tuple[str, ...] = ()) -> Settings:
        """Settings from a query string written by :meth:`to_query` (strict).

        Keys in ``page_keys`` (the page's own, e.g. ``tab``) are skipped. Raises
        :class:`sim.errors.InputError` with one plain line for an unknown key, a repeated key,
        a value that is not a number (or true/false), or settings the model refuses.
        """
        pairs = parse_qsl((text or "").lstrip("?"), keep_blank_values=True)
        known = {"preset", "seed", "set", *QUERY_LEVERS}
        unknown = sorted({k for k, _ in pairs if k not in known and k not in page_keys})
        if unknown:
            raise InputError(LINK_WORDS["unknown"].format(keys=", ".join(map(repr, unknown))))
        given: dict[str, str] = {}
        for key, value in pairs:
            if key in given and key != "set":
                raise InputError(LINK_WORDS["twice"].format(key=key))
            given.setdefault(key, value)
        preset = given.get("preset", DEFAULT_PRESET)
        if preset not in preset_names():
            raise InputError(f"unknown scenario {shown_name(preset)}; choose one of: "
                             f"{', '.join(preset_names())}")
        settings = cls.from_preset(preset, parse_seed(given.get("seed", "0")))
        changes: dict[str, Any] = {}
        for name, key in QUERY_LEVERS.items():
            if name in given:
                changes[key] = _query_value(name, given[name])
        settings = settings._with_values(changes)
        extra = "\n".join(v.strip() for k, v in pairs if k == "set" and v.strip())
        settings = replace(settings, extra=extra)
        settings.config()                    # the model's own checks, e.g. a cut above 90%
        return settings

    def _with_values(self, changes: dict[str, Any]) -> Settings:
        """These settings with levers given as ``dotted.key -> value`` (:meth:`values` keys)."""
        fields = {"levers.start": "start", "levers.austerity_cut": "austerity_cut",
                  "levers.austerity_years": "austerity_years",
                  "levers.workforce_pressure": "workforce_pressure",
                  "mechanisms.synergy": "synergy", "synergy.tip_to_cs_ts": "tip_to_cs_ts",
                  "synergy.cs_to_tip": "cs_to_tip"}
        policy = {a: dict(by_nation) for a, by_nation in self.policy.items()}
        ties = dict(self.ties)
        simple: dict[str, Any] = {}
        for key, value in changes.items():
            if key in fields:
                simple[fields[key]] = value
            elif key.startswith("levers.policy."):
                approach, nation = key.split(".", 3)[2:]
                policy.setdefault(approach, {})[nation] = value
            else:
                ties[key.rsplit(".", 1)[1]] = value
        return replace(self, policy=policy, ties=ties, **simple)

    def command_line(self) -> str:
        """The ``innovate run`` command that runs exactly these settings."""
        parts = ["innovate", "run", self.preset, "--seed", str(self.seed)]
        for key, value in self.overrides():
            text = _text(value)
            parts += ["--set", f"'{key}={text}'" if " " in key else f"{key}={text}"]
        return " ".join(parts)


def _text(value: Any) -> str:
    """A value as ``--set`` takes it (true and false in lower case)."""
    return str(value).lower() if isinstance(value, bool) else str(value)


def _query_text(value: Any) -> str:
    """A lever's value as a link writes it: true/false, 0.2, 2026 (no trailing .0)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = repr(value)
    return text[:-2] if text.endswith(".0") else text


def _query_value(name: str, text: str) -> float | bool:
    """A lever's value read from a link (strict: a number, or true/false for ``synergy``)."""
    if QUERY_LEVERS[name] == "mechanisms.synergy":
        if text.strip().lower() not in ("true", "false"):
            raise InputError(LINK_WORDS["switch"].format(key=name, value=shown_name(text)))
        return text.strip().lower() == "true"
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise InputError(LINK_WORDS["number"].format(key=name, value=shown_name(text)))
    return _clean(value)


def shown_name(text: str) -> str:
    """Something a user typed or a link carried, quoted and cut short for a message."""
    return shown(text, 40)


def _clean(value: Any) -> Any:
    """Round slider floats (0.30000000000000004 -> 0.3) so unchanged values compare equal."""
    if isinstance(value, float):
        return round(value, 6)
    return value


def parse_seed(text: str) -> int:
    """A seed typed into the page: a whole number from 0 to 2**63-1, else InputError."""
    try:
        value = int(str(text).strip())
    except ValueError:
        raise InputError(f"seed: must be a whole number from 0 to 2**63-1 (got {text!r})") \
            from None
    return check_seed(value)


def extra_lines(text: str) -> str:
    """Settings typed on one line, ``KEY=VALUE; KEY=VALUE``, as one a line (for ``extra``)."""
    return "\n".join(part.strip() for part in text.split(";"))
