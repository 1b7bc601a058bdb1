"""Nonlinearity derivatives (page 2): f′ along an n-unit RNN's trajectory; presets and claims."""

from __future__ import annotations

import math

import numpy as np

from ..nonlinearities import get_nonlinearity
from ..saturation import DerivativeStats, SaturationRun, saturated_intervals, saturation_run
from . import Claim, Preset, View

DEFAULTS = {"f": "tanh", "n": 64, "scale": 1.0, "in_scale": 1.0, "bias": 0.0, "T": 200, "seed": 0}


def run(n: int, scale: float, in_scale: float, bias: float, f: str, T: int, seed: int) -> SaturationRun:
    """The page's n-unit run with these control values."""
    return saturation_run(n, T=T, weight_scale=scale, input_scale=in_scale, bias=bias, nonlinearity=f,
                          seed=seed)


def bound_notice(stats: DerivativeStats) -> str:
    """The Notice of the per-step bound chart, with how far saturation pulls the green line down here."""
    gap = stats.bound_gap_decades
    if gap == math.inf:
        here = "here at least one step has every unit dead, so its bound is exactly 0"
    elif not math.isfinite(gap):
        here = "here W = 0, so every bound is 0"
    elif gap < 0.005:
        here = "here some unit is unsaturated at every step, so the two lines coincide"
    else:
        here = f"here it lies {gap:.2f} decades below it on average"
    return ("wherever the green line dips below the black 1, that step surely shrinks every gradient. It uses "
            "each step's largest f′, so it falls below the vermillion γ·σ_max line only where every unit is "
            f"saturated at once: {here}.")


PRESETS = (
    Preset("Healthy tanh", "Small weights and inputs: most aₜ stay near 0, so f′ is mostly large (median "
           "above 0.85) and almost no unit-step is saturated.",
           {"n": 64, "scale": 0.5, "in_scale": 0.5, "bias": 0.0, "f": "tanh"},
           expect=lambda r: np.median(r.stats.derivatives) > 0.85 and r.stats.saturated_fraction < 0.01),
    Preset("Saturated sigmoid", "Large inputs and a bias of −5 push sigmoid deep into its lower tail: "
           "84.5 % of the unit-steps have f′ below 0.1, and no f′ exceeds ¼.",
           {"n": 64, "scale": 1.0, "in_scale": 3.0, "bias": -5.0, "f": "sigmoid"},
           expect=lambda r: f"{r.stats.saturated_fraction:.1%}" == "84.5%" and r.stats.derivatives.max() <= 0.25),
    Preset("Sigmoid never escapes ¼", "No input, no bias: every unit sits near a = 0, where sigmoid "
           "is steepest, and still no f′ exceeds ¼. σ_max(W) ≈ 2 < 1/γ = 4: vanishing is guaranteed "
           "without any saturation.",
           {"n": 64, "scale": 1.0, "in_scale": 0.0, "bias": 0.0, "f": "sigmoid"},
           expect=lambda r: r.stats.derivatives.max() <= 0.25 and np.median(r.stats.derivatives) > 0.24
           and r.stats.saturated_fraction == 0 and abs(r.pascanu.sigma_max - 2) < 0.1
           and r.pascanu.sufficient_for_vanishing),
    Preset("Dead ReLUs", "A negative bias switches most ReLU units off: f′ = 0 exactly.",
           {"n": 64, "scale": 1.0, "in_scale": 0.5, "bias": -1.0, "f": "relu"},
           expect=lambda r: r.stats.dead_fraction > 0.9),
    Preset("Exploding ReLU", "Weight scale 3: σ_max(W) ≈ 6 ≫ 1/γ = 1; the states overflow float64.",
           {"n": 128, "scale": 3.0, "in_scale": 1.0, "bias": 0.0, "f": "relu", "T": 1000},
           expect=lambda r: 5.5 < r.pascanu.sigma_max < 6.5 and r.state_nonfinite_step is not None),
)

CLAIMS = (
    Claim("bound chart Notice at the defaults", "some unit is unsaturated at every step: the lines coincide",
          expect=lambda r: "coincide" in bound_notice(r.stats) and r.stats.bound_gap_decades < 0.005),
    Claim("bound chart Notice with saturated sigmoid", "the green line lies below γ·σ_max by a computed gap",
          expect=lambda r: "0.01 decades below" in bound_notice(r.stats),
          values={"in_scale": 3.0, "bias": -5.0, "f": "sigmoid"}),
    Claim("bound chart Notice with dead ReLUs", "a step with every unit dead has bound 0",
          expect=lambda r: "exactly 0" in bound_notice(r.stats),
          values={"f": "relu", "in_scale": 0.5, "bias": -5.0}),
)

VIEW = View("nonlinearity", DEFAULTS, run, PRESETS, CLAIMS)


def curves() -> dict[str, object]:
    """Where |f′| < 0.1 on the f and f′ chart's axis, per nonlinearity (the grey bands), and leaky
    ReLU's slope on the left."""
    bands = {name: saturated_intervals(name).intervals for name in ("sigmoid", "tanh", "relu", "leaky_relu")}
    return {**bands, "leaky_left": float(get_nonlinearity("leaky_relu").df(np.array([-1.0]))[0]),
            "relu_at_0": float(get_nonlinearity("relu").df(np.array([0.0]))[0])}


def _band_share(intervals, lo=-6.0, hi=6.0) -> float:
    return sum(b - a for a, b in intervals) / (hi - lo)


CURVES = View("nonlinearity-curves", {}, curves, claims=(
    Claim("f and f′ Notice", "the grey bands, where |f′| < 0.1, cover most of the axis for sigmoid and tanh — "
          "beyond |a| ≈ 2.06 (sigmoid) or 1.82 (tanh)",
          expect=lambda r: f"{r['sigmoid'][-1][0]:.2f}" == "2.06" and f"{r['tanh'][-1][0]:.2f}" == "1.82"
          and _band_share(r["sigmoid"]) > 0.5 and _band_share(r["tanh"]) > 0.5),
    Claim("f and f′ Notice", "ReLU's f′ is exactly 0 for every a ≤ 0; leaky ReLU keeps 0.01 on the left",
          expect=lambda r: len(r["relu"]) == 1 and abs(r["relu"][0][1]) < 1e-9 and r["relu_at_0"] == 0
          and r["leaky_left"] == 0.01),
))

VIEWS = (VIEW, CURVES)
