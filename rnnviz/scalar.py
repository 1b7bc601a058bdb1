"""One hidden unit: the gradient through time is a product of numbers.

Model: ``a_t = w h_{t-1} + u x_t + b``, ``h_t = f(a_t)`` for t = 1..T, so

    dh_T/dh_k = prod_{t=k+1..T} w f'(a_t).

If every factor has ``|w f'(a_t)| < 1`` the product decays exponentially with the distance
``T - k`` (vanishing); if every factor exceeds 1 it grows exponentially (exploding). Everything
here is computed in log space, so it stays finite for T = 10,000 and beyond, and the naive
running product is simulated in float32 to show where it turns into ``inf`` (the NaNs of the
lectures).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ._validate import MAX_STEPS, as_array, check_choice, check_float, check_int
from .nonlinearities import LEAKY_SLOPE, Nonlinearity, get_nonlinearity
from .saturation import log_abs_derivative

#: Input sequences the scalar model can be driven by.
INPUT_KINDS: tuple[str, ...] = ("none", "constant", "noise", "sine")

#: The default "memory horizon" threshold: the gradient has fallen to 1e-8 of its start.
HORIZON_TOLERANCE = 1e-8

_LOG4 = math.log(4.0)
_LOG_F32_MAX = math.log(float(np.finfo(np.float32).max))
_LOG_F64_MAX = math.log(float(np.finfo(np.float64).max))

#: Largest accepted |w|, |b|, |u|, |h0| and |x_t| (the page's sliders stay within ±4): with these
#: bounds u x_t + b and w h stay far from float64's range, so only a genuinely exploding state
#: (linear or ReLU units) reaches inf, and that is reported as content.
MAX_SCALAR_SETTING = 1e6
#: Largest accepted input amplitude (noise of this amplitude stays below MAX_SCALAR_SETTING).
MAX_AMPLITUDE = 1e4


def scalar_inputs(
    T: int,
    *,
    kind: str = "none",
    amplitude: float = 1.0,
    period: float = 20.0,
    seed: int = 0,
) -> np.ndarray:
    """The input sequence ``x_1..x_T`` (shape (T,)) for the one-unit RNN.

    ``"none"``: zeros; ``"constant"``: ``amplitude`` at every step; ``"noise"``: i.i.d.
    ``N(0, amplitude^2)``, reproducible from ``seed``; ``"sine"``:
    ``amplitude * sin(2 pi t / period)``.
    """
    T = check_int(T, "T (number of steps)", low=1, high=MAX_STEPS)
    kind = check_choice(kind, "input kind", INPUT_KINDS)
    amplitude = check_float(amplitude, "amplitude", low=-MAX_AMPLITUDE, high=MAX_AMPLITUDE)
    period = check_float(period, "period", low=0.0, strict_low=True)
    seed = check_int(seed, "seed", low=0, high=2**32 - 1)
    if kind == "none":
        return np.zeros(T)
    if kind == "constant":
        return np.full(T, amplitude)
    if kind == "noise":
        return amplitude * np.random.default_rng(seed).standard_normal(T)
    return amplitude * np.sin(2.0 * np.pi * np.arange(1, T + 1) / period)


@dataclass(frozen=True)
class NaiveProductBreak:
    """Where the naive running product ``prod w f'(a_t)`` (from step T backwards) broke.

    ``distance`` factors had been multiplied, i.e. it is ``dh_T/dh_step`` with
    ``step = T - distance`` that came out wrong. ``kind`` is ``"overflow"`` (became inf) or
    ``"underflow"`` (became exactly 0 although no factor was 0). ``nan_distance`` is where a
    later ``inf * 0`` turned it into NaN, or None.
    """

    dtype: str
    distance: int
    step: int
    kind: str
    nan_distance: int | None


@dataclass(frozen=True)
class ScalarTrajectory:
    """A run of the one-unit RNN and its gradient through time.

    Arrays (index conventions): ``x``, ``a``, ``factors`` have shape (T,) and entry ``t-1``
    belongs to step t; ``h`` has shape (T+1,) with ``h[0] = h0``. ``factors[t-1] = w f'(a_t)``.
    ``log_abs_grad[k] = log |dh_T/dh_k|`` for k = 0..T (``log_abs_grad[T] = 0``), ``-inf``
    exactly where some factor between k and T is exactly 0 (a dead ReLU step, or ``w = 0``);
    ``grad_sign[k]`` is the sign of ``dh_T/dh_k`` (0 where it is exactly 0).
    """

    w: float
    b: float
    u: float
    h0: float
    nonlinearity: str
    x: np.ndarray
    a: np.ndarray
    h: np.ndarray
    factors: np.ndarray
    log_abs_factors: np.ndarray
    log_abs_grad: np.ndarray
    grad_sign: np.ndarray
    horizon: int | None
    float32_break: NaiveProductBreak | None
    float64_break: NaiveProductBreak | None
    state_nonfinite_step: int | None
    zero_factor_step: int | None

    @property
    def T(self) -> int:
        return int(self.a.shape[0])

    @property
    def mean_log_factor(self) -> float:
        """``(1/T) sum log |w f'(a_t)|`` = ``log |dh_T/dh_0| / T``: below 0 vanishing, above 0 exploding."""
        return float(self.log_abs_grad[0] / self.T)

    @property
    def grad(self) -> np.ndarray:
        """``dh_T/dh_k`` for k = 0..T as plain float64 (inf or 0 where it leaves float64's range)."""
        with np.errstate(over="ignore", under="ignore"):
            return self.grad_sign * np.exp(self.log_abs_grad)

    @property
    def log10_abs_grad(self) -> np.ndarray:
        return self.log_abs_grad / math.log(10.0)


