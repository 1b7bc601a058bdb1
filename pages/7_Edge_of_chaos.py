"""The edge of chaos: mean-field theory predicts the gradient's fate from two numbers; real networks agree."""

import numpy as np
import streamlit as st

import rnnviz
from rnnviz.charts.meanfield import comparison_frame, phase_chart, with_marker
from rnnviz.charts.spec import vega_spec
from rnnviz.presets.meanfield import (
    AXES,
    AXIS_RANGES,
    BAND_DECADES,
    BAND_DISTANCE,
    VIEW,
    band,
    band_notice,
    input_notice,
    lab_scales,
    signed,
    simulation_notice,
)
from rnnviz.ui import cached, computed, export, guard, lecture, page_frame, preset_bar, widgets
from rnnviz.ui.urlstate import url_value

D = VIEW.defaults
LAB = "pages/5_Training_lab.py"
#: The diagram: σ_w × the second axis, on 81 × 61 cells (the core does 200 × 200 in well under a second;
#: this many keeps the spec that every viewer receives on every rerun small, and Altair's 5,000 rows).
GRID_W, GRID_B = 81, 61
HIDDEN = (16, 32, 64, 128, 256, 400, 512)
STEPS = (250, 500, 1000, 2000)

PAGE = page_frame(
    __file__,
    lead=(
        "The lectures say the norm of W decides vanishing and exploding. For a large random network there is "
        "a sharper statement: **mean-field theory** predicts, from the weight scale σ_w, the bias and the "
        "input strength alone, by how much one step multiplies a squared gradient on average, "
        "$\\chi = \\sigma_w^2\\,\\mathbb{E}[f'(a)^2]$: below 1 gradients vanish (order), above 1 they explode "
        "(chaos), and χ = 1 is the **edge of chaos** (Sompolinsky, Crisanti & Sommers 1988; Poole et al. 2016; "
        "Schoenholz et al. 2017). Below, the prediction sits next to real networks simulated step by step."
    ),
)

preset_bar(VIEW.presets, page=VIEW.name, path=PAGE.path)

# ---- controls -------------------------------------------------------------------------------
c1, c2, c3 = st.columns(3)
f = widgets.select("Nonlinearity f", rnnviz.NONLINEARITIES, key="f", container=c1,
                   index=rnnviz.NONLINEARITIES.index(D["f"]))
scale = widgets.slider("Weight scale σ_w", key="scale", min_value=0.0, max_value=12.0, value=D["scale"], step=0.01,
                       container=c2, help="W_ij ~ N(0, σ_w²/n): spectral radius ≈ σ_w. Sigmoid's edge (bias 0, "
                                          "no input) is at σ_w ≈ 10.1.")
axis = widgets.radio("Diagram's second axis", tuple(AXES), key="axis", index=tuple(AXES).index(D["axis"]),
                     format_func=lambda k: AXES[k][1], container=c3,
                     help="The other two settings stay at their sliders' values.")
d1, d2, d3 = st.columns(3)
in_scale = widgets.slider("Input strength s", key="in_scale", min_value=0.0, max_value=3.0, value=D["in_scale"],
                          step=0.05, container=d1, help="Every unit gets an input x_t,i ~ N(0, s²) at every step.")
bias = widgets.slider("Mean bias", key="bias", min_value=-2.0, max_value=2.0, value=D["bias"], step=0.05,
                      container=d2, help="The pre-activations' mean.")
sb = widgets.slider("Bias spread σ_b", key="sb", min_value=0.0, max_value=2.0, value=D["sb"], step=0.05,
                    container=d3, help="Per-unit biases b_i ~ N(mean bias, σ_b²), fixed over time.")
with lecture.advanced("The simulated network"):
    e1, e2, e3 = st.columns(3)
    n = widgets.select_slider("Hidden units n", HIDDEN, key="n", value=D["n"], container=e1)
    T = widgets.select_slider("Measured steps T", STEPS, key="T", value=D["T"], container=e2,
                              help="After 200 steps that let the variance settle.")
    seed = widgets.number("Seed", key="seed", min_value=0, max_value=9999, value=D["seed"], step=1, container=e3,
                          help="Draws W, the biases, the inputs and h₀; the same seed gives the same network.")

compute = computed.edge_run  # the computation the presets' captions are checked on (tests/test_claims.py)
decay_spec = computed.edge_decay_spec


@cached
def table(*settings):
    r = compute(*settings)
    return comparison_frame(r.theory, r.runs)


@cached
def diagram_spec(f: str, axis: str, w_max: float, bias: float, sb: float, in_scale: float) -> dict:
    values = {"bias": bias, "sigma_b": sb, "input_std": in_scale}
    keyword, title = AXES[axis]
    ys = np.linspace(*AXIS_RANGES[axis], GRID_B)
    values[keyword] = ys[None, :]
    grid = rnnviz.mean_field_grid(f, np.linspace(0.0, w_max, GRID_W)[:, None], **values)
    return vega_spec(phase_chart(grid, ys, axis_title=title, nonlinearity=f))


