"""Spectra along a trajectory: why singular values, not eigenvalues, decide vanishing and exploding.

Conventions as in :mod:`rnnviz.rnn`: ``J_t = diag(f'(a_t)) W`` and
``dh_T/dh_k = J_T J_{T-1} ... J_{k+1}``. With ``gamma = sup |f'|`` every step obeys
``||J_t|| <= gamma ||W||``, hence the bound chain (Pascanu, Mikolov and Bengio 2013)::

    ||dh_T/dh_k||  <=  prod_{t=k+1}^{T} ||J_t||  <=  (gamma * sigma_max(W)) ** (T - k)

computed here in log space, so it stays finite for any horizon. The nilpotent
counterexample shows why the spectral radius cannot replace the spectral norm.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ._validate import (MAX_HIDDEN, MAX_STEPS, as_array, as_square, check_choice, check_float, check_int,
                        check_seed)
from .linalg import eigenvalues, singular_values, spectral_norms
from .nonlinearities import get_nonlinearity
from .numerics import LN10
from .rnn import MAX_SCALE, init_recurrent

#: The random matrix ensembles of the page (each multiplied by ``scale``).
MATRIX_KINDS: tuple[str, ...] = ("gaussian", "orthogonal", "identity")

#: Relative tolerance when checking that a bound holds (rounding in the SVDs).
BOUND_RTOL = 1e-9

#: Largest accepted input scale and bias (as rnn.MAX_SCALE: far beyond any page, far from overflow).
MAX_INPUT_SCALE = MAX_SCALE
MAX_BIAS = MAX_SCALE
#: Largest accepted ``seconds`` of :func:`work_plan` (an hour; the page uses about 1).
MAX_SECONDS = 3600.0


# --------------------------------------------------------------------------------------------
# One matrix
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MatrixSpectrum:
    """Eigenvalues and singular values of one matrix, and the two numbers the page compares.

    ``eigenvalues`` are complex, sorted by decreasing modulus; ``singular_values`` descending.
    ``radius`` is ``rho = max |lambda|``, ``norm`` is ``||.||_2 = sigma_max``; always ``radius <= norm``.
    """

    eigenvalues: np.ndarray
    singular_values: np.ndarray
    radius: float
    norm: float


def matrix_spectrum(A) -> MatrixSpectrum:
    """Eigenvalues, singular values, spectral radius and spectral norm of a square matrix."""
    A = as_square(A, "matrix")
    ev = eigenvalues(A)
    sv = singular_values(A)
    return MatrixSpectrum(eigenvalues=ev, singular_values=sv, radius=float(np.abs(ev[0])), norm=float(sv[0]))


def recurrent_matrix(kind: str, n: int, *, scale: float = 1.0, seed: int = 0) -> np.ndarray:
    """The page's recurrent matrix: ``init_recurrent`` with the scheme ``kind`` (see MATRIX_KINDS)."""
    kind = check_choice(kind, "matrix kind", MATRIX_KINDS)
    return init_recurrent(n, scheme=kind, scale=scale, seed=seed)


# --------------------------------------------------------------------------------------------
# Along a trajectory
# --------------------------------------------------------------------------------------------


def sample_steps(T: int, count: int) -> np.ndarray:
    """At most ``count`` steps t in 1..T, evenly spread, always including the first and the last."""
    T = check_int(T, "T (the number of steps)", low=1, high=MAX_STEPS)
    count = check_int(count, "count", low=1)
    if count >= T:
        return np.arange(1, T + 1)
    if count == 1:
        return np.array([T])
    return np.unique(np.round(np.linspace(1, T, count)).astype(int))


@dataclass(frozen=True)
class StepSpectra:
    """Spectra of the step Jacobians at some steps of a trajectory.

    ``steps`` (K,) are the steps t (1-based); ``singular_values`` (K, n) those of ``J_t``,
    descending; ``radius`` (K,) the spectral radius of ``J_t`` (NaN where not computed).
    """

    steps: np.ndarray
    singular_values: np.ndarray
    radius: np.ndarray

    @property
    def norm(self) -> np.ndarray:
        """``||J_t||_2`` at each step (the largest singular value)."""
        return self.singular_values[:, 0]


def step_spectra(jacobians, *, steps=None, radius: bool = True) -> StepSpectra:
    """Singular values (and spectral radii) of ``J_t`` for each Jacobian of a stack ``(K, n, n)``.

    ``steps`` labels the rows (default 1..K). Non-finite Jacobians (after an overflow) get NaN rows.
    """
    J = as_array(jacobians, "jacobians", ndim=3, finite=False)
    K, n, m = J.shape
    if n != m:
        raise ValueError(f"jacobians must be square matrices (K, n, n); got shape {J.shape}.")
    steps = np.arange(1, K + 1) if steps is None else _check_steps(steps, K)
    ok = np.isfinite(J).all(axis=(1, 2))
    sv = np.full((K, n), np.nan)
    rad = np.full(K, np.nan)
    if ok.any():
        sv[ok] = singular_values(J[ok])
        if radius:
            rad[ok] = np.abs(np.linalg.eigvals(J[ok])).max(axis=1)
    return StepSpectra(steps=steps, singular_values=sv, radius=rad)


