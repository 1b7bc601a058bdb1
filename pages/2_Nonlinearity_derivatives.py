"""Nonlinearity derivatives: f′ is one factor of every step's Jacobian, and it is small almost everywhere."""

import streamlit as st

import rnnviz
from rnnviz.charts.nonlinearity import (
    curves_chart,
    gamma_label,
    heatmap_chart,
    histogram_chart,
    step_bound_chart,
)
from rnnviz.charts.common import format_magnitude
from rnnviz.charts.spec import vega_spec
from rnnviz.ui import Preset, cached, export, guard, lecture, page_frame, preset_bar, widgets


PAGE = page_frame(
    __file__,
    lead=(
        "Every step of back-propagation multiplies the gradient by "
        "$J_t = \\operatorname{diag}(f'(a_t))\\,W$. The first factor belongs to the nonlinearity: "
        "sigmoid and tanh are flat over most of their input, so their derivative is close to 0 "
        "there (the unit is **saturated**), and a ReLU's derivative is exactly 0 for negative input "
        "(the unit is **dead** for that step). Either way, that unit passes almost no gradient back."
    ),
)


@cached
def curves_spec() -> dict:
    return vega_spec(curves_chart())


st.subheader("f and f′, side by side")
export.figure(
    curves_spec(), name="f and f-prime", width="content",
    formulas=[r"\gamma = \sup_a |f'(a)|:\quad \gamma_{\tanh} = 1,\ \ \gamma_{\sigma} = \tfrac14,\ \ "
              r"\gamma_{\mathrm{ReLU}} = 1,\qquad \tanh'(a) = 1 - \tanh^2 a,\ \ \sigma'(a) = \sigma(a)\,(1 - \sigma(a))"],
    notice="the grey bands, where |f′| < 0.1, cover most of the axis for sigmoid and tanh — beyond "
           "|a| ≈ 2.06 (sigmoid) or 1.82 (tanh) a unit passes less than a tenth of the gradient. Sigmoid's "
           "f′ never exceeds ¼. ReLU's f′ is exactly 0 for every a ≤ 0 (filled dot: f′(0) = 0, as in PyTorch) "
           "and 1 otherwise; leaky ReLU keeps 0.01 on the left, so it never dies completely.")

st.divider()
st.subheader("Along a real trajectory of an n-unit RNN")
preset_bar(
    [
        Preset("Healthy tanh", "Small weights and inputs: most aₜ near 0, most f′ near 1.",
               {"n": 64, "scale": 0.5, "in_scale": 0.5, "bias": 0.0, "f": "tanh"}),
        Preset("Saturated sigmoid", "Large inputs push sigmoid into its tails: almost every f′ below 0.1.",
               {"n": 64, "scale": 1.0, "in_scale": 3.0, "bias": 0.0, "f": "sigmoid"}),
        Preset("Sigmoid never escapes ¼", "No input, no bias: every unit sits near a = 0, where sigmoid "
               "is steepest, and still no f′ exceeds ¼. σ_max(W) ≈ 2 < 1/γ = 4: vanishing is guaranteed "
               "without any saturation.",
               {"n": 64, "scale": 1.0, "in_scale": 0.0, "bias": 0.0, "f": "sigmoid"}),
        Preset("Dead ReLUs", "A negative bias switches most ReLU units off: f′ = 0 exactly.",
               {"n": 64, "scale": 1.0, "in_scale": 0.5, "bias": -1.0, "f": "relu"}),
        Preset("Exploding ReLU", "Weight scale 3: σ_max(W) ≈ 6 ≫ 1/γ; the states overflow float64.",
               {"n": 128, "scale": 3.0, "in_scale": 1.0, "bias": 0.0, "f": "relu", "T": 1000}),
    ],
    page="nonlinearity",
    path=PAGE.path,
)
c1, c2, c3, c4 = st.columns(4)
nl_name = widgets.select("Nonlinearity f", rnnviz.NONLINEARITIES, key="f", container=c1)
n = widgets.slider("Hidden units n", key="n", min_value=2, max_value=256, value=64, step=1, container=c2)
scale = widgets.slider("Weight scale g", key="scale", min_value=0.0, max_value=3.0, value=1.0, step=0.05,
                       container=c3, help="W has i.i.d. N(0, g²/n) entries: ρ(W) ≈ g and σ_max(W) ≈ 2g.")
in_scale = widgets.slider("Input scale", key="in_scale", min_value=0.0, max_value=3.0, value=1.0, step=0.05,
                          container=c4, help="Standard deviation of each unit's input drive U xₜ.")
