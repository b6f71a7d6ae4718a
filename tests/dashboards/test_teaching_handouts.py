"""Teaching handouts and lesson plans: each handout is built from its lesson's own run, prints
to exactly one A4 page, and the shipped copies in docs/teaching/ match the generator."""

from __future__ import annotations

import html
import io
import re
from pathlib import Path

import numpy as np
import pytest

import sim
from dashboards.ensembles import counts_at, difference_words, effect
from dashboards.frames import journey_events, story, story_lines
from dashboards.style import quarter_label, short_name
from dashboards.teaching.handout import (
    EFFECT_YEARS,
    MEASURE,
    _whole,
    chromium,
    handout_html,
    page_png,
    pdf_pages,
    reproduce_command,
    write_handouts,
)
from dashboards.teaching.lessons import (
    DIAMOND_ROWS,
    condition_tally,
    curriculum,
    first_starters,
    lesson_link,
    marked_story,
    peers,
    place,
)
from sim.cli import main
from sim.data import ATTRIBUTION

ROOT = Path(__file__).resolve().parents[2]
TEACHING = ROOT / "docs" / "teaching"
PLANS = {"stages": "01-stages.md", "conditions": "02-conditions.md",
         "spreading": "03-spreading.md", "policy": "04-policy.md"}
IMAGE = re.compile(r"data:image/png;base64,[A-Za-z0-9+/=]+")


@pytest.fixture(scope="module")
def written(tmp_path_factory, chromium_path) -> dict[str, Path]:
    """Every handout written once, with its PDF: {file name: path}."""
    out = tmp_path_factory.mktemp("handouts")
    paths = write_handouts(out, pdf=True)
    return {path.name: path for path in paths}


@pytest.fixture(scope="module")
def runs() -> dict[str, tuple]:
    """Each lesson's own run and its place: {id: (lesson, result, place)}."""
    out = {}
    for lesson in curriculum().lessons:
        result = sim.InnovationModel(config=lesson.settings().config(), seed=lesson.seed).run()
        out[lesson.id] = (lesson, result, place(result, lesson.authority))
    return out


def page(written: dict[str, Path], lesson_id: str) -> str:
    return written[f"{lesson_id}.html"].read_text(encoding="utf-8")


def text(page_html: str) -> str:
    """The page's words: tags removed, entities decoded, spaces collapsed."""
    words = html.unescape(re.sub(r"<[^>]+>", " ", IMAGE.sub("", page_html)))
    return " ".join(words.split())


def row_of(page_html: str, first_cell: str) -> str:
    """The text of the table row whose first cell contains ``first_cell``."""
    rows = [text(r.split("</tr>")[0]) for r in page_html.split("<tr>")[1:]]
    hits = [r for r in rows if r.startswith(first_cell)]
    assert hits, f"no table row starts with {first_cell!r}"
    return hits[0]


# -- every handout -------------------------------------------------------------------------------

@pytest.mark.parametrize("lesson_id", list(PLANS))
def test_each_handout_has_its_title_outcomes_link_warning_command_and_attribution(
        written, lesson_id):
    lesson = curriculum().lesson_by_id(lesson_id)
    raw = page(written, lesson_id)
    words = text(raw)
    assert lesson.title in words and f"{lesson.minutes} minutes" in words
    for outcome in lesson.outcomes:
        assert outcome in words, outcome
    assert lesson_link(lesson_id) in words and f'href="{lesson_link(lesson_id)}"' in raw
    assert "This is a simulation, not evidence about any real authority" in words
    assert reproduce_command(lesson) in words
    assert ATTRIBUTION in words
    # self-contained and sized for A4: no external assets, no scripts
    assert "@page { size: A4" in raw and "@media print" in raw
    assert not re.search(r"""(src|href)="(?!data:|http://127\.0\.0\.1)""", raw)
    assert "<script" not in raw and "<link" not in raw
    assert IMAGE.search(raw), "charts are embedded as base64 PNG"
    # practitioners' words are explained
    assert "Extra-familial harm:" in words and "the run's number (its seed" in words


def test_stages_handout_lists_the_stages_and_tells_the_authoritys_story_from_its_run(
        written, runs):
    lesson, result, where = runs["stages"]
    words = text(page(written, "stages"))
    for stage in curriculum().stage:
        assert stage.name in words and ", ".join(stage.activities) in words
        for question in stage.questions:
            assert question in words, question
    lines = story_lines(marked_story(story(result, where.agent_id, lesson.approach)))
    assert len(lines) >= 3
    for line in lines:
        assert line in words, line


