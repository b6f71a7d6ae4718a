"""The teaching content (``lessons.toml``) and what each lesson reads from the model.

A lesson is a sequence of steps that a trainer clicks through in the dashboard's Teach mode
(``dashboards.teach``); its link is ``/?lesson=<id>``. The content (the six stages with their
key questions, the five conditions, the nine Diamond 9 statements, the lessons) lives in
``lessons.toml`` and is validated here. The functions below are pure: they take a finished run
or settings and return plain Python, so the page, the handouts (``dashboards.handout``) and the
tests share them.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from dashboards.compare import run_counts
from dashboards.session import Session
from dashboards.settings import Settings
from sim.config import preset_names
from sim.data import load_uk
from sim.errors import InputError
from sim.io import read_toml
from sim.output.results import RunResult
from sim.vocabulary import APPROACHES, CONDITIONS, MEASURES, STAGES

LESSONS_FILE = Path(__file__).with_name("lessons.toml")
DIAMOND_ROWS: tuple[int, ...] = (1, 2, 3, 2, 1)     # statements per row, most important first
EFFECT_SEEDS = 20                                  # paired runs behind every "what if" answer
EFFECT_YEAR = 2030.0
BAND = (5.0, 95.0)
Changes = dict[str, float | int | bool | str]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Stage(_Strict):
    """One stage of the innovation journey: its activities and key questions."""

    name: str
    activities: list[str] = Field(min_length=1)
    summary: str
    questions: list[str] = Field(min_length=1)
    model: str


class Condition(_Strict):
    """One of the five conditions, and the changes a learner can try."""

    key: Literal[CONDITIONS]  # type: ignore[valid-type]
    name: str
    plain: str
    model: str
    stronger_words: str
    weaker_words: str
    stronger: Changes
    weaker: Changes


class Statement(_Strict):
    """A Diamond 9 statement about a service, its condition, and how the model tests it."""

    text: str
    condition: Literal[CONDITIONS]  # type: ignore[valid-type]
    test: Changes


class Step(_Strict):
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


class Lesson(_Strict):
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


class Curriculum(_Strict):
    """Everything in ``lessons.toml``."""

    stage: list[Stage] = Field(min_length=6, max_length=6)
    condition: list[Condition] = Field(min_length=5, max_length=5)
    statement: list[Statement] = Field(min_length=9, max_length=9)
    lesson: list[Lesson] = Field(min_length=1)

    @model_validator(mode="after")
    def _check(self) -> Curriculum:
        if [s.name for s in self.stage] != list(STAGES[1:]):
            raise ValueError(f"stage: the six stages in order: {', '.join(STAGES[1:])}")
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
    """Read and check a lessons file (InputError naming the field if it is wrong)."""
    _, data = read_toml(path)
    try:
        curriculum = Curriculum.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise InputError(f"{path.name}: {where}: {first['msg']}") from None
    for item in [*curriculum.condition, *curriculum.statement]:
        for changes in ((item.stronger, item.weaker) if isinstance(item, Condition)
                        else (item.test,)):
            with_changes(Settings(), changes).config()     # every change is a valid parameter
    for lesson in curriculum.lesson:
        for step in lesson.steps:
            if step.changes:
                with_changes(lesson.settings(), step.changes).config()
    return curriculum


@functools.cache
def curriculum() -> Curriculum:
    """The shipped curriculum (``lessons.toml``), read once per process."""
    return load_curriculum()


# -- settings ------------------------------------------------------------------------------------

def with_changes(settings: Settings, changes: Changes) -> Settings:
    """``settings`` with ``changes`` (dotted model parameters) applied after everything else."""
    lines = [f"{key}={_text(value)}" for key, value in changes.items()]
    extra = "\n".join(line for line in [settings.extra, *lines] if line)
    return replace(settings, extra=extra)


def _text(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def lesson_link(lesson_id: str, base: str = "http://127.0.0.1:8765",
                authority: str | None = None) -> str:
    """The address that opens a lesson in Teach mode (``authority``: follow another one)."""
    link = f"{base.rstrip('/')}/?lesson={lesson_id}"
    return link if authority is None else f"{link}&authority={authority}"


def lesson_from_query(search: str) -> tuple[str | None, str | None]:
    """The lesson id and authority code in a query string (None for what is not named).

    For example ``lesson=stages&authority=E09000012``.
    """
    from urllib.parse import parse_qs

    query = parse_qs(search.lstrip("?"))
    return (query.get("lesson", [None])[0], query.get("authority", [None])[0])


def check_authority(agent_id: str) -> str:
    """``agent_id`` if it is one of the 212 authority codes, else InputError."""
    if agent_id not in set(load_uk().authorities["agent_id"]):
        raise InputError(f"authority: unknown authority code {agent_id!r}; use an ONS code "
                         f"such as E09000012 (Hackney)")
    return agent_id


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


def short_name(name: str) -> str:
    """An authority's name as people say it: 'Bristol, City of' -> 'Bristol'."""
    head, _, tail = name.partition(", ")
    return head if tail in ("City of", "County of") else name


