"""The innovate-sim dashboard page: ``innovate dashboard``, or ``solara run dashboards.app``.

``Page`` opens the explorer, or Teach mode (:mod:`dashboards.teaching.teach`) when the address
names a lesson. ``Explore`` builds one :class:`dashboards.session.Session` (one model) per
browser session with ``solara.use_memo``, so two users never see each other's runs. The scenario
panel sits on the left; the run controls and seven tabs (Map, Uptake, Journeys, Compare, Where
to fund next, Export, About; :mod:`dashboards.tabs`) on the right. Every action is guarded: bad
input shows a message in the page and never breaks it.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any
from urllib.parse import parse_qsl, urlencode

import ipyvue
import reacton.core
import solara
import traitlets

from dashboards.boundaries import ATTRIBUTION as MAP_ATTRIBUTION
from dashboards.ensembles import COMPARE_KEYS
from dashboards.funding import FUND_KEYS
from dashboards.serve import add_status_route
from dashboards.session import Session, release_memory
from dashboards.settings import DEFAULT_PRESET, Settings, parse_seed, preset_label
from dashboards.style import date_label
from dashboards.tabs.compare import CompareTab
from dashboards.tabs.controls import ScenarioPanel
from dashboards.tabs.export import ExportTab
from dashboards.tabs.funding import FundingTab
from dashboards.tabs.journeys import JourneysTab
from dashboards.tabs.map import MapTab
from dashboards.tabs.page import PageBasics
from dashboards.tabs.uptake import UptakeTab
from dashboards.teaching.lessons import curriculum, requested_lesson
from dashboards.teaching.teach import TeachMode
from sim.data import ATTRIBUTION
from sim.errors import InputError, shown
from sim.vocabulary import APPROACHES, LINK_WORDS

logger = logging.getLogger(__name__)
add_status_route()          # /_innovate/status, when this module is served
# when a page's kernel closes, give the memory its session held back to the OS
solara.lab.on_kernel_start(lambda: release_memory)
PLAY_INTERVAL = 0.25        # seconds between steps while playing
TABS = ("Map", "Uptake", "Journeys", "Compare", "Where to fund next", "Export", "About")
# keys of the address that are not the page's settings: the tab, a lesson, a comparison's B,
# the choices of Where to fund next
PAGE_KEYS = ("lesson", "authority", *COMPARE_KEYS, *FUND_KEYS)


def tab_key(name: str) -> str:
    """A tab's name in the page address (``tab=fund`` for Where to fund next)."""
    return "fund" if name == "Where to fund next" else name.lower()


def scenario_from_address(search: str | None) -> tuple[Settings, int, str | None]:
    """The settings and tab a page address asks for, and a plain message if it cannot be used.

    ``?preset=...&seed=...&cut=0.2&tab=compare`` (:meth:`Settings.to_query` plus ``tab``). A bad
    value gives the calibrated history's own settings, the Map tab and a one-line message.
    """
    from urllib.parse import parse_qs

    try:
        settings = Settings.from_query(search, page_keys=PAGE_KEYS)
        names = parse_qs((search or "").lstrip("?")).get("tab", ["map"])
        wanted = names[-1].strip().lower()
        tabs = [tab_key(name) for name in TABS]
        if wanted not in tabs:
            raise InputError(f"tab: unknown tab {wanted!r}; choose one of: {', '.join(tabs)}")
    except InputError as error:
        return Settings.from_preset(DEFAULT_PRESET), 0, LINK_WORDS["bad"].format(
            reason=str(error), preset=preset_label(DEFAULT_PRESET))
    return settings, tabs.index(wanted), None


def address_query(settings: Settings, tab: int) -> str:
    """The query string that reopens ``settings`` on tab number ``tab``."""
    return f"{settings.to_query()}&tab={tab_key(TABS[tab])}"


