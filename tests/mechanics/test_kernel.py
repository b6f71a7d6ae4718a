"""The compiled step against the array reference, and the compiled step's own machinery.

Both engines draw the same uniforms in the same order and do the same arithmetic, except that
the reference sums some terms in another order (dense matrix products, BLAS sums) and numpy's
exp and log may round differently in the last bit. So the journeys' moves (a uniform compared
with a hazard) agree exactly, and every continuous output agrees to rounding: a relative
difference of 1e-9 is a million times the rounding of one operation, and far below anything
a result reports.
"""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import mesa
import numba
import numpy as np
import pytest
from helpers import ALL_OFF, NO_PROMPTING, bass_config

import sim
from sim.config import load_config
from sim.errors import InputError
from sim.mechanics import compiler, hazards
from sim.model import InnovationModel

ROOT = Path(__file__).resolve().parents[2]
PRESETS = sorted(p.stem for p in (ROOT / "configs").glob("*.toml"))
# (scenario, dotted overrides)
SYNTHETIC = {
    "bass-complete": (bass_config(n=600, end=8.0, dt=0.25), {}),
    "bass-small-world": (bass_config(n=600, end=8.0, dt=0.25, kind="small_world"), {}),
    "scale-free-500": ("historical-calibrated", {"population.size": 500,
                                                 "network.kind": "scale_free"}),
    "resampled-300": ("historical", {"population.size": 300, "network.kind": "erdos_renyi"}),
    "all-mechanisms-off": ("historical", {f"mechanisms.{name}": False for name in ALL_OFF}),
    "chain": ({"name": "chain", "time": {"start": 0.0, "end": 40.0, "dt": 1.0},
               "population": {"size": 400}, "network": {"kind": "complete"},
               "mechanisms": ALL_OFF,
               "chain": {"forward": [0.2] * 5, "backward": [0.0] + [0.05] * 4, "exit": [0.02] * 5},
               "approaches": {a: {**NO_PROMPTING, "speed": 1.0, "initial_stage": 1}
                              for a in sim.APPROACHES}}, {}),
}
EXACT_EVENTS = ("time", "agent", "approach", "from_stage", "to_stage", "kind", "reason")


def _runs(scenario, seed: int, overrides: dict | None = None
          ) -> tuple[sim.RunResult, sim.RunResult]:
    config = load_config(scenario, overrides or {})
    return tuple(InnovationModel(config=config, seed=seed, engine=engine).run()
                 for engine in ("compiled", "numpy"))


