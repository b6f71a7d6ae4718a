"""One-page printable handouts, one per lesson, generated from the lesson's own run.

A handout is a self-contained HTML page (inline CSS, charts as base64 PNG from
:mod:`dashboards.figures`, no external assets) sized for one A4 sheet. Its content follows the
lesson's steps (``lessons.toml``): the six stages and the authority's story, the five
conditions and a blank Diamond 9, the spread across a region, the effect of a change over
paired runs, and what the model can and cannot say. ``write_handouts`` writes the HTML and,
with ``pdf=True``, prints each page to PDF in Debian's chromium through Playwright.

``innovate handout [LESSON ...] [--out DIR] [--pdf]`` calls ``write_handouts``; ``python -m
dashboards.teaching.handout`` refreshes the shipped copies in ``docs/teaching/``.
"""

from __future__ import annotations

import base64
import contextlib
import html
import os
import re
from collections.abc import Iterator
from pathlib import Path

from dashboards.ensembles import (
    EFFECT_SEEDS,
    Effect,
    effect,
    runs_in_band,
)
from dashboards.figures import (
    handout_conditions_png,
    handout_journey_png,
    handout_region_png,
    handout_shares_png,
)
from dashboards.frames import journey_events, story, story_lines
from dashboards.record import recorded_lines
from dashboards.style import (
    APPROACH_COLORS,
    CONDITION_LABELS,
    KIND_WORDS,
    MEASURE_WORDS,
    approach_label,
    quarter_label,
    region_words,
    short_name,
)
from dashboards.teaching.lessons import (
    DIAMOND_ROWS,
    SIMULATED_NOTE,
    Lesson,
    LessonRun,
    Step,
    authorities_words,
    condition_tally,
    curriculum,
    episode,
    fill,
    first_starters,
    lesson_link,
    lesson_run,
    marked_reason,
    marked_story,
    peers,
    step_ensembles,
    workforce_note,
)
from sim.data import ATTRIBUTION, load_uk
from sim.errors import InputError
from sim.io import output_folder, write_atomic, write_text

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
CHROMIUM_ARGS = ("--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run")
DOCS_DIR = Path(__file__).resolve().parents[2] / "docs" / "teaching"
MEASURE = "engaged"                 # what the what-if tables count
EFFECT_YEARS = (2030.0, 2035.0)     # ... and when

APPROACH_PLAIN: dict[str, str] = {
    "CS": "Contextual Safeguarding (CS) responds to extra-familial harm by working on the "
          "places, peer groups and online spaces where it happens, not only with the young "
          "person and their family.",
    "TIP": "Trauma-Informed Practice (TIP) recognises how past trauma shapes young people's "
           "behaviour and relationships, and builds services that feel safe and avoid "
           "re-traumatising them.",
    "TS": "Transitional Safeguarding (TS) keeps young people safe as they move into adulthood "
          "(roughly 16 to 25), so that help does not stop at 18; it asks children's and "
          "adults' services to work as one.",
}
# (term, meaning, the topics that bring it in (step views, or "levers" when a step changes a
# budget or policy lever); empty: every handout)
GLOSSARY: tuple[tuple[str, str, frozenset[str]], ...] = (
    ("Extra-familial harm", "harm young people meet outside the family home: exploitation, "
     "violence and abuse by peers or adults, in neighbourhoods, schools and online.",
     frozenset()),
    ("A run and its seed", "the model plays out every authority from 2010 to 2036, a quarter "
     "at a time. Chance events (a new director, an inspection) are drawn at random; the run's "
     "number (its seed) fixes them, so the same number gives the same story.",
     frozenset()),
    ("Readiness", "the five conditions combined into one score from 0 (poor) to 1 (good). "
     "The higher it is, the faster a journey moves on and the less often it stalls.",
     frozenset({"conditions"})),
    ("Statistical neighbours", "the ten authorities the Department for Education counts as "
     "most like an authority (in population, need and deprivation).",
     frozenset({"region"})),
    ("Austerity and macro context", "austerity is the cuts to council budgets since 2010; "
     "the macro context is money and national policy together.",
     frozenset({"levers"})),
)


