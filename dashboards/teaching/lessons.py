"""The teaching content (``lessons.toml``) and what each lesson reads from the model.

A lesson is a sequence of steps that a trainer clicks through in the dashboard's Teach mode
(:mod:`dashboards.teaching.teach`); its link is ``/?lesson=<id>``. The content (the six stages
with their key questions, the five conditions, the nine Diamond 9 statements, the lessons) lives
in ``lessons.toml`` beside this module and is validated here. The functions below are pure: they
take a lesson's run or settings and return plain Python, so Teach mode, the handouts
(:mod:`dashboards.teaching.handout`) and the tests share them.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal
from urllib.parse import parse_qs

import numpy as np
import pandas as pd
from pydantic import Field, ValidationError, model_validator

from dashboards.ensembles import (
    EFFECT_SEEDS,
    Effect,
    Ensemble,
    effect,
    run_ensemble,
    runs_in_band,
)
from dashboards.session import Session
from dashboards.settings import Changes, Settings
from dashboards.style import quarter_label, region_words, short_name
from sim.config import preset_names
from sim.data import load_uk
from sim.errors import InputError
from sim.io import read_toml
from sim.model import InnovationModel
from sim.output.results import RunResult
from sim.schema import Strict, describe_error
from sim.vocabulary import (
    APPROACH_NAMES,
    APPROACHES,
    CONDITION_WORDS,
    CONDITIONS,
    ENDED,
    MOBILISING,
    PAUSED,
    STAGES,
    STATUSES,
)

LESSONS_FILE = Path(__file__).with_name("lessons.toml")
DIAMOND_ROWS: tuple[int, ...] = (1, 2, 3, 2, 1)     # statements per row, most important first


class Stage(Strict):
    """One stage of the innovation journey: its activities and key questions."""

    name: str
    activities: list[str] = Field(min_length=1)
    summary: str
    questions: list[str] = Field(min_length=1)
    model: str


class Condition(Strict):
    """One of the five conditions, and the changes a learner can try."""

    key: Literal[CONDITIONS]  # type: ignore[valid-type]
    name: str
    plain: str
    model: str
    stronger_words: str
    weaker_words: str
    stronger: Changes
    weaker: Changes


class Statement(Strict):
    """A Diamond 9 statement about a service, its condition, and how the model tests it."""

    text: str
    condition: Literal[CONDITIONS]  # type: ignore[valid-type]
    test: Changes


class Step(Strict):
    """One screen of a lesson.

    ``view`` says what the screen shows: ``intro`` (the authority and its journey), ``stage``
    (one stage), ``episode`` (a ``pause`` or a ``renewal``), ``conditions``, ``try`` (change
    one condition), ``diamond9``, ``region``, ``compare`` (the lesson against ``changes``) or
    ``summary``. ``text`` may name ``{authority}``, ``{region}``, ``{approach}`` and
    ``{approach_name}``.
    """

    view: Literal["intro", "stage", "episode", "conditions", "try", "diamond9", "region",
                  "compare", "summary"]
    title: str
    text: str = ""
    stage: int | None = Field(default=None, ge=1, le=6)
    kind: Literal["pause", "renewal"] | None = None
    label: str = ""
    changes: Changes = Field(default_factory=dict)

    @model_validator(mode="after")
    def _check(self) -> Step:
        if (self.view == "stage") != (self.stage is not None):
            raise ValueError("stage: needed by a 'stage' step and only there")
        if (self.view == "episode") != (self.kind is not None):
            raise ValueError("kind: needed by an 'episode' step ('pause' or 'renewal') and only "
                             "there")
        if (self.view == "compare") != bool(self.changes and self.label):
            raise ValueError("changes and label: needed by a 'compare' step and only there")
        return self


class Lesson(Strict):
    """A lesson: its scenario, authority, learning outcomes and steps."""

    id: str = Field(pattern=r"^[a-z][a-z0-9-]*$")
    title: str
    minutes: int = Field(ge=45, le=90)
    approach: Literal[APPROACHES]  # type: ignore[valid-type]
    authority: str
    preset: str
    seed: int = Field(ge=0)
    outcomes: list[str] = Field(min_length=1)
    step: list[Step] = Field(min_length=1)

    @property
    def steps(self) -> list[Step]:
        """The lesson's steps in order."""
        return self.step

    def settings(self) -> Settings:
        """The lesson's scenario: its preset and seed, every lever at the preset's value."""
        return Settings.from_preset(self.preset, self.seed)