class LinkTools(ipyvue.VueTemplate):
    """The page's link to its scenario, with a Copy button; and the connection notice.

    The link (``query`` after this page's address) is shown read-only, so it can be selected
    by hand too. Once per page, it also replaces Solara's "Server disconnected" overlay with a
    plain notice (:data:`sim.vocabulary.LINK_WORDS`): while the connection is lost, and when
    the server restarted and the page cannot carry on, with a Reload button.
    """

    query = traitlets.Unicode("").tag(sync=True)
    words = traitlets.Dict({}).tag(sync=True)
    template = traitlets.Unicode(r"""
<template>
  <div class="innovate-link" style="display:flex;align-items:center;gap:8px;flex-wrap:wrap;
       width:100%;margin-top:4px">
    <label :for="'innovate-link-' + _uid" style="font-size:13.5px;color:#37424d">
      {{ words.field }}</label>
    <input :id="'innovate-link-' + _uid" ref="field" class="innovate-link-field" readonly
           :value="url" @focus="$event.target.select()"
           style="flex:1 1 260px;min-width:0;font-size:13px;padding:4px 6px;
                  border:1px solid #6b7580;border-radius:4px;color:#1f2a33;background:#fff"/>
    <button type="button" class="innovate-copy-link v-btn v-btn--outlined theme--light
            v-size--default primary--text" @click="copy" style="padding:0 12px">
      {{ words.copy }}</button>
    <span class="innovate-link-copied" role="status" style="font-size:13px;color:#1f5130">
      {{ copied ? words.copied : '' }}</span>
  </div>
</template>
<script>
module.exports = {
  data() { return { copied: false, here: window.location.origin + window.location.pathname }; },
  computed: {
    url() { return this.here + '?' + this.query; },
  },
  watch: { query() { this.copied = false; } },
  methods: {
    async copy() {
      const field = this.$refs.field;
      try {
        await navigator.clipboard.writeText(this.url);
      } catch (e) {
        field.focus(); field.select(); document.execCommand('copy');
      }
      this.copied = true;
    },
  },
  mounted() {
    const words = this.words;
    if (window.innovateConnectionNotice || !window.app || !window.app.$watch) { return; }
    window.innovateConnectionNotice = true;
    const root = window.app;
    const css = document.createElement('style');
    css.textContent = 'body.innovate-offline .v-overlay--active,' +
      'body.innovate-offline .v-dialog__content--active,' +
      'body.innovate-offline .v-application--wrap > .v-alert {display:none !important}' +
      '.innovate-connection {position:fixed;top:16px;left:50%;transform:translateX(-50%);' +
      'z-index:200000;max-width:36em;background:#fff;color:#1f2a33;border:2px solid #8a4b00;' +
      'border-radius:6px;padding:12px 16px;font:16px/1.4 Roboto,sans-serif;' +
      'box-shadow:0 2px 12px #0004}' +
      '.innovate-connection button {margin-left:12px;padding:4px 12px;border:1px solid #1f2a33;' +
      'border-radius:4px;background:#fff;color:#1f2a33;font-size:15px}';
    document.head.appendChild(css);
    const box = document.createElement('div');
    box.className = 'innovate-connection';
    box.setAttribute('role', 'alert');
    box.hidden = true;
    const text = document.createElement('span');
    const reload = document.createElement('button');
    reload.type = 'button';
    reload.textContent = words.reload;
    reload.addEventListener('click', () => window.location.reload());
    box.appendChild(text);
    box.appendChild(reload);
    document.body.appendChild(box);
    const update = () => {
      const lost = root.wasConnected && root.connectionStatus !== 'connected';
      const restarted = root.needsRefresh || root.cancelAutoRefresh;
      box.hidden = !(lost || restarted);
      text.textContent = restarted ? words.restarted : (lost ? words.lost : '');
      reload.hidden = !restarted && !lost;
      document.body.classList.toggle('innovate-offline', lost || restarted);
    };
    ['connectionStatus', 'needsRefresh', 'cancelAutoRefresh', 'wasConnected'].forEach(
      (name) => root.$watch(name, update));
    update();
  },
};
</script>
""").tag(sync=True)


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
           on_reset: Callable[[], None], on_teach: Callable[[], None], query: str = ""):
    """Run, step, play or pause, reset; where the run is now; the way into Teach mode.

    ``query`` is the scenario's part of the page address: the bar shows the link and a
    "Copy link" button.
    """
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
        LinkTools.element(query=query, words=LINK_WORDS)
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
*Where to fund next* compares ways of choosing which authorities a programme should fund first.
Every table and chart can be downloaded from *Export*.
Accessibility: the page aims at WCAG 2.1 AA; what is tested and its known limits are in
docs/accessibility.md in the project's repository, which also says how to report a problem.

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
    start, start_tab, bad_link = solara.use_memo(
        lambda: scenario_from_address(router.search), [])
    PageBasics()                    # lang, zoom, focus, reflow (docs/accessibility.md)
    if teaching.value:
        solara.Title("innovate-sim: Teach mode")
        TeachMode(lesson_id=lesson, on_leave=lambda: teaching.set(False),
                  start_authority=authority)
        return
    Explore(on_teach=lambda: teaching.set(True), notice=wrong or bad_link, start=start,
            start_tab=start_tab)


@solara.component
def Explore(on_teach: Callable[[], None], notice: str | None = None,
            start: Settings | None = None, start_tab: int = 0):
    """The explorer: scenario panel, run controls and the seven tabs.

    It opens on ``start`` (default: the calibrated history) and tab number ``start_tab``, and
    keeps the page address in step with the applied settings and the open tab
    (:func:`address_query`), so a reload or a copied link reopens the same scenario.
    """
    session = solara.use_memo(lambda: Session(start), [])
    router = solara.use_router()
    batch = reacton.core.get_render_context(required=False)
    version = solara.use_reactive(0)
    settings = solara.use_reactive(session.settings)
    seed_text = solara.use_reactive(str(session.settings.seed))
    message = solara.use_reactive(("error", notice) if notice else None)
    playing = solara.use_reactive(False)
    view_k = solara.use_reactive(None)
    approach = solara.use_reactive("CS")
    selected = solara.use_reactive("")
    tab = solara.use_reactive(start_tab)
    query = address_query(session.settings, tab.value)

    def keep_address() -> None:
        if getattr(router, "set_path", None) is None:      # no page address (a test kernel)
            return
        # a comparison's or a funding choice's keys stay in the address until their tab reads
        # them
        kept = [(k, v) for k, v in parse_qsl((router.search or "").lstrip("?"))
                if k in (*COMPARE_KEYS, *FUND_KEYS) and k != "tab"]
        full = query + ("&" + urlencode(kept) if kept else "")
        if (router.search or "").lstrip("?") != full:
            router.push(f"{router.path}?{full}")

    solara.use_effect(keep_address, [query])

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
            solara.Markdown("# How Contextual Safeguarding, Trauma-Informed Practice and "
                            "Transitional Safeguarding spread across the UK")
            RunBar(session=session, version=version, playing=playing,
                   on_step=guarded(step, report, batch), on_run=guarded(run, report, batch),
                   on_reset=guarded(reset, report, batch), on_teach=on_teach, query=query)
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
                with solara.lab.Tab("Where to fund next"):
                    FundingTab(settings=session.settings)
                with solara.lab.Tab("Export"):
                    ExportTab(session=session, version=version, approach=approach)
                with solara.lab.Tab("About"):
                    About()
