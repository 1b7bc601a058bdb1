"""Gradient clipping: the geometry, the frameworks' conventions, non-finite gradients, and the cliff."""

import math

import numpy as np
import streamlit as st

import rnnviz
from rnnviz.charts import clipping as charts
from rnnviz.ui import Preset, cached, export, guard, lecture, page_frame, preset_bar, widgets


PAGE = page_frame(
    __file__,
    lead=(
        "*\"If your derivatives explode or you see NaNs, just apply gradient clipping: look at your "
        "gradient vector, and if it is bigger than some threshold, re-scale it so that it is not too "
        "big.\"* That sentence hides two different operations — rescaling the whole vector (**clipping "
        "by norm**) or cutting each entry (**clipping by value**) — and every framework reads it a little "
        "differently. Below: what each one computes, what it does to the gradient's direction and to an "
        "`inf` or `NaN`, and why clipping by norm rescues gradient descent at the cliff of Pascanu, "
        "Mikolov and Bengio (2013)."
    ),
)

NORM_CHOICES = (0.0, 0.001, 0.01, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0, 1000.0, 1e6)
POISON_LABELS = {"+inf": "inf", "−inf": "-inf", "NaN": "nan"}  # shown label → core name
TENSOR_LABELS = tuple(f"d{name}" for name in rnnviz.TENSOR_NAMES)
WINDOW_W = (3.5, 6.5)
WINDOW_B = (-3.3, -1.2)
RUN_FREE = "without clipping"
RUN_HELD = "clipped by norm"


def fmt_angle(a: float) -> str:
    return "undefined (zero or non-finite vector)" if not math.isfinite(a) else f"{a:.2f}°"


# ----------------------------------------------------------------------------- cached core calls

@cached
def geometry(gx: float, gy: float, c: float, v: float):
    g = np.array([gx, gy])
    (by_norm,), norm = rnnviz.clip_by_norm([g], c)
    (by_value,) = rnnviz.clip_by_value([g], v)
    return (g, by_norm, by_value, norm, rnnviz.total_norm([by_value]), rnnviz.gradient_angle(g, by_norm),
            rnnviz.gradient_angle(g, by_value))


@cached
def tensor_outcomes(nW: float, nU: float, nb: float, c: float, seed: int, poison: str, where: int):
    grads = rnnviz.example_gradients((nW, nU, nb), seed=seed, poison=poison, poison_tensor=where)
    return grads, [rnnviz.apply_convention(k, grads, c) for k in rnnviz.CONVENTION_KEYS]


@cached
def torch_strict_message(nW: float, nU: float, nb: float, seed: int, poison: str, where: int, c: float) -> str:
    grads = rnnviz.example_gradients((nW, nU, nb), seed=seed, poison=poison, poison_tensor=where)
    try:
        rnnviz.clip_by_norm(grads, c, error_if_nonfinite=True)
    except ValueError as exc:
        return str(exc)
    return ""


@cached
def surface():
    return rnnviz.cliff_surface(w_range=WINDOW_W, b_range=WINDOW_B, n_w=61, n_b=61)


@cached
def paths(w0: float, b0: float, lr: float, c: float, iterations: int):
    free = rnnviz.cliff_descent(w0, b0, lr=lr, iterations=iterations)
    held = rnnviz.cliff_descent(w0, b0, lr=lr, iterations=iterations, max_norm=c)
    return free, held


@cached
def cross_section(w: float):
    return rnnviz.cliff_section(w, b_range=WINDOW_B)


def wall_line():
    w_lo = max(WINDOW_W[0], rnnviz.cliff_wall_min_w())
    return (w_lo, rnnviz.cliff_wall_b(w_lo), WINDOW_W[1], rnnviz.cliff_wall_b(WINDOW_W[1]))


# Chart specs are cached on the same settings (rnnviz.charts.clipping keeps each chart's structure as a
# template, so a new setting costs a few milliseconds of data, not a 100 ms Altair build).

@cached
def geometry_spec(gx: float, gy: float, c: float, v: float) -> dict:
    g, by_norm, by_value, _, _, a_norm, a_value = geometry(gx, gy, c, v)
    return charts.geometry_spec(g, by_norm, by_value, max_norm=c, clip_value=v,
                                angle_norm=a_norm, angle_value=a_value)


