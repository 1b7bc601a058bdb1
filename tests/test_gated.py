"""rnnviz.gated: GRU and LSTM cells against finite differences, reductions and the gated-cure claim."""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import expit

import rnnviz
from rnnviz.gated import (
    GRU_PARAM_NAMES,
    LSTM_PARAM_NAMES,
    GRUParams,
    GRUTrajectory,
    LSTMParams,
    LSTMTrajectory,
    gru_bptt,
    gru_forward,
    gru_step_jacobians,
    init_gru,
    init_lstm,
    lstm_bptt,
    lstm_forward,
    lstm_step_jacobians,
)

EPS = 1e-6
FD_TOL = 1e-7  # central differences with eps = 1e-6 on O(1) quantities are good to ~1e-9


def _perturbed(params, seed, size=0.3):
    """Generic parameters: every array (biases included) moved off its initial value."""
    rng = np.random.default_rng(seed)
    return type(params)(*(a + size * rng.standard_normal(a.shape) for a in params.arrays()))


def _fd_param_grads(loss, params, names):
    """Central finite differences of ``loss(params)`` for every entry of every named parameter."""
    out = {}
    for name in names:
        A = getattr(params, name)
        G = np.zeros_like(A)
        for idx in np.ndindex(A.shape):
            Ap, Am = A.copy(), A.copy()
            Ap[idx] += EPS
            Am[idx] -= EPS
            G[idx] = (loss(dataclasses.replace(params, **{name: Ap}))
                      - loss(dataclasses.replace(params, **{name: Am}))) / (2 * EPS)
        out[name] = G
    return out


def _fd_vector(fun, x):
    """Jacobian of a vector function by central differences: (len(fun(x)), len(x))."""
    cols = []
    for e in np.eye(x.size):
        cols.append((fun(x + EPS * e) - fun(x - EPS * e)) / (2 * EPS))
    return np.stack(cols, axis=1)


# ============================================================================ GRU

@pytest.fixture(scope="module")
def gru_setup():
    return _perturbed(init_gru(4, 3, scale=1.2, update_bias=0.5, seed=1), seed=11)


def test_gru_forward_matches_the_pytorch_equations():
    p = _perturbed(init_gru(5, 2, seed=3), seed=4)
    rng = np.random.default_rng(1)
    xs = rng.standard_normal((6, 2))
    h0 = rng.standard_normal(5) * 0.5
    traj = gru_forward(p, xs, h0=h0)
    h = h0
    for t, x in enumerate(xs):
        r = expit(p.W_ir @ x + p.W_hr @ h + p.b_r)
        z = expit(p.W_iz @ x + p.W_hz @ h + p.b_z)
        cand = np.tanh(p.W_in @ x + p.b_in + r * (p.W_hn @ h + p.b_hn))
        h = (1 - z) * cand + z * h
        np.testing.assert_allclose(traj.r[t], r, rtol=1e-13, atol=1e-14)
        np.testing.assert_allclose(traj.z[t], z, rtol=1e-13, atol=1e-14)
        np.testing.assert_allclose(traj.n[t], cand, rtol=1e-13, atol=1e-14)
        np.testing.assert_allclose(traj.h[t + 1], h, rtol=1e-13, atol=1e-14)
    assert traj.h.shape == (7, 5) and traj.T == 6 and traj.hidden == 5 and not traj.batched
    np.testing.assert_array_equal(traj.h[0], h0)


def test_gru_batch_equals_sequences_one_by_one():
    p = _perturbed(init_gru(4, 3, seed=2), seed=5)
    rng = np.random.default_rng(2)
    xs = rng.standard_normal((5, 3, 3))
    h0 = rng.standard_normal((3, 4)) * 0.5
    C = rng.standard_normal((6, 3, 4))
    traj = gru_forward(p, xs, h0=h0)
    assert traj.batched and traj.h.shape == (6, 3, 4) and traj.z.shape == (5, 3, 4)
    g = gru_bptt(p, xs, traj, C)
    total = {k: 0.0 for k in GRU_PARAM_NAMES}
    for i in range(3):
        ti = gru_forward(p, xs[:, i], h0=h0[i])
        for f in ("h", "r", "z", "n", "hn"):
            np.testing.assert_allclose(getattr(traj.sequence(i), f), getattr(ti, f), rtol=1e-12, atol=1e-14)
        gi = gru_bptt(p, xs[:, i], ti, C[:, i])
        np.testing.assert_allclose(g.h[:, i], gi.h, rtol=1e-12, atol=1e-14)
        for k in GRU_PARAM_NAMES:
            total[k] = total[k] + getattr(gi, k)
    for k in GRU_PARAM_NAMES:
        np.testing.assert_allclose(getattr(g, k), total[k], rtol=1e-11, atol=1e-13)
    # a shared h0 of shape (n,) is broadcast over the batch
    shared = gru_forward(p, xs, h0=h0[0])
    np.testing.assert_allclose(shared.h[:, 0], traj.h[:, 0], rtol=1e-13)


