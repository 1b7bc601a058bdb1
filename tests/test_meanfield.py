"""Mean-field theory (rnnviz.meanfield) against closed forms, an arbitrary-precision quadrature,
Monte Carlo, and the existing core's simulation of real networks."""

from __future__ import annotations

import math

import mpmath as mp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from threadpoolctl import threadpool_limits

import rnnviz
from rnnviz import NONLINEARITIES, mean_field, mean_field_grid, simulate_network, variance_map
from rnnviz.nonlinearities import LEAKY_SLOPE


@pytest.fixture(autouse=True)
def one_blas_thread():
    # The simulations are thousands of small matrix-vector products: extra BLAS threads only fight
    # over the cores (as in the app, which runs with one thread).
    with threadpool_limits(limits=1, user_api="blas"):
        yield


# ---- closed forms ----------------------------------------------------------------------------

@pytest.mark.parametrize("sw", [0.0, 0.1, 0.5, 0.9, 0.999, 1.0])
def test_tanh_without_drive_is_quiet_below_one(sw):
    mf = mean_field("tanh", sw)
    assert mf.q == 0.0
    assert mf.chi == pytest.approx(sw * sw, rel=1e-15, abs=0)
    assert mf.lyapunov == pytest.approx(math.log(sw) if sw > 0 else -math.inf, rel=1e-12, abs=0)
    expected = -1.0 / math.log(sw * sw) if 0 < sw < 1 else (0.0 if sw == 0 else math.inf)
    assert mf.depth_scale == pytest.approx(expected, rel=1e-12, abs=0)


@pytest.mark.parametrize("sw", [1.0 + 1e-6, 1.01, 1.5, 2.0, 5.0])
def test_tanh_without_drive_is_chaotic_above_one(sw):
    mf = mean_field("tanh", sw)
    assert mf.q > 0 and mf.chi > 1 and mf.lyapunov > 0 and mf.depth_scale == math.inf
    assert mf.phase == "chaotic"


@pytest.mark.parametrize("sw", [0.3, 1.0, 1.3, math.sqrt(2), 1.5, 3.0])
@pytest.mark.parametrize("kw", [{}, {"sigma_b": 0.4}, {"input_std": 1.2}, {"sigma_b": 0.3, "input_std": 0.7}])
def test_relu_with_zero_bias_has_chi_half_sigma_squared(sw, kw):
    mf = mean_field("relu", sw, **kw)
    assert mf.chi == pytest.approx(sw * sw / 2, rel=1e-14)
    c = kw.get("sigma_b", 0) ** 2 + kw.get("input_std", 0) ** 2
    if sw * sw < 2:
        assert mf.q == pytest.approx(c / (1 - sw * sw / 2), rel=1e-14, abs=0)
    else:
        assert mf.q == math.inf


@pytest.mark.parametrize("sw", [0.2, 0.9, 1.0, 1.7])
@pytest.mark.parametrize("bias", [0.0, 0.8, -1.5])
def test_linear_has_chi_sigma_squared(sw, bias):
    mf = mean_field("linear", sw, bias=bias, input_std=0.5)
    assert mf.chi == pytest.approx(sw * sw, rel=1e-15)
    assert mf.lyapunov == pytest.approx(math.log(sw), rel=1e-14)
    expected_q = (sw * sw * bias * bias + 0.25) / (1 - sw * sw) if sw < 1 else math.inf
    assert mf.q == pytest.approx(expected_q, rel=1e-14)


def test_leaky_relu_at_zero_bias_and_infinite_variance_limits():
    k = (1 + LEAKY_SLOPE**2) / 2
    assert mean_field("leaky_relu", 1.2, sigma_b=0.5).chi == pytest.approx(1.44 * k, rel=1e-14)
    big = mean_field("leaky_relu", 1.5, bias=0.3)  # σ_w² κ > 1: no finite fixed point
    assert big.q == math.inf and big.chi == pytest.approx(2.25 * k, rel=1e-15)


