"""The lecture as a guided tour: its argument step by step, each claim beside its live evidence.

A step is data (:class:`Step`): its title, the claim (the lecture's own point), the page that
explores it and that page's settings (link keys → values), an ``evidence`` function that computes
the numbers backing the claim from the core (through the pages' cached calls), a ``check`` that says
what the claim says about those numbers, the one number shown, and the charts — the pages' own chart
specs, so every chart exists once. :data:`STEPS` is a plain ordered tuple: a new step is one entry.

The page (``pages/0_Lecture.py``) calls :func:`show`: the step is the URL parameter ``step``
(1-based), Next/Previous answer PageDown/PageUp (a presentation clicker), Home/End jump to the
first and last step, and a QR code of the step's link lets a hall follow on their phones.
"""

from __future__ import annotations

import base64
import html
import io
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

import streamlit as st

import rnnviz
from rnnviz.charts import training as lab_charts
from rnnviz.charts.common import format_magnitude
from rnnviz.presets import meanfield as edge_views
from rnnviz.presets import nonlinearity as nl_views
from rnnviz.presets import scalar as scalar_views
from rnnviz.presets import spectral as spectral_views
from rnnviz.presets.training import widget_values

from . import computed, export, lecture, urlstate
from .cache import cached
from .registry import PAGES, PageInfo
from .runs import stored_run
from .urlstate import url_value

#: The URL parameter that holds the step (1-based).
KEY = "step"

Evidence = Mapping[str, float]


@dataclass(frozen=True)
class Step:
    """One step of the lecture.

    ``evidence()`` computes the numbers (name → value) from the core at the step's settings;
    ``check(evidence)`` is what the claim says about them (tests assert it); ``number(evidence)`` is
    the one number shown beside the claim, as (label, value); ``figures()`` draws the step's charts.
    """

    title: str
    claim: str
    page: str
    settings: Mapping[str, object]
    evidence: Callable[[], Evidence]
    check: Callable[[Evidence], bool]
    number: Callable[[Evidence], tuple[str, str]]
    figures: Callable[[], None]
    formulas: tuple[str, ...] = ()

    @property
    def page_info(self) -> PageInfo:
        return next(p for p in PAGES if p.path == self.page)

    def link_params(self) -> dict[str, str]:
        """The explore link's parameters (as a preset's link writes them)."""
        return {k: url_value(v) for k, v in self.settings.items()}


# ---------------------------------------------------------------------------- settings of the pages

SCALAR = "pages/1_Scalar_intuition.py"
NONLINEARITY = "pages/2_Nonlinearity_derivatives.py"
SPECTRAL = "pages/3_Spectral_norms.py"
LAB = "pages/5_Training_lab.py"
EDGE = "pages/7_Edge_of_chaos.py"


def _scalar(values: Mapping[str, object]) -> tuple:
    """The scalar page's settings for these link values (the others at their defaults)."""
    return computed.arguments(scalar_views.VIEW, values)


def _saturation(values: Mapping[str, object]) -> tuple:
    """The nonlinearity page's settings for these link values (the others at their defaults)."""
    return computed.arguments(nl_views.VIEW, values)


def _pct(x: float) -> str:
    return f"{x:.1%}"


def _chance(acc: float) -> bool:
    return 0.45 <= acc <= 0.55


# ---------------------------------------------------------------------------- 1 · the agreement task

SHORT = rnnviz.TrainingConfig()
LONG = rnnviz.TRAINING_SCENARIOS["long_gap"]


def _agreement() -> Evidence:
    return {"short": stored_run(SHORT).run.test_accuracy, "long": stored_run(LONG).run.test_accuracy}


def _agreement_figures() -> None:
    for column, cfg in zip(st.columns(2), (SHORT, LONG)):
        with column:
            export.figure(stored_run(cfg).spec("loss_acc", lab_charts.loss_accuracy_spec),
                          name=f"Loss and accuracy, L = {cfg.gap}", width="content",
                          notice=f"L = {cfg.gap}: " + (
                              "the loss falls from log 2 ≈ 0.693 towards 0 and accuracy reaches 100 %."
                              if cfg is SHORT else
                              "the loss stays at log 2 ≈ 0.693 and accuracy at a coin toss."))


# ---------------------------------------------------------------------------- 2-4 · one hidden unit

LINEAR_DOWN = {"w": 0.99, "b": 0.0, "f": "linear", "T": 1000}
LINEAR_UP = {**LINEAR_DOWN, "w": 1.01}
TANH = scalar_views.VIEW.preset("Vanishing with tanh").values
OVERFLOW = scalar_views.VIEW.preset("NaN in float32").values