class Curriculum(Strict):
    """Everything in ``lessons.toml``."""

    stage: list[Stage] = Field(min_length=6, max_length=6)
    condition: list[Condition] = Field(min_length=5, max_length=5)
    statement: list[Statement] = Field(min_length=9, max_length=9)
    lesson: list[Lesson] = Field(min_length=1)

    @model_validator(mode="after")
    def _check(self) -> Curriculum:
        if [s.name for s in self.stage] != list(STAGES[MOBILISING:]):
            raise ValueError(f"stage: the six stages in order: {', '.join(STAGES[MOBILISING:])}")
        if [c.key for c in self.condition] != list(CONDITIONS):
            raise ValueError(f"condition: the five conditions in order: {', '.join(CONDITIONS)}")
        ids = [lesson.id for lesson in self.lesson]
        if len(set(ids)) != len(ids):
            raise ValueError("lesson: ids must be unique")
        authorities = set(load_uk().authorities["agent_id"])
        for lesson in self.lesson:
            if lesson.preset not in preset_names():
                raise ValueError(f"lesson {lesson.id}: unknown preset {lesson.preset!r}")
            if lesson.authority not in authorities:
                raise ValueError(f"lesson {lesson.id}: unknown authority {lesson.authority!r}")
        return self

    @property
    def lessons(self) -> list[Lesson]:
        """The lessons in teaching order."""
        return self.lesson

    def lesson_by_id(self, lesson_id: str) -> Lesson:
        """The lesson called ``lesson_id`` (InputError naming the ids if there is none)."""
        for lesson in self.lesson:
            if lesson.id == lesson_id:
                return lesson
        raise InputError(f"lesson: unknown lesson {lesson_id!r}; choose one of: "
                         f"{', '.join(x.id for x in self.lesson)}")

    def condition_by_key(self, key: str) -> Condition:
        """The condition called ``key`` (case, workforce, design, culture, macro)."""
        for condition in self.condition:
            if condition.key == key:
                return condition
        raise InputError(f"condition: must be one of {', '.join(CONDITIONS)} (got {key!r})")


def load_curriculum(path: Path = LESSONS_FILE) -> Curriculum:
    """Read and check a lessons file (a one-line InputError naming the field if it is wrong)."""
    _, data = read_toml(path)
    try:
        curriculum = Curriculum.model_validate(data)
    except ValidationError as error:
        _, message = describe_error(error, Curriculum, data)
        raise InputError(f"{path.name}: {message}") from None
    for item in [*curriculum.condition, *curriculum.statement]:
        for changes in ((item.stronger, item.weaker) if isinstance(item, Condition)
                        else (item.test,)):
            Settings().with_changes(changes).config()     # every change is a valid parameter
    for lesson in curriculum.lesson:
        for step in lesson.steps:
            if step.changes:
                lesson.settings().with_changes(step.changes).config()
    return curriculum


@functools.cache
def curriculum() -> Curriculum:
    """The shipped curriculum (``lessons.toml``), read once per process."""
    return load_curriculum()


# -- links ---------------------------------------------------------------------------------------

def lesson_link(lesson_id: str, base: str = "http://127.0.0.1:8765",
                authority: str | None = None) -> str:
    """The address that opens a lesson in Teach mode (``authority``: follow another one)."""
    link = f"{base.rstrip('/')}/?lesson={lesson_id}"
    return link if authority is None else f"{link}&authority={authority}"