def region_words(region: str) -> str:
    """A region as it reads in a sentence: 'the South West', 'London', 'Scotland'."""
    compass = ("North East", "North West", "South East", "South West", "East Midlands",
               "West Midlands", "East of England")
    return f"the {region}" if region in compass else region


def fill(text: str, lesson: Lesson, where: Place) -> str:
    """A step's text with the lesson's authority, region and approach filled in."""
    from dashboards.style import APPROACH_NAMES

    return text.format(authority=where.name, region=region_words(where.region),
                       approach=lesson.approach,
                       approach_name=f"{APPROACH_NAMES[lesson.approach]} ({lesson.approach})")


def journey_events(result: RunResult, agent_id: str, approach: str) -> pd.DataFrame:
    """Every event of one journey, in time order."""
    events = result.events
    mine = events[(events["agent_id"] == agent_id) & (events["approach"] == approach)]
    return mine.sort_values("time", kind="stable").reset_index(drop=True)


def stage_periods(times: np.ndarray, stage: np.ndarray, status: np.ndarray,
                  target: int) -> list[tuple[float, float, str]]:
    """Periods a journey spent at ``target``: (from, to, status at the start) per period.

    ``times`` are the step boundaries (start of the run, then the end of every step); ``stage``
    and ``status`` the journey after each boundary. A period still open at the end runs to the
    last boundary.
    """
    periods = []
    at = (stage == target) & (status != 2)
    k = 0
    while k < len(at):
        if at[k]:
            start = k
            while k < len(at) and at[k]:
                k += 1
            end = times[k] if k < len(times) else times[-1]
            periods.append((float(times[start]), float(end),
                            ("active", "paused", "ended")[int(status[start])]))
        else:
            k += 1
    return periods


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
    from sim.vocabulary import CONDITION_WORDS

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


def region_stage_counts(result: RunResult, region: str, approach: str) -> pd.DataFrame:
    """How many of a region's authorities are at each stage (not ended) at every step.

    Columns: time, stage (name), count.
    """
    regions = list(result.population.regions)
    counts = result.region_counts[:, regions.index(region), APPROACHES.index(approach)]
    alive = counts[:, :, :2].sum(axis=2)            # active + paused, by stage
    rows = [pd.DataFrame({"time": result.times, "stage": STAGES[s], "count": alive[:, s]})
            for s in range(1, len(STAGES))]
    return pd.concat(rows, ignore_index=True)


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


def lesson_run(lesson: Lesson, authority: str | None = None, seed: int | None = None
               ) -> LessonRun:
    """Run a lesson's scenario to the end, following ``authority`` (default: the lesson's)."""
    seed = lesson.seed if seed is None else seed
    session = Session(replace(lesson.settings(), seed=seed))
    session.run()
    result = session.results()
    return LessonRun(lesson=lesson, session=session, result=result,
                     where=place(result, authority or lesson.authority), seed=seed)


# -- what if: paired ensembles ------------------------------------------------------------------