# -- small HTML pieces ---------------------------------------------------------------------------

def inline_markdown(text: str) -> str:
    """Markdown paragraphs with **bold** and *italic* as HTML (everything else escaped)."""
    paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
    out = []
    for paragraph in paragraphs:
        escaped = html.escape(paragraph, quote=False)
        escaped = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", escaped)
        escaped = re.sub(r"\*(.+?)\*", r"<em>\1</em>", escaped)
        out.append(f"<p>{escaped}</p>")
    return "".join(out)


def table(header: list[str], rows: list[list[str]], cls: str = "") -> str:
    """An HTML table; cells are HTML already (escape text before passing it)."""
    head = "".join(f"<th>{cell}</th>" for cell in header)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>"
                   for row in rows)
    return f'<table class="{cls}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def image(data_uri: str, width_mm: float, alt: str) -> str:
    """An <img> of a chart, ``width_mm`` wide."""
    return (f'<img class="chart" src="{data_uri}" style="width:{width_mm:g}mm" '
            f'alt="{html.escape(alt)}">')


def png_uri(png: bytes) -> str:
    """PNG bytes as a base64 data URI."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


# -- the sections, one per kind of step ----------------------------------------------------------

def story_section(run: LessonRun) -> str:
    """The authority's journey in plain words, beside its chart (the ``intro`` step).

    Every event is listed, unless the lesson also compares scenarios: then the page needs the
    room, and the journey is told in two sentences (the dashboard shows its chart).
    """
    lesson, where = run.lesson, run.where
    frame = marked_story(story(run.result, where.agent_id, lesson.approach))
    marks = _episode_marks(run)
    lines = [f"<li{' class=mark' if (t, w) in marks else ''}>{html.escape(line)}</li>"
             for t, w, line in zip(frame["time"], frame["what"], story_lines(frame),
                                   strict=True)]
    compact = any(step.view == "compare" for step in lesson.steps)
    if not lines:
        body = f"<p>{html.escape(where.name)} did not start {lesson.approach} in this run.</p>"
    elif compact:
        body = f"<p>{html.escape(journey_summary(run, frame))}</p>"
    else:
        body = f"<ol class=story>{''.join(lines)}</ol>"
    record = recorded_lines(run.session.config, where.agent_id, lesson.approach)
    if record and not compact:
        body = ("<p class=small><b>The record:</b> "
                + " ".join(html.escape(sentence) + "." for sentence, _ in record)
                + " <b>This run:</b></p>" + body)
    note = ("<p class=small>Highlighted: the pause and the ending and renewal that the lesson "
            "looks at.</p>" if marks else "")
    if not compact:
        note += f"<p class=small>{html.escape(SIMULATED_NOTE.format(name=where.name))}</p>"
    title = f"<h2>{html.escape(where.name)}'s journey with {lesson.approach} in this run</h2>"
    if compact:
        return title + body
    journey_uri = png_uri(handout_journey_png(run.session, where.index, lesson.approach))
    return (f"{title}<div class=split><div>{body}{note}</div>"
            f"<div>{image(journey_uri, 74, 'stage over time')}<p class=small "
            f"style=\"max-width:74mm\">{html.escape(where.name)}'s stage each quarter: dark "
            f"while active, amber while paused, red after it ended.</p></div></div>")


def journey_summary(run: LessonRun, frame) -> str:
    """A journey in two sentences: its start, setbacks, where it got to, what held it back."""
    first, last = frame.iloc[0], frame.iloc[-1]
    counts = frame["what"].value_counts()
    setbacks = [f"{what} {_count(int(counts[what]))}"
                for what in (KIND_WORDS[k] for k in ("pause", "revisit", "end")) if what in counts]
    tally = condition_tally(journey_events(run.result, run.where.agent_id, run.lesson.approach))
    weakest = max(tally["back"], key=tally["back"].get)
    held = (f" The condition the model named most often when it stalled: "
            f"{CONDITION_LABELS[weakest]} ({_count(tally['back'][weakest])})."
            if tally["back"][weakest] else "")
    return (f"In this run {run.where.name} {first['what']} in {first['when']}: "
            f"{first['reason']}. It {', '.join(setbacks) or 'never stalled'}, and by "
            f"{last['when']} it was at {last['to_stage']}.{held}")


def _episode_marks(run: LessonRun) -> set[tuple[float, str]]:
    """(time, what) of the authority's own events in the lesson's pause and renewal steps."""
    marks = set()
    for step in run.lesson.steps:
        if step.view != "episode":
            continue
        found = episode(run.result, run.lesson.approach, step.kind, run.where)
        mine = found[found["agent_id"] == run.where.agent_id]
        wanted = ("pause",) if step.kind == "pause" else ("end", "restart")
        marks |= {(float(t), KIND_WORDS[kind]) for t, kind in zip(mine["time"], mine["kind"],
                                                             strict=True) if kind in wanted}
    return marks


def stages_section(run: LessonRun) -> str:
    """The six stages: activities and key questions (the ``stage`` steps)."""
    rows = [[f"<b>{n}. {html.escape(s.name)}</b><br><span class=small>"
             f"{html.escape(', '.join(s.activities))}</span>",
             "<ul>" + "".join(f"<li>{html.escape(q)}</li>" for q in s.questions) + "</ul>"]
            for n, s in enumerate(curriculum().stage, start=1)]
    return ("<h2>The six stages of the innovation journey</h2>"
            + table(["Stage and its activities", "Key questions to ask before moving on"], rows,
                    "stages"))


def conditions_section(run: LessonRun) -> str:
    """The five conditions, and which carried the journey forward or held it back."""
    events = journey_events(run.result, run.where.agent_id, run.lesson.approach)
    tally = condition_tally(events)
    named = sum(sum(side.values()) for side in tally.values())
    rows = [[f"<b>{html.escape(c.name)}</b>", html.escape(c.plain),
             _count(tally["forward"][c.key]), _count(tally["back"][c.key])]
            for c in curriculum().condition]
    name = html.escape(run.where.name)
    chart = png_uri(handout_conditions_png(run.session, run.where.index, run.lesson.approach))
    others = list(dict.fromkeys(marked_reason(r) for r in events["reason"].astype(str)
                                if "(strongest:" not in r and "(weakest:" not in r))
    lead = (f"<p class=small>In this run {len(events)} things happened in {name}'s "
            f"{run.lesson.approach} journey. {named} named a condition: the strongest when the "
            f"journey moved on or resumed (it carried it forward), the weakest when it paused, "
            f"went back or ended (it held it back)."
            + (f" The others had causes outside the five: {html.escape('; '.join(others))}."
               if others else "") + "</p>")
    return ("<h2>The five conditions</h2>"
            + table(["Condition", "In plain words", "Carried forward",
                     "Held back"], rows, "conditions")
            + f"<div class=split><div>{lead}{_step_text(run, 'conditions')}</div><div>"
            f"<p class=caption>{name}'s conditions over time ({run.lesson.approach})</p>"
            f"<p class=small style=\"max-width:84mm\">"
            f"{html.escape(workforce_note(run.session.config).split('. ')[0])}.</p>"
            f"{image(chart, 84, 'conditions over time')}</div></div>")


def _count(n: int) -> str:
    return f"{n} time{'s' * (n != 1)}" if n else "-"


def diamond_section(run: LessonRun) -> str:
    """A blank Diamond 9 (rows of 1, 2, 3, 2 and 1 boxes) and the nine statements to cut out.

    The instructions are for paper, not the page's ("enter your diamond here").
    """
    diamond = "".join("<div class=drow>" + "<div class=dbox></div>" * n + "</div>"
                      for n in DIAMOND_ROWS)
    cards = "".join(f"<div class=card><b>{i}</b> {html.escape(s.text)}</div>"
                    for i, s in enumerate(curriculum().statement, start=1))
    return ("<h2>Diamond 9: your own service</h2>"
            "<p class=steptext>In small groups, rank the nine statements about <b>your own "
            "service</b>: the one that matters most at the top, two below it, three in the "
            "middle row, two below them and the least important at the bottom. Agree as a "
            "group; the discussion matters more than the answer.</p>"
            "<div class=diamondwrap><div class=diamond><div class=dlabel>most important</div>"
            f"{diamond}<div class=dlabel>least important</div></div>"
            f"<div><div class=cards>{cards}</div>"
            "<p class=\"small cutnote\">Cut out the nine statements (or write their numbers in "
            "the boxes). Then enter your diamond in the dashboard: it tests your top three, one "
            f"at a time, over {EFFECT_SEEDS} paired runs.</p></div></div>")


def region_section(run: LessonRun) -> str:
    """The region's authorities by stage, its first starters, and the authority's ties."""
    lesson, where = run.lesson, run.where
    starters = first_starters(run.result, lesson.approach, where)
    rows = [[quarter_label(t), html.escape(short_name(str(n))), html.escape(str(r))]
            for t, n, r in zip(starters["time"], starters["name"], starters["reason"],
                               strict=True)]
    ties = peers(where.index)
    region = html.escape(region_words(where.region))
    region_uri = png_uri(handout_region_png(run.result, where.region, lesson.approach,
                                            len(where.region_rows)))
    return (f"<h2>Spreading across {region}</h2>{_step_text(run, 'region')}"
            f"<div class=split><div><p class=caption>{capital(region)}'s "
            f"{len(where.region_rows)} authorities by stage of {lesson.approach} "
            f"(not counting ended journeys)</p>"
            f"{image(region_uri, 84, 'authorities by stage over time')}</div><div>"
            f"<p class=caption>The first in {region} to start {lesson.approach}</p>"
            + table(["When", "Authority", "Why"], rows, "starters") +
            f"<p class=small><b>{html.escape(where.name)} learns from</b> the authorities it "
            f"borders: {html.escape(_names(ties['borders']))}; and its statistical neighbours: "
            f"{html.escape(_names(ties['statistical neighbours']))}.</p></div></div>")


def capital(text: str) -> str:
    """``text`` with its first letter in capitals: 'the South West' -> 'The South West'."""
    return text[:1].upper() + text[1:]


def _names(names: list[str]) -> str:
    return ", ".join(short_name(n) for n in names) or "none"


def compare_section(run: LessonRun) -> str:
    """Every ``compare`` step: its question and the effect of its change over paired runs.

    A chart shows the UK over time as it is and under each change.
    """
    lesson, where = run.lesson, run.where
    steps = [step for step in lesson.steps if step.view == "compare"]
    effects = compare_effects(run)
    level = "h2" if len(steps) == 1 else "h3"
    parts = [f"<{level}>{html.escape(step.title)}</{level}>"
             f"{inline_markdown(fill(step.text, lesson, where))}{effect_table(effects[step.label])}"
             for step in steps]
    counted = (f"<p class=small><b>Counted:</b> authorities "
               f"{html.escape(MEASURE_WORDS[MEASURE])} with "
               f"{html.escape(approach_label(lesson.approach))}, journeys not ended; the mean "
               f"of {EFFECT_SEEDS} runs without and {EFFECT_SEEDS} with the change, "
               f"rounded to whole authorities.</p>"
               f"<p class=small><b>Paired runs:</b> the same {EFFECT_SEEDS} seeds (the same "
               f"chance events) run with and without the change, so a difference comes from "
               f"the change, not from luck. <b>90% range:</b> in {runs_in_band(EFFECT_SEEDS)} of "
               f"the {EFFECT_SEEDS} pairs the change fell inside it.</p>")
    shares_uri = png_uri(handout_shares_png(step_ensembles(run, steps), lesson.approach,
                                            MEASURE, change_start(steps)))
    chart = (f"<div class=split><div><p class=caption>Share of the UK's authorities "
             f"{html.escape(MEASURE_WORDS[MEASURE])} with {lesson.approach}: mean of "
             f"{EFFECT_SEEDS} runs, shaded: 90% of runs</p>"
             f"{image(shares_uri, 96, 'share engaged over time')}</div>"
             f"<div>{counted}{_start_note(steps)}</div></div>")
    heading = "" if len(steps) == 1 else "<h2>What if? Comparing changes</h2>"
    return f"{heading}{''.join(parts)}{chart}"


def change_start(steps: list[Step]) -> float | None:
    """The first year a step's change takes effect (``levers.start``), or None."""
    starts = [float(step.changes["levers.start"]) for step in steps
              if "levers.start" in step.changes]
    return min(starts) if starts else None


