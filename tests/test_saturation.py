"""Derivatives of the nonlinearities: log-derivatives, saturated bands, trajectory statistics, Pascanu."""

from __future__ import annotations

import math

import numpy as np
import pytest

import rnnviz
from rnnviz.saturation import (
    derivative_stats,
    log_abs_derivative,
    saturated_intervals,
)


@pytest.mark.parametrize("name", rnnviz.NONLINEARITIES)
def test_log_derivative_matches_log_of_derivative(name):
    a = np.linspace(-30, 30, 6001)
    nl = rnnviz.get_nonlinearity(name)
    with np.errstate(divide="ignore"):
        ref = np.log(np.abs(nl.df(a)))
    got = log_abs_derivative(a, name)
    fin = np.isfinite(ref)
    np.testing.assert_allclose(got[fin], ref[fin], rtol=1e-12, atol=1e-12)
    assert np.array_equal(np.isneginf(got), np.isneginf(ref))


def test_log_derivative_stays_finite_where_the_derivative_underflows():
    a = np.array([-1000.0, 400.0, 1e5])
    assert (rnnviz.get_nonlinearity("tanh").df(a) == 0).all()
    np.testing.assert_allclose(log_abs_derivative(a, "tanh"), math.log(4) - 2 * np.abs(a), rtol=1e-15)
    np.testing.assert_allclose(log_abs_derivative(a, "sigmoid"), -np.abs(a), rtol=1e-15)
    assert (log_abs_derivative(np.array([-1.0, 0.0]), "relu") == -np.inf).all()


def test_saturated_intervals_closed_forms():
    # tanh: sech^2 a < 0.1  <=>  |a| > arccosh(sqrt(10))
    t = math.acosh(math.sqrt(10))
    reg = saturated_intervals("tanh", lo=-6, hi=6)
    assert reg.gamma == 1.0
    assert len(reg.intervals) == 2
    assert reg.intervals[0][0] == -6 and reg.intervals[0][1] == pytest.approx(-t, abs=1e-12)
    assert reg.intervals[1][0] == pytest.approx(t, abs=1e-12) and reg.intervals[1][1] == 6
    # sigmoid: s(1-s) = 0.1 at |a| = 2 artanh(sqrt(0.6))
    s = 2 * math.atanh(math.sqrt(0.6))
    reg = saturated_intervals("sigmoid", lo=-6, hi=6)
    assert reg.intervals[0][1] == pytest.approx(-s, abs=1e-12)
    assert reg.intervals[1][0] == pytest.approx(s, abs=1e-12)
    # sigmoid with a threshold above gamma: saturated everywhere
    assert saturated_intervals("sigmoid", threshold=0.3).intervals == ((-6.0, 6.0),)
    # ReLU and leaky ReLU: everything left of 0 (the jump is located to ~1e-15)
    for name in ("relu", "leaky_relu"):
        reg = saturated_intervals(name, lo=-5, hi=5)
        assert len(reg.intervals) == 1
        assert reg.intervals[0][0] == -5 and reg.intervals[0][1] == pytest.approx(0.0, abs=1e-12)
    assert saturated_intervals("linear").intervals == ()


def test_saturated_intervals_bad_arguments():
    with pytest.raises(ValueError, match="lo < hi"):
        saturated_intervals("tanh", lo=1, hi=1)
    with pytest.raises(ValueError, match="threshold"):
        saturated_intervals("tanh", threshold=0)


def test_derivative_stats_counts():
    W = np.array([[0.5, 0.0], [0.0, 2.0]])
    a = np.array([[-1.0, 2.0], [3.0, -4.0], [-0.5, 0.0]])
    st = derivative_stats(a, W, "relu", bins=4)
    assert st.dead_fraction == pytest.approx(4 / 6)      # a <= 0 gives f' = 0 (0 included)
    assert st.saturated_fraction == pytest.approx(4 / 6)
    assert st.dead_units == 0
    assert st.hist_counts.sum() == 6 and st.hist_counts[0] == 4 and st.hist_counts[-1] == 2
    assert st.sigma_max == pytest.approx(2.0)
    np.testing.assert_allclose(st.log_step_bound, [math.log(2.0), math.log(2.0), -np.inf])  # row 3 all dead
    # a unit that is dead at every step
    st = derivative_stats(np.array([[-1.0, 1.0], [-2.0, 1.0]]), W, "relu")
    assert st.dead_units == 1