@cached
def tensor_spec(nW: float, nU: float, nb: float, c: float, seed: int, poison: str, where: int) -> dict:
    grads, outcomes = tensor_outcomes(nW, nU, nb, c, seed, poison, where)
    if poison == "none":
        return charts.composition_spec(grads, outcomes)
    return charts.nonfinite_spec(grads, outcomes)


@cached
def scales_table(nW: float, nU: float, nb: float, c: float, seed: int):
    return charts.scales_display_frame(tensor_outcomes(nW, nU, nb, c, seed, "none", 0)[1]).set_index("convention")


@cached
def cliff_specs(w0: float, b0: float, lr: float, c: float, iterations: int) -> tuple[dict, dict]:
    free, held = paths(w0, b0, lr, c, iterations)
    runs = {RUN_FREE: free, RUN_HELD: held}
    return (charts.cliff_surface_spec(surface(), runs, wall=wall_line(), width=560, height=400),
            charts.descent_spec(runs, width=420))


@cached
def cross_section_spec(w: float) -> dict:
    sec = cross_section(w)
    return charts.cliff_slice_spec(sec.b, sec.loss, sec.dE_db, wall_b=sec.wall_b, width=420)


# ----------------------------------------------------------------------------- 1. geometry

st.header("1 · One gradient, clipped two ways")
preset_bar(
    [
        Preset("Value clipping turns the step", "g = (9, 1): clipping by norm shortens it along the same "
               "line (0°); clipping by value cuts it to (1.5, 1), a turn of 27° towards the diagonal.",
               {"gx": 9.0, "gy": 1.0, "c": 3.0, "v": 1.5}),
        Preset("On the diagonal, no turn", "g = (6, 6) lies on a diagonal: both clippings keep its "
               "direction, and only the lengths differ.", {"gx": 6.0, "gy": 6.0, "c": 3.0, "v": 1.5}),
    ],
    page="clip-geometry",
    path=PAGE.path,
)
with guard("One gradient, clipped two ways"):
    controls, picture, words = st.columns([1, 1.55, 1.25], gap="medium")
    with controls:
        gx = widgets.slider("gradient component 1", key="gx", min_value=-10.0, max_value=10.0, value=6.0,
                            step=0.1, help="∂L/∂θ₁ of a two-parameter model.")
        gy = widgets.slider("gradient component 2", key="gy", min_value=-10.0, max_value=10.0, value=2.0,
                            step=0.1, help="∂L/∂θ₂.")
        c = widgets.slider("norm threshold c", key="c", min_value=0.1, max_value=10.0, value=3.0, step=0.1,
                           help="Clipping by norm rescales g onto the circle of radius c when it is longer.")
        v = widgets.slider("value threshold v", key="v", min_value=0.1, max_value=10.0, value=1.5, step=0.1,
                           help="Clipping by value cuts each component to [−v, v]: the box.")
    g, by_norm, by_value, norm, value_norm, a_norm, a_value = geometry(gx, gy, c, v)
    with picture:
        export.show(geometry_spec(gx, gy, c, v), name="Clipping geometry", width="content")
    with words:
        st.latex(r"\text{norm: } g \leftarrow \min\!\big(1, \tfrac{c}{\lVert g\rVert_2 + 10^{-6}}\big)\, g")
        st.latex(r"\text{value: } g_i \leftarrow \min(\max(g_i, -v), v)")
        m1, m2 = st.columns(2)
        m1.metric("‖g‖₂", f"{norm:.3g}")
        m2.metric("‖clipped by value‖₂", f"{value_norm:.3g}")
        m1.metric("angle, by norm", fmt_angle(a_norm), help="Angle between g and its norm-clipped version.")
        m2.metric("angle, by value", fmt_angle(a_value), help="Angle between g and its value-clipped version.")
        st.caption(
            "**Notice:** the blue diamond always lies on the line through g — clipping by norm only "
            "shortens the step. The vermillion square is cut back into the box: clipping by "
            "value turns the step towards a diagonal. Drag g onto an axis or a diagonal and the turn "
            "vanishes; in between it can approach 45° (in n dimensions, far more)."
        )

