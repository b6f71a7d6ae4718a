"""Calibration: synthetic recovery, determinism across workers, bad input, the preset.

The recovery test is a reduced set-up of experiments/calibration-recovery.toml so that it runs in
about half a minute: two parameters (CS p0 and TS p0, each uniform on [0.002, 0.08]), four
patterns simulated at known values, 40 particles and 4 generations. The full check, with every
parameter of experiments/calibration.toml, is the documented run in experiments/README.md.

Tolerances. Each truth must lie inside its 90% posterior interval. Each interval must also be
narrower than a sampler that learns nothing would give: such a sampler returns the prior, and
the 90% interval estimated from 40 particles drawn from a uniform prior has a width ratio (to
the prior's own 90% interval) with a known distribution, from order statistics. The bound is
that distribution's 1% quantile, computed in the test from the sample size
(:func:`null_width_bound`), not a number chosen after a run.
"""

from __future__ import annotations

import math
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sim
from sim import cli
from sim.calibration.abc import PatternDistance, Simulator
from sim.calibration.report import weighted_quantile
from sim.calibration.run import calibrate
from sim.calibration.spec import configure, current_value, load_calibration
from sim.config import load_config, presets_dir
from sim.data import load_uk

ROOT = Path(__file__).resolve().parents[2]
TRUTH = {"approaches.CS.p0": 0.03, "approaches.TS.p0": 0.04}


def null_width_bound(particles: int, quantile: float = 0.01, trials: int = 20_000) -> float:
    """1% quantile of the width ratio of a 90% interval estimated from ``particles`` draws of
    the prior itself (equal weights): what a sampler that learns nothing would report."""
    rng = np.random.default_rng(20240101)
    draws = rng.uniform(size=(trials, particles))
    ones = np.ones(particles)
    ratios = [np.diff(weighted_quantile(row, ones, [0.05, 0.95]))[0] / 0.9 for row in draws]
    return float(np.quantile(ratios, quantile))


def experiment_text(*, population: int = 40, generations: int = 4, workers: int = 1,
                    seed: int = 11, draws: int = 20, seeds: int = 5, extra: str = "") -> str:
    return textwrap.dedent(f"""\
        name = "recovery-test"
        scenario = "historical"
        [overrides]
        "time.end" = 2024.25
        [synthetic]
        seed = 2718
        [synthetic.truth]
        "approaches.CS.p0" = {TRUTH["approaches.CS.p0"]}
        "approaches.TS.p0" = {TRUTH["approaches.TS.p0"]}
        [[parameters]]
        key = "approaches.CS.p0"
        low = 0.002
        high = 0.08
        [[parameters]]
        key = "approaches.TS.p0"
        low = 0.002
        high = 0.08
        [[patterns]]
        metric = "CS_engaged_EW_2018"
        scale = 3
        [[patterns]]
        metric = "CS_engaged_EW_2022"
        scale = 5
        [[patterns]]
        metric = "CS_engaged_EW_2023"
        scale = 5
        [[patterns]]
        metric = "TS_engaged_England_2023"
        scale = 5
        [abc]
        population_size = {population}
        generations = {generations}
        seed = {seed}
        workers = {workers}
        [predictive]
        draws = {draws}
        seeds = {seeds}
        """) + extra