@pytest.mark.parametrize("batched", [False, True])
def test_gru_bptt_matches_finite_differences(gru_setup, batched):
    p = gru_setup
    rng = np.random.default_rng(7 + batched)
    shape = (6, 3, 3) if batched else (6, 3)
    xs = rng.standard_normal(shape)
    h0 = rng.standard_normal((*shape[1:-1], 4)) * 0.5
    traj = gru_forward(p, xs, h0=h0)
    C = rng.standard_normal(traj.h.shape)  # a loss that looks at every state: L = Σ C ⊙ h

    def loss(q, h0=h0):
        return float(np.sum(C * gru_forward(q, xs, h0=h0).h))

    g = gru_bptt(p, xs, traj, C)
    fd = _fd_param_grads(loss, p, GRU_PARAM_NAMES)
    for name in GRU_PARAM_NAMES:
        assert getattr(g, name).shape == getattr(p, name).shape
        np.testing.assert_allclose(getattr(g, name), fd[name], atol=FD_TOL, err_msg=name)
    # .h[0] is dL/dh_0, the gradient that travelled the whole sequence
    fd_h0 = _fd_vector(lambda v: np.array([loss(p, v.reshape(h0.shape))]), h0.ravel())[0]
    np.testing.assert_allclose(g.h[0].ravel(), fd_h0, atol=FD_TOL)


def test_gru_total_state_gradients_are_the_jacobian_chain(gru_setup):
    p, rng = gru_setup, np.random.default_rng(9)
    xs = rng.standard_normal((8, 3))
    traj = gru_forward(p, xs)
    dL = np.zeros((9, 4))
    dL[-1] = rng.standard_normal(4)
    dL[3] = rng.standard_normal(4)
    g = gru_bptt(p, xs, traj, dL)
    J = gru_step_jacobians(p, traj)
    expect = dL[-1]
    np.testing.assert_allclose(g.h[8], expect)
    for t in range(8, 0, -1):
        expect = dL[t - 1] + J[t - 1].T @ expect
        np.testing.assert_allclose(g.h[t - 1], expect, rtol=1e-12, atol=1e-14)


def test_gru_step_jacobians_match_finite_differences_at_every_step(gru_setup):
    p, rng = gru_setup, np.random.default_rng(10)
    xs = rng.standard_normal((7, 2, 3))
    traj = gru_forward(p, xs, h0=rng.standard_normal((2, 4)) * 0.5)
    for i in range(2):
        one = traj.sequence(i)
        J = gru_step_jacobians(p, one)
        assert J.shape == (7, 4, 4)
        for t in range(7):
            fd = _fd_vector(lambda h: gru_forward(p, xs[t:t + 1, i], h0=h).h[1], one.h[t])
            np.testing.assert_allclose(J[t], fd, atol=1e-9, err_msg=f"sequence {i}, step {t + 1}")


def _tanh_limit(n, m, seed):
    """A GRU forced into z ≡ 0 (update bias -60) and r ≡ 1 (reset bias +60)."""
    p = _perturbed(init_gru(n, m, scale=1.3, seed=seed), seed=seed + 1)
    return dataclasses.replace(p, b_z=np.full(n, -60.0), b_r=np.full(n, 60.0))


