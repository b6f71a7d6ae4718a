"""Sweeps that draw each run's calibrated parameters from a posterior (``posterior = ...``)."""

from __future__ import annotations

import hashlib
import json
import math

import numpy as np
import pandas as pd
import pytest
from helpers import FAST, sha, write_file

import sim
from sim import cli
from sim.config import load_config
from sim.config.posterior import SUFFIX, config_for_draw, load_posterior, posterior_draws
from sim.sweeps.design import load_experiment
from sim.sweeps.runner import Task, run_sweep, task_config

KEYS = ["approaches.CS.p0", "approaches.TS.q", "network.weights.learning"]
VALUES = [[0.005, 0.1, 0.1], [0.04, 0.5, 0.8], [0.09, 0.9, 2.0]]
WEIGHTS = [0.2, 0.3, 0.5]


def write_posterior_csv(folder, weights=WEIGHTS, name=f"drawn{SUFFIX}"):
    """A small posterior by hand; approaches.TS.q is also a factor of the sweep."""
    rows = [["draw", "weight", *KEYS]]
    rows += [[i, w, *v] for i, (w, v) in enumerate(zip(weights, VALUES, strict=True))]
    path = folder / name
    path.write_text("\n".join(",".join(map(str, r)) for r in rows) + "\n", encoding="utf-8")
    return path


def experiment_file(folder, posterior: str | None = f"drawn{SUFFIX}", replicates: int = 6):
    """A 2-point grid over TS q in the fast world, with or without a posterior."""
    line = f'posterior = "{posterior}"' if posterior else ""
    return write_file(folder, f"""
[experiment]
name = "drawn"
replicates = {replicates}
seed = 7
{line}
{FAST}
[design]
kind = "grid"

[parameters]
"approaches.TS.q" = [0.2, 0.6]
""")


@pytest.fixture(scope="module")
def drawn_sweep(tmp_path_factory):
    """The sweep with a posterior, run with 1 worker."""
    folder = tmp_path_factory.mktemp("drawn")
    write_posterior_csv(folder)
    path = experiment_file(folder)
    out = folder / "one"
    run_sweep(load_experiment(path), out, workers=1, progress=False)
    return folder, path, out


def test_every_run_records_the_draw_its_seed_picks(drawn_sweep):
    folder, path, out = drawn_sweep
    experiment = load_experiment(path)
    posterior = load_posterior(folder / f"drawn{SUFFIX}")
    metrics = pd.read_parquet(out / "metrics.parquet")
    expected = posterior_draws(posterior, experiment.seeds)
    assert len(set(expected)) > 1, "the seeds should pick more than one draw"
    for row in metrics.itertuples():
        assert row.draw == expected[row.replicate]
        values = dict(zip(KEYS, VALUES[row.draw], strict=True))
        assert metrics.loc[row.Index, "posterior.approaches.CS.p0"] == values["approaches.CS.p0"]
        assert metrics.loc[row.Index, "posterior.network.weights.learning"] == \
            values["network.weights.learning"]
        assert math.isnan(metrics.loc[row.Index, "posterior.approaches.TS.q"]), \
            "the swept factor wins: the run did not take TS q from the posterior"
    manifest = json.loads((out / "manifest.json").read_text())
    drawn = manifest["posterior"]
    assert drawn["sha256"] == sha(folder / f"drawn{SUFFIX}") and drawn["keys"] == KEYS
    assert [r["draw"] for r in drawn["replicates"]] == expected
    assert [r["seed"] for r in drawn["replicates"]] == list(experiment.seeds)
    assert drawn["replicates"][0]["parameters"] == dict(zip(KEYS, VALUES[expected[0]],
                                                            strict=True))


def test_a_run_reruns_alone_with_its_seed_and_the_posterior(drawn_sweep, tmp_path):
    """``innovate run --seed S --posterior P --set <the point's settings>`` repeats a run:
    same draw, and the swept factor (also a posterior key) keeps the point's value."""
    folder, path, out = drawn_sweep
    metrics = pd.read_parquet(out / "metrics.parquet")
    row = metrics[(metrics["point"] == 1) & (metrics["draw"] != 0)].iloc[0]
    settings = [*load_experiment(path).points[1].overrides]
    argv = ["run", "historical", "--seed", str(row["seed"]), "--posterior",
            str(folder / f"drawn{SUFFIX}"), "--no-plot", "--out", str(tmp_path / "alone")]
    for key, value in settings:
        argv += ["--set", f"{key}={json.dumps(value)}"]
    assert cli.main(argv) == 0
    alone = json.loads((tmp_path / "alone" / "metrics.json").read_text())
    manifest = json.loads((tmp_path / "alone" / "manifest.json").read_text())
    assert manifest["posterior"]["replicates"][0]["draw"] == row["draw"]
    assert manifest["configuration"]["approaches"]["TS"]["q"] == 0.6
    for name, value in alone.items():
        if name in metrics.columns:
            assert (value is None and math.isnan(row[name])) or value == row[name], name


def test_every_run_is_its_point_and_its_draw_rebuilt_alone(drawn_sweep):
    """Each row's metrics are those of its point's configuration with its draw set (point
    settings kept) and its seed, built and run alone in this process."""
    folder, path, out = drawn_sweep
    experiment = load_experiment(path)
    posterior = load_posterior(folder / f"drawn{SUFFIX}")
    metrics = pd.read_parquet(out / "metrics.parquet")
    assert metrics.groupby("point")["draw"].nunique().min() > 1
    for row in metrics.itertuples():
        point = experiment.points[row.point]
        base = load_config(experiment.bases[point.scenario], point.overrides)
        config = config_for_draw(base, posterior, row.draw, [k for k, _ in point.overrides])
        alone = sim.InnovationModel(config=config, seed=row.seed).run().metrics
        for name in ("CS.engaged_end", "TS.engaged_end", "CS.spend_gbp_m"):
            assert alone[name] == metrics.loc[row.Index, name], (row.run_id, name)


