"""Ties between agents and the exposure they carry (MODEL.md 4.1).

The network is a weighted multiplex. Each layer gives an agent a total weight W_L, shared
equally among its ties in that layer; an agent's exposure to an approach is the weighted mean
visibility of its ties over the layers in which it has ties:

    E_i = sum_L W_L * [i has ties in L] * mean_{j tied to i in L} v_j
          / sum_L W_L * [i has ties in L]

With one layer this is exactly (visible peers among its ties) / (its ties).

Layers: borders and statistical neighbours (or a synthetic graph) are always on; regions and
each approach's learning network are complete graphs within groups that scenario events switch
on and off. For populations up to ``DENSE_LIMIT`` agents the whole multiplex of each switch
state is one dense matrix per approach (built once per state, cached), so exposure is one
matrix product; larger populations use a sparse product plus group sums, which costs O(ties + n).
Both give the same numbers (tests/test_network.py).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import networkx as nx
import numpy as np
import scipy.sparse as sp

from sim.config import APPROACHES, Config
from sim.data import load_uk
from sim.population import Population
from sim.scenario import Timeline

DENSE_LIMIT = 1500


@dataclass
class Network:
    """The ties of one run.

    Attributes:
        static: row-normalised, weight-scaled sparse matrix of the always-on layers, or None.
        static_weight: each agent's total weight in the always-on layers, shape (agents,).
        complete_weight: weight of a complete graph over all agents (network.kind complete).
        region: region index of each agent (groups of the region layer).
        nation: nation index of each agent (which nations' switches apply).
        region_weight, learning_weight: weights of the switchable layers.
        ties: the always-on tie structure (unweighted adjacency), for clustering statistics.
        dense: use cached dense matrices (small populations).
        cache_key: identifies the static layers across runs (None: cache within this run only).
    """

    static: sp.csr_array | None
    static_weight: np.ndarray
    complete_weight: float
    region: np.ndarray
    nation: np.ndarray
    region_weight: float
    learning_weight: float
    ties: sp.csr_array | None
    dense: bool
    cache_key: tuple | None = None
    _matrices: dict = field(default_factory=dict, repr=False)

    def exposure(self, visible: np.ndarray, timeline: Timeline, step: int) -> np.ndarray:
        """Exposure of every agent to every approach, shape (agents, approaches)."""
        if self.dense:
            matrices = self._matrices.get(step)
            if matrices is None:
                matrices = self._matrices[step] = self._dense_matrices(
                    timeline.region_on[step], timeline.learning_on[step])
            return np.matmul(matrices, visible.T[:, :, None])[:, :, 0].T
        return self._grouped(visible, timeline.region_on[step], timeline.learning_on[step])

    # -- large populations: sparse product and group sums ----------------------------------

    def _grouped(self, visible, region_on, learning_on) -> np.ndarray:
        n, width = visible.shape
        num = np.zeros((n, width)) if self.static is None else self.static @ visible
        den = np.repeat(self.static_weight[:, None], width, axis=1)
        if self.complete_weight > 0 and n > 1:
            num = num + self.complete_weight * (visible.sum(axis=0) - visible) / (n - 1)
            den = den + self.complete_weight
        on = region_on[self.nation] if self.region_weight > 0 and region_on.any() else None
        if on is not None:
            size = np.bincount(self.region)[self.region]
            sums = np.stack([np.bincount(self.region, visible[:, a])
                             for a in range(width)], axis=1)[self.region]
            w = self.region_weight * (on & (size > 1))
            num = num + w[:, None] * (sums - visible) / np.maximum(size - 1, 1)[:, None]
            den = den + w[:, None]
        if self.learning_weight > 0 and learning_on.any():
            members = learning_on[self.nation]
            count = members.sum(axis=0)
            mean = ((visible * members).sum(axis=0) - visible * members) / np.maximum(
                count - 1, 1)
            w = self.learning_weight * (members & (count > 1))
            num = num + w * mean
            den = den + w
        return np.divide(num, den, out=np.zeros_like(num), where=den > 0)

    # -- small populations: one cached dense matrix per approach and switch state ------------

    def _dense_matrices(self, region_on: np.ndarray, learning_on: np.ndarray) -> np.ndarray:
        key = (region_on.tobytes(), learning_on.tobytes())
        matrices = self._matrices.get(key)
        if matrices is None:
            if self.cache_key is not None:
                matrices = _shared_matrices(self, self.cache_key, key[0], key[1])
            else:
                matrices = self._build_dense(region_on, learning_on)
            self._matrices[key] = matrices
        return matrices

    def _build_dense(self, region_on: np.ndarray, learning_on: np.ndarray) -> np.ndarray:
        n, width = len(self.nation), len(APPROACHES)
        base = np.zeros((n, n)) if self.static is None else self.static.toarray()
        den = self.static_weight.copy()
        off_diagonal = 1.0 - np.eye(n)
        if self.complete_weight > 0 and n > 1:
            base += self.complete_weight * off_diagonal / (n - 1)
            den += self.complete_weight
        on = region_on[self.nation] & (self.region_weight > 0)
        if on.any():
            same = (self.region[:, None] == self.region[None, :]) * off_diagonal
            peers = same.sum(axis=1)
            w = self.region_weight * (on & (peers > 0))
            base += (w / np.maximum(peers, 1))[:, None] * same
            den += w
        out = np.empty((width, n, n))
        for a in range(width):
            matrix, total = base.copy(), den.copy()
            members = learning_on[self.nation, a] & (self.learning_weight > 0)
            count = members.sum()
            if count > 1:
                w = self.learning_weight * members / (count - 1)
                matrix += (w[:, None] * members[None, :]) * off_diagonal
                total += self.learning_weight * members
            out[a] = matrix / np.where(total > 0, total, 1.0)[:, None]
        return out

    def moran(self, indicator: np.ndarray) -> float:
        """Moran's I of a 0/1 indicator over the always-on ties, row-standardised (or NaN)."""
        if self.ties is None:
            return float("nan")
        if "moran" not in self._matrices:
            key = None if self.cache_key is None else (self.cache_key, "moran")
            if key in _SHARED:
                self._matrices["moran"] = _SHARED[key]
            else:
                rows = np.asarray(self.ties.sum(axis=1)).ravel()
                inverse = np.divide(1.0, rows, out=np.zeros_like(rows), where=rows > 0)
                self._matrices["moran"] = (sp.csr_array(sp.diags(inverse) @ self.ties),
                                           float((rows > 0).sum()))
                if key is not None:
                    _SHARED[key] = self._matrices["moran"]
        weights, linked = self._matrices["moran"]
        z = indicator.astype(float) - indicator.mean()
        denom = float(z @ z)
        if denom == 0 or linked == 0:
            return float("nan")
        return float(len(z) / linked * (z @ (weights @ z)) / denom)


_SHARED: dict[tuple, np.ndarray | tuple] = {}    # dense matrices and Moran weights by network


def _shared_matrices(network: Network, cache_key: tuple, region_key: bytes,
                     learning_key: bytes) -> np.ndarray:
    """Dense matrices of the real UK network, shared by every run in this process."""
    key = (cache_key, region_key, learning_key)
    if key not in _SHARED:
        if len(_SHARED) > 256:
            _SHARED.clear()
        region_on = np.frombuffer(region_key, dtype=bool)
        learning_on = np.frombuffer(learning_key, dtype=bool).reshape(len(region_on), -1)
        _SHARED[key] = network._build_dense(region_on, learning_on)
        _SHARED[key].flags.writeable = False
    return _SHARED[key]


def build_network(config: Config, population: Population, rng: np.random.Generator) -> Network:
    """The real UK multiplex or a synthetic graph, per ``network.kind``."""
    weights = config.network.weights
    n = population.size
    complete, cache_key = 0.0, None
    if config.network.kind == "uk":
        static, static_weight, ties = _uk_static(weights.border, weights.statistical_neighbours)
        cache_key = ("uk", weights.border, weights.statistical_neighbours, weights.region,
                     weights.learning)
    elif config.network.kind == "complete":
        static, static_weight, ties, complete = None, np.zeros(n), None, weights.border
        cache_key = ("complete", n, weights.border, weights.region, weights.learning,
                     population.region.tobytes(), population.nation.tobytes())
    else:
        ties = _synthetic(config, n, rng)
        static, static_weight = _normalised([(ties, weights.border)], n)
    return Network(static=static, static_weight=static_weight, complete_weight=complete,
                   region=population.region, nation=population.nation,
                   region_weight=weights.region, learning_weight=weights.learning, ties=ties,
                   dense=n <= DENSE_LIMIT, cache_key=cache_key)


@functools.cache
def _uk_static(border: float, statistical: float):
    uk = load_uk()
    n = uk.size
    b = uk.borders
    borders = sp.coo_array((np.ones(2 * len(b)), (np.r_[b[:, 0], b[:, 1]],
                                                  np.r_[b[:, 1], b[:, 0]])), shape=(n, n))
    s = uk.statistical_neighbours
    neighbours = sp.coo_array((np.ones(len(s)), (s[:, 0], s[:, 1])), shape=(n, n))
    borders, neighbours = _binary(borders), _binary(neighbours)
    static, weight = _normalised([(borders, border), (neighbours, statistical)], n)
    return static, weight, _binary(borders + neighbours)


def _binary(matrix) -> sp.csr_array:
    m = sp.csr_array(matrix)
    m.sum_duplicates()
    m.data[:] = 1.0
    m.setdiag(0)
    m.eliminate_zeros()
    return m


def _normalised(layers, n: int) -> tuple[sp.csr_array, np.ndarray]:
    total = sp.csr_array((n, n))
    weight = np.zeros(n)
    for matrix, w in layers:
        degree = np.asarray(matrix.sum(axis=1)).ravel()
        inverse = np.divide(w, degree, out=np.zeros(n), where=degree > 0)
        total = total + sp.diags(inverse) @ matrix
        weight += w * (degree > 0)
    return sp.csr_array(total), weight


def _synthetic(config: Config, n: int, rng: np.random.Generator) -> sp.csr_array:
    kind, k = config.network.kind, config.network.degree
    seed = int(rng.integers(2**31 - 1))
    if kind == "ring":
        graph = nx.watts_strogatz_graph(n, k, 0.0, seed=seed)
    elif kind == "small_world":
        graph = nx.watts_strogatz_graph(n, k, config.network.rewire, seed=seed)
    elif kind == "regular":
        graph = nx.random_regular_graph(k, n, seed=seed)
    elif kind == "erdos_renyi":
        graph = nx.fast_gnp_random_graph(n, k / (n - 1), seed=seed)
    else:  # scale_free
        graph = nx.barabasi_albert_graph(n, max(1, k // 2), seed=seed)
    edges = np.array(graph.edges(), dtype=np.int64).reshape(-1, 2)
    rows = np.r_[edges[:, 0], edges[:, 1]]
    cols = np.r_[edges[:, 1], edges[:, 0]]
    return _binary(sp.coo_array((np.ones(len(rows)), (rows, cols)), shape=(n, n)))
