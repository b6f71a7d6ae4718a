"""The agents' static attributes: the 212 real authorities, or a resample of any size."""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from sim.cache import ProcessCache
from sim.config import UK_SIZE, Config
from sim.data import UKData, load_uk
from sim.vocabulary import NATIONS, QUINTILES


@dataclass(frozen=True)
class Population:
    """Static attributes of every agent, one entry per agent (structure of arrays).

    Attributes:
        ids: agent_id (ONS code for real authorities, ``R000001``... when resampled).
        names: plain name.
        source: row of the real authority each agent is (or copies) in ``UKData``.
        nation: index into :data:`sim.config.NATIONS`.
        region: index into ``regions``.
        regions: region names.
        child_population: population aged 0-17.
        need: within-nation rank of deprivation, 0 (least) to 1 (most deprived).
        deprivation_z: within-nation standardised deprivation, clipped to [-2.5, 2.5].
        ofsted_grade: latest Ofsted grade 1-4 (England), NaN elsewhere.
        workforce: turnover, vacancy and agency rates, shape (3, years 2016-2025, agents).
    """

    ids: np.ndarray
    names: np.ndarray
    source: np.ndarray
    nation: np.ndarray
    region: np.ndarray
    regions: tuple[str, ...]
    child_population: np.ndarray
    need: np.ndarray
    deprivation_z: np.ndarray
    ofsted_grade: np.ndarray
    workforce: np.ndarray

    @property
    def size(self) -> int:
        """Number of agents."""
        return len(self.ids)

    @property
    def is_real(self) -> bool:
        """True when the agents are the 212 real authorities in data order."""
        return self.size == UK_SIZE and bool(np.all(self.source == np.arange(UK_SIZE)))

    @functools.cached_property
    def quintile(self) -> np.ndarray:
        """Within-nation deprivation quintile of every agent: 0 (least deprived fifth) to 4.

        The fifths of ``need``, the within-nation rank of deprivation: the nations' indices
        of deprivation are not comparable, so each nation is split into its own fifths.
        Worked out once per population, read-only like its other arrays.
        """
        quintile = np.clip(np.ceil(self.need * QUINTILES - 1e-9) - 1, 0,
                           QUINTILES - 1).astype(np.int64)
        quintile.flags.writeable = False
        return quintile

    def subset(self, rows: np.ndarray) -> Population:
        """The agents at ``rows``, in that order."""
        return replace(self, **{name: getattr(self, name)[rows] for name in (
            "ids", "names", "source", "nation", "region", "child_population", "need",
            "deprivation_z", "ofsted_grade")}, workforce=self.workforce[:, :, rows])


def build_population(config: Config, rng: np.random.Generator) -> Population:
    """The real authorities when population.size is 212, else a seeded resample of them."""
    n = config.population.size
    if n == UK_SIZE:
        return authorities(config)
    source = np.sort(rng.integers(0, UK_SIZE, size=n))
    like = load_uk().authorities["name"].to_numpy()[source]
    return replace(
        authorities(config).subset(source),
        ids=np.array([f"R{k:06d}" for k in range(1, n + 1)], dtype=object),
        names=np.array([f"Synthetic {k} (like {name})" for k, name in enumerate(like, 1)],
                       dtype=object))


def authorities(config: Config) -> Population:
    """The 212 real authorities in data order, with the configuration's workforce rates.

    Built once per process and workforce settings; its arrays are read-only.
    """
    w = config.workforce
    key = (w.follow_england_trend, tuple(
        (name, rates.turnover, rates.vacancy, rates.agency) for name, rates in w.nations.items()))
    return _POPULATIONS.get(("authorities", key), lambda: _authorities(*key))


_POPULATIONS = ProcessCache(32)


def _authorities(follow_england_trend: bool, assumed: tuple) -> Population:
    uk = load_uk()
    base = _uk_arrays()
    workforce = _all_nations_workforce(follow_england_trend, assumed)
    source = np.arange(UK_SIZE)
    population = Population(
        ids=uk.authorities["agent_id"].to_numpy(dtype=object),
        names=uk.authorities["name"].to_numpy(dtype=object),
        source=source,
        nation=base["nation"][source],
        region=base["region"][source],
        regions=base["regions"],
        child_population=uk.child_population[source],
        need=base["need"][source],
        deprivation_z=base["deprivation_z"][source],
        ofsted_grade=uk.ofsted_grade[source],
        workforce=workforce[:, :, source],
    )
    for array in vars(population).values():
        if isinstance(array, np.ndarray):
            array.flags.writeable = False
    return population


def _uk_arrays() -> dict:
    """Nation, region and deprivation arrays of the real authorities (once per process)."""
    return _POPULATIONS.get("arrays", _build_uk_arrays)


def _build_uk_arrays() -> dict:
    uk: UKData = load_uk()
    auth = uk.authorities
    nation = auth["nation"].map({name: i for i, name in enumerate(NATIONS)}).to_numpy(np.int64)
    regions = tuple(dict.fromkeys(auth["region_name"]))
    region = auth["region_name"].map({r: i for i, r in enumerate(regions)}).to_numpy(np.int64)
    frame = pd.DataFrame({"nation": nation, "dep": uk.deprivation})
    grouped = frame.groupby("nation")["dep"]
    need = grouped.rank(pct=True, method="average").to_numpy()
    spread = grouped.transform("std").replace(0, np.nan)
    z = ((frame["dep"] - grouped.transform("mean")) / spread).fillna(0.0).clip(-2.5, 2.5)
    return {"nation": nation, "region": region, "regions": regions, "need": need,
            "deprivation_z": z.to_numpy()}


def _all_nations_workforce(follow_england_trend: bool, assumed: tuple) -> np.ndarray:
    """English authorities' own series; other nations' assumed rates (on England's trend)."""
    uk = load_uk()
    nation = _uk_arrays()["nation"]
    rates = uk.workforce.copy()
    trend = uk.england_workforce / uk.england_workforce.mean(axis=1, keepdims=True)
    if not follow_england_trend:
        trend = np.ones_like(trend)
    for name, turnover, vacancy, agency in assumed:
        members = nation == NATIONS.index(name)
        levels = np.array([turnover, vacancy, agency])
        rates[:, :, members] = (levels[:, None] * trend)[:, :, None]
    rates.flags.writeable = False
    return rates