def test_a_worker_builds_each_run_its_point_and_its_draw(drawn_sweep):
    """task_config, which keeps configurations per point and per draw in a worker, gives every
    run, in the order a worker meets them, the configuration the run would have alone."""
    folder, path, _ = drawn_sweep
    experiment = load_experiment(path)
    posterior = load_posterior(folder / f"drawn{SUFFIX}")
    digests = {name: hashlib.sha256(json.dumps(base, sort_keys=True).encode()).hexdigest()
               for name, base in experiment.bases.items()}
    assert len({p.overrides for p in experiment.points}) > 1
    for run in experiment.runs:
        point = experiment.points[run.point]
        task = Task(run=run, base=experiment.bases[point.scenario],
                    base_digest=digests[point.scenario], overrides=point.overrides, metrics=(),
                    curves=False, parameters=tuple(experiment.posterior_values(run).items()))
        base = load_config(experiment.bases[point.scenario], point.overrides)
        alone = config_for_draw(base, posterior, run.draw, [k for k, _ in point.overrides])
        assert task_config(task) == alone, (run.run_id, run.point, run.draw)


def test_a_posterior_sweep_is_identical_with_one_and_two_workers(drawn_sweep):
    folder, path, out = drawn_sweep
    two = folder / "two"
    run_sweep(load_experiment(path), two, workers=2, progress=False)
    for name in ("metrics.parquet", "curves.parquet", "points.csv"):
        assert sha(out / name) == sha(two / name), name


def test_the_draws_change_the_runs(drawn_sweep, tmp_path):
    folder, _, out = drawn_sweep
    plain = tmp_path / "plain"
    run_sweep(load_experiment(experiment_file(tmp_path, posterior=None)), plain, workers=1,
              progress=False)
    without = pd.read_parquet(plain / "metrics.parquet")
    drawn = pd.read_parquet(out / "metrics.parquet")
    assert "draw" not in without.columns
    assert not any(c.startswith("posterior.") for c in without.columns)
    assert "posterior" not in json.loads((plain / "manifest.json").read_text())
    assert (without["seed"] == drawn["seed"]).all()
    assert not np.allclose(without["CS.engaged_end"], drawn["CS.engaged_end"])


def test_resume_gives_the_uninterrupted_files(drawn_sweep, tmp_path, monkeypatch):
    folder, path, out = drawn_sweep
    monkeypatch.setenv("INNOVATE_SWEEP_FLUSH_RUNS", "2")
    again = tmp_path / "again"
    run_sweep(load_experiment(path), again, workers=1, progress=False)
    parts = sorted((again / "parts").glob("metrics-*.parquet"))
    assert len(parts) == 6
    for part in parts[3:]:                  # as if killed after part 2
        part.unlink()
        (again / "parts" / part.name.replace("metrics-", "curves-")).unlink()
    (again / "metrics.parquet").unlink()
    (again / "curves.parquet").unlink()
    summary = run_sweep(load_experiment(path), again, workers=2, resume=True, progress=False)
    assert summary.ran == 6
    for name in ("metrics.parquet", "curves.parquet"):
        assert sha(out / name) == sha(again / name), name


def test_resume_refuses_a_changed_posterior(drawn_sweep, tmp_path):
    folder, path, out = drawn_sweep
    copy = tmp_path / "copy"
    copy.mkdir()
    changed = experiment_file(copy)
    write_posterior_csv(copy, weights=[0.5, 0.3, 0.2])
    with pytest.raises(sim.InputError, match="different experiment"):
        run_sweep(load_experiment(changed), out, resume=True, progress=False)


def test_a_bad_posterior_stops_the_sweep_before_any_run(tmp_path, capsys):
    path = experiment_file(tmp_path, posterior="historical")
    out = tmp_path / "never"
    assert cli.main(["sweep", str(path), "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"innovate: error: {path}: experiment.posterior: preset 'historical' "
                          "has no posterior")
    assert len(err.splitlines()) == 1 and not out.exists()
    bad = write_posterior_csv(tmp_path, name=f"bad{SUFFIX}")
    bad.write_text(bad.read_text().replace("approaches.TS.q", "approaches.TS.nope"))
    with pytest.raises(sim.InputError, match=r"column 'approaches.TS.nope': not a settable"):
        load_experiment(experiment_file(tmp_path, posterior=f"bad{SUFFIX}"))


def test_a_posterior_key_the_base_cannot_take_is_refused(tmp_path):
    """A .csv without a preset beside it is checked against the sweep's base scenarios."""
    assert load_config("historical").approaches["TS"].q >= 0
    bad = write_posterior_csv(tmp_path, name=f"neg{SUFFIX}")
    bad.write_text(bad.read_text().replace(",0.1,0.1\n", ",-0.1,0.1\n"))
    with pytest.raises(sim.InputError, match=r"experiment.posterior: .*column approaches.TS.q: "
                                             r"-0.1 \(draw 0\) is not a valid model value"):
        load_experiment(experiment_file(tmp_path, posterior=f"neg{SUFFIX}"))