def test_dead_relu_and_zero_weights():
    dead = mean_field("relu", 1.2, bias=-1.0)  # no drive: every unit off, nothing flows back
    assert (dead.q, dead.chi, dead.lyapunov, dead.depth_scale) == (0.0, 0.0, -math.inf, 0.0)
    for name in NONLINEARITIES:
        mf = mean_field(name, 0.0, bias=0.5, sigma_b=0.3, input_std=0.4)
        assert mf.q == pytest.approx(0.25, rel=1e-15) and mf.chi == 0.0 and mf.lyapunov == -math.inf


def test_issue_examples():
    # The issue's quick simulation: σ_w = 2 → +0.155; with s = 1 → +0.046; σ_w = 1.2, s = 0.5 → −0.145.
    assert mean_field("tanh", 2.0).lyapunov == pytest.approx(0.155, abs=5e-4)
    assert mean_field("tanh", 2.0, input_std=1.0).lyapunov == pytest.approx(0.046, abs=5e-4)
    assert mean_field("tanh", 1.2, input_std=0.5).lyapunov == pytest.approx(-0.145, abs=5e-4)


# ---- accuracy: an arbitrary-precision reference ----------------------------------------------

def _reference(name, sw, bias, c):
    """(q, χ) by 20-digit quadrature and a 20-digit root find of q = F(q) (the largest root)."""
    mp.mp.dps = 20
    f = {"tanh": mp.tanh, "sigmoid": lambda a: 1 / (1 + mp.exp(-a))}[name]
    df = {"tanh": lambda a: 1 - mp.tanh(a) ** 2, "sigmoid": lambda a: f(a) * (1 - f(a))}[name]
    mu = mp.mpf(bias)

    def E(g, q):
        s = mp.sqrt(q)
        pts = sorted({-mp.inf, mu - 8 * s, mp.mpf(0), mu, mu + 8 * s, mp.inf})
        return mp.quad(lambda a: g(a) * mp.exp(-(a - mu) ** 2 / (2 * q)), pts) / mp.sqrt(2 * mp.pi * q)

    G = lambda q: q - sw**2 * E(lambda a: f(a) ** 2, q) - c  # noqa: E731
    hi = mp.mpf(sw) ** 2 + c
    q = mp.findroot(G, (mp.mpf(c) + mp.mpf("1e-30"), hi), solver="anderson")
    return q, sw**2 * E(lambda a: df(a) ** 2, q)


@pytest.mark.parametrize("name,sw,bias,sb,s", [
    ("tanh", 2.0, 0.0, 0.0, 1.0), ("tanh", 1.05, 0.3, 0.2, 0.1), ("tanh", 3.5, -1.0, 0.5, 0.0),
    ("tanh", 0.7, 1.5, 0.0, 0.2), ("sigmoid", 4.0, -2.0, 0.0, 0.0), ("sigmoid", 9.0, 0.5, 1.0, 0.5),
])
def test_smooth_units_agree_with_20_digit_quadrature(name, sw, bias, sb, s):
    q, chi = _reference(name, sw, bias, sb * sb + s * s)
    mf = mean_field(name, sw, bias=bias, sigma_b=sb, input_std=s)
    assert mf.q == pytest.approx(float(q), rel=1e-10)
    assert mf.chi == pytest.approx(float(chi), rel=1e-10)


def test_fixed_point_converges_next_to_the_edge():
    # Plain iteration q ← F(q) would need ~1e6 steps here; the bracketed Newton solve is exact.
    for eps in (1e-3, 1e-6):
        mf = mean_field("tanh", 1.0 + eps)
        assert mf.q > 0
        assert variance_map("tanh", mf.q, sigma_w=1.0 + eps) == pytest.approx(mf.q, rel=1e-12)
        sw2 = (1.0 + eps) ** 2  # tanh² x = x² − ⅔x⁴ + …, so q* = (σ_w² − 1)/(2σ_w²) + O(ε²)
        assert mf.q == pytest.approx((sw2 - 1) / (2 * sw2), rel=10 * eps)