def test_conditions_handout_tallies_the_run_and_has_a_blank_diamond_and_the_statements(
        written, runs):
    lesson, result, where = runs["conditions"]
    raw = page(written, "conditions")
    tally = condition_tally(journey_events(result, where.agent_id, lesson.approach))
    assert sum(tally["forward"].values()) + sum(tally["back"].values()) > 0
    for condition in curriculum().condition:
        counts = [f"{n} time{'s' * (n != 1)}" if n else "-"
                  for n in (tally["forward"][condition.key], tally["back"][condition.key])]
        assert row_of(raw, condition.name) == " ".join([condition.name, condition.plain,
                                                        *counts])
    assert raw.count("<div class=dbox></div>") == sum(DIAMOND_ROWS) == 9
    rows = re.findall(r"<div class=drow>((?:<div class=dbox></div>)+)</div>", raw)
    assert [r.count("dbox") for r in rows] == list(DIAMOND_ROWS)
    words = text(raw)
    for statement in curriculum().statement:
        assert statement.text in words, statement.text


def test_spreading_handout_has_the_regions_first_starters_ties_and_the_effect_of_no_ties(
        written, runs):
    lesson, result, where = runs["spreading"]
    raw = page(written, "spreading")
    words = text(raw)
    starters = first_starters(result, lesson.approach, where)
    assert len(starters)
    for t, name in zip(starters["time"], starters["name"], strict=True):
        assert f"{quarter_label(t)} {short_name(name)}" in words
    for name in peers(where.index)["borders"]:
        assert short_name(name) in words
    step = next(s for s in lesson.steps if s.view == "compare")
    found = effect(lesson.settings(), step.changes, step.label, where.region, lesson.approach,
                   measure=MEASURE, year=EFFECT_YEARS[0])
    cells = row_of(raw, "The South West")
    assert (f"{_whole(found.base[:, 0].mean(), False)} / "
            f"{_whole(found.changed[:, 0].mean(), False)}") in cells
    mean, low, high = found.difference(0)
    assert f"{_whole(mean)} {_whole(low)} to {_whole(high)}" in cells
    assert f"authorities {MEASURE}" in words


def test_policy_handout_has_both_changes_with_their_numbers_and_what_the_model_cannot_say(
        written, runs):
    lesson, _, where = runs["policy"]
    raw = page(written, "policy")
    words = text(raw)
    steps = [s for s in lesson.steps if s.view == "compare"]
    assert len(steps) == 2 and lesson.approach == "TS"
    base = counts_at(lesson.settings(), 20, where.region, lesson.approach, MEASURE,
                     EFFECT_YEARS[0])
    tables = raw.split('<table class="effect">')[1:]
    assert len(tables) == 2
    for step, table in zip(steps, tables, strict=True):
        assert step.title in words
        found = effect(lesson.settings(), step.changes, step.label, where.region,
                       lesson.approach, measure=MEASURE, year=EFFECT_YEARS[0], base=base)
        uk = row_of(table, "The UK")
        assert (f"{_whole(found.base[:, 1].mean(), False)} / "
                f"{_whole(found.changed[:, 1].mean(), False)}") in uk
        assert _whole(found.difference(1)[0]) in uk
    summary = next(s for s in lesson.steps if s.view == "summary")
    assert "It can" in words and "It cannot" in words
    assert "what would have to be true for this to happen here?" in words
    assert summary.title in words


def test_difference_words_reads_as_plain_english():
    assert difference_words(1.94) == "1.9 more"
    assert difference_words(-22.5) == "22.5 fewer"
    assert difference_words(0.01) == "no change"


# -- printing ------------------------------------------------------------------------------------

@pytest.mark.browser
@pytest.mark.parametrize("lesson_id", list(PLANS))
def test_each_handout_prints_to_exactly_one_a4_page(written, lesson_id):
    data = written[f"{lesson_id}.pdf"].read_bytes()
    assert data.startswith(b"%PDF")
    assert _pages(data) == pdf_pages(data) == 1
    box = re.search(rb"/MediaBox\s*\[0 0 ([\d.]+) ([\d.]+)\]", data)
    assert box and abs(float(box[1]) - 595.3) < 1 and abs(float(box[2]) - 841.9) < 1  # A4


def _pages(data: bytes) -> int:
    try:
        from pypdf import PdfReader
    except ImportError:
        return pdf_pages(data)
    return len(PdfReader(io.BytesIO(data)).pages)


