"""Running a targeting experiment: every strategy on every seed set, resumably, to a folder.

Each evaluation is one run of the scenario, ending at the horizon, with a set of sites funded
from the start (:func:`sim.targeting.spec.support_event`) and one seed of a seed set. Runs
of the same seed use the same random numbers whatever is funded (each agent draws its own
numbers each quarter), so two sets compared on one seed differ by what was funded, not by
chance. Evaluations are run on the sweep's executors (:func:`sim.sweeps.backends.open_executor`)
and written, batch by batch, as Parquet parts; ``resume`` reads them back and replays the
searches, which ask for the same sets in the same order, so an interrupted experiment
finishes with the results it would have had.

Folder layout::

    manifest.json       the experiment, its digest, versions and timings
    parts/              evaluations-00000.parquet, ...
    evaluations.parquet every (seed set, sites, seed) run: score, value, integrating, gaps
    strategies.csv      per seed set and strategy: the sites, the objective, the gain over
                        random with its 90% interval, the equity gaps
    sites.csv           per strategy and authority: how often it was chosen over the seed sets
    summary.md          the comparison in words
    map.png             the chosen sites of each strategy (first seed set)
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from sim.errors import InputError
from sim.io import (
    output_folder,
    read_json,
    stamp,
    write_figure,
    write_json,
    write_parquet,
    write_text,
)
from sim.mechanics.population import Population
from sim.sweeps.backends import BACKENDS, Backend, open_executor
from sim.sweeps.design import Run
from sim.sweeps.runner import Task, task_config
from sim.targeting import report
from sim.targeting.objective import Objective
from sim.targeting.search import brute_force, lazy_greedy
from sim.targeting.spec import Targeting, support_overrides
from sim.targeting.strategies import RULES, Candidates, fill, random_order
from sim.vocabulary import APPROACHES, ENDED

#: what an evaluation returns (besides its keys)
VALUES = ("score", "value", "integrating", "gap_integrating", "gap_outcome")


@dataclass(frozen=True)
class TargetingSummary:
    """How a targeting experiment went."""

    out: Path
    evaluations: int
    ran: int
    wall_time: float


def evaluate_chunk(items: list[tuple[Task, Objective]]) -> list[dict]:
    """Run each task to the horizon and score it (in a worker)."""
    from sim.model import InnovationModel

    out = []
    for task, objective in items:
        result = InnovationModel(config=task_config(task), seed=task.run.seed).run()
        out.append(objective.values(result))
    return out


class Evaluations:
    """Every evaluation so far, kept in memory and in the folder's parts (if ``out``).

    A key is (seed set, sites, seed index); :meth:`scores` runs what is missing on
    ``executor`` and calls ``on_runs`` with the number of runs taken so far.
    """

    def __init__(self, t: Targeting, out: Path | None, executor: Executor, workers: int,
                 on_runs: Callable[[int], None] | None = None):
        self.t, self.out, self.executor, self.workers = t, out, executor, workers
        self.on_runs = on_runs
        self.objective = Objective(t.spec.objective, t.spec.approach, t.spec.start, t.weights)
        self.digest = hashlib.sha256(json.dumps(t.base, sort_keys=True,
                                                default=str).encode()).hexdigest()
        self.done: dict[tuple[int, tuple[int, ...], int], dict] = {}
        self.parts = 0
        self.ran = 0
        for path in sorted((out / "parts").glob("evaluations-*.parquet")) if out else ():
            for row in pq.read_table(path).to_pylist():
                key = (row["seed_set"], tuple(json.loads(row["sites"])), row["seed_index"])
                self.done[key] = {name: row[name] for name in VALUES}
            self.parts += 1

    def scores(self, seed_set: int, pairs: list[tuple[tuple[int, ...], int]],
               ids: np.ndarray) -> list[dict]:
        """The evaluation of each (sites, seed index) of ``seed_set``, running what is missing."""
        missing = sorted({p for p in pairs if (seed_set, *p) not in self.done})
        if missing:
            self._run(seed_set, missing, ids)
        return [self.done[(seed_set, *p)] for p in pairs]

    def _run(self, seed_set: int, pairs: list[tuple[tuple[int, ...], int]],
             ids: np.ndarray) -> None:
        seeds = self.t.seed_sets[seed_set]
        drawn = {j: tuple(self.t.parameters(seeds[j]).items()) for _, j in pairs}
        items = [(Task(run=Run(run_id=0, point=0, replicate=j, seed=seeds[j]), base=self.t.base,
                       base_digest=self.digest,
                       overrides=(*self.t.overrides,
                                  *support_overrides([str(ids[i]) for i in sites])),
                       metrics=(), curves=False, parameters=drawn[j]), self.objective)
                 for sites, j in pairs]
        size = max(1, min(40, -(-len(items) // (2 * self.workers))))
        chunks = [items[k:k + size] for k in range(0, len(items), size)]
        results = [r for chunk in self.executor.map(evaluate_chunk, chunks) for r in chunk]
        rows = []
        for (sites, j), values in zip(pairs, results, strict=True):
            self.done[(seed_set, sites, j)] = values
            rows.append({"seed_set": seed_set, "sites": json.dumps(list(sites)),
                         "seed_index": j, "seed": seeds[j], **values})
        if self.out is not None:
            write_parquet(self.out / "parts" / f"evaluations-{self.parts:05d}.parquet",
                          pd.DataFrame(rows))
        self.parts += 1
        self.ran += len(rows)
        if self.on_runs is not None:
            self.on_runs(self.ran)

    def mean_scores(self, seed_set: int, ids: np.ndarray) -> Callable:
        """``evaluate(sets)`` for the search: each set's mean score over the seed set."""
        n = self.t.spec.seeds

        def evaluate(sets: list[tuple[int, ...]]) -> list[float]:
            pairs = [(tuple(s), j) for s in sets for j in range(n)]
            values = self.scores(seed_set, pairs, ids)
            return [float(np.mean([v["score"] for v in values[k * n:(k + 1) * n]]))
                    for k in range(len(sets))]
        return evaluate


