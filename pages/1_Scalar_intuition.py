"""Scalar intuition: one hidden unit, so the gradient through time is a product of numbers."""

import math

import numpy as np
import streamlit as st

import rnnviz
from rnnviz.charts.scalar import (
    factor_chart,
    gradient_chart,
    phase_map_chart,
    powers_widget,
    state_chart,
    with_marker,
)
from rnnviz.charts.common import format_magnitude
from rnnviz.charts.spec import vega_spec
from rnnviz.ui import Preset, cached, export, guard, lecture, page_frame, preset_bar, widgets

#: The phase map's grid: w and b in steps of 0.1 over the sliders' ranges (81 × 61 cells).
W_RANGE, B_RANGE = (-4.0, 4.0), (-3.0, 3.0)
MAP_STEPS = 200

PAGE = page_frame(
    __file__,
    lead=(
        "With a single hidden unit every Jacobian is a plain number, so the gradient that flows "
        "from step T back to step k is a **product of T − k numbers**, one per step. Make every "
        "factor a little below 1 and the product dies exponentially (vanishing); a little above 1 "
        "and it blows up (exploding) — until the computer's numbers run out and you see inf and NaN."
    ),
)

preset_bar(
    [
        Preset("Vanishing with tanh", "tanh with w = 0.9: every factor is at most 0.9, so the gradient "
               "shrinks at least as fast as 0.9^(T−k).", {"w": 0.9, "b": 0.0, "f": "tanh", "T": 200}),
        Preset("Saturated tanh", "w = 3 pushes the unit into tanh's flat tails: f′ ≈ 0.01, so even a "
               "large weight gives tiny factors.", {"w": 3.0, "b": 0.5, "f": "tanh", "T": 200}),
        Preset("Exploding with ReLU", "ReLU with w = 1.5 and a positive drive: every factor is exactly 1.5.",
               {"w": 1.5, "b": 0.5, "f": "relu", "T": 300}),
        Preset("Sigmoid never escapes ¼", "σ′ is at most ¼, so even w = 4, the slider's end, with "
               "the unit held near its steepest point (b = −2) gives factors below 1 and the gradient "
               "still vanishes: a sigmoid unit needs |w| > 4 to explode.",
               {"w": 4.0, "b": -2.0, "f": "sigmoid", "T": 200}),
        Preset("Knife's edge", "A linear unit with w = 1: the only setting where the gradient neither "
               "vanishes nor explodes.", {"w": 1.0, "b": 0.0, "f": "linear", "T": 1000}),
        Preset("NaN in float32", "ReLU with w = 4 over 10,000 steps: the float32 product overflows "
               "after 64 steps, the state itself after 512; the log-space numbers stay exact.",
               {"w": 4.0, "b": 3.0, "f": "relu", "T": 10000}),
    ],
    page="scalar",
    path=PAGE.path,
)

# ---- controls -------------------------------------------------------------------------------
c1, c2, c3, c4 = st.columns(4)
w = widgets.slider("Recurrent weight w", key="w", min_value=W_RANGE[0], max_value=W_RANGE[1], value=0.9,
                   step=0.01, container=c1, help="The weight of the unit's connection to itself.")
b = widgets.slider("Bias b", key="b", min_value=B_RANGE[0], max_value=B_RANGE[1], value=0.0, step=0.01,
                   container=c2)
f = widgets.select("Nonlinearity f", rnnviz.NONLINEARITIES, key="f", container=c3,
                   help="γ = max |f′|: 1 for tanh, ReLU and linear, ¼ for sigmoid.")
T = widgets.slider("Steps T", key="T", min_value=1, max_value=10_000, value=200, step=1, container=c4,
                   help="Sequence length: the gradient from step T is followed back to every k = 0..T.")
with lecture.advanced("Input, initial state and seed"):
    d1, d2, d3, d4, d5 = st.columns([1.4, 1, 1, 1, 0.8])
    kind = widgets.select("Input xₜ", rnnviz.INPUT_KINDS, key="input", index=3, container=d1,
                          help="none: xₜ = 0; constant: amplitude; noise: N(0, amplitude²); "
                               "sine: amplitude·sin(2πt/20).")
    amp = widgets.slider("Input amplitude", key="amp", min_value=0.0, max_value=3.0, value=0.5, step=0.05,
                         container=d2)
    u = widgets.slider("Input weight u", key="u", min_value=-3.0, max_value=3.0, value=1.0, step=0.05,
                       container=d3)
    h0 = widgets.slider("Initial state h₀", key="h0", min_value=-2.0, max_value=2.0, value=0.5, step=0.05,
                        container=d4)
    seed = widgets.number("Seed", key="seed", min_value=0, max_value=9999, value=0, step=1, container=d5,
                          help="Draws the noise input; the same seed gives the same sequence.")


