"""The scenario panel: choose a preset and change the levers a policy audience cares about.

Every control says what it means in plain words and maps to one model parameter (shown in
small print, as ``innovate run --set`` would take it). A change is applied at once: the run starts
again from the beginning with the new settings, or a message says why the value cannot be used.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import solara

from dashboards.settings import TIE_HELP, TIES, Settings, preset_items
from dashboards.style import approach_label
from sim.config import describe_presets
from sim.vocabulary import APPROACH_NAMES, APPROACHES, NATIONS

HELP_STYLE = {"font-size": "12.5px", "color": "#55606b", "margin": "-6px 0 10px 0",
              "line-height": "1.3"}


def _help(text: str) -> None:
    solara.Text(text, style=HELP_STYLE)


@solara.component
def ScenarioPanel(settings: Settings, on_settings: Callable[[Settings], None],
                  on_seed_text: Callable[[str], None], seed_text: str):
    """Preset, levers, network ties, the triad and the seed; calls ``on_settings`` on change."""
    presets = dict(describe_presets())

    def change(**fields) -> None:
        on_settings(replace(settings, **fields))

    solara.Markdown("### Scenario")
    solara.v.Select(label="Starting point (preset)", items=preset_items(list(presets)),
                    v_model=settings.preset,
                    on_v_model=lambda name: on_settings(settings.with_preset(name)))
    _help(presets.get(settings.preset, ""))

    with solara.Details("Austerity: budgets", expand=True):
        solara.SliderFloat(
            label=f"Further budget cut: {settings.austerity_cut:.0%}",
            value=settings.austerity_cut, min=-0.5, max=0.9, step=0.05,
            on_value=lambda v: change(austerity_cut=v))
        _help("How much more every nation's early-intervention budget is cut, on top of the "
              "scenario's own path (negative: money restored). levers.austerity_cut")
        solara.SliderInt(
            label=f"Levers start in {settings.start:.0f}", value=int(settings.start),
            min=2011, max=2035, on_value=lambda v: change(start=float(v)))
        _help("The year from which the cut, workforce pressure and policy changes apply. "
              "levers.start")
        solara.SliderFloat(
            label=f"Cut phased in over {settings.austerity_years:g} years",
            value=settings.austerity_years, min=0.25, max=10.0, step=0.25,
            on_value=lambda v: change(austerity_years=v))
        _help("How many years the cut takes to bite in full; then it is held. "
              "levers.austerity_years")

    with solara.Details("Workforce", expand=True):
        solara.SliderFloat(
            label=f"Workforce pressure: x{settings.workforce_pressure:.2f}",
            value=settings.workforce_pressure, min=0.5, max=2.5, step=0.05,
            on_value=lambda v: change(workforce_pressure=v))
        _help("Social worker turnover, vacancies and agency use multiplied from the start "
              "year: 1 = as now, 1.5 = up by half, 0.75 = a quarter lower. "
              "levers.workforce_pressure")

    for approach in APPROACHES:
        with solara.Details(f"Policy support: {APPROACH_NAMES[approach]}"):
            _help(f"National policy backing for {approach} in each nation from the start "
                  "year, as a multiple of the scenario's own: 1 = unchanged, 0 = withdrawn, "
                  f"2 = twice as strong. levers.policy.{approach}.<nation>")
            for nation in NATIONS:
                value = settings.policy.get(approach, {}).get(nation, 1.0)
                solara.SliderFloat(
                    label=f"{nation}: x{value:.1f}", value=value, min=0.0, max=3.0, step=0.1,
                    on_value=lambda v, a=approach, n=nation: change(
                        policy={**settings.policy, a: {**settings.policy.get(a, {}), n: v}}))

    with solara.Details("Ties between authorities"):
        _help("How strongly authorities learn from each kind of tie (0 = not at all, "
              "1 = the model's default). network.weights.<tie>")
        for name, label in TIES.items():
            value = settings.ties.get(name, 1.0)
            solara.SliderFloat(label=f"{label}: {value:.1f}", value=value, min=0.0, max=3.0,
                               step=0.1, on_value=lambda v, k=name: change(
                                   ties={**settings.ties, k: v}))
            _help(TIE_HELP[name].capitalize() + ".")

    with solara.Details("The triad (TIP, CS and TS together)"):
        solara.Switch(label="Approaches help each other", value=settings.synergy,
                      on_value=lambda v: change(synergy=v))
        _help("Where TIP is integrated, CS and TS progress faster; where CS is, TIP gains a "
              "little. mechanisms.synergy")
        solara.SliderFloat(
            label=f"TIP speeds up CS and TS by {settings.tip_to_cs_ts:.0%}",
            value=settings.tip_to_cs_ts, min=0.0, max=1.0, step=0.05,
            disabled=not settings.synergy, on_value=lambda v: change(tip_to_cs_ts=v))
        solara.SliderFloat(
            label=f"CS speeds up TIP by {settings.cs_to_tip:.0%}", value=settings.cs_to_tip,
            min=0.0, max=1.0, step=0.05, disabled=not settings.synergy,
            on_value=lambda v: change(cs_to_tip=v))
        _help("synergy.tip_to_cs_ts, synergy.cs_to_tip")

    with solara.Details("Seed and more settings"):
        solara.InputText(label="Seed (a whole number)", value=seed_text,
                         on_value=on_seed_text, continuous_update=False)
        _help("Chance events (a new director, an inspection) are drawn from this seed: the "
              "same settings and seed always give the same run.")
        solara.InputTextArea(
            label="More settings: KEY=VALUE, one a line", value=settings.extra,
            on_value=lambda text: change(extra=text), rows=3, continuous_update=False)
        _help("Any model parameter, as in 'innovate run --set', e.g. approaches.CS.q=0.5 or "
              "events.covid.enabled=false ('innovate params' lists them).")
    solara.Markdown(f"<small>Approaches: {', '.join(approach_label(a) for a in APPROACHES)}."
                    "</small>")
