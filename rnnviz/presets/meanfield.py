"""The edge of chaos (page 7): mean-field theory next to real networks; presets and live Notices."""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..meanfield import MeanField, NetworkRun, TrainableBand, edge_sigma_w, mean_field, simulate_network, trainable_band
from . import Claim, Preset, View

#: The second axis of the phase diagram: link value → (keyword of the core, label).
AXES = {"in_scale": ("input_std", "input strength s"), "bias": ("bias", "mean bias"),
        "sb": ("sigma_b", "bias spread σ_b")}
#: Their ranges on the diagram (and the sliders).
AXIS_RANGES = {"in_scale": (0.0, 3.0), "bias": (-2.0, 2.0), "sb": (0.0, 2.0)}
#: Steps the network runs before it is measured (its variance settles).
BURN_IN = 200
#: The training lab's weight-scale slider: key, range and step (pages/5_Training_lab.py).
LAB_SCALE = ("scale", 0.1, 3.0, 0.1)
#: Gap over which the trainable band is measured, and how many decades of change it allows.
BAND_DISTANCE, BAND_DECADES = 50, 3.0

DEFAULTS = {"f": "tanh", "scale": 1.5, "axis": "in_scale", "bias": 0.0, "sb": 0.0, "in_scale": 0.0, "n": 256,
            "T": 500, "seed": 0}


@dataclass(frozen=True)
class EdgeOfChaos:
    """The theory at one setting and two real networks there (Gaussian and orthogonal W)."""

    theory: MeanField
    gaussian: NetworkRun
    orthogonal: NetworkRun

    @property
    def runs(self) -> tuple[NetworkRun, NetworkRun]:
        return self.gaussian, self.orthogonal


def edge(f: str, scale: float, bias: float, sb: float, in_scale: float, n: int, T: int, seed: int) -> EdgeOfChaos:
    """The page's computation: ``mean_field`` and ``simulate_network`` for both weight schemes."""
    kw = dict(bias=bias, sigma_b=sb, input_std=in_scale)
    theory = mean_field(f, scale, **kw)
    runs = [simulate_network(f, scale, n=n, steps=T, burn_in=BURN_IN, scheme=s, seed=seed, **kw)
            for s in ("gaussian", "orthogonal")]
    return EdgeOfChaos(theory, *runs)


def signed(x: float, digits: int = 3) -> str:
    """``+0.155`` / ``−0.223`` / ``−∞`` with a true minus sign."""
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "+∞" if x > 0 else "−∞"
    return f"{x:+.{digits}f}".replace("-", "−")


def simulation_notice(r: EdgeOfChaos) -> str:
    """How far the measured exponents sit from the theory at this n (computed from the runs)."""
    lam = r.theory.lyapunov
    parts = []
    for name, run in (("Gaussian", r.gaussian), ("orthogonal", r.orthogonal)):
        gap = abs(run.lyapunov - lam) if math.isfinite(lam) and math.isfinite(run.lyapunov) else math.nan
        gap_text = f"{gap:.3f} from the theory" if math.isfinite(gap) else "not comparable"
        parts.append(f"{signed(run.lyapunov)} with {name} W ({gap_text})")
    over = [run for run in r.runs if run.overflow_step is not None]
    overflow = (f" The state overflowed float64 after {over[0].overflow_step} measured steps, so the "
                "measurements use the steps before it." if over else "")
    return (f"at n = {r.gaussian.n} units the measured λ₁ is {parts[0]} and {parts[1]}; the theory's "
            f"½ ln χ = {signed(lam)} is the limit of infinitely many units. On the log axis an exponential is a "
            f"straight line: compare the slopes of the measured gradients with the dashed χ^(k/2).{overflow}")


def input_notice(f: str, scale: float, bias: float, sb: float, in_scale: float) -> str:
    """What inputs do to χ at this σ_w: computed at the current input and two stronger ones."""
    strengths = [in_scale, in_scale + 0.5, in_scale + 1.0]
    chis = [mean_field(f, scale, bias=bias, sigma_b=sb, input_std=s).chi for s in strengths]
    listing = ", ".join(f"{c:.3f} at s = {s:g}" for c, s in zip(chis, strengths))
    if abs(chis[-1] - chis[0]) <= 1e-12 * max(chis[0], 1e-300):
        return (f"here inputs do not move χ ({listing}): for {f} with this bias, χ does not depend on the "
                "variance of the pre-activations.")
    direction = "toward order" if chis[-1] < chis[0] else "toward chaos"
    return f"at σ_w = {scale:g} stronger inputs push the network {direction}: χ = {listing}."


def band(f: str, bias: float, sb: float, in_scale: float) -> TrainableBand:
    """The trainable band at these settings (gradients within 10^±3 over 50 steps)."""
    return trainable_band(f, bias=bias, sigma_b=sb, input_std=in_scale, distance=BAND_DISTANCE,
                          decades=BAND_DECADES)


def band_notice(b: TrainableBand) -> str:
    """The trainable band as a sentence (computed by :func:`band`)."""
    if not math.isfinite(b.edge):
        return (f"with these settings χ stays below 1 for every σ_w up to 100: there is no edge, and gradients "
                f"sent back {b.distance} steps shrink by more than 10^{b.decades:g} once σ_w < {b.high:.2f}.")
    high = "any larger σ_w up to 100" if not math.isfinite(b.high) else f"{b.high:.2f}"
    return (f"a gradient sent back {b.distance} steps changes by less than a factor 10^{b.decades:g} only for σ_w "
            f"between {b.low:.2f} and {high}, around the edge at σ_w = {b.edge:.2f}; below the band it vanishes, "
            "above it explodes.")


