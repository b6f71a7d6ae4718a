"""Calibration (issue 3): synthetic recovery, determinism across workers, bad input, the preset.

The recovery test is a reduced set-up of experiments/calibration-recovery.toml so that it runs in
about half a minute: two parameters (CS p0 and TS p0, each uniform on [0.002, 0.08]), four
patterns simulated at known values, 40 particles and 4 generations. The full check, with the six
parameters of experiments/calibration.toml, is the documented run in experiments/README.md.

Tolerances. Each truth must lie inside its 90% posterior interval, and each interval must be
at most 0.7 times the prior's 90% interval. The bound separates learning from not learning:
a sampler that learns nothing returns the prior, whose 90% interval estimated from 40 weighted
particles is 0.9-1.0 times the prior's; the data allow about 0.4 for TS p0 at epsilon = 0 (one
TS count of about 40 with run-to-run sd of about 6, moved by about 750 per unit of p0), less
for CS p0 (three counts), and the final epsilon of only 4 generations (one to two scales, 5-10
counts) widens that. A first version of this test asked for 0.5, from the epsilon = 0 figure
alone; it failed for TS p0 (0.63; CS p0 passed), so the bound now allows for the final epsilon.
The full check (experiments/calibration-recovery.toml, 8 generations of 200 particles) gives
0.31 (CS p0) and 0.25 (TS p0).
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
from sim.calibration.spec import load_calibration
from sim.config import load_config, presets_dir
from sim.data import load_uk

ROOT = Path(__file__).resolve().parents[2]
TRUTH = {"approaches.CS.p0": 0.03, "approaches.TS.p0": 0.04}
WIDTH_FACTOR = 0.7  # posterior 90% interval at most 0.7 of the prior's (module docstring)


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
        metric = "CS_engaged_EW_2019"
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
    for key, truth in TRUTH.items():
        row = recovery.loc[key]
        assert row["truth"] == truth
        assert row["q05"] <= truth <= row["q95"], (key, row.to_dict())
        assert row["width_ratio"] <= WIDTH_FACTOR, (key, row.to_dict())
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
    values = {"approaches.CS.p0": 0.03, "events.cs-evaluation-and-interest-network.value": 7.0}
    got = simulator(values, 5)
    metrics = sim.run("historical", seed=5, **values).metrics
    assert got == {m: metrics[f"patterns.{m}"] for m in got}
    assert len(got) == len(load_uk().observed)


def test_band_distance_is_zero_inside_the_band_and_scaled_outside():
    observed = load_uk().observed
    experiment, _ = load_calibration(ROOT / "experiments" / "calibration.toml")
    spec = next(p for p in experiment.patterns if p.metric == "TS_engaged_England_2023")
    distance = PatternDistance([spec], observed)  # band 31-61, scale 10
    assert distance({"TS_engaged_England_2023": 45.0}) == 0.0
    assert distance({"TS_engaged_England_2023": 21.0}) == pytest.approx(1.0)
    assert distance({"TS_engaged_England_2023": 81.0}) == pytest.approx(2.0)
    assert distance({"TS_engaged_England_2023": math.nan}) == math.inf


def test_weighted_quantile():
    x = np.array([3.0, 1.0, 2.0])
    assert weighted_quantile(x, np.ones(3), 0.5) == pytest.approx(2.0)
    assert weighted_quantile(x, np.array([0.0, 0.0, 1.0]), [0.05, 0.95]).tolist() == [2.0, 2.0]


def test_shipped_experiments_validate():
    for name in ("calibration", "calibration-recovery"):
        experiment, base = load_calibration(ROOT / "experiments" / f"{name}.toml")
        assert experiment.abc.workers >= 1 and base.name == "historical"


def test_shipped_preset_sets_the_posterior_medians_of_the_experiment():
    experiment, _ = load_calibration(ROOT / "experiments" / "calibration.toml")
    path = presets_dir() / "historical-calibrated.toml"
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# Produced by `innovate calibrate experiments/calibration.toml")
    assert 'extends = "historical"' in text
    calibrated, historical = load_config("historical-calibrated"), load_config("historical")
    for spec in experiment.parameters:
        parts = spec.key.split(".")
        if parts[0] == "events":
            value = next(getattr(e, parts[2]) for e in calibrated.events if e.id == parts[1])
        else:
            value = calibrated
            for part in parts:
                value = getattr(value, part) if not isinstance(value, dict) else value[part]
        assert spec.low <= value <= spec.high, spec.key
    # only the fitted parameters differ from the historical preset
    assert calibrated.model_dump(exclude={"name", "description", "approaches", "events"}) == \
        historical.model_dump(exclude={"name", "description", "approaches", "events"})


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
    ('metric = "CS_engaged_EW_2019"', 'metric = "CS_engaged_2019"', "patterns[0].metric: "
     "unknown pattern 'CS_engaged_2019'; allowed: CS_engaged_EW_2017"),
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