def _powers() -> Evidence:
    down, up = (computed.scalar_run(*_scalar(v)).log10_abs_grad[0] for v in (LINEAR_DOWN, LINEAR_UP))
    return {"down": down, "up": up, "k": LINEAR_DOWN["T"]}


def _powers_check(ev: Evidence) -> bool:
    # a product of k equal factors r is r^k: 0.99^1000 ≈ 4.3e-5, 1.01^1000 ≈ 2.1e4
    return (math.isclose(ev["down"], ev["k"] * math.log10(0.99), rel_tol=1e-9)
            and math.isclose(ev["up"], ev["k"] * math.log10(1.01), rel_tol=1e-9)
            and ev["down"] < -4 and ev["up"] > 4)


def _powers_figures() -> None:
    left, right = st.columns([3, 2])
    with left:
        export.figure(computed.scalar_specs(*_scalar(LINEAR_DOWN))[1], name="Gradient vs distance, r = 0.99",
                      notice="a linear unit with w = 0.99: every factor is 0.99, so after k steps back the "
                             "gradient is 0.99^k — a straight line on the log axis, 4 decades down at k = 1,000.")
    with right:
        export.show(computed.powers_spec(), name="r to the k", csv=False)
        st.caption("**Notice:** drag r under the chart: only r = 1 exactly keeps the gradient's size.")


def _vanishing() -> Evidence:
    tr = computed.scalar_run(*_scalar(TANH))
    return {"log10_grad": tr.log10_abs_grad[0], "horizon": math.nan if tr.horizon is None else tr.horizon,
            "T": tr.T}


def _scalar_figures(values: Mapping[str, object], what: str) -> Callable[[], None]:
    def draw() -> None:
        specs = computed.scalar_specs(*_scalar(values))
        left, right = st.columns(2)
        with left:
            export.figure(specs[0], name=f"Per-step factor, {what}",
                          notice="blue steps shrink the gradient, orange steps stretch it; the dashed line is 1.")
        with right:
            export.figure(specs[1], name=f"Gradient vs distance, {what}",
                          notice="on a log axis an exponential is a straight line; shaded: values float32 "
                                 "cannot hold.")
    return draw


def _overflow() -> Evidence:
    tr = computed.scalar_run(*_scalar(OVERFLOW))
    brk = tr.float32_break
    return {"overflow": 1.0 if brk is not None and brk.kind == "overflow" else 0.0,
            "distance": math.nan if brk is None else brk.distance,
            "nan_distance": math.nan if brk is None or brk.nan_distance is None else brk.nan_distance,
            "T": tr.T, "dead_step": math.nan if tr.zero_factor_step is None else tr.zero_factor_step,
            "state_overflow": math.nan if tr.state_nonfinite_step is None else tr.state_nonfinite_step,
            "log10_grad": tr.log10_abs_grad[0]}


# ---------------------------------------------------------------------------- 5, 9, 10 · many units

def _spectral(values: Mapping[str, object]):
    """The spectral page's analysis at these link values (its default work plan, no upload)."""
    return computed.spectral_analysis(computed.spectral_key(values), "", None, 1.0)


def _spectral_charts(values: Mapping[str, object]) -> dict:
    return computed.spectral_specs(computed.spectral_key(values), "", None, 1.0)


#: The spectral page's preset "Guaranteed vanishing", and its "Exploding" over the same 500 steps.
SHRINKING = spectral_views.VIEW.preset("Guaranteed vanishing").values
GROWING = {**spectral_views.VIEW.preset("Exploding").values, "T": SHRINKING["T"]}
#: ReLU with a small and a large W, and tanh with the same large W (n = 32, T = 300: the page's defaults).
RELU_SMALL = {"W": "gaussian", "scale": 0.3, "f": "relu"}
RELU_LARGE = {"W": "gaussian", "scale": 2.0, "f": "relu"}
TANH_LARGE = {"W": "gaussian", "scale": 2.0, "f": "tanh"}
NILPOTENT = spectral_views.VIEW.preset("Nilpotent trap").values


def _many_units() -> Evidence:
    down, up = _spectral(SHRINKING), _spectral(GROWING)
    return {"sigma_down": down.verdict.sigma_max, "top_down": down.log10_top_singular_value(down.window),
            "T": down.window, "bound_holds": float(down.chain.holds), "sigma_up": up.verdict.sigma_max,
            "top_up": up.log10_top_singular_value(up.window), "gamma_sigma_down": down.verdict.step_bound}