def lab_scales(f: str) -> dict[str, float | None]:
    """A σ_w on the training lab's slider for each phase of ``f`` (its plain RNN starts without bias
    spread or input noise, so the edge is that of ``f`` with no drive); ``None`` where the phase lies
    beyond the slider."""
    _, low, high, step = LAB_SCALE
    e = edge_sigma_w(f)

    def on_slider(x: float) -> float | None:
        value = round(round(x / step) * step, 10)
        return value if low <= value <= high else None

    ordered = on_slider(min(0.5 * e, 0.5 * high))
    at_edge = on_slider(e) if math.isfinite(e) else None
    chaotic = on_slider(min(2.0 * e, high)) if math.isfinite(e) and 2.0 * e > e + step and e < high else None
    return {"ordered": ordered, "edge": at_edge, "chaotic": chaotic}


def _within(r: EdgeOfChaos, tol: float) -> bool:
    return all(abs(run.lyapunov - r.theory.lyapunov) < tol for run in r.runs)


PRESETS = (
    Preset("Ordered", "tanh with σ_w = 0.8 and no input: the quiet state q = 0 has χ = σ_w² = 0.64, so "
           "λ = ln 0.8 = −0.22 per step and the squared gradient falls by e every 2.2 steps; both 256-unit "
           "networks measure λ₁ within 0.02 of it.",
           {"f": "tanh", "scale": 0.8},
           expect=lambda r: r.theory.q == 0 and abs(r.theory.chi - 0.64) < 1e-12
           and f"{r.theory.lyapunov:.2f}" == "-0.22" and f"{r.theory.depth_scale:.1f}" == "2.2" and _within(r, 0.02)),
    Preset("On the edge", "tanh with σ_w = 1 and no input: χ = 1 exactly, λ = 0 and the depth scale is "
           "infinite. Both real networks measure λ₁ within 0.01 of 0.",
           {"f": "tanh", "scale": 1.0},
           expect=lambda r: r.theory.chi == 1.0 and r.theory.lyapunov == 0 and r.theory.depth_scale == math.inf
           and _within(r, 0.01)),
    Preset("Chaotic", "tanh with σ_w = 2: the state settles at q = 2.12 with χ = 1.36, so λ = +0.155 and a "
           "gradient grows by e every 6.5 steps; both networks measure λ₁ within 0.01 of it.",
           {"f": "tanh", "scale": 2.0},
           expect=lambda r: f"{r.theory.q:.2f}" == "2.12" and f"{r.theory.chi:.2f}" == "1.36"
           and f"{r.theory.lyapunov:.3f}" == "0.155" and f"{1 / r.theory.lyapunov:.1f}" == "6.5" and _within(r, 0.01)),
    Preset("Input tames chaos", "The chaotic σ_w = 2, now driven by inputs of standard deviation s = 1.5: "
           "they push the units into tanh's flat tails, χ falls from 1.36 to 0.93 and the network is ordered "
           "(λ = −0.036); both real networks measure λ₁ < 0 too.",
           {"f": "tanh", "scale": 2.0, "in_scale": 1.5},
           expect=lambda r: f"{r.theory.chi:.2f}" == "0.93" and f"{r.theory.lyapunov:.3f}" == "-0.036"
           and f"{mean_field('tanh', 2.0).chi:.2f}" == "1.36" and all(run.lyapunov < 0 for run in r.runs)),
    Preset("ReLU: σ_w = √2", "ReLU with σ_w = 1.41 ≈ √2 (He initialisation) and zero bias: χ = σ_w²/2 = 0.994 "
           "whatever the variance, a hair below the edge (√2 itself gives χ = 1): the squared gradient "
           "falls by e only every ~170 steps.",
           {"f": "relu", "scale": 1.41},
           expect=lambda r: abs(r.theory.chi - 1.41**2 / 2) < 1e-12 and f"{r.theory.chi:.3f}" == "0.994"
           and 160 < r.theory.depth_scale < 175 and mean_field("relu", math.sqrt(2)).phase == "edge"),
)

CLAIMS = (
    Claim("simulation Notice at the defaults", "the measured exponents sit within 0.01 of the theory",
          expect=lambda r: _within(r, 0.01) and "from the theory" in simulation_notice(r)),
    Claim("input Notice: tanh at σ_w = 2 is pushed toward order", "χ falls as s grows",
          expect=lambda r: "toward order" in input_notice("tanh", 2.0, 0.0, 0.0, 0.0)
          and "do not move" in input_notice("relu", 1.2, 0.0, 0.0, 0.0)
          and "toward chaos" in input_notice("relu", 1.2, -0.5, 0.0, 0.0)),
    Claim("band Notice: the band around tanh's edge", "σ_w between 0.87 and 1.91 around 1.00",
          expect=lambda r: "between 0.87 and 1.91" in band_notice(band("tanh", 0.0, 0.0, 0.0))
          and "edge at σ_w = 1.00" in band_notice(band("tanh", 0.0, 0.0, 0.0))),
)

VIEW = View("edge", DEFAULTS, edge, PRESETS, CLAIMS)
VIEWS = (VIEW,)