@settings(max_examples=40, deadline=None)
@given(name=st.sampled_from(NONLINEARITIES), sw=st.floats(0.0, 4.0), bias=st.floats(-2.0, 2.0),
       sb=st.floats(0.0, 2.0), s=st.floats(0.0, 2.0))
def test_q_is_a_fixed_point_and_the_grid_agrees(name, sw, bias, sb, s):
    mf = mean_field(name, sw, bias=bias, sigma_b=sb, input_std=s)
    if math.isfinite(mf.q):
        assert variance_map(name, mf.q, sigma_w=sw, bias=bias, sigma_b=sb, input_std=s) == pytest.approx(
            mf.q, rel=1e-10, abs=1e-300)
    g = mean_field_grid(name, np.array([sw, sw]), bias=bias, sigma_b=sb, input_std=s)
    for field in ("q", "chi", "lyapunov", "depth_scale"):
        assert getattr(g, field)[0] == pytest.approx(getattr(mf, field), rel=1e-13, abs=1e-300)


# ---- Monte Carlo -----------------------------------------------------------------------------

@pytest.mark.parametrize("name,sw,kw", [
    ("tanh", 2.0, {}), ("tanh", 1.3, {"bias": 0.4, "input_std": 0.6}), ("sigmoid", 5.0, {"bias": -1.5}),
    ("relu", 1.2, {"bias": 0.3, "input_std": 0.5}), ("leaky_relu", 1.3, {"bias": -0.2, "sigma_b": 0.4}),
    ("linear", 0.8, {"bias": 0.5, "sigma_b": 0.2}),
])
def test_variance_map_and_chi_agree_with_monte_carlo(name, sw, kw):
    nl = rnnviz.get_nonlinearity(name)
    rng = np.random.default_rng(7)
    z = rng.standard_normal(2_000_000)
    c = kw.get("sigma_b", 0) ** 2 + kw.get("input_std", 0) ** 2
    for q in (0.05, 0.8, 3.0):
        a = kw.get("bias", 0.0) + math.sqrt(q) * z
        mc = sw * sw * np.mean(nl.f(a) ** 2) + c
        assert variance_map(name, q, sigma_w=sw, **kw) == pytest.approx(mc, rel=5e-3)
    mf = mean_field(name, sw, **kw)
    a = kw.get("bias", 0.0) + math.sqrt(mf.q) * z
    assert sw * sw * np.mean(nl.f(a) ** 2) + c == pytest.approx(mf.q, rel=5e-3)
    assert sw * sw * np.mean(nl.df(a) ** 2) == pytest.approx(mf.chi, rel=5e-3)


# ---- theory against real networks -----------------------------------------------------------

def _benettin(W, a, name):
    """The largest Lyapunov exponent of the core's step Jacobians, by the textbook tangent-vector method."""
    J = rnnviz.step_jacobians(W, a, name)
    v = np.ones(W.shape[0]) / math.sqrt(W.shape[0])
    total = 0.0
    for Jt in J:
        v = Jt @ v
        nrm = np.linalg.norm(v)
        total += math.log(nrm)
        v /= nrm
    return total / len(J)


def test_simulated_exponent_is_the_cores_exponent():
    # Same network through the core's QR-based lyapunov_exponents (small n, so the full stack fits).
    run = simulate_network("tanh", 1.6, input_std=0.3, n=48, steps=600, burn_in=100, seed=3)
    W = rnnviz.init_recurrent(48, "gaussian", 1.6, seed=3)
    rng = np.random.default_rng([3, 1])
    b = 0.0 + 0.0 * rng.standard_normal(48)
    h0 = rng.standard_normal(48)
    xs = 0.3 * rng.standard_normal((700, 48))
    traj = rnnviz.forward(W, xs, U=np.eye(48), b=b, h0=h0, nonlinearity="tanh")
    a = traj.a[100:]
    assert run.q == pytest.approx(float(np.mean(a**2)), rel=1e-12)
    lam_core = rnnviz.lyapunov_exponents(rnnviz.step_jacobians(W, a, "tanh"))[0]
    assert run.lyapunov == pytest.approx(lam_core, abs=0.01)
    assert run.lyapunov == pytest.approx(_benettin(W, a, "tanh"), abs=0.01)