cached_theory = cached(rnnviz.mean_field)
cached_band = cached(band)
cached_input_notice = cached(input_notice)
cached_lab = cached(lab_scales)

settings = (f, float(scale), float(bias), float(sb), float(in_scale), int(n), int(T), int(seed))
theory = None
with guard("Mean-field theory"):
    theory = cached_theory(f, float(scale), bias=float(bias), sigma_b=float(sb), input_std=float(in_scale))

if theory is not None:
    m1, m2, m3, m4 = st.columns(4)
    m1.metric("χ (per step, squared)", f"{theory.chi:.4g}", delta=theory.phase, delta_color="off", delta_arrow="off",
              help="σ_w² E[f′(a)²]: the factor a squared gradient is multiplied by per step, on average.")
    m2.metric("½ ln χ (exponent)", signed(theory.lyapunov), help="The largest Lyapunov exponent the theory predicts.")
    m3.metric("Depth scale ξ", "∞" if theory.depth_scale == np.inf else f"{theory.depth_scale:.3g} steps",
              help="−1/ln χ: the squared gradient falls by e every ξ steps (ordered phase only).")
    m4.metric("Stationary variance q", "∞" if theory.q == np.inf else f"{theory.q:.4g}",
              help="Solves q = σ_w² E[f(a)²] + σ_b² + s² with a ~ N(bias, q); ∞: no finite fixed point.")

    # ---- the phase diagram --------------------------------------------------------------------
    w_max = 4.0 if (f != "sigmoid" and scale <= 4.0) else 12.0
    here_y = {"in_scale": in_scale, "bias": bias, "sb": sb}[axis]
    with guard("Phase diagram"):
        spec = with_marker(diagram_spec(f, axis, w_max, float(bias), float(sb), float(in_scale)),
                           w=float(scale), b=float(here_y), here=theory.lyapunov)
        export.figure(
            spec, name="Edge of chaos phase diagram",
            formulas=[r"q = \sigma_w^2\,\mathbb{E}[f(a)^2] + \sigma_b^2 + s^2,\ \ a \sim \mathcal{N}(\mathrm{bias}, q),"
                      r"\qquad \chi = \sigma_w^2\,\mathbb{E}[f'(a)^2],\qquad \lambda_1 = \tfrac12 \ln \chi"],
            notice=("blue is ordered (χ < 1: gradients vanish), orange chaotic (χ > 1: they explode), the black "
                    f"line is the edge χ = 1; the diamond is your setting (χ = {theory.chi:.3f}, {theory.phase}). "
                    "Colours are clipped at ±1 (tooltip: the true value). Inputs: "
                    + cached_input_notice(f, float(scale), float(bias), float(sb), float(in_scale))))

    # ---- a real network at that point ----------------------------------------------------------
    st.subheader("A real network at your point")
    result = None
    with guard("Simulation"):
        with st.spinner("Simulating the networks…"):
            result = compute(*settings)
            dspec = decay_spec(*settings)
    if result is not None:
        left, right = st.columns([3, 2])
        with left:
            export.figure(
                dspec, name="Gradient decay with distance",
                formulas=[r"\left\|\Big(\tfrac{\partial h_T}{\partial h_{T-k}}\Big)^{\!\top} u\right\| \approx \chi^{k/2}"],
                notice=simulation_notice(result))
        with right:
            st.markdown("**Theory against simulation**")
            st.table(table(*settings))
            st.caption(f"Measured over {result.gaussian.steps} steps after 200 steps of burn-in. Orthogonal W has "
                       "every singular value equal to σ_w; the mean-field exponent does not tell the two apart.")

    # ---- the trainable band -------------------------------------------------------------------
    st.subheader("The trainable band")
    with guard("Trainable band"):
        b = cached_band(f, float(bias), float(sb), float(in_scale))
        st.latex(rf"\left|\tfrac{{{BAND_DISTANCE}}}{{2}}\,\log_{{10}}\chi\right| \le {BAND_DECADES:g}")
        st.markdown(f"**Notice:** {band_notice(b)}")
        scales = cached_lab(f)
        st.markdown(f"Train the training lab's RNN ({f}) at a σ_w from each phase (the phases of {f} without bias "
                    "or input; the lab's word inputs shift its edge):")
        row = st.container(horizontal=True, gap="small")
        for phase, value in scales.items():
            if value is None:
                row.caption(f"{phase}: beyond the lab's σ_w slider (0.1 to 3)")
                continue
            row.page_link(LAB, label=f"{phase}: σ_w = {value:g}", icon=":material/model_training:",
                          query_params={"f": f, "scale": url_value(float(value))})