def _check_setting(value, name: str) -> float:
    return check_float(value, name, low=-MAX_SCALAR_SETTING, high=MAX_SCALAR_SETTING)


def _check_scalar_params(w, b, u, h0):
    return (_check_setting(w, "w (recurrent weight)"), _check_setting(b, "b (bias)"),
            _check_setting(u, "u (input weight)"), _check_setting(h0, "h0 (initial state)"))


def _check_bounded_array(x, name: str) -> np.ndarray:
    """A finite 1-D array with every entry within ±MAX_SCALAR_SETTING."""
    arr = as_array(x, name, ndim=1)
    if arr.shape[0] > MAX_STEPS:
        raise ValueError(f"{name} has {arr.shape[0]} entries; at most {MAX_STEPS} are accepted.")
    big = float(np.max(np.abs(arr)))
    if big > MAX_SCALAR_SETTING:
        raise ValueError(f"{name} has an entry of size {big:g}; entries between -{MAX_SCALAR_SETTING:g} and "
                         f"{MAX_SCALAR_SETTING:g} are accepted.")
    return arr


_LOG_BATCH = 64  # products of 64 factors in [1, 2] stay far from overflow before their log is taken


def _run_saturating(w, b, u, x, h0, name: str):
    """The grid recurrence for tanh and sigmoid with one ``expm1`` per cell and step.

    With ``m = |a|`` and ``e = exp(-k m)`` (k = 2 for tanh, 1 for the sigmoid) both the state
    and the log-derivative follow from ``e``: ``tanh a = sign(a) (1 - e) / (1 + e)``,
    ``log tanh'(a) = log 4 - 2m - 2 log(1 + e)``; ``sigmoid(a) = 1/(1 + e)`` (a >= 0) or
    ``e/(1 + e)``, ``log sigmoid'(a) = -m - 2 log(1 + e)``. The ``log(1 + e)`` terms are summed as
    the log of a product of factors in [1, 2], taken every 64 steps. ``1 - e`` comes from
    ``expm1`` so small ``|a|`` loses no precision. Returns the sum over t of ``log f'(a_t)``.
    """
    shape = np.broadcast_shapes(np.shape(w), np.shape(b))
    k = 2.0 if name == "tanh" else 1.0
    h = np.full(shape, float(h0))
    a, m, em1, one_plus = (np.empty(shape) for _ in range(4))
    sum_m = np.zeros(shape)
    log_one_plus = np.zeros(shape)
    prod = np.ones(shape)
    drive = u * x
    for t in range(x.shape[0]):
        np.multiply(w, h, out=a)
        a += b
        a += drive[t]
        np.abs(a, out=m)
        sum_m += m
        np.multiply(m, -k, out=em1)
        np.expm1(em1, out=em1)            # e - 1, in (-1, 0]
        np.add(em1, 2.0, out=one_plus)    # 1 + e, in (1, 2]
        prod *= one_plus
        if name == "tanh":
            np.divide(em1, one_plus, out=h)   # -(1 - e)/(1 + e) = -tanh|a|
            np.copysign(h, a, out=h)          # magnitude tanh|a|, sign of a: tanh(a)
        else:
            np.add(em1, 1.0, out=h)           # e
            np.copyto(h, 1.0, where=a >= 0)
            h /= one_plus
        if (t + 1) % _LOG_BATCH == 0:
            log_one_plus += np.log(prod)
            prod.fill(1.0)
    log_one_plus += np.log(prod)
    T = x.shape[0]
    if name == "tanh":
        return T * _LOG4 - 2.0 * sum_m - 2.0 * log_one_plus
    return -sum_m - 2.0 * log_one_plus