def brute_force_check(t: Targeting, store: Evaluations, found: list[int], c: Candidates,
                      population: Population) -> dict:
    """Every set of ``sites`` eligible authorities on the first seed set, against the search.

    ``c`` is what the rules know of the authorities in that set's runs (:func:`candidates`).
    Returns the best set and its objective, the search's set and its objective, how many sets
    do better than the search's, and the Monte Carlo error of the difference (the standard
    error of the per-seed paired differences between the best set and the search's).
    """
    eligible = np.flatnonzero(c.eligible).tolist()
    evaluate = store.mean_scores(0, population.ids)
    best, best_value, values = brute_force(evaluate, eligible, t.spec.sites)
    key = tuple(sorted(found))
    pairs = [(tuple(best), j) for j in range(t.spec.seeds)]
    difference = np.array([b["score"] - f["score"] for b, f in zip(
        store.scores(0, pairs, population.ids),
        store.scores(0, [(key, j) for j in range(t.spec.seeds)], population.ids),
        strict=True)])
    error = float(np.std(difference, ddof=1) / np.sqrt(len(difference)))
    return {"sets": len(values), "best": population.ids[best].astype(str).tolist(),
            "best_names": population.names[best].astype(str).tolist(),
            "best_value": best_value, "found": population.ids[list(key)].astype(str).tolist(),
            "found_names": population.names[list(key)].astype(str).tolist(),
            "found_value": values[key],
            "better_sets": int(sum(v > values[key] for v in values.values())),
            "difference": best_value - values[key], "standard_error": error}