def _check_steps(steps, K: int) -> np.ndarray:
    """The step labels of :func:`step_spectra`: K whole numbers from 1 to MAX_STEPS."""
    if np.ndim(steps) == 0 and not isinstance(steps, (list, tuple, np.ndarray)):
        raise ValueError(f"steps must be a list of {K} step numbers (one per Jacobian); got {steps!r}.")
    arr = as_array(steps, "steps", ndim=1)
    if arr.shape != (K,):
        raise ValueError(f"steps must have one entry per Jacobian ({K}); got shape {arr.shape}.")
    if np.any(arr != np.round(arr)) or np.any(arr < 1) or np.any(arr > MAX_STEPS):
        raise ValueError(f"steps must be whole numbers from 1 to {MAX_STEPS}; got {steps!r}.")
    return arr.astype(int)


def drive_inputs(T: int, n: int, *, scale: float, seed: int) -> np.ndarray:
    """Input drive ``x_t ~ N(0, scale^2)`` i.i.d., shape (T, n) (fed through ``U = I``)."""
    T = check_int(T, "T (the number of steps)", low=1, high=MAX_STEPS)
    n = check_int(n, "n (the number of hidden units)", low=1, high=MAX_HIDDEN)
    scale = check_float(scale, "input scale", low=0.0, high=MAX_INPUT_SCALE)
    seed = check_seed(seed)
    rng = np.random.default_rng([seed, 1])
    return scale * rng.standard_normal((T, n))


def fresh_matrix(kind: str, n: int, *, scale: float = 1.0, seed: int = 0, t: int = 1) -> np.ndarray:
    """``W_t``, the matrix of step t when every step draws its own (reproducible from seed and t)."""
    seed = check_int(seed, "seed", low=0)
    t = check_int(t, "step t", low=1, high=MAX_STEPS)
    return recurrent_matrix(kind, n, scale=scale, seed=seed * (MAX_STEPS + 1) + t)


def independent_jacobians(n: int, T: int, *, kind: str = "gaussian", scale: float = 1.0, seed: int = 0,
                          nonlinearity: str = "linear", input_scale: float = 0.0, bias: float = 0.0,
                          weight_norms: bool = False):
    """Step Jacobians of a network with a *fresh* random matrix at every step, shape (T, n, n).

    ``a_t = W_t h_{t-1} + x_t + b``, ``h_t = f(a_t)``, ``J_t = diag(f'(a_t)) W_t`` with independent
    ``W_t = fresh_matrix(kind, n, scale=scale, seed=seed, t=t)``: the setting of Newman's (1986) exact
    Lyapunov exponents (in the linear Gaussian case), unlike an RNN, which repeats one ``W``.
    With ``weight_norms=True`` returns ``(J, norms)`` where ``norms[t-1] = ||W_t||_2``.
    """
    n = check_int(n, "n (the number of hidden units)", low=1, high=MAX_HIDDEN)
    T = check_int(T, "T (the number of steps)", low=1, high=MAX_STEPS)
    if 8 * T * n * n > MAX_INDEPENDENT_BYTES:
        raise ValueError(f"T × n × n = {T} × {n} × {n} Jacobians would take {8 * T * n * n / 2**20:.0f} MB; "
                         f"at most {MAX_INDEPENDENT_BYTES // 2**20} MB are accepted (lower T (the number of "
                         "steps) or n (the number of hidden units)).")
    kind = check_choice(kind, "matrix kind", MATRIX_KINDS)
    scale = check_float(scale, "scale", low=0.0, high=MAX_SCALE)
    nl = get_nonlinearity(nonlinearity)
    seed = check_int(seed, "seed", low=0)
    input_scale = check_float(input_scale, "input_scale (the input scale)", low=0.0, high=MAX_INPUT_SCALE)
    bias = check_float(bias, "bias", low=-MAX_BIAS, high=MAX_BIAS)
    xs = drive_inputs(T, n, scale=input_scale, seed=seed)
    Ws = np.stack([fresh_matrix(kind, n, scale=scale, seed=seed, t=t) for t in range(1, T + 1)])
    h = np.zeros(n)
    J = np.empty((T, n, n))
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        for t in range(T):
            a = Ws[t] @ h + xs[t] + bias
            J[t] = nl.df(a)[:, None] * Ws[t]
            h = nl.f(a)
    if not weight_norms:
        return J
    norms = spectral_norms(Ws) if kind == "gaussian" else np.full(T, scale)
    return J, norms


# --------------------------------------------------------------------------------------------
# The bound chain and Pascanu's conditions
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BoundChain:
    """``log||dh_T/dh_k|| <= sum log||J_t|| <= (T-k) log(gamma sigma_max(W))`` against the distance.

    All arrays have shape (L+1,) and index the distance ``d = T - k = 0..L``.
    ``holds`` says whether both inequalities hold at every distance (up to rounding).
    """

    distance: np.ndarray
    log_product_norm: np.ndarray
    log_norm_product: np.ndarray
    log_uniform_bound: np.ndarray
    holds: bool

    @property
    def log10_gradient(self) -> float:
        """log10 of ``||dh_T/dh_k||_2`` at the longest distance (the actual gradient's gain)."""
        return float(self.log_product_norm[-1]) / LN10

    @property
    def log10_norm_product(self) -> float:
        """log10 of ``prod ||J_t||_2`` at the longest distance."""
        return float(self.log_norm_product[-1]) / LN10

    @property
    def log10_uniform_bound(self) -> float:
        """log10 of ``(gamma sigma_max(W))^(T-k)`` at the longest distance."""
        return float(self.log_uniform_bound[-1]) / LN10

    @property
    def first_dead_distance(self) -> int | None:
        """The first distance at which some ``J_t`` is exactly zero (so the product is zero from there
        on: every unit had f' = 0, dead ReLUs), or None."""
        zero = np.flatnonzero(self.log_norm_product == -math.inf)
        return int(zero[0]) if zero.size else None