# ----------------------------------------------------------------------------- 2. several tensors

st.header("2 · Several tensors: one global norm or one norm each")
with guard("Several tensors"):
    controls, chart_col = st.columns([1, 2.6], gap="medium")
    with controls:
        nW = widgets.select_slider("‖∂L/∂W‖₂ (recurrent)", NORM_CHOICES, key="nW", value=30.0,
                                   format_func=lambda x: f"{x:g}",
                                   help="Exploding gradients usually live in the recurrent matrix W.")
        nU = widgets.select_slider("‖∂L/∂U‖₂ (input)", NORM_CHOICES, key="nU", value=3.0,
                                   format_func=lambda x: f"{x:g}")
        nb = widgets.select_slider("‖∂L/∂b‖₂ (bias)", NORM_CHOICES, key="nb", value=0.3,
                                   format_func=lambda x: f"{x:g}")
        tc = widgets.slider("threshold (max_norm / clipnorm / clip value)", key="tc", min_value=0.1,
                            max_value=10.0, value=1.0, step=0.1,
                            help="The same number is handed to every convention: the norm threshold for "
                                 "the norm conventions, v for the value ones.")
        with lecture.advanced():
            seed = widgets.number("seed of the gradient directions", key="seed", min_value=0, max_value=9999,
                                  value=0, step=1)
    grads, outcomes = tensor_outcomes(float(nW), float(nU), float(nb), float(tc), int(seed), "none", 0)
    with chart_col:
        export.figure(
            tensor_spec(float(nW), float(nU), float(nb), float(tc), int(seed), "none", 0),
            name="Clipping several tensors",
            notice="every convention that uses one **global** norm (PyTorch, TensorFlow, Keras "
            "`global_clipnorm`) keeps the split between dW, dU and db — angle 0°, only the length changes. "
            "Keras **`clipnorm`** clips each tensor by its own norm, so the small tensors keep their size "
            "while W is cut down: the split changes and the gradient turns. Value clipping turns it too.")
    st.latex(
        r"\text{global: } g_i \leftarrow \frac{c}{\max(\lVert (g_W, g_U, g_b)\rVert_2,\ c)}\, g_i"
        r"\qquad\qquad"
        r"\text{per tensor (Keras clipnorm): } g_i \leftarrow \frac{c}{\max(\lVert g_i\rVert_2,\ c)}\, g_i"
    )
    st.table(scales_table(float(nW), float(nU), float(nb), float(tc), int(seed)))
    st.caption("Factor = the number each tensor was multiplied by (value clipping has none: it cuts entries). "
               "PyTorch's factor is c/(‖g‖ + 10⁻⁶), a hair below TensorFlow's c/‖g‖.")

# ----------------------------------------------------------------------------- 3. the table

st.header("3 · What each framework computes")
st.markdown(charts.convention_table_markdown())
st.caption(
    "Every row is implemented in `rnnviz.clipping` and tested against these definitions. The trap: Keras "
    "`clipnorm` sounds like PyTorch's `clip_grad_norm_` but clips **per variable**; `global_clipnorm` is "
    "the one that matches. Pascanu et al.'s Algorithm 1 is clipping by (global) norm."
)

# ----------------------------------------------------------------------------- 4. non-finite