def _start_note(steps: list[Step]) -> str:
    start = change_start(steps)
    if start is None:
        return ""
    return (f"<p class=small>The changes start in {start:.0f} (the dotted line), so the lines "
            f"run together until then. Ask the group what they expect by "
            f"{' and by '.join(f'{y:.0f}' for y in EFFECT_YEARS)} before anyone reads the "
            f"numbers.</p>")


def compare_effects(run: LessonRun) -> dict[str, list[Effect]]:
    """The effect of each ``compare`` step's change in each of :data:`EFFECT_YEARS`.

    Keyed by the step's label; every run is kept (:func:`dashboards.ensembles.run_counts`), so
    the runs without a change are shared between the steps and the years.
    """
    lesson, where = run.lesson, run.where
    return {step.label: [effect(run.settings, step.changes, step.label, where.region,
                                lesson.approach, measure=MEASURE, year=year)
                         for year in EFFECT_YEARS]
            for step in lesson.steps if step.view == "compare"}


def effect_table(effects: list[Effect]) -> str:
    """Region and UK rows; per year: without, with, and the difference with its 90% range."""
    first = effects[0]
    header = ["", *(f"{e.year:.0f}: as it is / changed" for e in effects),
              *(f"{e.year:.0f}: change (90% range)" for e in effects)]
    rows = []
    for scope, name in enumerate((f"{region_words(first.region)} ({first.region_size} "
                                  f"authorities)", f"the UK ({_uk_size()} authorities)")):
        counts = [f"{_whole(e.base[:, scope].mean(), False)} / "
                  f"{_whole(e.changed[:, scope].mean(), False)}" for e in effects]
        changes = []
        for e in effects:
            mean, low, high = e.difference(scope)
            changes.append(f"<b>{_whole(mean)}</b><br><span class=range>"
                           f"{_whole(low)} to {_whole(high)}</span>")
        rows.append([html.escape(capital(name)), *counts, *changes])
    return table(header, rows, "effect")


