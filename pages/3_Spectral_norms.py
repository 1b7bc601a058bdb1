"""Jacobian products, spectral norms and eigenvalues: singular values, not eigenvalues, decide."""

import dataclasses
import math

import streamlit as st

import rnnviz
from rnnviz import spectral as sp
from rnnviz.charts import spectral as ch
from rnnviz.charts.common import format_magnitude, format_radius
from rnnviz.charts.spec import vega_spec
from rnnviz.presets.spectral import (NILPOTENT_CONCLUSION, NILPOTENT_SETUP, VIEW, bound_chain_notice, gru_notice,
                                     lyapunov_notice, notes, offers_full_horizon, product_notice)
from rnnviz.ui import cached, export, guard, lecture, page_frame, preset_bar, preset_button, requests, widgets
from rnnviz.ui.computed import spectral_analysis as analyse
from rnnviz.ui.computed import spectral_specs as specs

PAGE = page_frame(
    __file__,
    lead=(
        "With many hidden units the gradient from step T back to step k is multiplied by a "
        "**product of matrices**, one step Jacobian $J_t = \\operatorname{diag}(f'(a_t))\\,W$ per step. "
        "How much a matrix can stretch a vector is its largest **singular value** (its spectral "
        "norm), not its largest eigenvalue — and over thousands of steps the product's singular "
        "values grow or shrink exponentially, each at its own rate."
    ),
)

KINDS = ("gaussian", "orthogonal", "identity", "nilpotent", "upload")
KIND_HELP = ("gaussian: entries N(0, σ²/n) · orthogonal: σ × a random orthogonal matrix · "
             "identity: σ·I · nilpotent: [[8, 8], [−8, −8]] at its tanh fixed point · "
             "upload: your own matrix (.npy or .csv)")

D = VIEW.defaults
NILPOTENT_TRAP = VIEW.preset("Nilpotent trap")
preset_bar(VIEW.presets, page=VIEW.name, path=PAGE.path)

c1, c2, c3, c4, c5 = st.columns(5)
kind = widgets.select("Recurrent matrix W", KINDS, key="W", index=KINDS.index(D["W"]), container=c1,
                      help=KIND_HELP)
n = widgets.slider("Hidden units n", key="n", min_value=2, max_value=256, value=D["n"], step=1, container=c2,
                   help="Ignored for the nilpotent example (n = 2) and for an uploaded matrix.")
scale = widgets.slider("Scale σ", key="scale", min_value=0.05, max_value=4.0, value=D["scale"], step=0.05,
                       container=c3,
                       help="Gaussian: entries N(0, σ²/n), so ρ(W) ≈ σ and σ_max(W) ≈ 2σ for large n. "
                            "Orthogonal and identity: every singular value is σ.")
nl_name = widgets.select("Nonlinearity f", rnnviz.NONLINEARITIES, key="f", index=rnnviz.NONLINEARITIES.index(D["f"]),
                         container=c4)
T = widgets.number("Steps T", key="T", min_value=1, max_value=10_000, value=D["T"], step=100, container=c5,
                   help="Up to 10,000. The product's singular values are computed in log space, so they "
                        "stay finite however far they fall or climb.")
with lecture.advanced("Inputs, bias, seed, independent matrices"):
    d1, d2, d3, d4 = st.columns(4)
    input_scale = widgets.slider("Input scale", key="in_scale", min_value=0.0, max_value=3.0, value=D["in_scale"],
                                 step=0.1, container=d1,
                                 help="Each unit receives x_t ~ N(0, s²) (U = I); 0: no input.")
    bias = widgets.slider("Bias b (every unit)", key="bias", min_value=-3.0, max_value=3.0, value=D["bias"],
                          step=0.1, container=d2)
    seed = widgets.number("Seed", key="seed", min_value=0, max_value=9999, value=D["seed"], step=1, container=d3,
                          help="Draws W and the inputs; the same seed gives the same network.")
    iid = widgets.toggle("Fresh W each step", key="iid", value=D["iid"], container=d4,
                         help="Replace the RNN's repeated W by an independent random W_t at every step "
                              "(a product of independent matrices, Newman's setting). Not for the "
                              "nilpotent example or an uploaded matrix.")

# ---------------------------------------------------------------------------------------------- W
W_given, digest = None, ""
source = kind
if kind == "upload":
    W_given, digest = widgets.matrix_upload("Your recurrent matrix W", meanwhile="the Gaussian matrix")
    source = "gaussian" if W_given is None else "given"

if iid and source in ("nilpotent", "given"):
    st.info("A fresh matrix every step needs a random kind; it is ignored for this matrix.",
            icon=":material/info:")