@cached
def run(w: float, b: float, u: float, kind: str, amp: float, h0: float, f: str, T: int, seed: int):
    x = rnnviz.scalar_inputs(T, kind=kind, amplitude=amp, seed=seed)
    return rnnviz.scalar_trajectory(w, b=b, u=u, h0=h0, x=x, nonlinearity=f)


@cached
def trajectory_specs(*settings) -> tuple[dict, dict, dict]:
    """Vega-Lite specs of the three trajectory charts (built once per setting, then reused)."""
    tr = run(*settings)
    return tuple(vega_spec(c) for c in (factor_chart(tr), gradient_chart(tr), state_chart(tr)))


@cached
def phase_map_spec(u: float, kind: str, amp: float, h0: float, f: str, T: int, seed: int) -> dict:
    x = rnnviz.scalar_inputs(T, kind=kind, amplitude=amp, seed=seed)
    pm = rnnviz.scalar_phase_map(np.linspace(*W_RANGE, 81), np.linspace(*B_RANGE, 61), u=u, h0=h0, x=x,
                                 nonlinearity=f)
    return vega_spec(phase_map_chart(pm))


@cached
def powers_spec() -> dict:
    return vega_spec(powers_widget())


settings = (float(w), float(b), float(u), kind, float(amp), float(h0), f, int(T), int(seed))
tr = None
with guard("One-unit RNN"):
    tr = run(*settings)
    specs = trajectory_specs(*settings)

