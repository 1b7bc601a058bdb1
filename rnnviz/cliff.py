"""The cliff of Pascanu, Mikolov and Bengio (2013, figure 6): why clipping by norm helps.

One sigmoid unit run for T = 50 steps,

    h_t = sigmoid(w h_{t-1} + b),   h_0 = sigmoid(x_0) with x_0 = 0.5,   E = (h_T - 0.7)^2.

Writing ``x_t = w h_{t-1} + b`` gives the paper's form ``x_t = w sigmoid(x_{t-1}) + b`` with
``h_t = sigmoid(x_t)``: the two are the same recursion. For w = 5 the point x = x_0 is a
fixed point exactly when ``b* = x_0 - w sigmoid(x_0) ≈ -2.6123``; it is unstable
(``w sigmoid'(x_0) ≈ 1.18 > 1``), so a hair above b* the state climbs to the upper fixed
point and a hair below it falls to the lower one. After 50 steps that difference is a
wall in the loss surface where ``|dE/db|`` reaches the thousands, and a gradient step
taken there throws the parameters far away, unless the gradient is clipped by norm.

Everything is vectorised: ``w`` and ``b`` may be arrays of any broadcastable shapes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.special import expit

from ._validate import as_array, check_float, check_int
from .clipping import clip_by_norm

#: The paper's settings.
CLIFF_STEPS = 50
CLIFF_X0 = 0.5
CLIFF_TARGET = 0.7

#: Parameter range the functions accept (keeps the tangents finite: |w sigma'| <= |w|/4).
MAX_ABS_PARAM = 50.0
MAX_GRID = 400


def cliff_wall_b(w: float = 5.0, *, x0: float = CLIFF_X0) -> float:
    """The bias ``b* = x0 - w·sigmoid(x0)`` at which x0 is a fixed point: where the wall stands."""
    w = check_float(w, "w")
    x0 = check_float(x0, "x0")
    return float(x0 - w * expit(x0))


def cliff_wall_min_w(*, x0: float = CLIFF_X0) -> float:
    """The smallest w for which b*(w) is the watershed: ``1 / sigmoid'(x0)`` (≈ 4.26).

    Above it x0 is an *unstable* fixed point at b = b*(w), so states started on either side of
    b* run to different attractors: the wall lies exactly on b*(w). Below it x0 is a stable fixed
    point there, and the (softer) transition between the attractors lies elsewhere, at a fold.
    """
    x0 = check_float(x0, "x0", low=-MAX_ABS_PARAM, high=MAX_ABS_PARAM)
    # sigmoid'(x0) = sigmoid(x0) sigmoid(-x0): no cancellation in 1 - sigmoid(x0) for large x0
    return float(1.0 / (expit(x0) * expit(-x0)))


@dataclass(frozen=True)
class CliffValues:
    """Loss and exact gradient at each (w, b): arrays of the broadcast shape of the inputs."""

    loss: np.ndarray
    dE_dw: np.ndarray
    dE_db: np.ndarray
    h_final: np.ndarray


def _check_range(value, name: str) -> tuple[float, float]:
    """A pair ``(lo, hi)`` of finite numbers with ``-50 <= lo < hi <= 50``."""
    accepted = f"a pair (low, high) of numbers between -{MAX_ABS_PARAM:g} and {MAX_ABS_PARAM:g}, low < high"
    try:
        pair = as_array(value, name, finite=False, allow_empty=True)
    except ValueError as exc:
        raise ValueError(f"{name} must be {accepted}; got {value!r}.") from exc
    if pair.shape != (2,):
        raise ValueError(f"{name} must be {accepted}; got {value!r}.")
    lo, hi = (check_float(v, name, low=-MAX_ABS_PARAM, high=MAX_ABS_PARAM) for v in pair.tolist())
    if not lo < hi:
        raise ValueError(f"{name} must run from a smaller to a larger number; got {tuple(value)!r}.")
    return lo, hi


def _check_common(steps, x0, target) -> tuple[int, float, float]:
    steps = check_int(steps, "steps", low=1, high=1000)
    x0 = check_float(x0, "x0", low=-MAX_ABS_PARAM, high=MAX_ABS_PARAM)
    target = check_float(target, "target", low=0.0, high=1.0)
    return steps, x0, target


def _evaluate(w: np.ndarray, b: np.ndarray, steps: int, x0: float, target: float) -> CliffValues:
    """Forward pass with forward-mode tangents dh/dw and dh/db, over whole arrays at once."""
    w, b = np.broadcast_arrays(np.asarray(w, dtype=np.float64), np.asarray(b, dtype=np.float64))
    h = np.full(w.shape, expit(x0))
    dh_dw = np.zeros(w.shape)
    dh_db = np.zeros(w.shape)
    # |w sigma'| <= |w| / 4, so with |w| <= 50 and steps <= 1000 the tangents could overflow only in
    # pathological corners; they are reported as inf rather than raised.
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(steps):
            a = w * h + b
            s = expit(a)
            ds = s * (1.0 - s)
            dh_dw = ds * (h + w * dh_dw)
            dh_db = ds * (1.0 + w * dh_db)
            h = s
        r = h - target
        return CliffValues(loss=r * r, dE_dw=2.0 * r * dh_dw, dE_db=2.0 * r * dh_db, h_final=h)


def _sigmoid(a: float) -> float:
    if a >= 0.0:
        return 1.0 / (1.0 + math.exp(-a))
    e = math.exp(a)
    return e / (1.0 + e)


def _evaluate_scalar(w: float, b: float, steps: int, x0: float, target: float) -> tuple[float, float, float]:
    """The same recursion as :func:`_evaluate` for one point in plain floats (about 20× faster
    than 0-d arrays; a descent path evaluates one point per iteration). Returns (E, dE/dw, dE/db)."""
    h = _sigmoid(x0)
    dh_dw = dh_db = 0.0
    for _ in range(steps):
        s = _sigmoid(w * h + b)
        ds = s * (1.0 - s)
        dh_dw = ds * (h + w * dh_dw)
        dh_db = ds * (1.0 + w * dh_db)
        h = s
    r = h - target
    return r * r, 2.0 * r * dh_dw, 2.0 * r * dh_db


def cliff_loss_and_grad(w, b, *, steps: int = CLIFF_STEPS, x0: float = CLIFF_X0,
                        target: float = CLIFF_TARGET) -> CliffValues:
    """``E(w, b)`` and its exact gradient ``(dE/dw, dE/db)`` for arrays (or scalars) ``w`` and ``b``.

    The gradient is computed by forward-mode differentiation of the recursion
    (``dh_t/dθ = sigmoid'(a_t)(∂a_t/∂θ + w dh_{t-1}/dθ)``), exact up to rounding.
    """
    steps, x0, target = _check_common(steps, x0, target)
    warr = as_array(w, "w", allow_empty=True, finite=False)
    barr = as_array(b, "b", allow_empty=True, finite=False)
    for name, arr in (("w", warr), ("b", barr)):
        if not np.all(np.isfinite(arr)) or np.any(np.abs(arr) > MAX_ABS_PARAM):
            raise ValueError(f"{name} must be finite with |{name}| <= {MAX_ABS_PARAM:g}.")
    try:
        np.broadcast_shapes(warr.shape, barr.shape)
    except ValueError as exc:
        raise ValueError(f"w (shape {warr.shape}) and b (shape {barr.shape}) cannot be broadcast together.") from exc
    return _evaluate(warr, barr, steps, x0, target)


@dataclass(frozen=True)
class CliffSurface:
    """The loss and its gradient on a grid: arrays of shape (len(b), len(w))."""

    w: np.ndarray
    b: np.ndarray
    loss: np.ndarray
    dE_dw: np.ndarray
    dE_db: np.ndarray
    wall_b: float  # b* for the middle w of the grid


def cliff_surface(*, w_range: tuple[float, float] = (4.0, 6.0), b_range: tuple[float, float] = (-3.2, -2.0),
                  n_w: int = 81, n_b: int = 121, steps: int = CLIFF_STEPS, x0: float = CLIFF_X0,
                  target: float = CLIFF_TARGET) -> CliffSurface:
    """Loss and exact gradient over a regular (w, b) grid, vectorised (one pass of ``steps`` updates)."""
    w_lo, w_hi = _check_range(w_range, "w range")
    b_lo, b_hi = _check_range(b_range, "b range")
    n_w = check_int(n_w, "n_w (grid points along w)", low=2, high=MAX_GRID)
    n_b = check_int(n_b, "n_b (grid points along b)", low=2, high=MAX_GRID)
    steps, x0, target = _check_common(steps, x0, target)
    w = np.linspace(w_lo, w_hi, n_w)
    b = np.linspace(b_lo, b_hi, n_b)
    vals = _evaluate(w[None, :], b[:, None], steps, x0, target)
    return CliffSurface(w=w, b=b, loss=vals.loss, dE_dw=vals.dE_dw, dE_db=vals.dE_db,
                        wall_b=float(x0 - 0.5 * (w_lo + w_hi) * expit(x0)))


@dataclass(frozen=True)
class CliffSection:
    """E and dE/db along b at one w, sampled densely around the wall b*(w) so its peak shows."""

    w: float
    b: np.ndarray
    loss: np.ndarray
    dE_db: np.ndarray
    wall_b: float
    peak_slope: float  # the largest |dE/db| on the samples


def cliff_section(w: float = 5.0, *, b_range: tuple[float, float] = (-3.3, -1.2), points: int = 241,
                  zoom: float = 0.01, zoom_points: int = 201, steps: int = CLIFF_STEPS, x0: float = CLIFF_X0,
                  target: float = CLIFF_TARGET) -> CliffSection:
    """A cross-section of the cliff at fixed ``w``: ``points`` evenly spaced b in ``b_range`` plus
    ``zoom_points`` within ``±zoom`` of the wall b*(w) (those outside the range are dropped)."""
    w = check_float(w, "w", low=-MAX_ABS_PARAM, high=MAX_ABS_PARAM)
    b_lo, b_hi = _check_range(b_range, "b range")
    points = check_int(points, "points", low=2, high=100_000)
    zoom_points = check_int(zoom_points, "zoom_points", low=0, high=100_000)
    # b* lies within ±62.5 (|w|, |x0| <= 50) and b within ±50: a wider zoom only adds dropped points.
    zoom = check_float(zoom, "zoom", low=0.0, high=4 * MAX_ABS_PARAM)
    steps, x0, target = _check_common(steps, x0, target)
    b_star = float(x0 - w * expit(x0))
    b = np.unique(np.concatenate([np.linspace(b_lo, b_hi, points),
                                  b_star + np.linspace(-zoom, zoom, zoom_points)]))
    b = b[(b >= b_lo) & (b <= b_hi)]
    v = cliff_loss_and_grad(w, b, steps=steps, x0=x0, target=target)
    return CliffSection(w=w, b=b, loss=v.loss, dE_db=v.dE_db, wall_b=b_star,
                        peak_slope=float(np.max(np.abs(v.dE_db))))


@dataclass(frozen=True)
class DescentPath:
    """A gradient-descent run on the cliff.

    ``w``, ``b``, ``loss`` have one entry per iterate (start included); ``grad_norm`` (before
    clipping), ``step_length`` and ``clipped`` one per step. ``biggest_step`` is the index of
    the longest step (where the wall is met). ``stopped_at`` is the step at which the numbers
    stopped being finite or left the allowed range (``None`` if the run completed).
    """

    w: np.ndarray
    b: np.ndarray
    loss: np.ndarray
    grad_norm: np.ndarray
    step_length: np.ndarray
    clipped: np.ndarray
    biggest_step: int | None
    stopped_at: int | None
    max_norm: float | None


def cliff_descent(start_w: float = 5.0, start_b: float = -2.3, *, lr: float = 0.1, iterations: int = 60,
                  max_norm: float | None = None, steps: int = CLIFF_STEPS, x0: float = CLIFF_X0,
                  target: float = CLIFF_TARGET) -> DescentPath:
    """Plain gradient descent on E(w, b); with ``max_norm`` the gradient is first clipped by norm
    exactly as PyTorch's ``clip_grad_norm_`` does (:func:`rnnviz.clip_by_norm`).

    A run whose parameters leave ``|w|, |b| <= 50`` or stop being finite is cut there and the
    step is recorded in ``stopped_at``; it never raises for that.
    """
    w = check_float(start_w, "start w", low=-MAX_ABS_PARAM, high=MAX_ABS_PARAM)
    b = check_float(start_b, "start b", low=-MAX_ABS_PARAM, high=MAX_ABS_PARAM)
    lr = check_float(lr, "learning rate", low=0.0, strict_low=True, high=1e3)
    iterations = check_int(iterations, "iterations", low=1, high=10_000)
    if max_norm is not None:
        max_norm = check_float(max_norm, "max_norm (clipping threshold)", low=0.0, strict_low=True)
    steps, x0, target = _check_common(steps, x0, target)

    ws, bs, losses, norms, lengths, clipped = [w], [b], [], [], [], []
    stopped_at = None
    for k in range(iterations):
        loss, gw, gb = _evaluate_scalar(w, b, steps, x0, target)
        losses.append(loss)
        g = np.array([gw, gb])
        gnorm = math.hypot(gw, gb)
        if not (math.isfinite(gw) and math.isfinite(gb)):
            stopped_at = k
            break
        if max_norm is not None:
            (g,), _ = clip_by_norm([g], max_norm)
        step = lr * g
        nw, nb = w - step[0], b - step[1]
        norms.append(gnorm)
        lengths.append(float(np.hypot(step[0], step[1])))
        clipped.append(bool(max_norm is not None and gnorm > max_norm))
        if not (math.isfinite(nw) and math.isfinite(nb)) or max(abs(nw), abs(nb)) > MAX_ABS_PARAM:
            stopped_at = k + 1
            ws.append(float(nw))
            bs.append(float(nb))
            losses.append(math.nan)
            break
        w, b = nw, nb
        ws.append(w)
        bs.append(b)
    else:
        losses.append(_evaluate_scalar(w, b, steps, x0, target)[0])
    lengths_arr = np.array(lengths)
    return DescentPath(
        w=np.array(ws), b=np.array(bs), loss=np.array(losses), grad_norm=np.array(norms),
        step_length=lengths_arr, clipped=np.array(clipped, dtype=bool),
        biggest_step=int(np.argmax(lengths_arr)) if lengths_arr.size else None,
        stopped_at=stopped_at, max_norm=max_norm,
    )
