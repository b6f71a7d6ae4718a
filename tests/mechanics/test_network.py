"""Exposure through the weighted multiplex network (ODD 7.2)."""

from __future__ import annotations

import numpy as np
import pytest

import sim
from sim.config import load_config
from sim.mechanics.network import build_network
from sim.mechanics.population import build_population
from sim.mechanics.timeline import compile_timeline


def _parts(scenario="historical", **overrides):
    config = load_config(scenario, overrides)
    rng = np.random.default_rng(0)
    population = build_population(config, rng)
    return config, population, build_network(config, population, rng), \
        compile_timeline(config, population)


def test_dense_and_grouped_exposure_agree():
    config, population, network, timeline = _parts()
    visible = np.random.default_rng(1).random((population.size, 3))
    for step in (0, 40, 60, 100):   # before and after the learning and region layers switch on
        dense = network.exposure(visible, timeline, step)
        grouped = network._grouped(visible, timeline.region_on[step],
                                   timeline.learning_on[step])
        np.testing.assert_allclose(dense, grouped, rtol=1e-12, atol=1e-12)


def test_one_layer_exposure_is_the_share_of_visible_ties():
    config, population, network, timeline = _parts(
        "defaults", **{"network.kind": "ring", "population.size": 50, "network.degree": 4})
    visible = np.zeros((50, 3))
    visible[[10, 11, 13], 0] = 1.0
    exposure = network.exposure(visible, timeline, 0)[:, 0]
    assert exposure[12] == pytest.approx(3 / 4)     # ties 10, 11, 13, 14
    assert exposure[9] == pytest.approx(2 / 4)      # ties 7, 8, 10, 11
    assert exposure[30] == 0.0


def test_layer_weight_is_shared_among_an_agents_ties():
    """Hackney: borders and statistical neighbours weigh 1 each, shared among its ties."""
    config, population, network, timeline = _parts()
    uk = sim.data.load_uk()
    hackney = list(population.ids).index("E09000012")
    borders = set(uk.borders[uk.borders[:, 0] == hackney, 1]) | set(
        uk.borders[uk.borders[:, 1] == hackney, 0])
    neighbours = set(uk.statistical_neighbours[uk.statistical_neighbours[:, 0] == hackney, 1])
    only_border = sorted(borders - neighbours)[0]
    only_neighbour = sorted(neighbours - borders)[0]
    visible = np.zeros((212, 3))
    visible[only_border, 0] = 1.0
    assert network.exposure(visible, timeline, 0)[hackney, 0] == pytest.approx(
        (1 / len(borders)) / 2)
    visible[:] = 0.0
    visible[only_neighbour, 0] = 1.0
    assert network.exposure(visible, timeline, 0)[hackney, 0] == pytest.approx(
        (1 / len(neighbours)) / 2)


def test_complete_network_is_mean_field():
    config, population, network, timeline = _parts(
        "defaults", **{"network.kind": "complete", "population.size": 2000})
    assert not network.dense
    visible = np.zeros((2000, 3))
    visible[:500, 0] = 1.0
    exposure = network.exposure(visible, timeline, 0)[:, 0]
    assert exposure[0] == pytest.approx(499 / 1999)
    assert exposure[1999] == pytest.approx(500 / 1999)


def test_moran_i_of_a_clustered_pattern_is_positive():
    config, population, network, timeline = _parts()
    london = population.region == population.regions.index("London")
    assert network.moran(london) > 0.5
    assert np.isnan(network.moran(np.zeros(212, bool)))


@pytest.mark.parametrize("n, m, seed", [(2, 1, 0), (10, 3, 1), (500, 3, 7), (3000, 2, 42)])
def test_scale_free_edges_are_networkx_barabasi_albert_graph(n, m, seed):
    """The fast Barabasi-Albert builder draws exactly networkx's graph (same algorithm, same
    random draws); if a networkx release changes its algorithm this says so."""
    import networkx as nx

    from sim.mechanics.network import _barabasi_albert_edges

    ours = {tuple(sorted(e)) for e in _barabasi_albert_edges(n, m, seed).tolist()}
    theirs = {tuple(sorted(e)) for e in nx.barabasi_albert_graph(n, m, seed=seed).edges()}
    assert ours == theirs
    assert len(ours) == m * (n - m)