def write(tmp_path: Path, text: str, name: str = "experiment.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_recovers_known_parameters_from_synthetic_data(tmp_path):
    experiment, base = load_calibration(write(tmp_path, experiment_text()))
    result = calibrate(experiment, base, tmp_path / "out", echo=None)
    recovery = result.recovery.set_index("parameter")
    bound = null_width_bound(40)
    assert 0.7 < bound < 0.95        # a prior-only interval from 40 draws is rarely narrower
    for key, truth in TRUTH.items():
        row = recovery.loc[key]
        assert row["truth"] == truth
        assert row["q05"] <= truth <= row["q95"], (key, row.to_dict())
        assert row["width_ratio"] < bound, (key, row.to_dict(), bound)
    # every output is there, and no temporary file is left behind
    names = {p.name for p in (tmp_path / "out").iterdir()}
    assert {"posterior.parquet", "posterior_summary.parquet", "generations.parquet",
            "fit.parquet", "recovery.parquet", "posterior_predictive.png", "abc.db",
            "summary.md", "manifest.json"} <= names
    assert not [n for n in names if n.startswith(".")], names
    posterior = pd.read_parquet(tmp_path / "out" / "posterior.parquet")
    assert len(posterior) == 40 and math.isclose(posterior["weight"].sum(), 1.0)
    assert (posterior["distance"] <= result.generations["epsilon"].iloc[-1] + 1e-12).all()
    assert not result.manifest.get("preset_installed")


def test_posterior_is_identical_with_one_or_two_workers(tmp_path):
    results = []
    for workers in (1, 2):
        path = write(tmp_path, experiment_text(population=12, generations=2, workers=workers,
                                               draws=6, seeds=2), f"w{workers}.toml")
        experiment, base = load_calibration(path)
        results.append(calibrate(experiment, base, tmp_path / f"w{workers}", echo=None))
    one, two = results
    pd.testing.assert_frame_equal(one.posterior, two.posterior, check_exact=True)
    pd.testing.assert_frame_equal(one.fit, two.fit, check_exact=True)
    pd.testing.assert_frame_equal(one.generations.drop(columns="wall_time_s"),
                                  two.generations.drop(columns="wall_time_s"), check_exact=True)
    assert one.preset == two.preset
    on_disk = [pd.read_parquet(tmp_path / f"w{w}" / "posterior.parquet") for w in (1, 2)]
    pd.testing.assert_frame_equal(*on_disk, check_exact=True)


def test_simulated_patterns_are_the_run_metrics():
    experiment, base = load_calibration(ROOT / "experiments" / "calibration.toml")
    simulator = Simulator(base, load_uk().observed)
    values = {"approaches.CS.p0": 0.03, "events.cs-toolkit.value": 3.0}
    got = simulator(values, 5)
    metrics = sim.run("historical", seed=5, **values).metrics
    assert got == {m: metrics[f"patterns.{m}"] for m in got}
    assert len(got) == len(load_uk().observed)


def test_distance_is_zero_in_the_allowed_region_and_one_sided_for_bounds():
    observed = load_uk().observed
    experiment, _ = load_calibration(ROOT / "experiments" / "calibration.toml")
    specs = {p.metric: p for p in experiment.patterns}
    band = PatternDistance([specs["TS_engaged_England_2023"]], observed)  # 30.6-61.2, scale 8
    assert band({"TS_engaged_England_2023": 45.0}) == 0.0
    assert band({"TS_engaged_England_2023": 22.6}) == pytest.approx(1.0)
    assert band({"TS_engaged_England_2023": 77.2}) == pytest.approx(2.0)
    assert band({"TS_engaged_England_2023": math.nan}) == math.inf
    lower = PatternDistance([specs["CS_engaged_EW_2018"]], observed)      # >= 30, scale 5
    assert lower({"CS_engaged_EW_2018": 150.0}) == 0.0
    assert lower({"CS_engaged_EW_2018": 25.0}) == pytest.approx(1.0)
    upper = PatternDistance([specs["CS_integrating_England_2022"]], observed)  # <= 36.72, 8
    assert upper({"CS_integrating_England_2022": 0.0}) == 0.0
    assert upper({"CS_integrating_England_2022": 44.72}) == pytest.approx(1.0)


def test_a_seeded_input_cannot_be_fitted_and_every_fitted_pattern_is_evidence():
    observed = load_uk().observed.set_index("metric")
    for name in ("calibration", "calibration-2019", "calibration-recovery"):
        experiment, _ = load_calibration(ROOT / "experiments" / f"{name}.toml")
        kinds = {observed.loc[p.metric, "kind"] for p in experiment.patterns}
        assert kinds <= {"point", "band", "lower", "upper"}, name
    # the out-of-sample fit sees only what was published by the end of 2019
    early, _ = load_calibration(ROOT / "experiments" / "calibration-2019.toml")
    assert all(observed.loc[p.metric, "time"] <= 2020.0 for p in early.patterns)


def test_weighted_quantile():
    x = np.array([3.0, 1.0, 2.0])
    assert weighted_quantile(x, np.ones(3), 0.5) == pytest.approx(2.0)
    assert weighted_quantile(x, np.array([0.0, 0.0, 1.0]), [0.05, 0.95]).tolist() == [2.0, 2.0]


def test_shipped_experiments_validate():
    for name in ("calibration", "calibration-2019", "calibration-recovery"):
        experiment, base = load_calibration(ROOT / "experiments" / f"{name}.toml")
        assert experiment.abc.workers >= 1 and base.name == "historical"


def test_shipped_preset_sets_the_posterior_medians_of_the_experiment():
    experiment, _ = load_calibration(ROOT / "experiments" / "calibration.toml")
    path = presets_dir() / "historical-calibrated.toml"
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# Produced by `innovate calibrate experiments/calibration.toml")
    assert 'extends = "historical"' in text
    posterior = pd.read_csv(presets_dir() / "historical-calibrated.posterior.csv")
    assert set(experiment.keys) <= set(posterior.columns)
    weights = posterior["weight"].to_numpy()
    medians = {key: float(f"{weighted_quantile(posterior[key].to_numpy(), weights, 0.5):.4g}")
               for key in experiment.keys}
    calibrated = load_config("historical-calibrated")
    for spec in experiment.parameters:
        assert current_value(calibrated, spec.key) == medians[spec.key], spec.key
        assert spec.low <= medians[spec.key] <= spec.high, spec.key
    # the preset is the historical preset with exactly these values set, nothing else
    expected = configure(load_config("historical").model_dump(mode="python"), medians)
    drop = {"name", "description"}
    assert calibrated.model_dump(exclude=drop) == expected.model_dump(exclude=drop)


BAD = [
    ('key = "approaches.CS.p0"', 'key = "approaches.CS.pp0"', "parameters[0].key: unknown "
     "parameter 'approaches.CS.pp0' (did you mean approaches.CS.p0?)"),
    ('key = "approaches.TS.p0"', 'key = "approaches.TS.initial_stage"', "parameters[1].key: "
     "unknown parameter"),
    ('key = "approaches.TS.p0"', 'key = "events.no-such-event.value"', "parameters[1].key: "
     "unknown parameter"),
    ("low = 0.002\nhigh = 0.08\n[[parameters]]", "low = 0.08\nhigh = 0.002\n[[parameters]]",
     "parameters[0]: empty or inverted prior range [0.08, 0.002]; need low < high"),
    ("low = 0.002\nhigh = 0.08\n[[parameters]]", "low = 0.05\nhigh = 0.05\n[[parameters]]",
     "parameters[0]: empty or inverted prior range"),
    ('key = "approaches.CS.p0"\nlow = 0.002', 'key = "approaches.CS.speed"\nlow = 0.0',
     "parameters[0].low: approaches.CS.speed = 0 is not a valid model value"),
    ('metric = "CS_engaged_EW_2018"', 'metric = "CS_engaged_2018"', "patterns[0].metric: "
     "unknown pattern 'CS_engaged_2018'; allowed: CS_engaged_EW_2017"),
    ('metric = "CS_engaged_EW_2018"', 'metric = "TIP_engaged_Scotland_2022"', "patterns[0]."
     "metric: TIP_engaged_Scotland_2022 is a seeded input, not evidence of fit; allowed: a "
     "pattern of kind point, band, lower, upper"),
    ("scale = 3", "scale = 0", "patterns[0].scale: input should be greater than 0"),
    ('"time.end" = 2024.25', '"time.end" = 2023.0', "patterns[2].metric: CS_engaged_EW_2023 "
     "is observed at 2024, outside the simulated window"),
    ("population_size = 40", "population_size = 1", "abc.population_size: input should be "
     "greater than or equal to 2"),
    ("population_size = 40", "popsize = 40", "abc.popsize: unknown key; allowed: "
     "population_size, generations"),
    ("generations = 4", 'generations = "four"', "abc.generations: input should be a valid "
     "integer"),
    ('"approaches.TS.p0" = 0.04', '"approaches.TS.p0" = 0.5', "synthetic.truth.approaches.TS.p0:"
     " 0.5 is outside its prior range"),
    ('scenario = "historical"', 'scenario = "no-such-scenario"', "scenario/overrides: unknown "
     "scenario 'no-such-scenario'"),
]


@pytest.mark.parametrize(("old", "new", "message"), BAD, ids=[b[2].split(":")[0] for b in BAD])
def test_bad_input_is_one_line_and_exit_2_before_any_simulation(tmp_path, capsys, monkeypatch,
                                                                 old, new, message):
    def no_simulation(*args, **kwargs):
        raise AssertionError("a simulation ran before the input was checked")

    monkeypatch.setattr("sim.model.InnovationModel.__init__", no_simulation)
    text = experiment_text()
    assert old in text
    path = write(tmp_path, text.replace(old, new, 1))
    assert cli.main(["calibrate", str(path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("innovate: error: "), err
    assert message in err, err
    assert not (tmp_path / "out").exists()


def test_bad_command_line_is_one_line_and_exit_2(tmp_path, capsys):
    good = write(tmp_path, experiment_text())
    for argv, message in [(["calibrate", str(tmp_path / "missing.toml")],
                           "missing.toml: file not found"),
                          (["calibrate", str(good), "--workers", "999"],
                           "--workers: must be a whole number from 1 to 256")]:
        assert cli.main(argv) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and message in err, err
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["calibrate", str(good), "--workers", "0"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--workers must be at least 1" in err, err
