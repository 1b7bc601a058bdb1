"""The one-unit RNN: closed forms, finite differences, the naive float32 product, the phase map."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import brentq

import rnnviz
from rnnviz.scalar import _SCALAR_F, scalar_inputs, scalar_phase_map, scalar_trajectory


# ---- inputs ---------------------------------------------------------------------------------

def test_inputs_kinds():
    assert np.array_equal(scalar_inputs(5), np.zeros(5))
    assert np.array_equal(scalar_inputs(4, kind="constant", amplitude=0.3), np.full(4, 0.3))
    s = scalar_inputs(40, kind="sine", amplitude=2.0, period=20.0)
    assert s[4] == pytest.approx(2.0 * math.sin(2 * math.pi * 5 / 20))
    assert s[19] == pytest.approx(0.0, abs=1e-12)
    n1 = scalar_inputs(2000, kind="noise", amplitude=0.5, seed=3)
    assert np.array_equal(n1, scalar_inputs(2000, kind="noise", amplitude=0.5, seed=3))
    assert not np.array_equal(n1, scalar_inputs(2000, kind="noise", amplitude=0.5, seed=4))
    assert n1.std() == pytest.approx(0.5, rel=0.08)


@pytest.mark.parametrize("kwargs, words", [
    (dict(T=0), "at least 1"),
    (dict(T=5, kind="square"), "'none'"),
    (dict(T=5, amplitude=float("nan")), "finite"),
    (dict(T=5, kind="sine", period=0.0), "greater than 0"),
    (dict(T=5, seed=-1), "seed"),
])
def test_inputs_bad_arguments(kwargs, words):
    with pytest.raises(ValueError, match=words):
        scalar_inputs(**kwargs)


def test_scalar_nonlinearities_match_core():
    a = np.concatenate([np.linspace(-800, 800, 4001), [0.0, -0.0, 1e-300, -1e-300]])
    for name in rnnviz.NONLINEARITIES:
        got = np.array([_SCALAR_F[name](float(v)) for v in a])
        np.testing.assert_allclose(got, rnnviz.get_nonlinearity(name).f(a), rtol=1e-15, atol=1e-300, err_msg=name)  # expit flushes subnormals


# ---- closed forms -----------------------------------------------------------------------------

@pytest.mark.parametrize("w", [0.5, -0.7, 1.0, 1.3, -2.0])
def test_linear_case_is_exactly_w_to_the_distance(w):
    T = 60
    x = scalar_inputs(T, kind="noise", seed=1)
    tr = scalar_trajectory(w, b=0.2, u=0.8, h0=0.1, x=x, nonlinearity="linear")
    d = T - np.arange(T + 1)
    np.testing.assert_allclose(tr.grad, float(w) ** d, rtol=1e-12)
    np.testing.assert_allclose(tr.log_abs_grad, d * math.log(abs(w)), rtol=1e-12, atol=1e-12)
    assert tr.mean_log_factor == pytest.approx(math.log(abs(w)))
    # the state itself follows the linear recurrence exactly
    h = 0.1
    for t in range(T):
        h = w * h + 0.8 * x[t] + 0.2
    assert tr.h[-1] == pytest.approx(h, rel=1e-12)


def test_linear_horizon_closed_form():
    # |w|^d < 1e-8  <=>  d > log(1e-8) / log|w|
    for w in (0.5, 0.9, -0.99):
        tr = scalar_trajectory(w, T=5000, nonlinearity="linear")
        assert tr.horizon == math.floor(math.log(1e-8) / math.log(abs(w))) + 1
    assert scalar_trajectory(1.0, T=5000, nonlinearity="linear").horizon is None
    assert scalar_trajectory(1.2, T=100, nonlinearity="linear").horizon is None
    # too short to get there
    assert scalar_trajectory(0.9, T=50, nonlinearity="linear").horizon is None


def test_naive_float32_product_breaks_where_powers_of_two_do():
    # 2^127 < float32 max < 2^128: the 128th factor of 2 overflows.
    tr = scalar_trajectory(2.0, T=300, nonlinearity="linear")
    assert tr.float32_break.kind == "overflow"
    assert tr.float32_break.distance == 128 and tr.float32_break.step == 300 - 128
    assert tr.float64_break is None  # 2^300 is fine in float64
    # 2^-149 is the smallest float32 subnormal; 2^-150 rounds (to even) to 0.
    tr = scalar_trajectory(0.5, T=300, nonlinearity="linear")
    assert tr.float32_break.kind == "underflow" and tr.float32_break.distance == 150
    # float64: 2^1024 overflows
    tr = scalar_trajectory(2.0, T=1500, nonlinearity="linear")
    assert tr.float64_break.distance == 1024
    assert np.isfinite(tr.log_abs_grad).all()
    assert tr.log_abs_grad[0] == pytest.approx(1500 * math.log(2.0))
    # the linear state overflows float64 too: h_t = 2^t h0
    tr = scalar_trajectory(2.0, h0=1.0, T=1500, nonlinearity="linear")
    assert tr.state_nonfinite_step == 1024


def test_no_break_when_the_product_stays_in_range():
    tr = scalar_trajectory(0.999, T=1000, nonlinearity="linear")
    assert tr.float32_break is None and tr.float64_break is None and tr.horizon is None


def test_nan_after_overflow_when_a_dead_relu_follows():
    # Step 1 drives h_1 = 0 (a dead step, factor 0); afterwards the ReLU stays alive with w = 3,
    # so backwards from T the float32 product overflows first and then meets the 0: inf * 0 = NaN.
    x = np.zeros(200)
    x[0] = -10.0
    tr = scalar_trajectory(3.0, b=0.1, u=1.0, h0=0.0, x=x, nonlinearity="relu")
    assert tr.zero_factor_step == 1
    assert tr.float32_break.kind == "overflow"
    assert tr.float32_break.nan_distance == 200
    assert tr.log_abs_grad[0] == -np.inf and tr.grad_sign[0] == 0
    assert np.isfinite(tr.log_abs_grad[1:]).all()


def test_fixed_point_under_constant_input():
    # With a contracting tanh unit and constant input, h_t -> h* solving h* = tanh(w h* + u c + b),
    # and the factor tends to w (1 - h*^2): far from k, log|dh_T/dh_k| grows linearly with slope log|w f'(a*)|.
    w, b, u, c = 0.8, 0.3, 0.5, 1.2
    tr = scalar_trajectory(w, b=b, u=u, h0=-0.9, x=scalar_inputs(400, kind="constant", amplitude=c))
    hstar = brentq(lambda h: h - math.tanh(w * h + u * c + b), -1, 1, xtol=1e-15)
    assert tr.h[-1] == pytest.approx(hstar, abs=1e-12)
    slope = math.log(w * (1 - hstar ** 2))
    assert tr.log_abs_factors[-1] == pytest.approx(slope, rel=1e-10)
    assert tr.log_abs_grad[100] - tr.log_abs_grad[200] == pytest.approx(100 * slope, rel=1e-9)
    assert tr.mean_log_factor < 0


# ---- finite differences ---------------------------------------------------------------------

@pytest.mark.parametrize("name", ["tanh", "sigmoid", "linear", "leaky_relu", "relu"])
def test_gradient_matches_finite_differences(name):
    T = 30
    x = scalar_inputs(T, kind="noise", amplitude=0.7, seed=2)
    w, b, u, h0 = 1.1, 0.05, 0.9, 0.4
    tr = scalar_trajectory(w, b=b, u=u, h0=h0, x=x, nonlinearity=name)
    eps = 1e-6
    for k in (0, 5, 17, 29, 30):
        if k == T:
            assert tr.grad[k] == 1.0
            continue
        up = scalar_trajectory(w, b=b, u=u, h0=tr.h[k] + eps, x=x[k:], nonlinearity=name).h[-1]
        dn = scalar_trajectory(w, b=b, u=u, h0=tr.h[k] - eps, x=x[k:], nonlinearity=name).h[-1]
        fd = (up - dn) / (2 * eps)
        assert tr.grad[k] == pytest.approx(fd, rel=1e-5, abs=1e-9), (name, k)


@settings(max_examples=40, deadline=None)
@given(w=st.floats(-3, 3), b=st.floats(-2, 2), h0=st.floats(-1, 1),
       name=st.sampled_from(["tanh", "sigmoid", "leaky_relu"]))
def test_log_grad_is_log_of_the_explicit_product(w, b, h0, name):
    tr = scalar_trajectory(w, b=b, h0=h0, u=0.5, x=scalar_inputs(25, kind="sine", amplitude=1.0),
                           nonlinearity=name)
    explicit = np.array([np.prod(tr.factors[k:]) for k in range(26)])
    np.testing.assert_allclose(tr.grad, explicit, rtol=1e-10, atol=1e-300)


def test_long_horizon_stays_finite_in_log_space():
    x = scalar_inputs(10_000, kind="noise", amplitude=3.0, seed=0)
    tr = scalar_trajectory(0.3, b=-2.0, u=3.0, h0=-2.0, x=x, nonlinearity="sigmoid")
    assert np.isfinite(tr.log_abs_grad).all()
    assert tr.log_abs_grad[0] < -20_000  # far below float64's 1e-308
    assert tr.grad[0] == 0.0  # the plain value underflows; the log does not
    np.testing.assert_allclose(tr.log_abs_grad[0], np.sum(tr.log_abs_factors), rtol=1e-12)
    # exploding ReLU for 10,000 steps: the state overflows float64, the log gradient does not
    tr = scalar_trajectory(4.0, b=3.0, u=3.0, h0=2.0, x=x, nonlinearity="relu")
    assert tr.state_nonfinite_step is not None
    assert tr.log_abs_grad[0] == pytest.approx(10_000 * math.log(4.0))


def test_exact_zero_factor_gives_minus_inf_and_is_located():
    tr = scalar_trajectory(0.0, T=10, nonlinearity="tanh")
    assert (tr.log_abs_grad[:10] == -np.inf).all() and tr.log_abs_grad[10] == 0
    assert tr.zero_factor_step == 10 and tr.horizon == 1
    assert tr.float32_break is None  # a true zero is not an underflow
    # a ReLU unit that starts dead stays dead
    tr = scalar_trajectory(1.5, b=-0.5, h0=-1.0, T=20, nonlinearity="relu")
    assert tr.zero_factor_step == 20 and (tr.grad[:20] == 0).all()


def test_sign_follows_negative_factors():
    tr = scalar_trajectory(-0.9, T=7, nonlinearity="linear")
    np.testing.assert_array_equal(tr.grad_sign, [(-1.0) ** (7 - k) for k in range(8)])


@pytest.mark.parametrize("kwargs, words", [
    (dict(w=float("inf"), T=5), "finite"),
    (dict(w=1.0), "or the number of steps"),
    (dict(w=1.0, x=np.zeros(0)), "empty"),
    (dict(w=1.0, x=np.array([0.0, np.nan])), "NaN"),
    (dict(w=1.0, T=3, x=np.zeros(4)), "agree"),
    (dict(w=1.0, T=3, nonlinearity="softplus"), "'tanh'"),
    (dict(w=1.0, T=3, tolerance=0.0), "tolerance"),
])
def test_bad_arguments(kwargs, words):
    with pytest.raises(ValueError, match=words):
        scalar_trajectory(**kwargs)


# ---- phase map ------------------------------------------------------------------------------

@pytest.mark.parametrize("name", rnnviz.NONLINEARITIES)
def test_phase_map_matches_per_cell_loop(name):
    ws = np.linspace(-3, 3, 9)
    bs = np.linspace(-2, 2, 7)
    x = scalar_inputs(80, kind="noise", amplitude=0.5, seed=5)
    pm = scalar_phase_map(ws, bs, u=0.7, h0=0.3, x=x, nonlinearity=name)
    assert pm.values.shape == (7, 9) and pm.T == 80
    for i, b in enumerate(bs):
        for j, w in enumerate(ws):
            ref = scalar_trajectory(w, b=b, u=0.7, h0=0.3, x=x, nonlinearity=name).mean_log_factor
            if np.isinf(ref):
                assert pm.values[i, j] == ref
            else:
                assert pm.values[i, j] == pytest.approx(ref, rel=1e-9, abs=1e-12), (name, w, b)


def test_phase_map_linear_is_log_abs_w():
    ws = np.array([0.5, 1.0, 2.0])
    pm = scalar_phase_map(ws, np.array([-1.0, 1.0]), T=30, nonlinearity="linear")
    np.testing.assert_allclose(pm.values, np.tile(np.log(ws), (2, 1)), atol=1e-15)


def test_phase_map_stays_finite_in_deep_saturation():
    # |a| in the hundreds: tanh'(a) underflows float64, its log does not
    pm = scalar_phase_map(np.array([400.0]), np.array([400.0]), h0=1.0, T=20)
    expected = math.log(400.0) + math.log(4.0) - 2 * 800.0  # a_t = 800 at every step (h = 1)
    assert pm.values[0, 0] == pytest.approx(expected, rel=1e-6)


def test_phase_map_bad_grid():
    with pytest.raises(ValueError, match="1,000,000"):
        scalar_phase_map(np.zeros(2000), np.zeros(1000), T=2)
    with pytest.raises(ValueError, match="NaN"):
        scalar_phase_map(np.array([np.nan]), np.zeros(2), T=2)


# --------------------------------------------------------------------------- hostile settings (issue 8)

@pytest.mark.parametrize("arg", ["w", "b", "u", "h0"])
@pytest.mark.parametrize("value", [1e308, -1e308, 1e7])
def test_trajectory_settings_are_bounded(arg, value):
    kw = {"w": 0.9, arg: value}
    with pytest.raises(ValueError, match=rf"^{arg} \(.*1000000"):
        scalar_trajectory(kw.pop("w"), T=5, **kw)


def test_bounded_settings_at_the_limit_still_run():
    """±1e6 is accepted; an exploding linear unit is content (a step where h stopped being finite)."""
    tr = scalar_trajectory(1e6, b=-1e6, u=1e6, h0=1e6, x=np.full(200, 1e6), nonlinearity="linear")
    assert tr.state_nonfinite_step is not None
    assert np.isfinite(scalar_trajectory(-1e6, b=1e6, h0=-1e6, T=50).log_abs_grad[:-1]).all()


def test_inputs_entries_and_amplitude_bounded():
    with pytest.raises(ValueError, match=r"x \(inputs\) has an entry of size 1e\+300"):
        scalar_trajectory(0.9, x=np.full(5, 1e300))
    with pytest.raises(ValueError, match=r"^amplitude must be at most"):
        scalar_inputs(10, kind="noise", amplitude=1e308)
    with pytest.raises(ValueError, match=r"^h0 \(initial state\)"):
        scalar_phase_map(np.linspace(-2, 2, 3), np.zeros(2), h0=-1e308, T=5)


@pytest.mark.parametrize("arg", ["ws", "bs", "x"])
def test_ragged_lists_are_named(arg):
    kw = {"ws": [0.5, 1.0], "bs": [0.0], "x": [1.0, 2.0]}
    kw[arg] = [[1.0, 2.0], [3.0]]
    with pytest.raises(ValueError, match=rf"^{arg} \(.*rectangular"):
        scalar_phase_map(kw.pop("ws"), kw.pop("bs"), **kw)
