"""Many runs of the scenario in the panel, for the Uptake and Map tabs' "20 runs" views.

One run shows one draw of chance (a new director, an inspection); 20 runs with seeds 0-19 show
the range. With a calibrated preset (:func:`dashboards.ensembles.preset_posterior`) each run
also draws its parameters from the calibration's posterior, one draw per seed, as Compare
does. Everything is kept per process by the settings, so switching tabs or back and forth
between one run and 20 runs does not run anything again. No Solara here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from dashboards.ensembles import Ensemble, preset_posterior, run_ensemble
from dashboards.settings import Settings
from sim.cache import ProcessCache
from sim.config.posterior import config_for_draw, posterior_draws
from sim.model import InnovationModel
from sim.vocabulary import APPROACHES, BAND, ENDED, MEASURES

ENSEMBLE_RUNS = 20                  # runs behind every "20 runs" view
_ENSEMBLES = ProcessCache(32)       # Uptake: shares by measure (small)
_STAGE_RUNS = ProcessCache(8)       # Map: every authority's stage in every run (about 1.3 MB)


def settings_key(settings: Settings) -> tuple[str, str]:
    """What identifies a scenario's runs: its preset and every setting (the command line).

    The seed is left out: the runs use seeds 0-19 whatever the panel's seed.
    """
    command = settings.command_line().split()
    seed_at = command.index("--seed")
    return settings.preset, " ".join(command[:seed_at] + command[seed_at + 2:])


def uptake_ensemble(settings: Settings, runs: int = ENSEMBLE_RUNS) -> Ensemble:
    """``runs`` runs of the settings (seeds 0..runs-1), with the preset's posterior if any.

    Kept per process by the settings. Invalid settings raise :class:`sim.errors.InputError`.
    """
    def build() -> Ensemble:
        return run_ensemble(settings, runs, "your scenario",
                            posterior=preset_posterior(settings.preset))

    return _ENSEMBLES.get((settings_key(settings), runs), build)


def band_table(ensemble: Ensemble, size: int) -> pd.DataFrame:
    """Median and 90% band of the runs, as numbers of authorities, per approach and measure.

    ``size`` is the number of authorities the shares are of. The band is the 5% and 95%
    quantiles (:data:`sim.vocabulary.BAND`) of the runs at every step, so the median always
    lies inside it. Columns: approach, measure, time, median, low, high, runs.
    """
    rows = []
    for approach in APPROACHES:
        for measure in MEASURES:
            values = ensemble.series(approach, measure) * size
            low, median, high = np.quantile(values, [BAND[0], 0.5, BAND[1]], axis=0)
            rows.append(pd.DataFrame({
                "approach": approach, "measure": measure, "time": ensemble.times,
                "median": median, "low": low, "high": high, "runs": len(ensemble.seeds)}))
    return pd.concat(rows, ignore_index=True)


@dataclass(frozen=True)
class StageRuns:
    """Every authority's stage in several runs of one scenario, at every step.

    Attributes:
        times: calendar time after each step; ``times[0]`` is the start of the run.
        stage: stage 0-6, shape (runs, steps + 1, authorities, approaches).
        ended: whether the journey has ended, same shape.
        seeds: the seeds run.
        posterior: the posterior the runs drew their parameters from, or None.
    """

    times: np.ndarray
    stage: np.ndarray
    ended: np.ndarray
    seeds: tuple[int, ...]
    posterior: str | None = None

    def share_at_or_beyond(self, k: int, approach: str, stage: int) -> np.ndarray:
        """Share of the runs in which each authority is at ``stage`` or beyond after step ``k``.

        A journey that has ended is not counted, as in the Uptake tab's counts.
        """
        k = int(np.clip(k, 0, len(self.times) - 1))
        a = APPROACHES.index(approach)
        there = (self.stage[:, k, :, a] >= stage) & ~self.ended[:, k, :, a]
        return there.mean(axis=0)


def stage_runs(settings: Settings, runs: int = ENSEMBLE_RUNS) -> StageRuns:
    """``runs`` runs of the settings (seeds 0..runs-1), every authority's stage at every step.

    The same seeds and posterior draws as :func:`uptake_ensemble`. Kept per process by the
    settings. Invalid settings raise :class:`sim.errors.InputError`.
    """
    def build() -> StageRuns:
        config = settings.config()
        seeds = list(range(runs))
        posterior = preset_posterior(settings.preset)
        configs = [config] * runs
        if posterior is not None:
            keep = [key for key, _ in settings.overrides()]
            configs = [config_for_draw(config, posterior, draw, keep)
                       for draw in posterior_draws(posterior, seeds)]
        stages, ended, times = [], [], None
        for seed, run_config in zip(seeds, configs, strict=True):
            model = InnovationModel(config=run_config, seed=seed)
            steps = model.timeline.steps
            stage = np.zeros((steps + 1, *model.state.stage.shape), np.int8)
            status = np.zeros_like(stage)
            stage[0], status[0] = model.state.stage, model.state.status
            for k in range(1, steps + 1):
                model.step()
                stage[k], status[k] = model.state.stage, model.state.status
            stages.append(stage)
            ended.append(status == ENDED)
            times = np.concatenate([[run_config.time.start], model.timeline.end])
        out = StageRuns(times=times, stage=np.array(stages), ended=np.array(ended),
                        seeds=tuple(seeds),
                        posterior=None if posterior is None else posterior.name)
        for array in (out.stage, out.ended):
            array.flags.writeable = False
        return out

    return _STAGE_RUNS.get((settings_key(settings), runs), build)


def runs_note(runs: int, posterior: str | None) -> str:
    """What the "20 runs" views show, in plain words."""
    drawn = (" Each run also draws the model's uncertain settings from the calibration, so the "
             "range shows what the model does not know as well as chance." if posterior else "")
    return (f"These are {runs} runs of the same scenario (seeds 0 to {runs - 1}): chance events "
            f"differ from run to run.{drawn}")