def bound_chain(log_product_sv, step_norms, *, gamma: float, sigma_max: float) -> BoundChain:
    """The bound chain in natural logs.

    ``log_product_sv`` is ``product_log_singular_values(J)`` of the L Jacobians (shape (L+1, n),
    row k for ``dh_L/dh_k``); ``step_norms`` (L,) holds ``||J_t||_2`` for t = 1..L; ``gamma`` is
    sup|f'| and ``sigma_max`` is ``||W||_2``. Zero norms give ``-inf``, which is a valid bound.
    """
    P = as_array(log_product_sv, "log_product_sv", ndim=2, finite=False)
    norms = as_array(step_norms, "step_norms", ndim=1, finite=False)
    L = P.shape[0] - 1
    if norms.shape[0] != L:
        raise ValueError(f"step_norms needs one norm per Jacobian ({L}); got {norms.shape[0]}.")
    gamma = check_float(gamma, "gamma", low=0.0)
    sigma_max = check_float(sigma_max, "sigma_max", low=0.0)
    distance = np.arange(L + 1)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        top = P[::-1, 0]                                     # distance d = L - k
        log_norms = np.log(norms[::-1])                      # J_L first: the last steps are nearest
        middle = np.concatenate([[0.0], np.cumsum(log_norms)])
        rate = math.log(gamma * sigma_max) if gamma * sigma_max > 0 else -math.inf
        outer = np.where(distance == 0, 0.0, distance * rate if math.isfinite(rate) else rate)
        holds = bool(np.all(_le(top, middle)) and np.all(_le(middle, outer)))
    return BoundChain(distance=distance, log_product_norm=top, log_norm_product=middle,
                      log_uniform_bound=outer, holds=holds)


