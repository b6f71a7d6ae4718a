"""The innovate-sim dashboard page: ``innovate dashboard``, or ``solara run dashboards.app``.

``Page`` opens the explorer, or Teach mode (:mod:`dashboards.teaching.teach`) when the address
names a lesson. ``Explore`` builds one :class:`dashboards.session.Session` (one model) per
browser session with ``solara.use_memo``, so two users never see each other's runs. The scenario
panel sits on the left; the run controls and six tabs (Map, Uptake, Journeys, Compare, Export,
About; :mod:`dashboards.tabs`) on the right. Every action is guarded: bad input shows a message
in the page and never breaks it.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import reacton.core
import solara

from dashboards.boundaries import ATTRIBUTION as MAP_ATTRIBUTION
from dashboards.session import Session
from dashboards.settings import Settings, parse_seed
from dashboards.style import date_label
from dashboards.tabs.compare import CompareTab
from dashboards.tabs.controls import ScenarioPanel
from dashboards.tabs.export import ExportTab
from dashboards.tabs.journeys import JourneysTab
from dashboards.tabs.map import MapTab
from dashboards.tabs.uptake import UptakeTab
from dashboards.teaching.lessons import curriculum, requested_lesson
from dashboards.teaching.teach import TeachMode
from sim.data import ATTRIBUTION
from sim.errors import InputError, shown
from sim.vocabulary import APPROACHES

logger = logging.getLogger(__name__)
PLAY_INTERVAL = 0.25        # seconds between steps while playing
TABS = ("Map", "Uptake", "Journeys", "Compare", "Export", "About")


def guarded(action: Callable[[], None], report: Callable[[tuple[str, str] | None], None],
            batch: Any = None) -> Callable[[], None]:
    """``action`` that reports bad input (and any other failure) as a message in the page.

    With ``batch`` (the page's render context) every change the action makes is drawn in one
    render pass at its end, not one pass per change.
    """
    def run() -> None:
        try:
            with batch if batch is not None else contextlib.nullcontext():
                action()
        except InputError as error:
            report(("error", str(error)))
        except Exception as error:  # the page must survive anything a user does
            logger.exception("dashboard action failed")
            report(("error", f"Something went wrong: {type(error).__name__}: "
                             f"{shown(str(error), 200, quoted=False)}"))
    return run


@solara.component
def RunBar(session: Session, version: solara.Reactive[int], playing: solara.Reactive[bool],
           on_step: Callable[[], None], on_run: Callable[[], None],
           on_reset: Callable[[], None], on_teach: Callable[[], None]):
    """Run, step, play or pause, reset; where the run is now; the way into Teach mode."""
    _ = version.value          # re-render after every change of the model
    end = date_label(float(session.times[-1]))
    with solara.Row(style={"align-items": "center", "flex-wrap": "wrap", "gap": "8px"}):
        solara.Button(f"Run to {end}", on_click=on_run, color="primary",
                      disabled=session.finished or playing.value, icon_name="mdi-fast-forward",
                      classes=["innovate-run"])
        solara.Button("Step", on_click=on_step, disabled=session.finished or playing.value,
                      icon_name="mdi-step-forward", outlined=True, classes=["innovate-step"])
        solara.Button("Pause" if playing.value else "Play",
                      on_click=lambda: playing.set(not playing.value),
                      disabled=session.finished and not playing.value,
                      icon_name="mdi-pause" if playing.value else "mdi-play", outlined=True,
                      classes=["innovate-play"])
        solara.Button("Reset", on_click=on_reset, icon_name="mdi-restart", outlined=True,
                      classes=["innovate-reset"])
        solara.Text(f"Now: {date_label(session.year)} (step {session.steps} of "
                    f"{session.total_steps})", classes=["innovate-now"],
                    style={"font-weight": "600", "margin-left": "12px"})
        solara.Button("Teach mode", on_click=on_teach, outlined=True, icon_name="mdi-school",
                      classes=["innovate-teach-open"], style={"margin-left": "auto"})
    counts = {measure: " · ".join(f"{a} {session.model.count(a, measure)}" for a in APPROACHES)
              for measure in ("engaged", "integrating")}
    solara.Text(f"Authorities engaged: {counts['engaged']}. Integrating: "
                f"{counts['integrating']} (of {session.size}).",
                style={"font-size": "13.5px", "color": "#37424d"})


@solara.component
def About():
    """What the page shows, in plain words, and the data attribution."""
    solara.Markdown(f"""
**What this is.** A simulation of how three approaches to extra-familial harm spread across the
UK's 212 children's social care authorities from 2010: **Contextual Safeguarding (CS)**,
**Trauma-Informed Practice (TIP)** and **Transitional Safeguarding (TS)**. It is a model, not
evidence: it turns assumptions into consequences you can inspect, compare and argue with.

**The journey.** For each approach, each authority moves through the six stages found by the
Innovate Project: *Mobilising*, *Designing*, *Developing*, *Integrating*, *Growing*, *Wider system
change*. It can pause, go back a stage or end at any point, and start again later.

**The five conditions** (each scored 0 = poor to 1 = good): a strong case with buy-in; workforce
capacity, skill and leadership; an achievable design; an open, reflexive culture; a benign macro
context (budgets and policy). Combined, they are the *readiness* that drives progress.

**Using the page.** Choose a starting point and change the levers on the left; the run starts
again from 2010. *Step* moves one quarter, *Play* keeps stepping, *Run* goes to the end.
Hover over the map for an authority's stage and conditions; click it to read its journey.
*Compare* runs two scenarios many times with different chance events and says how they differ.
Every table and chart can be downloaded from *Export*.

**Sources.** {ATTRIBUTION} {MAP_ATTRIBUTION} The stages and conditions come from the
Innovate Project (University of Sussex, ESRC ES/T00133X/1; Lefevre et al.); this model is not an
output of that project.
""")


@solara.component
def Page():
    """The dashboard: one model per browser session; ``?lesson=<id>`` opens Teach mode."""
    router = solara.use_router()
    wanted, authority, wrong = solara.use_memo(lambda: requested_lesson(router.search), [])
    lesson = solara.use_reactive(wanted or curriculum().lessons[0].id)
    teaching = solara.use_reactive(wanted is not None)
    if teaching.value:
        solara.Title("innovate-sim: Teach mode")
        TeachMode(lesson_id=lesson, on_leave=lambda: teaching.set(False),
                  start_authority=authority)
        return
    Explore(on_teach=lambda: teaching.set(True), notice=wrong)


@solara.component
def Explore(on_teach: Callable[[], None], notice: str | None = None):
    """The explorer: scenario panel, run controls and the six tabs."""
    session = solara.use_memo(Session, [])
    batch = reacton.core.get_render_context(required=False)
    version = solara.use_reactive(0)
    settings = solara.use_reactive(session.settings)
    seed_text = solara.use_reactive(str(session.settings.seed))
    message = solara.use_reactive(("error", notice) if notice else None)
    playing = solara.use_reactive(False)
    view_k = solara.use_reactive(None)
    approach = solara.use_reactive("CS")
    selected = solara.use_reactive("")
    tab = solara.use_reactive(0)

    def bump() -> None:
        version.set(version.value + 1)

    def apply(new: Settings) -> None:
        settings.set(new)
        playing.set(False)
        try:
            session.reset(new)
        except InputError as error:
            message.set(("error", f"Not applied: {error}"))
            return
        view_k.set(None)
        message.set(("info", f"Settings applied: the run starts again from "
                             f"{date_label(session.year)}."))
        bump()

    def set_seed(text: str) -> None:
        seed_text.set(text)
        try:
            seed = parse_seed(text)
        except InputError as error:
            message.set(("error", f"Not applied: {error}"))
            return
        apply(replace(settings.value, seed=seed))

    def step() -> None:
        session.step()
        view_k.set(None)
        bump()

    def run() -> None:
        session.run()
        view_k.set(None)
        bump()

    def reset() -> None:
        playing.set(False)
        session.reset()
        view_k.set(None)
        message.set(None)
        bump()

    def play_loop() -> None:
        while playing.value and not session.finished:
            started = time.perf_counter()
            with batch if batch is not None else contextlib.nullcontext():
                session.step()
                view_k.set(None)
                bump()
            time.sleep(max(0.0, PLAY_INTERVAL - (time.perf_counter() - started)))
        if playing.value:
            playing.set(False)

    solara.lab.use_task(play_loop, dependencies=[playing.value], prefer_threaded=True)

    def report(value) -> None:
        message.set(value)

    solara.Title("innovate-sim: how CS, TIP and TS spread")
    with solara.Row(style={"align-items": "flex-start", "gap": "20px", "flex-wrap": "nowrap"}):
        with solara.Column(style={"width": "340px", "min-width": "300px", "flex": "0 0 340px",
                                  "max-height": "calc(100vh - 40px)", "overflow-y": "auto",
                                  "padding": "0 6px 0 4px"},
                           classes=["innovate-scenario-panel"]):
            ScenarioPanel(settings=settings.value,
                          on_settings=lambda new: guarded(lambda: apply(new), report, batch)(),
                          on_seed_text=lambda text: guarded(lambda: set_seed(text), report,
                                                            batch)(),
                          seed_text=seed_text.value)
        with solara.Column(style={"flex": "1 1 auto", "min-width": "0"}):
            solara.Markdown("### How Contextual Safeguarding, Trauma-Informed Practice and "
                            "Transitional Safeguarding spread across the UK")
            RunBar(session=session, version=version, playing=playing,
                   on_step=guarded(step, report, batch), on_run=guarded(run, report, batch),
                   on_reset=guarded(reset, report, batch), on_teach=on_teach)
            if message.value is not None:
                kind, text = message.value
                if kind == "error":
                    solara.Error(text, classes=["innovate-message"])
                else:
                    solara.Info(text, classes=["innovate-message"])
            with solara.lab.Tabs(value=tab.value, on_value=tab.set, lazy=True):
                with solara.lab.Tab("Map"):
                    MapTab(session=session, version=version, approach=approach,
                           view_k=view_k, selected=selected,
                           on_open_journey=lambda: tab.set(TABS.index("Journeys")))
                with solara.lab.Tab("Uptake"):
                    UptakeTab(session=session, version=version)
                with solara.lab.Tab("Journeys"):
                    JourneysTab(session=session, version=version, selected=selected)
                with solara.lab.Tab("Compare"):
                    CompareTab(settings=session.settings)
                with solara.lab.Tab("Export"):
                    ExportTab(session=session, version=version, approach=approach)
                with solara.lab.Tab("About"):
                    About()