st.header("4 · One inf or NaN in the gradient")
preset_bar(
    [
        Preset("One inf in dW", "A single +inf in the recurrent gradient: PyTorch wipes every finite entry "
               "to 0 and the inf to NaN, TensorFlow makes everything NaN, Keras clipnorm spoils only dW.",
               {"bad": "+inf", "in": "dW"}),
        Preset("A NaN slips through", "A NaN in db: value clipping lets it through untouched, and every "
               "global-norm convention turns the whole step into NaN.", {"bad": "NaN", "in": "db"}),
    ],
    page="clip-nonfinite",
    path=PAGE.path,
)
with guard("Non-finite gradients"):
    controls, chart_col = st.columns([1, 2.6], gap="medium")
    with controls:
        bad_label = widgets.radio("bad entry", tuple(POISON_LABELS), key="bad", index=0,
                                  help="Overflow in back-propagation gives inf; inf − inf or 0 · inf then gives NaN.")
        in_label = widgets.radio("in tensor", TENSOR_LABELS, key="in", index=1)
    bad, where = POISON_LABELS[bad_label], TENSOR_LABELS.index(in_label)
    bgrads, boutcomes = tensor_outcomes(float(nW), float(nU), float(nb), float(tc), int(seed), bad, int(where))
    with chart_col:
        export.figure(
            tensor_spec(float(nW), float(nU), float(nb), float(tc), int(seed), bad, int(where)),
            name="Non-finite entries per convention", width="content",
            notice="one bad entry and PyTorch's global norm is infinite, so its factor is 0: "
            "every finite entry is wiped to 0 and the inf itself becomes NaN (a NaN entry makes "
            "everything NaN). TensorFlow and Keras `global_clipnorm` turn **everything** into NaN. "
            "Keras `clipnorm` spoils only the tensor that holds it. Value clipping turns ±inf into ±v and "
            "lets a NaN through. None of them repairs the step: skip it, or find where the overflow starts.")
    st.latex(r"\text{PyTorch: } \frac{c}{\infty + 10^{-6}} = 0,\quad 0 \cdot g_i = 0,\quad 0 \cdot \infty = \text{NaN}"
             r"\qquad\qquad"
             r"\text{TensorFlow: } \lVert g\rVert = \infty \;\Rightarrow\; \text{scale} + (\infty - \infty) = \text{NaN}")
    msg = torch_strict_message(float(nW), float(nU), float(nb), int(seed), bad, int(where), float(tc))
    if msg:
        st.info(f"With `error_if_nonfinite=True` PyTorch stops instead (RuntimeError there, ValueError in "
                f"rnnviz): *{msg}*", icon=":material/block:")

# ----------------------------------------------------------------------------- 5. the cliff

st.header("5 · The cliff: why clipping by norm helps")
st.markdown(
    "One sigmoid unit run for 50 steps (Pascanu, Mikolov and Bengio 2013, figure 6). For $w = 5$ the "
    "start $x_0 = 0.5$ is an *unstable* fixed point exactly when $b = b^* = 0.5 - 5\\sigma(0.5) \\approx "
    "-2.6123$: a hair above it the state climbs to the upper attractor, a hair below it falls to the "
    "lower one. After 50 steps that makes a **wall** in the loss, where the gradient is huge."
)
st.latex(r"h_t = \sigma(w\,h_{t-1} + b),\quad h_0 = \sigma(0.5),\quad E = (h_{50} - 0.7)^2"
         r"\qquad\text{wall: } b^*(w) = 0.5 - w\,\sigma(0.5)")