def _many_units_figures() -> None:
    for column, (values, what) in zip(st.columns(2), ((SHRINKING, "tanh, σ_max ≈ 0.9"),
                                                     (GROWING, "linear, σ_max ≈ 2.4"))):
        with column:
            export.figure(_spectral_charts(values)["chain"], name=f"Bound chain, {what}",
                          notice=f"{what}: the product's norm (lowest line) stays under the product of the step "
                                 "norms, itself under (γ·σ_max)^k.")


def _norm_of_w() -> Evidence:
    small, large, tanh = (_spectral(v) for v in (RELU_SMALL, RELU_LARGE, TANH_LARGE))
    return {"small": small.log10_top_singular_value(small.window),
            "large": large.log10_top_singular_value(large.window),
            "tanh": tanh.log10_top_singular_value(tanh.window), "T": large.window,
            "sigma_small": small.verdict.sigma_max, "sigma_large": large.verdict.sigma_max}


def _norm_of_w_figures() -> None:
    for column, (values, what) in zip(st.columns(2), ((RELU_SMALL, "ReLU, σ = 0.3"), (RELU_LARGE, "ReLU, σ = 2"))):
        with column:
            export.figure(_spectral_charts(values)["product"], name=f"Product spectrum, {what}",
                          notice=f"{what}: every singular value of the product, k steps back, on a log axis.")


def _nilpotent() -> Evidence:
    r = _spectral(NILPOTENT)
    k = int(r.chain.distance[-1])
    return {"radius": r.W_spectrum.radius, "norm_W": r.W_spectrum.norm, "k": k,
            "log10_norm": r.chain.log_product_norm[-1] / math.log(10),
            "closed_form": (k - 1) * math.log10(2) + 0.5 * math.log10(200)}


def _nilpotent_figures() -> None:
    export.figure(_spectral_charts(NILPOTENT)["chain"], name="Bound chain, nilpotent W",
                  notice="the black dots are the closed form 2^(l−1)·√200: the measured ‖Jˡ‖ sits on them and grows "
                         "without bound, although every eigenvalue of W is 0.")


# ---------------------------------------------------------------------------- 10 · the edge of chaos

#: The edge page's presets "Ordered" and "Chaotic": tanh, no input, σ_w = 0.8 and 2.
EDGE_ORDERED = dict(edge_views.VIEW.preset("Ordered").values)
EDGE_CHAOTIC = dict(edge_views.VIEW.preset("Chaotic").values)


def _edge_settings(values: Mapping[str, object]) -> tuple:
    return computed.arguments(edge_views.VIEW, values)


def _edge() -> Evidence:
    ordered, chaotic = (computed.edge_run(*_edge_settings(v)) for v in (EDGE_ORDERED, EDGE_CHAOTIC))
    return {"ordered": ordered.theory.lyapunov, "chaotic": chaotic.theory.lyapunov,
            "ordered_measured": ordered.gaussian.lyapunov, "chaotic_measured": chaotic.gaussian.lyapunov,
            "ordered_orthogonal": ordered.orthogonal.lyapunov, "chaotic_orthogonal": chaotic.orthogonal.lyapunov,
            "n": ordered.gaussian.n}


def _edge_check(ev: Evidence) -> bool:
    return (f"{ev['ordered']:.2f}" == "-0.22" and f"{ev['chaotic']:.3f}" == "0.155" and ev["n"] == 256
            and all(abs(ev[f"{p}_{w}"] - ev[p]) < 0.02 for p in ("ordered", "chaotic") for w in ("measured", "orthogonal")))


def _edge_figures() -> None:
    for column, (values, what) in zip(st.columns(2), ((EDGE_ORDERED, "σ_w = 0.8, ordered"),
                                                     (EDGE_CHAOTIC, "σ_w = 2, chaotic"))):
        with column:
            export.figure(computed.edge_decay_spec(*_edge_settings(values)), name=f"Gradient decay, {what}",
                          notice=f"tanh, {what}: the gradients of two real 256-unit networks against the "
                                 "theory's dashed χ^(k/2).")


# ---------------------------------------------------------------------------- 6-8 · the nonlinearity

QUARTER = nl_views.VIEW.preset("Sigmoid never escapes ¼").values
SATURATED = nl_views.VIEW.preset("Saturated sigmoid").values
DEAD = nl_views.VIEW.preset("Dead ReLUs").values


def _jacobian() -> Evidence:
    result = computed.saturation_run(*_saturation(QUARTER))
    s, chk = result.stats, result.pascanu
    return {"bound": chk.step_bound, "worst": math.exp(float(s.log_step_bound.max())),
            "sigma_max": chk.sigma_max, "gamma": s.gamma, "guaranteed": float(chk.sufficient_for_vanishing)}


