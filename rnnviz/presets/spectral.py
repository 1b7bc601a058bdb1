"""Jacobians and spectral norms (page 3): its presets, what each caption promises, and the notes."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..spectral import MATRIX_KINDS, GRUProduct, Setting, SpectralAnalysis, gru_product, spectral_analysis
from . import Claim, Preset, View

LN10 = math.log(10)

#: The page's controls. ``t`` (the step whose Jacobian is shown) defaults to the last step, T.
DEFAULTS = {"W": "gaussian", "n": 32, "scale": 1.0, "f": "tanh", "T": 300, "in_scale": 0.5, "bias": 0.0,
            "seed": 0, "iid": False, "t": None, "gru": False, "bz": 3.0}


@dataclass(frozen=True)
class SpectralView:
    """The page's analysis at some control values and, with the GRU switched on, the GRU's product."""

    analysis: SpectralAnalysis
    gru: GRUProduct | None

    def decades(self, log_sv: np.ndarray, distance: int | None = None) -> np.ndarray:
        """log10 of the singular values at a distance (default: the last) of a product spectrum."""
        return log_sv[-1 if distance is None else distance] / LN10


def setting(W: str, n: int, scale: float, f: str, T: int, in_scale: float, bias: float, seed: int,
            iid: bool) -> Setting:
    """The core's setting for these controls (a matrix kind other than 'upload')."""
    return Setting(source=W, n=n, scale=scale, seed=seed, nonlinearity=f, input_scale=in_scale, bias=bias,
                   T=T, iid=bool(iid) and W in MATRIX_KINDS)


def analyse(W: str, n: int, scale: float, f: str, T: int, in_scale: float, bias: float, seed: int, iid: bool,
            gru: bool, bz: float) -> SpectralView:
    """What the page computes at its default budget, and the GRU over the plain RNN's window if on."""
    s = setting(W, n, scale, f, T, in_scale, bias, seed, iid)
    r = spectral_analysis(s, None, seconds=1.0)
    g = gru_product(s, update_bias=bz, window=r.window, seconds=1.0) if gru else None
    return SpectralView(r, g)


#: The longest wait the full-horizon button offers (seconds, estimated).
MAX_FULL_WAIT = 20.0


def offers_full_horizon(r: SpectralAnalysis) -> bool:
    """Whether the page offers to compute the product over every step: its estimated wait is at most
    :data:`MAX_FULL_WAIT`."""
    return r.full_horizon_wait is not None and r.full_horizon_wait <= MAX_FULL_WAIT


def notes(r: SpectralAnalysis, T: int, offer_full: bool) -> list[str]:
    """The notes above the charts: what the analysis of ``r`` did differently from the controls' ``T``
    steps of one repeated W (``offer_full``: the page offers the full-horizon button)."""
    notes = []
    if r.held_at_fixed_point:
        notes.append(
            "**Nilpotent example:** tanh, b = artanh(h*) − W h*, and the state is **held at the fixed point** "
            "h* = (0, ½), so every J_t is the same J. (The fixed point is unstable — J has the eigenvalue 2 — "
            "so a simulation would leave it after about 50 steps, as rounding errors double every step.) "
            "The n, scale, nonlinearity, input and bias controls do not apply.")
    if r.iid:
        notes.append("**Fresh matrix every step:** W_t is drawn anew at each step (seeded by the seed and t)"
                     + (f"; with n = {r.n} the page runs T = {r.T:,} steps." if r.T < T else "."))
    if r.overflow_step is not None:
        notes.append(f"**The forward pass overflowed float64 at step {r.overflow_step:,}** (the states explode, "
                     f"too); everything below uses the {r.overflow_step - 1:,} steps before it.")
    if r.product_truncated:
        notes.append(
            f"**Long horizon, large n:** each step of the product costs a QR and an SVD of an n × n matrix "
            f"(~n³ operations), so at n = {r.n} the product spectrum, the Lyapunov exponents and the "
            f"bound chain cover the **last {r.window:,} of {r.usable_steps:,} steps**, to keep the page quick. "
            + ("Compute all of them with the button below, or lower n." if offer_full else
               "Lower n to see all of them."))
    if r.plan.spectra_sampled:
        notes.append(f"The per-step chart samples {len(r.spectra.steps):,} of the steps, evenly spread.")
    return notes


def product_notice(r: SpectralAnalysis, lines_shown: int) -> str:
    """The product spectrum's Notice (``lines_shown``: how many of the n singular values are drawn)."""
    dead = r.first_dead_distance
    return ("each singular value falls or climbs along a straight line in log scale — exponential "
            "vanishing or exploding, at its own rate μᵢ (the slope). The fan spreads: the gradient keeps "
            "only a few directions alive."
            + (" Exact zero singular values (−∞ in log) are not drawn." if r.product_has_zeros else "")
            + (f" **From distance {dead:,} on the product is exactly zero:** J_t at step {r.dead_step:,} is the "
               "zero matrix (every unit had f′ = 0 — dead ReLUs), so no gradient gets past it."
               if dead is not None else "")
            + (f" Lines shown: {lines_shown} of {r.n} singular values, evenly spread." if r.n > 12 else ""))