def _choose(t: Targeting, k: int, c: Candidates, population: Population, store: Evaluations,
            budget: float, searched: dict, progress: bool) -> dict[str, list[list[int]]]:
    """Every strategy's sites for each seed of search set ``k`` (the same for all but random).

    ``c`` is what the rules know of the authorities at the start in that set's runs.
    """
    sets = {"none": [[]] * t.spec.seeds, "random": _random_sets(t, k, budget, c)}
    for name in t.spec.strategies:
        if name in RULES:
            sets[name] = [fill(RULES[name](c), c.cost, budget)] * t.spec.seeds
        elif name == "optimised":
            found, _, evaluated = lazy_greedy(store.mean_scores(k, population.ids),
                                              np.flatnonzero(c.eligible).tolist(), c.cost,
                                              budget)
            sets[name] = [found] * t.spec.seeds
            searched[str(k)] = evaluated
        if progress:
            print(f"seed set {k + 1}/{t.spec.seed_sets}: {name} chosen ({store.ran} runs so "
                  "far)", flush=True)
    return sets


def _random_sets(t: Targeting, k: int, budget: float, c: Candidates) -> list[list[int]]:
    """A random choice of sites for each seed of seed set ``k``, from its eligible authorities."""
    rng = np.random.default_rng([t.spec.seed, k])
    return [fill(random_order(c, rng), c.cost, budget) for _ in range(t.spec.seeds)]


def _values(store: Evaluations, k: int, sets: dict[str, list[list[int]]], ids: np.ndarray
            ) -> dict[str, list[dict]]:
    """Each strategy's evaluation on each seed of seed set ``k``."""
    return {name: store.scores(k, [(tuple(s), j) for j, s in enumerate(chosen)], ids)
            for name, chosen in sets.items()}


def _cost(t: Targeting, population: Population) -> np.ndarray:
    """The model's cost of funding each authority (GBP), or 1 each for a number of sites."""
    if t.spec.sites is not None:
        return np.ones(population.size)
    cfg = t.config
    per_year = cfg.costs.per_stage[t.spec.stage - 1] * cfg.approaches[
        t.spec.approach].cost_multiplier
    return per_year * population.child_population / 1e4 * t.spec.support_years


def candidates(t: Targeting, seed_set: int) -> tuple[Candidates, Population]:
    """What the rules know at the start: each authority's state in the seed set's runs."""
    from sim.model import InnovationModel

    a = APPROACHES.index(t.spec.approach)
    before, readiness = [], []
    for seed in t.seed_sets[seed_set]:
        model = InnovationModel(config=t.seed_config(seed), seed=seed)
        model.run_for(int(np.searchsorted(model.timeline.end, t.spec.start + 1e-9)))
        s = model.state
        before.append((s.stage[:, a] < t.spec.stage) | (s.status[:, a] == ENDED))
        readiness.append(s.readiness[:, a].copy())
    population = model.population
    static = model.network.static
    strength = (np.zeros(population.size) if static is None
                else np.asarray(static.sum(axis=1)).ravel())
    return Candidates(eligible=np.mean(before, axis=0) >= 0.5,
                      readiness=np.mean(readiness, axis=0), strength=strength,
                      region=population.region, need=population.need,
                      cost=_cost(t, population)), population


@dataclass
class Comparison:
    """What a targeting experiment found (:func:`compare_strategies`).

    Attributes:
        strategies: one row per seed set and strategy (:func:`report.strategy_rows`).
        chosen: each seed set's sites of each strategy but random.
        population: the authorities (indices in ``chosen`` are rows of it).
        check: the brute-force check (:func:`brute_force_check`), or None.
        sets_searched: sets the search evaluated, per seed set.
    """

    strategies: pd.DataFrame
    chosen: dict[int, dict[str, list[int]]]
    population: Population
    check: dict | None
    sets_searched: dict[str, int]

    @property
    def sites(self) -> pd.DataFrame:
        """How often each strategy chose each authority over the seed sets."""
        return report.site_frequency(self.chosen, self.population)