def test_gru_with_closed_update_and_open_reset_gates_is_the_plain_tanh_rnn():
    n, m = 6, 3
    p = _tanh_limit(n, m, seed=8)
    rng = np.random.default_rng(3)
    xs = rng.standard_normal((12, m))
    h0 = rng.standard_normal(n) * 0.5
    traj = gru_forward(p, xs, h0=h0)
    assert np.all(traj.z < 1e-20) and np.all(traj.r == 1.0)
    W, U, b = p.W_hn, p.W_in, p.b_in + p.b_hn
    plain = rnnviz.forward(W, xs, U=U, b=b, h0=h0, nonlinearity="tanh")
    np.testing.assert_allclose(traj.h, plain.h, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(gru_step_jacobians(p, traj), rnnviz.step_jacobians(W, plain.a, "tanh"),
                               rtol=1e-12, atol=1e-15)
    dL = rng.standard_normal(traj.h.shape)
    g = gru_bptt(p, xs, traj, dL)
    gp = rnnviz.bptt(W, xs, plain, dL, U=U, nonlinearity="tanh")
    np.testing.assert_allclose(g.h, gp.h, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(g.W_hn, gp.W, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(g.W_in, gp.U, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(g.b_in, gp.b, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(g.b_hn, gp.b, rtol=1e-12, atol=1e-14)
    # the saturated gates pass (almost) no gradient to their own weights
    for k in ("W_hr", "W_hz", "W_ir", "W_iz", "b_r", "b_z"):
        assert np.max(np.abs(getattr(g, k))) < 1e-20


def test_gru_with_update_gate_shut_open_copies_the_state():
    # z ≡ 1 (update bias +60): h_t = h_{t-1} exactly, the Jacobian is the identity
    p = dataclasses.replace(_perturbed(init_gru(5, 2, seed=1), seed=2), b_z=np.full(5, 60.0))
    rng = np.random.default_rng(0)
    h0 = rng.standard_normal(5)
    traj = gru_forward(p, rng.standard_normal((20, 2)), h0=h0)
    np.testing.assert_allclose(traj.h, np.broadcast_to(h0, (21, 5)), rtol=1e-15, atol=1e-15)
    np.testing.assert_allclose(gru_step_jacobians(p, traj), np.broadcast_to(np.eye(5), (20, 5, 5)), atol=1e-15)


# ---------------------------------------------------------------- the claim of the spectral page

def _product_log_sv(J):
    """Log singular values of dh_T/dh_k for k = 0..T by explicit products (fine for moderate T)."""
    T, n, _ = J.shape
    out = np.zeros((T + 1, n))
    P = np.eye(n)
    for k in range(T - 1, -1, -1):
        P = P @ J[k]
        out[k] = np.log(np.linalg.svd(P, compute_uv=False))
    return out


def _log_sv(J):
    """rnnviz.product_log_singular_values once it exists, checked against explicit products."""
    ref = _product_log_sv(J)
    pls = getattr(rnnviz, "product_log_singular_values", None)
    if pls is not None:
        got = pls(J)
        assert got.shape == ref.shape
        np.testing.assert_allclose(got[:, 0], ref[:, 0], atol=1e-6)
        return got
    return ref


@pytest.fixture(scope="module")
def spectral_setting():
    n, T = 16, 400
    xs = np.random.default_rng([0, 1]).standard_normal((T, n))  # the spectral page's drive, U = I
    W = rnnviz.init_recurrent(n, "gaussian", 1.0, 0)
    plain = rnnviz.forward(W, xs, U=np.eye(n))
    return n, T, xs, _log_sv(rnnviz.step_jacobians(W, plain.a, "tanh"))


def test_update_gate_near_one_keeps_log_singular_values_near_zero(spectral_setting):
    n, T, xs, plain = spectral_setting
    p = init_gru(n, n, scale=1.0, update_bias=8.0, seed=0)  # W_hn is the plain RNN's W
    np.testing.assert_array_equal(p.W_hn, rnnviz.init_recurrent(n, "gaussian", 1.0, 0))
    traj = gru_forward(p, xs)
    assert traj.z.min() > 0.99
    gated = _log_sv(gru_step_jacobians(p, traj))
    assert gated.shape == (T + 1, n)
    np.testing.assert_array_equal(gated[T], 0.0)
    # every singular value of dh_T/dh_0 within a factor e of 1 after 400 steps ...
    assert np.all(gated[0] > -1.0) and np.all(gated[0] < 0.1)
    # ... while the plain tanh RNN's largest has fallen by more than e^-50
    assert plain[0, 0] < -50.0
    # and the decay is gradual: the top log singular value falls with distance, never below -1
    assert np.all(gated[:, 0] > -1.0)
    assert gated[0, 0] < gated[T // 2, 0] < gated[T - 10, 0] < 0.05
    # without the bias the same GRU forgets too: the gate, not the architecture alone, does it
    p0 = init_gru(n, n, scale=1.0, update_bias=0.0, seed=0)
    forgetful = _log_sv(gru_step_jacobians(p0, gru_forward(p0, xs)))
    assert forgetful[0, 0] < -20.0


# ============================================================================ LSTM

@pytest.fixture(scope="module")
def lstm_params():
    return _perturbed(init_lstm(4, 3, scale=1.2, forget_bias=0.5, seed=1), seed=12)


def test_lstm_forward_matches_the_pytorch_equations(lstm_params):
    p = lstm_params
    rng = np.random.default_rng(1)
    xs = rng.standard_normal((6, 3))
    h, c = rng.standard_normal(4) * 0.5, rng.standard_normal(4)
    traj = lstm_forward(p, xs, h0=h, c0=c)
    for t, x in enumerate(xs):
        i = expit(p.W_ii @ x + p.W_hi @ h + p.b_i)
        f = expit(p.W_if @ x + p.W_hf @ h + p.b_f)
        g = np.tanh(p.W_ig @ x + p.W_hg @ h + p.b_g)
        o = expit(p.W_io @ x + p.W_ho @ h + p.b_o)
        c = f * c + i * g
        h = o * np.tanh(c)
        for name, val in dict(i=i, f=f, g=g, o=o).items():
            np.testing.assert_allclose(getattr(traj, name)[t], val, rtol=1e-13, atol=1e-14)
        np.testing.assert_allclose(traj.c[t + 1], c, rtol=1e-13, atol=1e-14)
        np.testing.assert_allclose(traj.h[t + 1], h, rtol=1e-13, atol=1e-14)
    assert traj.state.shape == (7, 8)


@pytest.mark.parametrize("batched", [False, True])
def test_lstm_bptt_matches_finite_differences(lstm_params, batched):
    p = lstm_params
    rng = np.random.default_rng(17 + batched)
    shape = (5, 3, 3) if batched else (5, 3)
    xs = rng.standard_normal(shape)
    h0 = rng.standard_normal((*shape[1:-1], 4)) * 0.5
    c0 = rng.standard_normal((*shape[1:-1], 4))
    traj = lstm_forward(p, xs, h0=h0, c0=c0)
    Ch, Cc = rng.standard_normal(traj.h.shape), rng.standard_normal(traj.c.shape)

    def loss(q, h0=h0, c0=c0):
        tr = lstm_forward(q, xs, h0=h0, c0=c0)
        return float(np.sum(Ch * tr.h) + np.sum(Cc * tr.c))

    g = lstm_bptt(p, xs, traj, Ch, dL_dc=Cc)
    fd = _fd_param_grads(loss, p, LSTM_PARAM_NAMES)
    for name in LSTM_PARAM_NAMES:
        assert getattr(g, name).shape == getattr(p, name).shape
        np.testing.assert_allclose(getattr(g, name), fd[name], atol=FD_TOL, err_msg=name)
    fd_h0 = _fd_vector(lambda v: np.array([loss(p, h0=v.reshape(h0.shape))]), h0.ravel())[0]
    fd_c0 = _fd_vector(lambda v: np.array([loss(p, c0=v.reshape(c0.shape))]), c0.ravel())[0]
    np.testing.assert_allclose(g.h[0].ravel(), fd_h0, atol=FD_TOL)
    np.testing.assert_allclose(g.c[0].ravel(), fd_c0, atol=FD_TOL)
    # the loss on h only: dL_dc defaults to zeros
    g_h = lstm_bptt(p, xs, traj, Ch)
    g_h2 = lstm_bptt(p, xs, traj, Ch, dL_dc=np.zeros_like(Cc))
    np.testing.assert_array_equal(g_h.W_hf, g_h2.W_hf)


def test_lstm_batch_equals_sequences_one_by_one(lstm_params):
    p = lstm_params
    rng = np.random.default_rng(4)
    xs = rng.standard_normal((5, 3, 3))
    C = rng.standard_normal((6, 3, 4))
    traj = lstm_forward(p, xs)
    g = lstm_bptt(p, xs, traj, C)
    total = {k: 0.0 for k in LSTM_PARAM_NAMES}
    for i in range(3):
        ti = lstm_forward(p, xs[:, i])
        np.testing.assert_allclose(traj.sequence(i).c, ti.c, rtol=1e-12, atol=1e-14)
        gi = lstm_bptt(p, xs[:, i], ti, C[:, i])
        np.testing.assert_allclose(g.c[:, i], gi.c, rtol=1e-12, atol=1e-14)
        for k in LSTM_PARAM_NAMES:
            total[k] = total[k] + getattr(gi, k)
    for k in LSTM_PARAM_NAMES:
        np.testing.assert_allclose(getattr(g, k), total[k], rtol=1e-11, atol=1e-13)


def test_lstm_step_jacobians_match_finite_differences_and_chain_bptt(lstm_params):
    p = lstm_params
    rng = np.random.default_rng(5)
    xs = rng.standard_normal((6, 3))
    traj = lstm_forward(p, xs, h0=rng.standard_normal(4) * 0.5, c0=rng.standard_normal(4))
    J = lstm_step_jacobians(p, traj)
    assert J.shape == (6, 8, 8)

    def step(t):
        def fun(s):
            tr = lstm_forward(p, xs[t:t + 1], h0=s[:4], c0=s[4:])
            return np.concatenate([tr.h[1], tr.c[1]])
        return fun

    state = traj.state
    for t in range(6):
        np.testing.assert_allclose(J[t], _fd_vector(step(t), state[t]), atol=1e-9, err_msg=f"step {t + 1}")
    # BPTT's state gradients are the transposed Jacobian chain
    dh, dc = np.zeros((7, 4)), np.zeros((7, 4))
    dh[-1], dc[2] = rng.standard_normal(4), rng.standard_normal(4)
    g = lstm_bptt(p, xs, traj, dh, dL_dc=dc)
    expect = np.concatenate([dh[-1], dc[-1]])
    for t in range(6, 0, -1):
        expect = np.concatenate([dh[t - 1], dc[t - 1]]) + J[t - 1].T @ expect
        np.testing.assert_allclose(np.concatenate([g.h[t - 1], g.c[t - 1]]), expect, rtol=1e-12, atol=1e-14)


def test_lstm_forget_gate_carries_the_state_gradient(spectral_setting):
    n, T, xs, plain = spectral_setting
    p = init_lstm(n, n, scale=1.0, forget_bias=6.0, seed=0)
    np.testing.assert_array_equal(p.W_hg, rnnviz.init_recurrent(n, "gaussian", 1.0, 0))
    traj = lstm_forward(p, xs)
    assert traj.f.min() > 0.9 and traj.f.mean() > 0.99
    lsv = _log_sv(lstm_step_jacobians(p, traj))
    assert lsv.shape == (T + 1, 2 * n)
    # the largest singular value of d(h_T, c_T)/d(h_0, c_0) neither vanishes nor explodes ...
    assert -3.0 < lsv[0, 0] < 6.0
    # ... where the plain RNN's has fallen below e^-50, and an LSTM without the forget bias forgets
    assert plain[0, 0] < -50.0
    p0 = init_lstm(n, n, scale=1.0, forget_bias=0.0, seed=0)
    assert _log_sv(lstm_step_jacobians(p0, lstm_forward(p0, xs)))[0, 0] < -20.0


# ============================================================================ init and checks

@pytest.mark.parametrize("scheme", ["gaussian", "orthogonal", "identity"])
def test_init_shapes_determinism_and_shared_candidate_matrix(scheme):
    p = init_gru(6, 2, scheme=scheme, scale=0.9, update_bias=2.0, seed=4)
    assert (p.n, p.m) == (6, 2)
    np.testing.assert_array_equal(p.W_hn, rnnviz.init_recurrent(6, scheme, 0.9, 4))
    np.testing.assert_array_equal(p.b_z, 2.0)
    for k in ("b_r", "b_in", "b_hn"):
        np.testing.assert_array_equal(getattr(p, k), 0.0)
    again = init_gru(6, 2, scheme=scheme, scale=0.9, update_bias=2.0, seed=4)
    for a, b in zip(p.arrays(), again.arrays()):
        np.testing.assert_array_equal(a, b)
    if scheme != "identity":
        assert not np.array_equal(p.W_hr, p.W_hz) and not np.array_equal(p.W_hr, p.W_hn)
    q = init_lstm(6, 2, scheme=scheme, scale=0.9, forget_bias=1.0, seed=4)
    np.testing.assert_array_equal(q.W_hg, rnnviz.init_recurrent(6, scheme, 0.9, 4))
    np.testing.assert_array_equal(q.b_f, 1.0)
    assert [a.shape for a in q.arrays()] == [(6, 2)] * 4 + [(6, 6)] * 4 + [(6,)] * 4
    assert all(np.array_equal(a, b) for a, b in zip(GRUParams(*p.arrays()).arrays(), p.arrays()))


def test_init_input_weight_statistics():
    p = init_gru(200, 50, input_scale=2.0, seed=0)
    for W in (p.W_ir, p.W_iz, p.W_in):
        assert abs(W.var() * 50 - 4.0) < 0.15  # 10,000 entries: relative s.e. of the variance ~1.4 %


def test_no_input_drive_with_m_zero():
    p = init_gru(3, 0, update_bias=1.0)
    xs = np.zeros((5, 0))
    traj = gru_forward(p, xs, h0=np.ones(3) * 0.3)
    g = gru_bptt(p, xs, traj, np.ones((6, 3)))
    assert g.W_in.shape == (3, 0) and np.all(np.isfinite(g.h))
    q = init_lstm(3, 0)
    lt = lstm_forward(q, np.zeros((5, 2, 0)), h0=np.ones(3) * 0.3)
    assert lstm_bptt(q, np.zeros((5, 2, 0)), lt, np.ones((6, 2, 3))).W_ii.shape == (3, 0)


def test_params_hold_non_finite_values_for_reporting_but_the_cell_refuses_them():
    p = init_gru(3, 2)
    bad = GRUParams(*(a * np.nan if k == "W_hz" else a for k, a in zip(GRU_PARAM_NAMES, p.arrays())))
    assert p.all_finite() and not bad.all_finite()
    with pytest.raises(ValueError, match="W_hz holds 9 NaN"):
        gru_forward(bad, np.zeros((2, 2)))
    q = init_lstm(3, 2)
    assert q.all_finite() and not dataclasses.replace(q, b_f=np.full(3, np.inf)).all_finite()


def test_huge_weights_never_warn():
    p = GRUParams(*(a * 1e200 for a in init_gru(4, 2, scale=1.0, seed=0).arrays()))
    q = LSTMParams(*(a * 1e200 for a in init_lstm(4, 2, scale=1e100, input_scale=1e100, seed=0).arrays()))
    xs = np.random.default_rng(0).standard_normal((10, 2, 2)) * 1e200
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        t = gru_forward(p, xs, h0=np.full(4, 1e300))
        gru_bptt(p, xs, t, np.ones_like(t.h))
        gru_step_jacobians(p, t.sequence(0))
        u = lstm_forward(q, xs)
        lstm_bptt(q, xs, u, np.ones_like(u.h))
        lstm_step_jacobians(q, u.sequence(1))


def _bad_calls():
    p = init_gru(3, 2)
    q = init_lstm(3, 2)
    xs = np.zeros((4, 2))
    t = gru_forward(p, xs)
    tb = gru_forward(p, np.zeros((4, 2, 2)))
    u = lstm_forward(q, xs)
    ok = np.zeros((5, 3))
    return [
        (lambda: init_gru(0, 2), "at least 1"),
        (lambda: init_gru(3, -1), "at least 0"),
        (lambda: init_gru(3, 2, scheme="xavier"), "gaussian"),
        (lambda: init_gru(3, 2, scale=-1), "scale"),
        (lambda: init_gru(3, 2, input_scale=1e101), "input_scale must be at most"),
        (lambda: gru_step_jacobians(init_gru(300, 1), gru_forward(init_gru(300, 1), np.zeros((2300, 1)))),
         r"window\(start, stop\)"),
        (lambda: init_gru(3, 2, update_bias=float("nan")), "update_bias"),
        (lambda: init_lstm(3, 2, forget_bias="big"), "forget_bias"),
        (lambda: init_gru(3, 2, seed=-1), "seed"),
        (lambda: dataclasses.replace(p, W_hz=np.zeros((3, 4))), r"W_hz has shape \(3, 4\)"),
        (lambda: dataclasses.replace(p, W_iz=np.zeros((3, 5))), "input weights"),
        (lambda: dataclasses.replace(p, b_hn=np.zeros(4)), "b_hn"),
        (lambda: gru_forward(dataclasses.replace(p, W_hn=np.full((3, 3), np.nan)), xs), "W_hn holds 9 NaN"),
        (lambda: gru_bptt(dataclasses.replace(p, b_z=np.array([0, np.inf, 0])), xs, t, ok), "b_z holds 1"),
        (lambda: gru_step_jacobians(dataclasses.replace(p, W_hr=np.full((3, 3), np.nan)), t), "W_hr holds"),
        (lambda: lstm_forward(dataclasses.replace(q, W_io=np.full((3, 2), np.nan)), xs), "W_io holds"),
        (lambda: dataclasses.replace(q, W_hf=np.zeros((2, 2))), "W_hf"),
        (lambda: gru_forward(q, xs), "GRUParams"),
        (lambda: lstm_forward(p, xs), "LSTMParams"),
        (lambda: gru_forward(p, np.zeros((4, 3))), "m = 3"),
        (lambda: gru_forward(p, np.zeros((0, 2))), "T = 0"),
        (lambda: gru_forward(p, np.zeros((4, 0, 2))), "B = 0"),
        (lambda: gru_forward(p, np.zeros(4)), r"\(T, m\)"),
        (lambda: gru_forward(p, np.full((4, 2), np.inf)), "NaN or infinite"),
        (lambda: gru_forward(p, xs, h0=np.zeros(4)), "h0"),
        (lambda: gru_forward(p, np.zeros((4, 2, 2)), h0=np.zeros((3, 3))), "h0"),
        (lambda: lstm_forward(q, xs, c0=np.zeros(2)), "c0"),
        (lambda: gru_step_jacobians(p, tb), r"sequence\(i\)"),
        (lambda: gru_step_jacobians(p, u), "GRUTrajectory"),
        (lambda: gru_step_jacobians(init_gru(4, 2), t), "trajectory.h"),
        (lambda: lstm_step_jacobians(q, t), "LSTMTrajectory"),
        (lambda: gru_bptt(p, xs, t, np.zeros((4, 3))), "dL_dh"),
        (lambda: gru_bptt(p, np.zeros((5, 2)), t, np.zeros((6, 3))), "trajectory"),
        (lambda: gru_bptt(p, xs, "traj", ok), "GRUTrajectory"),
        (lambda: lstm_bptt(q, xs, u, ok, dL_dc=np.zeros((4, 3))), "dL_dc"),
        (lambda: t.sequence(0), "no batch axis"),
        (lambda: tb.sequence(2), "at most 1"),
    ]


@pytest.mark.parametrize("case", range(len(_bad_calls())))
def test_bad_arguments_raise_clear_value_errors(case):
    call, match = _bad_calls()[case]
    with pytest.raises(ValueError, match=match):
        call()


def test_public_api_is_reexported():
    for name in ("init_gru", "gru_forward", "gru_step_jacobians", "gru_bptt", "GRUParams", "GRUTrajectory",
                 "GRUGradients", "init_lstm", "lstm_forward", "lstm_step_jacobians", "lstm_bptt",
                 "LSTMParams", "LSTMTrajectory", "LSTMGradients", "GRU_PARAM_NAMES", "LSTM_PARAM_NAMES",
                 "gru_from_torch", "lstm_from_torch"):
        assert name in rnnviz.__all__ and hasattr(rnnviz, name)
    assert isinstance(rnnviz.gru_forward(rnnviz.init_gru(2, 1), np.zeros((2, 1))), GRUTrajectory)
    assert isinstance(rnnviz.lstm_forward(rnnviz.init_lstm(2, 1), np.zeros((2, 1))), LSTMTrajectory)


@settings(max_examples=25, deadline=None)
@given(
    n=st.integers(1, 5),
    m=st.integers(0, 3),
    T=st.integers(1, 6),
    B=st.integers(1, 3),
    bias=st.floats(-4, 4),
    seed=st.integers(0, 2**16),
)
def test_gru_bptt_is_the_jacobian_transpose_chain_property(n, m, T, B, bias, seed):
    # For any shapes: the batched BPTT's state gradients equal the transposed Jacobian chain of each
    # sequence, and the parameter gradients' shapes match the parameters.
    p = _perturbed(init_gru(n, m, update_bias=bias, seed=seed), seed=seed)
    rng = np.random.default_rng(seed)
    xs = rng.standard_normal((T, B, m))
    traj = gru_forward(p, xs)
    dL = rng.standard_normal((T + 1, B, n))
    g = gru_bptt(p, xs, traj, dL)
    for name in GRU_PARAM_NAMES:
        assert getattr(g, name).shape == getattr(p, name).shape
    for i in range(B):
        J = gru_step_jacobians(p, traj.sequence(i))
        expect = dL[T, i]
        for t in range(T, 0, -1):
            expect = dL[t - 1, i] + J[t - 1].T @ expect
        np.testing.assert_allclose(g.h[0, i], expect, rtol=1e-10, atol=1e-12)


def test_window_gives_the_jacobians_of_a_stretch_of_steps():
    rng = np.random.default_rng(6)
    p = _perturbed(init_gru(4, 2, seed=0), seed=1)
    traj = gru_forward(p, rng.standard_normal((10, 2)))
    J = gru_step_jacobians(p, traj)
    np.testing.assert_allclose(gru_step_jacobians(p, traj.window(3, 7)), J[3:7], rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(gru_step_jacobians(p, traj.window(9)), J[9:], rtol=1e-13, atol=1e-15)
    assert traj.window(0).T == 10 and traj.window(2, 5).h.shape == (4, 4)
    q = _perturbed(init_lstm(3, 2, seed=0), seed=1)
    lt = lstm_forward(q, rng.standard_normal((8, 2)))
    np.testing.assert_allclose(lstm_step_jacobians(q, lt.window(4, 5)), lstm_step_jacobians(q, lt)[4:5],
                               rtol=1e-13, atol=1e-15)
    for bad in ((10, None), (3, 3), (-1, 2), (2, 11)):
        with pytest.raises(ValueError):
            traj.window(*bad)


# ============================================================================ PyTorch weights

def test_gru_from_torch_follows_the_pytorch_documentation():
    # torch.nn.GRU docs: r = σ(W_ir x + b_ir + W_hr h + b_hr), z = σ(W_iz x + b_iz + W_hz h + b_hz),
    # n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)), h' = (1 − z) ⊙ n + z ⊙ h, with
    # weight_ih_l0 = [W_ir; W_iz; W_in], weight_hh_l0 = [W_hr; W_hz; W_hn], biases stacked alike.
    n, m = 4, 3
    rng = np.random.default_rng(21)
    w_ih, w_hh = rng.standard_normal((3 * n, m)), rng.standard_normal((3 * n, n)) * 0.6
    b_ih, b_hh = rng.standard_normal(3 * n), rng.standard_normal(3 * n)
    p = rnnviz.gru_from_torch(w_ih, w_hh, b_ih, b_hh)
    xs = rng.standard_normal((5, m))
    h = np.zeros(n)
    gi_all = xs @ w_ih.T + b_ih
    for t in range(5):
        gi, gh = gi_all[t], w_hh @ h + b_hh
        r = expit(gi[:n] + gh[:n])
        z = expit(gi[n:2 * n] + gh[n:2 * n])
        cand = np.tanh(gi[2 * n:] + r * gh[2 * n:])
        h = (1 - z) * cand + z * h
    np.testing.assert_allclose(gru_forward(p, xs).h[-1], h, rtol=1e-13, atol=1e-14)
    assert np.all(rnnviz.gru_from_torch(w_ih, w_hh).b_hn == 0.0)


def test_lstm_from_torch_follows_the_pytorch_documentation():
    n, m = 3, 2
    rng = np.random.default_rng(22)
    w_ih, w_hh = rng.standard_normal((4 * n, m)), rng.standard_normal((4 * n, n)) * 0.6
    b_ih, b_hh = rng.standard_normal(4 * n), rng.standard_normal(4 * n)
    q = rnnviz.lstm_from_torch(w_ih, w_hh, b_ih, b_hh)
    xs = rng.standard_normal((5, m))
    h, c = np.zeros(n), np.zeros(n)
    for x in xs:
        g_all = w_ih @ x + b_ih + w_hh @ h + b_hh  # gates stacked i, f, g, o
        i, f, o = expit(g_all[:n]), expit(g_all[n:2 * n]), expit(g_all[3 * n:])
        c = f * c + i * np.tanh(g_all[2 * n:3 * n])
        h = o * np.tanh(c)
    tr = lstm_forward(q, xs)
    np.testing.assert_allclose(tr.h[-1], h, rtol=1e-13, atol=1e-14)
    np.testing.assert_allclose(tr.c[-1], c, rtol=1e-13, atol=1e-14)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: rnnviz.gru_from_torch(np.zeros((12, 2)), np.zeros((12, 3))), r"\(3·n, n\)"),
        (lambda: rnnviz.gru_from_torch(np.zeros((9, 2)), np.zeros((12, 4))), r"weight_ih has shape \(9, 2\)"),
        (lambda: rnnviz.gru_from_torch(np.zeros((12, 2)), np.zeros((12, 4)), np.zeros(11)), "bias_ih"),
        (lambda: rnnviz.lstm_from_torch(np.zeros((12, 2)), np.zeros((12, 4))), r"\(4·n, n\)"),
        (lambda: rnnviz.lstm_from_torch(np.zeros((16, 2)), np.zeros((16, 4)), None, np.zeros(4)), "bias_hh"),
    ],
)
def test_from_torch_rejects_wrong_shapes(call, match):
    with pytest.raises(ValueError, match=match):
        call()


@pytest.mark.parametrize("cell", ["gru", "lstm"])
def test_ragged_inputs_are_named(cell):
    """A ragged list for xs gets a ValueError naming xs (issue 8)."""
    params = getattr(rnnviz, f"init_{cell}")(3, 2, seed=0)
    with pytest.raises(ValueError, match=r"^xs\b.*rectangular"):
        getattr(rnnviz, f"{cell}_forward")(params, [[1.0, 2.0], [3.0]])