def lyapunov_notice(r: SpectralAnalysis) -> str:
    """The Lyapunov exponents' Notice: against the exact values where they are known."""
    if r.theory is not None:
        return (f"**Notice:** the bars (measured over {r.window:,} steps) sit on the black ticks "
                f"({r.theory_label}); the largest gap is {r.theory_gap:.2g} per step.")
    return (("All growth rates are −∞: the product over the window is exactly zero. "
             if r.first_dead_distance is not None else "")
            + f"**Notice:** these are the slopes of the lines on the left, measured over {r.window:,} steps. "
            "Exact values are known for a linear unit (a repeated W: log|λᵢ(W)|; a fresh Gaussian "
            "matrix per step: Newman's formula) — switch to linear to compare.")


#: The nilpotent counterexample, before and after its formulas.
NILPOTENT_SETUP = (
    "Take $W = \\begin{bmatrix} 8 & 8 \\\\ -8 & -8 \\end{bmatrix}$: $W^2 = 0$, so **every eigenvalue is 0** "
    "— an eigenvalue test says gradients vanish instantly. But $\\|W\\|_2 = 16$. In a tanh RNN with "
    "bias $b = \\operatorname{artanh}(h^*) - W h^*$, the state $h^* = (0, \\tfrac12)$ is a fixed point, "
    "and there")
NILPOTENT_CONCLUSION = (
    "so the gradient grows like $2^{T-k}$ although every eigenvalue of $W$ is 0. (Pascanu et al. write "
    "the Jacobian as $W^\\top \\operatorname{diag}(f')$, which here is $[[8, -6], [8, -6]] = J^\\top$: "
    "the same eigenvalues 0 and 2 and the same norms.)")


def bound_chain_notice(r: SpectralAnalysis) -> str:
    """The bound chain's Notice: what the gaps between its lines are, for this setting."""
    if r.iid:
        last = ("between the last two, that σ_max is the largest ‖W_t‖₂ over all steps (a fresh matrix each "
                "step) as well as the saturation of f′")
    elif r.nonlinearity == "linear":
        last = "the last two coincide: a linear unit has f′ ≡ 1, and every step uses the same W"
    else:
        last = "between the last two, the saturation of f′ along the trajectory (every step uses the same W)"
    return ("The gap between the first two lines is the gradient's freedom to turn between steps; " + last + ".")


def gru_notice(gru: GRUProduct, plain_top: str, gru_top: str, nonlinearity: str) -> str:
    """The GRU comparison's Notice; ``plain_top``/``gru_top`` are the two σ₁ as shown (formatted)."""
    z = gru.mean_update_gate
    if z >= 0.9:
        gate = (f"the GRU's update gate near 1 (mean z = {z:.2f} here) makes every step Jacobian close to the "
                "identity diag(z_t), so its singular values fall far more slowly than the plain RNN's")
    elif z >= 0.5:
        gate = (f"the GRU's update gate keeps part of the state each step (mean z = {z:.2f} here), so its step "
                "Jacobians are partly the identity diag(z_t)")
    else:
        gate = (f"with the update gate mostly shut (mean z = {z:.2f} here) the GRU is close to a tanh RNN "
                "(its candidate's W halved by the reset gate r ≈ ½)")
    tanh = f" The GRU's candidate is always tanh; the plain RNN here uses f = {nonlinearity}." if nonlinearity != "tanh" else ""
    return (f"**Notice:** {gate}. After {gru.window:,} steps the plain RNN's largest singular value is {plain_top}, "
            f"the GRU's {gru_top}. Raise b_z and z → 1: the gradient paths fade more slowly, but they still fade. "
            "Lower b_z below 0 and z → 0: the GRU vanishes as fast as the tanh RNN or faster." + tanh)


GRU_CAPTION = (
    "tanh, Gaussian σ = 1, T = 1000: after 1,000 steps the plain RNN's singular values have fallen in straight "
    "lines to between 10⁻¹²⁹ and 10⁻¹⁵⁵⁰. A GRU on the same W and drive with update-gate bias b_z = 4 "
    "(z ≈ 0.98) loses far less: its largest is 10⁻⁵·², its smallest 10⁻¹³ — hundreds of decades better, "
    "though still not 1.")


def _gru_as_captioned(v: SpectralView) -> bool:
    plain = v.decades(v.analysis.product_log_sv, v.gru.window)
    gru = v.decades(v.gru.log_sv)
    return (v.gru.window == 1000 and round(plain[0]) == -129 and round(plain[-1], -1) == -1550
            and round(gru[0], 1) == -5.2 and round(gru[-1]) == -13 and round(v.gru.mean_update_gate, 2) == 0.98)


