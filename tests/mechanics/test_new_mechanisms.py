"""The six new mechanisms, asserted in numbers (ODD 7.2, 7.4a, 7.5, 7.6, 7.10).

Graded poverty trap, peer clusters, the open learning network as a broadcast, packaged
designs, funded journeys keeping their momentum (and paused embedded practice ending at its
stage's rate), and policy support acting on the case condition without a cap.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import sim
from sim.data import load_uk
from sim.mechanics.hazards import move_hazards, progression
from sim.mechanics.state import CODES, FIELDS
from sim.mechanics.tables import PAUSE, journey_constants
from sim.mechanics.timeline import agent_budget
from sim.vocabulary import (
    ACTIVE,
    APPROACHES,
    DESIGNING,
    ENDED,
    INTEGRATING,
    MOBILISING,
    NATIONS,
    PAUSED,
    WIDER,
)

ENGLAND, WALES = NATIONS.index("England"), NATIONS.index("Wales")
CS = APPROACHES.index("CS")
POVERTY_TRAP = "funded programme ended with a low budget (poverty trap)"
PROGRAMME_END_PAUSE = "funded programme ended"


# -- helpers --------------------------------------------------------------------------------------

def _config(events: list[dict], settings: dict | None = None) -> sim.Config:
    """The neutral defaults with ``events`` (ids are numbered) and dotted ``settings``."""
    numbered = [{"id": f"e{i}", "label": e["kind"], **e} for i, e in enumerate(events)]
    return sim.load_config({"events": numbered}, settings or {})


def _model(events: list[dict], settings: dict | None = None,
           seed: int = 0) -> sim.InnovationModel:
    """A model of the 212 real authorities under :func:`_config`."""
    return sim.InnovationModel(config=_config(events, settings), seed=seed)


def _step_of(model: sim.InnovationModel, year: float) -> int:
    """Index of the step whose quarter contains ``year``."""
    return int(np.searchsorted(model.timeline.end, year + 1e-9, side="right"))


def _four_sigma(p: np.ndarray) -> float:
    """Four binomial standard errors of a sum of independent Bernoulli(p) (false alarm ~6e-5)."""
    return 4.0 * math.sqrt(float((p * (1.0 - p)).sum()))


def _tie_weight(model: sim.InnovationModel, region: bool = False) -> np.ndarray:
    """D_i by hand: each authority's total weight in the always-on layers (a border layer and
    a statistical-neighbour layer count if it has any tie in them, from the UK data), plus the
    region layer where ``region`` is on for England (regions of more than one authority)."""
    uk, weights, population = load_uk(), model.config.network.weights, model.population
    n = population.size
    bordered = np.zeros(n, bool)
    bordered[uk.borders.ravel()] = True
    pairs = uk.statistical_neighbours
    watching = np.zeros(n, bool)
    watching[pairs[pairs[:, 0] != pairs[:, 1], 0]] = True
    weight = weights.border * bordered + weights.statistical_neighbours * watching
    if region:
        size = np.bincount(population.region)[population.region]
        weight = weight + weights.region * ((population.nation == ENGLAND) & (size > 1))
    return weight


def _mean_of_others(visible: np.ndarray, group: np.ndarray) -> np.ndarray:
    """For each agent, the mean of ``visible`` over the other agents of ``group`` (a mask)."""
    return (visible[group].sum() - visible * group) / (group.sum() - 1)


def _random_state(model: sim.InnovationModel, seed: int = 7):
    """Put the model's journeys at random stages, statuses (60% active), readiness and
    cultures; returns its state."""
    rng = np.random.default_rng(seed)
    s = model.state
    s.stage[:] = rng.integers(0, WIDER + 1, s.stage.shape)
    s.status[:] = rng.choice(3, s.status.shape, p=[0.6, 0.2, 0.2])
    s.fields[FIELDS.index("readiness")] = rng.uniform(0.05, 1.0, s.stage.shape)
    s.culture[:] = rng.uniform(0.0, 1.0, s.culture.shape)
    return s


def _codes(model: sim.InnovationModel):
    """The journey-code tables of the model's current state: (before_rates, before_flags)."""
    s, constants = model.state, model.journeys.constants
    code = s.stage * 3 + s.status + constants.code_offset
    return (constants.before_rates.take(code, axis=1, mode="clip"),
            constants.before_flags.take(code, axis=1, mode="clip"))


