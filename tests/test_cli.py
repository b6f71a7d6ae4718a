"""The innovate command line: outputs, the metrics table, and bad input."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from helpers import ROOT

import sim
from sim import cli, data
from sim.cache import ProcessCache
from sim.output import plots

FILES = ["timeseries.parquet", "events.parquet", "agents.parquet", "indicators.parquet",
         "regions.parquet", "equity.parquet", "metrics.json", "manifest.json", "adoption.png"]


def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


@pytest.fixture(scope="module")
def historical_out(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("run") / "historical"
    assert cli.main(["run", "historical", "--seed", "3", "--out", str(out)]) == 0
    return out


def test_run_writes_every_output(historical_out, capsys):
    assert sorted(p.name for p in historical_out.iterdir()) == sorted(FILES)
    timeseries = pd.read_parquet(historical_out / "timeseries.parquet")
    assert list(timeseries.columns) == ["time", "nation", "approach", "stage", "status", "count"]
    assert len(timeseries) == 104 * 4 * 3 * 7 * 3
    assert timeseries["time"].min() == 2010.25 and timeseries["time"].max() == 2036.0
    per_step = timeseries.groupby(["time", "approach"], observed=True)["count"].sum()
    assert (per_step == 212).all()
    events = pd.read_parquet(historical_out / "events.parquet")
    assert list(events.columns) == ["time", "agent_id", "approach", "from_stage", "to_stage",
                                    "kind", "reason"]
    assert events["reason"].notna().all() and len(events) > 500
    agents = pd.read_parquet(historical_out / "agents.parquet")
    assert len(agents) == 212 and agents["agent_id"].is_unique
    regions = pd.read_parquet(historical_out / "regions.parquet")
    assert regions["region"].nunique() == 12
    last = regions[regions["time"] == 2036.0].groupby("approach", observed=True)["engaged"].sum()
    by_nation = timeseries[(timeseries["time"] == 2036.0) & (timeseries["stage"] >= 1)
                           & (timeseries["status"] != "ended")]
    assert (last == by_nation.groupby("approach", observed=True)["count"].sum()).all()
    manifest = json.loads((historical_out / "manifest.json").read_text())
    assert manifest["scenario"] == "historical" and manifest["seed"] == 3
    assert manifest["versions"]["innovate-sim"] == sim.__version__ and manifest["wall_time_s"] > 0
    assert manifest["configuration"]["approaches"]["CS"]["q"] == 0.35
    assert "Open Government Licence" in manifest["data_attribution"]
    metrics = json.loads((historical_out / "metrics.json").read_text())
    assert "CS.year_engaged_10pct" in metrics and "patterns.CS_engaged_EW_2023" in metrics


def test_run_prints_metrics_table_and_where_results_are(tmp_path, capsys):
    assert cli.main(["run", "--seed", "1", "--out", str(tmp_path / "r"), "--no-plot"]) == 0
    text = capsys.readouterr().out
    assert "year_engaged_10pct" in text and "CS" in text and "TIP" in text
    assert f"Results written to {tmp_path / 'r'}/" in text
    assert not (tmp_path / "r" / "adoption.png").exists()


def test_default_out_folder_is_named_after_scenario_and_seed(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["run", "defaults", "--seed", "5", "--no-plot"]) == 0
    assert (tmp_path / "results" / "defaults-seed5" / "metrics.json").is_file()


def test_scenarios_lists_every_preset_with_one_line(capsys):
    assert cli.main(["scenarios"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert [line.split()[0] for line in lines] == sim.preset_names()
    assert all(len(line.split(maxsplit=1)) == 2 for line in lines)


def test_params_prints_the_parameter_table(capsys):
    assert cli.main(["params"]) == 0
    out = capsys.readouterr().out
    assert "| `approaches.CS.p0` | 0.02 | 1/year |" in out


@pytest.mark.parametrize("argv, fragment", [
    (["run", "nowhere"], "unknown scenario 'nowhere'"),
    (["run", "--set", "approaches.CS.qq=1"], "--set: approaches.CS.qq: unknown key"),
    (["run", "--set", "approaches.CS.q=-2"], "approaches.CS.q: input should be greater"),
    (["run", "--set", "justtext"], "expected KEY=VALUE"),
    (["run", "--seed", "minus"], "--seed must be a whole number"),
    (["run", "--seed", "-3"], "--seed must be from 0"),
    (["launch"], "invalid choice: 'launch'"),
    (["run", "--set", "x=" + "1" * 10_000], "is not a number, true/false or text"),
    (["run", "--set", "a" * 10_000], "(10002 characters): expected KEY=VALUE"),
    (["run", "--set", "approaches.CS.q=" + "a" * 10_000], "(10002 characters))"),
])
def test_bad_input_is_one_line_and_exit_code_2(argv, fragment, tmp_path, capsys):
    out = tmp_path / "never"
    assert _exit_code([*argv, "--out", str(out)] if argv[0] == "run" else argv) == 2
    err = capsys.readouterr().err.strip()
    assert fragment in err and len(err.splitlines()) == 1 and "Traceback" not in err
    assert len(err) < 300, "a long entry is echoed cut short"
    assert not out.exists()


@pytest.mark.parametrize("command", [["run"], ["sweep", "experiments/networks.toml"],
                                     ["calibrate", "experiments/calibration.toml"],
                                     ["handout", "stages"]])
def test_an_output_folder_that_cannot_be_made_is_one_line(command, capsys):
    root = ROOT
    argv = [command[0], *(str(root / a) for a in command[1:2] if "/" in a),
            *(a for a in command[1:] if "/" not in a), "--out", "/proc/innovate-test"]
    assert _exit_code(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err == ("innovate: error: --out /proc/innovate-test: cannot make this folder (No "
                   "such file or directory)")


def _exit_code(argv: list[str]) -> int:
    try:
        return cli.main(argv)
    except SystemExit as stop:
        return int(stop.code)


def test_malformed_toml_file(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text("[time\n")
    assert cli.main(["run", str(bad), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "malformed TOML" in err and str(bad) in err


def test_missing_data_file_is_an_input_error(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(data, "data_dir", lambda: tmp_path)
    monkeypatch.setattr(data, "_DATA", ProcessCache(1))         # nothing read yet
    assert cli.main(["run", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "data file missing" in err and "authorities.csv" in err


def test_bad_input_does_not_touch_earlier_results(historical_out, capsys):
    before = _digest(historical_out)
    assert cli.main(["run", "--set", "time.dt=7", "--out", str(historical_out)]) == 2
    assert _digest(historical_out) == before


def test_failed_save_leaves_earlier_results_whole(tmp_path, monkeypatch):
    out = tmp_path / "r"
    result = sim.run("defaults", seed=2)
    result.save(out, plot=False)
    before = _digest(out)
    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(plots, "save_adoption_png", broken)
    with pytest.raises(OSError):
        sim.run("defaults", seed=9).save(out)
    assert _digest(out) == before
    assert not any(p.name.startswith(".partial") for p in out.iterdir())


def test_command_line_entry_point_in_a_fresh_process(tmp_path):
    """The installed `innovate` command: exit codes and no traceback on bad input."""
    exe = Path(sys.executable).with_name("innovate")
    ok = subprocess.run([exe, "run", "defaults", "--no-plot", "--out", tmp_path / "o"],
                        capture_output=True, text=True, check=False)
    assert ok.returncode == 0, ok.stderr
    bad = subprocess.run([exe, "run", "defaults", "--set", "network.kind=lattice"],
                         capture_output=True, text=True, check=False)
    assert bad.returncode == 2
    assert bad.stderr.count("\n") == 1 and "Traceback" not in bad.stderr


# -- --posterior: ensembles that carry parameter uncertainty ------------------------------------

def _posterior_csv(folder: Path, name: str = "mine.posterior.csv",
                   weights: tuple[float, ...] = (0.25, 0.25, 0.5)) -> Path:
    """A small posterior by hand: an approach's key, an event's by id, a network weight."""
    from sim.config import load_config

    event = next(e.id for e in load_config("historical").events if e.kind == "package")
    rows = [f"draw,weight,approaches.CS.p0,events.{event}.value,network.weights.learning"]
    rows += [f"{i},{w},{p0},{value},{learning}" for i, (w, p0, value, learning) in
             enumerate(zip(weights, (0.004, 0.06, 0.09), (1.5, 4.0, 8.0), (0.2, 0.9, 1.7),
                           strict=True))]
    path = folder / name
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_run_with_posterior_records_its_draw_and_differs(historical_out, tmp_path, capsys):
    from sim.config.posterior import load_posterior, posterior_draws

    csv = _posterior_csv(tmp_path)
    out = tmp_path / "drawn"
    assert cli.main(["run", "historical", "--seed", "3", "--posterior", str(csv),
                     "--out", str(out)]) == 0
    draw = posterior_draws(load_posterior(csv), [3])[0]
    assert f"(seed 3, draw {draw} of the posterior mine)" in capsys.readouterr().out
    manifest = json.loads((out / "manifest.json").read_text())
    drawn = manifest["posterior"]
    assert drawn["sha256"] == hashlib.sha256(csv.read_bytes()).hexdigest()
    assert drawn["file"] == str(csv) and drawn["draws"] == 3
    (replicate,) = drawn["replicates"]
    assert replicate["seed"] == 3 and replicate["draw"] == draw
    values = replicate["parameters"]
    assert manifest["configuration"]["approaches"]["CS"]["p0"] == values["approaches.CS.p0"]
    assert manifest["configuration"]["network"]["weights"]["learning"] == \
        values["network.weights.learning"]
    assert "posterior" not in json.loads((historical_out / "manifest.json").read_text())
    assert (out / "metrics.json").read_text() != (historical_out / "metrics.json").read_text()
    assert _digest(out)["timeseries.parquet"] != _digest(historical_out)["timeseries.parquet"]
    again = tmp_path / "again"
    assert cli.main(["run", "historical", "--seed", "3", "--posterior", str(csv), "--no-plot",
                     "--out", str(again)]) == 0
    assert _digest(again)["timeseries.parquet"] == _digest(out)["timeseries.parquet"]


def test_a_set_key_wins_over_the_posterior(tmp_path):
    csv = _posterior_csv(tmp_path)
    out = tmp_path / "set"
    assert cli.main(["run", "historical", "--seed", "1", "--posterior", str(csv), "--no-plot",
                     "--set", "approaches.CS.p0=0.5", "--out", str(out)]) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["configuration"]["approaches"]["CS"]["p0"] == 0.5
    assert "approaches.CS.p0" not in manifest["posterior"]["replicates"][0]["parameters"]
    assert "network.weights.learning" in manifest["posterior"]["replicates"][0]["parameters"]


@pytest.mark.parametrize(("change", "fragment"), [
    (None, "--posterior: preset 'historical' has no posterior ("),
    (lambda text: text.replace("\n1,0.25,", "\n1,0,"), "line 3, column weight: must be a "
     "positive number (got '0')"),
    (lambda text: text.replace(",0.06,", ",,"), "line 3, column approaches.CS.p0: missing or "
     "not a finite number (got '')"),
    (lambda text: text.replace("network.weights.learning", "network.weights.nope"),
     "column 'network.weights.nope': not a settable parameter of scenario 'historical'"),
])
def test_a_bad_posterior_is_one_line_and_exit_code_2(change, fragment, tmp_path, capsys):
    posterior = "historical"
    if change is not None:
        csv = _posterior_csv(tmp_path)
        csv.write_text(change(csv.read_text()))
        posterior = str(csv)
    out = tmp_path / "never"
    assert _exit_code(["run", "historical", "--posterior", posterior, "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("innovate: error: ") and fragment in err, err
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert not out.exists()


def test_install_preset_installs_the_posterior_beside_the_preset(tmp_path, capsys):
    made = tmp_path / "made"
    made.mkdir()
    (made / "mine.toml").write_text('extends = "historical"\nname = "mine"\n')
    _posterior_csv(made)
    into = tmp_path / "configs"
    assert cli.main(["install-preset", str(made / "mine.toml"), "--into", str(into)]) == 0
    assert "with its posterior mine.posterior.csv" in capsys.readouterr().out
    assert (into / "mine.posterior.csv").read_bytes() == (made / "mine.posterior.csv").read_bytes()
    assert (into / "mine.toml").read_bytes() == (made / "mine.toml").read_bytes()
    (made / "mine.posterior.csv").unlink()                  # a preset without a posterior
    assert cli.main(["install-preset", str(made / "mine.toml"), "--into", str(into),
                     "--force"]) == 0
    assert not (into / "mine.posterior.csv").exists(), "a stale posterior is removed"
    _posterior_csv(made, weights=(0.0, 0.5, 0.5))           # a bad one is not installed
    assert cli.main(["install-preset", str(made / "mine.toml"), "--into", str(into),
                     "--force"]) == 2
    assert "column weight: must be a positive number" in capsys.readouterr().err
    assert sorted(p.name for p in into.iterdir()) == ["mine.toml"]
