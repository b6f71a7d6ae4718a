"""How the matplotlib figures draw the observation model: one shape per kind, words per kind."""

from __future__ import annotations

import math
from types import SimpleNamespace

import matplotlib.colors as mcolors
import pandas as pd
import pytest

import sim
from sim.calibration.report import predictive_figure
from sim.output.plots import (
    adoption_figure,
    draw_observations,
    observation_handles,
    pyplot,
)
from sim.vocabulary import OBSERVATION_KEYS, OBSERVATION_KINDS, SCOPES

INF = math.inf
# What each kind must look like, spelled out here (not read from the code under test).
MARKERS = {"point": "o", "band": "s", "lower": "^", "upper": "v", "input": "D"}
RED = "#d62728"
ONE_OF_EACH = pd.DataFrame({
    "kind": ["point", "band", "lower", "upper", "input"],
    "time": [2018.0, 2019.0, 2020.0, 2021.0, 2017.5],
    "value": [20.0, 50.0, 55.0, 36.7, 10.0],
    "low": [20.0, 40.0, 55.0, -INF, 10.0],
    "high": [20.0, 60.0, INF, 36.7, INF],
})


def _markers(ax) -> dict[str, list]:
    """Kind -> the observation markers of that kind drawn on ``ax`` (by their gid)."""
    out: dict[str, list] = {}
    for line in ax.get_lines():
        gid = line.get_gid() or ""
        if gid.startswith("observation:"):
            out.setdefault(gid.split(":", 1)[1], []).append(line)
    return out


def _same(a, b) -> bool:
    return mcolors.to_rgba(a) == mcolors.to_rgba(b)


def test_each_kind_is_drawn_with_its_own_marker_where_its_bound_is():
    ax = pyplot().Figure().subplots()
    assert draw_observations(ax, ONE_OF_EACH, color=RED) == list(OBSERVATION_KINDS)
    drawn = {kind: lines[0] for kind, lines in _markers(ax).items()}
    assert {kind: line.get_marker() for kind, line in drawn.items()} == MARKERS
    # a bound sits at its bound, everything else at its value
    assert {kind: float(line.get_ydata()[0]) for kind, line in drawn.items()} == {
        "point": 20.0, "band": 50.0, "lower": 55.0, "upper": 36.7, "input": 10.0}
    # a count is filled, a band hollow, a seeded input grey (never the target's colour)
    assert _same(drawn["point"].get_markerfacecolor(), RED)
    assert _same(drawn["band"].get_markerfacecolor(), "white")
    assert not _same(drawn["input"].get_markerfacecolor(), RED)
    assert mcolors.to_rgb(drawn["input"].get_markerfacecolor())[0] == pytest.approx(
        mcolors.to_rgb(drawn["input"].get_markerfacecolor())[2])   # a grey
    # the band is a bar with caps from low to high
    caps = sorted(float(y) for line in ax.get_lines() if line.get_marker() == "_"
                  for y in line.get_ydata())
    assert caps == [40.0, 60.0]
    # "at least" has an arrow up from its bound, "at most" an arrow down
    arrows = {round(a.xy[1], 3): a.xyann[1] for a in ax.texts}
    assert set(arrows) == {55.0, 36.7}
    assert arrows[55.0] > 0 > arrows[36.7]


def test_the_legend_has_one_entry_per_kind_present_in_plain_words():
    ax = pyplot().Figure().subplots()
    kinds = draw_observations(ax, ONE_OF_EACH.iloc[[3, 2, 3]], color=RED)
    assert kinds == ["lower", "upper"]
    handles = observation_handles(kinds)
    assert [h.get_label() for h in handles] == ["at least (published)", "at most (published)"]
    assert [h.get_marker() for h in handles] == ["^", "v"]
    every = observation_handles(OBSERVATION_KINDS)
    assert [h.get_label() for h in every] == [OBSERVATION_KEYS[k] for k in OBSERVATION_KINDS]
    band = every[1]                         # a bar with caps and a hollow square
    assert band.has_yerr and band.lines[0].get_marker() == "s"
    assert [h.get_marker() for h in every if hasattr(h, "get_marker")] == ["o", "^", "v", "D"]


def test_a_word_that_is_not_a_kind_is_drawn_as_a_count():
    ax = pyplot().Figure().subplots()
    rows = ONE_OF_EACH.iloc[[0]].assign(kind="synthetic")
    assert draw_observations(ax, rows, color=RED, x=[-1]) == ["point"]
    (line,) = _markers(ax)["point"]
    assert line.get_marker() == "o" and list(line.get_xdata()) == [-1]


def test_the_adoption_chart_draws_every_observation_by_its_kind():
    result = sim.run("historical", seed=1)
    fig = adoption_figure(result)
    observed = result.observed
    observed = observed[observed["scope"].isin(list(SCOPES))]   # one journey is not a count
    for ax, approach in zip(fig.axes, ("CS", "TIP", "TS"), strict=True):
        mine = observed[observed["approach"] == approach]
        drawn = _markers(ax)
        assert {k: len(v) for k, v in drawn.items()} == mine["kind"].value_counts().to_dict()
        assert {k: v[0].get_marker() for k, v in drawn.items()} == {
            k: MARKERS[k] for k in set(mine["kind"])}
        labels = [t.get_text() for t in ax.get_legend().get_texts()]
        assert [w for w in labels if w in OBSERVATION_KEYS.values()] == [
            OBSERVATION_KEYS[k] for k in OBSERVATION_KINDS if k in set(mine["kind"])]
        assert not any("prior" in w or "observed" in w for w in labels)


def test_the_posterior_predictive_figure_draws_each_observation_by_its_kind():
    rows = []
    for row in ONE_OF_EACH.itertuples():
        rows.append({"metric": f"m_{row.kind}", "fitted": row.kind != "input",
                     "observed": row.value, "low": row.low, "high": row.high, "kind": row.kind,
                     **{f"{label}_{q}": row.value + d for label in ("before", "predictive",
                                                                    "after")
                        for q, d in (("median", 0.0), ("q05", -5.0), ("q95", 5.0))}})
    calibration = SimpleNamespace(name="test", scenario="historical", synthetic=None,
                                  predictive=SimpleNamespace(seeds=2, draws=3))
    fig = predictive_figure(pd.DataFrame(rows), calibration)
    panels = fig.axes[:len(rows)]
    for ax, kind in zip(panels, ONE_OF_EACH["kind"], strict=True):
        (line,) = _markers(ax)[kind]
        assert line.get_marker() == MARKERS[kind] and list(line.get_xdata()) == [-1]
        assert [t.get_text() for t in ax.get_xticklabels()][0] == "published"
    labels = [t.get_text() for t in panels[0].get_legend().get_texts()]
    assert labels[-5:] == [OBSERVATION_KEYS[k] for k in OBSERVATION_KINDS]