if tr is not None:
    # ---- headline numbers -------------------------------------------------------------------
    lam = tr.mean_log_factor
    verdict = "vanishing" if lam < 0 else ("exploding" if lam > 0 else "neither")
    m1, m2, m3, m4 = st.columns(4)
    m1.metric("|∂h_T/∂h₀|", format_magnitude(tr.log10_abs_grad[0]),
              help="The whole product, computed as a sum of logarithms so it stays exact far "
                   "beyond float64's 1e±308.")
    if tr.horizon is not None:
        m2.metric("Memory horizon", f"{tr.horizon} steps",
                  help="How far back the gradient reaches before falling below 1e-8 of its start.")
    else:
        est = f"≈ {math.log(1e-8) / lam:,.0f} steps at this rate" if lam < 0 else "the gradient never fades"
        m2.metric("Memory horizon", "never", delta=f"within T; {est}", delta_color="off", delta_arrow="off",
                  help="The gradient stays above 1e-8 of its start all the way back to step 0.")
    m3.metric("Mean log factor λ", "−∞" if lam == -math.inf else f"{lam:+.4f}", delta=verdict,
              delta_color="off", delta_arrow="off" if lam == 0 else ("up" if lam > 0 else "down"),
              help="λ = (1/T) Σ log|w f′(aₜ)|: the gradient behaves like e^{λ(T−k)}.")
    brk = tr.float32_break
    if brk is None:
        m4.metric("float32 product", "stays finite", help="The naive running product never left float32's range.")
    else:
        word = "inf" if brk.kind == "overflow" else "0"
        m4.metric("float32 product", f"{word} after {brk.distance}", delta=f"steps back, at k = {brk.step}",
                  delta_color="off", delta_arrow="off",
                  help="Multiplying the factors one by one in float32, as a GPU would, from step T back.")

    # ---- overflow as content ----------------------------------------------------------------
    if brk is not None and brk.kind == "overflow":
        nan = (f" It turns into **NaN** after {brk.nan_distance} factors, where inf meets an exact 0."
               if brk.nan_distance else " One more inf − inf or inf · 0 and it is **NaN**.")
        st.warning(
            f"**Exploding → inf.** Multiplied step by step in float32 (as in training on a GPU), "
            f"∂h_T/∂h_k becomes **inf** after {brk.distance} factors, at k = {brk.step}.{nan} "
            "This is the NaN the lectures warn about; gradient clipping is the usual cure. "
            "The numbers on this page are sums of logarithms and stay exact.",
            icon=":material/warning:")
    elif brk is not None:
        st.info(
            f"**Vanishing → 0.** In float32 the running product underflows to exactly **0** after "
            f"{brk.distance} factors (k = {brk.step}): steps further back get no gradient at all, "
            "not merely a small one.", icon=":material/info:")
    if tr.state_nonfinite_step is not None:
        st.warning(f"The state hₜ itself overflowed float64 at step **{tr.state_nonfinite_step}**: "
                   "the forward pass is already inf there (the unit is linear or ReLU with |w| > 1).",
                   icon=":material/warning:")
    if tr.zero_factor_step is not None:
        st.info(f"At step {tr.zero_factor_step} the factor is **exactly 0** "
                f"({'w = 0' if tr.w == 0 else 'a dead ReLU: aₜ ≤ 0'}), so ∂h_T/∂h_k = 0 for every "
                f"k < {tr.zero_factor_step}; on the log axis those points are pinned at the bottom.",
                icon=":material/info:")

    # ---- charts -----------------------------------------------------------------------------
    thinned = " Showing 1,500 of the steps." if tr.T > 1500 else ""
    left, right = st.columns(2)
    with left:
        export.figure(specs[0], name="Per-step factor",
                      formulas=[r"\frac{\partial h_t}{\partial h_{t-1}} = w\,f'(a_t),\qquad a_t = w\,h_{t-1} + u\,x_t + b"],
                      notice="blue steps shrink the gradient, orange steps stretch it; whichever side of the "
                             "dashed 1 most steps sit on decides the fate of the product." + thinned)
    with right:
        export.figure(specs[1], name="Gradient vs distance",
                      formulas=[r"\frac{\partial h_T}{\partial h_k} = \prod_{t=k+1}^{T} w\,f'(a_t),\qquad "
                                r"c_{\min}^{\,T-k} \le \left|\frac{\partial h_T}{\partial h_k}\right| \le c_{\max}^{\,T-k}"],
                      notice="on a log axis an exponential is a straight line, squeezed between the dashed "
                             "c^(T−k) of the smallest and largest factor: smaller than 1 at every step means "
                             "exponential decay. Shaded: values float32 cannot hold. Exact zeros are pinned "
                             "to the bottom edge (see the tooltip).")

    left, right = st.columns(2)
    with left:
        export.figure(specs[2], name="Hidden state", formulas=[r"h_t = f(w\,h_{t-1} + u\,x_t + b)"],
                      notice="where hₜ sits decides f′(aₜ): a saturated tanh or sigmoid (hₜ near its limits) "
                             "has tiny factors; a ReLU that hits hₜ = 0 passes nothing back." + thinned)
    with right:
        st.latex(r"\lambda = \frac{1}{T}\sum_{t=1}^{T}\log\lvert w\,f'(a_t)\rvert"
                 r" = \frac{1}{T}\log\left|\frac{\partial h_T}{\partial h_0}\right|")
        T_map = min(int(T), MAP_STEPS)
        with guard("Phase map"):
            map_spec = phase_map_spec(float(u), kind, float(amp), float(h0), f, T_map, int(seed))
            here = run(*settings[:7], T_map, int(seed)).mean_log_factor
            export.figure(with_marker(map_spec, w=float(w), b=float(b), here=here), name="Phase map",
                          notice=f"blue (λ < 0) is vanishing, orange (λ > 0) exploding, white the knife's edge "
                                 f"between. The diamond is your (w, b); λ is averaged over the first {T_map} "
                                 "steps with the same input. Colours are clipped at ±1.5 (tooltip: true value).")

st.divider()
st.subheader("The first minute of the lecture: r^k")
left, right = st.columns([2, 1])
with left:
    export.show(powers_spec(), name="r to the k", csv=False)
with right:
    st.latex(r"r^k = e^{k \ln r}")
    st.latex(r"r^k < 10^{-8} \iff k > \frac{8 \ln 10}{-\ln r}")
    st.markdown("Drag **r** under the chart — it redraws in your browser, with no round-trip to "
                "the server. At r = 0.95 only 0.6 % of the gradient survives 100 steps; at r = 1.05 "
                "it has grown 130-fold. Only r = 1 exactly keeps it.")
