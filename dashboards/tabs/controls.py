"""The scenario panel: choose a preset and change the levers a policy audience cares about.

Every control says what it means in plain words. Each lever is a slider whose label sits above
a full-width track (so the track does not move as the label changes), with a box beside it to
type the number instead. The model parameter behind each lever, the ``innovate run`` command
and the box for any other parameter sit behind the "Advanced" disclosure at the bottom. A
change is applied at once: the run starts again from the beginning with the new settings, or a
message says why the value cannot be used.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace

import solara

from dashboards.settings import TIE_HELP, TIES, Settings, preset_items, preset_label
from dashboards.style import approach_label
from sim.config import describe_presets
from sim.errors import InputError
from sim.vocabulary import APPROACH_NAMES, APPROACHES, NATIONS

HELP_STYLE = {"font-size": "12.5px", "color": "#55606b", "margin": "-2px 0 10px 0",
              "line-height": "1.3"}
MESSAGE_STYLE = {"font-size": "12.5px", "color": "#b00020", "margin": "0 0 6px 0",
                 "line-height": "1.3"}
FIELD_WIDTH = "92px"            # the typed-number box beside each slider
# The slider's label above its track, the track as wide as the panel allows.
LEVER_CSS = """
.innovate-lever .v-input__slot { flex-wrap: wrap; }
.innovate-lever .v-input__slot > .v-label { flex: 0 0 100%; max-width: 100%; height: auto;
  margin: 0 0 2px 0; white-space: normal; line-height: 1.3; }