def _whole(value: float, signed: bool = True) -> str:
    """:func:`authorities_words` without "about": the table says it is rounded."""
    return authorities_words(value, signed).replace("about ", "")


def _uk_size() -> int:
    return len(load_uk().authorities)


def summary_section(run: LessonRun) -> str:
    """What the model can and cannot tell us (the ``summary`` step), and room for notes.

    The ruled notes box grows to fill the rest of the page.
    """
    step = next(s for s in run.lesson.steps if s.view == "summary")
    return (f"<h2>{html.escape(step.title)}</h2><div class=cannot>"
            f"{inline_markdown(fill(step.text, run.lesson, run.where))}</div>"
            "<div class=notes>Your notes: what would have to be true for this to happen in "
            "your service?</div>")


def _step_text(run: LessonRun, view: str) -> str:
    step: Step | None = next((s for s in run.lesson.steps if s.view == view), None)
    if step is None or not step.text:
        return ""
    return f"<div class=steptext>{inline_markdown(fill(step.text, run.lesson, run.where))}</div>"


# view -> the section that stands for it (views without one are covered by another section)
SECTIONS = {"intro": story_section, "stage": stages_section, "conditions": conditions_section,
            "diamond9": diamond_section, "region": region_section, "compare": compare_section,
            "summary": summary_section}
