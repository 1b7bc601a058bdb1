"""rnnviz.products: log singular values of long Jacobian products, Lyapunov and Newman exponents."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import polygamma
from scipy.stats import ortho_group

import rnnviz
from rnnviz.products import (
    SVD_CUTOFF,
    chunked_log_singular_values,
    lyapunov_exponents,
    newman_exponents,
    product_log_singular_values,
    trajectory_log_singular_values,
)
from rnnviz.rnn import bptt, forward, step_jacobians


def explicit_log_sv(J):
    """Reference: the explicit product J_T ... J_{k+1} and np.linalg.svd of it, row by row."""
    T, n, _ = J.shape
    out = np.zeros((T + 1, n))
    P = np.eye(n)
    with np.errstate(divide="ignore"):
        for k in range(T, 0, -1):
            P = P @ J[k - 1]
            out[k - 1] = np.log(np.linalg.svd(P, compute_uv=False))
    return out


def assert_matches_svd(got, ref, *, rel=1e-9, tol=1e-6):
    """Every singular value at least ``rel`` of the largest agrees to ``tol`` in log."""
    assert got.shape == ref.shape
    mask = np.isfinite(ref) & (ref >= ref[:, :1] + np.log(rel))
    assert mask[:, 0].all()
    np.testing.assert_allclose(got[mask], ref[mask], rtol=0, atol=tol)


def gaussian_stack(T, n, sigma=1.0, seed=0):
    return np.random.default_rng(seed).standard_normal((T, n, n)) * (sigma / np.sqrt(n))


# ---------------------------------------------------------------- exactness against an explicit SVD

@pytest.mark.parametrize("n, T", [(1, 1), (1, 7), (2, 5), (3, 20), (8, 12), (16, 30)])
def test_short_products_match_explicit_svd_everywhere(n, T):
    J = gaussian_stack(T, n, seed=n * 100 + T)
    got = product_log_singular_values(J)
    assert got.shape == (T + 1, n)
    np.testing.assert_array_equal(got[T], 0.0)
    assert (np.diff(got, axis=1) <= 0).all(), "rows must be in descending order"
    assert_matches_svd(got, explicit_log_sv(J))


@pytest.mark.parametrize("n, T, sigma", [(8, 200, 1.0), (16, 300, 1.0), (6, 400, 3.0), (32, 120, 0.5)])
def test_moderate_products_match_explicit_svd_above_1e9(n, T, sigma):
    # Here the explicit product is still representable, but its spectrum spans far more than 1e16,
    # so only the values at least 1e-9 of the largest are comparable (the requirement).
    J = gaussian_stack(T, n, sigma=sigma, seed=T)
    got = product_log_singular_values(J)
    ref = explicit_log_sv(J)
    assert (ref[0, 0] - ref[0, -1]) > 40, "the test should cover a spectrum wider than float64 can resolve"
    assert_matches_svd(got, ref)
    assert np.isfinite(got).all()


def test_rnn_jacobians_match_explicit_svd():
    rng = np.random.default_rng(3)
    n, T = 12, 150
    W = rnnviz.init_recurrent(n, "gaussian", scale=1.5, seed=1)
    U = rng.normal(size=(n, 2))
    xs = rng.normal(size=(T, 2))
    tr = forward(W, xs, U=U)
    J = step_jacobians(W, tr.a, "tanh")
    got = product_log_singular_values(J)
    assert_matches_svd(got, explicit_log_sv(J))
    # same sweep, Jacobians built one at a time instead of stacked
    np.testing.assert_array_equal(trajectory_log_singular_values(W, tr.a, "tanh"), got)


def test_dead_relu_units_give_minus_inf_and_exact_rest():
    rng = np.random.default_rng(7)
    n, T = 5, 40
    W = rng.normal(size=(n, n))
    d = (rng.random((T, n)) < 0.97).astype(float)  # ReLU derivatives: 0 or 1
    d[10, :] = 1.0
    d[10, 2] = 0.0  # unit 2 dead at step 11: at least one exact zero from there back
    d[30, [0, 4]] = 0.0  # two units dead at step 31
    J = d[:, :, None] * W
    got = product_log_singular_values(J)
    ref = explicit_log_sv(J)
    assert_matches_svd(got, ref)
    zeros_forced = np.array([max(np.count_nonzero(d[t:] == 0, axis=1).max(initial=0), 0) for t in range(T)])
    for k in range(T):
        n_inf = np.count_nonzero(np.isneginf(got[k]))
        assert n_inf >= zeros_forced[k]
        assert np.isfinite(got[k, : n - n_inf]).all()
    assert np.isneginf(got[0, -2:]).all() and np.isfinite(got[31:]).all()
    # every -inf is a true zero: the explicit product has a singular value at round-off level there
    assert (ref[np.isneginf(got)] < ref[:, :1].repeat(n, axis=1)[np.isneginf(got)] - 25).all()


def test_identity_w_with_dead_units_counts_zeros_exactly():
    # Diagonal Jacobians: the product keeps only units alive at every step; its rank is exact.
    n, T = 4, 30
    d = np.ones((T, n))
    d[5, 0] = 0.0
    d[20, 1] = 0.0
    J = d[:, :, None] * np.eye(n)[None] * 1.1
    got = product_log_singular_values(J)
    for k in range(T):
        alive = np.all(d[k:] != 0, axis=0).sum()
        assert np.count_nonzero(np.isneginf(got[k])) == n - alive
        np.testing.assert_allclose(got[k, :alive], (T - k) * np.log(1.1), atol=1e-12)


def test_singular_w_stays_finite_where_not_structural():
    # A rank-1 W (no zero rows or columns): the zero singular value is not structural, so it is
    # reported as a very small finite number; the top one is exact; nothing is NaN or +inf.
    u, v = np.array([1.0, 2.0, -1.0]), np.array([0.5, -1.0, 2.0])
    W = np.outer(u, v) / 3 + np.diag([0.0, 0.0, 0.0])
    J = np.broadcast_to(W, (25, 3, 3)).copy()
    got = product_log_singular_values(J)
    ref = explicit_log_sv(J)
    assert_matches_svd(got, ref)
    assert not np.isnan(got).any() and not np.isposinf(got).any()
    # σ1 of W^k = |v·u/3|^(k-1) ||u|| ||v|| / 3 for a rank-one W
    lam = v @ u / 3
    k = np.arange(1, 26)
    np.testing.assert_allclose(got[25 - k, 0], (k - 1) * np.log(abs(lam)) + np.log(np.linalg.norm(u) * np.linalg.norm(v) / 3), atol=1e-10)
    assert (got[:24, 1:] < got[:24, :1] - 25).all()


def test_scalar_products_are_sums_of_logs():
    rng = np.random.default_rng(12)
    x = rng.standard_normal(3000) * 3
    x[1000] = 0.0
    got = product_log_singular_values(x[:, None, None])
    with np.errstate(divide="ignore"):
        expect = np.append(np.cumsum(np.log(np.abs(x[::-1])))[::-1], 0.0)
    assert np.isneginf(got[:1001, 0]).all()
    np.testing.assert_allclose(got[1001:, 0], expect[1001:], rtol=1e-13, atol=1e-9)
    # and the general sweep agrees with the scalar shortcut on a 1 x 1 block of a bigger problem
    J = np.zeros((50, 2, 2))
    J[:, 0, 0] = x[1100:1150]
    J[:, 1, 1] = 1e-3
    np.testing.assert_allclose(product_log_singular_values(J)[:, 0],
                               product_log_singular_values(J[:, :1, :1])[:, 0], rtol=1e-12, atol=1e-9)


def test_product_that_becomes_exactly_zero_midway():
    # Found by fuzzing: entries from 5e-324 to 1e300 in one stack, and a product that turns exactly
    # zero two steps in (the surviving direction is killed by an exact 0). Every longer product is
    # zero too: all -inf, never NaN and never an exception.
    J = np.array([[[-1e100, 2.0], [1.0, 1e-300]], [[-1e100, 1e-300], [1e100, -1e300]],
                  [[1e300, 0.5], [1e300, 1e300]], [[-1e300, -1.0], [1.0, 1e-100]],
                  [[-5e-324, 1e-300], [1e300, -1.0]], [[1e300, 5e-324], [1e300, 5e-324]]])
    got = product_log_singular_values(J)
    assert not np.isnan(got).any() and not np.isposinf(got).any()
    assert not np.isnan(lyapunov_exponents(J)).any()


@settings(max_examples=200, deadline=None)
@given(
    T=st.integers(1, 12),
    n=st.integers(1, 4),
    seed=st.integers(0, 2**31 - 1),
)
def test_property_extreme_entries_never_nan(T, n, seed):
    vals = np.array([0.0, 5e-324, -5e-324, 1e-300, 1e-100, 1.0, -1.0, 1e100, -1e100, 1e300, -1e300, 2.0, 0.5])
    J = np.random.default_rng(seed).choice(vals, (T, n, n))
    got = product_log_singular_values(J)
    assert got.shape == (T + 1, n) and not np.isnan(got).any() and not np.isposinf(got).any()
    assert (got[T] == 0).all()
    with np.errstate(invalid="ignore"):
        steps = np.diff(got, axis=1)
    assert ((steps <= 1e-9 * np.maximum(1.0, np.abs(got[:, :-1]))) | np.isnan(steps)).all()


def test_zero_matrix_gives_all_minus_inf():
    J = np.zeros((3, 2, 2))
    got = product_log_singular_values(J)
    assert np.isneginf(got[:3]).all()
    np.testing.assert_array_equal(got[3], 0.0)


# ---------------------------------------------------------------- far beyond float64

def telescoping_stack(T, n, rates, noise, seed):
    """J_t = O_t D_t O_{t-1}^T: the product J_T...J_{k+1} = O_T (D_T...D_{k+1}) O_k^T, so its
    singular values are known exactly (|products of the diagonals|), yet every J_t mixes directions."""
    rng = np.random.default_rng(seed)
    O = ortho_group.rvs(n, size=T + 1, random_state=rng)
    logd = rates[None, :] + noise * rng.standard_normal((T, n))
    D = np.exp(logd) * rng.choice([-1.0, 1.0], size=(T, n))
    J = np.einsum("tij,tj,tkj->tik", O[1:], D, O[:-1])
    cum = np.vstack([np.cumsum(logd[::-1], axis=0)[::-1], np.zeros((1, n))])  # row k: sum_{t>k} log d_t
    return J, -np.sort(-cum, axis=1)


@pytest.mark.parametrize("seed", [11, 12])
def test_closed_form_over_thousands_of_steps(seed):
    # Exact answers far outside float64 (from e^+2700 down to e^-4500): the top values come from the
    # SVD, the rest from the graded LQ; for well-separated growth rates both are exact to round-off,
    # for every singular value and every horizon, with no offset that grows with T.
    n, T = 4, 3000
    rates = np.array([0.9, 0.3, -0.2, -1.5])
    J, exact = telescoping_stack(T, n, rates, noise=0.3, seed=seed)
    got = product_log_singular_values(J)
    assert np.isfinite(got).all()
    assert exact[0, 0] > 2000 and exact[0, -1] < -4000
    np.testing.assert_allclose(got, exact, rtol=0, atol=1e-6)


def test_clustered_small_values_keep_their_product():
    # Two equal rates far below the top: individually ill-determined (any split is a singular-value
    # perturbation of a near-degenerate pair), but their product (the volume) must be exact.
    n, T = 3, 2000
    J, exact = telescoping_stack(T, n, np.array([0.5, -0.7, -0.7]), noise=0.2, seed=4)
    got = product_log_singular_values(J)
    np.testing.assert_allclose(got[:, 0], exact[:, 0], atol=1e-6)
    np.testing.assert_allclose(got[:, 1] + got[:, 2], exact[:, 1] + exact[:, 2], atol=1e-6)


def test_monomial_products_closed_form():
    # J_t = diag(d_t) Pi_t with permutations Pi_t: the product is a permutation times a diagonal,
    # its singular values are the |diagonal| entries, tracked exactly here.
    rng = np.random.default_rng(15)
    n, T = 5, 400
    d = np.exp(-np.minimum(rng.exponential(4.0, (T, n)), 13.0)) * rng.choice([-1.0, 1.0], (T, n))
    perms = np.array([rng.permutation(n) for _ in range(T)])
    J = np.zeros((T, n, n))
    for t in range(T):
        J[t, np.arange(n), perms[t]] = d[t]
    got = product_log_singular_values(J)
    logs, cols = np.zeros(n), np.arange(n)  # P_T = I: row i has its entry in column i
    for k in range(T, 0, -1):
        # P_{k-1} = P_k J_k: row i of P_k picks up row cols[i] of J_k
        logs = logs + np.log(np.abs(d[k - 1, cols]))
        cols = perms[k - 1][cols]
        exact = np.sort(logs)[::-1]
        top = exact >= exact[0] + np.log(1e-9)
        np.testing.assert_allclose(got[k - 1][top], exact[top], rtol=0, atol=1e-6)


def _identity_rnn(n, T, seed):
    rng = np.random.default_rng(seed)
    W = rnnviz.init_recurrent(n, scheme="identity", scale=1.0)
    traj = forward(W, rng.standard_normal((T, n)), U=3.0 * np.eye(n), b=np.linspace(-3.0, 3.0, n))
    d = rnnviz.get_nonlinearity("tanh").df(traj.a)            # J_t = diag(d_t): the product is diagonal
    cum = np.vstack([np.cumsum(np.log(d[::-1]), axis=0)[::-1], np.zeros((1, n))])
    return W, traj, np.sort(cum, axis=1)[:, ::-1]


@pytest.mark.parametrize(("n", "T"), [(8, 3000), (64, 1000)])
def test_identity_rnn_products_are_exact(n, T):
    # Units saturate at different steps, so the diagonal's order keeps changing: the case where a
    # QR sweep's round-off (fill-in where the exact product has zeros) was amplified by hundreds of nats.
    W, traj, exact = _identity_rnn(n, T, seed=15)
    J = step_jacobians(W, traj.a, "tanh")
    np.testing.assert_array_equal(product_log_singular_values(J), exact)
    np.testing.assert_array_equal(rnnviz.trajectory_log_singular_values(W, traj.a, "tanh"), exact)
    np.testing.assert_allclose(rnnviz.lyapunov_exponents(J), exact[0] / T, rtol=0, atol=1e-12)


def test_monomial_products_with_dead_rows():
    # A zero row in a monomial step (a dead unit) zeroes exactly one direction from then on.
    J = np.tile(np.diag([2.0, 0.5, 1.0]), (4, 1, 1))
    J[1, 2, 2] = 0.0                                          # J_2 kills unit 3
    got = product_log_singular_values(J)
    np.testing.assert_array_equal(got[0], [np.log(16.0), np.log(1 / 16), -np.inf])
    np.testing.assert_array_equal(got[2], [np.log(4.0), 0.0, np.log(0.25)])


def test_saturated_path_agrees_with_plain_path_in_the_exact_band(monkeypatch):
    import rnnviz.products as products

    rng = np.random.default_rng(14)
    n, T = 6, 150
    W = rng.standard_normal((n, n)) * 2 / np.sqrt(n)
    d = np.exp(-rng.exponential(6.0, (T, n)))  # derivatives from 1 down to ~1e-40
    J = d[:, :, None] * W
    split = product_log_singular_values(J)
    monkeypatch.setattr(products, "_ROW_SPREAD", 0.0)  # never take steps apart
    plain = product_log_singular_values(J)
    ref = explicit_log_sv(J)
    assert_matches_svd(split, ref)
    assert_matches_svd(plain, ref)
    top = split >= split[:, :1] + np.log(1e-9)
    np.testing.assert_allclose(split[top], plain[top], rtol=0, atol=1e-9)


def test_rows_that_recover_after_underflow():
    # Directions that shrink to 2^-3000 of the others and then come back: a scaling that let small
    # rows underflow would lose them. Powers of two keep the Jacobians and their product exact:
    # J_1..J_150 = diag(2^10, 2^-10), J_151..J_300 = diag(2^-10, 2^10); the whole product is I.
    # (With rotated copies the rounding of each J_t, amplified by 2^3000, would make the true
    # product of the stored matrices far from I, so the test would not be about the algorithm.)
    T = 300
    J = np.empty((T, 2, 2))
    J[:150] = np.diag([2.0**10, 2.0**-10])
    J[150:] = np.diag([2.0**-10, 2.0**10])
    got = product_log_singular_values(J)
    ln2 = np.log(2.0)
    for k in range(T + 1):
        spread = 10 * ln2 * ((T - k) if k >= 150 else (T - 150) - (150 - k))
        np.testing.assert_allclose(got[k], [abs(spread), -abs(spread)], rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(got[0], [0.0, 0.0], atol=1e-9)


@pytest.mark.parametrize("scale", [1e-300, 1e-30, 1e30, 1e300, 5e-324 * 2**40])
def test_scale_equivariance_for_tiny_and_huge_jacobians(scale):
    # log sigma(c^(T-k) P) = (T-k) log c + log sigma(P): exact for products of any scale, even when a
    # single Jacobian's entries are near the ends of float64.
    J = gaussian_stack(400, 3, seed=8)
    got = product_log_singular_values(J * scale)
    expect = product_log_singular_values(J) + np.log(scale) * np.arange(400, -1, -1)[:, None]
    assert np.isfinite(got).all()
    np.testing.assert_allclose(got, expect, rtol=1e-13, atol=1e-9)


def test_single_huge_entry():
    np.testing.assert_allclose(product_log_singular_values(np.array([[[1e200]]])), [[np.log(1e200)], [0.0]], rtol=1e-15)
    np.testing.assert_allclose(product_log_singular_values(np.array([[[-5e-324]]])), [[np.log(5e-324)], [0.0]], rtol=1e-15)


def test_orthogonal_products_keep_every_singular_value_at_one():
    # Saxe et al. 2014 / dynamical isometry: a product of orthogonal matrices is orthogonal, at any
    # length; scaled by c, every log singular value is exactly (T - k) log c.
    n, T = 8, 10_000
    O = ortho_group.rvs(n, size=50, random_state=3)
    J = 0.999 * O[np.arange(T) % 50]
    got = product_log_singular_values(J)
    expect = np.log(0.999) * np.arange(T, -1, -1)[:, None] * np.ones((1, n))
    np.testing.assert_allclose(got, expect, rtol=0, atol=1e-9)


def test_switch_from_explicit_to_graded_is_seamless():
    # The first 100 products are orthogonal (explicit phase), then Gaussian steps spread the
    # spectrum (graded phase): both phases agree with the explicit SVD where it is comparable.
    rng = np.random.default_rng(6)
    n = 8
    J = np.concatenate([rng.standard_normal((150, n, n)) / np.sqrt(n),
                        np.broadcast_to(ortho_group.rvs(n, random_state=7), (100, n, n))])
    got = product_log_singular_values(J)
    ref = explicit_log_sv(J)
    np.testing.assert_allclose(got[150:], ref[150:], rtol=0, atol=1e-10)
    assert_matches_svd(got, ref)


def test_finite_at_ten_thousand_steps_and_rates_converge():
    n, T = 6, 10_000
    J = gaussian_stack(T, n, sigma=2.0, seed=5)
    got = product_log_singular_values(J)
    assert np.isfinite(got).all()
    assert (np.diff(got, axis=1) <= 0).all()
    # growth over the whole horizon: from e^(+6000) down to e^(-9000) in exact log space
    assert got[0, 0] > 2000 and got[0, -1] < -5000
    np.testing.assert_allclose(lyapunov_exponents(J), got[0] / T, rtol=0, atol=1e-12)


def newman_tolerance(n, T, n_sigma=5.0):
    """Statistical tolerance for a T-step estimate of Newman's exponents.

    For Gaussian matrices the QR increments log |r_kk| are independent across steps, with
    r_kk^2 ~ (σ²/n) χ²_{n-k+1}, so the k-th growth rate is a mean of T i.i.d. terms of variance
    ψ'((n-k+1)/2)/4. Add 5/T for the O(1) difference between a singular value and |diag R|.
    """
    k = np.arange(1, n + 1)
    sd = 0.5 * np.sqrt(polygamma(1, (n - k + 1) / 2.0) / T)
    return n_sigma * sd + 5.0 / T


@pytest.mark.parametrize("n, sigma, seed", [(1, 1.0, 0), (4, 1.0, 1), (16, 1.0, 2), (4, 2.5, 3)])
def test_newman_exponents_of_a_10000_step_gaussian_product(n, sigma, seed):
    T = 10_000
    J = gaussian_stack(T, n, sigma=sigma, seed=seed)
    est = lyapunov_exponents(J)
    mu = newman_exponents(n, sigma)
    tol = newman_tolerance(n, T)
    assert (np.abs(est - mu) < tol).all(), (est - mu, tol)
    # the estimator is not trivially within tolerance of anything: a 10 % error in σ is detected
    assert (np.abs(est - newman_exponents(n, 1.1 * sigma)) > tol).any()


@pytest.mark.parametrize("L, tol", [(1, (0.01, 0.02, 0.03)), (2, (0.01, 0.03, 0.05)), (3, (0.015, 0.04, 0.07))])
def test_fuss_catalan_moments_of_short_gaussian_products(L, tol):
    # REFERENCES.md: for a product of L matrices with N(0, 1/n) entries the squared singular values
    # have, as n grows, the Fuss–Catalan moments C((L+1)k, k) / (Lk + 1): mean 1, variance L; the
    # third moments are 5, 12, 22 for L = 1, 2, 3. The tolerances hold the O(1/n) corrections at
    # n = 400 (averaged over 4 draws; measured: at most 0.4 %, 1.8 %, 3.5 %).
    from math import comb

    moments = []
    for seed in range(4):
        s2 = np.exp(2 * product_log_singular_values(gaussian_stack(L, 400, seed=100 * L + seed))[0])
        moments.append([np.mean(s2 ** k) for k in (1, 2, 3)])
    got = np.mean(moments, axis=0)
    fuss_catalan = np.array([comb((L + 1) * k, k) / (L * k + 1) for k in (1, 2, 3)])
    assert fuss_catalan[1] - fuss_catalan[0] ** 2 == L    # the variance of σ²
    np.testing.assert_array_less(np.abs(got / fuss_catalan - 1), tol)


@pytest.mark.parametrize("n, T, scale", [(8, 3000, 1.5), (64, 700, 1.0), (1, 50, 2.0), (5, 1, 1.0)])
def test_chunked_product_equals_the_stacked_one(n, T, scale, monkeypatch):
    # stretches of 256 steps at n = 8 (the budget shrunk to force many), built on demand and twice
    import rnnviz.products as products

    monkeypatch.setattr(products, "_STRETCH_BYTES", 8 * n * n * 256)
    W = rnnviz.init_recurrent(n, "gaussian", scale=scale, seed=n)
    traj = forward(W, np.random.default_rng(n).standard_normal((T, 2)), U=np.ones((n, 2)))
    J = step_jacobians(W, traj.a, "tanh")
    calls = []

    def jacobians_of(start, stop):
        calls.append((start, stop))
        return J[start:stop]

    got = chunked_log_singular_values(T, n, jacobians_of)
    np.testing.assert_array_equal(got, product_log_singular_values(J))
    stretches = -(-T // 256)
    assert len(calls) == 2 * stretches and max(b - a for a, b in calls) <= 256


def test_chunked_product_of_monomial_stretches_and_bad_stretches():
    J = np.stack([np.diag([2.0, 0.5, 1.0])[[1, 2, 0]]] * 40)           # a scaled permutation
    np.testing.assert_array_equal(chunked_log_singular_values(40, 3, lambda a, b: J[a:b]),
                                  product_log_singular_values(J))
    with pytest.raises(ValueError, match="shape"):
        chunked_log_singular_values(40, 3, lambda a, b: J[a:b, :2])
    for T, n, fn, match in [(0, 3, lambda a, b: J[a:b], "T"), (40, 0, lambda a, b: J[a:b], "n"),
                            (40, 3, J, "function"), (40, 3, lambda a, b: "junk", "jacobians_of"),
                            (40, 3, lambda a, b: J[a:b] + 1j, "real")]:
        with pytest.raises(ValueError, match=match):
            chunked_log_singular_values(T, n, fn)
    bad = J.copy()
    bad[33, 0, 0] = np.nan
    with pytest.raises(ValueError, match=r"jacobians\[33\]"):               # named in the whole product
        chunked_log_singular_values(40, 3, lambda a, b: bad[a:b])


def test_newman_reference_values():
    np.testing.assert_allclose(newman_exponents(1), [-(np.euler_gamma + np.log(2)) / 2], atol=1e-12)
    np.testing.assert_allclose(newman_exponents(1), [-0.63518], atol=5e-6)
    np.testing.assert_allclose(newman_exponents(4), [-0.1352, -0.3283, -0.6352, -1.3283], atol=5e-5)
    np.testing.assert_allclose(newman_exponents(4, 2.0), newman_exponents(4) + np.log(2.0), atol=1e-14)
    mu = newman_exponents(64)
    assert (np.diff(mu) < 0).all() and mu[0] < 0
    with pytest.raises(ValueError, match="sigma"):
        newman_exponents(4, 0.0)
    with pytest.raises(ValueError, match="at least 1"):
        newman_exponents(0)


def _mp_log_sv(J, rows, digits):
    """Log singular values of J_T ... J_{k+1} for k in rows, in ``digits``-digit arithmetic (mpmath)."""
    mpmath = pytest.importorskip("mpmath", reason="mpmath (arbitrary precision) is needed for this reference")
    mpmath.mp.dps = digits
    out, P = {}, mpmath.eye(J.shape[1])
    for k in range(J.shape[0] - 1, -1, -1):
        P = P * mpmath.matrix(J[k].tolist())
        if k in rows:
            sv = mpmath.svd_r(P, compute_uv=False)
            out[k] = np.array(sorted((float(mpmath.log(v)) for v in sv), reverse=True))
    return out


def test_against_arbitrary_precision_every_singular_value():
    # A 600-digit reference resolves the whole spectrum (spread ~e^280): for a Gaussian product the
    # SVD part and the graded-LQ part are both exact to ~1e-12, far below the 1e-6 required.
    J = gaussian_stack(200, 5, seed=21)
    got = product_log_singular_values(J)
    ref = _mp_log_sv(J, {0, 100, 190}, 600)
    for k, r in ref.items():
        assert r[0] - r[-1] > 40 or k == 190
        np.testing.assert_allclose(got[k], r, rtol=0, atol=1e-9)


def test_against_arbitrary_precision_with_saturated_units():
    # Saturated units (derivatives down to 1e-30, some exactly 0): spectra far wider than float64,
    # and single Jacobians whose rows differ by far more than 1e16. Against a 300-digit reference
    # the 1e-9 band is exact to 1e-9, and every value down to 1e-100 of the largest (graded
    # estimates, beyond what the issue requires) to 1e-4.
    rng = np.random.default_rng(1)
    for _ in range(126):  # draw 126 of a fuzzing run
        T = int(rng.integers(1, 120))
        n = int(rng.integers(2, 10))
        W = rng.standard_normal((n, n)) * rng.uniform(0.2, 3) / np.sqrt(n)
        d = np.exp(-rng.exponential(rng.uniform(0.1, 30), (T, n)))
        if rng.random() < 0.3:
            d[rng.random((T, n)) < 0.1] = 0.0
    J = d[:, :, None] * W
    got = product_log_singular_values(J)
    ref = _mp_log_sv(J, set(range(0, T, 9)), 300)
    for k, r in ref.items():
        top = r >= r[0] + np.log(1e-9)
        np.testing.assert_allclose(got[k][top], r[top], rtol=0, atol=1e-9)
        deep = r >= r[0] + np.log(1e-100)
        np.testing.assert_allclose(got[k][deep], r[deep], rtol=0, atol=1e-4)


# ---------------------------------------------------------------- consistency with BPTT

def test_largest_singular_value_bounds_the_bptt_gradient():
    rng = np.random.default_rng(9)
    n, T = 10, 60
    W = rnnviz.init_recurrent(n, "orthogonal", scale=1.2, seed=4)
    xs = rng.normal(size=(T, 3))
    U = rng.normal(size=(n, 3))
    tr = forward(W, xs, U=U)
    dL = np.zeros((T + 1, n))
    dL[T] = rng.normal(size=n)
    g = bptt(W, xs, tr, dL, U=U)
    logsv = product_log_singular_values(step_jacobians(W, tr.a, "tanh"))
    ratio = np.log(np.linalg.norm(g.h, axis=1) / np.linalg.norm(dL[T]))
    assert (ratio <= logsv[:, 0] + 1e-10).all()
    assert (ratio >= logsv[:, -1] - 1e-10).all()


@settings(max_examples=30, deadline=None)
@given(
    n=st.integers(1, 5),
    T=st.integers(1, 25),
    scale=st.floats(0.1, 5.0),
    seed=st.integers(0, 2**31 - 1),
)
def test_property_matches_explicit_svd(n, T, scale, seed):
    J = gaussian_stack(T, n, sigma=scale, seed=seed)
    assert_matches_svd(product_log_singular_values(J), explicit_log_sv(J))


# ---------------------------------------------------------------- arguments

@pytest.mark.parametrize(
    "J, match",
    [
        (np.zeros((0, 2, 2)), "T = 0"),
        (np.zeros((3, 2, 3)), "square"),
        (np.zeros((2, 2)), "shape"),
        (np.array([[[1.0, np.nan], [0.0, 1.0]]]), r"jacobians\[0\]"),
        ("abc", "real numbers"),
    ],
)
def test_bad_jacobians(J, match):
    with pytest.raises(ValueError, match=match):
        product_log_singular_values(J)
    with pytest.raises(ValueError, match=match):
        lyapunov_exponents(J)


def test_cutoff_is_documented_and_sensible():
    assert 1e-15 < SVD_CUTOFF < 1e-9


def test_ragged_jacobians_are_named():
    """A ragged list of Jacobians gets a ValueError naming them (issue 8)."""
    with pytest.raises(ValueError, match=r"(?i)jacobians\b.*rectangular"):
        rnnviz.product_log_singular_values([[[1.0, 0.0], [0.0]]])