use_iid = bool(iid) and source in sp.MATRIX_KINDS
setting = sp.Setting(source=source, n=int(n), scale=float(scale), seed=int(seed), nonlinearity=nl_name,
                     input_scale=float(input_scale), bias=float(bias), T=int(T), iid=use_iid)


key = dataclasses.astuple(setting)   # scalars only: the cache key (an upload adds the hash of its bytes)
# The work-plan seconds: 1 (the default), or more for these settings once the viewer asked for every step.
budget = requests.granted("full_horizon", (key, digest), default=1.0)


@cached(max_entries=64)
def at_step(key: tuple, t: int, digest: str, _W, budget: float):
    return sp.spectra_at(sp.Setting(*key), t, _W, analysis=analyse(key, digest, _W, budget))


@cached(max_entries=64)
def eig_spec(key: tuple, t: int, digest: str, _W, budget: float) -> dict:
    w_spec, j_spec = at_step(key, t, digest, _W, budget)
    return vega_spec(ch.eigenvalue_chart(w_spec.eigenvalues, j_spec.eigenvalues, t=t,
                                         w_label="W_t" if sp.Setting(*key).iid else "W"))


result = None
with guard("Spectra"):
    with st.spinner("Computing the spectra of every step and of the product…"):
        result = analyse(key, digest, W_given, budget)
        chart_specs = specs(key, digest, W_given, budget)

if result is None:
    st.stop()

r = result
v = r.verdict

# ------------------------------------------------------------------------------------- notes
offer_full = offers_full_horizon(r)
for note in notes(r, T, offer_full):
    st.caption(":material/info: " + note)

if offer_full:
    requests.button("full_horizon", (key, digest), grant=r.full_horizon_budget, key="full",
                    label=f"Compute all {r.usable_steps:,} steps (about {math.ceil(r.full_horizon_wait)} s)",
                    icon=":material/all_inclusive:",
                    help="The product spectrum, the Lyapunov exponents and the bound chain over every step; "
                         "kept for these settings until you change one.")

# ------------------------------------------------------------------------------------- verdict
st.subheader("Pascanu et al. (2013): what σ_max(W) guarantees")
m1, m2, m3, m4, m5 = st.columns(5)
m1.metric("σ_max(W) = ‖W‖₂" if not r.iid else "max_t σ_max(W_t)", f"{v.sigma_max:.4g}")
m2.metric("ρ(W), spectral radius" + (" of W₁" if r.iid else ""), format_radius(v.radius, v.sigma_max))
m3.metric("γ = sup |f′|", f"{v.gamma:g}", help="tanh, ReLU, linear: 1; sigmoid: ¼.")
m4.metric("γ · σ_max(W)", f"{v.step_bound:.4g}", delta="< 1: must vanish" if v.regime == "vanishing" else
          ("> 1: may explode" if v.regime == "may_explode" else "= 1: boundary"),
          delta_color="off", delta_arrow="down" if v.regime == "vanishing" else "up")
m5.metric(f"‖∂h_T/∂h_k‖₂ at T − k = {r.window:,}",
          "—" if r.chain is None else format_magnitude(r.chain.log10_gradient))
st.latex(r"\sigma_{\max}(W) < \tfrac{1}{\gamma}\ \text{(sufficient for vanishing)},\qquad "
         r"\sigma_{\max}(W) > \tfrac{1}{\gamma}\ \text{(necessary for exploding)}")
box = {"vanishing": st.success, "may_explode": st.warning}.get(v.regime, st.info)
box(v.message, icon=":material/gavel:")

# ------------------------------------------------------------------------------------- eigenvalues
st.subheader("Eigenvalues of W and of the step Jacobian J_t")
left, right = st.columns([3, 2])
with right:
    t = widgets.slider("Step t", key="t", min_value=1, max_value=max(2, r.T), value=max(2, r.T), step=1,
                       help="Which step's Jacobian J_t to show (t = T is the last step).")
    t = min(int(t), r.T)
    w_spec = j_spec = None
    with guard(f"Step {t}"):
        w_spec, j_spec = at_step(key, t, digest, W_given, budget)
    if j_spec is not None:
        e1, e2 = st.columns(2)
        e1.metric("ρ(W)" if not r.iid else "ρ(W_t)", format_radius(w_spec.radius, w_spec.norm))
        e2.metric("‖W‖₂" if not r.iid else "‖W_t‖₂", f"{w_spec.norm:.4g}")
        e3, e4 = st.columns(2)
        e3.metric("ρ(J_t)", format_radius(j_spec.radius, j_spec.norm))
        e4.metric("‖J_t‖₂", f"{j_spec.norm:.4g}")
    st.latex(r"J_t = \frac{\partial h_t}{\partial h_{t-1}} = \operatorname{diag}\big(f'(a_t)\big)\,W")
    st.latex(r"\rho(J_t) \le \|J_t\|_2 \le \gamma\,\|W\|_2")
