"""The results of one run: tables as DataFrames, metrics, the manifest and the files."""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.config import Config
from sim.io import staged_folder, stamp, write_json, write_parquet
from sim.mechanics.population import Population
from sim.mechanics.reasons import explain
from sim.mechanics.state import FIELDS, JourneyState
from sim.output.equity import equity_arrays, equity_table, gap_series
from sim.output.metrics import summary_metrics
from sim.vocabulary import APPROACHES, KINDS, MEASURES, NATIONS, STAGES, STATUSES


@dataclass
class RunResult:
    """Everything one run produced: tables as DataFrames, metrics, manifest and files.

    Attributes:
        config: the resolved configuration.
        seed: the run's seed.
        times: calendar time at the end of each step.
        region_counts: journeys by step, region, approach, stage and status.
        quintile_counts: the same by within-nation deprivation quintile instead of region.
        sums: nation sums of every journey field (conditions, readiness, spend, outcome) by
            step, shape (steps, fields, nations, approaches).
        outcome_sums: the outcome index summed by region, then by quintile, shape (steps,
            regions + quintiles, approaches).
        wall_time: seconds spent building and running the model.
    """

    config: Config
    seed: int
    times: np.ndarray
    region_counts: np.ndarray
    quintile_counts: np.ndarray
    sums: np.ndarray
    outcome_sums: np.ndarray
    population: Population
    final: JourneyState
    event_log: dict[str, np.ndarray]
    reasons: list[str]
    clustering: dict[str, float]
    observed: pd.DataFrame | None
    wall_time: float
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def size(self) -> int:
        """Number of agents."""
        return self.population.size

    @functools.cached_property
    def counts(self) -> np.ndarray:
        """Journeys by step, nation, approach, stage and status (regions summed)."""
        p = self.population
        nation_of_region = np.zeros(len(p.regions), int)
        nation_of_region[p.region] = p.nation
        onehot = (nation_of_region[None, :] == np.arange(len(NATIONS))[:, None]).astype(float)
        steps, regions, *journeys = self.region_counts.shape
        # counts are whole numbers far below 2**53, so the float product is exact
        out = np.matmul(onehot, self.region_counts.reshape(steps, regions, math.prod(journeys)))
        return out.astype(np.int64).reshape(steps, len(NATIONS), *journeys)

    @functools.cached_property
    def regions(self) -> pd.DataFrame:
        """Engaged, implementing and integrating journeys by step, region and approach."""
        p = self.population
        nation_of_region = np.zeros(len(p.regions), int)
        nation_of_region[p.region] = p.nation
        steps, regions, width = self.region_counts.shape[:3]
        idx = np.indices((steps, regions, width)).reshape(3, -1)
        frame = pd.DataFrame({
            "time": self.times[idx[0]],
            "region": pd.Categorical.from_codes(idx[1], p.regions),
            "nation": pd.Categorical.from_codes(nation_of_region[idx[1]], NATIONS),
            "approach": pd.Categorical.from_codes(idx[2], APPROACHES),
        })
        for measure, stage in MEASURES.items():
            alive = self.region_counts[:, :, :, stage:, :2].sum(axis=(3, 4))
            frame[measure] = alive.reshape(-1).astype(np.int32)
        return frame

    @functools.cached_property
    def timeseries(self) -> pd.DataFrame:
        """One row per step x nation x approach x stage x status: time, ..., count."""
        steps, nations, width, stages, statuses = self.counts.shape
        idx = np.indices(self.counts.shape).reshape(5, -1)
        return pd.DataFrame({
            "time": self.times[idx[0]],
            "nation": pd.Categorical.from_codes(idx[1], NATIONS),
            "approach": pd.Categorical.from_codes(idx[2], APPROACHES),
            "stage": idx[3].astype(np.int8),
            "status": pd.Categorical.from_codes(idx[4], STATUSES),
            "count": self.counts.reshape(-1).astype(np.int32),
        })

    @functools.cached_property
    def events(self) -> pd.DataFrame:
        """Every transition with its time, authority, approach, stages, kind and reason."""
        log = self.event_log
        return pd.DataFrame({
            "time": log["time"],
            "agent_id": pd.Categorical(self.population.ids[log["agent"]].astype(str)),
            "approach": pd.Categorical.from_codes(log["approach"].astype(np.int8), APPROACHES),
            "from_stage": log["from_stage"].astype(np.int8),
            "to_stage": log["to_stage"].astype(np.int8),
            "kind": pd.Categorical.from_codes(log["kind"].astype(np.int8), KINDS),
            "reason": pd.Categorical.from_codes(
                explain(log["kind"], log["reason"], log["evidence"]), self.reasons),
        })

    @functools.cached_property
    def agents(self) -> pd.DataFrame:
        """Final state of every authority, one row each."""
        p, s = self.population, self.final
        frame = {
            "agent_id": p.ids.astype(str), "name": p.names.astype(str),
            "nation": pd.Categorical.from_codes(p.nation, NATIONS),
            "region": np.array(p.regions, dtype=object)[p.region].astype(str),
            "child_population": p.child_population, "culture": s.culture,
            "workforce": s.workforce,
        }
        for a, name in enumerate(APPROACHES):
            frame |= {
                f"{name}_stage": s.stage[:, a].astype(np.int8),
                f"{name}_stage_name": np.array(STAGES, dtype=object)[s.stage[:, a]].astype(str),
                f"{name}_status": np.array(STATUSES, dtype=object)[s.status[:, a]].astype(str),
                f"{name}_readiness": s.readiness[:, a],
                f"{name}_spend_gbp": s.spend[:, a],
                f"{name}_outcome": s.outcome[:, a],
                f"{name}_integrated_ever": s.integrated_ever[:, a],
            }
        return pd.DataFrame(frame)

    @functools.cached_property
    def indicator_table(self) -> pd.DataFrame:
        """Nation means of the five conditions, readiness and outcome, and spend to date."""
        steps, _, nations, width = self.sums.shape
        size = np.bincount(self.population.nation, minlength=len(NATIONS)).astype(float)
        idx = np.indices((steps, nations, width)).reshape(3, -1)
        frame = pd.DataFrame({
            "time": self.times[idx[0]],
            "nation": pd.Categorical.from_codes(idx[1], NATIONS),
            "approach": pd.Categorical.from_codes(idx[2], APPROACHES),
        })
        values = self.sums[idx[0], :, idx[1], idx[2]]
        for k, name in enumerate(FIELDS):
            column = values[:, k] if name == "spend" else values[:, k] / np.maximum(
                size[idx[1]], 1)
            frame["spend_gbp_to_date" if name == "spend" else name] = column
        return frame[size[idx[1]] > 0].reset_index(drop=True)

    @functools.cached_property
    def equity(self) -> pd.DataFrame:
        """The equity lens (:func:`sim.output.equity.equity_table`) at every step.

        By step, group and approach: the shares engaged and integrating and the mean outcome,
        with the quintile gap.
        """
        return self.equity_over(slice(None))

    def equity_over(self, steps: slice) -> pd.DataFrame:
        """:attr:`equity` at some steps only (``slice(-1, None)``: the end of the run)."""
        outcome = FIELDS.index("outcome")
        return equity_table(self.times[steps], self.population, self.region_counts[steps],
                            self.quintile_counts[steps], self.counts[steps],
                            self.sums[steps, outcome], self.outcome_sums[steps])

    @functools.cached_property
    def gaps(self) -> np.ndarray:
        """The equity gap at every step: the most deprived quintile less the least.

        Shape (steps, approaches, 3): the share engaged, the share integrating and the mean
        outcome (:data:`sim.output.equity.EQUITY_MEASURES`); the gap rows of :attr:`equity`.
        """
        return self.gaps_over(slice(None))

    def gaps_over(self, steps: slice) -> np.ndarray:
        """:attr:`gaps` at some steps only (the metrics read the last: a tenth of the work)."""
        return gap_series(self.quintile_counts[steps],
                          self.outcome_sums[steps, len(self.population.regions):],
                          self.population.quintile)

    def equity_end(self) -> tuple[list[tuple[str, str]], np.ndarray]:
        """The equity lens at the end of the run, as arrays (no table: cheap enough for sweeps).

        Each group's (group, name) and its shares, shape (groups, approaches, 3) in
        :data:`sim.output.equity.EQUITY_MEASURES` order; the same numbers as the last step of
        :attr:`equity`.
        """
        last, outcome = slice(len(self.times) - 1, None), FIELDS.index("outcome")
        labels, shares, _ = equity_arrays(
            self.population, self.region_counts[last], self.quintile_counts[last],
            self.counts[last], self.sums[last, outcome], self.outcome_sums[last])
        return labels, shares[0]

    @property
    def uptake_times(self) -> list[np.ndarray]:
        """Per approach, the times of uptake: prompts, renewals and seeds from not started."""
        log = self.event_log
        kind = log["kind"]
        uptake = (kind == KINDS.index("prompt")) | (kind == KINDS.index("restart")) | (
            (kind == KINDS.index("seed")) & (log["from_stage"] == 0))
        return [log["time"][uptake & (log["approach"] == a)] for a in range(len(APPROACHES))]

    @functools.cached_property
    def metrics(self) -> dict[str, float]:
        """Summary metrics and the simulated observed patterns (ODD 1.2 and 7.20)."""
        return summary_metrics(
            times=self.times, counts=self.counts, size=self.size, dt=self.config.time.dt,
            uptake=self.uptake_times, spend=self.final.spend.sum(axis=0),
            outcome_years=self.config.time.dt * self.sums[:, FIELDS.index("outcome")].sum(
                axis=(0, 1)),
            outcome_end=self.final.outcome.mean(axis=0),
            clustering=self.clustering, observed=self.observed, event_log=self.event_log,
            ids=self.population.ids,
            gaps=self.gaps_over(slice(-1, None))[0] if len(self.times) else None)

    @functools.cached_property
    def manifest(self) -> dict[str, Any]:
        """Scenario, full resolved configuration, seed, software versions and wall time."""
        from sim.data import ATTRIBUTION

        return {
            "scenario": self.config.name,
            "description": self.config.description,
            "seed": self.seed,
            **stamp(),
            "agents": self.size,
            "steps": len(self.times),
            "wall_time_s": round(self.wall_time, 4),
            "configuration": self.config.model_dump(mode="json"),
            "data_attribution": ATTRIBUTION,
            **self.extra,
        }

    def save(self, out: str | Path, plot: bool = True) -> Path:
        """Write the tables, metrics, manifest and chart into ``out``, each file atomically.

        The files are written into a staging folder and renamed into ``out`` only when every
        one of them was written, so a save that fails leaves ``out`` as it was.
        """
        with staged_folder(out) as staging:
            write_parquet(staging / "timeseries.parquet", self.timeseries)
            write_parquet(staging / "events.parquet", self.events)
            write_parquet(staging / "agents.parquet", self.agents)
            write_parquet(staging / "indicators.parquet", self.indicator_table)
            write_parquet(staging / "regions.parquet", self.regions)
            write_parquet(staging / "equity.parquet", self.equity)
            write_json(staging / "metrics.json", self.metrics)
            write_json(staging / "manifest.json", self.manifest)
            if plot:
                from sim.output import plots
                plots.save_adoption_png(self, staging / "adoption.png")
        return Path(out)