# -- 1. the graded poverty trap (ODD 7.10) --------------------------------------------------------

def _programme_end(budget: float, seeds: int, settings: dict | None = None):
    """England's CS journeys seeded at Mobilising with one quarter's funding (2010 Q1) under an
    English budget index ``budget`` (shocks off); the two steps to the programme's end, per seed.

    Returns each English authority's budget index b at the programme-end step (from the
    model's scenario tables, checked against ``agent_budget``) and how many times over the
    seeds its CS journey ended by the poverty trap, and paused, at that step.
    """
    config = _config(
        [{"kind": "budget", "date": 2010.0, "nations": ["England"], "value": budget},
         {"kind": "seed", "date": 2010.0, "nations": ["England"], "approach": "CS", "stage": 1,
          "funded_until": 2010.25}],
        {"time.end": 2010.5, "mechanisms.shocks": False, **(settings or {})})
    ended = paused = 0
    for seed in range(seeds):
        model = sim.InnovationModel(config=config, seed=seed)
        english = model.population.nation == ENGLAND
        model.step()
        s = model.state
        # every English CS journey reaches the programme's end at Mobilising, active, funded
        assert (s.stage[english, CS] == MOBILISING).all()
        assert (s.status[english, CS] == ACTIVE).all()
        assert (s.funded_until[english, CS] == 2010.25).all()
        model.step()
        events = model.results().events
        events = events[(events["time"] == model.timeline.end[1]) & (events["approach"] == "CS")]
        trapped = events[events["reason"] == POVERTY_TRAP]
        stopped = events[events["reason"] == PROGRAMME_END_PAUSE]
        assert set(trapped["kind"]) <= {"end"} and set(stopped["kind"]) <= {"pause"}
        ended = ended + np.isin(model.population.ids, trapped["agent_id"])[english]
        paused = paused + np.isin(model.population.ids, stopped["agent_id"])[english]
    run = model.journeys
    b = run.per_agent(run.tables.budget[run.input_id[1]])
    np.testing.assert_allclose(b, agent_budget(config, model.population, model.timeline.budget[1]))
    return b[english], ended, paused


def test_poverty_trap_ends_early_journeys_with_probability_graded_by_the_budget_gap():
    """England's budget at 0.25: authorities' indices b spread over [0, 0.5] with deprivation.

    Over 100 seeds, the ends by the poverty trap match the sum of (b* - b) / b* (b clipped to
    [0, 1], b* = 0.4), and the pauses the sum of (1 - p) * 0.5, each within four binomial
    standard errors, 4 sqrt(sum p (1 - p)). An authority at or above b* never ends this way.
    """
    seeds = 100
    b, ended, paused = _programme_end(0.25, seeds)
    threshold = 0.4
    p = np.clip((threshold - np.clip(b, 0.0, 1.0)) / threshold, 0.0, 1.0)
    # the test can tell a graded chance from a knife edge or a flat rate
    assert ((p > 0.1) & (p < 0.9)).sum() > 50 and (p == 0).sum() > 10 and (p == 1).sum() > 5
    p_all = np.tile(p, seeds)
    assert abs(ended.sum() - p_all.sum()) <= _four_sigma(p_all)
    q_all = (1.0 - p_all) * 0.5
    assert abs(paused.sum() - q_all.sum()) <= _four_sigma(q_all)
    assert ended[b >= threshold].sum() == 0
    assert paused[b >= threshold].sum() > 0


def test_poverty_trap_has_no_knife_edge_just_below_the_threshold():
    """Every English authority at b = 0.398 (no deprivation gradient), b* = 0.4: each early
    journey ends with probability 0.002 / 0.4 = 0.005 (a knife edge would end all of them).
    Over 40 seeds x 153 authorities the ends are within four binomial standard errors of
    n * 0.005 (about 31 +- 22)."""
    seeds = 40
    b, ended, _ = _programme_end(0.398, seeds, {"conditions.deprivation_gain": 0.0})
    np.testing.assert_allclose(b, 0.398, rtol=1e-12)
    p = np.full(seeds * len(b), 0.005)
    assert abs(ended.sum() - p.sum()) <= _four_sigma(p)


