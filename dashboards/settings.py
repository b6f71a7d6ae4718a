"""Scenario settings: a preset plus the levers a policy audience changes, as model parameters.

Every lever is an ordinary, validated parameter of the model (``levers.*``, ``network.weights.*``,
``synergy.*``, ``mechanisms.synergy``), so what the page runs is exactly what
``innovate run PRESET --seed N --set KEY=VALUE ...`` runs; :meth:`Settings.command_line` prints
that command.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from sim.cache import ProcessCache
from sim.config import Config, load_config, parse_override, preset_names
from sim.errors import InputError
from sim.model import check_seed
from sim.vocabulary import APPROACHES, NATIONS, PRESET_WORDS

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
