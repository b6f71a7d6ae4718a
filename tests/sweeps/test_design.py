"""Experiment files: designs (scenarios, grid, Latin, Sobol, Morris), seeds, bad input."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest
from helpers import INNOVATE, ROOT, grid_experiment, write_file

import sim
from sim.sweeps.design import load_experiment, replicate_seeds
from sim.sweeps.runner import run_sweep


def test_a_grid_is_the_full_factorial_and_seeds_come_from_seed_sequence(tmp_path):
    experiment = load_experiment(grid_experiment(tmp_path, replicates=3))
    assert len(experiment.points) == 4 and len(experiment.runs) == 12
    overrides = [dict(p.overrides) for p in experiment.points]
    assert [(o["approaches.TS.q"], o["levers.austerity_cut"]) for o in overrides] == [
        (0.2, 0.0), (0.2, 0.3), (0.8, 0.0), (0.8, 0.3)]
    assert overrides[0]["population.size"] == 60
    children = np.random.SeedSequence(11).spawn(3)
    expected = [int(c.generate_state(1, np.uint64)[0]) >> 1 for c in children]
    assert list(experiment.seeds) == expected == list(replicate_seeds(11, 3))
    run = experiment.runs[7]
    assert (run.run_id, run.point, run.replicate, run.seed) == (7, 2, 1, expected[1])


@pytest.mark.parametrize(("kind", "extra", "points"), [
    ("sobol", "samples = 8", 8 * (2 + 2)),
    ("sobol", "samples = 8\nsecond_order = true", 8 * (2 * 2 + 2)),
    ("morris", "samples = 5\nlevels = 4", 5 * (2 + 1)),
    ("latin", "samples = 13", 13),
])
def test_sampled_designs_have_the_salib_sizes_and_stay_in_range(tmp_path, kind, extra, points):
    experiment = load_experiment(write_file(tmp_path, f"""
[experiment]
name = "{kind}"
replicates = 1
[design]
kind = "{kind}"
{extra}
[parameters]
"approaches.TS.q" = {{ low = 0.2, high = 0.6 }}
"network.degree" = {{ low = 2, high = 10, integer = true }}
[set]
"network.kind" = "erdos_renyi"
"population.size" = 50
"""))
    assert len(experiment.points) == points
    q = np.array([dict(p.overrides)["approaches.TS.q"] for p in experiment.points])
    degree = [dict(p.overrides)["network.degree"] for p in experiment.points]
    assert q.min() >= 0.2 and q.max() <= 0.6
    assert all(isinstance(d, int) and 2 <= d <= 10 for d in degree)


BAD = {
    "unknown parameter": ('[design]\nkind = "grid"\n[parameters]\n"approaches.TS.qq" = [1.0]',
                          "approaches.TS.qq: unknown key"),
    "value out of range": ('[design]\nkind = "grid"\n[parameters]\n"approaches.TS.q" = [-1.0]',
                           "approaches.TS.q"),
    "empty range": ('[design]\nkind = "latin"\n[parameters]\n'
                    '"approaches.TS.q" = { low = 0.5, high = 0.5 }', "empty range"),
    "empty grid": ('[design]\nkind = "grid"\n[parameters]\n"approaches.TS.q" = []',
                   "non-empty list"),
    "sobol size": ('[design]\nkind = "sobol"\nsamples = 10\n[parameters]\n'
                   '"approaches.TS.q" = { low = 0.1, high = 0.5 }', "power of 2"),
    "morris levels": ('[design]\nkind = "morris"\nlevels = 3\n[parameters]\n'
                      '"approaches.TS.q" = { low = 0.1, high = 0.5 }', "SALib rejects"),
    "unknown metric": ('[analysis]\noutcomes = ["TS.year_integrated_33pct"]',
                       "unknown metric 'TS.year_integrated_33pct'"),
    "unknown design": ('[design]\nkind = "factorial"', "design.kind"),
    "unknown scenario": ('[[scenarios]]\nname = "a"\nscenario = "nope"', "unknown scenario"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_experiment_files_fail_in_one_line_before_any_run(tmp_path, case):
    body, message = BAD[case]
    path = write_file(tmp_path, f'[experiment]\nname = "bad"\nreplicates = 1\n{body}\n')
    out = tmp_path / "out"
    result = subprocess.run([*INNOVATE, "sweep", str(path), "--out", str(out), "--quiet"],
                            capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert not out.exists()


def test_an_unreachable_scheduler_fails_in_one_line_before_any_run(tmp_path):
    out = tmp_path / "out"
    result = subprocess.run([*INNOVATE, "sweep", str(grid_experiment(tmp_path)), "--out", str(out),
                             "--backend", "dask", "--scheduler", "tcp://127.0.0.1:9",
                             "--quiet"], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 2
    assert "--scheduler tcp://127.0.0.1:9: unreachable" in result.stderr
    assert result.stderr.count("\n") == 1
    assert not (out / "metrics.parquet").exists()


def test_a_used_folder_is_refused_without_resume_and_nothing_is_touched(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("precious")
    with pytest.raises(sim.InputError, match="not empty; use --resume"):
        run_sweep(load_experiment(grid_experiment(tmp_path)), out, progress=False)
    assert (out / "keep.txt").read_text() == "precious"
    assert sorted(p.name for p in out.iterdir()) == ["keep.txt"]