with lecture.advanced("Bias, length and seed"):
    d1, d2, d3 = st.columns(3)
    bias = widgets.slider("Bias b (every unit)", key="bias", min_value=-5.0, max_value=5.0, value=0.0,
                          step=0.1, container=d1)
    steps = widgets.slider("Steps T", key="T", min_value=10, max_value=1000, value=200, step=10,
                           container=d2)
    seed = widgets.number("Seed", key="seed", min_value=0, max_value=9999, value=0, step=1, container=d3,
                          help="Draws W, U and the inputs; the same seed gives the same network.")


@cached
def run(n: int, scale: float, in_scale: float, bias: float, nl: str, steps: int, seed: int):
    return rnnviz.saturation_run(n, T=steps, weight_scale=scale, input_scale=in_scale, bias=bias,
                                 nonlinearity=nl, seed=seed)


@cached
def run_specs(*settings) -> tuple[dict, dict, dict]:
    stats = run(*settings).stats
    return vega_spec(histogram_chart(stats)), vega_spec(heatmap_chart(stats)), vega_spec(step_bound_chart(stats))


settings = (int(n), float(scale), float(in_scale), float(bias), nl_name, int(steps), int(seed))
result = None
with guard("n-unit RNN"):
    result = run(*settings)
    specs = run_specs(*settings)

if result is not None:
    s, chk = result.stats, result.pascanu
    m1, m2, m3, m4 = st.columns(4)
    m1.metric("Saturated unit-steps", f"{s.saturated_fraction:.1%}",
              help=f"Share of all (unit, step) pairs with |f′(aₜ)| < {s.threshold:g}.")
    m2.metric("Dead unit-steps", f"{s.dead_fraction:.1%}", delta=f"{s.dead_units} of {n} units dead throughout",
              delta_color="off", delta_arrow="off",
              help="Share with f′(aₜ) exactly 0 (only ReLU can do this), and units dead at every step.")
    m3.metric("Mean f′(aₜ)", f"{s.mean_derivative:.3f}", delta=f"at most {gamma_label(s.gamma)}",
              delta_color="off", delta_arrow="off")
    m4.metric("σ_max(W) vs 1/γ", f"{chk.sigma_max:.3f} vs {chk.threshold:g}",
              delta="vanishing guaranteed" if chk.sufficient_for_vanishing else "explosion possible",
              delta_color="off", delta_arrow="down" if chk.sufficient_for_vanishing else "up",
              help="Pascanu et al. (2013): σ_max(W) < 1/γ is sufficient for vanishing gradients.")
    if result.state_nonfinite_step is not None:
        st.warning(
            f"The states overflowed float64 at step **{result.state_nonfinite_step}** (the network "
            "explodes forward, too)."
            + (f" From step {result.steps_used + 1} the pre-activations are NaN (inf − inf), so the "
               f"statistics cover the first {result.steps_used} steps." if result.steps_used < result.T else ""),
            icon=":material/warning:")

    left, right = st.columns(2)
    with left:
        export.figure(specs[0], name="Histogram of f-prime",
                      notice="the mass near 0 is gradient lost at that step. Sigmoid can never reach the "
                             "right end beyond ¼; ReLU has only two bars, 0 (dead) and 1.")
    with right:
        export.figure(specs[1], name="Units x time heat map",
                      notice="dark cells pass almost nothing back. Whole dark rows are units that stay "
                             "saturated or dead; a gradient can only flow through the bright paths.")

    st.subheader("The connection to the gradient")
    left, right = st.columns([1, 1])
    with left:
        st.latex(r"\left\|\frac{\partial h_t}{\partial h_{t-1}}\right\|_2"
                 r" = \big\|\operatorname{diag}(f'(a_t))\,W\big\|_2"
                 r" \le \max_i |f'(a_t)_i|\;\sigma_{\max}(W) \le \gamma\,\sigma_{\max}(W)")
        st.latex(r"\sigma_{\max}(W) < \frac{1}{\gamma}\ \Longrightarrow\ "
                 r"\left\|\frac{\partial h_T}{\partial h_k}\right\|_2 \le (\gamma\,\sigma_{\max})^{T-k} \to 0")
        st.markdown(
            chk.summary + f" With the derivatives of this trajectory the bound is tighter: over the "
            f"{s.log_step_bound.size} steps, ‖∂h_T/∂h_0‖₂ ≤ ∏ₜ max|f′|·σ_max = "
            f"**{format_magnitude(s.log10_total_step_bound)}** (per step e^{s.mean_log_step_bound:.3f} on average)."
        )
        st.markdown(
            "With sigmoid, γ = ¼: the product shrinks unless ‖W‖ > 4. The condition is on the "
            "largest **singular value**, not on the eigenvalues: σ_max(W) ≥ ρ(W), and a nilpotent W "
            "(ρ = 0) can still have σ_max = 16."
        )
    with right:
        export.figure(specs[2], name="Per-step bound",
                      notice="wherever the green line dips below the black 1, that step surely shrinks "
                             "every gradient; saturation pulls it far below the orange γ·σ_max bound.")