# -- 2. peer clusters (ODD 7.2) -------------------------------------------------------------------

CLUSTER_WEIGHT = 0.8


def _cluster_model(**settings) -> sim.InnovationModel:
    """CS peer clusters on in England from 2015 and off again from 2020; the region layer and
    CS learning network on in England from 2015 too. Shocks off, cluster weight 0.8."""
    on = {"nations": ["England"], "approach": "CS"}
    return _model([
        {"kind": "network", "date": 2015.0, "layer": "cluster", **on},
        {"kind": "network", "date": 2020.0, "layer": "cluster", "active": False, **on},
        {"kind": "network", "date": 2015.0, "layer": "region", "nations": ["England"]},
        {"kind": "network", "date": 2015.0, "layer": "learning", **on}],
        {"network.weights.cluster": CLUSTER_WEIGHT, "mechanisms.shocks": False, **settings})


def test_peer_cluster_members_add_the_mean_of_the_other_members():
    """E'_i = (E_i D_i + W_P m_i) / (D_i + W_P) for the members (engaged, not ended, CS, in
    England), with D_i computed by hand from the data (borders, statistical neighbours,
    region, learning network) and m_i the mean visibility of the other members; to 1e-12.
    Non-members (Welsh members, English TIP journeys, the rest) keep E_i; no members, the
    cluster switched off again, or a cluster weight of 0 give the plain exposure."""
    model = _cluster_model()
    network, timeline, nation = model.network, model.timeline, model.population.nation
    k, before, after = (_step_of(model, year) for year in (2016.0, 2012.0, 2021.0))
    rng = np.random.default_rng(3)
    visible = rng.uniform(0.0, 1.5, (model.population.size, len(APPROACHES)))
    members = rng.random(visible.shape) < 0.5
    plain = network.exposure(visible, timeline, k).copy()
    clustered = network.exposure(visible, timeline, k, members).copy()

    inside = members[:, CS] & (nation == ENGLAND)
    assert inside.sum() > 40 and (members[:, CS] & (nation == WALES)).sum() > 5
    weight = _tie_weight(model, region=True) + model.config.network.weights.learning * (
        nation == ENGLAND)
    mean = _mean_of_others(visible[:, CS], inside)
    expected = plain.copy()
    expected[inside, CS] = ((plain[inside, CS] * weight[inside] + CLUSTER_WEIGHT * mean[inside])
                            / (weight[inside] + CLUSTER_WEIGHT))
    np.testing.assert_allclose(clustered, expected, rtol=1e-12, atol=1e-12)
    assert np.abs(clustered[inside, CS] - plain[inside, CS]).min() > 1e-6
    outside = np.ones_like(members)
    outside[inside, CS] = False
    np.testing.assert_allclose(clustered[outside], plain[outside], rtol=1e-12, atol=1e-12)

    none = np.zeros_like(members)
    # (E_i D_i) / D_i for non-members: equal to rounding, not bit for bit
    np.testing.assert_allclose(network.exposure(visible, timeline, k, none), plain,
                               rtol=1e-12, atol=1e-12)
    for step in (before, after):       # before the cluster starts, after it stops
        np.testing.assert_array_equal(network.exposure(visible, timeline, step, members),
                                      network.exposure(visible, timeline, step))
    weightless = _cluster_model(**{"network.weights.cluster": 0.0})
    np.testing.assert_array_equal(
        weightless.network.exposure(visible, weightless.timeline, k, members), plain)


def test_a_step_passes_the_engaged_journeys_not_ended_as_cluster_members():
    """In a step with the cluster on, the exposure each journey decides on is the network's
    exposure of the codes' visibility with members = (stage >= Mobilising and not ended); it
    differs from the one with the ended journeys counted as members too."""
    model = _cluster_model()
    k = _step_of(model, 2016.0)
    for _ in range(k):
        model.step()
    s = _random_state(model)
    visible = _codes(model)[0][0].copy()
    members = (s.stage >= MOBILISING) & (s.status != ENDED)
    with_ended = s.stage >= MOBILISING
    expected = model.network.exposure(visible, model.timeline, k, members).copy()
    wrong = model.network.exposure(visible, model.timeline, k, with_ended).copy()
    assert np.abs(expected - wrong).max() > 1e-3
    model.step()
    np.testing.assert_allclose(model.state.exposure, expected, rtol=1e-12, atol=1e-12)


