"""Mean-field theory of a large random RNN: the edge of chaos, predicted from a few numbers.

Model (large n): ``a_t = W h_{t-1} + b + x_t``, ``h_t = f(a_t)``, ``W_ij ~ N(0, σ_w²/n)``,
per-unit biases ``b_i ~ N(bias, σ_b²)``, inputs ``x_t,i ~ N(0, s²)``. The pre-activations are
Gaussian with mean ``bias`` and a stationary variance q that solves

    q = F(q) = σ_w² E[f(a)²] + σ_b² + s²,      a ~ N(bias, q),

and one step multiplies a squared perturbation (or a back-propagated gradient) on average by

    χ = σ_w² E[f′(a)²].

The largest Lyapunov exponent is ½ ln χ: χ < 1 ordered (gradients vanish; the squared gradient
norm falls by e every ξ = −1/ln χ steps), χ > 1 chaotic (they explode), χ = 1 the edge
(Sompolinsky, Crisanti & Sommers 1988; Molgedey, Schuchhardt & Schuster 1992; Poole et al. 2016;
Schoenholz et al. 2017; Chen, Pennington & Schoenholz 2018).

Numerics
--------
* ReLU, leaky ReLU and linear units: the Gaussian expectations in closed form (Φ, φ).
* tanh and sigmoid: for q ≤ ¼, Gauss–Hermite quadrature in z (a = bias + √q z, 80 nodes); for
  q > ¼, the trapezoid rule in a itself over [−40, 40] (step 0.25; 0.5 for a sigmoid with q > 4,
  ±20 for tanh) of ``g(a) N(a; bias, q)``, where
  g is an integrable function analytic in a strip (sech², sech⁴, the sigmoid minus a probit
  Φ(κa), whose Gaussian expectation is closed form): the error is ~e^(−2π·width/step) < 1e-16.
  The node values g(a_j) are the same for every cell, so a whole grid is one matrix product.
* The fixed point: q is the *largest* solution of q = F(q) (the variance a network started from
  large random states settles at; ``inf`` when F(q) > q for every large q). It is found by a
  bracketed Newton iteration on G(q) = q − F(q) with G' = 1 − F' and F'(q) = σ_w² ½ E[(f²)″(a)]
  (Price's theorem), bisection whenever a Newton step leaves the bracket: quadratic convergence
  also next to the edge, where plain iteration q ← F(q) crawls.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.polynomial.hermite_e import hermegauss
from scipy.optimize import brentq
from scipy.special import expit, ndtr

from ._validate import as_array, check_choice, check_float, check_int, check_seed
from .nonlinearities import LEAKY_SLOPE, NONLINEARITIES, get_nonlinearity
from .numerics import first_nonfinite
from .rnn import MAX_HIDDEN, MAX_STEPS, forward, init_recurrent

#: Bounds of the settings (far beyond the page's sliders; they keep the quadrature exact).
MAX_SIGMA_W = 100.0
MAX_BIAS = 10.0
MAX_SPREAD = 10.0
#: Most cells in one :func:`mean_field_grid` call.
MAX_GRID_CELLS = 1_000_000

_Z, _ZW = hermegauss(80)
_ZW = _ZW / math.sqrt(2.0 * math.pi)
_A_STEP = 0.25
_A = np.arange(-160, 161) * _A_STEP          # sigmoid: its remainder decays like e^(−|a|)
_A_TANH = _A[np.abs(_A) <= 20.0]               # tanh: sech² decays like e^(−2|a|)
_KAPPA = math.sqrt(math.pi / 8.0)  # probit slope: sigmoid(a) ≈ Φ(κ a)


def _sech2(a):
    e = np.exp(-2.0 * np.abs(a))
    return 4.0 * e / (1.0 + e) ** 2


def _a_space_tables():
    s2 = _sech2(_A_TANH)
    sig = expit(_A)
    dsig = sig * (1.0 - sig)
    tanh_g = np.stack([s2, s2 * s2])                                  # E sech², E sech⁴
    sigm_g = np.stack([sig - ndtr(_KAPPA * _A), dsig, dsig * dsig,    # E[σ − Φ(κa)], E σ′, E σ′²
                       sig * sig * (1.0 - sig) * (2.0 - 3.0 * sig)])  # ½ E (σ²)″
    return tanh_g.T.copy(), sigm_g.T.copy()


_TANH_G, _SIGM_G = _a_space_tables()


@dataclass(frozen=True)
class MeanField:
    """The mean-field prediction for one setting.

    ``q``: stationary pre-activation variance (``inf`` where the variance map has no finite
    fixed point; then ``chi`` is its limit as q → ∞); ``chi`` = σ_w² E[f′(a)²];
    ``lyapunov`` = ½ ln χ (``-inf`` where χ = 0); ``depth_scale`` = −1/ln χ for χ < 1, else ``inf``.
    """

    nonlinearity: str
    sigma_w: float
    bias: float
    sigma_b: float
    input_std: float
    q: float
    chi: float
    lyapunov: float
    depth_scale: float

    @property
    def phase(self) -> str:
        """``"ordered"`` (χ < 1), ``"edge"`` (χ = 1 to 1e-12) or ``"chaotic"`` (χ > 1)."""
        return phase_of(self.chi)


@dataclass(frozen=True)
class MeanFieldGrid:
    """:func:`mean_field` over broadcast arrays of settings; every field has the broadcast shape."""

    nonlinearity: str
    sigma_w: np.ndarray
    bias: np.ndarray
    sigma_b: np.ndarray
    input_std: np.ndarray
    q: np.ndarray
    chi: np.ndarray
    lyapunov: np.ndarray
    depth_scale: np.ndarray


#: |χ − 1| below which a setting counts as on the edge (rounding of σ_w² alone is ~1e-16).
EDGE_TOLERANCE = 1e-12


def phase_of(chi: float) -> str:
    """The phase a one-step multiplier χ puts a network in: ordered, edge or chaotic."""
    if abs(chi - 1.0) <= EDGE_TOLERANCE:
        return "edge"
    return "ordered" if chi < 1.0 else "chaotic"


# ---- Gaussian expectations -------------------------------------------------------------------

def _z_space(name, mu, q):
    """(E f², ½E (f²)″, E f′²) for q ≤ ¼ by Gauss–Hermite quadrature in z."""
    a = mu[:, None] + np.sqrt(q)[:, None] * _Z[None, :]
    if name == "tanh":
        t = np.tanh(a)
        s2 = _sech2(a)
        f2, dd, k = t * t, 3.0 * s2 * s2 - 2.0 * s2, s2 * s2
    else:
        s = expit(a)
        ds = s * (1.0 - s)
        f2, dd, k = s * s, s * s * (1.0 - s) * (2.0 - 3.0 * s), ds * ds
    return f2 @ _ZW, dd @ _ZW, k @ _ZW


def _tanh_deficits(mu, q):
    """(E[a² − tanh² a], 1 − ½E (tanh²)″(a)) for a ~ N(mu, q) with q ≤ ¼, both accurate relative to
    themselves also where they are tiny (a near 0: ``a − tanh a`` by its series, and 1 − ½(tanh²)″ =
    t²(4 − 3t²)), so that the Newton step on q − F(q) keeps its digits next to a root at q ≈ 0."""
    a = mu[:, None] + np.sqrt(q)[:, None] * _Z[None, :]
    t = np.tanh(a)
    a2, t2 = a * a, t * t
    series = a * a2 * (1 / 3 + a2 * (-2 / 15 + a2 * (17 / 315 - a2 * 62 / 2835)))
    diff = np.where(np.abs(a) < 0.01, series, a - t)
    return (diff * (a + t)) @ _ZW, (t2 * (4.0 - 3.0 * t2)) @ _ZW


def _a_space(name, mu, q):
    """(E f², ½E (f²)″, E f′²) for q > ¼ by the trapezoid rule in a."""
    nodes, table, step = (_A_TANH, _TANH_G, _A_STEP) if name == "tanh" else (_A, _SIGM_G, _A_STEP)
    if name == "sigmoid" and q.min() > 4.0:
        # The sigmoid's poles sit at ±iπ: for a wide Gaussian every other node is as exact.
        nodes, table, step = nodes[::2], table[::2], 2 * _A_STEP
    w = np.subtract.outer(-mu, -nodes)          # (cells, nodes): a_j − μ
    w *= (1.0 / np.sqrt(q))[:, None]
    np.square(w, out=w)
    w *= -0.5
    np.exp(w, out=w)
    scale = step / np.sqrt(2.0 * np.pi * q)
    if name == "tanh":
        e2, e4 = (w @ table).T * scale
        return 1.0 - e2, 3.0 * e4 - 2.0 * e2, e4
    r, e1, e11, dd = (w @ table).T * scale
    mean_sig = ndtr(_KAPPA * mu / np.sqrt(1.0 + _KAPPA**2 * q)) + r
    return mean_sig - e1, dd, e11


def _homogeneous(name, mu, q):
    """(E f², ½E (f²)″, E f′²) in closed form for linear, ReLU and leaky ReLU units."""
    if name == "linear":
        one = np.ones_like(q)
        return mu * mu + q, one, one
    with np.errstate(divide="ignore", invalid="ignore"):
        sq = np.sqrt(q)
        t = np.where(q > 0, mu / np.where(q > 0, sq, 1.0), np.sign(mu) * np.inf)
        cdf = np.where(np.isnan(t), 0.5, ndtr(t))  # μ = q = 0: the limit q → 0+ (half the units on)
        pdf = np.where(np.isfinite(t), np.exp(-0.5 * np.where(np.isfinite(t), t, 0.0) ** 2), 0.0) / math.sqrt(2 * math.pi)
        relu2 = (mu * mu + q) * cdf + mu * sq * pdf
    if name == "relu":
        return relu2, cdf, cdf
    s2 = LEAKY_SLOPE**2
    p = (1.0 - s2) * cdf + s2
    return (1.0 - s2) * relu2 + s2 * (mu * mu + q), p, p


def _moments(name, mu, q):
    """(E f(a)², ½E (f²)″(a), E f′(a)²) for a ~ N(mu, q), elementwise over flat arrays."""
    if name in ("linear", "relu", "leaky_relu"):
        return _homogeneous(name, mu, q)
    f2, dd, k = (np.empty_like(q) for _ in range(3))
    small, wide = q <= 0.25, q > 4.0
    for mask, rule in ((small, _z_space), (~small & ~wide, _a_space), (wide, _a_space)):
        if mask.any():
            f2[mask], dd[mask], k[mask] = rule(name, mu[mask], q[mask])
    return f2, dd, k


def _slope_at_infinity(name: str) -> float:
    """lim E f′(a)² as q → ∞: the asymptotic slope of E f(a)² / q."""
    return {"linear": 1.0, "relu": 0.5, "leaky_relu": 0.5 * (1.0 + LEAKY_SLOPE**2)}[name]


# ---- the fixed point -------------------------------------------------------------------------

_MAX_ITER = 200
_HUGE = 1e300


def _newton(name, sw2, mu, c, lo, hi, k_out):
    """The root of G(q) = q − F(q) in [lo, hi] (G(lo) ≤ 0 < G(hi)), from hi downwards.

    ``k_out`` receives E f′(a)² at the last evaluation, within 1e-14 of the root (χ needs no extra pass).
    """
    q = hi.copy()
    active = np.ones(q.shape, dtype=bool)
    for _ in range(_MAX_ITER):
        idx = np.flatnonzero(active)
        if idx.size == 0:
            break
        qi, m, s, cc = q[idx], mu[idx], sw2[idx], c[idx]
        f2, dd, k = _moments(name, m, qi)
        G = qi - (s * f2 + cc)
        dG = 1.0 - s * dd
        small = (qi <= 0.25) if name == "tanh" else None
        if small is not None and small.any():
            # q − F(q) = q(1 − σ_w²) − σ_w² bias² + σ_w² E[a² − tanh² a] − c: no cancellation near q = 0
            D, dD = _tanh_deficits(m[small], qi[small])
            ss = s[small]
            G[small] = qi[small] * (1.0 - ss) - ss * m[small] ** 2 + ss * D - cc[small]
            dG[small] = (1.0 - ss) + ss * dD
        pos = G > 0
        hi[idx] = np.where(pos, qi, hi[idx])
        lo[idx] = np.where(pos, lo[idx], qi)
        with np.errstate(divide="ignore", invalid="ignore"):
            step = G / dG
            nxt = qi - step
        lo_i, hi_i = lo[idx], hi[idx]
        # Converged: the Newton correction is below 1e-14 of q (the next one would be ~1e-28),
        # or the bracket has shrunk to that width.
        done = (np.abs(step) <= 1e-14 * qi) | (G == 0) | (hi_i - lo_i <= 1e-14 * hi_i)
        bad = ~np.isfinite(nxt) | (dG <= 0) | (nxt <= lo_i) | (nxt >= hi_i)
        # Bisect where Newton left the bracket: geometrically while the bracket spans decades (a root
        # far below hi, e.g. q ~ bias² for a tiny bias, is found in tens of steps, not hundreds).
        wide = lo_i < 1e-3 * hi_i
        mid = np.where(wide, np.sqrt(np.maximum(lo_i, 1e-300) * hi_i), 0.5 * (lo_i + hi_i))
        nxt = np.where(bad, mid, nxt)
        q[idx] = np.where(done & bad, qi, nxt)
        k_out[idx[done]] = k[done]
        active[idx[done]] = False
    return q


def _expand(name, sw2, mu, c, hi):
    """Grow ``hi`` until G(hi) > 0 (cells where it never does up to 1e300 get ``inf``)."""
    hi = hi.copy()
    active = np.ones(hi.shape, dtype=bool)
    while True:
        idx = np.flatnonzero(active & (hi < _HUGE))
        if idx.size == 0:
            break
        f2, _, _ = _moments(name, mu[idx], hi[idx])
        G = hi[idx] - (sw2[idx] * f2 + c[idx])
        active[idx[G > 0]] = False
        grow = idx[G <= 0]
        hi[grow] = hi[grow] * 16.0
    hi[hi >= _HUGE] = np.inf
    return hi


def _fixed_point(name, sw, mu, c):
    """The largest solution q of q = F(q), elementwise over flat arrays (``inf`` if none), and
    E f′(a)² at q where the Newton solve found it (NaN elsewhere)."""
    sw2 = sw * sw
    q = np.full(sw.shape, np.nan)
    k = np.full(sw.shape, np.nan)
    q[sw2 == 0] = c[sw2 == 0]
    if name == "linear":
        with np.errstate(divide="ignore", invalid="ignore"):
            q = np.where(sw2 < 1.0, (sw2 * mu * mu + c) / (1.0 - sw2), np.inf)
        q[sw2 == 0] = c[sw2 == 0]
        return q, k
    if name == "tanh":
        q[(mu == 0) & (c == 0) & (sw2 <= 1.0)] = 0.0  # tanh² a < a²: no positive root
        todo = np.isnan(q)
        hi = sw2[todo] + c[todo]  # F ≤ σ_w² sup f² + c with sup tanh² = 1
    elif name == "sigmoid":
        todo = np.isnan(q)
        hi = sw2[todo] + c[todo]
    else:  # relu, leaky_relu: E f² grows like κ q
        kappa_sw2 = _slope_at_infinity(name) * sw2
        # μ ≥ 0 gives E f² ≥ κ q, so κσ_w² ≥ 1 leaves F(q) ≥ q everywhere; κσ_w² > 1 always wins at large q.
        q[np.isnan(q) & ((kappa_sw2 > 1.0) | ((kappa_sw2 >= 1.0) & (mu >= 0)))] = np.inf
        if name == "relu":
            # A dead network: μ ≤ 0 without any drive has E relu² ≤ q/2, so only q = 0 remains.
            q[np.isnan(q) & (mu <= 0) & (c == 0)] = 0.0
        at_zero = np.isnan(q) & (mu == 0)
        q[at_zero] = c[at_zero] / (1.0 - kappa_sw2[at_zero])
        todo = np.isnan(q)
        start = np.maximum(1.0, 2.0 * c[todo] + 2.0 * sw2[todo] * mu[todo] ** 2)
        hi = _expand(name, sw2[todo], mu[todo], c[todo], start)
        finite = np.isfinite(hi)
        cells = np.flatnonzero(todo)
        q[cells[~finite]] = np.inf
        sub = cells[finite]
        k_sub = np.full(sub.size, np.nan)
        q[sub] = _newton(name, sw2[sub], mu[sub], c[sub], np.zeros(sub.size), hi[finite], k_sub)
        k[sub] = k_sub
        return q, k
    k_todo = np.full(hi.shape, np.nan)
    q[todo] = _newton(name, sw2[todo], mu[todo], c[todo], np.zeros(hi.shape), hi, k_todo)
    k[todo] = k_todo
    return q, k


def _chi(name, sw, mu, q, k):
    """σ_w² E f′(a)² at q, reusing ``k`` (E f′(a)² from the solve) where it is known."""
    sw2 = sw * sw
    chi = np.empty_like(q)
    inf = np.isinf(q)
    if inf.any():
        chi[inf] = sw2[inf] * _slope_at_infinity(name)
    known = ~inf & ~np.isnan(k)
    chi[known] = sw2[known] * k[known]
    fin = ~inf & ~known
    if fin.any():
        chi[fin] = sw2[fin] * _moments(name, mu[fin], q[fin])[2]
    return chi


def _solve(name, sw, mu, sb, s):
    """(q, χ, λ, ξ) for flat arrays of checked settings."""
    c = sb * sb + s * s
    q, k = _fixed_point(name, sw, mu, c)
    chi = _chi(name, sw, mu, q, k)
    with np.errstate(divide="ignore"):
        log_chi = np.log(chi)
        depth = np.where(chi < 1.0, -1.0 / log_chi, np.inf)
    return q, chi, 0.5 * log_chi, depth


# ---- public API ------------------------------------------------------------------------------

def _check_settings(sigma_w, bias, sigma_b, input_std, convert):
    return (convert(sigma_w, "sigma_w", 0.0, MAX_SIGMA_W), convert(bias, "bias", -MAX_BIAS, MAX_BIAS),
            convert(sigma_b, "sigma_b", 0.0, MAX_SPREAD), convert(input_std, "input_std", 0.0, MAX_SPREAD))


def _scalar(value, name, low, high):
    return check_float(value, name, low=low, high=high)


def mean_field(nonlinearity: str, sigma_w: float, *, bias: float = 0.0, sigma_b: float = 0.0,
               input_std: float = 0.0) -> MeanField:
    """The mean-field prediction (q, χ, ½ ln χ, −1/ln χ) for a random RNN with these settings.

    ``nonlinearity``: one of :data:`rnnviz.NONLINEARITIES`; ``sigma_w``: W_ij ~ N(0, σ_w²/n),
    0..100; ``bias``: the mean bias, −10..10; ``sigma_b``: spread of per-unit biases, 0..10;
    ``input_std``: the input's standard deviation s, 0..10. Accurate to ~1e-11 relative (tested to 1e-10
    against 20-digit quadrature).
    """
    name = check_choice(nonlinearity, "nonlinearity", NONLINEARITIES)
    sw, mu, sb, s = _check_settings(sigma_w, bias, sigma_b, input_std, _scalar)
    q, chi, lyap, depth = (float(v[0]) for v in _solve(name, *(np.array([v], dtype=float) for v in (sw, mu, sb, s))))
    return MeanField(name, sw, mu, sb, s, q, chi, lyap, depth)


def _array(value, name, low, high):
    arr = as_array(value, name)
    if arr.size and (arr.min() < low or arr.max() > high):
        raise ValueError(f"{name} must lie in [{low}, {high}]; got values from {arr.min()} to {arr.max()}.")
    return arr


def mean_field_grid(nonlinearity: str, sigma_w, *, bias=0.0, sigma_b=0.0, input_std=0.0) -> MeanFieldGrid:
    """:func:`mean_field` for every combination of broadcast arrays, vectorised.

    E.g. ``mean_field_grid("tanh", sw[:, None], input_std=s[None, :])`` gives a (len(sw), len(s))
    phase diagram. Same bounds as :func:`mean_field`; at most 1,000,000 cells.
    """
    name = check_choice(nonlinearity, "nonlinearity", NONLINEARITIES)
    arrays = _check_settings(sigma_w, bias, sigma_b, input_std, _array)
    try:
        shape = np.broadcast_shapes(*(a.shape for a in arrays))
    except ValueError as exc:
        raise ValueError(f"sigma_w, bias, sigma_b and input_std must broadcast together; got shapes "
                         f"{', '.join(str(a.shape) for a in arrays)}.") from exc
    size = math.prod(shape)
    if size > MAX_GRID_CELLS:
        raise ValueError(f"The grid has {size:,} cells; at most {MAX_GRID_CELLS:,} are accepted.")
    flat = [np.broadcast_to(a, shape).ravel() for a in arrays]
    q, chi, lyap, depth = (v.reshape(shape) for v in _solve(name, *flat))
    sw, mu, sb, s = (np.broadcast_to(a, shape) for a in arrays)
    return MeanFieldGrid(name, sw, mu, sb, s, q, chi, lyap, depth)


def variance_map(nonlinearity: str, q, *, sigma_w: float, bias: float = 0.0, sigma_b: float = 0.0,
                 input_std: float = 0.0) -> np.ndarray:
    """The variance map F(q) = σ_w² E[f(a)²] + σ_b² + s², a ~ N(bias, q), for an array of q ≥ 0.

    Its largest fixed point is :attr:`MeanField.q`.
    """
    name = check_choice(nonlinearity, "nonlinearity", NONLINEARITIES)
    sw, mu, sb, s = _check_settings(sigma_w, bias, sigma_b, input_std, _scalar)
    q = as_array(q, "q", allow_empty=True)
    if q.size and q.min() < 0:
        raise ValueError(f"q is a variance and must be at least 0; got {q.min()}.")
    flat = q.ravel()
    f2 = _moments(name, np.full(flat.shape, mu), flat)[0]
    return (sw * sw * f2 + sb * sb + s * s).reshape(q.shape)


def edge_sigma_w(nonlinearity: str, *, bias: float = 0.0, sigma_b: float = 0.0, input_std: float = 0.0) -> float:
    """The weight scale σ_w at which χ = 1 for these settings (``inf`` if χ < 1 up to σ_w = 100).

    χ grows with σ_w (it may jump: a ReLU network with a negative bias and no drive is dead, χ = 0, until
    σ_w² > 2 sends q to ∞), so the edge is one point: found by a bracketed root find on ln χ (brentq).
    """
    name = check_choice(nonlinearity, "nonlinearity", NONLINEARITIES)
    _, mu, sb, s = _check_settings(1.0, bias, sigma_b, input_std, _scalar)
    args = (np.array([mu]), np.array([sb]), np.array([s]))

    def log_chi(sw: float) -> float:
        chi = float(_solve(name, np.array([sw]), *args)[1][0])
        return math.log(chi) if chi > 0 else -math.inf  # a dead ReLU network: χ = 0

    hi = 1.0
    while log_chi(hi) < 0:
        if hi >= MAX_SIGMA_W:
            return math.inf
        hi = min(2.0 * hi, MAX_SIGMA_W)
    lo = hi / 2.0
    while lo > 1e-6 and log_chi(lo) >= 0:
        lo /= 2.0
    return float(brentq(log_chi, lo, hi, xtol=1e-13, rtol=1e-13))


@dataclass(frozen=True)
class TrainableBand:
    """The σ_w around the edge where a gradient sent back ``distance`` steps changes by at most
    10^±``decades`` (χ^(distance/2) within that range): ``low`` .. ``high`` (``edge`` inside)."""

    distance: int
    decades: float
    low: float
    edge: float
    high: float

    @property
    def width(self) -> float:
        return self.high - self.low


def trainable_band(nonlinearity: str, *, bias: float = 0.0, sigma_b: float = 0.0, input_std: float = 0.0,
                   distance: int = 50, decades: float = 3.0) -> TrainableBand:
    """The band of σ_w where |ln χ| ≤ 2·decades·ln 10 / distance: gradients neither vanish nor explode
    by more than 10^decades over ``distance`` steps (``high`` is ``inf`` where χ stays below that)."""
    name = check_choice(nonlinearity, "nonlinearity", NONLINEARITIES)
    distance = check_int(distance, "distance", low=1, high=MAX_STEPS)
    decades = check_float(decades, "decades", low=0.0, high=300.0, strict_low=True)
    _, mu, sb, s = _check_settings(1.0, bias, sigma_b, input_std, _scalar)
    limit = 2.0 * decades * math.log(10.0) / distance
    args = (np.array([mu]), np.array([sb]), np.array([s]))

    def excess(sw: float, sign: float) -> float:
        chi = float(_solve(name, np.array([sw]), *args)[1][0])
        return (math.log(chi) if chi > 0 else -math.inf) - sign * limit

    edge = edge_sigma_w(name, bias=mu, sigma_b=sb, input_std=s)

    def crossing(sign: float) -> float:
        lo, hi = (1e-12, edge) if sign < 0 else (edge, MAX_SIGMA_W)
        if not math.isfinite(hi) or excess(hi, sign) < 0:
            return math.inf if sign > 0 else 0.0
        if excess(lo, sign) > 0:
            return lo
        return float(brentq(lambda sw: excess(sw, sign), lo, hi, xtol=1e-12, rtol=1e-12))

    return TrainableBand(distance, decades, crossing(-1.0), edge, crossing(+1.0))


# ---- the simulation the theory is compared with ------------------------------------------------

#: Weight matrices :func:`simulate_network` draws: i.i.d. Gaussian, or σ_w times a Haar orthogonal W.
NETWORK_SCHEMES: tuple[str, ...] = ("gaussian", "orthogonal")
#: Random gradient directions back-propagated at once (their mean square is what the theory predicts).
GRADIENT_PROBES = 8


@dataclass(frozen=True)
class NetworkRun:
    """A real n-unit RNN run at one setting (:func:`simulate_network`).

    ``lyapunov``: its measured largest Lyapunov exponent (Benettin's method: the mean log growth per
    step of a tangent vector carried by the step Jacobians J_t = diag(f′(a_t)) W); ``q``: the
    measured mean of (a_t,i − bias)²; ``chi``: σ_w² times the measured mean of f′(a_t,i)²;
    ``log_gradient_norms[d]``: ln of the root-mean-square norm of ``(∂h_T/∂h_{T−d})ᵀ u`` over
    random unit vectors u (the gradient a loss at step T sends back d steps), d = 0..steps;
    ``overflow_step``: the first step (counted after the burn-in) whose state left float64, if any;
    the measurements then use the steps before it.
    """

    nonlinearity: str
    sigma_w: float
    scheme: str
    n: int
    steps: int
    lyapunov: float
    q: float
    chi: float
    log_gradient_norms: np.ndarray
    overflow_step: int | None

    @property
    def depth_scale(self) -> float:
        """−1/(2λ₁): the measured distance over which the squared gradient falls by e (inf if λ₁ ≥ 0)."""
        return -1.0 / (2.0 * self.lyapunov) if self.lyapunov < 0 else math.inf


def simulate_network(nonlinearity: str, sigma_w: float, *, bias: float = 0.0, sigma_b: float = 0.0,
                     input_std: float = 0.0, n: int = 400, steps: int = 1000, burn_in: int = 200,
                     scheme: str = "gaussian", seed: int = 0) -> NetworkRun:
    """Run the network the theory describes and measure what it predicts.

    ``W = init_recurrent(n, scheme, sigma_w, seed)``; biases ``b_i = bias + sigma_b·N(0, 1)``;
    inputs ``x_t,i = input_std·N(0, 1)`` (through ``U = I``); ``h_0 ~ N(0, I)``. The first
    ``burn_in`` steps let the variance settle; the following ``steps`` are measured
    (see :class:`NetworkRun`). Same seed, same network, same numbers.
    """
    name = check_choice(nonlinearity, "nonlinearity", NONLINEARITIES)
    sw, mu, sb, s = _check_settings(sigma_w, bias, sigma_b, input_std, _scalar)
    n = check_int(n, "n (the number of hidden units)", low=2, high=MAX_HIDDEN)
    steps = check_int(steps, "steps", low=1, high=MAX_STEPS)
    burn_in = check_int(burn_in, "burn_in", low=0, high=MAX_STEPS)
    scheme = check_choice(scheme, "weight scheme", NETWORK_SCHEMES)
    seed = check_seed(seed)
    nl = get_nonlinearity(name)
    W = init_recurrent(n, scheme, sw, seed)
    rng = np.random.default_rng([seed, 1])
    b = mu + sb * rng.standard_normal(n)
    h0 = rng.standard_normal(n)
    total = burn_in + steps
    xs = s * rng.standard_normal((total, n)) if s > 0 else np.zeros((total, 1))
    traj = forward(W, xs, U=np.eye(n) if s > 0 else None, b=b, h0=h0, nonlinearity=name)
    a = traj.a[burn_in:]
    bad = first_nonfinite(a)
    overflow = bad
    used = steps if overflow is None else overflow
    if used == 0:
        nan = np.full(steps + 1, np.nan)
        nan[0] = 0.0
        return NetworkRun(name, sw, scheme, n, steps, math.nan, math.inf, math.nan, nan, overflow)
    a = a[:used]
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        d = nl.df(a)
    # Benettin: a tangent vector through J_t = diag(f′(a_t)) W, renormalised every step.
    v = rng.standard_normal(n)
    v /= np.linalg.norm(v)
    log_growth = 0.0
    for t in range(used):
        v = d[t] * (W @ v)
        norm = float(np.linalg.norm(v))
        if norm == 0.0:
            log_growth = -math.inf
            break
        log_growth += math.log(norm)
        v /= norm
    # Back-propagation of random gradients from the last measured step: g ← Wᵀ (f′(a_t) ⊙ g).
    g = rng.standard_normal((n, GRADIENT_PROBES))
    g /= np.linalg.norm(g, axis=0)
    logs = np.full(steps + 1, np.nan)
    logs[0] = 0.0
    acc = 0.0
    for k in range(1, used + 1):
        g = W.T @ (d[used - k][:, None] * g)
        rms = float(np.sqrt(np.mean(np.sum(g * g, axis=0))))
        if rms == 0.0:
            logs[k:used + 1] = -math.inf
            break
        acc += math.log(rms)
        logs[k] = acc
        g /= rms
    with np.errstate(over="ignore"):  # an exploding ReLU network: q is huge, and may be inf
        q = float(np.mean((a - mu) ** 2))
    return NetworkRun(name, sw, scheme, n, steps, log_growth / used, q, float(sw * sw * np.mean(d * d)), logs,
                      overflow)