def _saturation_figures(values: Mapping[str, object], which: tuple[int, ...]) -> Callable[[], None]:
    names = ("Histogram of f-prime", "Units x time heat map", "Per-step bound")
    notices = ("the mass near 0 is gradient lost at that step; sigmoid never reaches beyond ¼, ReLU has only "
               "two bars, 0 and 1.",
               "dark cells pass almost nothing back; a gradient can only flow through the bright paths.",
               "wherever the green line dips below the black 1, that step surely shrinks every gradient; "
               "saturation pulls it below the orange γ·σ_max bound.")

    def draw() -> None:
        specs = computed.saturation_specs(*_saturation(values))
        for column, i in zip(st.columns(len(which)), which):
            with column:
                export.figure(specs[i], name=f"{names[i]}, {values['f']}", notice=notices[i])
    return draw


def _flat_figures() -> None:
    left, right = st.columns(2)
    with left:
        export.figure(computed.curves_spec(), name="f and f-prime", width="content",
                      notice="the grey bands, where |f′| < 0.1, cover most of the axis for sigmoid and tanh.")
    with right:
        export.figure(computed.saturation_specs(*_saturation(SATURATED))[0], name="Histogram of f-prime, sigmoid",
                      notice="the mass near 0 is gradient lost at that step; nothing reaches beyond ¼.")


def _saturation_evidence(values: Mapping[str, object]) -> Callable[[], Evidence]:
    def evidence() -> Evidence:
        s = computed.saturation_run(*_saturation(values)).stats
        return {"saturated": s.saturated_fraction, "dead": s.dead_fraction, "mean": s.mean_derivative,
                "max": float(s.derivatives.max()), "gamma": s.gamma}
    return evidence


# ---------------------------------------------------------------------------- 11-14 · training

EXPLODE = rnnviz.TRAINING_SCENARIOS["explode"]
CLIPPED = rnnviz.TRAINING_SCENARIOS["clipped"]
LONG_CLIPPED = LONG.replace(clipping="norm")
GRU = rnnviz.TRAINING_SCENARIOS["gru_cure"]
GRU_PLAIN = GRU.replace(cell="rnn")
#: The lab's geometry default: g = (6, 2), clipped by norm to 3 and by value to 1.5.
GEOMETRY = (6.0, 2.0, 3.0, 1.5)


def _exploding() -> Evidence:
    run = stored_run(EXPLODE).run
    before = run.grad_norm[: run.diverged_at - 1] if run.diverged_at else run.grad_norm
    return {"diverged_at": math.nan if run.diverged_at is None else run.diverged_at,
            "peak": float(before.max()) if before.size else math.nan, "first": float(run.grad_norm[0])}


def _grad_figures(cfg: rnnviz.TrainingConfig, what: str) -> Callable[[], None]:
    def draw() -> None:
        result = stored_run(cfg)
        export.figure(result.spec("grad", lab_charts.grad_norm_spec), name=f"Gradient norm per iteration, {what}",
                      notice="the norm is on a log axis: a jump of many decades is an exploding gradient.")
        export.figure(result.spec("loss_acc", lab_charts.loss_accuracy_spec), name=f"Loss and accuracy, {what}",
                      width="content", notice="a coin toss is a loss of log 2 ≈ 0.693 and 50 % accuracy.")
    return draw


def _clipping() -> Evidence:
    _, _, _, norm, _, angle_norm, angle_value = computed.clipping_geometry(*GEOMETRY)
    run = stored_run(CLIPPED).run
    return {"accuracy": run.test_accuracy, "angle_norm": angle_norm, "angle_value": angle_value,
            "acted": float(run.clipped.mean())}


def _clipping_figures() -> None:
    left, right = st.columns(2)
    with left:
        export.figure(computed.geometry_spec(*GEOMETRY), name="Clipping geometry",
                      notice="clipping by norm shortens g along its own direction; clipping by value cuts each "
                             "entry and turns it.")
    with right:
        export.figure(stored_run(CLIPPED).spec("loss_acc", lab_charts.loss_accuracy_spec),
                      name="Loss and accuracy, clipped", width="content",
                      notice="the exploding run of the step before, clipped at c = 0.1: it learns.")


def _heat(result) -> dict:
    return result.spec("heat_rel", lambda r: lab_charts.dh_heatmap_spec(r, relative=True))


