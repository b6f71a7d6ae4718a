"""Running a calibration: ABC-SMC, the posterior-predictive runs, and the files it writes.

:func:`calibrate` runs approximate Bayesian computation by sequential Monte Carlo with `pyabc
<https://pyabc.readthedocs.io>`_ and writes into its output folder:

- ``posterior.parquet``: one row per accepted particle of the last generation (weight,
  distance, parameter values, simulated patterns), and ``posterior_summary.parquet``: weighted
  mean, median and 90% interval of each parameter beside its prior;
- ``generations.parquet``: epsilon, simulations and acceptance rate of every generation;
- ``fit.parquet``: each pattern observed, simulated by the base scenario (before), by draws
  from the posterior (posterior predictive) and by the posterior medians (after);
- ``posterior_predictive.png``, ``summary.md``, ``manifest.json`` (the calibration file,
  seeds, versions, timings) and pyabc's database ``abc.db``;
- with a ``[preset]`` table, the preset ``<name>.toml``, which extends the base scenario with
  the posterior medians, and beside it the posterior ``<name>.posterior.csv`` (draw, weight
  and one column per key; :mod:`sim.config.posterior`), for ensembles that draw their
  parameters (``innovate run --posterior``). They are written into the output folder only;
  ``innovate install-preset`` copies both into a checkout's ``configs/``.

A ``[synthetic]`` table replaces the observed values by one simulation at known parameter
values (``truth``), so the same machinery shows that it recovers them (``recovery.parquet``).
"""

from __future__ import annotations

import random
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.calibration.abc import (
    AbcModel,
    PatternDistance,
    Simulator,
    ordered_map,
    run_task,
    seeded_sampler,
    slot_state,
)
from sim.calibration.report import (
    fit_table,
    predictive_figure,
    preset_text,
    recovery_table,
    summarize,
    summary_markdown,
)
from sim.calibration.spec import CalibrationSpec, current_value
from sim.config import Config, load_config
from sim.config.posterior import SUFFIX as POSTERIOR_SUFFIX
from sim.config.posterior import load_posterior, write_posterior
from sim.data import load_uk
from sim.errors import InputError
from sim.io import output_folder, stamp, write_figure, write_json, write_parquet, write_text


@dataclass
class CalibrationResult:
    """What :func:`calibrate` produced (every table is also a file in ``out``)."""

    out: Path
    posterior: pd.DataFrame
    summary: pd.DataFrame
    generations: pd.DataFrame
    fit: pd.DataFrame
    recovery: pd.DataFrame | None
    preset: dict[str, float]
    preset_path: Path | None
    manifest: dict[str, Any] = field(default_factory=dict)
    posterior_path: Path | None = None