def lesson_from_query(search: str) -> tuple[str | None, str | None]:
    """The lesson id and authority code in a query string (None for what is not named).

    For example ``lesson=stages&authority=E09000012``.
    """
    query = parse_qs(search.lstrip("?"))
    return (query.get("lesson", [None])[0], query.get("authority", [None])[0])


def check_authority(agent_id: str) -> str:
    """``agent_id`` if it is one of the 212 authority codes, else InputError."""
    if agent_id not in set(load_uk().authorities["agent_id"]):
        raise InputError(f"authority: unknown authority code {agent_id!r}; use an ONS code "
                         f"such as E09000012 (Hackney)")
    return agent_id


def requested_lesson(search: str | None) -> tuple[str | None, str | None, str | None]:
    """The lesson and authority a page address asks for, and an error message if wrong.

    ``?lesson=<id>`` opens Teach mode on that lesson; ``&authority=<code>`` follows another
    authority than the lesson's.
    """
    wanted, authority = lesson_from_query(search or "")
    if wanted is None:
        return None, None, None
    try:
        lesson = curriculum().lesson_by_id(wanted).id
        if authority is not None:
            check_authority(authority)
    except InputError as error:
        return None, None, str(error)
    return lesson, authority, None


# -- reading a run -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Place:
    """Who the lesson is about: the authority's row, name, region and its region's rows."""

    index: int
    agent_id: str
    name: str
    region: str
    region_rows: np.ndarray


def place(result: RunResult, agent_id: str) -> Place:
    """The authority ``agent_id`` in a run of the real UK, and its region."""
    agents = result.agents
    rows = np.flatnonzero(agents["agent_id"].to_numpy(str) == agent_id)
    if not len(rows):
        check_authority(agent_id)
    index = int(rows[0])
    region = str(agents["region"].iloc[index])
    return Place(index=index, agent_id=agent_id, name=short_name(str(agents["name"].iloc[index])),
                 region=region,
                 region_rows=np.flatnonzero(agents["region"].to_numpy(str) == region))


def fill(text: str, lesson: Lesson, where: Place) -> str:
    """A step's text with the lesson's authority, region and approach filled in."""
    return text.format(authority=where.name, region=region_words(where.region),
                       approach=lesson.approach,
                       approach_name=f"{APPROACH_NAMES[lesson.approach]} ({lesson.approach})")


def stage_periods(times: np.ndarray, stage: np.ndarray, status: np.ndarray,
                  target: int) -> list[tuple[float, float, str]]:
    """Periods a journey spent at ``target``: (from, to, status at the start) per period.

    ``times`` are the step boundaries (start of the run, then the end of every step); ``stage``
    and ``status`` the journey after each boundary. A period still open at the end runs to the
    last boundary.
    """
    periods = []
    at = (stage == target) & (status != ENDED)
    k = 0
    while k < len(at):
        if at[k]:
            start = k
            while k < len(at) and at[k]:
                k += 1
            end = times[k] if k < len(times) else times[-1]
            periods.append((float(times[start]), float(end), STATUSES[int(status[start])]))
        else:
            k += 1
    return periods


def period_words(periods: list[tuple[float, float, str]]) -> str:
    """Periods as quarters: 'Jan-Mar 2015 to Apr-Jun 2016; Jul-Sep 2017 to ... (paused)'."""
    return "; ".join(f"{quarter_label(p[0])} to {quarter_label(p[1])}"
                     + (f" ({STATUSES[PAUSED]})" if p[2] == STATUSES[PAUSED] else "")
                     for p in periods)


def held_periods(times: np.ndarray, status: np.ndarray, kind: str
                 ) -> list[tuple[float, float, str]]:
    """The steps a journey spent paused (``kind`` "pause") or ended (``kind`` "renewal").

    One (from, to, "") per step, for shading on a chart.
    """
    held = status == (PAUSED if kind == "pause" else ENDED)
    return [(float(times[k]), float(times[min(k + 1, len(times) - 1)]), "")
            for k in np.flatnonzero(held)]