def _run(w, b, u, x, h0, nl: Nonlinearity, *, keep: bool):
    """The recurrence, vectorised over any broadcastable shape of ``w``, ``b``.

    Returns the pre-activations (T, *shape) if ``keep`` else None, and the sum over t of
    ``log |f'(a_t)|`` (``log |w|`` is added by the caller).
    """
    if not keep and nl.name in ("tanh", "sigmoid"):
        return None, _run_saturating(w, b, u, x, h0, nl.name)
    shape = np.broadcast_shapes(np.shape(w), np.shape(b))
    h = np.full(shape, float(h0))
    acc = np.zeros(shape)
    a = np.empty(shape)
    drive = u * x  # u x_t, shape (T,)
    out = np.empty((x.shape[0], *shape)) if keep else None
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(x.shape[0]):
            np.multiply(w, h, out=a)
            a += b
            a += drive[t]
            h = nl.f(a)
            if keep:
                out[t] = a
            else:
                acc += log_abs_derivative(a, nl)
    return out, acc


def _sigmoid_scalar(a: float) -> float:
    if a >= 0:
        return 1.0 / (1.0 + math.exp(-a))
    e = math.exp(a)
    return e / (1.0 + e)


#: Python-float versions of the nonlinearities, for the sequential one-unit loop (a NumPy call
#: per step costs ~30x more). Checked against ``Nonlinearity.f`` in the tests.
_SCALAR_F = {
    "tanh": math.tanh,
    "sigmoid": _sigmoid_scalar,
    "relu": lambda a: a if a > 0 else 0.0,
    "leaky_relu": lambda a: a if a > 0 else LEAKY_SLOPE * a,
    "linear": lambda a: a,
}


def _run_one(w: float, b: float, u: float, x: np.ndarray, h0: float, nl: Nonlinearity) -> np.ndarray:
    """Pre-activations ``a_1..a_T`` of one unit, in plain Python floats (inf propagates, no errors)."""
    f = _SCALAR_F.get(nl.name)
    if f is None:  # pragma: no cover - a nonlinearity added later without a scalar version
        a, _ = _run(w, b, u, x, h0, nl, keep=True)
        return a.reshape(x.shape[0])
    out = [0.0] * x.shape[0]
    h = h0
    for t, drive in enumerate((u * x + b).tolist()):
        a = w * h + drive
        out[t] = a
        h = f(a)
    return np.array(out)


def _naive_break(factors_backward: np.ndarray, dtype, T: int) -> NaiveProductBreak | None:
    """Simulate ``g = 1; g *= factor`` in ``dtype`` and find where it stopped being a number."""
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        f = factors_backward.astype(dtype)
        run = np.cumprod(f, dtype=dtype)
    absrun = np.abs(run)
    zero_factor_seen = np.cumsum(factors_backward == 0) > 0  # a true zero is not underflow
    bad_inf = np.flatnonzero(np.isinf(absrun))
    bad_zero = np.flatnonzero((absrun == 0) & ~zero_factor_seen)
    bad_nan = np.flatnonzero(np.isnan(absrun))
    first_inf = int(bad_inf[0]) if bad_inf.size else None
    first_zero = int(bad_zero[0]) if bad_zero.size else None
    if first_inf is None and first_zero is None:
        return None
    if first_zero is None or (first_inf is not None and first_inf < first_zero):
        idx, kind = first_inf, "overflow"
    else:
        idx, kind = first_zero, "underflow"
    distance = idx + 1
    nan_distance = int(bad_nan[0]) + 1 if bad_nan.size else None
    return NaiveProductBreak(np.dtype(dtype).name, distance, T - distance, kind, nan_distance)