def _still_vanishing() -> Evidence:
    clipped, plain = stored_run(LONG_CLIPPED).run, stored_run(LONG).run
    same = clipped.loss.shape == plain.loss.shape and bool((clipped.loss == plain.loss).all())
    return {"accuracy": clipped.test_accuracy, "acted": float(clipped.clipped.mean()), "identical": float(same),
            "reach": lab_charts.reach_value(clipped, -1)}


def _still_vanishing_figures() -> None:
    export.figure(_heat(stored_run(LONG_CLIPPED)), name="Gradient reach heat map, L = 60, clipped",
                  notice="each row an iteration, each column a word, position 1 is 'cat'. The left side stays "
                         "dark: the gradient that reaches 'cat' is tiny, and clipping only ever shortens it.")


def _gated() -> Evidence:
    return {"gru": stored_run(GRU).run.test_accuracy, "rnn": stored_run(GRU_PLAIN).run.test_accuracy,
            "gru_reach": lab_charts.reach_value(stored_run(GRU).run, -1),
            "rnn_reach": lab_charts.reach_value(stored_run(GRU_PLAIN).run, -1)}


def _gated_figures() -> None:
    for column, (cfg, name) in zip(st.columns(2), ((GRU_PLAIN, "plain RNN"), (GRU, "GRU"))):
        with column:
            export.figure(_heat(stored_run(cfg)), name=f"Gradient reach heat map, {name}",
                          notice=f"the {name} at L = 60: " + (
                              "the left edge ('cat') stays dark." if cfg is GRU_PLAIN else
                              "the left edge lights up as it learns to carry 'cat' forward."))


# ---------------------------------------------------------------------------- the steps, in the lecture's order