def episode(result: RunResult, approach: str, kind: str, where: Place) -> pd.DataFrame:
    """The first pause, or the first ending followed by a renewal, of ``approach``.

    ``kind`` is ``"pause"`` or ``"renewal"``. The example comes from the lesson's authority if
    it has one, else from its region, else from anywhere.

    Returns the example journey's events from the one before the episode to the one after it
    (empty if the run has no such episode).
    """
    events = result.events
    events = events[events["approach"] == approach]
    wanted = "pause" if kind == "pause" else "restart"
    candidates = [where.agent_id,
                  *result.agents["agent_id"].iloc[where.region_rows].astype(str),
                  *result.agents["agent_id"].astype(str)]
    seen: set[str] = set()
    for agent_id in candidates:
        if agent_id in seen:
            continue
        seen.add(agent_id)
        mine = events[events["agent_id"] == agent_id].sort_values("time", kind="stable")
        hits = np.flatnonzero(mine["kind"].to_numpy(str) == wanted)
        if not len(hits):
            continue
        hit = int(hits[0])
        if kind == "renewal":       # from the ending that the renewal follows
            ends = np.flatnonzero(mine["kind"].to_numpy(str)[:hit] == "end")
            first = int(ends[-1]) if len(ends) else hit
        else:
            first = hit
        return mine.iloc[max(first - 1, 0):hit + 2].reset_index(drop=True)
    return events.iloc[:0]


def condition_tally(events: pd.DataFrame) -> dict[str, dict[str, int]]:
    """How often each condition was named the strongest or the weakest in a journey's events.

    Returns ``{"forward": {condition: n}, "back": {condition: n}}``.
    """
    tally = {"forward": dict.fromkeys(CONDITIONS, 0), "back": dict.fromkeys(CONDITIONS, 0)}
    for reason in events["reason"].astype(str):
        for key, word in zip(CONDITIONS, CONDITION_WORDS, strict=True):
            if reason.endswith(f"(strongest: {word})"):
                tally["forward"][key] += 1
            elif reason.endswith(f"(weakest: {word})"):
                tally["back"][key] += 1
    return tally


def first_starters(result: RunResult, approach: str, where: Place, n: int = 6) -> pd.DataFrame:
    """The first ``n`` authorities of the region to start ``approach``: when, who, and why."""
    events = result.events
    region_ids = set(result.agents["agent_id"].iloc[where.region_rows].astype(str))
    starts = events[(events["approach"] == approach) & events["kind"].isin(["prompt", "seed"])
                    & events["agent_id"].isin(region_ids)]
    starts = starts.sort_values("time", kind="stable").drop_duplicates("agent_id")
    names = dict(zip(result.agents["agent_id"].astype(str), result.agents["name"], strict=True))
    return pd.DataFrame({"time": starts["time"].to_numpy(float)[:n],
                         "agent_id": starts["agent_id"].astype(str).to_numpy()[:n],
                         "name": [names[a] for a in starts["agent_id"].astype(str)[:n]],
                         "reason": starts["reason"].astype(str).to_numpy()[:n]})


def peers(agent_index: int) -> dict[str, list[str]]:
    """Names of the authorities one real authority borders, and its statistical neighbours."""
    uk = load_uk()
    names = uk.authorities["name"].astype(str).to_numpy()
    borders = uk.borders
    tied = np.r_[borders[borders[:, 0] == agent_index, 1], borders[borders[:, 1] == agent_index, 0]]
    statistical = uk.statistical_neighbours
    watched = statistical[statistical[:, 0] == agent_index, 1]
    return {"borders": sorted(names[np.unique(tied)]),
            "statistical neighbours": sorted(names[np.unique(watched)])}