def test_derivative_stats_tanh_values_and_bound():
    rng = np.random.default_rng(0)
    W = rng.standard_normal((5, 5)) / math.sqrt(5)
    a = 3 * rng.standard_normal((50, 5))
    st = derivative_stats(a, W, "tanh")
    d = 1 - np.tanh(a) ** 2
    np.testing.assert_allclose(st.derivatives, d, rtol=1e-12, atol=1e-15)
    assert st.saturated_fraction == pytest.approx(np.mean(d < 0.1))
    assert st.dead_fraction == 0.0
    # the bound really bounds every step Jacobian's spectral norm
    norms = np.array([np.linalg.norm(np.diag(d[t]) @ W, 2) for t in range(50)])
    assert (np.log(norms) <= st.log_step_bound + 1e-12).all()


def test_derivative_stats_bad_shape():
    with pytest.raises(ValueError, match="axis 1"):
        derivative_stats(np.zeros((3, 4)), np.eye(3))


def test_pascanu_uses_singular_values_not_eigenvalues():
    W = np.array([[8.0, 8.0], [-8.0, -8.0]])  # nilpotent: rho = 0, ||W||_2 = 16
    chk = rnnviz.pascanu_verdict(W, "tanh")
    assert chk.sigma_max == pytest.approx(16.0)
    assert not chk.sufficient_for_vanishing
    chk = rnnviz.pascanu_verdict(3.9 * np.eye(3), "sigmoid")
    assert chk.threshold == 4.0 and chk.step_bound == pytest.approx(0.975)
    assert chk.sufficient_for_vanishing
    assert not rnnviz.pascanu_verdict(4.1 * np.eye(3), "sigmoid").sufficient_for_vanishing


def test_saturation_run_uses_the_documented_rnn():
    from rnnviz.saturation import saturation_run

    run = saturation_run(6, T=40, weight_scale=0.8, input_scale=1.5, bias=0.2, nonlinearity="tanh", seed=3)
    W = rnnviz.init_recurrent(6, "gaussian", scale=0.8, seed=3)
    np.testing.assert_array_equal(run.W, W)
    # a_t = W h_{t-1} + U x_t + b with h_t = tanh(a_t): check the recurrence on the returned arrays
    U = rnnviz.init_recurrent(6, "gaussian", scale=1.5, seed=4)
    xs = np.random.default_rng([3, 2]).standard_normal((40, 6))
    np.testing.assert_allclose(run.a, run.h[:-1] @ W.T + xs @ U.T + 0.2, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(run.h[1:], np.tanh(run.a), rtol=1e-15)
    np.testing.assert_allclose(run.stats.derivatives, 1 - np.tanh(run.a) ** 2, atol=1e-15)
    assert run.steps_used == 40 and run.state_nonfinite_step is None
    assert run.pascanu.sigma_max == pytest.approx(np.linalg.norm(W, 2))


def test_saturation_run_saturates_with_large_bias_and_kills_relus():
    from rnnviz.saturation import saturation_run

    sig = saturation_run(16, T=50, bias=-8.0, input_scale=0.1, nonlinearity="sigmoid")
    assert sig.stats.saturated_fraction == 1.0 and sig.stats.dead_fraction == 0.0
    relu = saturation_run(16, T=50, bias=-8.0, input_scale=0.1, nonlinearity="relu")
    assert relu.stats.dead_fraction == 1.0 and relu.stats.dead_units == 16


def test_saturation_run_overflow_is_content():
    from rnnviz.saturation import saturation_run

    run = saturation_run(64, T=1000, weight_scale=3.0, nonlinearity="linear")
    assert run.state_nonfinite_step is not None and run.state_nonfinite_step < 1000
    assert run.steps_used < 1000 and np.isfinite(run.stats.saturated_fraction)
    with pytest.raises(ValueError, match="n \\(the number of hidden units\\)"):
        saturation_run(0)


# --------------------------------------------------------------------------- hostile settings (issue 8)

def test_log_abs_derivative_names_a():
    for bad in ("x", None, [[1.0, 2.0], [3.0]], 1j):
        with pytest.raises(ValueError, match=r"^a \(pre-activations\)"):
            rnnviz.log_abs_derivative(bad)


def test_log_abs_derivative_huge_a_is_silent():
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        out = rnnviz.log_abs_derivative(np.array([1e308, -1e308, 1e300]), "tanh")
    assert out[0] == out[1] == -np.inf and out[2] == pytest.approx(-2e300)


def test_the_total_step_bound_and_the_verdict_summary():
    run = rnnviz.saturation_run(16, T=40, weight_scale=0.4, nonlinearity="tanh")
    s = run.stats
    assert s.log10_total_step_bound == pytest.approx(np.sum(s.log_step_bound) / np.log(10))
    assert run.pascanu.sufficient_for_vanishing and "**guaranteed**" in run.pascanu.summary
    assert f"{run.pascanu.sigma_max:.3f}" in run.pascanu.summary