STEPS: tuple[Step, ...] = (
    Step(
        "cat … was / cats … were",
        "To choose *was* or *were*, a network must carry one word across every word in between. A vanilla "
        "RNN learns the agreement across a gap of 10 words — and stays at a coin toss across 60.",
        LAB, {"L": LONG.gap}, _agreement,
        check=lambda ev: ev["short"] >= 0.95 and _chance(ev["long"]),
        number=lambda ev: ("held-out accuracy, L = 10 → L = 60", f"{ev['short']:.0%} → {ev['long']:.0%}"),
        figures=_agreement_figures),
    Step(
        "Back-propagation through time",
        "The gradient that reaches a word k steps back is the gradient at the end multiplied by k step "
        "Jacobians: an RNN over 1,000 steps is a 1,000-layer network. A product of k equal factors r is r^k: "
        "0.99^1000 is about 4 × 10⁻⁵, 1.01^1000 about 2 × 10⁴.",
        SCALAR, LINEAR_DOWN, _powers, check=_powers_check,
        number=lambda ev: ("0.99^1000, computed as a product", format_magnitude(ev["down"])),
        figures=_powers_figures,
        formulas=(r"\frac{\partial \mathcal{L}_T}{\partial h_{T-k}} = \frac{\partial \mathcal{L}_T}{\partial h_T}"
                  r"\,J_T\,J_{T-1}\cdots J_{T-k+1},\qquad J_t = \frac{\partial h_t}{\partial h_{t-1}}",)),
    Step(
        "One hidden unit: factors below 1 vanish",
        "With one hidden unit every Jacobian is a number, w·f′(aₜ). With tanh and w = 0.9 every factor is "
        "below 1, so the product dies exponentially: after 200 steps less than 10⁻⁸ of the gradient is left.",
        SCALAR, TANH, _vanishing,
        check=lambda ev: ev["T"] == 200 and ev["log10_grad"] < -8 and ev["horizon"] < ev["T"],
        number=lambda ev: (f"|∂h_T/∂h₀| after {ev['T']} steps", format_magnitude(ev["log10_grad"])),
        figures=_scalar_figures(TANH, "tanh, w = 0.9"),
        formulas=(r"\frac{\partial h_T}{\partial h_0} = \prod_{t=1}^{T} w\,f'(a_t)",)),
    Step(
        "Factors above 1 explode — until the numbers stop being numbers",
        "A ReLU unit with w = 4 multiplies the gradient by 4 at every live step. Multiplied step by step in "
        "float32, as on a GPU, the product is inf after 64 factors (4⁶⁴ = 2¹²⁸, beyond float32's largest "
        "number); started below 0, the unit's first step is dead, a factor of exactly 0 — and inf · 0 is NaN.",
        SCALAR, OVERFLOW, _overflow,
        check=lambda ev: (ev["overflow"] == 1.0 and ev["distance"] == 64 and ev["nan_distance"] == ev["T"]
                          and ev["dead_step"] == 1),
        number=lambda ev: ("float32 product: inf after · NaN after", f"{ev['distance']:.0f} · {ev['nan_distance']:,.0f}"),
        figures=_scalar_figures(OVERFLOW, "ReLU, w = 4")),
    Step(
        "Many units: the spectral norm takes the place of |·|",
        "With many units every Jacobian is a matrix, and how much it can stretch a gradient is its largest "
        "singular value, σ_max. When γ·σ_max(W) is below 1 every step shrinks every gradient and the product "
        "vanishes; above 1 it can explode.",
        SPECTRAL, SHRINKING, _many_units,
        check=lambda ev: (ev["gamma_sigma_down"] < 1 and ev["bound_holds"] == 1 and ev["top_down"] < -100
                          and ev["sigma_up"] > 1 and ev["top_up"] > 20),
        number=lambda ev: (f"‖product‖₂ over {ev['T']} steps, σ_max {ev['sigma_down']:.2f} · {ev['sigma_up']:.2f}",
                           f"10^{ev['top_down']:.0f} · 10^{ev['top_up']:.0f}"),
        figures=_many_units_figures,
        formulas=(r"\Big\|\prod_{t} J_t\Big\|_2 \le \prod_t \|J_t\|_2 \le (\gamma\,\sigma_{\max}(W))^{k}",)),
    Step(
        "J_t = diag(f′(a_t)) W",
        "By the chain rule each step's Jacobian is the nonlinearity's derivatives times W, so its norm is at "
        "most γ·σ_max(W), with γ = max|f′|: 1 for tanh, ¼ for sigmoid. With sigmoid and σ_max(W) ≈ 2, every "
        "step shrinks every gradient to about half or less: vanishing is guaranteed, whatever the inputs.",
        NONLINEARITY, QUARTER, _jacobian,
        check=lambda ev: (ev["worst"] <= ev["bound"] * (1 + 1e-12) and ev["bound"] <= 0.51 and ev["gamma"] == 0.25
                          and abs(ev["sigma_max"] - 2) < 0.1 and ev["guaranteed"] == 1.0),
        number=lambda ev: ("γ·σ_max(W), the per-step bound", f"{ev['bound']:.3f}"),
        figures=_saturation_figures(QUARTER, (2,)),
        formulas=(r"J_t = \operatorname{diag}\!\big(f'(a_t)\big)\,W,\qquad \|J_t\|_2 \le \max_i |f'(a_t)_i|"
                  r"\;\sigma_{\max}(W) \le \gamma\,\sigma_{\max}(W)",)),
    Step(
        "sigmoid and tanh are flat almost everywhere",
        "Away from a = 0 the derivatives of sigmoid and tanh are close to 0, and sigmoid's is never above ¼. "
        "Pushed into the tail by large inputs and a negative bias, more than four in five of a sigmoid RNN's "
        "unit-steps pass less than a tenth of the gradient.",
        NONLINEARITY, SATURATED, _saturation_evidence(SATURATED),
        check=lambda ev: ev["max"] <= 0.25 and ev["saturated"] >= 0.8,
        number=lambda ev: ("saturated unit-steps (f′ < 0.1)", _pct(ev["saturated"])),
        figures=_flat_figures),
    Step(
        "ReLU: 1 or 0 — dead units",
        "ReLU's derivative is exactly 1 for positive input and exactly 0 for negative: a unit pushed below 0 is "
        "dead for that step and passes nothing back. A negative bias kills almost all of them.",
        NONLINEARITY, DEAD, _saturation_evidence(DEAD),
        check=lambda ev: ev["dead"] >= 0.9,
        number=lambda ev: ("dead unit-steps (f′ = 0)", _pct(ev["dead"])),
        figures=_saturation_figures(DEAD, (0, 1))),
    Step(
        "The norm of W",
        "A small W aggravates vanishing, a large one explodes — especially with ReLU, whose live units pass "
        "the gradient unshrunk: with σ_max(W) ≈ 0.5 the product falls hundreds of decades over 300 steps, "
        "with σ_max(W) ≈ 3.6 it grows, more than tanh's on the same W.",
        SPECTRAL, RELU_LARGE, _norm_of_w,
        check=lambda ev: (ev["small"] < -100 and ev["large"] > 0 and ev["large"] > ev["tanh"]
                          and abs(ev["sigma_small"] - 0.5) < 0.05 and abs(ev["sigma_large"] - 3.6) < 0.05),
        number=lambda ev: (f"ReLU ‖product‖₂ after {ev['T']} steps, small · large W",
                           f"10^{ev['small']:.0f} · 10^{ev['large']:.0f}"),
        figures=_norm_of_w_figures),
    Step(
        "The edge of chaos",
        "For a large random network the scale of W decides through one number, χ = σ_w² E[f′(a)²]: tanh with "
        "σ_w = 0.8 is ordered (½ ln χ = −0.22 per step: gradients vanish), with σ_w = 2 chaotic (+0.155: they "
        "explode), and χ = 1 is the edge between. Real 256-unit networks, Gaussian or orthogonal W, measure "
        "the same exponents within 0.02.",
        EDGE, EDGE_CHAOTIC, _edge,
        check=_edge_check,
        number=lambda ev: ("½ ln χ at σ_w = 2: theory · measured",
                           f"{edge_views.signed(ev['chaotic'])} · {edge_views.signed(ev['chaotic_measured'])}"),
        figures=_edge_figures,
        formulas=(r"\chi = \sigma_w^2\,\mathbb{E}[f'(a)^2],\qquad \lambda_1 = \tfrac12\ln\chi",)),
    Step(
        "Eigenvalues are not enough",
        "W = [[8, 8], [−8, −8]] is nilpotent: every eigenvalue is 0. Yet at the fixed point of a tanh RNN the "
        "step Jacobian satisfies J² = 2J, so the gradient doubles every step: ‖Jˡ‖ = 2^(l−1)·√200. The "
        "largest singular value, 16, tells the truth.",
        SPECTRAL, NILPOTENT, _nilpotent,
        check=lambda ev: (ev["radius"] < 1e-9 and abs(ev["norm_W"] - 16) < 1e-9
                          and abs(ev["log10_norm"] - ev["closed_form"]) < 1e-6),
        number=lambda ev: (f"ρ(W) · ‖J^{ev['k']}‖₂", f"0 · {format_magnitude(ev['log10_norm'])}"),
        figures=_nilpotent_figures),
    Step(
        "Exploding gradients in training",
        "A ReLU RNN with W initialised large and a large learning rate, without clipping: within a few "
        "iterations the gradient norm shoots up by dozens of orders of magnitude, one huge step throws the "
        "weights off, the states overflow and the loss is NaN.",
        LAB, widget_values(EXPLODE), _exploding,
        check=lambda ev: 1 <= ev["diverged_at"] <= 10 and ev["peak"] > 1e20 * ev["first"],
        number=lambda ev: ("the loss is NaN at iteration", f"{ev['diverged_at']:.0f}"),
        figures=_grad_figures(EXPLODE, "exploding")),
    Step(
        "Gradient clipping",
        "Rescale the gradient when its norm is above a threshold c: the step is shorter, its direction is kept. "
        "The same exploding run, clipped by norm to c = 0.1, learns the agreement.",
        LAB, widget_values(CLIPPED), _clipping,
        check=lambda ev: ev["accuracy"] >= 0.99 and abs(ev["angle_norm"]) < 1e-9 and ev["angle_value"] > 1,
        number=lambda ev: ("held-out accuracy, clipped", _pct(ev["accuracy"])),
        figures=_clipping_figures,
        formulas=(r"\lVert g\rVert > c \;\Longrightarrow\; g \leftarrow \frac{c}{\lVert g\rVert}\,g",)),
    Step(
        "Clipping does nothing for vanishing",
        "Clipping only ever shortens a gradient. Across the 60-word gap the gradient is never too large, so "
        "clipping by norm at c = 1 never acts: the run is the unclipped one to the last digit, at a coin toss, "
        "and the gradient reaching 'cat' is a tiny fraction of that at the last word.",
        LAB, widget_values(LONG_CLIPPED), _still_vanishing,
        check=lambda ev: ev["acted"] == 0 and ev["identical"] == 1 and _chance(ev["accuracy"]) and ev["reach"] < 1e-3,
        number=lambda ev: ("held-out accuracy, clipped, L = 60", _pct(ev["accuracy"])),
        figures=_still_vanishing_figures),
    Step(
        "What comes next: gated cells",
        "A GRU's update gate keeps its step Jacobian close to the identity, so the gradient crosses the same "
        "60-word gap: with the same data, seed and optimiser the GRU learns the agreement where the plain "
        "RNN stays at a coin toss.",
        LAB, {**widget_values(GRU), "cmp": True}, _gated,
        check=lambda ev: ev["gru"] >= 0.95 and _chance(ev["rnn"]) and ev["gru_reach"] > 100 * ev["rnn_reach"],
        number=lambda ev: ("held-out accuracy: GRU · plain RNN", f"{ev['gru']:.0%} · {ev['rnn']:.0%}"),
        figures=_gated_figures),
)