with left:
    if j_spec is not None:
        export.show(eig_spec(key, t, digest, W_given, budget), name="Eigenvalues of W and J_t", width="content")
st.caption(
    "**Notice:** eigenvalues inside the dashed unit circle do **not** mean that gradients shrink. The "
    "spectral norm ‖·‖₂ can be far larger than the spectral radius ρ (for the nilpotent W: ρ = 0, ‖W‖₂ = 16); "
    "the largest stretch of a single step is the norm.")

# ------------------------------------------------------------------------------------- per-step SVs
st.subheader("Singular values of every step Jacobian J_t")
left, right = st.columns([3, 2])
with left:
    export.show(chart_specs["steps"], name="Singular values of each J_t")
with right:
    st.latex(r"\sigma_{\min}(J_t) \le \frac{\|J_t\,v\|}{\|v\|} \le \sigma_{\max}(J_t)")
    st.latex(r"\sigma_{\max}(J_t) = \|J_t\|_2 \le \gamma\,\sigma_{\max}(W)")
    st.caption(
        "**Notice:** the shaded band spans all singular values of J_t, the solid line is the largest; the "
        "largest never crosses the vermillion line γ·σ_max(W). Steps below the grey line 1 shrink *every* "
        "gradient; above it, some direction is stretched."
        + (" The dashed orange line is ρ(J_t), always at or below the norm." if r.n <= sp.RADIUS_OVER_TIME_MAX_N
           else ""))

# ------------------------------------------------------------------------------------- product
def product_sections(r: sp.SpectralAnalysis, chart_specs: dict) -> None:
    """The product spectrum, the Lyapunov exponents and the bound chain of ``r`` (all need the product),
    drawn from their ``chart_specs``."""
    st.subheader("The gradient path ∂h_T/∂h_k: every singular value, every distance")
    left, right = st.columns([3, 2])
    with left:
        export.figure(
            chart_specs["product"], name="Singular values of the product",
            formulas=[r"\frac{\partial h_T}{\partial h_k} = J_T\,J_{T-1}\cdots J_{k+1},\qquad "
                      r"\mu_i = \lim_{T-k\to\infty}\frac{\log \sigma_i(\partial h_T/\partial h_k)}{T-k}"],
            notice=product_notice(r, len(ch.line_indices(r.n))))
    with right:
        export.show(chart_specs["lyapunov"], name="Lyapunov exponents")
        if r.theory is not None:
            st.latex(r"\mu_k = \log\sigma + \tfrac12\big(\log\tfrac{2}{n} + \psi(\tfrac{n-k+1}{2})\big)"
                     if r.theory_label.startswith("Newman") else
                     r"\sigma_i(M^{L})^{1/L} \to |\lambda_i(M)|")
        st.caption(lyapunov_notice(r))

    # ------------------------------------------------------------------------------------- bound chain
    st.subheader("The bound chain")
    left, right = st.columns([3, 2])
    with left:
        export.show(chart_specs["chain"], name="Bound chain")
        st.latex(r"\Big\|\frac{\partial h_T}{\partial h_k}\Big\|_2 \;\le\; \prod_{t=k+1}^{T}\|J_t\|_2"
                 r"\;\le\; \big(\gamma\,\sigma_{\max}(W)\big)^{T-k}")
    with right:
        L = r.window
        st.markdown(
            f"At distance T − k = **{L:,}**:\n\n"
            "| | value |\n|---|---|\n"
            f"| actual ‖∂h_T/∂h_k‖₂ | **{format_magnitude(r.chain.log10_gradient)}** |\n"
            f"| ∏ ‖J_t‖₂ | **{format_magnitude(r.chain.log10_norm_product)}** |\n"
            f"| (γ·σ_max(W))^(T−k) | **{format_magnitude(r.chain.log10_uniform_bound)}** |")
        st.caption(
            "**Notice:** the lines never cross — "
            + ("each inequality holds at every distance." if r.chain.holds else
               "⚠ a crossing here would be a bug; please report it.")
            + " " + bound_chain_notice(r))


if r.chain is None:
    st.subheader("The gradient path ∂h_T/∂h_k")
    st.error(f"**Product spectrum:** {r.product_error}", icon=":material/error:")
else:
    product_sections(r, chart_specs)


