"""rnnviz.spectral against closed forms: diagonal, orthogonal, identity, nilpotent; the bound chain
against explicit products; Pascanu's verdict on matrices whose answer is known by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rnnviz
from rnnviz.spectral import (
    bound_chain,
    drive_inputs,
    independent_jacobians,
    matrix_spectrum,
    nilpotent_example,
    pascanu_verdict,
    recurrent_matrix,
    sample_steps,
    step_spectra,
    work_plan,
)


def explicit_log_svs(J):
    """Reference: row k = log singular values of the explicit product J_L ... J_{k+1} (short L only)."""
    L, n, _ = J.shape
    rows = [np.zeros(n)]
    P = np.eye(n)
    for k in range(L - 1, -1, -1):
        P = P @ J[k]
        with np.errstate(divide="ignore"):
            rows.append(np.log(np.linalg.svd(P, compute_uv=False)))
    return np.array(rows[::-1])


def tanh_rnn_jacobians(n=6, T=25, scale=1.3, seed=3):
    W = rnnviz.init_recurrent(n, scheme="gaussian", scale=scale, seed=seed)
    xs = drive_inputs(T, n, scale=0.5, seed=seed)
    tr = rnnviz.forward(W, xs, U=np.eye(n), b=0.1 * np.ones(n), nonlinearity="tanh")
    return W, rnnviz.step_jacobians(W, tr.a, "tanh")


# ----------------------------------------------------------------------------- one matrix


def test_matrix_spectrum_diagonal():
    s = matrix_spectrum(np.diag([3.0, -2.0, 0.5]))
    np.testing.assert_allclose(s.eigenvalues, [3.0, -2.0, 0.5])
    np.testing.assert_allclose(s.singular_values, [3.0, 2.0, 0.5])
    assert s.radius == pytest.approx(3.0) and s.norm == pytest.approx(3.0)


def test_matrix_spectrum_rotation_and_nilpotent():
    c, s_ = math.cos(0.3), math.sin(0.3)
    rot = matrix_spectrum(2.0 * np.array([[c, -s_], [s_, c]]))
    np.testing.assert_allclose(np.sort_complex(rot.eigenvalues), np.sort_complex(2 * np.exp([0.3j, -0.3j])))
    np.testing.assert_allclose(rot.singular_values, [2.0, 2.0])
    nil = matrix_spectrum(nilpotent_example().W)
    assert nil.radius < 1e-7 and nil.norm == pytest.approx(16.0)


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 8), st.integers(0, 10_000), st.floats(0.01, 5.0))
def test_radius_never_exceeds_norm(n, seed, scale):
    s = matrix_spectrum(recurrent_matrix("gaussian", n, scale=scale, seed=seed))
    assert s.radius <= s.norm * (1 + 1e-12)


@pytest.mark.parametrize("scale", [0.5, 1.0, 2.5])
def test_recurrent_matrix_orthogonal_and_identity(scale):
    Q = recurrent_matrix("orthogonal", 16, scale=scale, seed=4)
    np.testing.assert_allclose(matrix_spectrum(Q).singular_values, scale, rtol=1e-12)
    np.testing.assert_array_equal(recurrent_matrix("identity", 5, scale=scale), scale * np.eye(5))
    with pytest.raises(ValueError, match="matrix kind"):
        recurrent_matrix("hermitian", 4)


# ----------------------------------------------------------------------------- along a trajectory


def test_sample_steps_keeps_ends_and_bounds_count():
    np.testing.assert_array_equal(sample_steps(5, 10), [1, 2, 3, 4, 5])
    s = sample_steps(10_000, 1500)
    assert s[0] == 1 and s[-1] == 10_000 and len(s) <= 1500 and np.all(np.diff(s) > 0)
    np.testing.assert_array_equal(sample_steps(7, 1), [7])
    with pytest.raises(ValueError):
        sample_steps(0, 3)


def test_step_spectra_diagonal_jacobians():
    d = np.array([[1.0, 0.5, 0.25], [0.1, 2.0, 0.3]])
    J = np.stack([np.diag(r) for r in d]) * -1.0
    sp = step_spectra(J, steps=[3, 9])
    np.testing.assert_allclose(sp.singular_values, np.sort(np.abs(d), axis=1)[:, ::-1])
    np.testing.assert_allclose(sp.radius, [1.0, 2.0])
    np.testing.assert_allclose(sp.norm, [1.0, 2.0])
    np.testing.assert_array_equal(sp.steps, [3, 9])


def test_orthogonal_linear_rnn_every_singular_value_is_one():
    n, T = 12, 40
    W = recurrent_matrix("orthogonal", n, scale=1.0, seed=1)
    tr = rnnviz.forward(W, drive_inputs(T, n, scale=1.0, seed=0), U=np.eye(n), nonlinearity="linear")
    sp = step_spectra(rnnviz.step_jacobians(W, tr.a, "linear"))
    np.testing.assert_allclose(sp.singular_values, 1.0, rtol=1e-12)
    np.testing.assert_allclose(sp.radius, 1.0, rtol=1e-10)


def test_identity_tanh_jacobian_is_diag_of_derivative():
    n = 4
    a = np.array([[0.0, 1.0, -2.0, 3.0]])
    J = rnnviz.step_jacobians(np.eye(n), a, "tanh")
    sp = step_spectra(J)
    np.testing.assert_allclose(sp.singular_values[0], np.sort(1 - np.tanh(a[0]) ** 2)[::-1], rtol=1e-12)


def test_step_spectra_nonfinite_rows_are_nan_not_errors():
    J = np.stack([np.eye(2), np.full((2, 2), np.inf)])
    sp = step_spectra(J)
    assert np.all(np.isnan(sp.singular_values[1])) and np.isnan(sp.radius[1])
    np.testing.assert_allclose(sp.singular_values[0], 1.0)
    with pytest.raises(ValueError, match="square"):
        step_spectra(np.ones((2, 2, 3)))


def test_independent_jacobians_are_fresh_and_reproducible():
    J = independent_jacobians(5, 6, kind="gaussian", scale=1.0, seed=7, nonlinearity="linear")
    assert J.shape == (6, 5, 5)
    assert not np.allclose(J[0], J[1])
    np.testing.assert_array_equal(J, independent_jacobians(5, 6, kind="gaussian", scale=1.0, seed=7))
    Q = independent_jacobians(6, 5, kind="orthogonal", scale=0.5, seed=1)
    np.testing.assert_allclose(step_spectra(Q).singular_values, 0.5, rtol=1e-12)
    tanh = independent_jacobians(4, 3, kind="identity", scale=2.0, nonlinearity="tanh", bias=0.3)
    # h_0 = 0, so a_1 = b: J_1 = diag(1 - tanh(0.3)^2) * 2I.
    np.testing.assert_allclose(tanh[0], 2.0 * (1 - np.tanh(0.3) ** 2) * np.eye(4))


def test_independent_gaussian_products_follow_newman():
    # Newman (1986), n = 4, sigma = 1: [-0.1352, -0.3283, -0.6352, -1.3283] (REFERENCES.md).
    J = independent_jacobians(4, 10_000, kind="gaussian", scale=1.0, seed=0)
    Q = np.eye(4)
    acc = np.zeros(4)
    for Jt in J:
        Q, R = np.linalg.qr(Jt @ Q)
        acc += np.log(np.abs(np.diag(R)))
    np.testing.assert_allclose(np.sort(acc / len(J))[::-1], [-0.1352, -0.3283, -0.6352, -1.3283], atol=0.03)


# ----------------------------------------------------------------------------- the bound chain


def test_bound_chain_matches_explicit_products_and_holds():
    W, J = tanh_rnn_jacobians()
    P = explicit_log_svs(J)
    norms = step_spectra(J).norm
    bc = bound_chain(P, norms, gamma=1.0, sigma_max=matrix_spectrum(W).norm)
    L = len(J)
    np.testing.assert_array_equal(bc.distance, np.arange(L + 1))
    # distance d = L - k: the norm of J_L ... J_{L-d+1}
    for d in (1, 5, L):
        ref = np.linalg.norm(np.linalg.multi_dot([*J[L - d:][::-1], np.eye(6)]), 2)
        assert bc.log_product_norm[d] == pytest.approx(math.log(ref), rel=1e-10)
        assert bc.log_norm_product[d] == pytest.approx(np.log(norms[L - d:]).sum(), rel=1e-12)
        assert bc.log_uniform_bound[d] == pytest.approx(d * math.log(matrix_spectrum(W).norm))
    assert bc.log_product_norm[0] == 0 and bc.log_norm_product[0] == 0 and bc.log_uniform_bound[0] == 0
    assert bc.holds
    assert np.all(bc.log_product_norm <= bc.log_norm_product + 1e-9)
    assert np.all(bc.log_norm_product <= bc.log_uniform_bound + 1e-9)


def test_bound_chain_detects_a_violation():
    _, J = tanh_rnn_jacobians(T=10)
    P = explicit_log_svs(J)
    norms = step_spectra(J).norm
    assert not bound_chain(P, norms * 0.5, gamma=1.0, sigma_max=100.0).holds   # middle below the top
    assert not bound_chain(P, norms, gamma=1.0, sigma_max=0.01).holds          # outer below the middle


def test_bound_chain_zero_norms_give_minus_infinity():
    J = np.zeros((3, 2, 2))
    P = np.array([[-np.inf, -np.inf]] * 3 + [[0.0, 0.0]])
    bc = bound_chain(P, np.zeros(3), gamma=0.25, sigma_max=0.0)
    assert bc.holds
    assert np.all(np.isneginf(bc.log_norm_product[1:])) and np.all(np.isneginf(bc.log_uniform_bound[1:]))
    with pytest.raises(ValueError, match="one norm per Jacobian"):
        bound_chain(P, np.ones(2), gamma=1.0, sigma_max=1.0)
    del J


# ----------------------------------------------------------------------------- Pascanu's verdict


@pytest.mark.parametrize("W,nl,regime,misleads", [
    (2.0 * np.eye(3), "sigmoid", "vanishing", False),     # 1/4 * 2 < 1
    (2.0 * np.eye(3), "tanh", "may_explode", False),      # rho = sigma = 2
    (np.eye(3), "tanh", "boundary", False),
    (4.0 * np.eye(2), "sigmoid", "boundary", False),
    ([[8.0, 8.0], [-8.0, -8.0]], "tanh", "may_explode", True),  # rho 0, sigma 16
    ([[0.5, 3.0], [0.0, 0.5]], "linear", "may_explode", True),  # Jordan-like: rho 0.5, sigma > 1
    ([[0.5, 3.0], [0.0, 0.5]], "sigmoid", "vanishing", False),  # 1/4 * 3.08 < 1
])
def test_pascanu_verdict_known_cases(W, nl, regime, misleads):
    v = pascanu_verdict(np.array(W, dtype=float), nl)
    assert v.regime == regime and v.eigen_misleads is misleads
    assert v.threshold == pytest.approx(1 / rnnviz.get_nonlinearity(nl).gamma)
    assert v.step_bound == pytest.approx(v.gamma * v.sigma_max)
    assert ("**guaranteed**" in v.summary) == (regime == "vanishing")
    assert ("**sufficient**" in v.message) == (regime == "vanishing")
    assert ("trap" in v.message) == misleads


def test_gaussian_eigenvalue_trap_at_scale_point_seven():
    # Circular law vs the edge of Marchenko-Pastur: rho ~ 0.7 < 1 < sigma_max ~ 1.4.
    v = pascanu_verdict(recurrent_matrix("gaussian", 128, scale=0.7, seed=0), "linear")
    assert v.radius < 1 < v.sigma_max and v.eigen_misleads


# ----------------------------------------------------------------------------- the nilpotent example


def test_nilpotent_example_fixed_point_bias_and_jacobian():
    ex = nilpotent_example()
    np.testing.assert_array_equal(ex.W @ ex.W, np.zeros((2, 2)))
    np.testing.assert_allclose(np.tanh(ex.W @ ex.h_star + ex.b), ex.h_star, atol=1e-15)
    np.testing.assert_allclose(ex.b, np.arctanh(ex.h_star) - ex.W @ ex.h_star)
    # diag(f'(a*)) W: row 2 scaled by 1 - (1/2)^2 = 3/4.
    np.testing.assert_allclose(ex.J, [[8.0, 8.0], [-6.0, -6.0]], rtol=1e-14)
    np.testing.assert_allclose(ex.J @ ex.J, 2 * ex.J, rtol=1e-14)
    # Pascanu's convention W diag(f') gives REFERENCES' [[8, 6], [-8, -6]]: same eigenvalues (0, 2).
    np.testing.assert_allclose(ex.W * rnnviz.get_nonlinearity("tanh").df(ex.a_star)[None, :],
                               [[8.0, 6.0], [-8.0, -6.0]], rtol=1e-14)
    np.testing.assert_allclose(np.sort(np.linalg.eigvals(ex.J).real), [0.0, 2.0], atol=1e-12)


def test_nilpotent_power_norms_closed_form():
    ex = nilpotent_example()
    logs = ex.log_power_norms(60)
    for l in range(1, 61):
        ref = np.linalg.norm(np.linalg.matrix_power(ex.J, l), 2)
        assert logs[l - 1] == pytest.approx(math.log(ref), rel=1e-12)
        assert math.exp(logs[l - 1]) == pytest.approx(2 ** (l - 1) * math.sqrt(200), rel=1e-12)


def test_nilpotent_bound_chain():
    ex = nilpotent_example()
    L = 30
    J = np.repeat(ex.J[None], L, axis=0)
    bc = bound_chain(explicit_log_svs(J), np.full(L, math.sqrt(200)), gamma=1.0, sigma_max=16.0)
    d = np.arange(1, L + 1)
    np.testing.assert_allclose(bc.log_product_norm[1:], (d - 1) * math.log(2) + 0.5 * math.log(200), rtol=1e-10)
    np.testing.assert_allclose(bc.log_norm_product[1:], d * 0.5 * math.log(200), rtol=1e-12)
    np.testing.assert_allclose(bc.log_uniform_bound[1:], d * math.log(16), rtol=1e-12)
    assert bc.holds


# ----------------------------------------------------------------------------- budget


def test_work_plan_full_where_cheap_capped_where_not():
    small = work_plan(16, 10_000)
    assert small.product_steps == 10_000 and not small.product_truncated
    assert small.spectra_steps == 1500 and small.spectra_sampled
    big = work_plan(256, 10_000)
    assert 50 <= big.product_steps < 10_000 and big.product_truncated
    assert 30 <= big.spectra_steps <= 1500
    huge = work_plan(512, 10_000)                  # an uploaded matrix: floors, not the budget
    assert huge.product_steps == 16 and huge.spectra_steps == 12
    tiny = work_plan(2, 7)
    assert tiny.product_steps == 7 and tiny.spectra_steps == 7


@pytest.mark.parametrize("n, T", [(64, 10_000), (128, 1000), (128, 10_000), (256, 300), (256, 10_000), (33, 9999)])
def test_full_horizon_budget_is_the_smallest_that_covers_every_step(n, T):
    seconds = rnnviz.full_horizon_budget(n, T)
    assert seconds > 1.0 and work_plan(n, T).product_truncated
    assert work_plan(n, T, seconds=seconds).product_steps == T
    assert work_plan(n, T, seconds=seconds * (T - 1) / (T + 0.5)).product_steps < T   # no more than needed


def test_full_horizon_budget_where_nothing_is_cut_or_nothing_can_help():
    assert rnnviz.full_horizon_budget(16, 10_000) == 1.0            # the default already covers it
    assert rnnviz.full_horizon_budget(256, 10_000, stack=True) is None  # 10,000 fresh 256 × 256 matrices: 5 GB
    with pytest.raises(ValueError, match="T"):
        rnnviz.full_horizon_budget(8, 0)


# ----------------------------------------------------------------------------- charts (rnnviz.charts.spectral)


def test_charts_thin_long_horizons_and_survive_infinities():
    from rnnviz.charts import spectral as ch

    L, n = 10_000, 20
    P = -np.outer(np.arange(L + 1), np.linspace(0.01, 3.0, n))     # distance order, down to -30,000 (ln)
    P[:, -1] = -np.inf                                             # an exact zero singular value
    df = ch.product_spectrum_frame(np.arange(L + 1), P)
    assert df.groupby("index").size().max() <= 1500 and len(df) <= ch.MAX_ROWS
    assert set(df["index"]) >= {1, n}                              # largest and smallest always drawn
    last = df[df["index"] == n]
    assert last["log10"].isna().all() and (last["value"] == "0 (exactly)").all()
    deep = df[(df["index"] == 1) & (df["distance"] == L)]
    assert deep["log10"].iloc[0] == pytest.approx(P[L, 0] / math.log(10))
    assert "e-" in deep["value"].iloc[0]
    ch.product_spectrum_chart(np.arange(L + 1), P).to_dict()       # a valid Vega-Lite spec


def test_step_chart_pins_zeros_near_the_data_not_at_1e_minus_300():
    from rnnviz.charts import spectral as ch

    sv = np.array([[2.0, 0.5], [1.0, 0.0], [np.inf, 0.1]])
    df = ch.step_spectra_frame(np.array([1, 2, 3]), sv, np.array([1.5, 0.9, np.nan]))
    assert df["smallest"].iloc[1] == pytest.approx(0.01)          # a tenth of the smallest positive value
    assert df["smallest_text"].iloc[1] == "0 (exactly)"
    assert df["largest_text"].iloc[2] == "∞" and df["radius_text"].iloc[2] == "not a number"
    ch.step_spectra_chart(np.array([1, 2, 3]), sv, np.array([1.5, 0.9, np.nan]), gamma_sigma=2.0).to_dict()


def test_bound_chain_and_lyapunov_and_eigen_charts_are_valid():
    from rnnviz.charts import spectral as ch

    d = np.arange(5)
    df = ch.bound_chain_frame(d, -d * 1.0, -d * 0.5, np.where(d == 0, 0.0, -np.inf),
                              extra=("closed form", d * 0.7))
    assert set(df["quantity"]) == {*ch.BOUND_LABELS, "closed form"}
    assert df[df["quantity"] == ch.BOUND_LABELS[2]]["log10"].isna().sum() == 4
    ch.bound_chain_chart(d, -d * 1.0, -d * 0.5, d * 0.0).to_dict()
    ly = ch.lyapunov_frame([0.1, -0.2, -np.inf], [0.1, -0.25, -np.inf])
    assert ly["difference"].iloc[1] == pytest.approx(0.05) and np.isnan(ly["estimate"].iloc[2])
    ch.lyapunov_chart([0.1, -0.2], theory=[0.1, -0.25], theory_label="Newman").to_dict()
    ch.eigenvalue_chart(np.array([0.5 + 0.5j, 0.5 - 0.5j]), np.array([2.0, 0.0]), t=3).to_dict()


def test_axes_never_zoom_into_rounding_noise():
    from rnnviz.charts.spectral import padded_domain

    lo, hi = padded_domain(np.array([1e-15, -2e-15, 0.0]), min_span=2.0)
    assert hi - lo >= 2.0 and lo < 0 < hi
    lo, hi = padded_domain(np.array([-300.0, -1.0, -np.inf]), min_span=2.0)
    assert lo < -300 and -1 < hi < 20
    lo, hi = padded_domain(np.array([-0.5, -0.4]), min_span=0.2, include_zero=True)
    assert lo < -0.5 and hi > 0
    assert padded_domain(np.array([np.nan]), min_span=1.0) == pytest.approx([-0.54, 0.54])


def test_analysis_last_jacobian_is_step_T():
    from rnnviz.spectral import Setting, spectral_analysis, step_at

    s = Setting(n=6, T=40, nonlinearity="tanh", scale=1.3)
    r = spectral_analysis(s)
    W, J = step_at(s, 40)
    np.testing.assert_allclose(r.J_last, J, rtol=1e-12)
    np.testing.assert_allclose(r.W, W)
    assert r.chain.holds and r.product_error is None
    np.testing.assert_allclose(r.lyapunov, r.product_log_sv[-1] / 40)



def test_analysis_carries_the_numbers_the_page_shows():
    from rnnviz.spectral import Setting, full_horizon_budget, spectra_at, spectral_analysis, step_at

    # A linear RNN with a repeated W: the exact exponents are log|λ|, the window is every step.
    s = Setting(n=5, T=30, nonlinearity="linear", scale=0.8, seed=3)
    r = spectral_analysis(s)
    assert r.n == 5 and r.usable_steps == 30 and not r.product_truncated and r.full_horizon_budget is None
    gaps = np.abs(r.lyapunov - r.theory)
    assert r.theory_gap == pytest.approx(float(np.max(gaps[np.isfinite(gaps)])))
    assert r.first_dead_distance is None and r.dead_step is None and not r.product_has_zeros
    assert r.chain.log10_gradient == pytest.approx(r.chain.log_product_norm[-1] / math.log(10))
    assert r.log10_top_singular_value(30) == pytest.approx(np.log10(np.linalg.norm(
        np.linalg.matrix_power(r.W, 30), 2)), rel=1e-9)
    # the step spectra reuse the last Jacobian only where it is the same step
    for t in (7, 30):
        w, j = spectra_at(s, t, analysis=r)
        assert j.norm == pytest.approx(np.linalg.norm(step_at(s, t)[1], 2), rel=1e-12)
    # ReLU units switched off by a large negative bias: J_t = 0 from the first step back
    dead = spectral_analysis(Setting(n=4, T=20, nonlinearity="relu", bias=-3.0, input_scale=0.0))
    assert dead.first_dead_distance == 1 and dead.dead_step == 20 and dead.product_has_zeros
    # a horizon cut for cost: the budget that covers it, and the overflow that shortens it
    big = spectral_analysis(Setting(n=16, T=500), seconds=0.001)
    assert big.product_truncated and big.full_horizon_budget == full_horizon_budget(16, 500)
    assert big.full_horizon_wait > 0
    blown = spectral_analysis(Setting(n=4, T=2000, nonlinearity="linear", scale=4.0))
    assert blown.overflow_step is not None and blown.usable_steps == blown.overflow_step - 1


# --------------------------------------------------------------------------------------------
# The gated cure: a GRU on the same W and drive (issue 9)
# --------------------------------------------------------------------------------------------

SP = rnnviz.spectral


def test_gru_product_matches_an_explicit_product():
    from dataclasses import replace

    setting = SP.Setting(n=4, T=12, scale=1.2, seed=3, input_scale=0.5, bias=0.1)
    got = SP.gru_product(setting, update_bias=0.5)
    assert got.window == 12 and got.distance.tolist() == list(range(13))
    # Independent reference: the GRU by hand, its Jacobians by central differences, explicit products.
    p = rnnviz.init_gru(4, 4, scale=1.2, update_bias=0.5, seed=3)
    p = replace(p, W_in=np.eye(4), b_in=np.full(4, 0.1))
    assert np.array_equal(p.W_hn, SP.recurrent_matrix("gaussian", 4, scale=1.2, seed=3))
    xs = SP.drive_inputs(12, 4, scale=0.5, seed=3)
    sig = lambda v: 1 / (1 + np.exp(-v))

    def step(h, x):
        r = sig(p.W_ir @ x + p.W_hr @ h + p.b_r)
        z = sig(p.W_iz @ x + p.W_hz @ h + p.b_z)
        c = np.tanh(p.W_in @ x + p.b_in + r * (p.W_hn @ h + p.b_hn))
        return (1 - z) * c + z * h

    hs = [np.zeros(4)]
    for x in xs:
        hs.append(step(hs[-1], x))
    eps = 1e-6
    J = [np.column_stack([(step(hs[t] + eps * e, xs[t]) - step(hs[t] - eps * e, xs[t])) / (2 * eps)
                          for e in np.eye(4)]) for t in range(12)]
    prod = np.eye(4)
    for d in range(1, 13):
        prod = prod @ J[12 - d]
        np.testing.assert_allclose(got.log_sv[d], np.log(np.linalg.svd(prod, compute_uv=False)), atol=1e-6)
    np.testing.assert_allclose(got.log_sv[0], 0.0, atol=1e-12)


def test_update_gate_near_one_keeps_the_gradient_where_the_plain_rnn_loses_it():
    setting = SP.Setting(n=32, T=300)
    plain = SP.spectral_analysis(setting)
    biases = (-3.0, 1.0, 5.0)
    gru = {b: SP.gru_product(setting, update_bias=b, window=plain.window) for b in biases}
    top = {b: g.log_sv[-1, 0] for b, g in gru.items()}
    assert top[-3.0] < top[1.0] < top[5.0]
    assert gru[5.0].mean_update_gate > 0.98
    assert top[5.0] > -3.0                              # within e^-3 of 1 across 300 steps
    assert plain.product_log_sv[-1, 0] < -30.0          # the plain RNN: below e^-30
    assert gru[5.0].window == plain.window == 300


def test_gru_product_rejects_what_it_cannot_compare():
    with pytest.raises(ValueError, match="GRU comparison"):
        SP.gru_product(SP.Setting(iid=True))
    with pytest.raises(ValueError, match="GRU comparison"):
        SP.gru_product(SP.Setting(source="nilpotent"))
    with pytest.raises(ValueError, match="update-gate bias"):
        SP.gru_product(SP.Setting(), update_bias=50.0)


def test_gru_product_is_deterministic():
    a = SP.gru_product(SP.Setting(n=8, T=50, seed=4), update_bias=2.0)
    b = SP.gru_product(SP.Setting(n=8, T=50, seed=4), update_bias=2.0)
    np.testing.assert_array_equal(a.log_sv, b.log_sv)


def test_gru_product_covers_the_plain_window_without_the_stack_in_memory():
    # n = 64, T = 3000: the (T, n, n) stack of GRU Jacobians would take 98 MB (it used to cap the GRU
    # at 2,048 steps); built 8 MB at a time, the GRU covers the plain RNN's whole window
    import tracemalloc

    setting = SP.Setting(n=64, T=3000)
    tracemalloc.start()
    try:
        g = SP.gru_product(setting, update_bias=3.0, window=3000)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert g.window == 3000 and g.log_sv.shape == (3001, 64) and np.isfinite(g.log_sv).all()
    assert peak < 64 * 2**20, f"peak {peak / 2**20:.0f} MB"


# --------------------------------------------------------------------------- argument checks


@pytest.mark.parametrize("steps", [float("nan"), "x", 1j, float("inf"), 1e308, 3])
def test_step_spectra_refuses_non_list_steps(steps):
    with pytest.raises(ValueError, match="steps"):
        step_spectra(np.stack([0.5 * np.eye(2)] * 3), steps=steps)


@pytest.mark.parametrize("steps", [[1, 2, 2.5], [0, 1, 2], [1, 2, 10**6], [1, 2, float("nan")]])
def test_step_spectra_refuses_bad_step_numbers(steps):
    with pytest.raises(ValueError, match="steps"):
        step_spectra(np.stack([0.5 * np.eye(2)] * 3), steps=steps)


def test_step_spectra_keeps_given_steps():
    out = step_spectra(np.stack([0.5 * np.eye(2)] * 3), steps=[4.0, 7, 9])
    assert out.steps.tolist() == [4, 7, 9] and out.steps.dtype.kind == "i"


@pytest.mark.parametrize("kw,word", [
    (dict(n=10**12), "n"), (dict(scale=1e308), "input scale"), (dict(seed=-1), "seed"),
    (dict(seed=2.5), "seed"), (dict(seed=None), "seed"), (dict(seed=float("nan")), "seed"),
])
def test_drive_inputs_refuses(kw, word):
    args = dict(T=10, n=3, scale=1.0, seed=0) | kw
    with pytest.raises(ValueError, match=word):
        drive_inputs(**args)


@pytest.mark.parametrize("kw,word", [
    (dict(n=10**12), "n"), (dict(input_scale=1e308), "input_scale"), (dict(bias=float("nan")), "bias"),
    (dict(bias="x"), "bias"), (dict(bias=1j), "bias"), (dict(bias=None), "bias"),
    (dict(n=1024, T=100), "MB"),
])
def test_independent_jacobians_refuses(kw, word):
    args = dict(n=3, T=5) | kw
    with pytest.raises(ValueError, match=word):
        independent_jacobians(**args)


def test_work_plan_refuses_unbounded_seconds():
    with pytest.raises(ValueError, match="seconds"):
        work_plan(8, 100, seconds=1e308)


@pytest.mark.parametrize("d", [np.array([[0.5, np.nan]]), np.array([[0.5, np.inf]]), np.ones((3, 1)),
                               [[1.0, 2.0], [3.0]]])
def test_step_norms_refuses_bad_d(d):
    from rnnviz.spectral import step_norms

    with pytest.raises(ValueError, match=r"\bd\b"):
        step_norms(0.5 * np.eye(2), d)


@pytest.mark.parametrize("call", [lambda bad: matrix_spectrum(bad), lambda bad: pascanu_verdict(bad),
                                  lambda bad: step_spectra([bad, bad])])
def test_ragged_lists_are_named(call):
    with pytest.raises(ValueError, match="matrix|W|jacobians"):
        call([[1.0, 2.0], [3.0]])


def test_analysis_charts_of_the_page():
    from rnnviz.charts.spectral import analysis_charts
    from rnnviz.spectral import Setting, spectral_analysis

    charts = analysis_charts(spectral_analysis(Setting(source="nilpotent", T=20)))
    assert set(charts) == {"steps", "product", "lyapunov", "chain"}
    chain = charts["chain"].to_dict()  # validates against the Vega-Lite schema
    assert "closed form 2^(l−1)·√200" in str(chain)   # the nilpotent example's closed form, drawn on the chain