# -- the lesson's runs ---------------------------------------------------------------------------

@dataclass(frozen=True)
class LessonRun:
    """A lesson's scenario, run to the end, and who it is about.

    Attributes:
        lesson: the lesson.
        session: the run (a dashboard session, run to the end).
        result: its results.
        where: the authority the lesson follows (the lesson's, or one the trainer chose).
        seed: the run's seed (the lesson's, or another to show the part chance plays).
    """

    lesson: Lesson
    session: Session
    result: RunResult
    where: Place
    seed: int

    @property
    def settings(self) -> Settings:
        """The run's settings (the lesson's scenario with this run's seed)."""
        return self.session.settings

    @property
    def window(self) -> tuple[float, float]:
        """The run's first and last time."""
        return (float(self.session.times[0]), float(self.session.times[-1]))


def lesson_run(lesson: Lesson, authority: str | None = None, seed: int | None = None
               ) -> LessonRun:
    """Run a lesson's scenario to the end, following ``authority`` (default: the lesson's)."""
    seed = lesson.seed if seed is None else seed
    session = Session(replace(lesson.settings(), seed=seed))
    session.run()
    result = session.results()
    return LessonRun(lesson=lesson, session=session, result=result,
                     where=place(result, authority or lesson.authority), seed=seed)


def changed_run(run: LessonRun, changes: Changes) -> RunResult:
    """The lesson's run again with ``changes``: the same seed, so the same chance draws."""
    return InnovationModel(config=run.settings.with_changes(changes).config(),
                           seed=run.seed).run()


def step_ensembles(run: LessonRun, steps: list[Step]) -> list[Ensemble]:
    """The lesson's scenario as it is, then with each step's changes, over the same seeds.

    Each is :data:`dashboards.ensembles.EFFECT_SEEDS` runs.
    """
    return [run_ensemble(run.settings, EFFECT_SEEDS, "as it is"),
            *(run_ensemble(run.settings.with_changes(step.changes), EFFECT_SEEDS, step.label)
              for step in steps)]


# -- Diamond 9 -----------------------------------------------------------------------------------

def check_diamond(rows: list[int | None]) -> list[list[int]]:
    """The statements of each diamond row, most important first, from each statement's row.

    ``rows[i]`` is statement i's row (1 = top ... 5 = bottom) or None if not placed yet. Raises
    InputError saying which row is over- or under-filled.
    """
    if len(rows) != sum(DIAMOND_ROWS):
        raise InputError(f"diamond: rank all {sum(DIAMOND_ROWS)} statements (got {len(rows)})")
    placed: list[list[int]] = [[] for _ in DIAMOND_ROWS]
    for i, row in enumerate(rows):
        if row is None:
            raise InputError(f"diamond: statement {i + 1} has no place yet; every statement "
                             f"needs a row from 1 (top) to {len(DIAMOND_ROWS)} (bottom)")
        if not 1 <= row <= len(DIAMOND_ROWS):
            raise InputError(f"diamond: statement {i + 1}: row must be 1 to "
                             f"{len(DIAMOND_ROWS)} (got {row})")
        placed[row - 1].append(i)
    for r, (want, got) in enumerate(zip(DIAMOND_ROWS, placed, strict=True), start=1):
        if len(got) != want:
            raise InputError(f"diamond: row {r} needs {want} statement{'s' * (want > 1)} "
                             f"(it has {len(got)}); the rows hold 1, 2, 3, 2 and 1")
    return placed


def top_three(rows: list[int | None]) -> list[int]:
    """The statements in the top two rows of a valid diamond (the top one first)."""
    placed = check_diamond(rows)
    return placed[0] + placed[1]


def diamond_effects(run: LessonRun, rows: list[int | None]) -> list[Effect]:
    """The effect of each top-three statement made true for every authority, on its own."""
    statements = curriculum().statement
    return [effect(run.settings, statements[i].test,
                   f"\u201c{statements[i].text.rstrip('.')}\u201d made true for every authority",
                   run.where.region, run.lesson.approach) for i in top_three(rows)]