# -- 3. the open learning network is a broadcast (ODD 7.2) ----------------------------------------

def test_open_learning_network_broadcasts_the_mean_of_all_authorities_of_its_nations():
    """With the CS learning network on in England (weight 0.6), every English authority,
    engaged or not, gets (E_i D_i + W_L mean_{j English, j != i} v_j) / (D_i + W_L) (D_i by
    hand, to 1e-12); everyone else, and TIP, keeps E_i; with weight 0 it adds nothing."""
    def build(weight: float) -> sim.InnovationModel:
        return _model([{"kind": "network", "date": 2015.0, "layer": "learning",
                        "nations": ["England"], "approach": "CS"}],
                      {"network.weights.learning": weight})

    model = build(0.6)
    k, before = _step_of(model, 2016.0), _step_of(model, 2012.0)
    rng = np.random.default_rng(5)
    visible = rng.uniform(0.0, 1.5, (model.population.size, len(APPROACHES)))
    members = rng.random(visible.shape) < 0.3          # no cluster on: membership is moot
    plain = model.network.exposure(visible, model.timeline, before).copy()
    broadcast = model.network.exposure(visible, model.timeline, k, members).copy()
    english = model.population.nation == ENGLAND
    weight = _tie_weight(model)
    expected = plain.copy()
    expected[english, CS] = ((plain[english, CS] * weight[english]
                              + 0.6 * _mean_of_others(visible[:, CS], english)[english])
                             / (weight[english] + 0.6))
    np.testing.assert_allclose(broadcast, expected, rtol=1e-12, atol=1e-12)
    silent = build(0.0)
    np.testing.assert_allclose(silent.network.exposure(visible, silent.timeline, k, members),
                               plain, rtol=1e-12, atol=1e-12)


# -- 4. packaged designs (ODD 7.5) ----------------------------------------------------------------

def test_package_multiplies_progression_at_mobilising_and_designing_only():
    """A CS package in England and Wales from 2015, value 5 vs 1 (same seed, same random
    state): the progression hazards of ``hazards.progression`` are 5 times as large (to 1e-14)
    for CS journeys at stages 1-2 in England and Wales from the event's quarter, and equal
    everywhere else (other stages, TIP and TS, Scotland and Northern Ireland, before 2015)."""
    def hazard(value: float, year: float):
        """Progression hazards at ``year`` with the package's value, and the model."""
        model = _model([{"kind": "package", "date": 2015.0, "nations": ["England", "Wales"],
                         "approach": "CS", "value": value}])
        s = _random_state(model)
        funded = np.random.default_rng(11).random(s.stage.shape) < 0.3
        before, flags = _codes(model)
        out = np.empty(s.stage.shape)
        progression(model.journeys, s, _step_of(model, year), before[1], s.readiness, funded,
                    before[6], flags[0], flags[1], out=out)
        return out, model

    for year in (2012.0, 2016.0):
        base, model = hazard(1.0, year)
        packaged, _ = hazard(5.0, year)
        stage = model.state.stage
        early = (stage == MOBILISING) | (stage == DESIGNING)
        target = np.zeros(stage.shape, bool)
        if year > 2015.0:
            target[:, CS] = np.isin(model.population.nation, [ENGLAND, WALES])
            target &= early
            assert (target & (base > 0)).sum() > 20
        assert (~target & early & (base > 0)).sum() > 20
        np.testing.assert_allclose(packaged[target], 5.0 * base[target], rtol=1e-14)
        np.testing.assert_array_equal(packaged[~target], base[~target])


# -- 5. funded momentum, and paused embedded practice (ODD 7.6) -----------------------------------