@pytest.mark.parametrize("name,sw,kw,scheme", [
    ("tanh", 2.0, {}, "gaussian"),
    ("tanh", 2.0, {"input_std": 1.0}, "orthogonal"),
    ("tanh", 1.2, {"input_std": 0.5}, "gaussian"),
    ("tanh", 0.8, {"sigma_b": 0.5}, "orthogonal"),
    ("relu", 1.2, {"bias": 0.3, "input_std": 0.5}, "gaussian"),
    ("sigmoid", 6.0, {"bias": -3.0}, "gaussian"),
])
def test_theory_matches_a_network_of_400_units(name, sw, kw, scheme):
    mf = mean_field(name, sw, **kw)
    assert abs(math.log(mf.chi)) > 0.05  # away from the edge
    run = simulate_network(name, sw, n=400, steps=1500, burn_in=200, scheme=scheme, seed=0, **kw)
    assert run.overflow_step is None
    assert run.lyapunov == pytest.approx(mf.lyapunov, abs=0.05)
    # The back-propagated gradient falls (or grows) at the same rate: slope of ln‖g‖ over distance.
    d = np.arange(200, 1201)
    slope = np.polyfit(d, run.log_gradient_norms[d], 1)[0]
    assert slope == pytest.approx(mf.lyapunov, abs=0.05)


def test_inputs_push_a_chaotic_network_towards_order():
    lams = [mean_field("tanh", 2.0, input_std=s).lyapunov for s in (0.0, 0.5, 1.0, 1.5, 2.0)]
    assert all(b < a for a, b in zip(lams, lams[1:]))
    assert lams[0] > 0 > lams[-1]


def test_simulation_reports_overflow_and_keeps_the_steps_before():
    run = simulate_network("relu", 4.0, n=64, steps=1000, burn_in=0, seed=1)
    assert run.overflow_step is not None and 0 < run.overflow_step < 1000
    assert math.isfinite(run.lyapunov)
    assert np.isnan(run.log_gradient_norms[run.overflow_step + 1:]).all()


# ---- speed-relevant shape and hostile input -----------------------------------------------------

def test_grid_shape_and_broadcasting():
    sw = np.linspace(0, 4, 7)
    g = mean_field_grid("tanh", sw[:, None], input_std=np.linspace(0, 2, 5)[None, :])
    assert g.q.shape == g.chi.shape == g.lyapunov.shape == g.depth_scale.shape == (7, 5)
    assert g.sigma_w.shape == (7, 5)
    assert np.all(np.diff(g.chi, axis=0) >= 0)  # χ grows with σ_w (tanh, zero bias)


@pytest.mark.parametrize("kwargs,word", [
    ({"nonlinearity": "softplus", "sigma_w": 1.0}, "nonlinearity"),
    ({"nonlinearity": "tanh", "sigma_w": -1.0}, "sigma_w"),
    ({"nonlinearity": "tanh", "sigma_w": math.nan}, "sigma_w"),
    ({"nonlinearity": "tanh", "sigma_w": math.inf}, "sigma_w"),
    ({"nonlinearity": "tanh", "sigma_w": 1e9}, "sigma_w"),
    ({"nonlinearity": "tanh", "sigma_w": "2"}, None),
    ({"nonlinearity": "tanh", "sigma_w": True}, "sigma_w"),
    ({"nonlinearity": "tanh", "sigma_w": 1.0, "bias": 11.0}, "bias"),
    ({"nonlinearity": "tanh", "sigma_w": 1.0, "sigma_b": -0.1}, "sigma_b"),
    ({"nonlinearity": "tanh", "sigma_w": 1.0, "input_std": math.inf}, "input_std"),
    ({"nonlinearity": "tanh", "sigma_w": 1.0, "input_std": None}, "input_std"),
    ({"nonlinearity": None, "sigma_w": 1.0}, "nonlinearity"),
])
def test_mean_field_rejects_bad_arguments(kwargs, word):
    if word is None:  # a numeric string is a number, as everywhere in the core
        mean_field(**kwargs)
        return
    with pytest.raises(ValueError, match=word):
        mean_field(**kwargs)