# ------------------------------------------------------------------------------------- gated cure
@cached(max_entries=16)
def gru_spec(key: tuple, digest: str, _W, bz: float, budget: float):
    """The GRU's product over the plain RNN's window, and the chart of both (scalar settings only)."""
    r = analyse(key, digest, _W, budget)
    g = sp.gru_product(sp.Setting(*key), update_bias=bz, window=r.window, seconds=budget)
    if g.log_sv is None:
        return g, None
    return g, vega_spec(ch.gated_comparison_chart({"plain RNN": (r.product_distance, r.product_log_sv),
                                                   "GRU": (g.distance, g.log_sv)}))


st.subheader("The gated cure: a GRU on the same W and the same inputs")
g_left, g_right = st.columns([3, 2])
with g_right:
    show_gru = widgets.toggle("Compare with a GRU", key="gru", value=D["gru"],
                              help="A GRU whose candidate uses this page's W (W_hn = W) and inputs "
                                   "(W_in = I, same bias), with its own random gate weights.")
    st.latex(r"h_t = (1 - z_t)\odot n_t + z_t \odot h_{t-1}")
    st.latex(r"\frac{\partial h_t}{\partial h_{t-1}} = \operatorname{diag}(z_t) + "
             r"\operatorname{diag}\!\big((1-z_t)(1-n_t^2)\,r_t\big)\,W_{hn} + \dots")
gru_applies = not r.iid and setting.source in sp.MATRIX_KINDS and r.chain is not None
if show_gru and not gru_applies:
    g_left.info("The GRU comparison needs one random W for every step (Gaussian, orthogonal or identity; "
                "not a fresh matrix per step, the nilpotent example or an uploaded matrix) and a computed "
                "product.", icon=":material/info:")
elif not show_gru:
    g_left.caption("The lectures' cure for the vanishing gradient: switch on the GRU to see its gradient paths "
                   "next to the plain RNN's, on the same W and inputs (or click the preset “GRU keeps the "
                   "gradient”).")
if gru_applies:
    if show_gru:
        with g_right:
            bz = widgets.slider("Update-gate bias b_z", key="bz", min_value=-3.0, max_value=6.0, value=D["bz"],
                                step=0.5, help="z_t = σ(b_z + W_iz x_t + W_hz h_{t-1}): b_z = 3 gives z ≈ 0.95, "
                                               "b_z = −3 gives z ≈ 0.05 (almost the plain RNN).")
        gru, gru_chart = None, None
        with guard("GRU comparison"):
            with st.spinner("Running the GRU and the spectrum of its gradient paths…"):
                gru, gru_chart = gru_spec(key, digest, W_given, float(bz), budget)
        if gru is not None and gru_chart is None:
            g_left.error(f"**GRU product:** {gru.error}", icon=":material/error:")
        elif gru is not None:
            with g_left:
                export.show(gru_chart, name="Plain RNN and GRU gradient paths")
            plain_top = r.log10_top_singular_value(gru.window)   # the GRU's window can be shorter
            gru_top = gru.log10_top_singular_value
            with g_right:
                k1, k2 = st.columns(2)
                k1.metric(f"plain RNN: σ₁ at T − k = {gru.window:,}", format_magnitude(plain_top))
                k2.metric(f"GRU: σ₁ at T − k = {gru.window:,}", format_magnitude(gru_top))
                st.metric("mean update gate z over the window", f"{gru.mean_update_gate:.3f}")
            st.caption(gru_notice(gru, format_magnitude(plain_top), format_magnitude(gru_top), r.nonlinearity))

# ------------------------------------------------------------------------------------- nilpotent
st.subheader("Eigenvalues are not enough: the nilpotent counterexample")
ex = sp.nilpotent_example()
left, right = st.columns([3, 2])
with left:
    st.markdown(NILPOTENT_SETUP)
    st.latex(r"J = \operatorname{diag}\big(1 - h^{*2}\big)\,W = \begin{bmatrix} 8 & 8 \\ -6 & -6 \end{bmatrix},"
             r"\qquad J^2 = 2J")
    st.latex(r"\|J^l\|_2 = 2^{\,l-1}\,\|J\|_2 = 2^{\,l-1}\sqrt{200}")
    st.markdown(NILPOTENT_CONCLUSION)
with right:
    preset_button(NILPOTENT_TRAP, page=VIEW.name, label="Show me: load the nilpotent example", key="nilpotent",
                  icon=":material/bolt:")
    st.caption(f"b = ({ex.b[0]:.4f}, {ex.b[1]:.4f}); the bound chain then shows the measured ‖Jˡ‖ on "
               "the closed form 2^(l−1)·√200 (black dots).")