def test_funded_journeys_do_not_pause_for_loss_of_momentum():
    """The pause hazard of ``move_hazards`` is the workforce-crisis hazard alone for a funded
    working journey, and 0.3 (1 - C) plus it for an unfunded one (crisis threshold raised to
    0.9 so that some authorities are in crisis); the momentum returned is zero where funded."""
    model = _model([], {"workforce.crisis_threshold": 0.9})
    s = _random_state(model)
    run, k = model.journeys, _step_of(model, 2016.0)
    funded = np.random.default_rng(13).random(s.stage.shape) < 0.5
    before, flags = _codes(model)
    crisis, momentum = move_hazards(run, s, k, model.timeline.start[k], run.input_id[k],
                                    np.zeros(s.stage.shape), before, flags, funded)
    pause = run.hazards[PAUSE]
    working = (s.stage >= MOBILISING) & (s.status == ACTIVE)
    crisis = np.broadcast_to(crisis[:, None], s.stage.shape)
    assert (crisis > 0).any() and (crisis == 0).any()
    assert (working & funded).sum() > 50
    np.testing.assert_array_equal(pause[working & funded], crisis[working & funded])
    np.testing.assert_array_equal(momentum[funded], 0.0)
    unfunded = working & ~funded
    np.testing.assert_allclose(pause[unfunded],
                               0.3 * (1.0 - s.readiness[unfunded]) + crisis[unfunded],
                               rtol=1e-14)
    np.testing.assert_array_equal(pause[~working], 0.0)


@pytest.mark.parametrize("approach", APPROACHES)
def test_paused_journeys_end_at_their_stage_rate_from_integrating(approach):
    """The end hazard at C = 0 of a paused journey (``before_rates`` row 3, by journey code
    ``approach * CODES + stage * 3 + status``) is progression.end_paused_rate at stages 1-3
    and progression.end_rate[stage - 1] at stages 4-6; an active one's is always the latter."""
    config = sim.load_config("defaults")
    rates = journey_constants(config).before_rates[3]
    end_rate, paused_rate = config.progression.end_rate, config.progression.end_paused_rate
    assert paused_rate not in end_rate
    offset = APPROACHES.index(approach) * CODES
    for stage in range(MOBILISING, WIDER + 1):
        paused = rates[offset + stage * 3 + PAUSED]
        active = rates[offset + stage * 3 + ACTIVE]
        assert active == end_rate[stage - 1]
        assert paused == (end_rate[stage - 1] if stage >= INTEGRATING else paused_rate)
        assert rates[offset + stage * 3 + ENDED] == 0.0


# -- 6. policy acts on the case without a cap (ODD 7.4a) ------------------------------------------

@pytest.mark.parametrize("feedback", [False, True], ids=["tables", "feedback"])
def test_policy_support_above_two_keeps_raising_the_case(feedback):
    """England's CS journeys seeded at Mobilising in 2010 Q1 under a CS policy of 2 or 5:
    after the first step their case is 1 - 0.7 exp(-(2 E + 0.5 P + 1 K)) with K = 0 (to
    1e-12; at E = 0, 0.743 at P = 2 and 0.942 at P = 5), so higher at P = 5 everywhere.
    With ``feedback``, Wales's CS journeys start at Wider system change, so the step takes
    the policy-feedback path (England's share at stage 6 is 0, so its P is unchanged)."""
    cases = {}
    for policy in (2.0, 5.0):
        events = [{"kind": "policy", "date": 2010.0, "nations": ["England"], "approach": "CS",
                   "value": policy},
                  {"kind": "seed", "date": 2010.0, "nations": ["England"], "approach": "CS",
                   "stage": 1}]
        if feedback:
            events.append({"kind": "seed", "date": 2010.0, "nations": ["Wales"],
                           "approach": "CS", "stage": 6})
        model = _model(events, {"mechanisms.shocks": False})
        model.step()
        s, english = model.state, model.population.nation == ENGLAND
        assert (s.stage[english, CS] >= MOBILISING).all()
        exposure = s.exposure[english, CS]
        assert ((exposure > 0).any() if feedback else (exposure == 0).all())
        case = s.fields[FIELDS.index("case"), english, CS]
        np.testing.assert_allclose(case, 1 - 0.7 * np.exp(-(2.0 * exposure + 0.5 * policy)),
                                   rtol=1e-12)
        cases[policy] = case
        assert case[exposure == 0] == pytest.approx(1 - 0.7 * math.exp(-0.5 * policy))
    assert (cases[5.0] > cases[2.0] + 0.05).all()
