"""The model reduces to closed forms when its mechanisms are switched off (ODD 8).

The closed forms: the Bass model (Bass 1969), a pure time change of it, and an absorbing
Markov chain (Kemeny & Snell 1960).

Tolerances are derived from the sample size: V1 |mean F - F(t)| <= 0.005 (run-to-run sd
about 0.008 at N = 10^4, R = 20, so about 2.8 standard errors, plus a discretisation error
under 0.0007 at dt = 0.01), peak time +-0.15 y; V4 +-0.01 (N = 10^4); V10 four standard errors
of each mean, sd and probability, the sd's from the fourth central moment of the absorption
time, computed from the fundamental matrix.
"""

from __future__ import annotations

import math
import multiprocessing
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pytest
from helpers import ALL_OFF, NO_PROMPTING, adopted_share, at, bass_config, bass_F

import sim

pytestmark = pytest.mark.slow


def _shares(args: tuple[dict, int]) -> tuple[np.ndarray, np.ndarray]:
    config, seed = args
    result = sim.run(config, seed=seed)
    return result.times, adopted_share(result)


def _ensemble(config: dict, replicates: int) -> tuple[np.ndarray, np.ndarray]:
    """Times and adoption shares (replicates x steps), runs spread over two processes."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=2, mp_context=context) as pool:
        out = list(pool.map(_shares, [(config, seed) for seed in range(replicates)]))
    return out[0][0], np.array([shares for _, shares in out])


def _peak_time(times: np.ndarray, shares: np.ndarray, dt: float) -> float:
    """Time of the peak adoption rate of the mean curve: vertex of a parabola fitted within
    +-2 years of the largest one-year moving average."""
    rate = np.diff(np.r_[0.0, shares.mean(axis=0)]) / dt
    window = int(round(1.0 / dt))
    smooth = np.convolve(rate, np.ones(window) / window, mode="same")
    centre = times[np.argmax(smooth)] - dt / 2
    near = np.abs(times - dt / 2 - centre) <= 2.0
    a, b, _ = np.polyfit(times[near] - dt / 2, rate[near], 2)
    return -b / (2 * a)


# -- V1: the Bass model -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def bass_ensemble():
    return _ensemble(bass_config(), replicates=20)


@pytest.mark.parametrize("t, expected", [(2, 0.0851), (5, 0.3312), (10, 0.8128),
                                         (15, 0.9716)])
def test_v1_bass_curve(bass_ensemble, t, expected):
    times, shares = bass_ensemble
    assert abs(bass_F(t, 0.03, 0.38) - expected) < 5e-5   # the table itself
    assert abs(at(times, shares.mean(axis=0), t) - expected) <= 0.005


def test_v1_bass_peak_time(bass_ensemble):
    times, shares = bass_ensemble
    expected = math.log(0.38 / 0.03) / (0.03 + 0.38)
    assert expected == pytest.approx(6.193, abs=1e-3)
    assert abs(_peak_time(times, shares, 0.01) - expected) <= 0.15


# -- V4: austerity as a time change -------------------------------------------------------------

def _scaled(events: list) -> dict:
    return bass_config(events=events)


def _hazard_scale(date: float, value: float, name: str) -> dict:
    return {"id": name, "kind": "hazard_scale", "date": date, "value": value,
            "label": f"every hazard x{value}"}


def test_v4_constant_half_speed():
    """x = 0.5 stretches time by 2: F(10) = F_Bass(5), and the peak moves to 12.39 years.

    The peak is located where the mean curve crosses F(t*) = (1 - p/q)/2, which a time change
    preserves; its standard error is sd(F) / (sqrt(R) f(t*)), with sd(F) about 0.008 at
    N = 10^4 and f(t*) = x (p + q)^2 / (4q); the test allows four.
    """
    config = _scaled([_hazard_scale(0.0, 0.5, "half")])
    replicates = 8
    times, shares = _ensemble(config, replicates=replicates)
    mean = shares.mean(axis=0)
    assert abs(at(times, mean, 10.0) - 0.3312) <= 0.01
    p, q, x = 0.03, 0.38, 0.5
    crossing = np.interp((1 - p / q) / 2, mean, times)
    density = x * (p + q) ** 2 / (4 * q)
    assert abs(crossing - 12.39) <= 4 * 0.008 / math.sqrt(replicates) / density


@pytest.fixture(scope="module")
def piecewise_ensemble():
    config = _scaled([_hazard_scale(3.0, 0.5, "austerity"), _hazard_scale(8.0, 1.0, "end")])
    return _ensemble(config, replicates=8)


@pytest.mark.parametrize("t, expected", [(3, 0.1505), (5, 0.2332), (8, 0.3844), (10, 0.6017),
                                         (12, 0.7789), (15, 0.9244)])
def test_v4_piecewise_shock(piecewise_ensemble, t, expected):
    times, shares = piecewise_ensemble
    assert abs(at(times, shares.mean(axis=0), t) - expected) <= 0.01


def test_v4_negative_control_scaling_only_p_is_not_a_time_change():
    """Halving only p (policy support) for 3 <= t < 8 does not give the time-changed curve."""
    events = [{"id": "p-down", "kind": "policy", "approach": "CS", "date": 3.0, "value": 0.5,
               "nations": ["England", "Wales", "Scotland", "Northern Ireland"], "label": "p/2"},
              {"id": "p-up", "kind": "policy", "approach": "CS", "date": 8.0, "value": 1.0,
               "nations": ["England", "Wales", "Scotland", "Northern Ireland"], "label": "p"}]
    times, shares = _ensemble(bass_config(events=events, macro=True), replicates=4)
    assert abs(at(times, shares.mean(axis=0), 8.0) - 0.3844) > 0.05


# -- V10: the six-stage Markov chain --------------------------------------------------------------

def _chain(forward, backward, exit_, chains: int = 100_002, start: int = 1) -> dict:
    """Per-step probabilities, every mechanism off, three approaches as independent replicas."""
    return {
        "name": "chain", "time": {"start": 0.0, "end": 400.0, "dt": 1.0},
        "population": {"size": chains // 3}, "network": {"kind": "complete"},
        "mechanisms": ALL_OFF,
        "chain": {"forward": forward, "backward": backward, "exit": exit_},
        "approaches": {a: {**NO_PROMPTING, "speed": 1.0, "initial_stage": start}
                       for a in sim.APPROACHES},
    }


def _absorption(result: sim.RunResult) -> tuple[np.ndarray, np.ndarray]:
    """Steps to absorption and whether Wider system change (not exit) absorbed each chain."""
    events = result.events
    final = events[(events["to_stage"] == 6) | (events["kind"] == "end")]
    assert len(final) == 3 * result.size, "every chain is absorbed once, none twice"
    return final["time"].to_numpy(), (final["to_stage"] == 6).to_numpy()


F10 = [0.20, 0.15, 0.12, 0.10, 0.08]
B10 = [0, 0.05, 0.05, 0.05, 0.05]
E10 = [0.02, 0.02, 0.03, 0.03, 0.03]


def absorption_moments(forward, backward, exit_) -> tuple[float, float, float]:
    """Mean, sd and fourth central moment of the steps to absorption from stage 1.

    From the fundamental matrix N = (I - Q)^-1: the binomial moments of T are
    E[C(T, k)] = (Q^(k-1) N^k 1)_1 (Kemeny & Snell), from which the raw moments follow.
    """
    f, b, e = (np.asarray(x, float) for x in (forward, backward, exit_))
    q = np.diag(1 - f - b - e) + np.diag(f[:-1], 1) + np.diag(b[1:], -1)
    fundamental = np.linalg.inv(np.eye(len(f)) - q)
    c1, c2, c3, c4 = (
        (np.linalg.matrix_power(q, k - 1) @ np.linalg.matrix_power(fundamental, k))[0].sum()
        for k in (1, 2, 3, 4))
    m1, m2, m3, m4 = c1, 2 * c2 + c1, 6 * c3 + 6 * c2 + c1, 24 * c4 + 36 * c3 + 14 * c2 + c1
    variance = m2 - m1**2
    fourth = m4 - 4 * m1 * m3 + 6 * m1**2 * m2 - 3 * m1**4
    return m1, math.sqrt(variance), fourth


def sd_tolerance(sd: float, fourth: float, n: int) -> float:
    """Four standard errors of a sample sd of n draws: SE = sqrt((mu4 - sd^4) / n) / (2 sd)."""
    return 4 * math.sqrt((fourth - sd**4) / n) / (2 * sd)


@pytest.fixture(scope="module")
def v10():
    return _absorption(sim.run(_chain(F10, B10, E10), seed=7))


def test_v10_absorption_time(v10):
    """Mean and sd of the steps to absorption, each within four standard errors."""
    steps, _ = v10
    mean, sd, fourth = absorption_moments(F10, B10, E10)
    assert (round(mean, 2), round(sd, 2)) == (28.76, 21.59)       # the published table
    assert abs(steps.mean() - mean) <= 4 * sd / math.sqrt(len(steps))
    assert abs(steps.std() - sd) <= sd_tolerance(sd, fourth, len(steps))


def test_v10_absorption_probability(v10):
    _, wider = v10
    assert abs(wider.mean() - 0.2700) <= 4 * math.sqrt(0.27 * 0.73 / len(wider))


def test_v10_conditional_times(v10):
    """Conditional means over the chains absorbed each way: four standard errors."""
    steps, wider = v10
    for mask, expected in ((wider, 39.64), (~wider, 24.74)):
        sample = steps[mask]
        assert abs(sample.mean() - expected) <= 4 * sample.std() / math.sqrt(len(sample))


def test_v10_matches_fundamental_matrix():
    """The closed forms themselves, from N = (I - Q)^-1 (Kemeny & Snell)."""
    f, b, e = np.array(F10), np.array(B10), np.array(E10)
    q = np.diag(1 - f - b - e) + np.diag(f[:-1], 1) + np.diag(b[1:], -1)
    fundamental = np.linalg.inv(np.eye(5) - q)
    t = fundamental.sum(axis=1)
    np.testing.assert_allclose(t, [28.76, 26.64, 22.82, 18.59, 12.06], atol=0.01)
    absorb = fundamental @ np.c_[np.r_[0, 0, 0, 0, f[-1]], e]
    np.testing.assert_allclose(absorb[:, 0], [0.2700, 0.2970, 0.3457, 0.4523, 0.6414],
                               atol=1e-4)
    # a sum of five geometric steps (f = 0.2) is negative binomial: mean 25, sd 10, and
    # fourth central moment 3 (5 k2)^2 + 5 k4 = 42,100, with k4 = (1-p)(p^2-9p+9)/p^4 - 3 k2^2
    mean, sd, fourth = absorption_moments([0.2] * 5, [0] * 5, [0] * 5)
    assert (mean, sd, fourth) == (pytest.approx(25.0), pytest.approx(10.0), pytest.approx(42100))


def test_v10_pure_forward_chain():
    """Forward only with f = 0.2: T is negative binomial, mean 25, sd 10."""
    config = _chain([0.2] * 5, [0.0] * 5, [0.0] * 5, chains=30_000)
    steps, wider = _absorption(sim.run(config, seed=11))
    assert wider.all()
    assert abs(steps.mean() - 25.0) <= 4 * 10 / math.sqrt(len(steps))
    assert abs(steps.std() - 10.0) <= sd_tolerance(10.0, 42_100, len(steps))
    assert abs((steps <= 20).mean() - 0.370) <= 4 * math.sqrt(0.37 * 0.63 / len(steps))
    assert abs((steps <= 40).mean() - 0.924) <= 4 * math.sqrt(0.924 * 0.076 / len(steps))