@pytest.mark.browser
def test_a_screenshot_of_a_handout_is_not_blank(written):
    from PIL import Image

    with chromium() as browser:
        png = page_png(browser, page(written, "conditions"))
    picture = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))
    assert picture.shape[0] > picture.shape[1] > 700                   # an upright page
    assert len(np.unique(picture.reshape(-1, 3), axis=0)) > 200         # text, charts, colour
    assert (picture.sum(axis=2) < 200).mean() > 0.01                    # dark ink


# -- the command line ----------------------------------------------------------------------------

def test_innovate_handout_with_an_unknown_lesson_exits_2_with_one_line(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["handout", "stages", "nosuch", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unknown lesson 'nosuch'" in err and "stages" in err
    assert not out.exists()                     # nothing is written before every id is checked


def test_pdf_without_playwright_exits_2_with_one_line_before_writing(tmp_path, capsys,
                                                                     monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "playwright" else real(name, *a))
    out = tmp_path / "out"
    assert main(["handout", "stages", "--out", str(out), "--pdf"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--pdf: needs Playwright" in err
    assert not out.exists()


def test_innovate_handout_writes_one_lesson(tmp_path, capsys):
    assert main(["handout", "stages", "--out", str(tmp_path)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["stages.html"]
    assert "stages.html" in capsys.readouterr().out


# -- the shipped copies --------------------------------------------------------------------------

@pytest.mark.parametrize("lesson_id", list(PLANS))
def test_shipped_handouts_are_up_to_date(written, lesson_id):
    shipped = TEACHING / "handouts" / f"{lesson_id}.html"
    assert shipped.is_file()
    fresh = page(written, lesson_id)
    assert IMAGE.sub("IMG", shipped.read_text(encoding="utf-8")) == IMAGE.sub("IMG", fresh), \
        "regenerate with: python -m dashboards.teaching.handout"
    pdf = TEACHING / "handouts" / f"{lesson_id}.pdf"
    assert pdf.is_file() and pdf_pages(pdf.read_bytes()) == 1
    assert (TEACHING / "img" / f"handout-{lesson_id}.png").is_file()


def test_the_generator_is_deterministic():
    lesson = curriculum().lesson_by_id("stages")
    assert handout_html(lesson) == handout_html(lesson)


# -- lesson plans --------------------------------------------------------------------------------

@pytest.mark.parametrize("lesson_id", list(PLANS))
def test_each_lesson_plan_links_its_lesson_and_lists_its_outcomes(lesson_id):
    lesson = curriculum().lesson_by_id(lesson_id)
    plan = (TEACHING / PLANS[lesson_id]).read_text(encoding="utf-8")
    assert lesson.title in plan
    assert lesson_link(lesson_id) in plan
    assert f"handouts/{lesson_id}.pdf" in plan
    assert f"{lesson.minutes} minutes" in plan
    for outcome in lesson.outcomes:
        assert outcome in plan, outcome
    for step in lesson.steps:
        assert step.title in plan, step.title


def test_the_diamond_9_plan_has_every_statement():
    plan = (TEACHING / PLANS["conditions"]).read_text(encoding="utf-8")
    for statement in curriculum().statement:
        assert statement.text in plan, statement.text


def test_the_teaching_index_links_every_plan_and_how_to_print():
    index = (TEACHING / "README.md").read_text(encoding="utf-8")
    for lesson_id, name in PLANS.items():
        assert f"({name})" in index and lesson_link(lesson_id) in index
    assert "innovate dashboard" in index and "--host 0.0.0.0" in index
    assert "innovate handout --pdf" in index


# -- Teach mode fixes (issue 14, point 7) ----------------------------------------------------------

@pytest.mark.parametrize("lesson_id", list(PLANS))
def test_handouts_count_whole_authorities_and_mark_simulated_shocks(written, lesson_id):
    raw = page(written, lesson_id)
    words = text(raw)
    for table_html in raw.split('<table class="effect">')[1:]:
        cells = text(table_html.split("</table>")[0])
        assert not re.search(r"\d\.\d", cells), cells        # no 0.8 of an authority
    # a real council is named: every chance shock in its story says it is simulated
    words = words.replace("Events marked \u201csimulated\u201d are drawn by chance", "")
    for shock in ("Ofsted inadequate", "change of director", "workforce crisis"):
        for found in re.finditer(shock, words):
            near = words[max(found.start() - 40, 0):found.end() + 60]
            assert "simulated" in near, near
    if "journey with" in words:
        assert "by chance in this run, not" in text(raw)


def test_the_conditions_handout_explains_the_workforce_line(written):
    words = text(page(written, "conditions"))
    assert "drops when a new director arrives: the model halves workforce capacity for a " \
        "year." in words