PRESETS = (
    Preset("Nilpotent trap",
           "W = [[8, 8], [−8, −8]] has only the eigenvalue 0, yet at the fixed point h* = (0, ½) the "
           "gradient doubles every step: J² = 2J, so ‖Jˡ‖ = 2^(l−1)·√200.",
           {"W": "nilpotent", "T": 60, "t": 60},
           expect=lambda v: v.analysis.W_spectrum.radius < 1e-6 and np.allclose(
               v.analysis.chain.log_product_norm[1:],
               np.arange(v.analysis.window) * math.log(2) + 0.5 * math.log(200), rtol=1e-9, atol=1e-9)),
    Preset("Guaranteed vanishing",
           "tanh and Gaussian σ = 0.45: σ_max(W) ≈ 0.9 < 1/γ = 1, Pascanu's sufficient condition — "
           "every singular value of the product falls.",
           {"W": "gaussian", "n": 64, "scale": 0.45, "f": "tanh", "T": 500, "iid": False},
           expect=lambda v: round(v.analysis.verdict.sigma_max, 1) == 0.9 and v.analysis.verdict.regime == "vanishing"
           and np.all(np.diff(v.analysis.product_log_sv[:, 0]) < 0)),
    Preset("Eigenvalue trap",
           "Linear, Gaussian σ = 0.7: every eigenvalue is inside the unit circle (ρ ≈ 0.7) but "
           "σ_max(W) ≈ 1.4 > 1, so no step bound promises vanishing; the product first grows.",
           {"W": "gaussian", "n": 64, "scale": 0.7, "f": "linear", "T": 200, "iid": False},
           expect=lambda v: round(v.analysis.verdict.radius, 1) == 0.7 and round(v.analysis.verdict.sigma_max, 1) == 1.4
           and v.analysis.chain.log_product_norm[1] > 0),
    Preset("Exploding",
           "Linear, Gaussian σ = 1.2: ρ(W) ≈ 1.2, so the leading singular values grow like 1.2^(T−k).",
           {"W": "gaussian", "n": 64, "scale": 1.2, "f": "linear", "T": 1000, "iid": False},
           expect=lambda v: round(v.analysis.verdict.radius, 1) == 1.2
           and abs(v.analysis.lyapunov[0] - math.log(v.analysis.verdict.radius)) < 0.01),
    Preset("Orthogonal at the edge",
           "Orthogonal W with a linear unit: every singular value of every product is exactly 1 "
           "(dynamical isometry) — the gradient neither vanishes nor explodes.",
           {"W": "orthogonal", "n": 64, "scale": 1.0, "f": "linear", "T": 1000, "iid": False},
           expect=lambda v: np.abs(v.analysis.product_log_sv).max() < 1e-9),
    Preset("GRU keeps the gradient", GRU_CAPTION,
           {"W": "gaussian", "n": 64, "scale": 1.0, "f": "tanh", "T": 1000, "iid": False, "gru": True, "bz": 4.0},
           expect=_gru_as_captioned),
    Preset("Newman's law",
           "A fresh Gaussian matrix at every step, linear: the measured growth rates sit on "
           "Newman's (1986) exact Lyapunov exponents.",
           {"W": "gaussian", "n": 16, "scale": 1.0, "f": "linear", "T": 3000, "iid": True},
           expect=lambda v: v.analysis.theory_label.startswith("Newman")
           and np.max(np.abs(v.analysis.lyapunov - v.analysis.theory)) < 0.05),
)

CLAIMS = (
    Claim("bound chain Notice, fresh matrix each step", "the last gap is σ_max over all steps, not saturation",
          expect=lambda v: "largest ‖W_t‖₂" in bound_chain_notice(v.analysis)
          and (v.analysis.chain.log_uniform_bound[-1] - v.analysis.chain.log_norm_product[-1]) / LN10 > 100,
          values={"W": "gaussian", "n": 16, "scale": 1.0, "f": "linear", "T": 3000, "iid": True}),
    Claim("bound chain Notice, linear", "the last two lines coincide",
          expect=lambda v: "coincide" in bound_chain_notice(v.analysis) and np.allclose(
              v.analysis.chain.log_norm_product, v.analysis.chain.log_uniform_bound, rtol=1e-9, atol=1e-6),
          values={"f": "linear", "scale": 0.5}),
    Claim("GRU Notice", "lower b_z below 0 and z → 0: the GRU vanishes as fast as the tanh RNN or faster",
          expect=lambda v: v.gru.mean_update_gate < 0.1
          and v.decades(v.gru.log_sv)[0] <= v.decades(v.analysis.product_log_sv, v.gru.window)[0],
          values={"gru": True, "bz": -3.0}),
    Claim("GRU Notice at b_z = 4", "the gate near 1: every step close to the identity, σ₁ falls far more slowly",
          expect=lambda v: "near 1" in gru_notice(v.gru, "", "", "tanh") and v.gru.mean_update_gate >= 0.9
          and v.decades(v.gru.log_sv)[0] > v.decades(v.analysis.product_log_sv, v.gru.window)[0] + 10,
          values={"gru": True, "bz": 4.0}),
)

VIEW = View("spectral", DEFAULTS, analyse, PRESETS, CLAIMS)
VIEWS = (VIEW,)
