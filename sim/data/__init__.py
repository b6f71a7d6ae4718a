"""The embedded UK data: 212 authorities, their ties, workforce series and documented facts.

Everything is read once per process (:func:`load_uk` is cached) from the CSV files shipped in
``sim/data/`` (origin and licence: ``sim/data/MANIFEST.md`` and ``docs/data.md``).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

import numpy as np
import pandas as pd

from sim.cache import ProcessCache
from sim.errors import InputError
from sim.vocabulary import APPROACHES, MEASURES, NATIONS, OBSERVATION_KINDS, SCOPES

ATTRIBUTION = (
    "Contains public sector information licensed under the Open Government Licence v3.0 (ONS, "
    "DfE, MHCLG, Ofsted, NRS, NISRA, Welsh Government, Scottish Government). Contains OS data "
    "(c) Crown copyright and database right 2023. Contains data from mySociety's UK Local "
    "Authority Names and Codes (CC BY 4.0)."
)
WORKFORCE_YEARS = np.arange(2016, 2026)
WORKFORCE_INDICATORS = ("sw_turnover_rate_pct", "sw_vacancy_rate_pct", "sw_agency_rate_pct")
ENGLAND_CODE = "E92000001"


def data_dir() -> Path:
    """Folder holding the shipped CSV files."""
    return Path(__file__).resolve().parent


def _read(name: str, columns: tuple[str, ...]) -> pd.DataFrame:
    path = data_dir() / name
    if not path.is_file():
        raise InputError(f"data file missing: {path} (the installation is incomplete; "
                         "reinstall the package)")
    try:
        frame = pd.read_csv(path)
    except (OSError, ValueError) as exc:
        raise InputError(f"data file unreadable: {path} ({exc})") from None
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InputError(f"data file {path}: missing column {missing[0]!r}")
    return frame


@dataclass(frozen=True)
class UKData:
    """The real authorities (rows in ``authorities.csv`` order) and their static data.

    Attributes:
        authorities: one row per authority: agent_id, name, nation, region_code, region_name,
            centroid_lat and centroid_lon (degrees, WGS84).
        borders: undirected border ties as index pairs (i < j), estuary links included.
        statistical_neighbours: directed ties (i watches j), DfE 2025 vintage.
        child_population: population aged 0-17 (best estimate).
        deprivation: within-nation extent of deprivation (0-1; not comparable across nations).
        ofsted_grade: latest ILACS overall grade 1-4 (England), NaN where none.
        workforce: turnover, vacancy and agency rates (fractions), shape (3, years, agents),
            NaN outside England; missing English values filled from England's national rate.
        england_workforce: England's national rates, shape (3, years).
        seeds: the evidence-linked practice adoption seed list.
        observed: the observed patterns the model is checked and calibrated against.
    """

    authorities: pd.DataFrame
    borders: np.ndarray
    statistical_neighbours: np.ndarray
    child_population: np.ndarray
    deprivation: np.ndarray
    ofsted_grade: np.ndarray
    workforce: np.ndarray
    england_workforce: np.ndarray
    seeds: pd.DataFrame
    observed: pd.DataFrame

    @property
    def size(self) -> int:
        """Number of authorities."""
        return len(self.authorities)

    @functools.cached_property
    def index_of(self) -> Mapping[str, int]:
        """Map agent_id to row index (read-only, made once)."""
        return MappingProxyType({a: i for i, a in enumerate(self.authorities["agent_id"])})


_DATA = ProcessCache(1)


def load_uk() -> UKData:
    """Read and index the shipped data (once per process)."""
    return _DATA.get("uk", _read_uk)


def _observed_patterns(authority_ids: list[str]) -> pd.DataFrame:
    """The observation model: every published count, the stage it observes and its kind.

    ``scope`` is a group of nations (counts) or one authority's agent_id (a named
    authority: 1 if its journey is at or beyond the stage and not ended, else 0).
    ``low`` and ``high`` are the ends of the allowed region: a lower bound has no ``high``
    (+inf), an upper bound no ``low`` (-inf); a point has ``low == high == value``.
    """
    name = "observed_patterns.csv"
    frame = _read(name, ("id", "metric", "approach", "measure", "scope", "time", "value",
                         "low", "high", "kind", "source"))
    checks = (("approach", APPROACHES), ("measure", tuple(MEASURES)),
              ("scope", tuple(SCOPES) + tuple(authority_ids)), ("kind", tuple(OBSERVATION_KINDS)))
    for column, allowed in checks:
        bad = sorted(set(frame[column]) - set(allowed))
        if bad:
            raise InputError(f"data file {name}: {column} {bad[0]!r} is not one of "
                             f"{', '.join(allowed[:8])}" + (" or an agent_id" if column ==
                                                             "scope" else ""))
    frame["low"] = frame["low"].astype(float).fillna(-np.inf)
    frame["high"] = frame["high"].astype(float).fillna(np.inf)
    point = frame["kind"] == "point"
    frame.loc[point, "low"] = frame.loc[point, "high"] = frame.loc[point, "value"]
    if frame["metric"].duplicated().any():
        raise InputError(f"data file {name}: metric "
                         f"{frame['metric'][frame['metric'].duplicated()].iloc[0]!r} repeated")
    return frame


def _read_uk() -> UKData:
    auth = _read("authorities.csv", ("agent_id", "name", "nation", "region_code",
                                     "region_name", "centroid_lat", "centroid_lon"))
    unknown = sorted(set(auth["nation"]) - set(NATIONS))
    if unknown:
        raise InputError(f"data file authorities.csv: unknown nation {unknown[0]!r}")
    index = {a: i for i, a in enumerate(auth["agent_id"])}

    def rows(ids: pd.Series, name: str) -> np.ndarray:
        missing = sorted(set(ids) - set(index))
        if missing:
            raise InputError(f"data file {name}: unknown agent_id {missing[0]!r}")
        return ids.map(index).to_numpy(dtype=np.int64)

    edges = _read("adjacency_edges.csv", ("code1", "code2", "edge_type"))
    borders = np.stack([rows(edges["code1"], "adjacency_edges.csv"),
                        rows(edges["code2"], "adjacency_edges.csv")], axis=1)

    sn = _read("dfe_statistical_neighbours.csv", ("sn_vintage", "agent_id", "neighbour_agent_id",
                                                  "is_current_la"))
    sn = sn[(sn["sn_vintage"] == "2025-05") & (sn["is_current_la"] == 1)]
    sn = sn.dropna(subset=["agent_id", "neighbour_agent_id"])
    sn = sn[sn["agent_id"].isin(index) & sn["neighbour_agent_id"].isin(index)]
    statistical = np.stack([rows(sn["agent_id"], "dfe_statistical_neighbours.csv"),
                            rows(sn["neighbour_agent_id"], "dfe_statistical_neighbours.csv")],
                           axis=1)

    pop = _read("child_population.csv", ("agent_id", "pop_0_17_best"))
    dep = _read("deprivation.csv", ("agent_id", "within_nation_extent"))
    ofsted = _read("ofsted_ilacs_latest.csv", ("agent_id", "overall_grade_num"))
    series = _read("la_indicators_england_timeseries.csv",
                   ("agent_id", "indicator", "year_end", "value"))
    seeds = _read("practice_adoption_seed.csv", ("agent_id", "practice", "start_year",
                                                 "confidence"))
    observed = _observed_patterns(list(auth["agent_id"]))

    def by_agent(frame: pd.DataFrame, column: str) -> np.ndarray:
        values = frame.set_index("agent_id")[column]
        return auth["agent_id"].map(values).to_numpy(dtype=float)

    workforce, england = _workforce(series, auth)
    return UKData(
        authorities=auth[["agent_id", "name", "nation", "region_code", "region_name",
                          "centroid_lat", "centroid_lon"]].copy(),
        borders=borders,
        statistical_neighbours=statistical,
        child_population=by_agent(pop, "pop_0_17_best"),
        deprivation=by_agent(dep, "within_nation_extent"),
        ofsted_grade=by_agent(ofsted, "overall_grade_num"),
        workforce=workforce,
        england_workforce=england,
        seeds=seeds,
        observed=observed,
    )


def _workforce(series: pd.DataFrame, auth: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    years = len(WORKFORCE_YEARS)
    out = np.full((3, years, len(auth)), np.nan)
    england = np.full((3, years), np.nan)
    english = (auth["nation"] == "England").to_numpy()
    for k, indicator in enumerate(WORKFORCE_INDICATORS):
        table = series[series["indicator"] == indicator].pivot_table(
            index="year_end", columns="agent_id", values="value", aggfunc="first")
        table = table.reindex(index=WORKFORCE_YEARS)
        if ENGLAND_CODE not in table or table[ENGLAND_CODE].isna().any():
            raise InputError(f"data file la_indicators_england_timeseries.csv: England's "
                             f"{indicator} series is incomplete")
        england[k] = table[ENGLAND_CODE].to_numpy() / 100.0
        values = table.reindex(columns=auth["agent_id"]).to_numpy() / 100.0
        values = np.where(np.isnan(values), england[k][:, None], values)
        out[k][:, english] = values[:, english]
    return out, england