#: Training runs the tour shows: trained ahead, one after another, when the tour is first opened.
TRAINED = (SHORT, LONG, EXPLODE, CLIPPED, LONG_CLIPPED, GRU, GRU_PLAIN)


# ---------------------------------------------------------------------------- the page

def requested(raw: str | None, count: int) -> tuple[int, str | None]:
    """The step a link asks for (1-based) and a note when it asked for one that does not exist."""
    if raw is None:
        return 1, None
    try:
        k = int(raw.strip())
    except ValueError:
        k = 0
    if 1 <= k <= count:
        return k, None
    shown = raw if len(raw) <= 20 else raw[:20] + "…"
    return 1, f"The link asked for step `{shown}`; the lecture has steps 1 to {count}, so it opens at step 1."


@cached(max_entries=64)
def qr_png(link: str) -> bytes:
    """The QR code of ``link`` as a PNG (segno; no network)."""
    import segno

    buffer = io.BytesIO()
    segno.make(link, error="m").save(buffer, kind="png", scale=10, border=2)
    return buffer.getvalue()


def step_link(k: int) -> str:
    """The link that opens step ``k`` for anyone (the page's address with ``?step=k`` only)."""
    return f"{st.context.url or ''}?{urlencode({KEY: k})}"


def _go(k: int) -> None:
    st.query_params[KEY] = str(k)


