"""rnnviz.rnn: initialisation, forward pass, step Jacobians and BPTT against finite differences."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rnnviz
from rnnviz.rnn import Gradients, Trajectory, bptt, forward, init_recurrent, step_jacobians

NONLINS = ("tanh", "sigmoid", "relu", "leaky_relu", "linear")


# ---------------------------------------------------------------- init_recurrent

def test_init_gaussian_statistics():
    n = 400
    W = init_recurrent(n, "gaussian", scale=1.5, seed=3)
    assert W.shape == (n, n)
    # 160,000 entries of N(0, 1.5^2/n): the sample variance has relative s.d. sqrt(2/160000) ≈ 0.35 %;
    # 2 % is > 5 standard errors.
    var = W.var() * n
    assert abs(var - 1.5**2) < 0.02 * 1.5**2
    assert abs(W.mean()) < 5 * 1.5 / n  # s.e. of the mean is (1.5/sqrt(n))/sqrt(n^2) = 1.5/n^1.5
    # circular law: the spectral radius approaches the scale (n = 200: within ~7 % over 20 seeds)
    assert abs(rnnviz.spectral_radius(init_recurrent(200, "gaussian", scale=1.5, seed=3)) - 1.5) < 0.15


def test_init_orthogonal_is_orthogonal_and_scaled():
    for n in (1, 2, 7, 50):
        Q = init_recurrent(n, "orthogonal", scale=0.9, seed=1)
        np.testing.assert_allclose(Q @ Q.T, 0.81 * np.eye(n), atol=1e-12)
        np.testing.assert_allclose(np.linalg.svd(Q, compute_uv=False), 0.9, atol=1e-12)


def test_init_orthogonal_is_haar_not_biased():
    # With the sign fix the Haar measure makes each diagonal entry of Q symmetric around 0
    # (without it, QR of a Gaussian gives a biased diagonal). Average of Q[0,0] over 2000 draws of
    # n=3 has s.d. sqrt(1/3/2000) ≈ 0.013; for the unfixed QR the mean is about -0.5.
    vals = np.array([init_recurrent(3, "orthogonal", seed=s)[0, 0] for s in range(2000)])
    assert abs(vals.mean()) < 0.06
    # Haar: E[Q_ij^2] = 1/n
    assert abs((vals**2).mean() - 1 / 3) < 0.03


def test_init_identity_and_determinism():
    np.testing.assert_array_equal(init_recurrent(4, "identity", scale=2.0), 2.0 * np.eye(4))
    for scheme in ("gaussian", "orthogonal"):
        np.testing.assert_array_equal(init_recurrent(8, scheme, seed=5), init_recurrent(8, scheme, seed=5))
        assert not np.array_equal(init_recurrent(8, scheme, seed=5), init_recurrent(8, scheme, seed=6))


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(n=0), "at least 1"),
        (dict(n=2.5), "whole number"),
        (dict(n=4, scheme="xavier"), "gaussian"),
        (dict(n=4, scale=-1.0), "at least 0"),
        (dict(n=4, scale=float("nan")), "finite"),
        (dict(n=1, scale=1e308), "at most"),
        (dict(n=4, seed=-1), "seed"),
    ],
)
def test_init_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        init_recurrent(**kwargs)


# ---------------------------------------------------------------- forward

def _naive_forward(W, xs, U, b, h0, f):
    h = [h0]
    a = []
    for x in xs:
        a.append(W @ h[-1] + U @ x + b)
        h.append(f(a[-1]))
    return np.array(h), np.array(a)


@pytest.mark.parametrize("name", NONLINS)
def test_forward_matches_the_recurrence(name):
    rng = np.random.default_rng(0)
    n, m, T = 5, 3, 7
    W, U, b, h0 = rng.normal(size=(n, n)), rng.normal(size=(n, m)), rng.normal(size=n), rng.normal(size=n)
    xs = rng.normal(size=(T, m))
    tr = forward(W, xs, U=U, b=b, h0=h0, nonlinearity=name)
    assert isinstance(tr, Trajectory)
    assert tr.h.shape == (T + 1, n) and tr.a.shape == (T, n)
    assert tr.T == T and tr.n == n and not tr.batched
    h, a = _naive_forward(W, xs, U, b, h0, rnnviz.get_nonlinearity(name).f)
    np.testing.assert_allclose(tr.h, h, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(tr.a, a, rtol=1e-12, atol=1e-12)


def test_forward_defaults_no_input_zero_bias_zero_state():
    W = np.array([[0.5, 0.0], [0.0, 2.0]])
    tr = forward(W, np.zeros((3, 1)), nonlinearity="linear", h0=[1.0, 1.0])
    np.testing.assert_allclose(tr.h[:, 0], [1, 0.5, 0.25, 0.125])
    np.testing.assert_allclose(tr.h[:, 1], [1, 2, 4, 8])
    tr0 = forward(W, np.ones((3, 2)))  # no U: the inputs are ignored, h stays at the zero fixed point
    np.testing.assert_array_equal(tr0.h, 0.0)


def test_forward_batch_equals_each_sequence():
    rng = np.random.default_rng(1)
    n, m, T, B = 4, 2, 6, 3
    W, U, b = rng.normal(size=(n, n)), rng.normal(size=(n, m)), rng.normal(size=n)
    xs = rng.normal(size=(T, B, m))
    h0 = rng.normal(size=(B, n))
    tr = forward(W, xs, U=U, b=b, h0=h0)
    assert tr.h.shape == (T + 1, B, n) and tr.a.shape == (T, B, n) and tr.batched
    for i in range(B):
        one = forward(W, xs[:, i], U=U, b=b, h0=h0[i])
        np.testing.assert_allclose(tr.h[:, i], one.h, rtol=1e-13, atol=1e-14)
        np.testing.assert_allclose(tr.a[:, i], one.a, rtol=1e-13, atol=1e-14)
    # a shared (n,) initial state is broadcast over the batch
    tr_shared = forward(W, xs, U=U, b=b, h0=h0[0])
    np.testing.assert_allclose(tr_shared.h[0], np.broadcast_to(h0[0], (B, n)))


@pytest.mark.parametrize("name", ["relu", "linear"])
def test_forward_overflow_is_content_not_an_error(name):
    W = 1e3 * np.eye(3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tr = forward(W, np.zeros((200, 1)), h0=np.ones(3), nonlinearity=name)
        g = bptt(W, np.zeros((200, 1)), tr, np.ones((201, 3)), nonlinearity=name)
    assert not np.isfinite(tr.h[-1]).any()  # inf, then NaN once inf meets the zeros of W
    assert rnnviz.first_nonfinite(tr.h) == 103  # 1000^k overflows float64 (~1.8e308) at k = 103
    assert not np.isfinite(g.W).all()


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: forward(np.ones((2, 3)), np.zeros((3, 1))), "square"),
        (lambda: forward(np.eye(2), np.zeros((0, 1))), "T = 0"),
        (lambda: forward(np.eye(2), np.zeros(5)), r"\(T, m\)"),
        (lambda: forward(np.eye(2), np.zeros((3, 1)), U=np.ones((2, 2))), "U has shape"),
        (lambda: forward(np.eye(2), np.zeros((3, 1)), b=np.ones(3)), "b has shape"),
        (lambda: forward(np.eye(2), np.zeros((3, 1)), h0=np.ones(3)), "h0 has shape"),
        (lambda: forward(np.eye(2), np.zeros((3, 4, 1)), h0=np.ones((3, 2))), "h0 has shape"),
        (lambda: forward(np.array([[np.inf, 0], [0, 1]]), np.zeros((3, 1))), "NaN or infinite"),
        (lambda: forward(np.eye(2), np.full((3, 1), np.nan), U=np.ones((2, 1))), "NaN or infinite"),
        (lambda: forward(np.eye(2), np.zeros((3, 1)), nonlinearity="softplus"), "tanh"),
    ],
)
def test_forward_rejects_bad_arguments(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# ---------------------------------------------------------------- step_jacobians

def test_step_jacobians_hand_computed():
    W = np.array([[1.0, 2.0], [3.0, 4.0]])
    a = np.array([[0.0, 1.0], [-2.0, 0.5]])
    J = step_jacobians(W, a, "relu")
    np.testing.assert_array_equal(J[0], [[0.0, 0.0], [3.0, 4.0]])  # ReLU'(0) = 0 kills row 0
    np.testing.assert_array_equal(J[1], [[0.0, 0.0], [3.0, 4.0]])
    J = step_jacobians(W, a, "tanh")
    s = 1 - np.tanh(a) ** 2
    np.testing.assert_allclose(J[1], [[s[1, 0] * 1, s[1, 0] * 2], [s[1, 1] * 3, s[1, 1] * 4]], rtol=1e-14)


@pytest.mark.parametrize("name", ["tanh", "sigmoid", "leaky_relu", "linear"])
def test_step_jacobians_match_finite_differences_of_one_step(name):
    rng = np.random.default_rng(2)
    n, m, T = 4, 2, 5
    W, U, b = rng.normal(size=(n, n)), rng.normal(size=(n, m)), 0.3 * rng.normal(size=n)
    xs = rng.normal(size=(T, m))
    tr = forward(W, xs, U=U, b=b, nonlinearity=name)
    J = step_jacobians(W, tr.a, name)
    f = rnnviz.get_nonlinearity(name).f
    eps = 1e-6
    for t in range(1, T + 1):
        num = np.empty((n, n))
        for j in range(n):
            e = np.zeros(n)
            e[j] = eps
            step = lambda h: f(W @ h + U @ xs[t - 1] + b)  # noqa: E731
            num[:, j] = (step(tr.h[t - 1] + e) - step(tr.h[t - 1] - e)) / (2 * eps)
        np.testing.assert_allclose(J[t - 1], num, rtol=1e-6, atol=1e-8)


def test_step_jacobians_rejects_batch_and_empty():
    with pytest.raises(ValueError, match="one sequence at a time"):
        step_jacobians(np.eye(2), np.zeros((3, 4, 2)), "tanh")
    with pytest.raises(ValueError, match="T = 0"):
        step_jacobians(np.eye(2), np.zeros((0, 2)), "tanh")
    with pytest.raises(ValueError, match=r"\(T, 2\)"):
        step_jacobians(np.eye(2), np.zeros((3, 3)), "tanh")
    # 10,000 steps of 256 units would be 5 GB: refused with a pointer to the streaming function
    with pytest.raises(ValueError, match="trajectory_log_singular_values"):
        step_jacobians(np.eye(256), np.zeros((10_000, 256)), "tanh")


# ---------------------------------------------------------------- bptt

def _loss(W, U, b, h0, xs, name, Y):
    """L = ½ Σ_t ||h_t - y_t||² summed over every state (and the batch)."""
    tr = forward(W, xs, U=U, b=b, h0=h0, nonlinearity=name)
    return 0.5 * np.sum((tr.h - Y) ** 2), tr


def _numeric_grad(fun, x, eps=1e-6):
    g = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        xp, xm = x.copy(), x.copy()
        xp[idx] += eps
        xm[idx] -= eps
        g[idx] = (fun(xp) - fun(xm)) / (2 * eps)
    return g


@pytest.mark.parametrize("name", NONLINS)
@pytest.mark.parametrize("batch", [None, 3])
def test_bptt_matches_finite_differences(name, batch):
    rng = np.random.default_rng(10 + (batch or 0))
    n, m, T = 3, 2, 6
    W = 0.8 * rng.normal(size=(n, n)) / np.sqrt(n)
    U, b = rng.normal(size=(n, m)), 0.2 * rng.normal(size=n)
    lead = (T,) if batch is None else (T, batch)
    xs = rng.normal(size=(*lead, m))
    h0 = rng.normal(size=(n,) if batch is None else (batch, n))
    Y = rng.normal(size=(T + 1, *lead[1:], n))
    L, tr = _loss(W, U, b, h0, xs, name, Y)
    if name in ("relu", "leaky_relu"):
        assert np.abs(tr.a).min() > 1e-4, "test data sits on a kink; finite differences would be invalid"
    g = bptt(W, xs, tr, tr.h - Y, U=U, nonlinearity=name)
    assert isinstance(g, Gradients)
    assert g.W.shape == (n, n) and g.U.shape == (n, m) and g.b.shape == (n,) and g.h.shape == tr.h.shape

    tol = dict(rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(g.W, _numeric_grad(lambda W_: _loss(W_, U, b, h0, xs, name, Y)[0], W), **tol)
    np.testing.assert_allclose(g.U, _numeric_grad(lambda U_: _loss(W, U_, b, h0, xs, name, Y)[0], U), **tol)
    np.testing.assert_allclose(g.b, _numeric_grad(lambda b_: _loss(W, U, b_, h0, xs, name, Y)[0], b), **tol)
    np.testing.assert_allclose(g.h[0], _numeric_grad(lambda h_: _loss(W, U, b, h_, xs, name, Y)[0], h0), **tol)

    # the total gradient wrt an intermediate state: perturb h_t and re-run the remaining steps
    t = T // 2
    sub = xs[t:]

    def tail_loss(ht):
        tr2 = forward(W, sub, U=U, b=b, h0=ht, nonlinearity=name)
        return 0.5 * np.sum((tr2.h - Y[t:]) ** 2)

    np.testing.assert_allclose(g.h[t], _numeric_grad(tail_loss, tr.h[t]), **tol)


def test_bptt_without_input_weights_and_batch_sum():
    rng = np.random.default_rng(4)
    n, T, B = 3, 5, 4
    W = rng.normal(size=(n, n)) / np.sqrt(n)
    xs = np.zeros((T, B, 1))
    h0 = rng.normal(size=(B, n))
    tr = forward(W, xs, h0=h0)
    dL = rng.normal(size=(T + 1, B, n))
    g = bptt(W, xs, tr, dL)
    assert g.U is None
    singles = [bptt(W, xs[:, i], forward(W, xs[:, i], h0=h0[i]), dL[:, i]) for i in range(B)]
    np.testing.assert_allclose(g.W, sum(s.W for s in singles), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(g.b, sum(s.b for s in singles), rtol=1e-12, atol=1e-14)
    for i, s in enumerate(singles):
        np.testing.assert_allclose(g.h[:, i], s.h, rtol=1e-12, atol=1e-14)


def test_bptt_h_gradient_is_the_jacobian_product():
    # Loss only on the last state: dL/dh_k = (J_T ... J_{k+1})^T dL/dh_T, the vanishing-gradient path.
    rng = np.random.default_rng(5)
    n, T = 4, 8
    W = 1.3 * rng.normal(size=(n, n)) / np.sqrt(n)
    xs = rng.normal(size=(T, 2))
    U = rng.normal(size=(n, 2))
    tr = forward(W, xs, U=U)
    dL = np.zeros((T + 1, n))
    dL[T] = rng.normal(size=n)
    g = bptt(W, xs, tr, dL, U=U)
    J = step_jacobians(W, tr.a, "tanh")
    P = np.eye(n)
    for k in range(T, -1, -1):
        np.testing.assert_allclose(g.h[k], P.T @ dL[T], rtol=1e-10, atol=1e-14)
        if k > 0:
            P = P @ J[k - 1]


def test_bptt_rejects_mismatches():
    W = np.eye(2)
    xs = np.zeros((3, 1))
    tr = forward(W, xs)
    with pytest.raises(ValueError, match="dL_dh has shape"):
        bptt(W, xs, tr, np.zeros((3, 2)))
    with pytest.raises(ValueError, match="do not match"):
        bptt(W, np.zeros((4, 1)), tr, np.zeros((5, 2)))
    with pytest.raises(ValueError, match="Trajectory returned by forward"):
        bptt(W, xs, (tr.h, tr.a), np.zeros((4, 2)))
    with pytest.raises(ValueError, match="NaN or infinite"):
        bptt(np.full((2, 2), np.nan), xs, tr, np.zeros((4, 2)))


@settings(max_examples=25, deadline=None)
@given(
    n=st.integers(1, 4),
    T=st.integers(1, 6),
    seed=st.integers(0, 2**31 - 1),
    name=st.sampled_from(["tanh", "sigmoid", "linear"]),
)
def test_bptt_is_linear_in_dL_dh(n, T, seed, name):
    # Property: BPTT is a linear map of dL_dh (the adjoint of the forward linearisation).
    rng = np.random.default_rng(seed)
    W = rng.normal(size=(n, n)) / np.sqrt(n)
    xs = rng.normal(size=(T, 2))
    U = rng.normal(size=(n, 2))
    tr = forward(W, xs, U=U, nonlinearity=name)
    d1, d2 = rng.normal(size=(2, T + 1, n))
    g1, g2 = (bptt(W, xs, tr, d, U=U, nonlinearity=name) for d in (d1, d2))
    g12 = bptt(W, xs, tr, 2.0 * d1 - d2, U=U, nonlinearity=name)
    for field in ("W", "U", "b", "h"):
        np.testing.assert_allclose(
            getattr(g12, field), 2.0 * getattr(g1, field) - getattr(g2, field), rtol=1e-9, atol=1e-9
        )


def test_ragged_inputs_are_named():
    """A ragged list for xs gets a ValueError naming xs (issue 8), not numpy's message."""
    with pytest.raises(ValueError, match=r"^xs\b.*rectangular"):
        forward(0.5 * np.eye(2), [[1.0, 2.0], [3.0]], U=np.eye(2))
