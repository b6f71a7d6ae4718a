"""A calibration's posterior beside its preset: the file, the draws per seed, a draw's config."""

from __future__ import annotations

import hashlib
import shutil

import numpy as np
import pytest
from helpers import ROOT
from scipy import stats

import sim
from sim.calibration.spec import configure, current_value
from sim.config import load_config, loading
from sim.config.posterior import (
    DRAW_TAG,
    SUFFIX,
    config_for_draw,
    has_posterior,
    load_posterior,
    parameter_value,
    posterior_draws,
    posterior_path,
    posterior_text,
    write_posterior,
)

WEIGHTS = [0.1, 0.2, 0.3, 0.4]


def package_event() -> str:
    """Id of a 'package' event of the historical preset (its value is a multiplier, 1-10)."""
    return next(e.id for e in load_config("historical").events if e.kind == "package")


def keys() -> list[str]:
    """Three kinds of key: an approach's, an event's by id, a network weight."""
    return ["approaches.CS.p0", f"events.{package_event()}.value", "network.weights.learning"]


VALUES = [[0.01, 3.0, 0.5], [0.03, 6.0, 1.0], [0.05, 9.0, 1.5], [0.07, 2.0, 0.2]]


def csv_text(rows: list[list] | None = None, header: list[str] | None = None) -> str:
    """A small posterior, written by hand (not by the writer under test)."""
    header = header or ["draw", "weight", *keys()]
    rows = rows if rows is not None else [[i, w, *v] for i, (w, v) in
                                          enumerate(zip(WEIGHTS, VALUES, strict=True))]
    return "\n".join(",".join(str(c) for c in row) for row in [header, *rows]) + "\n"


@pytest.fixture
def preset(tmp_path):
    """A calibrated preset (extends historical) with its posterior beside it."""
    path = tmp_path / "calibrated.toml"
    path.write_text('extends = "historical"\nname = "calibrated"\n', encoding="utf-8")
    (tmp_path / f"calibrated{SUFFIX}").write_text(csv_text(), encoding="utf-8")
    return path


def test_the_posterior_is_found_beside_its_preset_and_read_in_full(preset):
    posterior = load_posterior(preset)
    assert posterior.path == preset.with_name("calibrated.posterior.csv")
    assert posterior.name == "calibrated" and posterior.size == 4
    assert posterior.keys == tuple(keys())
    assert np.array_equal(posterior.values, np.array(VALUES))
    assert np.allclose(posterior.weights, WEIGHTS) and posterior.weights.sum() == pytest.approx(1)
    assert posterior.sha256 == hashlib.sha256(posterior.path.read_bytes()).hexdigest()
    assert posterior.parameters(2) == dict(zip(keys(), VALUES[2], strict=True))
    assert load_posterior(posterior.path).sha256 == posterior.sha256      # the .csv itself
    assert has_posterior(preset) and not has_posterior("historical")


def test_a_preset_name_is_looked_up_where_presets_are(preset, tmp_path, monkeypatch):
    for name in ("defaults.toml", "historical.toml"):
        shutil.copy(ROOT / "configs" / name, tmp_path / name)
    monkeypatch.setattr(loading, "presets_dir", lambda: tmp_path)
    assert posterior_path("calibrated") == tmp_path / "calibrated.posterior.csv"
    assert load_posterior("calibrated").keys == tuple(keys())


def test_a_preset_without_posterior_says_how_to_make_one():
    with pytest.raises(sim.InputError) as error:
        load_posterior("historical", field="--posterior")
    message = str(error.value)
    assert message.startswith("--posterior: preset 'historical' has no posterior (")
    assert "historical.posterior.csv not found" in message and "innovate calibrate" in message
    assert "\n" not in message


def test_an_unknown_preset_names_the_field():
    with pytest.raises(sim.InputError, match=r"^--posterior: unknown scenario 'nope'; choose"):
        load_posterior("nope", field="--posterior")


@pytest.mark.parametrize(("change", "fragment"), [
    (lambda rows, head: rows[1].__setitem__(2, ""),
     "line 3, column approaches.CS.p0: missing or not a finite number (got '')"),
    (lambda rows, head: rows[2].__setitem__(4, "nan"),
     "line 4, column network.weights.learning: missing or not a finite number (got 'nan')"),
    (lambda rows, head: rows[0].__setitem__(1, "0"),
     "line 2, column weight: must be a positive number (got '0')"),
    (lambda rows, head: rows[3].__setitem__(1, "-0.4"),
     "line 5, column weight: must be a positive number (got '-0.4')"),
    (lambda rows, head: rows[1].__setitem__(0, "7"),
     "line 3, column draw: expected 1 (draws are numbered 0 to N-1 in order), got '7'"),
    (lambda rows, head: rows[1].pop(),
     "line 3: 4 values; the header has 5 columns"),
    (lambda rows, head: head.__setitem__(2, "approaches.CS.nope"),
     "column 'approaches.CS.nope': not a settable parameter of scenario 'calibrated'; "
     "allowed: a real-valued key"),
    (lambda rows, head: head.__setitem__(2, "mechanisms.macro"),
     "column 'mechanisms.macro': not a settable parameter"),
    (lambda rows, head: head.__setitem__(2, "events.no-such-event.value"),
     "column 'events.no-such-event.value': not a settable parameter"),
    (lambda rows, head: rows[2].__setitem__(2, "-0.05"),
     "column approaches.CS.p0: -0.05 (draw 2) is not a valid model value"),
    (lambda rows, head: head.__setitem__(0, "particle"),
     "line 1: the header must be draw,weight then one column per parameter key"),
    (lambda rows, head: head.__setitem__(4, "approaches.CS.p0"),
     "column 'approaches.CS.p0': listed twice"),
    (lambda rows, head: rows.clear(), "no draws"),
])
def test_a_bad_posterior_file_is_one_line_naming_the_field(preset, change, fragment):
    header = ["draw", "weight", *keys()]
    rows = [[i, w, *v] for i, (w, v) in enumerate(zip(WEIGHTS, VALUES, strict=True))]
    rows = [[str(c) for c in row] for row in rows]
    change(rows, header)
    path = preset.with_name(f"calibrated{SUFFIX}")
    path.write_text(csv_text(rows, header), encoding="utf-8")
    with pytest.raises(sim.InputError) as error:
        load_posterior(preset)
    message = str(error.value)
    assert message.startswith(f"{path}: ") and fragment in message, message
    assert "\n" not in message and "Traceback" not in message