def _le(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a <= b`` elementwise in log space, up to rounding; -inf is a value, NaN is not judged."""
    with np.errstate(invalid="ignore"):
        tol = BOUND_RTOL * (1.0 + np.abs(np.where(np.isfinite(b), b, 0.0)))
        return (a <= b + tol) | np.isneginf(a) | np.isnan(a) | np.isnan(b)


@dataclass(frozen=True)
class PascanuVerdict:
    """Which of Pascanu et al.'s (2013) conditions holds for a matrix and a nonlinearity.

    ``regime`` is ``"vanishing"`` (gamma sigma_max < 1: sufficient, gradients must vanish),
    ``"may_explode"`` (gamma sigma_max > 1: the necessary condition for exploding holds, so it can
    happen but need not) or ``"boundary"`` (equal to 1 within 1e-12). ``eigen_misleads`` flags the
    trap: the spectral radius is below 1/gamma although sigma_max is not, so an eigenvalue test
    would wrongly promise vanishing.
    """

    sigma_max: float
    radius: float
    gamma: float
    threshold: float
    regime: str
    eigen_misleads: bool

    @property
    def step_bound(self) -> float:
        """``gamma * sigma_max``: no step Jacobian ``diag(f') W`` can stretch a vector by more."""
        return self.gamma * self.sigma_max

    @property
    def sufficient_for_vanishing(self) -> bool:
        """Pascanu's sufficient condition: ``sigma_max < 1/gamma``, so gradients must vanish."""
        return self.regime == "vanishing"

    @property
    def summary(self) -> str:
        """The verdict in two sentences (Markdown), for a page that shows the conditions next to it."""
        if self.sufficient_for_vanishing:
            return (f"Here **σ_max(W) = {self.sigma_max:.3f} < 1/γ = {self.threshold:g}**, so every step shrinks "
                    f"every gradient by at least the factor γ·σ_max = {self.step_bound:.3f}: vanishing is "
                    "**guaranteed**, whatever the inputs (Pascanu et al. 2013's sufficient condition).")
        return (f"Here **σ_max(W) = {self.sigma_max:.3f} ≥ 1/γ = {self.threshold:g}**: the sufficient "
                "condition for vanishing of Pascanu et al. (2013) fails, and their *necessary* condition "
                "for exploding holds — gradients *may* explode, but saturation can still make them vanish.")

    @property
    def message(self) -> str:
        """The verdict in full (Markdown): the numbers, which condition holds and what it means."""
        g, s, thr = self.gamma, self.sigma_max, self.threshold
        head = (f"σ_max(W) = {s:.4g} and γ = {g:.4g} for this nonlinearity, so γ·σ_max(W) = {self.step_bound:.4g} "
                f"(threshold 1/γ = {thr:.4g}).")
        if self.regime == "vanishing":
            body = ("σ_max(W) < 1/γ is **sufficient** for vanishing: every step shrinks every gradient by at "
                    f"least the factor {self.step_bound:.4g}, whatever the inputs, so gradients vanish exponentially.")
        elif self.regime == "may_explode":
            body = ("σ_max(W) > 1/γ is **necessary** for exploding gradients, so they *can* explode — but it is "
                    "not sufficient: saturated units (small f′) or the directions the product takes may "
                    "still make them vanish. Look at the product spectrum to see what actually happens.")
        else:
            body = "γ·σ_max(W) = 1: the boundary case; neither condition decides, the product spectrum does."
        if self.eigen_misleads:
            body += (f" Note the trap: the spectral radius ρ(W) = {self.radius:.4g} is below 1/γ, so an "
                     "*eigenvalue* test would promise vanishing gradients. It cannot: the bound needs the "
                     "largest *singular* value.")
        return f"{head} {body}"


def pascanu_verdict(W, nonlinearity: str = "tanh", *, sigma_max: float | None = None) -> PascanuVerdict:
    """Pascanu et al.'s sufficient / necessary conditions for the matrix ``W`` and a nonlinearity.

    ``sigma_max`` overrides ``||W||_2`` (with a fresh matrix per step, the largest over all steps).
    """
    spec = matrix_spectrum(W)
    norm = spec.norm if sigma_max is None else check_float(sigma_max, "sigma_max", low=0.0)
    gamma = get_nonlinearity(nonlinearity).gamma
    threshold = 1.0 / gamma
    rate = gamma * norm
    if abs(rate - 1.0) <= 1e-12:
        regime = "boundary"
    elif rate < 1.0:
        regime = "vanishing"
    else:
        regime = "may_explode"
    misleads = regime != "vanishing" and spec.radius < threshold
    return PascanuVerdict(sigma_max=norm, radius=spec.radius, gamma=gamma, threshold=threshold,
                          regime=regime, eigen_misleads=bool(misleads))


# --------------------------------------------------------------------------------------------
# Eigenvalues are not enough: the nilpotent counterexample
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NilpotentExample:
    """``W = [[8, 8], [-8, -8]]`` (W² = 0, every eigenvalue 0, ||W||₂ = 16) in a tanh RNN.

    ``h_star`` = (0, 1/2) is a fixed point of ``h = tanh(W h + b)`` for ``b = artanh(h*) - W h*``;
    there ``J = diag(1 - h*²) W = [[8, 6], [-8, -6]]``, with ``J² = 2J``: ``||J^l||₂ = 2^(l-1) √200``.
    ``a_star`` is the pre-activation at the fixed point (``artanh(h*)``).
    """

    W: np.ndarray
    b: np.ndarray
    h_star: np.ndarray
    a_star: np.ndarray
    J: np.ndarray

    def log_power_norms(self, max_power: int) -> np.ndarray:
        """Closed form ``log ||J^l||₂ = (l-1) log 2 + log √200`` for l = 1..max_power (natural log)."""
        max_power = check_int(max_power, "max_power", low=1, high=MAX_STEPS)
        lp = np.arange(1, max_power + 1)
        return (lp - 1) * math.log(2.0) + 0.5 * math.log(200.0)


def nilpotent_example() -> NilpotentExample:
    """The nilpotent counterexample, its fixed point, bias and Jacobian (computed, not typed in)."""
    W = np.array([[8.0, 8.0], [-8.0, -8.0]])
    h_star = np.array([0.0, 0.5])
    a_star = np.arctanh(h_star)
    b = a_star - W @ h_star
    J = get_nonlinearity("tanh").df(a_star)[:, None] * W
    return NilpotentExample(W=W, b=b, h_star=h_star, a_star=a_star, J=J)


# --------------------------------------------------------------------------------------------
# How much work the page can afford
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WorkPlan:
    """How many steps each heavy computation covers for given n and T.

    Every per-step matrix computation (a QR and an SVD) costs about n³, so the page caps the work:
    the product spectrum, the Lyapunov exponents and the bound chain use the *last*
    ``product_steps`` steps, and the per-step singular-value chart samples ``spectra_steps`` steps.
    """

    n: int
    T: int
    product_steps: int
    spectra_steps: int

    @property
    def product_truncated(self) -> bool:
        return self.product_steps < self.T

    @property
    def spectra_sampled(self) -> bool:
        return self.spectra_steps < self.T


#: Cost model in seconds (measured on a 2-core machine, single-threaded BLAS): per step
#: ``STEP_OVERHEAD + cube * n³`` for the product (QR + SVD of the graded triangle + the step's norm)
#: and for the per-step spectra (SVD, plus an eigen-solve where radii are drawn).
STEP_OVERHEAD = 1.0e-4
PRODUCT_CUBE = 1.0e-9
SPECTRA_CUBE = 4.0e-10
RADIUS_CUBE = 3.0e-9
PRODUCT_SECONDS = 1.2
SPECTRA_SECONDS = 0.3
MAX_SPECTRA_POINTS = 1500
#: Floors, whatever the cost (an uploaded 512 × 512 matrix): fewer points would say nothing.
MIN_PRODUCT_STEPS = 16
MIN_SPECTRA_STEPS = 12
#: Bytes a stack of independent matrices (fresh W per step) may take.
MAX_STACK_BYTES = 64 * 2**20
#: Bytes :func:`independent_jacobians` may allocate per (T, n, n) stack (twice the page's stack cap,
#: so the work plan's floor of MIN_PRODUCT_STEPS steps fits even at n = MAX_HIDDEN).
MAX_INDEPENDENT_BYTES = 2 * MAX_STACK_BYTES
#: Above this n the spectral radius of every sampled J_t is skipped (an eigen-solve costs ~5 SVDs).
RADIUS_OVER_TIME_MAX_N = 64


def work_plan(n: int, T: int, *, seconds: float = 1.0, stack: bool = False) -> WorkPlan:
    """The page's compute plan: full horizons where affordable, capped (and said so) where not.

    ``seconds`` scales both budgets (1.0: about 2 s in all at the heaviest setting); ``stack`` caps
    the product further so that a (steps, n, n) stack of matrices fits in ``MAX_STACK_BYTES``.
    """
    n = check_int(n, "n (the number of hidden units)", low=1, high=MAX_HIDDEN)
    T = check_int(T, "T (the number of steps)", low=1, high=MAX_STEPS)
    seconds = check_float(seconds, "seconds", low=0.0, strict_low=True, high=MAX_SECONDS)
    product = int(PRODUCT_SECONDS * seconds / _product_step_seconds(n))
    if stack:
        product = min(product, _stack_steps(n))
    spectra_cube = SPECTRA_CUBE + (RADIUS_CUBE if n <= RADIUS_OVER_TIME_MAX_N else 0.0)
    spectra = int(SPECTRA_SECONDS * seconds / (STEP_OVERHEAD + spectra_cube * float(n) ** 3))
    return WorkPlan(n=n, T=T, product_steps=min(T, max(MIN_PRODUCT_STEPS, product)),
                    spectra_steps=min(T, MAX_SPECTRA_POINTS, max(MIN_SPECTRA_STEPS, spectra)))


def _product_step_seconds(n: int) -> float:
    """The cost model's seconds per step of the product (and the step's norm) at size n."""
    return STEP_OVERHEAD + PRODUCT_CUBE * float(n) ** 3


def _stack_steps(n: int) -> int:
    """How many n × n matrices fit in ``MAX_STACK_BYTES``."""
    return MAX_STACK_BYTES // (8 * n * n)


def full_horizon_budget(n: int, T: int, *, stack: bool = False) -> float | None:
    """The ``seconds`` for :func:`work_plan` at which the product covers all ``T`` steps, or None
    when no budget can (``stack``: the stack of independent matrices would not fit in memory).

    At least 1.0 (the page's default). The page offers it behind a button, with the time
    :func:`estimated_seconds` of that budget.
    """
    n = check_int(n, "n (the number of hidden units)", low=1, high=MAX_HIDDEN)
    T = check_int(T, "T (the number of steps)", low=1, high=MAX_STEPS)
    if stack and T > _stack_steps(n):
        return None
    seconds = max(1.0, (T + 0.5) * _product_step_seconds(n) / PRODUCT_SECONDS)  # + 0.5: work_plan rounds down
    return seconds if seconds <= MAX_SECONDS else None


def estimated_seconds(seconds: float) -> float:
    """About how long the page's analysis takes with the work-plan budget ``seconds`` (the product's
    and the per-step spectra's shares of it)."""
    return seconds * (PRODUCT_SECONDS + SPECTRA_SECONDS)


def step_norms(W, d) -> np.ndarray:
    """``||diag(d_t) W||_2`` for each row d_t of ``d`` (T, n), in memory-bounded chunks."""
    W = as_square(W, "W")
    n = W.shape[0]
    d = as_array(d, "d", shape=(None, n))
    if d.shape[0] > MAX_STEPS:
        raise ValueError(f"d has {d.shape[0]} rows (steps); at most {MAX_STEPS} are accepted.")
    out = np.empty(d.shape[0])
    chunk = max(1, _stack_steps(n) // 2)
    for start in range(0, d.shape[0], chunk):
        block = d[start:start + chunk][:, :, None] * W[None]
        out[start:start + chunk] = spectral_norms(block)
    return out


# --------------------------------------------------------------------------------------------
# The whole page's computation, from scalar settings
# --------------------------------------------------------------------------------------------

#: Matrix sources of :func:`spectral_analysis`: the random kinds, the nilpotent example, or ``W`` given.
SOURCES: tuple[str, ...] = (*MATRIX_KINDS, "nilpotent", "given")
@dataclass(frozen=True)
class SpectralAnalysis:
    """Everything the spectral-norms page draws, for one setting.

    The trajectory runs ``T`` steps; the product spectrum, the Lyapunov exponents and the bound chain
    cover its last ``window`` steps (``window == T`` unless the work plan or an overflow capped it).
    ``product_distance`` (window+1,) and ``product_log_sv`` (window+1, n) are the rows of
    ``product_log_singular_values`` in distance order ``d = T - k`` (row d holds the logs of the
    singular values of ``dh_T/dh_{T-d}``); ``lyapunov`` (n,) are measured growth rates per step, ``theory`` their exact
    values where known (else None) with ``theory_label`` naming the law. ``J_last`` is the Jacobian of
    the last step of the window (the step slider's default). If the product's linear
    algebra failed, ``product_error`` says so and ``product_*``, ``lyapunov`` and ``chain`` are None.
    """

    W: np.ndarray
    nonlinearity: str
    held_at_fixed_point: bool
    iid: bool
    W_spectrum: MatrixSpectrum
    verdict: PascanuVerdict
    plan: WorkPlan
    T: int
    window: int
    overflow_step: int | None
    spectra: StepSpectra
    product_distance: np.ndarray
    product_log_sv: np.ndarray
    lyapunov: np.ndarray
    theory: np.ndarray | None
    theory_label: str
    chain: BoundChain | None
    product_error: str | None = None
    J_last: np.ndarray | None = None

    @property
    def n(self) -> int:
        """The number of hidden units (the size of W)."""
        return int(self.W.shape[0])

    @property
    def usable_steps(self) -> int:
        """The steps before any overflow of the forward pass (``T`` when nothing overflowed)."""
        return self.T if self.overflow_step is None else self.overflow_step - 1

    @property
    def product_truncated(self) -> bool:
        """Whether the work plan left out some of the usable steps from the product (the window is
        shorter than the trajectory for cost, not because of an overflow)."""
        return self.plan.product_truncated and self.window < self.usable_steps

    @property
    def full_horizon_budget(self) -> float | None:
        """The work-plan ``seconds`` at which the product would cover every usable step, when it does
        not yet and a budget can (:func:`full_horizon_budget`); else None."""
        if not self.product_truncated or self.iid:
            return None
        return full_horizon_budget(self.n, self.usable_steps)

    @property
    def full_horizon_wait(self) -> float | None:
        """About how many seconds the analysis takes at :attr:`full_horizon_budget` (None without one)."""
        budget = self.full_horizon_budget
        return None if budget is None else estimated_seconds(budget)

    @property
    def first_dead_distance(self) -> int | None:
        """The first distance at which the product is exactly zero (a zero J_t), or None."""
        return None if self.chain is None else self.chain.first_dead_distance

    @property
    def dead_step(self) -> int | None:
        """The step t whose Jacobian J_t is the first zero matrix going back from T, or None."""
        d = self.first_dead_distance
        return None if d is None else self.T - d + 1

    @property
    def product_has_zeros(self) -> bool:
        """Whether some singular value of some product (distance >= 1) is exactly zero (log = -inf)."""
        return self.product_log_sv is not None and bool((self.product_log_sv[1:] == -math.inf).any())

    @property
    def theory_gap(self) -> float | None:
        """The largest gap, per step, between a measured Lyapunov exponent and its exact value (both
        finite), or None where no exact values are known (NaN if no pair is finite)."""
        if self.theory is None or self.lyapunov is None:
            return None
        a, b = np.asarray(self.lyapunov, dtype=float), np.asarray(self.theory, dtype=float)
        both = np.isfinite(a) & np.isfinite(b)
        return float(np.max(np.abs(a[both] - b[both]))) if both.any() else math.nan

    def log10_top_singular_value(self, distance: int) -> float:
        """log10 of the largest singular value of ``dh_T/dh_{T-d}`` at distance ``d`` (``d <= window``)."""
        return float(self.product_log_sv[distance, 0]) / LN10


@dataclass(frozen=True)
class Setting:
    """The scalar settings that define one RNN of the page (hashable: a cache key)."""

    source: str = "gaussian"
    n: int = 32
    scale: float = 1.0
    seed: int = 0
    nonlinearity: str = "tanh"
    input_scale: float = 0.5
    bias: float = 0.0
    T: int = 300
    iid: bool = False


def _network(setting: Setting, W_given=None):
    """``(W, b, h0, nonlinearity, xs_or_None)`` for a setting (not for iid products)."""
    if setting.source == "nilpotent":
        ex = nilpotent_example()
        return ex.W, ex.b, ex.h_star, "tanh", None
    if setting.source == "given":
        if W_given is None:
            raise ValueError("source 'given' needs the matrix W.")
        W = as_square(W_given, "W")
    else:
        W = recurrent_matrix(setting.source, setting.n, scale=setting.scale, seed=setting.seed)
    n = W.shape[0]
    xs = drive_inputs(setting.T, n, scale=setting.input_scale, seed=setting.seed) if setting.input_scale > 0 else None
    return W, np.full(n, float(setting.bias)), None, setting.nonlinearity, xs


def trajectory_preactivations(setting: Setting, W_given=None, *, steps: int | None = None):
    """``(W, a, nonlinearity, held)``: the pre-activations a_1..a_steps of the page's RNN.

    For the nilpotent example the state is *held* at the fixed point h* (``held=True``): the fixed
    point is unstable (J has eigenvalue 2), so a simulation would leave it after ~50 steps as
    rounding errors double each step.
    """
    steps = setting.T if steps is None else steps
    W, b, h0, nl, xs = _network(setting, W_given)
    if setting.source == "nilpotent":
        return W, np.tile(nilpotent_example().a_star, (steps, 1)), nl, True
    from .rnn import forward

    n = W.shape[0]
    if xs is None:
        tr = forward(W, np.zeros((steps, 1)), b=b, h0=h0, nonlinearity=nl)
    else:
        tr = forward(W, xs[:steps], U=np.eye(n), b=b, h0=h0, nonlinearity=nl)
    return W, tr.a, nl, False


def step_at(setting: Setting, t: int, W_given=None) -> tuple[np.ndarray, np.ndarray]:
    """``(W_t, J_t)`` of the page's network at step t (1-based); ``W_t = W`` unless a fresh matrix per step."""
    from .rnn import step_jacobians

    t = check_int(t, "step t", low=1, high=setting.T)
    if setting.iid:
        J = independent_jacobians(setting.n, t, kind=setting.source, scale=setting.scale, seed=setting.seed,
                                  nonlinearity=setting.nonlinearity, input_scale=setting.input_scale,
                                  bias=setting.bias)[-1]
        return fresh_matrix(setting.source, setting.n, scale=setting.scale, seed=setting.seed, t=t), J
    W, a, nl, _ = trajectory_preactivations(setting, W_given, steps=t)
    with np.errstate(over="ignore", invalid="ignore"):
        return W, step_jacobians(W, a[-1:], nl)[0]


def spectra_at(setting: Setting, t: int, W_given=None, *,
               analysis: SpectralAnalysis | None = None) -> tuple[MatrixSpectrum, MatrixSpectrum]:
    """The spectra of ``W_t`` and of ``J_t`` at step t (1-based). With the setting's ``analysis``, its
    last usable step reuses the Jacobian already computed (no second forward pass)."""
    if (analysis is not None and t == analysis.usable_steps and analysis.J_last is not None
            and not analysis.iid):
        return analysis.W_spectrum, matrix_spectrum(analysis.J_last)
    W_t, J_t = step_at(setting, t, W_given)
    return matrix_spectrum(W_t), matrix_spectrum(J_t)


def _exact_exponents(setting: Setting, last_J: np.ndarray, nl: str, held: bool):
    """Exact Lyapunov exponents where a law gives them: (values or None, label)."""
    from .products import newman_exponents

    n = last_J.shape[0]
    if setting.iid and nl == "linear" and setting.source == "gaussian":
        return np.asarray(newman_exponents(n, setting.scale), dtype=float), "Newman (1986), exact"
    if setting.iid and nl == "linear" and setting.source in ("orthogonal", "identity"):
        with np.errstate(divide="ignore"):
            return np.full(n, math.log(setting.scale) if setting.scale > 0 else -math.inf), "log(scale), exact"
    if held or (not setting.iid and nl == "linear"):
        mod = np.abs(eigenvalues(last_J))
        mod[mod <= n * np.finfo(float).eps * matrix_spectrum(last_J).norm] = 0.0   # rounding-level: exact 0
        with np.errstate(divide="ignore"):
            return np.log(mod), "log|λᵢ| of the repeated Jacobian, exact"
    return None, ""


def _guarded(func, *args):
    """``(result, None)``, or ``(None, message)`` when the product's linear algebra fails to converge."""
    try:
        return func(*args), None
    except np.linalg.LinAlgError as exc:
        return None, (f"the singular values of the product could not be computed ({exc}); the other "
                      "panels are unaffected.")


def spectral_analysis(setting: Setting, W_given=None, *, seconds: float = 1.0) -> SpectralAnalysis:
    """Run the page's RNN and compute every spectrum it shows (see :class:`SpectralAnalysis`).

    ``seconds`` scales the work plan (:func:`work_plan`).
    """
    from .numerics import first_nonfinite
    from .products import product_log_singular_values, trajectory_log_singular_values
    from .rnn import step_jacobians

    check_choice(setting.source, "matrix source", SOURCES)
    T = check_int(setting.T, "T (the number of steps)", low=1, high=MAX_STEPS)
    nl_name = get_nonlinearity(setting.nonlinearity).name
    if setting.iid and setting.source not in MATRIX_KINDS:
        raise ValueError("A fresh matrix per step needs a random kind (gaussian, orthogonal or identity).")

    with np.errstate(over="ignore", under="ignore", divide="ignore", invalid="ignore"):
        if setting.iid:
            n = check_int(setting.n, "n (the number of hidden units)", low=1)
            W = fresh_matrix(setting.source, n, scale=setting.scale, seed=setting.seed, t=1)
            T = work_plan(n, T, seconds=seconds, stack=True).product_steps  # the product *is* the network
            plan = work_plan(n, T, seconds=seconds)
            J, w_norms = independent_jacobians(n, T, kind=setting.source, scale=setting.scale, seed=setting.seed,
                                               nonlinearity=nl_name, input_scale=setting.input_scale,
                                               bias=setting.bias, weight_norms=True)
            sigma_max = float(np.max(w_norms))
            held, overflow, nl = False, None, nl_name
            sampled = sample_steps(T, plan.spectra_steps)
            J_sampled = J[sampled - 1]
            window = T
            P, product_error = _guarded(product_log_singular_values, J)
            norms = spectral_norms(J)
            last_J = J[-1]
        else:
            W, a, nl, held = trajectory_preactivations(setting, W_given)
            n = W.shape[0]
            plan = work_plan(n, T, seconds=seconds)
            d = get_nonlinearity(nl).df(a)
            overflow = first_nonfinite(a)                   # a_{overflow+1} is the first non-finite one
            usable = T if overflow is None else overflow
            if usable == 0:
                raise ValueError("The very first step overflowed: J_1 is undefined. Lower the scale, the "
                                 "inputs or the bias.")
            overflow = None if overflow is None else overflow + 1   # as a step number t
            window = min(plan.product_steps, usable)
            sampled = sample_steps(usable, plan.spectra_steps)
            J_sampled = step_jacobians(W, a[sampled - 1], nl)
            a_win = a[usable - window:usable]
            P, product_error = _guarded(trajectory_log_singular_values, W, a_win, nl)
            norms = step_norms(W, d[usable - window:usable])
            last_J = step_jacobians(W, a_win[-1:], nl)[0]
            sigma_max = None
        spectra = step_spectra(J_sampled, steps=sampled, radius=n <= RADIUS_OVER_TIME_MAX_N)
        if P is not None:
            P = np.asarray(P, dtype=float)
            lyap = P[0] / window        # = lyapunov_exponents(J) of the window, without a second sweep
    W_spec = matrix_spectrum(W)
    verdict = pascanu_verdict(W, nl, sigma_max=sigma_max)
    theory, label = _exact_exponents(setting, last_J, nl, held)
    if P is None:
        return SpectralAnalysis(
            W=W, nonlinearity=nl, held_at_fixed_point=held, iid=setting.iid, W_spectrum=W_spec, verdict=verdict,
            plan=plan, T=T, window=window, overflow_step=overflow, spectra=spectra, product_distance=None,
            product_log_sv=None, lyapunov=None, theory=theory, theory_label=label, chain=None,
            product_error=product_error, J_last=last_J)
    chain = bound_chain(P, norms, gamma=verdict.gamma, sigma_max=verdict.sigma_max)
    return SpectralAnalysis(
        W=W, nonlinearity=nl, held_at_fixed_point=held, iid=setting.iid, W_spectrum=W_spec, verdict=verdict,
        plan=plan, T=T, window=window, overflow_step=overflow, spectra=spectra,
        product_distance=np.arange(window + 1), product_log_sv=P[::-1], lyapunov=lyap, theory=theory,
        theory_label=label, chain=chain, J_last=last_J)


# --------------------------------------------------------------------------------------------
# The gated cure: a GRU on the same W and drive
# --------------------------------------------------------------------------------------------

#: Update-gate biases the GRU comparison accepts (z = σ(b_z + …): b_z = 3 gives z ≈ 0.95).
GRU_BIAS_RANGE = (-10.0, 10.0)


@dataclass(frozen=True)
class GRUProduct:
    """The spectrum of dh_T/dh_k along a GRU trajectory driven like the page's plain RNN.

    ``distance`` (window+1,) and ``log_sv`` (window+1, n) as in :class:`SpectralAnalysis`
    (row d: natural logs of the singular values of dh_T/dh_{T-d}); ``window`` the last steps
    covered; ``mean_update_gate`` the mean of z_t over the window (how close each step is to
    "keep the state"); ``update_bias`` the gate bias b_z. ``error`` says why the product failed
    (``distance`` and ``log_sv`` are then None).
    """

    update_bias: float
    T: int
    window: int
    mean_update_gate: float
    distance: np.ndarray | None
    log_sv: np.ndarray | None
    error: str | None = None

    @property
    def log10_top_singular_value(self) -> float:
        """log10 of the largest singular value of the GRU's gradient path over the whole window."""
        return float(self.log_sv[-1, 0]) / LN10


def gru_product(setting: Setting, *, update_bias: float = 3.0, window: int | None = None,
                seconds: float = 1.0) -> GRUProduct:
    """A GRU with the page's recurrent matrix as its candidate weights ``W_hn``, the same drive
    ``x_t`` fed straight into the candidate (``W_in = I``, ``b_in`` = the page's bias, as the plain RNN's
    ``U = I``), gates from :func:`rnnviz.init_gru` (same kind and scale, seeds derived from the seed)
    and update-gate bias ``update_bias``; the singular values of its gradient paths over the last
    ``window`` steps (default: the work plan's for ``seconds``). The Jacobians are built a stretch
    at a time (:func:`rnnviz.products.chunked_log_singular_values`), never as one (T, n, n) stack.

    With z ≡ 0 and r ≡ 1 this GRU is the page's tanh RNN; with z near 1 every step Jacobian is
    close to the identity and the singular values stay near 1 (log near 0) over long distances.
    """
    from dataclasses import replace

    from .gated import gru_forward, gru_step_jacobians, init_gru
    from .products import chunked_log_singular_values

    if setting.iid or setting.source not in MATRIX_KINDS:
        raise ValueError("The GRU comparison needs one random recurrent matrix for every step (a Gaussian, "
                         "orthogonal or identity W, without 'a fresh matrix per step').")
    n = check_int(setting.n, "n (the number of hidden units)", low=1)
    T = check_int(setting.T, "T (the number of steps)", low=1, high=MAX_STEPS)
    lo, hi = GRU_BIAS_RANGE
    update_bias = check_float(update_bias, "update-gate bias b_z", low=lo, high=hi)
    L = work_plan(n, T, seconds=seconds).product_steps
    if window is not None:
        L = min(L, check_int(window, "window", low=1, high=T))
    p = init_gru(n, n, scheme=setting.source, scale=setting.scale, update_bias=update_bias, seed=setting.seed)
    p = replace(p, W_in=np.eye(n), b_in=np.full(n, float(setting.bias)))
    xs = (drive_inputs(T, n, scale=setting.input_scale, seed=setting.seed) if setting.input_scale > 0
          else np.zeros((T, n)))
    with np.errstate(over="ignore", under="ignore", divide="ignore", invalid="ignore"):
        tr = gru_forward(p, xs)
        win = tr.window(T - L, T)
        z_mean = float(np.mean(win.z))
        P, error = _guarded(chunked_log_singular_values, L, n, lambda a, b: gru_step_jacobians(p, win.window(a, b)))
    if P is None:
        return GRUProduct(update_bias=update_bias, T=T, window=L, mean_update_gate=z_mean, distance=None,
                          log_sv=None, error=error)
    return GRUProduct(update_bias=update_bias, T=T, window=L, mean_update_gate=z_mean,
                      distance=np.arange(L + 1), log_sv=np.asarray(P, dtype=float)[::-1])
