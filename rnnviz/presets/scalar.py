"""Scalar intuition (page 1): one hidden unit; its presets and what each caption promises."""

from __future__ import annotations

import math

import numpy as np

from ..scalar import ScalarTrajectory, scalar_inputs, scalar_trajectory
from . import Claim, Preset, View

DEFAULTS = {"w": 0.9, "b": 0.0, "f": "tanh", "T": 200, "input": "sine", "amp": 0.5, "u": 1.0, "h0": 0.5,
            "seed": 0}


def trajectory(w: float, b: float, u: float, input: str, amp: float, h0: float, f: str, T: int,
               seed: int) -> ScalarTrajectory:
    """The page's one-unit run: the input sequence of that kind, then the trajectory."""
    x = scalar_inputs(T, kind=input, amplitude=amp, seed=seed)
    return scalar_trajectory(w, b=b, u=u, h0=h0, x=x, nonlinearity=f)


def factor_notice(tr: ScalarTrajectory) -> str:
    """The Notice of the per-step factor chart: λ decides, not the majority of the steps."""
    lam = tr.mean_log_factor
    above = float(np.mean(np.abs(tr.factors) > 1.0))
    fate = "the gradient vanishes" if lam < 0 else ("it explodes" if lam > 0 else "it neither vanishes nor explodes")
    return ("blue steps shrink the gradient, orange steps stretch it. Not the number of steps on each side of "
            "the dashed 1 decides the fate of the product but the mean of their logarithms, λ: here "
            f"{above:.1%} of the factors are above 1 and λ = {lam:+.3f}, so {fate}.")


def _fraction_at(values, value) -> float:
    return float(np.mean(np.isclose(values, value, rtol=0, atol=1e-12)))


PRESETS = (
    Preset("Vanishing with tanh", "tanh with w = 0.9: every factor is at most 0.9, so the gradient "
           "shrinks at least as fast as 0.9^(T−k).", {"w": 0.9, "b": 0.0, "f": "tanh", "T": 200},
           expect=lambda r: np.abs(r.factors).max() <= 0.9 and r.mean_log_factor < math.log(0.9) + 1e-12),
    Preset("Saturated tanh", "w = 3 pushes the unit into tanh's flat tails: f′ is mostly about 0.004, so "
           "even with the large weight the factors w·f′ are about 0.01 and the gradient vanishes.",
           {"w": 3.0, "b": 0.5, "f": "tanh", "T": 200},
           expect=lambda r: 0.003 < np.median(np.abs(r.factors)) / 3 < 0.005
           and 0.008 < np.median(np.abs(r.factors)) < 0.015 and r.mean_log_factor < 0),
    Preset("Exploding with ReLU", "ReLU with w = 1.5 and a positive drive: every factor is exactly 1.5.",
           {"w": 1.5, "b": 0.5, "f": "relu", "T": 300},
           expect=lambda r: _fraction_at(r.factors, 1.5) == 1.0),
    Preset("Sigmoid never escapes ¼", "σ′ is at most ¼, so even w = 4, the slider's end, with "
           "b = −2, which centres the unit on sigmoid's steepest point (a = 0 at h = ½), keeps every factor "
           "below 1 and the gradient still vanishes: a sigmoid unit needs |w| > 4 to explode.",
           {"w": 4.0, "b": -2.0, "f": "sigmoid", "T": 200},
           expect=lambda r: np.abs(r.factors).max() < 1 and r.mean_log_factor < 0),
    Preset("Knife's edge", "A linear unit with w = 1: every factor is exactly 1, so after 1,000 steps the "
           "gradient is still exactly 1 (λ = 0). It is an edge, not a region: 0.99 per step would leave "
           "0.99¹⁰⁰⁰ ≈ 4·10⁻⁵, and 1.01 per step would give 1.01¹⁰⁰⁰ ≈ 2·10⁴.",
           {"w": 1.0, "b": 0.0, "f": "linear", "T": 1000},
           expect=lambda r: _fraction_at(r.factors, 1.0) == 1.0 and r.mean_log_factor == 0
           and np.all(r.log10_abs_grad == 0) and f"{0.99 ** 1000:.0e}" == "4e-05"
           and f"{1.01 ** 1000:.0e}" == "2e+04"),
    Preset("NaN in float32", "ReLU with w = 4, started at h₀ = −1: the first step is dead (factor exactly 0) "
           "and every later factor is 4. Multiplied in float32 from step T back, the product overflows to "
           "inf after 64 factors and turns into NaN when the inf meets that 0; the state itself overflows "
           "float64 at step 513. The log-space numbers stay exact.",
           {"w": 4.0, "b": 3.0, "f": "relu", "T": 1000, "h0": -1.0},
           expect=lambda r: r.float32_break is not None and r.float32_break.kind == "overflow"
           and r.float32_break.distance == 64 and r.float32_break.nan_distance == r.T
           and r.zero_factor_step == 1 and r.state_nonfinite_step == 513
           and _fraction_at(r.factors[1:], 4.0) == 1.0),
)

CLAIMS = (
    Claim("factor chart Notice at the defaults", "its λ decides, not the share of factors above 1",
          expect=lambda r: "λ = -0.731" in factor_notice(r).replace("−", "-") and r.mean_log_factor < 0),
    Claim("factor chart Notice: a majority of factors above 1 and still vanishing",
          "leaky ReLU, w = −1.2, b = 0.6: 79.5 % of the factors are 1.2, yet λ < 0",
          expect=lambda r: "79.5% of the factors are above 1" in factor_notice(r) and "vanishes" in factor_notice(r),
          values={"w": -1.2, "b": 0.6, "f": "leaky_relu"}),
    Claim("memory horizon metric at the defaults", "the gradient falls below 1e-8 within T",
          expect=lambda r: r.horizon == 25),
)

VIEW = View("scalar", DEFAULTS, trajectory, PRESETS, CLAIMS)
VIEWS = (VIEW,)