def _navigation(k: int, count: int) -> None:
    row = st.container(horizontal=True, gap="small", key="tour_nav")
    row.button("First", key="tour_first", icon=":material/first_page:", shortcut="Home", disabled=k == 1,
               on_click=_go, args=(1,), help="The first step (Home)")
    row.button("Previous", key="tour_prev", icon=":material/chevron_left:", shortcut="PageUp", disabled=k == 1,
               on_click=_go, args=(k - 1,), help="The step before (PageUp, a clicker's back button)")
    row.button("Next", key="tour_next", icon=":material/chevron_right:", shortcut="PageDown", type="primary",
               disabled=k == count, on_click=_go, args=(k + 1,),
               help="The next step (PageDown, a clicker's forward button)")
    row.button("Last", key="tour_last", icon=":material/last_page:", shortcut="End", disabled=k == count,
               on_click=_go, args=(count,), help="The last step (End)")


def show(steps: tuple[Step, ...] = STEPS) -> None:
    """Draw the step the URL asks for: progress, title, claim, charts, the number, links and QR code."""
    count = len(steps)
    k, note = requested(urlstate.raw_param(KEY), count)
    if note is not None:
        st.warning(note, icon=":material/link_off:")
    st.query_params[KEY] = str(k)
    urlstate.record(KEY, k, None, raw=None)   # the sidebar's "Link to this view" holds the step's link
    step = steps[k - 1]

    st.progress(k / count, text=f"Step {k} of {count}")
    _navigation(k, count)
    st.header(f"{k} · {step.title}", anchor=False)
    st.markdown(f"#### {step.claim}")
    for formula in step.formulas:
        st.latex(formula)

    page = step.page_info
    evidence = step.evidence()
    label, value = step.number(evidence)
    number, verdict, explore = st.columns([2, 2, 3], vertical_alignment="center")
    number.metric(label, value, help="Computed live by rnnviz's core at this step's settings.")
    if step.check(evidence):
        verdict.success("The evidence bears the claim out.", icon=":material/check_circle:")
    else:
        verdict.warning("At these settings the evidence does not bear the claim out.", icon=":material/warning:")
    explore.page_link(page.path, label=f"Explore this on the {page.title} page", icon=page.icon,
                      query_params=step.link_params(), help="Opens the page with this step's settings.")
    large = lecture.is_on()
    charts, side = st.columns([2, 1] if large else [3, 1], gap="medium")
    with side:
        link = step_link(k)
        # An <img> with a text alternative (st.image writes none: axe's image-alt rule, WCAG 1.1.1).
        size = "width: 100%;" if large else "width: 200px; max-width: 100%;"
        st.markdown(f'<img src="data:image/png;base64,{base64.b64encode(qr_png(link)).decode()}" '
                    f'alt="QR code of the link to step {k} of the lecture: {html.escape(link)}" '
                    f'style="{size} image-rendering: pixelated;">', unsafe_allow_html=True)
        st.caption(f"Scan to open step {k} on your phone, or type the link below.")
        st.code(link, language=None, wrap_lines=True)
    with charts:
        step.figures()
