"""The cliff (Pascanu, Mikolov and Bengio 2013, figure 6) against independent computations."""

from __future__ import annotations

import math

import numpy as np
import pytest

from rnnviz import cliff as K
from rnnviz.clipping import clip_by_norm


def sig(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def paper_form(w: float, b: float, steps: int = 50) -> tuple[float, float]:
    """REFERENCES.md's formulation: x_t = w sigma(x_{t-1}) + b, x_0 = 0.5, E = (sigma(x_50) - 0.7)^2."""
    x = 0.5
    for _ in range(steps):
        x = w * sig(x) + b
    return sig(x), (sig(x) - 0.7) ** 2


POINTS = [(5.0, -2.3), (5.0, -2.9), (4.2, -2.0), (5.9, -3.1), (3.0, 1.0), (-2.0, 0.5), (5.0, -2.6)]


@pytest.mark.parametrize("w, b", POINTS)
def test_issue_and_paper_formulations_agree(w, b):
    # Issue 6 writes h_t = sigma(w h_{t-1} + b), h_0 = sigma(0.5), E = (h_50 - 0.7)^2; with
    # x_t = w h_{t-1} + b that is exactly the paper's recursion, h_t = sigma(x_t).
    v = K.cliff_loss_and_grad(w, b)
    h, loss = paper_form(w, b)
    assert float(v.h_final) == pytest.approx(h, rel=1e-12)
    assert float(v.loss) == pytest.approx(loss, rel=1e-10, abs=1e-15)


def test_wall_position_closed_form():
    b_star = K.cliff_wall_b(5.0)
    assert b_star == pytest.approx(0.5 - 5.0 * sig(0.5), rel=1e-15)
    assert b_star == pytest.approx(-2.6123, abs=5e-5)


def test_the_wall_at_w5():
    b_star = K.cliff_wall_b(5.0)
    below = K.cliff_loss_and_grad(5.0, b_star - 1e-3)
    above = K.cliff_loss_and_grad(5.0, b_star + 1e-3)
    # A hair below b* the state falls to the low fixed point (h ~ 0.11), a hair above it climbs (h ~ 0.80).
    assert float(below.h_final) < 0.15 and float(above.h_final) > 0.75
    assert float(below.loss) - float(above.loss) > 0.3
    # On the wall itself the slope is in the hundreds or more; far from it, below 1.
    b = np.linspace(b_star - 2e-3, b_star + 2e-3, 401)
    steep = K.cliff_loss_and_grad(5.0, b)
    assert np.max(np.abs(steep.dE_db)) > 500
    assert abs(float(b[np.argmax(np.abs(steep.dE_db))]) - b_star) < 2e-4
    flat = K.cliff_loss_and_grad(5.0, np.array([-3.2, -2.9, -2.3, -2.0]))
    assert np.all(np.abs(flat.dE_db) < 1.0)


@pytest.mark.parametrize("w, b, h", [(5.0, -2.3, 1e-6), (5.0, -2.9, 1e-6), (4.3, -2.0, 1e-6),
                                     (5.5, -2.8, 1e-6), (2.0, -1.0, 1e-6),
                                     (5.0, -2.6123 + 2e-3, 1e-8), (5.0, -2.6123 - 2e-3, 1e-8)])
def test_gradient_matches_central_differences(w, b, h):
    v = K.cliff_loss_and_grad(w, b)
    fd_w = (paper_form(w + h, b)[1] - paper_form(w - h, b)[1]) / (2 * h)
    fd_b = (paper_form(w, b + h)[1] - paper_form(w, b - h)[1]) / (2 * h)
    assert float(v.dE_dw) == pytest.approx(fd_w, rel=1e-5, abs=1e-8)
    assert float(v.dE_db) == pytest.approx(fd_b, rel=1e-5, abs=1e-8)


def test_scalar_path_and_vectorised_grid_agree():
    rng = np.random.default_rng(0)
    w = rng.uniform(3.5, 6.5, 40)
    b = rng.uniform(-3.3, -1.8, 40)
    v = K.cliff_loss_and_grad(w, b)
    for i in range(40):
        e, gw, gb = K._evaluate_scalar(w[i], b[i], 50, 0.5, 0.7)
        assert e == pytest.approx(v.loss[i], rel=1e-12, abs=1e-300)
        assert gw == pytest.approx(v.dE_dw[i], rel=1e-9, abs=1e-14)
        assert gb == pytest.approx(v.dE_db[i], rel=1e-9, abs=1e-14)


def test_surface_grid():
    s = K.cliff_surface(w_range=(4.0, 6.0), b_range=(-3.0, -2.0), n_w=7, n_b=5)
    assert s.loss.shape == (5, 7) == s.dE_dw.shape == s.dE_db.shape
    np.testing.assert_allclose(s.w, np.linspace(4, 6, 7))
    for i, b in enumerate(s.b):
        for j, w in enumerate(s.w):
            assert s.loss[i, j] == pytest.approx(paper_form(w, b)[1], rel=1e-10, abs=1e-15)
    assert s.wall_b == pytest.approx(K.cliff_wall_b(5.0))


def test_descent_first_steps_by_hand():
    lr = 0.3
    p = K.cliff_descent(5.0, -2.9, lr=lr, iterations=3)
    v = K.cliff_loss_and_grad(5.0, -2.9)
    assert p.w[1] == pytest.approx(5.0 - lr * float(v.dE_dw), rel=1e-12)
    assert p.b[1] == pytest.approx(-2.9 - lr * float(v.dE_db), rel=1e-12)
    assert len(p.w) == len(p.b) == len(p.loss) == 4 and len(p.step_length) == 3
    assert p.loss[0] == pytest.approx(float(v.loss))
    # With a threshold the step is lr times the clip_by_norm'ed gradient.
    q = K.cliff_descent(5.0, -2.6123 + 1e-4, lr=lr, iterations=1, max_norm=0.5)
    g = K.cliff_loss_and_grad(5.0, -2.6123 + 1e-4)
    (gc,), total = clip_by_norm([np.array([float(g.dE_dw), float(g.dE_db)])], 0.5)
    assert total > 0.5 and q.clipped[0]
    assert q.w[1] == pytest.approx(5.0 - lr * gc[0], rel=1e-12)
    assert q.b[1] == pytest.approx(-2.6123 + 1e-4 - lr * gc[1], rel=1e-12)


def test_unclipped_step_is_thrown_away_clipped_is_not():
    kw = dict(lr=0.5, iterations=100)
    free = K.cliff_descent(5.0, -2.9, **kw)
    held = K.cliff_descent(5.0, -2.9, max_norm=1.0, **kw)
    assert free.w[0] == held.w[0] and free.b[0] == held.b[0]
    # The unclipped run meets the wall and one step carries it several units away...
    k = free.biggest_step
    assert free.grad_norm[k] > 5 and free.step_length[k] > 3
    assert np.hypot(free.w[-1] - 5.0, free.b[-1] + 2.9) > 4
    # ...onto a plateau (h_50 ~ 1, E ~ 0.09) where it stays; the clipped run keeps every step
    # at most lr * max_norm and ends in the valley next to the wall.
    assert np.all(held.step_length <= 0.5 * 1.0 + 1e-12) and held.clipped.any()
    assert free.loss[-1] > 0.08 and held.loss[-1] < 0.01
    assert free.stopped_at is None and held.stopped_at is None


def test_descent_leaving_the_range_is_reported_not_raised():
    p = K.cliff_descent(5.0, K.cliff_wall_b(5.0) - 1e-9, lr=500.0, iterations=5)
    assert p.stopped_at is not None
    assert math.isnan(p.loss[-1])
    assert len(p.w) == len(p.loss)


@pytest.mark.parametrize("kwargs, match", [
    (dict(lr=0.0), "learning rate"), (dict(lr=-1.0), "learning rate"), (dict(iterations=0), "iterations"),
    (dict(max_norm=0.0), "max_norm"), (dict(max_norm=-1.0), "max_norm"), (dict(start_w=math.nan), "start w"),
    (dict(start_b=1e3), "start b"), (dict(steps=0), "steps"),
])
def test_descent_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        K.cliff_descent(**kwargs)


def test_surface_and_point_bad_arguments():
    with pytest.raises(ValueError, match="smaller to a larger"):
        K.cliff_surface(w_range=(6.0, 4.0))
    with pytest.raises(ValueError, match="n_w"):
        K.cliff_surface(n_w=1)
    with pytest.raises(ValueError, match="w must be finite"):
        K.cliff_loss_and_grad(np.array([1.0, np.inf]), 0.0)
    with pytest.raises(ValueError, match="broadcast"):
        K.cliff_loss_and_grad(np.ones(3), np.ones(4))
    with pytest.raises(ValueError, match="target"):
        K.cliff_loss_and_grad(5.0, -2.0, target=1.5)


def test_the_page_presets_say_what_happens():
    """The captions of the clipping page's cliff presets, checked against the computation."""
    free = K.cliff_descent(5.0, -2.9, lr=0.5, iterations=100)
    assert free.biggest_step == 38 and free.step_length[38] == pytest.approx(5.16, abs=0.01)
    tiny = K.cliff_descent(5.0, -2.9, lr=0.05, iterations=300)
    assert np.median(tiny.step_length) == pytest.approx(0.003, abs=5e-4)
    assert tiny.step_length.max() == pytest.approx(0.8, abs=0.02)
    assert tiny.loss[-1] > 10 * K.cliff_descent(5.0, -2.9, lr=0.05, iterations=300, max_norm=1.0).loss[-1]
    far = K.cliff_descent(4.5, -2.4, lr=1.0, iterations=100)
    assert far.biggest_step == 3 and far.step_length[3] == pytest.approx(26.8, abs=0.1)
    assert (far.w[4], far.b[4]) == (pytest.approx(18.4, abs=0.05), pytest.approx(20.6, abs=0.05))
    assert np.all(far.step_length[5:] < 1e-6)   # on the plateau it never moves again


def test_cross_section_zooms_on_the_wall():
    sec = K.cliff_section(5.0, b_range=(-3.3, -1.2), points=50, zoom=0.01, zoom_points=101)
    assert sec.wall_b == pytest.approx(K.cliff_wall_b(5.0))
    assert np.all(np.diff(sec.b) > 0) and sec.b[0] == -3.3 and sec.b[-1] == -1.2
    assert np.count_nonzero(np.abs(sec.b - sec.wall_b) <= 0.01) >= 101
    v = K.cliff_loss_and_grad(5.0, sec.b)
    np.testing.assert_array_equal(sec.loss, v.loss)
    assert sec.peak_slope == np.max(np.abs(v.dE_db)) and sec.peak_slope > 100
    # w = 6.4: b* = -3.48 is outside the range, so no zoom points are kept and the slope stays small.
    far = K.cliff_section(6.4, b_range=(-3.3, -1.2), points=50)
    assert len(far.b) == 50 and far.peak_slope < 1
    with pytest.raises(ValueError, match="smaller to a larger"):
        K.cliff_section(5.0, b_range=(-1.0, -2.0))


# --------------------------------------------------------------------------- hostile settings (issue 8)

@pytest.mark.parametrize("bad", [None, (), "ab", float("nan"), (1.0, 2.0, 3.0), [[1.0, 2.0], [3.0]], (1j, 2.0)])
@pytest.mark.parametrize("arg", ["w_range", "b_range"])
def test_ranges_must_be_pairs(arg, bad):
    name = arg.replace("_", " ")
    with pytest.raises(ValueError, match=rf"^{name} must be a pair \(low, high\)"):
        K.cliff_surface(**{arg: bad})
    if arg == "b_range":
        with pytest.raises(ValueError, match=rf"^{name} must be a pair"):
            K.cliff_section(5.0, b_range=bad)


def test_section_checks_x0_and_zoom_before_computing():
    for bad in ("x", 1j, None, [1.0]):
        with pytest.raises(ValueError, match=r"^x0 must be a number"):
            K.cliff_section(5.0, x0=bad)
    with pytest.raises(ValueError, match=r"^zoom must be at most 200"):
        K.cliff_section(5.0, zoom=1e308)


def test_point_arguments_named():
    with pytest.raises(ValueError, match=r"^w must be an array of real numbers"):
        K.cliff_loss_and_grad("x", 0.0)
    with pytest.raises(ValueError, match=r"^b must hold real numbers"):
        K.cliff_loss_and_grad(5.0, 1j)


def test_wall_min_w_x0_bounded_and_stable():
    with pytest.raises(ValueError, match=r"^x0 must be at most 50"):
        K.cliff_wall_min_w(x0=1e12)
    # 1/sigmoid'(50) = 2 + e^50 + e^-50, with no 0 from 1 - sigmoid(50) rounding to 0
    assert K.cliff_wall_min_w(x0=50.0) == pytest.approx(2.0 + math.exp(50.0), rel=1e-12)
    assert K.cliff_wall_min_w() == pytest.approx(2.0 + math.exp(0.5) + math.exp(-0.5), rel=1e-12)