def test_draws_depend_on_the_seed_alone(preset):
    posterior = load_posterior(preset)
    seeds = [0, 1, 2, 3, 2**63 - 1, 123456789]
    draws = posterior_draws(posterior, seeds)
    assert draws == posterior_draws(posterior, seeds)
    assert draws == [posterior_draws(posterior, [s])[0] for s in seeds]
    assert posterior_draws(posterior, seeds[::-1]) == draws[::-1]
    expected = [int(np.searchsorted(np.cumsum(WEIGHTS), np.random.default_rng(
        np.random.SeedSequence((DRAW_TAG, s))).random(), side="right")) for s in seeds]
    assert draws == expected
    with pytest.raises(sim.InputError, match="seed: must be a whole number"):
        posterior_draws(posterior, [-1])


def test_draw_frequencies_follow_the_weights(preset):
    """4000 seeds: the counts of each draw against the weights, Pearson's chi-square with
    3 degrees of freedom below its 0.9999 quantile (21.1), and each count within four
    binomial standard deviations."""
    posterior = load_posterior(preset)
    n = 4000
    counts = np.bincount(posterior_draws(posterior, range(n)), minlength=4)
    expected = n * np.array(WEIGHTS)
    chi_square = float(((counts - expected) ** 2 / expected).sum())
    assert chi_square < stats.chi2.ppf(0.9999, df=len(WEIGHTS) - 1), (counts, chi_square)
    sd = np.sqrt(n * np.array(WEIGHTS) * (1 - np.array(WEIGHTS)))
    assert (np.abs(counts - expected) < 4 * sd).all(), counts


def test_a_draw_sets_its_values_as_the_calibration_does(preset):
    posterior = load_posterior(preset)
    base = load_config(preset)
    config = config_for_draw(base, posterior, 2)
    event = next(e for e in config.events if e.id == package_event())
    assert config.approaches["CS"].p0 == 0.05 and event.value == 9.0
    assert config.network.weights.learning == 1.5
    assert config == configure(base.model_dump(mode="python"), posterior.parameters(2))
    others = config.model_dump(mode="json")
    before = base.model_dump(mode="json")
    others["approaches"]["CS"]["p0"] = before["approaches"]["CS"]["p0"]
    others["network"]["weights"]["learning"] = before["network"]["weights"]["learning"]
    others["events"] = before["events"]
    assert others == before, "nothing but the posterior's keys changes"


def test_keys_the_run_sets_itself_keep_their_value(preset):
    posterior = load_posterior(preset)
    base = load_config(preset, {"approaches.CS.p0": 0.5})
    config = config_for_draw(base, posterior, 1, keep=["approaches.CS.p0"])
    assert config.approaches["CS"].p0 == 0.5
    assert config.network.weights.learning == 1.0
    whole_table = config_for_draw(base, posterior, 1, keep=["network.weights"])
    assert whole_table.network.weights.learning == base.network.weights.learning


def test_settable_keys_are_exactly_the_keys_a_calibration_can_fit():
    config = load_config("historical")
    candidates = [*keys(), "approaches.TS.speed", "levers.austerity_cut", "population.size",
                  "mechanisms.macro", "approaches.CS", "events.covid", "events.nope.value",
                  f"events.{package_event()}.nations", f"events.{package_event()}.date",
                  "network.kind", "time.end", "nothing.at.all"]
    for key in candidates:
        assert parameter_value(config, key) == current_value(config, key), key
    assert parameter_value(config, "approaches.CS.p0") is not None
    assert parameter_value(config, "population.size") is None


def test_the_writer_keeps_full_precision_and_normalises_weights(tmp_path):
    values = np.array([[1 / 3, 1 + 2 / 3, 0.1 + 0.2], [np.pi / 100, 7.000000000000001, 0.5]])
    path = write_posterior(tmp_path / f"x{SUFFIX}", keys(), values, np.array([3.0, 1.0]))
    lines = path.read_text().splitlines()
    assert lines[0] == "draw,weight," + ",".join(keys())
    assert lines[1] == "0,0.75,0.3333333333333333,1.6666666666666665,0.30000000000000004"
    posterior = load_posterior(path, load_config("historical"))
    assert np.array_equal(posterior.values, values)
    assert list(posterior.weights) == [0.75, 0.25]
    assert posterior_text(keys(), values, np.array([0.75, 0.25])) == path.read_text()
    assert not list(tmp_path.glob(".*.tmp")), "written through a temporary file"