@dataclass(frozen=True)
class Effect:
    """The effect of a change, from paired runs with the same seeds.

    Attributes:
        label: the change in words.
        approach, measure, year: what is counted (authorities at or beyond ``measure``, not
            ended, at ``year``).
        region: the region counted besides the UK.
        base, changed: counts per seed, shape (seeds, 2): the region, then the UK.
        region_size: authorities in the region.
    """

    label: str
    approach: str
    measure: str
    year: float
    region: str
    base: np.ndarray
    changed: np.ndarray
    region_size: int

    def difference(self, scope: int) -> tuple[float, float, float]:
        """Mean paired difference and its 5th and 95th percentiles (scope 0 region, 1 UK)."""
        diff = self.changed[:, scope] - self.base[:, scope]
        low, high = np.percentile(diff, BAND)
        return float(diff.mean()), float(low), float(high)

    def sentence(self) -> str:
        """The effect in plain words, for the region and for the UK."""
        from dashboards.style import APPROACH_NAMES

        mean_r, low_r, high_r = self.difference(0)
        mean_uk, low_uk, high_uk = self.difference(1)
        doing = {"engaged": "engaged with", "implementing": "at Developing or beyond with",
                 "integrating": "at Integrating or beyond with"}[self.measure]
        return (f"With {self.label}: in {self.year:.0f}, on average {_signed(mean_r)} of the "
                f"{self.region_size} authorities in {region_words(self.region)} are {doing} "
                f"{APPROACH_NAMES[self.approach]} ({self.base[:, 0].mean():.1f} without the "
                f"change; in {runs_in_band(len(self.base))} of {len(self.base)} runs the "
                f"difference was {_between(low_r, high_r)}"
                f"{_unclear(low_r, high_r)}), and {_signed(mean_uk)} across the UK "
                f"({_between(low_uk, high_uk)}{_unclear(low_uk, high_uk)}).")


def runs_in_band(runs: int) -> int:
    """How many of ``runs`` paired runs fall inside the band of :data:`BAND` (18 of 20)."""
    return round(runs * (BAND[1] - BAND[0]) / 100)


def _signed(value: float) -> str:
    if abs(value) < 0.05:
        return "no more and no fewer"
    return f"{abs(value):.1f} {'more' if value > 0 else 'fewer'}"


def _unclear(low: float, high: float) -> str:
    return "; too small to tell apart from chance" if low < 0 < high else ""


def difference_words(value: float) -> str:
    """A difference in authorities in words: '1.9 more', '0.3 fewer', 'no change'."""
    return "no change" if abs(value) < 0.05 else _signed(value)


def _between(low: float, high: float) -> str:
    if abs(high - low) < 0.05:
        return _signed(low)
    return f"between {difference_words(low)} and {difference_words(high)}"


def counts_at(settings: Settings, seeds: int, region: str, approach: str, measure: str,
              year: float) -> np.ndarray:
    """Authorities at or beyond ``measure`` (not ended) at ``year``, region and UK.

    One row per seed 0..seeds-1: shape (seeds, 2).
    """
    config = settings.config()
    a, first = APPROACHES.index(approach), MEASURES[measure]
    out = np.zeros((seeds, 2))
    for seed in range(seeds):
        times, alive, _, regions = run_counts(config, seed)
        k = int(np.searchsorted(times, year + 1e-9) - 1)
        if k < 0 or math.isnan(year):
            raise InputError(f"year: {year} is outside the run")
        by_region = alive[k, :, a, first:].sum(axis=1)
        out[seed] = by_region[regions.index(region)], by_region.sum()
    return out


def effect(settings: Settings, changes: Changes, label: str, region: str, approach: str,
           seeds: int = EFFECT_SEEDS, measure: str = "integrating", year: float = EFFECT_YEAR,
           base: np.ndarray | None = None) -> Effect:
    """What ``changes`` do to ``settings``, over ``seeds`` paired runs.

    Every run is kept (:func:`dashboards.compare.run_counts`), so the runs without the change
    are run once for all the changes tried. ``base`` (from :func:`counts_at`) may be given.
    """
    if base is None:
        base = counts_at(settings, seeds, region, approach, measure, year)
    changed = counts_at(with_changes(settings, changes), seeds, region, approach, measure, year)
    size = int((load_uk().authorities["region_name"] == region).sum())
    return Effect(label=label, approach=approach, measure=measure, year=year, region=region,
                  base=base, changed=changed, region_size=size)


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