def calibrate(calibration: CalibrationSpec, base: Config, out: str | Path, *,
              source: str | None = None,
              echo: Callable[[str], None] | None = print) -> CalibrationResult:
    """Run the calibration's ABC-SMC and write its results into ``out``.

    ``base`` is the configuration returned by :func:`sim.calibration.spec.load_calibration`;
    ``source`` the calibration file's path, for the manifest. ``echo`` prints progress (None:
    quiet).
    """
    import logging

    import pyabc

    started = time.perf_counter()
    say = echo or (lambda _text: None)
    logging.getLogger("ABC").setLevel(logging.WARNING)
    out = output_folder(out)
    settings = calibration.abc
    truth = calibration.synthetic.truth if calibration.synthetic else None
    all_observed = load_uk().observed
    simulator = Simulator(base, all_observed)
    if truth is not None:
        data = simulator(truth, calibration.synthetic.seed)
        all_observed = all_observed.assign(
            value=all_observed["metric"].map(data).astype(float),
            kind="point", source=f"one run at the synthetic truth, seed "
                                     f"{calibration.synthetic.seed}")
        all_observed["low"] = all_observed["high"] = all_observed["value"]
        all_observed = all_observed.dropna(subset=["value"])
    fitted = all_observed.set_index("metric").loc[[p.metric for p in calibration.patterns]]
    distance = PatternDistance(calibration.patterns, all_observed)
    prior = pyabc.Distribution(**{
        spec.key: (pyabc.RV("uniform", spec.low, spec.high - spec.low)
                   if spec.prior == "uniform" else pyabc.RV("loguniform", spec.low, spec.high))
        for spec in calibration.parameters})
    database = out / "abc.db"
    partial = out / ".abc.db.partial"
    partial.unlink(missing_ok=True)
    np.random.seed(slot_state(settings.seed, 2**31 - 1, 0))  # the main process's own stream
    random.seed(settings.seed)
    say(f"Calibrating {', '.join(calibration.keys)} to {len(calibration.patterns)} patterns: "
        f"ABC-SMC (pyabc {pyabc.__version__}), {settings.population_size} particles, up to "
        f"{settings.generations} generations, seed {settings.seed}, {settings.workers} "
        f"worker(s)")
    with ordered_map(settings.workers) as map_:
        sampler = seeded_sampler(settings.seed, map_, settings.max_attempts, say)
        abc = pyabc.ABCSMC(AbcModel(simulator, calibration.keys), prior, distance,
                           population_size=settings.population_size,
                           eps=pyabc.QuantileEpsilon(alpha=settings.epsilon_quantile),
                           sampler=sampler)
        abc.new(f"sqlite:///{partial}", {m: float(v) for m, v in fitted["value"].items()},
                gt_par=truth, meta_info={"calibration": calibration.name})
        history = abc.run(minimum_epsilon=settings.minimum_epsilon,
                          max_nr_populations=settings.generations,
                          min_acceptance_rate=settings.min_acceptance_rate)
        abc_time = time.perf_counter() - started
        completed, simulations = int(history.max_t + 1), int(history.total_nr_simulations)
        if completed < 1:
            raise InputError("abc: no generation completed; raise abc.max_attempts or widen "
                             "the pattern scales")
        posterior = _posterior_frame(history, calibration)
        generations = _generations_frame(history)
        summary = summarize(posterior, calibration)
        preset = {row.parameter: float(f"{row.median:.4g}") for row in summary.itertuples()}
        say(f"Posterior-predictive and before/after runs ({calibration.predictive.draws} draws, "
            f"{calibration.predictive.seeds} seeds each)")
        runs, seeds = _predictive_runs(map_, simulator, base, calibration, posterior, preset)
    fit = fit_table(all_observed, calibration, runs)
    recovery = recovery_table(summary, truth) if truth is not None else None
    predictive_time = time.perf_counter() - started - abc_time

    tables = {"posterior": posterior, "posterior_summary": summary, "generations": generations,
              "fit": fit, "recovery": recovery}
    written = []
    for name, table in tables.items():
        if table is not None:
            write_parquet(out / f"{name}.parquet", table)
            written.append(f"{name}.parquet")
    write_figure(out / "posterior_predictive.png", predictive_figure(fit, calibration))
    written.append("posterior_predictive.png")
    partial.replace(database)
    written.append("abc.db")

    total = time.perf_counter() - started
    manifest = {
        "calibration": calibration.model_dump(mode="json"),
        "calibration_file": source,
        "command": " ".join(["innovate", *sys.argv[1:]]) if source else None,
        **stamp(),
        "seeds": {
            "abc": settings.seed,
            "particle_slots": "SeedSequence(abc.seed, spawn_key=(call, slot)); call 0 is the "
                              "calibration sample, call g+1 generation g",
            "predictive": "SeedSequence(abc.seed, spawn_key=(2**31 - 1, 1))",
            "before_after": f"0 to {len(seeds) - 1}",
            "synthetic": calibration.synthetic.seed if truth else None},
        "workers": settings.workers,
        "generations_completed": completed,
        "simulations": simulations,
        "final_epsilon": float(generations["epsilon"].iloc[-1]),
        "posterior_median": preset,
        "timings_s": {"abc": round(abc_time, 2), "predictive": round(predictive_time, 2),
                      "total": round(total, 2)},
        "files": written,
    }
    preset_path = posterior_path = None
    if calibration.preset is not None:
        preset_path = write_text(out / f"{calibration.preset.name}.toml",
                                 preset_text(calibration, preset, manifest))
        load_config(preset_path)  # it must validate
        written.append(preset_path.name)
        posterior_path = write_posterior(out / f"{calibration.preset.name}{POSTERIOR_SUFFIX}",
                                         calibration.keys, posterior[calibration.keys].to_numpy(),
                                         posterior["weight"].to_numpy())
        load_posterior(posterior_path)  # it must load and fit the preset
        written.append(posterior_path.name)
    write_text(out / "summary.md", summary_markdown(calibration, summary, fit, generations,
                                                    recovery, manifest))
    written += ["summary.md", "manifest.json"]
    write_json(out / "manifest.json", manifest)
    return CalibrationResult(out=out, posterior=posterior, summary=summary,
                             generations=generations, fit=fit, recovery=recovery, preset=preset,
                             preset_path=preset_path, manifest=manifest,
                             posterior_path=posterior_path)