# the order on the page: the stages table before the story it explains
ORDER = ("stage", "intro", "conditions", "diamond9", "region", "compare", "summary")


def sections(run: LessonRun) -> list[str]:
    """The HTML of every section the lesson's steps call for, in page order."""
    views = {step.view for step in run.lesson.steps}
    return [SECTIONS[view](run) for view in ORDER if view in views]


# -- the page ------------------------------------------------------------------------------------

CSS = """
@page { size: A4; margin: 10mm 12mm; }
* { box-sizing: border-box; }
html { background: #d0d4d8; }
body { margin: 0; font-family: "Liberation Sans", Arial, "DejaVu Sans", sans-serif;
       font-size: 8.4pt; line-height: 1.24; color: #1a1a1a; }
.sheet { width: 210mm; min-height: 297mm; margin: 0 auto; padding: 10mm 12mm; background: #fff;
         display: flex; flex-direction: column; }
@media print {
  html { background: none; }
  .sheet { width: auto; min-height: 275mm; margin: 0; padding: 0; }
  a { color: inherit; }
}
header { border-left: 5px solid var(--accent); padding: 0 0 0 3mm; margin-bottom: 2.2mm; }
h1 { font-size: 15pt; margin: 0 0 0.6mm; line-height: 1.1; }
.meta { color: #444; font-size: 8.4pt; }
.open { font-size: 8pt; margin-top: 0.4mm; }
.open a { font-family: "DejaVu Sans Mono", monospace; font-size: 7.8pt; color: var(--accent);
          text-decoration: none; font-weight: bold; white-space: nowrap; }
h2 { font-size: 10pt; margin: 2mm 0 0.8mm; color: var(--accent);
     border-bottom: 0.6px solid #c8ced4; padding-bottom: 0.4mm; }
h3 { font-size: 8.8pt; margin: 1.6mm 0 0.4mm; }
p { margin: 0 0 1mm; }
ul, ol { margin: 0; padding-left: 4.2mm; }
.intro { display: grid; grid-template-columns: 0.9fr 1.1fr; gap: 4mm; }
.box { background: #f3f6f9; border-radius: 1.5mm; padding: 1.6mm 2.4mm; }
.box h2 { margin-top: 0; border: 0; }
.box li { margin-bottom: 0.5mm; }
dl { margin: 0; }
dt { font-weight: bold; display: inline; }
dd { display: inline; margin: 0; }
dd::after { content: ""; display: block; margin-bottom: 0.6mm; }
.split { display: grid; grid-template-columns: 1fr auto; gap: 4mm; align-items: start; }
table { border-collapse: collapse; width: 100%; font-size: 7.9pt; margin: 0.4mm 0 1mm; }
th { background: #e9eef3; text-align: left; font-weight: bold; }
th, td { border: 0.6px solid #c8ced4; padding: 0.7mm 1.3mm; vertical-align: top; }
td ul { padding-left: 3.4mm; }
table.stages td:first-child { width: 34mm; }
table.conditions td:first-child { width: 40mm; }
table.conditions th:nth-child(n+3) { width: 21mm; white-space: nowrap; }
table.starters td:first-child { white-space: nowrap; }
table.effect { table-layout: fixed; }
table.effect th:first-child { width: 45mm; }
table.effect th:nth-child(2), table.effect th:nth-child(3) { width: 30mm; }
.range { font-size: 7.4pt; color: #444; }
.small { font-size: 7.6pt; color: #333; }
.caption { font-size: 7.6pt; font-weight: bold; margin: 0 0 0.5mm; }
ol.story { padding-left: 5mm; font-size: 7.9pt; }
ol.story li { margin-bottom: 0.3mm; }
li.mark { background: #fff4c2; }
img.chart { display: block; }
.steptext { font-size: 8pt; }
.diamondwrap { display: grid; grid-template-columns: 70mm 1fr; gap: 4mm; align-items: center; }
.diamond { display: flex; flex-direction: column; align-items: center; gap: 1.2mm; }
.drow { display: flex; gap: 1.2mm; }
.dbox { width: 21mm; height: 8.5mm; border: 0.8px solid #2a788e; border-radius: 1.2mm; }
.dlabel { font-size: 7.4pt; font-weight: bold; color: #2a788e; }
.cards { display: grid; grid-template-columns: 1fr 1fr; gap: 1.4mm; }
.card { border: 0.8px dashed #777; padding: 1mm 1.6mm; font-size: 7.9pt; min-height: 8mm; }
.card b { color: #2a788e; margin-right: 1mm; }
.cutnote { margin-top: 1.6mm; }
.cannot p { margin-bottom: 1.2mm; }
.notes { flex: 1 0 6mm; margin: 1.2mm 0 2mm; padding: 1.2mm 2.4mm; font-size: 7.6pt;
         font-weight: bold; color: #555; border: 0.6px solid #c8ced4; border-radius: 1.5mm;
         background: repeating-linear-gradient(to bottom, transparent 0 6.6mm, #b8c1c9 6.6mm 7mm);
         background-position: 0 2mm; }
footer { margin-top: auto; padding-top: 1.6mm; border-top: 0.6px solid #c8ced4;
         font-size: 6.9pt; color: #444; }
footer .warn { font-size: 8.2pt; font-weight: bold; color: #1a1a1a; margin-bottom: 0.6mm; }
code { font-family: "DejaVu Sans Mono", monospace; font-size: 6.9pt; }
"""