@pytest.mark.parametrize("kwargs,word", [
    ({"sigma_w": [[1.0, 2.0], [3.0]]}, "sigma_w"),
    ({"sigma_w": np.array([1.0, np.nan])}, "sigma_w"),
    ({"sigma_w": np.ones(3), "bias": np.ones(4)}, "broadcast"),
    ({"sigma_w": np.ones((1001, 1)), "input_std": np.ones((1, 1000))}, "cells"),
    ({"sigma_w": np.array([1.0, -2.0])}, "sigma_w"),
    ({"sigma_w": "abc"}, "sigma_w"),
    ({"sigma_w": 1.0 + 1j}, "sigma_w"),
])
def test_grid_rejects_bad_arguments(kwargs, word):
    with pytest.raises(ValueError, match=word):
        mean_field_grid("tanh", **kwargs)


@pytest.mark.parametrize("kwargs,word", [
    ({"n": 0}, "n"), ({"n": 2000}, "n"), ({"steps": 0}, "steps"), ({"scheme": "identity"}, "scheme"),
    ({"seed": -1}, "seed"), ({"burn_in": -5}, "burn_in"), ({"n": 4.5}, "n"),
])
def test_simulation_rejects_bad_arguments(kwargs, word):
    with pytest.raises(ValueError, match=word):
        simulate_network("tanh", 1.0, **{"n": 8, "steps": 10, **kwargs})


def test_variance_map_rejects_negative_variance():
    with pytest.raises(ValueError, match="q"):
        variance_map("tanh", [-1.0], sigma_w=1.0)


def test_extreme_settings_stay_finite_or_inf_never_nan():
    for name in NONLINEARITIES:
        for sw in (0.0, 1e-8, 1.0, 100.0):
            for bias in (-10.0, 0.0, 10.0):
                mf = mean_field(name, sw, bias=bias, sigma_b=10.0, input_std=10.0)
                assert not math.isnan(mf.q) and not math.isnan(mf.chi) and not math.isnan(mf.lyapunov)
                assert mf.q >= 0 and mf.chi >= 0


# ---- the edge and the trainable band ------------------------------------------------------------

def test_edge_sigma_w_closed_forms_and_inputs():
    assert rnnviz.edge_sigma_w("tanh") == pytest.approx(1.0, abs=1e-9)
    assert rnnviz.edge_sigma_w("relu") == pytest.approx(math.sqrt(2), rel=1e-12)
    assert rnnviz.edge_sigma_w("relu", bias=-0.5) == pytest.approx(math.sqrt(2), rel=1e-9)  # dead until q → ∞
    assert rnnviz.edge_sigma_w("linear", bias=0.7) == pytest.approx(1.0, rel=1e-12)
    assert f"{rnnviz.edge_sigma_w('sigmoid'):.1f}" == "10.1"  # the edge page's σ_w help text
    driven = rnnviz.edge_sigma_w("tanh", input_std=1.0)
    assert driven > 1.5 and mean_field("tanh", driven, input_std=1.0).chi == pytest.approx(1.0, abs=1e-10)


def test_trainable_band_is_the_linear_closed_form():
    band = rnnviz.trainable_band("linear", distance=50, decades=3.0)
    limit = 2 * 3.0 * math.log(10) / 50  # |ln χ| = |2 ln σ_w| ≤ limit
    assert band.low == pytest.approx(math.exp(-limit / 2), rel=1e-10)
    assert band.high == pytest.approx(math.exp(limit / 2), rel=1e-10)
    assert band.low < band.edge < band.high and band.width == pytest.approx(band.high - band.low)
    tanh = rnnviz.trainable_band("tanh", distance=50)
    assert mean_field("tanh", tanh.high).chi == pytest.approx(math.exp(limit), rel=1e-9)
    with pytest.raises(ValueError, match="distance"):
        rnnviz.trainable_band("tanh", distance=0)