def diamond_html(texts: list[str], rows: list[int | None]) -> str:
    """The diamond as HTML: rows of 1, 2, 3, 2 and 1 boxes, each with its statement or empty."""
    placed: list[list[int]] = [[] for _ in DIAMOND_ROWS]
    for i, row in enumerate(rows):
        if row is not None and 1 <= row <= len(DIAMOND_ROWS):
            placed[row - 1].append(i)
    html = []
    for r, want in enumerate(DIAMOND_ROWS):
        boxes = []
        for j in range(max(want, len(placed[r]))):
            over = j >= want
            text = (f"{placed[r][j] + 1}. {texts[placed[r][j]]}" if j < len(placed[r]) else "")
            boxes.append(
                f'<div style="width:150px;min-height:62px;border:2px solid '
                f'{"#b5473c" if over else "#2a788e"};border-radius:6px;padding:4px;'
                f'font-size:12.5px;background:{"#fdecea" if over else "#f4f8fb"}">{text}</div>')
        html.append('<div style="display:flex;justify-content:center;gap:6px;margin:4px 0">'
                    + "".join(boxes) + "</div>")
    return ('<div class="innovate-diamond" aria-label="Diamond 9">'
            '<div style="text-align:center;font-weight:600">most important</div>'
            + "".join(html) +
            '<div style="text-align:center;font-weight:600">least important</div></div>')


# -- words for the class -------------------------------------------------------------------------

# Reasons the model draws by chance (shocks): in a story about a real, named council they are
# marked as simulated, so nobody reads them as that council's record.
SIMULATED_REASONS: dict[str, str] = {
    "Ofsted inadequate judgement: compliance focus":
        "a simulated Ofsted inadequate judgement in this run, not a real one: compliance focus",
    "change of director": "a simulated change of director in this run",
    "change of director: went back a stage":
        "a simulated change of director in this run: went back a stage",
    "workforce crisis": "a simulated workforce crisis in this run",
}
SIMULATED_NOTE = ("Events marked \u201csimulated\u201d are drawn by chance in this run, not "
                  "{name}'s real record.")


def marked_reason(reason: str) -> str:
    """A reason as a class should read it: chance shocks say they are simulated in this run."""
    return SIMULATED_REASONS.get(reason, reason)


def marked_story(frame: pd.DataFrame) -> pd.DataFrame:
    """A story (:func:`dashboards.frames.story`) with its simulated shocks marked as such."""
    return frame.assign(reason=[marked_reason(str(r)) for r in frame["reason"]])


def workforce_note(config) -> str:
    """Why the workforce line jumps, in words taken from the run's settings (``config``)."""
    c = config.conditions
    cut = ("halves workforce capacity" if c.leadership_factor == 0.5 else
           f"cuts workforce capacity to {100 * c.leadership_factor:.0f}%")
    span = "a year" if c.leadership_window == 1 else f"{c.leadership_window:g} years"
    return (f"The workforce line drops when a new director arrives: the model {cut} for "
            f"{span}. Its small yearly steps follow real turnover, vacancy and agency figures.")


def authorities_words(value: float, signed: bool = True) -> str:
    """An average number of authorities in whole numbers, as Teach mode says it everywhere.

    The rule: authorities are counted whole. An average is rounded and said with "about"
    ("about 14 fewer", "about 5"); under a half, "less than 1 more" or "less than 1"; a whole
    number stays exact ("2 more"); nothing at all is "no change" (or "none"). With ``signed``
    False the value is a count, not a difference.
    """
    size = abs(value)
    exact = abs(size - round(size)) < 1e-9
    if size < 0.05:
        return "no change" if signed else "none"
    if size < 0.5:
        number = "less than 1"
    else:
        number = f"{'' if exact else 'about '}{round(size)}"
    return f"{number} {'more' if value > 0 else 'fewer'}" if signed else number