def header_html(run: LessonRun) -> str:
    """Title, lesson number, minutes, approach and authority, and the link to open it."""
    lesson, where = run.lesson, run.where
    lessons = curriculum().lessons
    number = next(i for i, x in enumerate(lessons, start=1) if x.id == lesson.id)
    link = lesson_link(lesson.id)
    return (f"<header><h1>{html.escape(lesson.title)}</h1><div class=meta>Session "
            f"{number} of {len(lessons)} &middot; {lesson.minutes} minutes &middot; "
            f"{html.escape(approach_label(lesson.approach))} &middot; following "
            f"{html.escape(where.name)}, {html.escape(region_words(where.region))}</div>"
            f"<div class=open>Open this lesson in the dashboard: <a href=\"{link}\">{link}</a> "
            f"(start the dashboard first with <code>innovate dashboard</code>)</div></header>")


def lesson_topics(lesson: Lesson) -> set[str]:
    """The lesson's step views, and "levers" if a step changes a budget or policy lever."""
    levers = any(key.startswith("levers.") for step in lesson.steps for key in step.changes)
    return {step.view for step in lesson.steps} | ({"levers"} if levers else set())


def intro_html(run: LessonRun) -> str:
    """Learning outcomes beside the words this handout uses, explained."""
    lesson = run.lesson
    topics = lesson_topics(lesson)
    outcomes = "".join(f"<li>{html.escape(o)}</li>" for o in lesson.outcomes)
    words = "".join(f"<dt>{html.escape(term)}:</dt> <dd>{html.escape(meaning)}</dd>"
                    for term, meaning, wanted in GLOSSARY if not wanted or wanted & topics)
    return ("<div class=intro><div class=box><h2>By the end of the session you will be able "
            f"to</h2><ol>{outcomes}</ol><p class=small style=\"margin-top:1mm\">"
            f"{html.escape(APPROACH_PLAIN[lesson.approach])}</p></div>"
            f"<div class=box><h2>Words used here</h2><dl>{words}</dl></div></div>")


