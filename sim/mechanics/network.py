"""Ties between agents and the exposure they carry (ODD 7.2).

The network is a weighted multiplex. Each layer gives an agent a total weight W_L, shared
equally among its ties in that layer; an agent's exposure to an approach is the weighted mean
visibility of its ties over the layers in which it has ties:

    E_i = sum_L W_L * [i has ties in L] * mean_{j tied to i in L} v_j
          / sum_L W_L * [i has ties in L]

With one layer this is exactly (visible peers among its ties) / (its ties).

Layers: borders and statistical neighbours (or a synthetic graph) are always on; regions and
each approach's open learning network are complete graphs within groups that scenario events
switch on and off (the learning network is a broadcast: every authority of its nations sees
the mean of all of them). An approach's peer clusters join only its members, the authorities
engaged in it and not ended (e.g. the CS Local Area Interest Network): a member i adds
weight W_P and the mean visibility of the other members to its weighted mean,

    E'_i = (E_i * D_i + W_P * mean_{j member, j != i} v_j) / (D_i + W_P),

D_i being its total weight in the other layers; non-members are unchanged.

For populations up to ``DENSE_LIMIT`` agents the whole multiplex of each switch
state is one dense matrix per approach (built once per state, cached), so exposure is one
matrix product; larger populations use a sparse product plus group sums, which costs O(ties + n).
Both give the same numbers (tests/test_network.py).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import networkx as nx
import numpy as np
import scipy.sparse as sp

from sim.cache import ProcessCache
from sim.config import Config
from sim.data import load_uk
from sim.mechanics.compiler import WIDTH, kernel
from sim.mechanics.population import Population
from sim.mechanics.timeline import Timeline
from sim.vocabulary import APPROACHES

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
        region_weight, learning_weight, cluster_weight: weights of the switchable layers.
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
    cluster_weight: float = 0.0
    _matrices: dict = field(default_factory=dict, repr=False)
    _last: tuple | None = field(default=None, repr=False)

    def exposure(self, visible: np.ndarray, timeline: Timeline, step: int,
                 members: np.ndarray | None = None) -> np.ndarray:
        """Exposure of every agent to every approach, shape (agents, approaches).

        ``members`` marks the journeys engaged and not ended (the peer clusters' members);
        without it, or with no cluster on, the peer clusters add nothing.
        """
        if self.dense:
            matrices = self._matrices.get(step)
            if matrices is None:
                matrices = self._matrices[step] = self._dense_matrices(
                    timeline.region_on[step], timeline.learning_on[step])
            out = self._dense_exposure(matrices, visible)
        else:
            out = self._grouped(visible, timeline.region_on[step], timeline.learning_on[step])
        on = timeline.cluster_on[step]
        if members is None or self.cluster_weight <= 0 or not on.any():
            return out
        den = self._group_layers(timeline.region_on[step], timeline.learning_on[step],
                                 visible.shape[1]).den
        return self._clustered(out, den, visible, members & on[self.nation])

    def _clustered(self, exposure: np.ndarray, den: np.ndarray, visible: np.ndarray,
                   members: np.ndarray) -> np.ndarray:
        """Exposure with the peer clusters of ``members`` (one cluster per approach)."""
        count = members.sum(axis=0)
        shared = visible * members
        mean = (shared.sum(axis=0) - shared) / np.maximum(count - 1, 1)
        weight = self.cluster_weight * (members & (count > 1))
        total = den + weight
        return np.divide(exposure * den + weight * mean, total,
                         out=np.zeros_like(exposure), where=total > 0)

    def _dense_exposure(self, matrices: np.ndarray, visible: np.ndarray) -> np.ndarray:
        """``matrices[a] @ visible[:, a]`` for every approach a, in C order.

        An approach whose visibility and matrix are those of the last call keeps its
        exposure; the others are recomputed with the same product (so the same numbers).
        The returned array is kept for that comparison: treat it as read-only.
        """
        columns = visible.T.copy()          # one contiguous row per approach
        last = self._last
        if last is not None and last[0] is matrices:
            changed = (columns != last[1]).any(axis=1)
            if not changed.all():
                out = last[2].copy()
                for a in changed.nonzero()[0]:
                    out[:, a] = matrices[a] @ columns[a]
                self._last = (matrices, columns, out)
                return out
        # in C order, like every other journey array (mixed orders make numpy slower)
        out = np.ascontiguousarray(np.matmul(matrices, columns[:, :, None])[:, :, 0].T)
        self._last = (matrices, columns, out)
        return out

    # -- large populations: sparse product and group sums ----------------------------------

    def _grouped(self, visible, region_on, learning_on) -> np.ndarray:
        n, width = visible.shape
        layers = self._group_layers(region_on, learning_on, width)
        num = np.zeros((n, width)) if self.static is None else self.static @ visible
        if self.complete_weight > 0 and n > 1:
            num = num + self.complete_weight * (visible.sum(axis=0) - visible) / (n - 1)
        if layers.region is not None:
            index, weight, peers = layers.region
            # group sums of every approach in one pass: bins are region * width + approach
            sums = np.bincount(index, visible.ravel(), minlength=layers.bins).reshape(
                -1, width)[self.region]
            num = num + weight * (sums - visible) / peers
        if layers.learning is not None:
            members, weight, peers = layers.learning
            shared = visible * members
            num = num + weight * ((shared.sum(axis=0) - shared) / peers)
        return np.divide(num, layers.den, out=np.zeros_like(num), where=layers.linked)

    def _group_layers(self, region_on, learning_on, width: int) -> _GroupLayers:
        """The weights of the switchable layers in one switch state, cached per state."""
        key = ("groups", region_on.tobytes(), learning_on.tobytes())
        layers = self._matrices.get(key)
        if layers is None:
            n = len(self.nation)
            den = np.repeat(self.static_weight[:, None], width, axis=1)
            if self.complete_weight > 0 and n > 1:
                den = den + self.complete_weight
            region = learning = None
            bins = (int(self.region.max()) + 1) * width if n else 0
            if self.region_weight > 0 and region_on.any():
                size = np.bincount(self.region)[self.region]
                weight = self.region_weight * (region_on[self.nation] & (size > 1))
                region = ((self.region[:, None] * width + np.arange(width)).ravel(),
                          weight[:, None], np.maximum(size - 1, 1)[:, None])
                den = den + weight[:, None]
            if self.learning_weight > 0 and learning_on.any():
                members = learning_on[self.nation]
                count = members.sum(axis=0)
                weight = self.learning_weight * (members & (count > 1))
                learning = (members, weight, np.maximum(count - 1, 1))
                den = den + weight
            layers = self._matrices[key] = _GroupLayers(region, learning, bins, den, den > 0)
        return layers

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
            self._matrices["moran"] = (_moran_weights(self.ties) if self.cache_key is None else
                                       _SHARED.get((self.cache_key, "moran"),
                                                   lambda: _moran_weights(self.ties)))
        weights, linked = self._matrices["moran"]
        z = indicator.astype(float) - indicator.mean()
        denom = float(z @ z)
        if denom == 0 or linked == 0:
            return float("nan")
        return float(len(z) / linked * (z @ (weights @ z)) / denom)


@dataclass(frozen=True)
class _GroupLayers:
    """Switchable layers of a large population in one switch state (see Network._grouped).

    ``region``: bin of every journey, each agent's layer weight and its peers in the region
    (at least 1); ``learning``: membership per approach, weights and peers; ``den``: each
    journey's total weight; ``linked``: journeys with a positive total weight.
    """

    region: tuple | None
    learning: tuple | None
    bins: int
    den: np.ndarray
    linked: np.ndarray


_SHARED = ProcessCache(256)     # dense matrices and Moran weights of shared networks


def _moran_weights(ties: sp.csr_array) -> tuple[sp.csr_array, float]:
    """Row-standardised weights of the ties, and how many agents have any."""
    rows = np.asarray(ties.sum(axis=1)).ravel()
    inverse = np.divide(1.0, rows, out=np.zeros_like(rows), where=rows > 0)
    return sp.csr_array(sp.diags(inverse) @ ties), float((rows > 0).sum())


def _shared_matrices(network: Network, cache_key: tuple, region_key: bytes,
                     learning_key: bytes) -> np.ndarray:
    """Dense matrices of the real UK network, shared by every run in this process."""
    def build() -> np.ndarray:
        region_on = np.frombuffer(region_key, dtype=bool)
        learning_on = np.frombuffer(learning_key, dtype=bool).reshape(len(region_on), -1)
        matrices = network._build_dense(region_on, learning_on)
        matrices.flags.writeable = False
        return matrices

    return _SHARED.get((cache_key, region_key, learning_key), build)


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
                   dense=n <= DENSE_LIMIT, cache_key=cache_key,
                   cluster_weight=weights.cluster)


def _uk_static(border: float, statistical: float):
    """The always-on UK layers (borders, statistical neighbours), once per process."""
    return _SHARED.get(("uk-static", border, statistical),
                       lambda: _build_uk_static(border, statistical))


def _build_uk_static(border: float, statistical: float):
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
        return _symmetric(_barabasi_albert_edges(n, max(1, k // 2), seed), n)
    return _symmetric(np.array(graph.edges(), dtype=np.int64).reshape(-1, 2), n)


def _symmetric(edges: np.ndarray, n: int) -> sp.csr_array:
    """Unweighted symmetric adjacency of undirected edges (pairs of agent indices)."""
    rows = np.r_[edges[:, 0], edges[:, 1]]
    cols = np.r_[edges[:, 1], edges[:, 0]]
    return _binary(sp.coo_array((np.ones(len(rows)), (rows, cols)), shape=(n, n)))


def _barabasi_albert_edges(n: int, m: int, seed: int) -> np.ndarray:
    """The edges of ``networkx.barabasi_albert_graph(n, m, seed=seed)``, without the graph.

    The same algorithm with the same random draws (a ``random.Random(seed)`` choosing from
    the list of nodes repeated by degree, starting from a star on m + 1 nodes), so the same
    edges, several times faster.
    """
    if not 1 <= m < n:
        graph = nx.barabasi_albert_graph(n, m, seed=seed)      # raises networkx's error
        return np.array(graph.edges(), dtype=np.int64).reshape(-1, 2)
    choice = random.Random(seed).choice
    repeated = [0] * m + list(range(1, m + 1))         # node i appears degree(i) times
    targets = list(range(1, m + 1))                    # the star's edges come from node 0
    for source in range(m + 1, n):
        chosen: set[int] = set()
        while len(chosen) < m:
            chosen.add(choice(repeated))
        targets += chosen
        repeated += chosen
        repeated += [source] * m
    sources = np.repeat(np.r_[0, np.arange(m + 1, n)], m)
    return np.stack([sources, np.array(targets, np.int64)], axis=1)


# -- the compiled step (sim.mechanics.kernel) -------------------------------------------------


@kernel
def exposure_kernel(net, x, k, visible, members, out, den, groups):
    """:meth:`Network.exposure` of step ``k`` with sparse products and group sums.

    ``net`` is :class:`sim.mechanics.kernel.Ties`, ``members`` the journeys engaged and not
    ended; ``den`` receives every journey's total weight. The same weighted means as the
    array version (which uses dense matrices up to ``DENSE_LIMIT`` agents), summed in
    another order, so equal to rounding. ``groups`` (regions + 5, approaches) is working
    space for the group sums.
    """
    n, width = visible.shape[0], WIDTH
    t = x.timeline
    region_on, learning_on, cluster_on = t.region_on[k], t.learning_on[k], t.cluster_on[k]
    # group sums: each region's visibility, each approach's over the learning network's and
    # the peer clusters' members
    regions = net.region_size.shape[0]
    groups[:regions + 5] = 0.0
    region_sum = groups[:regions]
    total, learning_sum, learning_count = groups[regions], groups[regions + 1], groups[
        regions + 2]
    cluster_sum, cluster_count = groups[regions + 3], groups[regions + 4]
    # (approach by approach: the totals are sums held in registers, in agent order)
    for a in range(width):
        all_sum, in_learning, learning_n, in_cluster, cluster_n = 0.0, 0.0, 0.0, 0.0, 0.0
        for i in range(n):
            nation = x.nation[i]
            v = visible[i, a]
            region_sum[net.region[i], a] += v
            all_sum += v
            if learning_on[nation, a]:
                in_learning += v
                learning_n += 1.0
            if members[i, a] and cluster_on[nation, a]:
                in_cluster += v
                cluster_n += 1.0
        total[a], learning_sum[a], learning_count[a] = all_sum, in_learning, learning_n
        cluster_sum[a], cluster_count[a] = in_cluster, cluster_n
    for i in range(n):
        nation = x.nation[i]
        size = net.region_size[net.region[i]]
        region_weight = (net.region_weight if region_on[nation] and size > 1 else 0.0)
        # the always-on ties, the three approaches at once (three independent sums)
        cs, tip, ts = 0.0, 0.0, 0.0
        for jj in range(net.indptr[i], net.indptr[i + 1]):
            j, tie = net.indices[jj], net.data[jj]
            cs += tie * visible[j, 0]
            tip += tie * visible[j, 1]
            ts += tie * visible[j, 2]
        for a in range(width):
            v = visible[i, a]
            num = cs if a == 0 else tip if a == 1 else ts
            weight = net.static_weight[i]
            if net.complete_weight > 0 and n > 1:
                num += net.complete_weight * (total[a] - v) / (n - 1)
                weight += net.complete_weight
            if region_weight > 0:
                num += region_weight * (region_sum[net.region[i], a] - v) / max(size - 1, 1)
                weight += region_weight
            if net.learning_weight > 0 and learning_on[nation, a] and learning_count[a] > 1:
                num += net.learning_weight * ((learning_sum[a] - v)
                                              / max(learning_count[a] - 1.0, 1.0))
                weight += net.learning_weight
            exposure = num / weight if weight > 0 else 0.0
            if (net.cluster_weight > 0 and members[i, a] and cluster_on[nation, a]
                    and cluster_count[a] > 1):
                mean = (cluster_sum[a] - v) / max(cluster_count[a] - 1.0, 1.0)
                exposure = ((exposure * weight + net.cluster_weight * mean)
                            / (weight + net.cluster_weight))
            out[i, a] = exposure
            den[i, a] = weight
