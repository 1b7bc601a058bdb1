"""rnnviz.linalg: spectral norm vs spectral radius, and why eigenvalues are not enough."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rnnviz
from rnnviz.linalg import eigenvalues, singular_values, spectral_norm, spectral_radius


def test_nilpotent_counterexample():
    # REFERENCES.md: W = [[8, 8], [-8, -8]] is nilpotent (W^2 = 0): rho(W) = 0, yet ||W||_2 = 16.
    W = np.array([[8.0, 8.0], [-8.0, -8.0]])
    np.testing.assert_array_equal(W @ W, 0.0)
    assert spectral_radius(W) < 1e-6  # eigenvalues of a defective matrix: sqrt(eps)-accurate
    assert spectral_norm(W) == pytest.approx(16.0, rel=1e-14)
    np.testing.assert_allclose(singular_values(W), [16.0, 0.0], atol=1e-12)


def test_fixed_point_jacobian_grows_although_w_is_nilpotent():
    # J = [[8, 6], [-8, -6]] satisfies J^2 = 2J, so ||J^l||_2 = 2^(l-1) sqrt(200).
    J = np.array([[8.0, 6.0], [-8.0, -6.0]])
    np.testing.assert_array_equal(J @ J, 2 * J)
    assert spectral_norm(J) == pytest.approx(np.sqrt(200.0), rel=1e-14)
    assert spectral_radius(J) == pytest.approx(2.0, rel=1e-12)
    # and the product machinery agrees: log sigma_1 of J^l = (l-1) log 2 + log sqrt(200)
    logsv = rnnviz.product_log_singular_values(np.broadcast_to(J, (30, 2, 2)))
    l = np.arange(30, 0, -1)
    np.testing.assert_allclose(logsv[:30, 0], (l - 1) * np.log(2.0) + 0.5 * np.log(200.0), rtol=1e-12)


def test_closed_forms():
    D = np.diag([3.0, -5.0, 0.5])
    assert spectral_norm(D) == 5.0
    assert spectral_radius(D) == 5.0
    R = np.array([[np.cos(0.3), -np.sin(0.3)], [np.sin(0.3), np.cos(0.3)]])
    assert spectral_norm(2 * R) == pytest.approx(2.0, rel=1e-15)
    ev = eigenvalues(2 * R)
    np.testing.assert_allclose(np.abs(ev), [2.0, 2.0], rtol=1e-15)
    np.testing.assert_allclose(sorted(np.angle(ev)), [-0.3, 0.3], atol=1e-14)


def test_eigenvalues_sorted_by_modulus():
    A = np.diag([0.1, -3.0, 2.0])
    np.testing.assert_allclose(eigenvalues(A), [-3.0, 2.0, 0.1])


def test_singular_values_of_a_stack():
    rng = np.random.default_rng(0)
    A = rng.normal(size=(5, 4, 3))
    np.testing.assert_allclose(singular_values(A), np.linalg.svd(A, compute_uv=False), rtol=1e-14)


@settings(max_examples=50, deadline=None)
@given(n=st.integers(1, 6), seed=st.integers(0, 2**31 - 1))
def test_radius_never_exceeds_norm(n, seed):
    A = np.random.default_rng(seed).normal(size=(n, n))
    assert spectral_radius(A) <= spectral_norm(A) * (1 + 1e-12)


def test_large_random_matrix_edges():
    # N(0, 1/n) entries: rho -> 1 (circular law), ||W|| -> 2 (Marchenko-Pastur edge). At n = 200
    # the finite-size spread over 20 seeds is rho in [0.995, 1.07], ||W|| in [1.93, 2.02].
    W = rnnviz.init_recurrent(200, "gaussian", scale=1.0, seed=0)
    assert abs(spectral_radius(W) - 1.0) < 0.12
    assert abs(spectral_norm(W) - 2.0) < 0.12
    # and neither is the other: for this W the norm is about twice the radius
    assert spectral_norm(W) > 1.7 * spectral_radius(W)


@pytest.mark.parametrize("bad", [np.ones((2, 3)), np.ones(3), [[np.nan, 0.0], [0.0, 1.0]], "W"])
def test_bad_matrices(bad):
    with pytest.raises(ValueError):
        spectral_norm(bad)
    with pytest.raises(ValueError):
        spectral_radius(bad)


@pytest.mark.parametrize("fn", [singular_values, spectral_norm, spectral_radius, eigenvalues])
def test_ragged_list_is_named(fn):
    """A ragged list (rows of different lengths) gets a message naming the argument (issue 8)."""
    with pytest.raises(ValueError, match=r"rectangular array of real numbers"):
        fn([[1.0, 2.0], [3.0]])


# ---------------------------------------------------------------- spectral_norms (a stack at once)

@pytest.mark.parametrize("shape", [(7, 5, 5), (3, 4, 6), (3, 6, 4), (2, 3, 64, 64), (1, 1, 1)])
def test_spectral_norms_agree_with_the_svd(shape):
    A = np.random.default_rng(sum(shape)).standard_normal(shape)
    got = rnnviz.spectral_norms(A)
    assert got.shape == shape[:-2]
    np.testing.assert_allclose(got, np.linalg.svd(A, compute_uv=False)[..., 0], rtol=1e-13, atol=0)


def test_spectral_norms_of_step_jacobians_with_saturated_units():
    # diag(f'(a_t)) W with derivatives from 1 down to 1e-30: the largest singular value is still exact
    rng = np.random.default_rng(3)
    W = rng.standard_normal((32, 32)) / np.sqrt(32)
    d = np.exp(-rng.exponential(20.0, (50, 32)))
    J = d[:, :, None] * W
    np.testing.assert_allclose(rnnviz.spectral_norms(J), np.linalg.svd(J, compute_uv=False)[:, 0], rtol=1e-13)


@pytest.mark.parametrize("scale", [1e-300, 1e-150, 1e150, 1e300])
def test_spectral_norms_neither_overflow_nor_underflow(scale):
    # the Gram matrix of these would leave float64 (1e±600); scaled by the largest entry it does not
    A = np.array([[3.0, 0.0], [0.0, 4.0]]) * scale
    assert rnnviz.spectral_norms(A[None])[0] == pytest.approx(4.0 * scale, rel=1e-15)


def test_spectral_norms_of_zero_and_empty_matrices():
    np.testing.assert_array_equal(rnnviz.spectral_norms(np.zeros((3, 4, 4))), 0.0)
    with pytest.raises(ValueError, match="empty"):
        rnnviz.spectral_norms(np.zeros((2, 0, 3)))
    with pytest.raises(ValueError, match="2-D"):
        rnnviz.spectral_norms(np.ones(3))