def reproduce_command(lesson: Lesson) -> str:
    """The command that writes this handout again, with the same numbers."""
    return f"innovate handout {lesson.id} --pdf"


def footer_html(run: LessonRun) -> str:
    """The warning, the command that reproduces the numbers, and the data attribution."""
    lesson = run.lesson
    simulated = html.escape(SIMULATED_NOTE.format(name=run.where.name))
    whatifs = (f"; the what-ifs use seeds 0-{EFFECT_SEEDS - 1}"
               if any(s.view == "compare" for s in lesson.steps) else "")
    return ("<footer><div class=warn>This is a simulation, not evidence about any real "
            f"authority. {simulated}</div>"
            f"<div>One run of the '{html.escape(lesson.preset)}' scenario with seed "
            f"{lesson.seed}{whatifs}. Named pilot sites are real (a few undated ones are placed "
            "by the model); other events are drawn by chance and the model's rates are informed "
            f"guesses. Reproduce these numbers: "
            f"<code>{html.escape(reproduce_command(lesson))}</code></div>"
            f"<div>{html.escape(ATTRIBUTION)}</div></footer>")


def handout_html(lesson: Lesson) -> str:
    """The lesson's one-page handout as a self-contained HTML document."""
    run = lesson_run(lesson)
    accent = APPROACH_COLORS[lesson.approach]
    body = "".join([header_html(run), intro_html(run), *sections(run), footer_html(run)])
    return ("<!DOCTYPE html>\n<html lang=\"en-GB\"><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(lesson.title)}: handout</title>"
            f"<style>:root {{ --accent: {accent}; }}{CSS}</style></head>"
            f"<body><main class=sheet>{body}</main></body></html>\n")


