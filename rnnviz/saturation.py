"""How much the nonlinearity's derivative shrinks each step of back-propagation.

Every step of back-propagation through a vanilla RNN multiplies by ``diag(f'(a_t)) W``.
Where ``|f'|`` is small the unit is *saturated* (sigmoid and tanh far from 0), where it is
exactly 0 the unit is *dead* (ReLU on negatives); either way the gradient through that unit
shrinks. With ``gamma = sup |f'|``, every step obeys ``||J_t|| <= gamma * sigma_max(W)``, so
``sigma_max(W) < 1 / gamma`` is sufficient for vanishing gradients (Pascanu et al. 2013).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.optimize import brentq

from ._validate import as_array, as_square, check_float, check_int
from .linalg import spectral_norm
from .nonlinearities import LEAKY_SLOPE, Nonlinearity, get_nonlinearity
from .numerics import log10_of
from .spectral import PascanuVerdict, pascanu_verdict

#: |f'| below this counts as saturated (the lectures' "very flat" regions).
SATURATION_THRESHOLD = 0.1

_LOG4 = math.log(4.0)
_LOG_LEAKY = math.log(LEAKY_SLOPE)


def log_abs_derivative(a, nonlinearity: str | Nonlinearity = "tanh") -> np.ndarray:
    """``log |f'(a)|`` elementwise, computed so it stays finite where ``f'(a)`` underflows.

    ``tanh'(a) = sech^2(a)`` is below the smallest float64 for ``|a| > 373`` although its
    logarithm, ``log 4 - 2|a| - 2 log(1 + e^{-2|a|})``, is an ordinary number; likewise for
    the sigmoid. ``-inf`` is returned only where the derivative is exactly zero (ReLU at
    ``a <= 0``), never because of rounding (or for tanh where ``|a| > 9e307``, whose log
    derivative is below float64's range). ``a`` may hold NaN or inf (they propagate).
    """
    nl = get_nonlinearity(nonlinearity)
    a = as_array(a, "a (pre-activations)", finite=False, allow_empty=True)
    if nl.name == "tanh":
        m = np.abs(a)
        with np.errstate(over="ignore"):  # 2|a| > 1.8e308: the log is below -1.8e308, i.e. -inf
            return _LOG4 - 2.0 * m - 2.0 * np.log1p(np.exp(-2.0 * m))
    if nl.name == "sigmoid":
        m = np.abs(a)
        return -m - 2.0 * np.log1p(np.exp(-m))
    if nl.name == "relu":
        return np.where(a > 0, 0.0, -np.inf)
    if nl.name == "leaky_relu":
        return np.where(a > 0, 0.0, _LOG_LEAKY)
    if nl.name == "linear":
        return np.zeros_like(a)
    with np.errstate(divide="ignore"):  # pragma: no cover - for nonlinearities added later
        return np.log(np.abs(nl.df(a)))


@dataclass(frozen=True)
class SaturatedRegion:
    """Where ``|f'(a)| < threshold`` on ``[lo, hi]``: a tuple of ``(start, end)`` intervals."""

    nonlinearity: str
    threshold: float
    intervals: tuple[tuple[float, float], ...]
    gamma: float


def saturated_intervals(
    nonlinearity: str | Nonlinearity = "tanh",
    *,
    threshold: float = SATURATION_THRESHOLD,
    lo: float = -6.0,
    hi: float = 6.0,
    num: int = 2001,
) -> SaturatedRegion:
    """The parts of ``[lo, hi]`` where the derivative is below ``threshold`` (the shaded bands).

    Found on a grid of ``num`` points and refined to machine precision with Brent's method at
    every crossing, so it works for any nonlinearity. Jumps (ReLU at 0) are located to the
    grid and then bisected.
    """
    nl = get_nonlinearity(nonlinearity)
    threshold = check_float(threshold, "threshold", low=0.0, strict_low=True)
    lo = check_float(lo, "lo")
    hi = check_float(hi, "hi")
    if not hi > lo:
        raise ValueError(f"The interval must have lo < hi; got lo={lo}, hi={hi}.")
    num = check_int(num, "num", low=3, high=1_000_000)
    x = np.linspace(lo, hi, num)

    def g(v):
        return float(np.abs(nl.df(np.array([v])))[0]) - threshold

    below = np.abs(nl.df(x)) < threshold
    edges = []
    for i in np.flatnonzero(below[1:] != below[:-1]):
        left, right = float(x[i]), float(x[i + 1])
        gl, gr = g(left), g(right)
        if gl * gr < 0:
            root = brentq(g, left, right, xtol=1e-14, rtol=1e-14)
        else:  # a jump (ReLU): bisect on the predicate itself
            for _ in range(80):
                mid = 0.5 * (left + right)
                if (g(mid) < 0) == (gl < 0):
                    left = mid
                else:
                    right = mid
            root = 0.5 * (left + right)
        edges.append(root)
    bounds = [lo, *edges, hi]
    intervals = []
    state = bool(below[0])
    for start, end in zip(bounds[:-1], bounds[1:]):
        if state:
            intervals.append((float(start), float(end)))
        state = not state
    return SaturatedRegion(nl.name, threshold, tuple(intervals), float(nl.gamma))


@dataclass(frozen=True)
class DerivativeStats:
    """Derivatives ``f'(a_t)`` of an n-unit trajectory, summarised.

    ``derivatives`` has shape (T, n) (row ``t-1`` is step t). Fractions are over all units and
    steps. ``dead_units`` counts units whose derivative is exactly 0 at every step.
    ``hist_counts`` / ``hist_edges`` bin the derivatives on ``[0, gamma]``.
    ``log_step_bound[t-1] = log(max_i |f'(a_t)_i| * sigma_max(W))`` bounds the log-norm of
    step t's Jacobian; their sum bounds ``log ||dh_T/dh_0||``.
    """

    nonlinearity: str
    gamma: float
    threshold: float
    derivatives: np.ndarray
    saturated_fraction: float
    dead_fraction: float
    dead_units: int
    mean_derivative: float
    hist_counts: np.ndarray
    hist_edges: np.ndarray
    sigma_max: float
    log_step_bound: np.ndarray

    @property
    def log10_total_step_bound(self) -> float:
        """log10 of the product of the per-step bounds: a bound on ``||dh_T/dh_0||_2``."""
        return log10_of(float(self.log_step_bound.sum()))

    @property
    def mean_log_step_bound(self) -> float:
        """Average of ``log_step_bound``: above this rate the gradient norm cannot grow."""
        return float(np.mean(self.log_step_bound))


def derivative_stats(
    a,
    W,
    nonlinearity: str | Nonlinearity = "tanh",
    *,
    threshold: float = SATURATION_THRESHOLD,
    bins: int = 40,
) -> DerivativeStats:
    """Summarise ``f'(a)`` for pre-activations ``a`` of shape (T, n) of an RNN with weights ``W``."""
    nl = get_nonlinearity(nonlinearity)
    W = as_square(W, "W")
    a = as_array(a, "a (pre-activations)", shape=(None, W.shape[0]), finite=False)
    if np.isnan(a).any():
        raise ValueError("a (pre-activations) holds NaN; the trajectory stopped being finite.")
    threshold = check_float(threshold, "threshold", low=0.0, strict_low=True)
    bins = check_int(bins, "bins", low=1, high=10_000)
    d = np.abs(nl.df(a))
    sigma = spectral_norm(W)
    peak = d.max(axis=1)
    with np.errstate(divide="ignore"):
        log_bound = np.log(peak) + (math.log(sigma) if sigma > 0 else -np.inf)
    counts, edges = np.histogram(d, bins=bins, range=(0.0, float(nl.gamma)))
    return DerivativeStats(
        nonlinearity=nl.name,
        gamma=float(nl.gamma),
        threshold=threshold,
        derivatives=d,
        saturated_fraction=float(np.mean(d < threshold)),
        dead_fraction=float(np.mean(d == 0.0)),
        dead_units=int(np.sum(np.all(d == 0.0, axis=0))),
        mean_derivative=float(d.mean()),
        hist_counts=counts,
        hist_edges=edges,
        sigma_max=sigma,
        log_step_bound=log_bound,
    )


@dataclass(frozen=True)
class SaturationRun:
    """A random n-unit vanilla RNN driven by Gaussian noise, and its derivatives ``f'(a_t)``.

    ``W`` ~ ``init_recurrent(n, "gaussian", weight_scale, seed)``; inputs ``x_t`` ~ N(0, I_n)
    through ``U`` with entries N(0, input_scale²/n), so each unit's input drive has standard
    deviation ``input_scale``; ``b = bias`` for every unit; ``h_0 = 0``.
    ``stats`` covers the steps before any pre-activation became NaN (``steps_used`` of ``T``);
    ``state_nonfinite_step`` is the first step whose state overflowed float64, or None.
    """

    W: np.ndarray
    a: np.ndarray
    h: np.ndarray
    stats: DerivativeStats
    pascanu: PascanuVerdict
    T: int
    steps_used: int
    state_nonfinite_step: int | None


def saturation_run(
    n: int,
    *,
    T: int = 200,
    weight_scale: float = 1.0,
    input_scale: float = 1.0,
    bias: float = 0.0,
    nonlinearity: str | Nonlinearity = "tanh",
    seed: int = 0,
    threshold: float = SATURATION_THRESHOLD,
) -> SaturationRun:
    """Run a random RNN for T steps and summarise how saturated (or dead) its units are."""
    from .numerics import first_nonfinite
    from .rnn import forward, init_recurrent

    nl = get_nonlinearity(nonlinearity)
    n = check_int(n, "n (the number of hidden units)", low=1, high=1024)
    T = check_int(T, "T (number of steps)", low=1, high=100_000)
    input_scale = check_float(input_scale, "input scale", low=0.0)
    bias = check_float(bias, "bias")
    seed = check_int(seed, "seed", low=0, high=2**32 - 2)
    W = init_recurrent(n, "gaussian", scale=weight_scale, seed=seed)
    U = init_recurrent(n, "gaussian", scale=input_scale, seed=seed + 1)
    xs = np.random.default_rng([seed, 2]).standard_normal((T, n))
    traj = forward(W, xs, U=U, b=np.full(n, bias), nonlinearity=nl.name)
    nan_rows = np.flatnonzero(np.isnan(traj.a).any(axis=1))  # inf - inf after an overflow
    used = int(nan_rows[0]) if nan_rows.size else T
    if used == 0:  # pragma: no cover - a_1 = U x_1 + b is always finite
        raise ValueError("The very first pre-activation is not finite.")
    stats = derivative_stats(traj.a[:used], W, nl, threshold=threshold)
    return SaturationRun(W=W, a=traj.a, h=traj.h, stats=stats, pascanu=pascanu_verdict(W, nl.name, sigma_max=stats.sigma_max), T=T,
                         steps_used=used, state_nonfinite_step=first_nonfinite(traj.h))