def _posterior_frame(history: Any, calibration: CalibrationSpec) -> pd.DataFrame:
    population = history.get_population(history.max_t)
    rows = []
    for particle in population.particles:
        rows.append({"weight": float(particle.weight), "distance": float(particle.distance),
                     **{k: float(particle.parameter[k]) for k in calibration.keys},
                     **{f"sim.{k}": float(v) for k, v in sorted(particle.sum_stat.items())}})
    frame = pd.DataFrame(rows).sort_values(calibration.keys, kind="stable", ignore_index=True)
    frame["weight"] /= frame["weight"].sum()
    frame.insert(0, "generation", int(history.max_t))
    frame.insert(0, "particle", np.arange(len(frame)))
    return frame


def _generations_frame(history: Any) -> pd.DataFrame:
    frame = history.get_all_populations()
    frame = frame[frame["t"] >= 0].reset_index(drop=True)
    return pd.DataFrame({"generation": frame["t"].astype(int),
                         "epsilon": frame["epsilon"].astype(float),
                         "simulations": frame["samples"].astype(int),
                         "acceptance_rate": frame["particles"] / frame["samples"],
                         "wall_time_s": frame["wall_time"].astype(float)})


def _predictive_runs(map_: Callable, simulator: Simulator, base: Config,
                     calibration: CalibrationSpec, posterior: pd.DataFrame,
                     preset: Mapping[str, float]) -> tuple[dict[str, pd.DataFrame], list[int]]:
    settings = calibration.predictive
    rng = np.random.default_rng(np.random.SeedSequence(calibration.abc.seed,
                                                       spawn_key=(2**31 - 1, 1)))
    picks = rng.choice(len(posterior), size=settings.draws,
                       p=posterior["weight"].to_numpy())
    draw_seeds = rng.integers(0, 2**62, size=settings.draws)
    before = {k: current_value(base, k) for k in calibration.keys}
    seeds = list(range(settings.seeds))
    tasks = [(simulator, {k: float(posterior.loc[i, k]) for k in calibration.keys}, int(s))
             for i, s in zip(picks, draw_seeds, strict=True)]
    tasks += [(simulator, before, s) for s in seeds] + [(simulator, dict(preset), s)
                                                        for s in seeds]
    results = pd.DataFrame(map_(run_task, tasks))
    n = settings.draws
    return {"before": results.iloc[n:n + len(seeds)].reset_index(drop=True),
            "predictive": results.iloc[:n].reset_index(drop=True),
            "after": results.iloc[n + len(seeds):].reset_index(drop=True)}, seeds