.innovate-lever .v-input__slot > .v-slider { flex: 1 1 100%; min-width: 0; }
"""
# Where each lever lives in the model: shown only under "Advanced".
LEVER_KEYS: dict[str, str] = {
    "Budget cut": "levers.austerity_cut",
    "Levers start in": "levers.start",
    "Cut phased in over": "levers.austerity_years",
    "Workforce pressure": "levers.workforce_pressure",
    "Policy support": "levers.policy.<approach>.<nation>",
    "Ties between authorities": "network.weights.<tie>",
    "Approaches help each other": "mechanisms.synergy",
    "TIP speeds up CS and TS": "synergy.tip_to_cs_ts",
    "CS speeds up TIP": "synergy.cs_to_tip",
}
MAX_SEED = 2**63 - 1


def _help(text: str) -> None:
    solara.Text(text, style=HELP_STYLE)


def sentence(text: str) -> str:
    """``text`` with its first letter capitalised and the rest left alone ('DfE' stays)."""
    return text[:1].upper() + text[1:]


def _number(value: float) -> str:
    """A number as the typed box shows it: no trailing zeros (20, 0.25, -5)."""
    text = f"{value:.4f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def parse_typed(text: str, low: float, high: float, step: float, scale: float = 1.0) -> float:
    """A number typed beside a slider, as the slider's value; ValueError with a plain message.

    ``low``, ``high`` and ``step`` are the slider's (model units); ``scale`` turns them into
    the units shown (100 for a percentage). A '%' or 'x' typed after the number is allowed; the
    value is moved to the slider's nearest step.
    """
    shown = f"{_number(low * scale)} to {_number(high * scale)}"
    cleaned = str(text).strip().rstrip("%xX×").strip().replace(",", ".")
    try:
        number = float(cleaned)
    except ValueError:
        raise ValueError(f"'{str(text).strip()}' is not a number: type a number from {shown}. "
                         "The setting is unchanged.") from None
    if not math.isfinite(number):
        raise ValueError(f"Type a number from {shown}. The setting is unchanged.")
    value = number / scale
    if value < low - 1e-9 or value > high + 1e-9:
        raise ValueError(f"{_number(number)} is outside the range: type a number from {shown}. "
                         "The setting is unchanged.")
    snapped = low + round((value - low) / step) * step
    return round(min(max(snapped, low), high), 6)


@solara.component
def Lever(label: str, value: float, low: float, high: float, step: float,
          on_value: Callable[[float], None], field: str, scale: float = 1.0,
          whole: bool = False, disabled: bool = False):
    """A slider (label above a full-width track) with a box beside it to type the number.

    Args:
        label: the slider's label, with its value in words.
        value: the slider's value (model units).
        low: the slider's lowest value.
        high: the slider's highest value.
        step: the slider's step.
        on_value: called with a new value (model units).
        field: the typed box's label, with its unit ('Cut (%)').
        scale: model units to the units shown and typed (100 for a percentage).
        whole: a whole-number slider.
        disabled: greyed out.
    """
    typed = solara.use_reactive(None)
    message = solara.use_reactive(None)

    def slid(new: float) -> None:
        typed.set(None)
        message.set(None)
        on_value(int(new) if whole else new)

    def entered(text: str | None) -> None:
        try:
            new = parse_typed(text or "", low, high, step, scale)
        except ValueError as error:
            typed.set(text)
            message.set(str(error))
            return
        typed.set(None)
        message.set(None)
        on_value(int(round(new)) if whole else new)

    with solara.Column(gap="0px", classes=["innovate-lever"]):
        with solara.Row(gap="10px", style={"align-items": "center"}):
            with solara.Column(gap="0px", style={"flex": "1 1 auto", "min-width": "0"}):
                if whole:
                    solara.SliderInt(label=label, value=int(value), min=int(low),
                                     max=int(high), step=int(step), on_value=slid,
                                     disabled=disabled)
                else:
                    solara.SliderFloat(label=label, value=value, min=low, max=high, step=step,
                                       on_value=slid, disabled=disabled)
            solara.InputText(label=field, value=typed.value if typed.value is not None
                             else _number(value * scale), on_value=entered,
                             continuous_update=False, disabled=disabled, dense=True,
                             error=bool(message.value), hide_details=True,
                             classes=["innovate-lever-number"],
                             style={"flex": f"0 0 {FIELD_WIDTH}", "max-width": FIELD_WIDTH})
        if message.value:
            solara.Text(message.value, style=MESSAGE_STYLE, classes=["innovate-lever-message"])


def seed_message(text: str) -> str | None:
    """Why a typed seed cannot be used, in plain words (None if it can)."""
    try:
        seed = int(str(text).strip())
    except ValueError:
        return (f"'{str(text).strip()}' is not a seed: type a whole number such as 0, 1 or "
                "42. The run is unchanged.")
    if not 0 <= seed <= MAX_SEED:
        return "Type a whole number from 0 up (at most 19 digits). The run is unchanged."
    return None


@solara.component
def ScenarioPanel(settings: Settings, on_settings: Callable[[Settings], None],
                  on_seed_text: Callable[[str], None], seed_text: str):
    """Preset, levers, network ties, the triad and the seed; calls ``on_settings`` on change."""
    presets = dict(describe_presets())
    seed_error = solara.use_reactive(None)

    def change(**fields) -> None:
        on_settings(replace(settings, **fields))

    def seed_typed(text: str) -> None:
        seed_error.set(seed_message(text))
        if seed_error.value is None:
            on_seed_text(text)

    solara.Style(LEVER_CSS)
    solara.Markdown("### Scenario")
    solara.v.Select(label="Starting point (preset)", items=preset_items(list(presets)),
                    v_model=settings.preset,
                    on_v_model=lambda name: on_settings(settings.with_preset(name)))
    _help(presets.get(settings.preset, ""))

    own = Settings.from_preset(settings.preset).austerity_cut
    with solara.Details("Austerity: budgets", expand=True):
        Lever(label=f"Budget cut from the start year: {settings.austerity_cut:.0%}",
              value=settings.austerity_cut, low=-0.5, high=0.9, step=0.05,
              on_value=lambda v: change(austerity_cut=v), field="Cut (%)", scale=100)
        _help(budget_help(preset_label(settings.preset), own))
        Lever(label=f"Levers start in {settings.start:.0f}", value=settings.start,
              low=2011, high=2035, step=1, whole=True,
              on_value=lambda v: change(start=float(v)), field="Year")
        _help("The year from which the budget cut, workforce pressure and policy changes "
              "apply.")
        Lever(label=f"Cut phased in over {settings.austerity_years:g} years",
              value=settings.austerity_years, low=0.25, high=10.0, step=0.25,
              on_value=lambda v: change(austerity_years=v), field="Years")
        _help("How many years the cut takes to bite in full; then it is held.")

    with solara.Details("Workforce", expand=True):
        Lever(label=f"Workforce pressure: x{settings.workforce_pressure:.2f}",
              value=settings.workforce_pressure, low=0.5, high=2.5, step=0.05,
              on_value=lambda v: change(workforce_pressure=v), field="Times (x)")
        _help("Social worker turnover, vacancies and agency use multiplied from the start "
              "year: 1 = as now, 1.5 = up by half, 0.75 = a quarter lower.")

    for approach in APPROACHES:
        with solara.Details(f"Policy support: {APPROACH_NAMES[approach]}"):
            _help(f"National policy backing for {APPROACH_NAMES[approach]} in each nation from "
                  "the start year, as a multiple of the starting point's own: 1 = unchanged, "
                  "0 = withdrawn, 2 = twice as strong.")
            for nation in NATIONS:
                value = settings.policy.get(approach, {}).get(nation, 1.0)
                Lever(label=f"{nation}: x{value:.1f}", value=value, low=0.0, high=3.0,
                      step=0.1, field="Times (x)",
                      on_value=lambda v, a=approach, n=nation: change(
                          policy={**settings.policy, a: {**settings.policy.get(a, {}), n: v}}))

    with solara.Details("Ties between authorities"):
        _help("How strongly authorities learn from each kind of tie (0 = not at all, "
              "1 = the model's usual strength).")
        for name, label in TIES.items():
            value = settings.ties.get(name, 1.0)
            Lever(label=f"{label}: {value:.1f}", value=value, low=0.0, high=3.0, step=0.1,
                  field="Strength", on_value=lambda v, k=name: change(
                      ties={**settings.ties, k: v}))
            _help(sentence(TIE_HELP[name]) + ".")

    with solara.Details("The triad (TIP, CS and TS together)"):
        solara.Switch(label="Approaches help each other", value=settings.synergy,
                      on_value=lambda v: change(synergy=v))
        _help("Where Trauma-Informed Practice is integrated, Contextual Safeguarding and "
              "Transitional Safeguarding progress faster; where Contextual Safeguarding is, "
              "Trauma-Informed Practice gains a little.")
        Lever(label=f"TIP speeds up CS and TS by {settings.tip_to_cs_ts:.0%}",
              value=settings.tip_to_cs_ts, low=0.0, high=1.0, step=0.05, scale=100,
              field="Speed-up (%)", disabled=not settings.synergy,
              on_value=lambda v: change(tip_to_cs_ts=v))
        Lever(label=f"CS speeds up TIP by {settings.cs_to_tip:.0%}", value=settings.cs_to_tip,
              low=0.0, high=1.0, step=0.05, scale=100, field="Speed-up (%)",
              disabled=not settings.synergy, on_value=lambda v: change(cs_to_tip=v))

    with solara.Details("Seed"):
        solara.InputText(label="Seed (a whole number)", value=seed_text,
                         on_value=seed_typed, continuous_update=False,
                         error=bool(seed_error.value))
        if seed_error.value:
            solara.Error(seed_error.value, dense=True)
        _help("Chance events (a new director, an inspection) are drawn from this seed: the "
              "same settings and seed always give the same run.")

    with solara.Details("Advanced: model parameters and the command line"):
        AdvancedSettings(settings=settings, on_extra=lambda text: change(extra=text))
    solara.Markdown(f"<small>Approaches: {', '.join(approach_label(a) for a in APPROACHES)}."
                    "</small>")


def budget_help(preset: str, own: float) -> str:
    """What the budget-cut slider does, relative to what, for the chosen starting point."""
    if abs(own) < 1e-9:
        starts = f"'{preset}' makes no cut of its own, so the slider starts at 0%."
    elif own > 0:
        starts = (f"'{preset}' itself cuts budgets by {own:.0%}, so the slider starts there: "
                  f"moving it to {own + 0.1:.0%} makes the whole cut {own + 0.1:.0%}, not "
                  f"{own:.0%} plus {own + 0.1:.0%}.")
    else:
        starts = (f"'{preset}' itself restores {-own:.0%} of budgets, so the slider starts at "
                  f"{own:.0%}.")
    return ("How much lower every nation's early-intervention budget is, from the start year "
            "on, than the recorded budgets. The slider shows the whole cut, including any cut "
            f"the starting point makes: {starts} Below 0%: money put back.")


@solara.component
def AdvancedSettings(settings: Settings, on_extra: Callable[[str], None]):
    """The model parameters behind the levers, the command line and any other parameter."""
    rows = "\n".join(f"| {lever} | `{key}` |" for lever, key in LEVER_KEYS.items())
    solara.Markdown("For modellers: the parameter behind each lever.\n\n"
                    "| Lever | Model parameter |\n|---|---|\n" + rows)
    try:
        command = settings.command_line()
    except InputError as error:
        command = f"(cannot be built: {error})"
    solara.Markdown("Run exactly this scenario from the command line:\n\n"
                    f"```\n{command}\n```")
    solara.InputTextArea(
        label="More settings: KEY=VALUE, one a line", value=settings.extra,
        on_value=on_extra, rows=3, continuous_update=False)
    _help("Any model parameter, as 'innovate run --set' takes it, e.g. approaches.CS.q=0.5 or "
          "events.covid.enabled=false ('innovate params' lists them).")