preset_bar(
    [
        Preset("Thrown off the cliff", "The default: from (5, −2.9) with η = 0.5 the unclipped run meets the "
               "wall at iteration 38 and one step of length 5 throws it onto a plateau; the clipped run "
               "ends in the valley.", {"w0": 5.0, "b0": -2.9, "lr": 0.5, "mc": 1.0, "its": 100}),
        Preset("A tiny η is not enough", "η = 0.05: a typical step is 0.003 long, yet at the wall one "
               "step is 0.8 — over two hundred times longer. The unclipped run still ends far worse.",
               {"w0": 5.0, "b0": -2.9, "lr": 0.05, "mc": 1.0, "its": 300}),
        Preset("Blows up without clipping", "From (5.2, −3.1) with η = 1 the unclipped run meets a gradient "
               "of norm ≈ 6,200 at the wall and is flung out of the |w|, |b| ≤ 50 window at iteration 4; "
               "with clipping (c = 1) the same start ends in the valley.",
               {"w0": 5.2, "b0": -3.1, "lr": 1.0, "mc": 1.0, "its": 100}),
        Preset("Thrown 27 units", "From (4.5, −2.4) with η = 1 the step at iteration 3 is 27 units long: "
               "the run lands at (18.4, 20.6), on a plateau where it never moves again.",
               {"w0": 4.5, "b0": -2.4, "lr": 1.0, "mc": 1.0, "its": 100}),
    ],
    page="clip",
    path=PAGE.path,
)
with guard("The cliff"):
    controls, surf_col = st.columns([1, 2.7], gap="medium")
    with controls:
        w0 = widgets.slider("start w", key="w0", min_value=3.6, max_value=6.4, value=5.0, step=0.05,
                            help="Recurrent weight where both descents start.")
        b0 = widgets.slider("start b", key="b0", min_value=-3.2, max_value=-1.3, value=-2.9, step=0.05,
                            help="Bias where both descents start.")
        lr = widgets.slider("learning rate η", key="lr", min_value=0.05, max_value=2.0, value=0.5, step=0.05)
        mc = widgets.slider("clipping threshold c", key="mc", min_value=0.1, max_value=5.0, value=1.0, step=0.1,
                            help="Clipping by norm, as PyTorch's clip_grad_norm_: no step is longer than η·c.")
        iters = widgets.slider("iterations", key="its", min_value=10, max_value=300, value=100, step=10)
        st.latex(r"\theta \leftarrow \theta - \eta\,\min\!\big(1, \tfrac{c}{\lVert\nabla E\rVert}\big)\,\nabla E")
    free, held = paths(float(w0), float(b0), float(lr), float(mc), int(iters))
    runs = {RUN_FREE: free, RUN_HELD: held}
    surface_spec, descent_spec = cliff_specs(float(w0), float(b0), float(lr), float(mc), int(iters))
    with surf_col:
        export.figure(
            surface_spec, name="Cliff loss surface", width="content",
            notice="both runs start at the same point and walk towards the wall (dashed white line: "
            "b*(w), drawn where x₀ is the watershed, w > 4.26). "
            "Where the unclipped run touches it, one gradient of norm in the tens or more throws it far "
            "away (ringed; hover for the numbers), usually onto a flat plateau where the gradient is ~0 "
            "and learning stops. The clipped run takes the same direction but a step of at most η·c, and "
            "stays in the valley next to the wall.")
    k = free.biggest_step
    a, b_, c_, d = st.columns(4)
    if k is not None:
        a.metric("largest unclipped gradient ‖∇E‖", f"{free.grad_norm[k]:.3g}", help=f"at iteration {k}")
        b_.metric("its step length η‖∇E‖", f"{free.step_length[k]:.3g}",
                  help="How far that one step moved (w, b). With clipping no step exceeds η·c.")
    c_.metric("final loss, unclipped", f"{free.loss[-1]:.3g}" if math.isfinite(free.loss[-1]) else "not finite")
    d.metric("final loss, clipped", f"{held.loss[-1]:.3g}" if math.isfinite(held.loss[-1]) else "not finite")
    for label, p in runs.items():
        if p.stopped_at is not None:
            st.warning(f"Run *{label}* left the range |w|, |b| ≤ 50 at iteration {p.stopped_at} and was "
                       "stopped there.", icon=":material/warning:")
    left, right = st.columns(2, gap="medium")
    with left:
        sec = cross_section(float(w0))
        b_star, peak = sec.wall_b, sec.peak_slope
        if float(w0) <= rnnviz.cliff_wall_min_w():
            where = (f"at w = {w0:g} (below 4.26) the start x₀ is a *stable* fixed point at b* = {b_star:.4f}, "
                     "so there is no watershed there: the drop is a softer fold")
        elif not WINDOW_B[0] <= b_star <= WINDOW_B[1]:
            where = f"at w = {w0:g} the wall b* = {b_star:.4f} lies below this window"
        else:
            where = (f"at w = {w0:g} the loss drops by a cliff at b* = {b_star:.4f} (dashed), and the slope "
                     "there keeps growing the closer you sample")
        export.figure(cross_section_spec(float(w0)), name="Cliff cross-section", width="content",
                      notice=f"{where}. The steepest |∂E/∂b| on this grid is {peak:.3g} (log axis). One "
                             "sigmoid step has slope at most w/4, but 50 steps multiply those slopes.")
    with right:
        export.figure(descent_spec, name="Loss during descent", width="content",
                      notice="the unclipped loss jumps at the iteration where its step length spikes, then "
                             "stays flat: the plateau has no gradient to climb back with. With clipping every "
                             "step is at most η·c long, so the run cannot be thrown.")