def effect_sentence(found: Effect) -> str:
    """A paired-run effect in plain words, counting whole authorities (:func:`authorities_words`).

    For example 'With a weaker case: in 2030, on average about 1 fewer of the 15 authorities in
    the South West are at Integrating or beyond with Contextual Safeguarding (about 5 without
    the change; in 18 of 20 runs the difference was between 3 fewer and no change), and about
    14 fewer across the UK (between 20 fewer and 9 fewer).'
    """
    mean_r, low_r, high_r = found.difference(0)
    mean_uk, low_uk, high_uk = found.difference(1)
    doing = {"engaged": "engaged with", "implementing": "at Developing or beyond with",
             "integrating": "at Integrating or beyond with"}[found.measure]
    runs = len(found.base)
    return (f"With {found.label}: in {found.year:.0f}, on average "
            f"{authorities_words(mean_r)} of the {found.region_size} authorities in "
            f"{region_words(found.region)} are {doing} "
            f"{APPROACH_NAMES[found.approach]} ("
            f"{authorities_words(found.base[:, 0].mean(), signed=False)} without the change; in "
            f"{runs_in_band(runs)} of {runs} runs the difference was "
            f"{range_words(low_r, high_r)}{_unclear(low_r, high_r)}), and "
            f"{authorities_words(mean_uk)} across the UK ({range_words(low_uk, high_uk)}"
            f"{_unclear(low_uk, high_uk)}).")


def range_words(low: float, high: float) -> str:
    """A 90% range of a difference in whole authorities: 'between 3 fewer and no change'."""
    low_words, high_words = authorities_words(low), authorities_words(high)
    return low_words if low_words == high_words else f"between {low_words} and {high_words}"


def _unclear(low: float, high: float) -> str:
    return "; too small to tell apart from chance" if low < 0 < high else ""


# -- the region's map ----------------------------------------------------------------------------

def _path_points(d: str) -> np.ndarray:
    """The points of an SVG path of :func:`dashboards.map_data.map_geometry` ('M x y l dx dy')."""
    points = []
    for ring in d.split("M")[1:]:
        start, _, moves = ring.rstrip("z").partition("l")
        xy = np.array(start.split(), float)
        steps = np.array(moves.replace("z", " ").split(), float).reshape(-1, 2)
        points.append(np.vstack([xy, xy + np.cumsum(steps, axis=0)]))
    return np.concatenate(points) if points else np.zeros((0, 2))


@functools.cache
def region_view_box(region: str, margin: float = 0.06) -> tuple[float, float, float, float]:
    """The map's view box (x, y, width, height) around every authority of ``region``.

    Teach mode's Spreading step draws the region this way, so the whole of it (the South West
    down to Cornwall) fits on the screen beside its chart. ``margin`` is a share of the box.
    """
    from dashboards.map_data import map_geometry

    authorities = load_uk().authorities
    ids = set(authorities.loc[authorities["region_name"] == region, "agent_id"])
    if not ids:
        raise InputError(f"region: unknown region {region!r}")
    points = np.concatenate([_path_points(s["d"]) for s in map_geometry()["shapes"]
                             if s["id"] in ids])
    low, high = points.min(axis=0), points.max(axis=0)
    pad = (high - low).max() * margin
    return (float(low[0] - pad), float(low[1] - pad), float(high[0] - low[0] + 2 * pad),
            float(high[1] - low[1] + 2 * pad))


@functools.cache
def region_geometry_json(region: str) -> str:
    """The map's geometry (:func:`dashboards.map_data.map_geometry`) framed on one region.

    The London inset is left out: the region fills the view.
    """
    import json

    from dashboards.map_data import map_geometry

    box = region_view_box(region)
    return json.dumps({**map_geometry(), "inset": [],
                       "view_box": " ".join(f"{v:.0f}" for v in box)}, separators=(",", ":"))