def _assert_agree(compiled: sim.RunResult, reference: sim.RunResult) -> None:
    np.testing.assert_array_equal(compiled.region_counts, reference.region_counts)
    np.testing.assert_array_equal(compiled.quintile_counts, reference.quintile_counts)
    for name in EXACT_EVENTS:
        np.testing.assert_array_equal(compiled.event_log[name], reference.event_log[name],
                                      err_msg=name)
        assert compiled.event_log[name].dtype == reference.event_log[name].dtype, name
    np.testing.assert_allclose(compiled.event_log["evidence"], reference.event_log["evidence"],
                               rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(compiled.sums, reference.sums, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(compiled.outcome_sums, reference.outcome_sums, rtol=1e-9,
                               atol=1e-9)
    a, b = compiled.final, reference.final
    for name in ("stage", "status", "integrated_ever"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
    for name in ("coproduction", "funded_until", "ended_at", "integrated_since", "culture",
                 "workforce", "leader_changed_at", "compliance_until", "exposure", "fields"):
        np.testing.assert_allclose(getattr(a, name), getattr(b, name), rtol=1e-9, atol=1e-12,
                                   err_msg=name)
    assert compiled.clustering.keys() == reference.clustering.keys()
    for name, value in compiled.clustering.items():
        assert value == pytest.approx(reference.clustering[name], rel=1e-9, nan_ok=True)
    assert compiled.metrics.keys() == reference.metrics.keys()


@pytest.mark.parametrize("preset", PRESETS)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_engines_agree_on_every_preset(preset, seed):
    _assert_agree(*_runs(preset, seed))


@pytest.mark.parametrize("name", sorted(SYNTHETIC))
def test_engines_agree_off_the_uk_network(name):
    for seed in (0, 1):
        _assert_agree(*_runs(*SYNTHETIC[name][:1], seed, SYNTHETIC[name][1]))


def test_engines_agree_when_stepped_one_step_at_a_time():
    config = load_config("workforce-crisis")
    compiled = InnovationModel(config=config, seed=4)
    reference = InnovationModel(config=config, seed=4, engine="numpy")
    for _ in range(30):
        compiled.step()
        reference.step()
    _assert_agree(compiled.run(), reference.run())


@numba.njit
def _draws(hazard_sets, exponents, uniforms):
    """Each draw as the step makes it (with the bound) and with ``expm1`` always called."""
    out = np.empty((len(uniforms), 2), np.int64)
    for k in range(len(uniforms)):
        h = (hazard_sets[k, 0], hazard_sets[k, 1], hazard_sets[k, 2], hazard_sets[k, 3])
        out[k, 0] = hazards.draw_kernel(h, exponents[k], uniforms[k])
        out[k, 1] = hazards.exact_draw_kernel(h, exponents[k], uniforms[k])
    return out


def _boundary_uniforms(h: np.ndarray, exponent: float) -> list[float]:
    """Uniforms a few ulps either side of where the draw's last cumulative meets u * total."""
    total = h[0] + h[1] + h[2] + h[3]
    happen = -math.expm1(total * exponent)         # libm's, as in the compiled step
    last = h[0] * happen
    for m in range(1, 4):
        last = last + h[m] * happen
    u = min(last / total, 1.0)
    out = [u]
    up = down = u
    for _ in range(3):
        up, down = np.nextafter(up, 2.0), np.nextafter(down, -1.0)
        out += [up, down]
    return [v for v in out if 0.0 <= v < 1.0]


def test_the_no_move_bound_never_changes_a_draw():
    """A draw decided by the bound is the draw ``expm1`` gives, even one ulp from the edge.

    Hazards from 1e-12 to 10 a year (so ``-expm1`` runs from about ``-y`` to near 1, where
    the bound is loosest and tightest), some of them zero, over a quarter and over a year.
    (Not against the array step's draw: numpy's ``expm1`` differs from libm's in the last
    bit for about one input in a hundred, which matters only this close to the edge.)
    """
    rng = np.random.default_rng(20261203)
    sets, exponents, uniforms = [], [], []
    for _ in range(3000):
        h = 10.0 ** rng.uniform(-12, 1, 4) * (rng.random(4) < 0.8)
        exponent = -rng.choice([0.25, 1.0]) * rng.choice([1.0, 0.5, 1.7])
        if h.sum() == 0:
            continue
        for u in [*_boundary_uniforms(h, exponent), *rng.random(3)]:
            sets.append(h)
            exponents.append(exponent)
            uniforms.append(u)
    out = _draws(np.array(sets), np.array(exponents), np.array(uniforms))
    assert len(out) > 20_000
    assert (out[:, 1] < 4).any() and (out[:, 1] == 4).any()     # moves and no moves
    np.testing.assert_array_equal(out[:, 0], out[:, 1])


@pytest.mark.parametrize("y", [0.0, -1e-300, -1e-20, -2.0 ** -52, -1e-9, -1e-3, -0.1, -1.0,
                               -30.0, -800.0])
def test_upper_happen_is_a_bound_on_the_chance_of_a_move(y):
    """``upper_happen(y)`` is at least the computed ``-expm1(y)`` and at most 1."""
    assert -np.expm1(y) <= hazards.upper_happen(y) <= 1.0
    if -1e-3 < y < 0.0:                 # and tight where moves are rare
        assert hazards.upper_happen(y) <= -np.expm1(y) * (1.0 + 1e-3)


def test_engine_name_is_checked():
    with pytest.raises(InputError, match=r"^engine: must be one of compiled, numpy \(got"):
        InnovationModel("historical", seed=0, engine="numba")


def test_a_whole_run_keeps_mesa_in_step():
    """run() takes every step at once, but Mesa's count, clock and DataCollector are as if
    step() had been called each time (and stepping afterwards does nothing)."""
    whole = InnovationModel("historical", seed=3)
    whole.run()
    stepped = InnovationModel("historical", seed=3)
    while stepped.running:
        stepped.step()
    steps = whole.timeline.steps
    assert whole.steps == stepped.steps == steps
    assert whole.time == stepped.time == steps
    assert not whole.running
    frame = whole.datacollector.get_model_vars_dataframe()
    assert len(frame) == steps + 1
    assert frame.equals(stepped.datacollector.get_model_vars_dataframe())
    assert whole.datacollector._collection_steps == stepped.datacollector._collection_steps
    counts = whole.recorder.counts.copy()
    whole.step()
    assert whole.steps == steps and not whole.running
    np.testing.assert_array_equal(whole.recorder.counts, counts)


def test_a_run_after_some_steps_is_the_same_run():
    part = InnovationModel("historical", seed=5)
    for _ in range(17):
        part.step()
    _assert_agree(part.run(), InnovationModel("historical", seed=5).run())
    assert part.datacollector.get_model_vars_dataframe().equals(
        _stepped_frame("historical", 5))


def _stepped_frame(scenario: str, seed: int):
    model = InnovationModel(scenario, seed=seed)
    while model.running:
        model.step()
    return model.datacollector.get_model_vars_dataframe()


def test_mesa_batch_run_collects_every_step():
    """batch_run steps the model one step at a time: each row is that step's counts."""
    import multiprocessing

    method = multiprocessing.get_start_method(allow_none=True)
    try:        # batch_run sets the start method to spawn for the whole process
        rows = mesa.batch_run(InnovationModel, {"scenario": "historical"}, rng=[1],
                              max_steps=104, number_processes=1, data_collection_period=1,
                              display_progress=False)
    finally:
        multiprocessing.set_start_method(method, force=True)
    assert [row["Step"] for row in rows] == list(range(105))
    whole = InnovationModel("historical", seed=1)
    whole.run()
    frame = whole.datacollector.get_model_vars_dataframe()
    for row in rows:
        for name in frame.columns:
            assert row[name] == frame.at[int(row["Step"]), name]


def test_agents_are_made_when_asked_for():
    model = InnovationModel("historical", seed=0)
    model.run()
    assert len(model.agents) == 212
    assert model.agent_types == [sim.Authority]
    assert len(model.agents_by_type[sim.Authority]) == 212
    assert len(model.agents) == 212            # made once


# -- the compiled kernels' cache ---------------------------------------------------------------


def test_every_module_with_compiled_code_is_in_the_cache_digest():
    """A change to any compiled phase must give the step a new cache folder (numba itself
    checks only the file of the function it loads)."""
    folder = ROOT / "sim" / "mechanics"
    compiled = {path.name for path in folder.glob("*.py")
                if re.search(r"^@(inline_)?kernel$", path.read_text(), re.MULTILINE)}
    assert compiled, "no compiled phase found"
    assert compiled | {"compiler.py"} == set(compiler.SOURCES)


def test_every_module_of_compiled_in_constants_is_in_the_cache_digest():
    """The step holds the constants it reads (a stage, a move, the number of approaches) in
    its machine code: a change to one must give it a new cache folder too."""
    folder = ROOT / "sim" / "mechanics"
    suppliers = set()
    for name in compiler.SOURCES:
        for module, names in re.findall(r"^from sim\.([\w.]+) import ([^\n]+)$",
                                        (folder / name).read_text(), re.MULTILINE):
            if any(n.strip().isupper() and len(n.strip()) > 1 for n in names.split(",")):
                path = module.replace(".", "/") + ".py"
                suppliers.add(path.removeprefix("mechanics/") if path.startswith("mechanics/")
                              else "../" + path)
    digested = set(compiler.SOURCES) | set(compiler.CONSTANTS)
    assert suppliers, "no constants found"
    assert suppliers <= digested, sorted(suppliers - digested)


def test_the_cache_folder_follows_the_setting(tmp_path, monkeypatch):
    monkeypatch.setenv(compiler.CACHE_VARIABLE, str(tmp_path / "mine"))
    folder = compiler.cache_folder()
    assert folder == tmp_path / "mine" / f"numba-{compiler.sources_digest()}"
    assert folder.is_dir()


def test_an_unusable_cache_folder_falls_back_to_the_temporary_folder(tmp_path, monkeypatch):
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    monkeypatch.setenv(compiler.CACHE_VARIABLE, str(blocked / "cache"))
    monkeypatch.setattr(compiler.tempfile, "gettempdir", lambda: str(tmp_path / "tmp"))
    assert compiler.cache_folder().parent == tmp_path / "tmp" / "innovate-sim-cache"


def test_a_new_process_loads_the_cached_step(tmp_path):
    """The second process finds the machine code the first one wrote (no compiling)."""
    env = {**os.environ, compiler.CACHE_VARIABLE: str(tmp_path)}
    code = ("import time, sim; from sim.mechanics import kernel; t = time.perf_counter(); "
            "sim.run('historical', seed=1); print(time.perf_counter() - t, "
            "len(kernel.run_kernel.stats.cache_hits))")
    first, second = (subprocess.run([sys.executable, "-c", code], env=env, check=True,
                                    capture_output=True, text=True).stdout.split()
                     for _ in range(2))
    assert int(first[1]) == 0 and int(second[1]) == 1
    assert any(tmp_path.rglob("*.nbi")), "the index of the cached step is in the folder"


# every preset, and populations off the UK network, for the bounds-checked step (seed 0)
# (hashed as benchmarks/output_digest.py hashes runs)
_BOUNDS_SCRIPT = f"""
import json, sys
sys.path.insert(0, {str(ROOT / "benchmarks")!r})
import sim
from sim.config import load_config
from output_digest import digest_of
print(digest_of(sim.InnovationModel(config=load_config(scenario, overrides), seed=0).run()
                for scenario, overrides in json.loads(sys.argv[1])))
"""


def test_the_step_reads_and_writes_only_inside_its_arrays(tmp_path):
    """With numba's bounds checks on, an index outside an array raises an error instead of
    touching memory the array does not own. The step's indices are unsigned
    (:data:`sim.mechanics.compiler.INDEX`): a negative one would not wrap round as in Python
    but land far outside, so this run would fail. The checked step gives the same bits."""
    cases = json.dumps([[preset, {}] for preset in PRESETS] + [
        ["historical-calibrated", {"population.size": 500, "network.kind": "scale_free"}],
        ["historical", {"population.size": 300, "network.kind": "erdos_renyi"}],
        ["historical", {f"mechanisms.{name}": False for name in ALL_OFF}]])
    checked = {**os.environ, compiler.CACHE_VARIABLE: str(tmp_path), "NUMBA_BOUNDSCHECK": "1"}
    runs = [subprocess.run([sys.executable, "-c", _BOUNDS_SCRIPT, cases], env=env,
                           capture_output=True, text=True) for env in (checked, os.environ)]
    for run in runs:
        assert run.returncode == 0, run.stderr.strip().splitlines()[-1:]
    assert runs[0].stdout == runs[1].stdout
