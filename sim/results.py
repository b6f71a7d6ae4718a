"""What a run records each step, and the tables, metrics and files it produces."""

from __future__ import annotations

import functools
import json
import math
import os
import platform
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.config import APPROACHES, NATIONS, Config
from sim.journey import (
    CODES,
    EVIDENCE,
    FIELDS,
    KINDS,
    STAGES,
    STATUSES,
    JourneyState,
    StepEvents,
    explain,
)
from sim.metrics import MEASURES, summary_metrics
from sim.network import Network
from sim.population import Population

_WIDTH = len(APPROACHES)


class Recorder:
    """Per-step counts by region, nation sums of every journey field, and the event log."""

    def __init__(self, population: Population, network: Network, steps: int):
        self.population, self.network = population, network
        n = population.size
        regions = len(population.regions)
        self.counts = np.zeros((steps, regions, _WIDTH, 7, 3), np.int32)
        self.sums = np.zeros((steps, len(FIELDS), len(NATIONS), _WIDTH))
        self.clustering: dict[str, float] = {}
        self._events: list[tuple[float, StepEvents]] = []
        self._base = population.region[:, None] * _WIDTH * CODES
        self._onehot = (population.nation[None, :] ==
                        np.arange(len(NATIONS))[:, None]).astype(float)
        # counts of one step @ this = engaged (stage >= 1, not ended) journeys per approach
        engaged = np.zeros((regions, _WIDTH, 7, 3, _WIDTH), np.int64)
        for a in range(_WIDTH):
            engaged[:, a, MEASURES["engaged"]:, :2, a] = 1
        self._engaged = engaged.reshape(-1, _WIDTH)
        self._n = n

    def record(self, k: int, t1: float, state: JourneyState, events: StepEvents,
               code: np.ndarray) -> None:
        """Record step k (ending at t1); ``code`` is every journey's code (see Mechanics)."""
        counts = np.bincount((self._base + code).ravel(), minlength=self.counts[k].size)
        self.counts[k] = counts.reshape(self.counts.shape[1:])
        np.matmul(self._onehot, state.fields, out=self.sums[k])
        if len(events.agent):
            self._events.append((t1, events))
        if len(self.clustering) < _WIDTH:
            engaged = counts @ self._engaged
            for a, name in enumerate(APPROACHES):
                if name not in self.clustering and 4 * engaged[a] >= self._n:
                    live = (state.stage[:, a] >= MEASURES["engaged"]) & (state.status[:, a] != 2)
                    self.clustering[name] = self.network.moran(live)

    def event_arrays(self) -> dict[str, np.ndarray]:
        """The event log as concatenated arrays."""
        if not self._events:
            empty = np.zeros(0, np.int64)
            return {"time": np.zeros(0), "agent": empty, "approach": empty,
                    "from_stage": empty, "to_stage": empty, "kind": empty, "reason": empty,
                    "evidence": np.zeros((len(EVIDENCE), 0))}
        return {
            "time": np.repeat([t for t, _ in self._events],
                              [len(e.agent) for _, e in self._events]),
            **{name: np.concatenate([getattr(e, name) for _, e in self._events])
               for name in ("agent", "approach", "from_stage", "to_stage", "kind", "reason")},
            "evidence": np.concatenate([e.evidence for _, e in self._events], axis=1),
        }


@dataclass
class RunResult:
    """Everything one run produced: tables as DataFrames, metrics, manifest and files.

    Attributes:
        config: the resolved configuration.
        seed: the run's seed.
        times: calendar time at the end of each step.
        region_counts: journeys by step, region, approach, stage and status.
        sums: nation sums of every journey field (conditions, readiness, spend, outcome) by
            step, shape (steps, fields, nations, approaches).
        wall_time: seconds spent building and running the model.
    """

    config: Config
    seed: int
    times: np.ndarray
    region_counts: np.ndarray
    sums: np.ndarray
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
        """Summary metrics of MODEL.md 7 and the simulated observed patterns of MODEL.md 8."""
        return summary_metrics(
            times=self.times, counts=self.counts, size=self.size, dt=self.config.time.dt,
            uptake=self.uptake_times, spend=self.final.spend.sum(axis=0),
            outcome_years=self.config.time.dt * self.sums[:, FIELDS.index("outcome")].sum(
                axis=(0, 1)),
            outcome_end=self.final.outcome.mean(axis=0),
            clustering=self.clustering, observed=self.observed)

    @functools.cached_property
    def manifest(self) -> dict[str, Any]:
        """Scenario, full resolved configuration, seed, versions and wall time."""
        import mesa

        from sim import __version__
        from sim.data import ATTRIBUTION
        return {
            "scenario": self.config.name,
            "description": self.config.description,
            "seed": self.seed,
            "package": "innovate-sim",
            "version": __version__,
            "python": platform.python_version(),
            "numpy": np.__version__,
            "mesa": mesa.__version__,
            "agents": self.size,
            "steps": len(self.times),
            "wall_time_s": round(self.wall_time, 4),
            "configuration": self.config.model_dump(mode="json"),
            "data_attribution": ATTRIBUTION,
            **self.extra,
        }

    def save(self, out: str | Path, plot: bool = True) -> Path:
        """Write the tables, metrics, manifest and chart into ``out``, each file atomically."""
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".partial-", dir=out))
        try:
            self.timeseries.to_parquet(staging / "timeseries.parquet", index=False)
            self.events.to_parquet(staging / "events.parquet", index=False)
            self.agents.to_parquet(staging / "agents.parquet", index=False)
            self.indicator_table.to_parquet(staging / "indicators.parquet", index=False)
            self.regions.to_parquet(staging / "regions.parquet", index=False)
            write_json(staging / "metrics.json", self.metrics)
            write_json(staging / "manifest.json", self.manifest)
            if plot:
                from sim.plots import save_adoption_png
                save_adoption_png(self, staging / "adoption.png")
            for item in sorted(staging.iterdir()):
                os.replace(item, out / item.name)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return out


def write_json(path: Path, data: dict) -> None:
    """Write JSON atomically (temporary file, then rename); NaN and infinities become null."""
    def clean(value: Any) -> Any:
        if isinstance(value, float) and not math.isfinite(value):
            return None
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [clean(v) for v in value]
        if isinstance(value, np.generic):
            return clean(value.item())
        return value

    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(clean(data), indent=2, allow_nan=False, default=str) + "\n",
                   encoding="utf-8")
    os.replace(tmp, path)