# -- files ---------------------------------------------------------------------------------------

def chosen_lessons(lesson_ids: list[str] | None) -> list[Lesson]:
    """The lessons named (every lesson if None or empty); InputError for an unknown id."""
    if not lesson_ids:
        return curriculum().lessons
    return [curriculum().lesson_by_id(lesson_id) for lesson_id in lesson_ids]


def check_pdf_tools() -> None:
    """InputError naming what is missing if PDFs cannot be printed here."""
    import importlib.util

    if importlib.util.find_spec("playwright") is None:
        raise InputError("--pdf: needs Playwright (pip install playwright, or the test extra: "
                         "pip install 'innovate-sim[test]'); without --pdf you get the HTML")
    if find_chromium() is None:
        raise InputError("--pdf: needs Chromium (Debian: apt-get install chromium; or set "
                         "CHROMIUM to its path); without --pdf you get the HTML")


def find_chromium() -> Path | None:
    """Chromium or Chrome: ``$CHROMIUM`` if set, else the first of CHROMIUM_NAMES on PATH."""
    import shutil

    if os.environ.get("CHROMIUM"):
        path = Path(os.environ["CHROMIUM"])
        return path if path.is_file() else None
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return Path(found)
    return None


@contextlib.contextmanager
def chromium() -> Iterator[object]:
    """Debian's chromium driven by Playwright (no browser download); InputError if missing."""
    check_pdf_tools()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(find_chromium()), headless=True,
                                             args=list(CHROMIUM_ARGS))
        try:
            yield browser
        finally:
            browser.close()


def print_pdf(browser, page_html: str) -> bytes:
    """The page printed to A4 PDF, backgrounds included."""
    page = browser.new_page()
    try:
        page.set_content(page_html, wait_until="load")
        return page.pdf(format="A4", print_background=True, prefer_css_page_size=True)
    finally:
        page.close()


def page_png(browser, page_html: str, scale: float = 1.25) -> bytes:
    """A PNG of the page as one A4 sheet (the screen view, which lays out like the print)."""
    page = browser.new_page(viewport={"width": 860, "height": 1200}, device_scale_factor=scale)
    try:
        page.set_content(page_html, wait_until="load")
        return page.locator("main.sheet").screenshot(type="png")
    finally:
        page.close()


def write_handouts(out_dir: Path, lesson_ids: list[str] | None = None,
                   pdf: bool = False) -> list[Path]:
    """Write ``<id>.html`` (and with ``pdf`` also ``<id>.pdf``) for each lesson named.

    Every lesson id, and with ``pdf`` the tools to print, are checked before anything is
    written. Returns the files written.
    """
    lessons = chosen_lessons(lesson_ids)
    if pdf:
        check_pdf_tools()
    out_dir = output_folder(out_dir)
    pages = {lesson.id: handout_html(lesson) for lesson in lessons}
    written = [write_text(out_dir / f"{lesson_id}.html", text)
               for lesson_id, text in pages.items()]
    if pdf:
        with chromium() as browser:
            written += [write_atomic(out_dir / f"{lesson_id}.pdf", print_pdf(browser, text))
                        for lesson_id, text in pages.items()]
    return written


def pdf_pages(data: bytes) -> int:
    """How many pages a PDF has (its ``/Type /Page`` objects; enough for chromium's PDFs)."""
    return len(re.findall(rb"/Type\s*/Page(?![s\w])", data))


def refresh_docs(docs: Path = DOCS_DIR) -> list[Path]:
    """Rewrite the shipped handouts (``handouts/``) and a PNG of each page (``img/``)."""
    written = write_handouts(docs / "handouts", pdf=True)
    images = output_folder(docs / "img")
    with chromium() as browser:
        for lesson in curriculum().lessons:
            text = (docs / "handouts" / f"{lesson.id}.html").read_text(encoding="utf-8")
            written.append(write_atomic(images / f"handout-{lesson.id}.png",
                                        page_png(browser, text)))
    return written


if __name__ == "__main__":
    for path in refresh_docs():
        print(path)