def scalar_trajectory(
    w: float,
    *,
    b: float = 0.0,
    u: float = 0.0,
    h0: float = 0.0,
    x=None,
    T: int | None = None,
    nonlinearity: str | Nonlinearity = "tanh",
    tolerance: float = HORIZON_TOLERANCE,
) -> ScalarTrajectory:
    """Run ``h_t = f(w h_{t-1} + u x_t + b)`` and compute ``dh_T/dh_k`` for every k in log space.

    Give the inputs ``x`` (shape (T,), see :func:`scalar_inputs`) or only ``T`` for no input.
    The memory ``horizon`` is the smallest distance ``T - k`` at which ``|dh_T/dh_k|`` is below
    ``tolerance`` (1e-8 of its starting value 1), or None if it never gets there within T steps.
    ``float32_break`` / ``float64_break`` locate where the naive running product overflows
    (or underflows to 0); ``state_nonfinite_step`` is the first step whose state ``h_t``
    overflowed float64 (exploding linear or ReLU units), or None.
    """
    w, b, u, h0 = _check_scalar_params(w, b, u, h0)
    nl = get_nonlinearity(nonlinearity)
    tolerance = check_float(tolerance, "tolerance", low=0.0, high=1.0, strict_low=True)
    if x is None:
        if T is None:
            raise ValueError("Give the inputs x (shape (T,)) or the number of steps T.")
        x = np.zeros(check_int(T, "T (number of steps)", low=1, high=MAX_STEPS))
    else:
        x = _check_bounded_array(x, "x (inputs)")
        if T is not None and check_int(T, "T", low=1) != x.shape[0]:
            raise ValueError(f"T = {T} but x has {x.shape[0]} steps; give one or make them agree.")
    T = int(x.shape[0])

    a = _run_one(w, b, u, x, h0, nl)
    h = np.empty(T + 1)
    h[0] = h0
    with np.errstate(over="ignore", invalid="ignore"):
        h[1:] = nl.f(a)
        factors = w * nl.df(a)
    with np.errstate(divide="ignore"):
        log_w = math.log(abs(w)) if w != 0 else -math.inf
    log_f = log_abs_derivative(a, nl) + log_w  # exact, even where f'(a) underflows
    # log |dh_T/dh_k| = sum_{t=k+1..T} log|factor_t|: a reversed cumulative sum.
    log_grad = np.zeros(T + 1)
    log_grad[:T] = np.cumsum(log_f[::-1])[::-1]
    sign_f = np.sign(factors)
    neg = np.concatenate([np.cumsum((sign_f < 0)[::-1])[::-1], [0]])
    zero = np.concatenate([np.cumsum((sign_f == 0)[::-1])[::-1], [0]])
    grad_sign = np.where(zero > 0, 0.0, np.where(neg % 2 == 1, -1.0, 1.0))

    below = np.flatnonzero(log_grad[::-1] < math.log(tolerance))  # index = distance T-k
    horizon = int(below[0]) if below.size else None

    factors_back = factors[::-1]
    f32 = _naive_break(factors_back, np.float32, T)
    f64 = _naive_break(factors_back, np.float64, T)
    zero_steps = np.flatnonzero(factors == 0)
    nonfinite = np.flatnonzero(~np.isfinite(h))

    return ScalarTrajectory(
        w=w, b=b, u=u, h0=h0, nonlinearity=nl.name, x=x, a=a, h=h, factors=factors,
        log_abs_factors=log_f, log_abs_grad=log_grad, grad_sign=grad_sign, horizon=horizon,
        float32_break=f32, float64_break=f64,
        state_nonfinite_step=int(nonfinite[0]) if nonfinite.size else None,
        zero_factor_step=int(zero_steps[-1]) + 1 if zero_steps.size else None,
    )


@dataclass(frozen=True)
class PhaseMap:
    """The mean log factor ``(1/T) sum_t log |w f'(a_t)|`` over a grid of (w, b).

    ``values`` has shape ``(len(bs), len(ws))``: row i is ``b = bs[i]``, column j is
    ``w = ws[j]``. Below 0 the gradient vanishes exponentially, above 0 it explodes.
    ``-inf`` marks cells where some factor is exactly 0 (``w = 0``, a dead ReLU step).
    """

    ws: np.ndarray
    bs: np.ndarray
    values: np.ndarray
    T: int
    nonlinearity: str


def scalar_phase_map(
    ws,
    bs,
    *,
    u: float = 0.0,
    h0: float = 0.0,
    x=None,
    T: int | None = None,
    nonlinearity: str | Nonlinearity = "tanh",
) -> PhaseMap:
    """The Lyapunov exponent of the one-unit RNN for every (w, b) at once, fully vectorised.

    Equals ``scalar_trajectory(w, b=b, ...).mean_log_factor`` cell by cell, but runs the whole
    grid as arrays: one pass of T steps over ``len(bs) * len(ws)`` cells.
    """
    ws = _check_bounded_array(ws, "ws (grid of w)")
    bs = _check_bounded_array(bs, "bs (grid of b)")
    if ws.size * bs.size > 1_000_000:
        raise ValueError(f"The grid has {ws.size} × {bs.size} cells; at most 1,000,000 are accepted.")
    _, _, u, h0 = _check_scalar_params(0.0, 0.0, u, h0)
    nl = get_nonlinearity(nonlinearity)
    if x is None:
        if T is None:
            raise ValueError("Give the inputs x (shape (T,)) or the number of steps T.")
        x = np.zeros(check_int(T, "T (number of steps)", low=1, high=MAX_STEPS))
    else:
        x = _check_bounded_array(x, "x (inputs)")
    T = int(x.shape[0])
    W = ws[None, :]
    B = bs[:, None]
    _, acc = _run(W, B, u, x, h0, nl, keep=False)
    with np.errstate(divide="ignore"):
        log_w = np.log(np.abs(W))
    values = (acc + T * log_w) / T
    values = np.broadcast_to(values, (bs.size, ws.size)).copy()
    return PhaseMap(ws=ws, bs=bs, values=values, T=T, nonlinearity=nl.name)