def compare_strategies(t: Targeting, store: Evaluations, progress: bool = False) -> Comparison:
    """Every strategy's sites on every seed set, scored on the held-out seeds.

    The brute-force check too, if the experiment asks for it.
    """
    spec = t.spec
    budget = float(spec.sites if spec.sites is not None else spec.budget_gbp_m * 1e6)
    rows, chosen, searched = [], {}, {}
    held = _random_sets(t, t.held_out, budget, candidates(t, t.held_out)[0])
    first = None
    for k in range(spec.seed_sets):
        c, population = candidates(t, k)
        first = first or (c, population)
        sets = _choose(t, k, c, population, store, budget, searched, progress)
        chosen[k] = {name: sets[name][0] for name in spec.strategies if name != "random"}
        scored = {"none": sets["none"], "random": held,
                  **{name: sites for name, sites in sets.items()
                     if name not in ("none", "random")}}
        ids = population.ids
        rows += report.strategy_rows(k, scored, _values(store, t.held_out, scored, ids),
                                     _values(store, k, sets, ids), population, c.cost)
    check = (brute_force_check(t, store, chosen[0]["optimised"], *first)
             if spec.check_brute_force else None)
    return Comparison(strategies=pd.DataFrame(rows), chosen=chosen, population=population,
                      check=check, sets_searched=searched)


def run_targeting(t: Targeting, out: str | Path, *, workers: int = 1,
                  backend: Backend = "local", scheduler: str | None = None,
                  resume: bool = False, progress: bool = True) -> TargetingSummary:
    """Evaluate every strategy of ``t`` on every seed set into ``out`` (see the module)."""
    out = Path(out)
    if workers < 1:
        raise InputError(f"--workers must be at least 1, got {workers}")
    if backend not in BACKENDS:
        raise InputError(f"--backend must be 'local' or 'dask', got {backend!r}")
    _prepare_folder(t, out, resume)
    started = time.perf_counter()
    manifest = read_json(out / "manifest.json") if resume else {
        "experiment": t.spec.name, "kind": "targeting", "digest": t.digest, "text": t.text,
        "seed_sets": [list(s) for s in t.seed_sets], **stamp()}
    manifest["status"] = "running"
    write_json(out / "manifest.json", manifest)
    with open_executor(backend, workers, scheduler) as executor:
        store = Evaluations(t, out, executor, workers)
        found = compare_strategies(t, store, progress)
        wall = time.perf_counter() - started
    _write_outputs(t, out, found)
    manifest |= {"status": "complete", "sets_searched": found.sets_searched,
                 "brute_force": found.check}
    manifest.setdefault("sessions", []).append({
        "finished": datetime.now(UTC).isoformat(timespec="seconds"), "backend": backend,
        "workers": workers, "runs": store.ran, "wall_time_s": round(wall, 3)})
    write_json(out / "manifest.json", manifest)
    return TargetingSummary(out=out, evaluations=len(store.done), ran=store.ran,
                            wall_time=wall)


def _write_outputs(t: Targeting, out: Path, found: Comparison) -> None:
    frames = [pq.read_table(p).to_pandas() for p in sorted((out / "parts").glob("*.parquet"))]
    evaluations = pd.concat(frames, ignore_index=True).sort_values(
        ["seed_set", "sites", "seed_index"], kind="stable").reset_index(drop=True)
    write_parquet(out / "evaluations.parquet", evaluations)
    write_text(out / "strategies.csv", found.strategies.to_csv(index=False))
    sites = found.sites
    write_text(out / "sites.csv", sites.to_csv(index=False))
    write_text(out / "summary.md", report.summary_markdown(
        t, found.strategies, sites, found.chosen, found.population, found.check))
    write_figure(out / "map.png", report.map_figure(found.chosen[0], found.population,
                                                    t.spec.approach))


def _prepare_folder(t: Targeting, out: Path, resume: bool) -> None:
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out}: exists and is not a folder")
    if resume:
        manifest = out / "manifest.json"
        if not manifest.is_file():
            raise InputError(f"--resume: {out} has no manifest.json; start without --resume")
        if read_json(manifest).get("digest") != t.digest:
            raise InputError(f"--resume: {out} holds a different targeting experiment; use "
                             "another --out")
        for leftover in (out / "parts").glob("*.tmp"):
            leftover.unlink()
        return
    if out.is_dir() and any(out.iterdir()):
        raise InputError(f"--out {out}: folder is not empty; use --resume to finish that "
                         "experiment or choose another folder")
    output_folder(out)
    (out / "parts").mkdir(exist_ok=True)
