"""Your network: a trained RNN, GRU or LSTM checkpoint, and how far back its gradient reaches."""

import streamlit as st

import rnnviz
from rnnviz.charts import checkpoint as ch
from rnnviz.charts.spec import vega_spec
from rnnviz.charts.spectral import lyapunov_chart, product_spectrum_chart
from rnnviz.checkpoint import (CHECKPOINT_TYPES, GATE_NEAR_ONE, MAX_CHECKPOINT_BYTES, MAX_DRIVE_STEPS,
                               analyse_layer, layer_drive, parse_sequence, whole_horizon)
from rnnviz.presets.checkpoint import EXAMPLES
from rnnviz.ui import cached, export, guard, lecture, page_frame, preset_bar, widgets
from rnnviz.ui.bundled import VIEW, example
from rnnviz.upload import upload_digest

D = VIEW.defaults
MB = MAX_CHECKPOINT_BYTES // 2**20

PAGE = page_frame(
    __file__,
    lead=(
        "Will your trained recurrent layer carry a gradient 100 steps back, and why not? Load a checkpoint "
        "(a PyTorch state_dict as **.safetensors** or **.npz**, a Keras 3 **.keras** file, or **.onnx**), pick "
        "a layer and an input drive: the page runs the layer with rnnviz's own cells (checked against "
        "PyTorch, Keras and onnxruntime) and follows gradients back through every step."
    ),
)

preset_bar(VIEW.presets, page=VIEW.name, path=PAGE.path)

# ----------------------------------------------------------------------------------- the checkpoint
SOURCES = (*EXAMPLES, "upload")
c1, c2 = st.columns([3, 1])
source = widgets.radio("Checkpoint", SOURCES, key="ex", index=SOURCES.index(D["ex"]), container=c1,
                       format_func=lambda k: EXAMPLES[k][1] if k in EXAMPLES else "Upload your own")
nl = widgets.select("Plain RNN activation", ("tanh", "relu"), key="f", container=c2,
                    help="A PyTorch nn.RNN state_dict does not record tanh or ReLU: choose it here "
                         "(Keras and ONNX files record it; GRU and LSTM layers ignore it).")

data, filename, digest = None, "", ""
if source == "upload":
    file = st.file_uploader(
        f"Your checkpoint ({', '.join('.' + t for t in CHECKPOINT_TYPES)}; at most {MB} MB)",
        type=list(CHECKPOINT_TYPES), key="checkpoint_file", max_upload_size=MB,
        help="Nothing is unpickled. From PyTorch: from safetensors.torch import save_file; "
             "save_file(model.state_dict(), 'rnn.safetensors'). From Keras 3: model.save('rnn.keras').")
    st.caption("The file itself is not part of the page's link: someone opening the link sees the "
               "example until they upload the same file. Every other setting is in the link.")
    if file is None:
        st.info("No file yet: the page shows the trained LSTM example meanwhile.", icon=":material/upload_file:")
    else:
        data, filename = file.getvalue(), file.name


@cached(max_entries=8)
def load(digest: str, filename: str, _data: bytes, nl: str):
    return rnnviz.load_checkpoint(_data, filename, nonlinearity=nl)


checkpoint = None
if data is not None:
    with guard(f"Checkpoint '{filename}'"):
        digest = upload_digest(data, max_bytes=MAX_CHECKPOINT_BYTES)
        checkpoint = load(digest, filename, data, nl)
        st.success(f"Read {len(checkpoint.layers)} recurrent layer(s) from '{filename}'. "
                   + " ".join(checkpoint.notes), icon=":material/check_circle:")
if checkpoint is None:
    source_key = source if source in EXAMPLES else D["ex"]
    checkpoint = example(source_key, nl)
    digest = f"example:{source_key}"
    if source in EXAMPLES:
        st.caption({"lstm": "An LSTM with 32 units trained by rnnviz's own training loop on 'the cat … was / the "
                            "cats … were' with 10 words in between, saved as a PyTorch state_dict (safetensors).",
                    "gru": "A GRU with 64 units and 8 inputs straight from its random initialisation (rnnviz.init_gru), "
                           "saved as a PyTorch state_dict (.npz)."}[source]
                   + " Made by tests/fixtures/make_examples.py.")

# ----------------------------------------------------------------------------------- layer and drive
layers = checkpoint.layers
d1, d2 = st.columns([2, 3])
layer_index = 0
if len(layers) > 1:  # a one-layer checkpoint has nothing to choose
    index = widgets.select("Layer (in network order)", tuple(range(len(layers))), key="layer", container=d1,
                           help="A bidirectional layer is two: its forward direction, then its reverse.")
    layer_index = min(int(index), len(layers) - 1)
layer = layers[layer_index]
d1.caption(f"**{layer.name}**: {layer.cell.replace('_', ' ')}, n = {layer.hidden_size} hidden units, "
           f"m = {layer.input_size} inputs" + ("; reads its input backwards" if layer.reverse else ""))
drive = widgets.radio("Input drive", ("gauss", "npy"), key="drive", container=d2,
                      format_func={"gauss": "Gaussian noise", "npy": "My own sequence (.npy)"}.get)
with lecture.advanced("Drive strength, length and seed"):
    e1, e2, e3 = st.columns(3)
    in_scale = widgets.slider("Input scale", key="in_scale", min_value=0.0, max_value=5.0, value=D["in_scale"],
                              step=0.1, container=e1, help="Each input xₜ has i.i.d. N(0, scale²) entries.")
    T = widgets.slider("Steps T", key="T", min_value=10, max_value=MAX_DRIVE_STEPS, value=D["T"], step=10,
                       container=e2)
    seed = widgets.number("Seed", key="seed", min_value=0, max_value=9999, value=D["seed"], step=1, container=e3)

xs_user, xs_digest = None, ""
if drive == "npy":
    seq = st.file_uploader(f"Your input sequence: a .npy array of shape (T, {layer.input_size}), "
                           f"T ≤ {MAX_DRIVE_STEPS}", type=["npy"], key="sequence_file", max_upload_size=5,
                           help="np.save('xs.npy', xs); never unpickled. Not part of the link either.")
    if seq is None:
        st.info("No sequence yet: the Gaussian drive is used meanwhile.", icon=":material/upload_file:")
    else:
        with guard(f"Input sequence '{seq.name}'"):
            xs_user = parse_sequence(seq.getvalue(), seq.name, layer.input_size)
            xs_digest = upload_digest(seq.getvalue())


@cached(max_entries=8)
def analyse(digest: str, nl: str, index: int, drive: tuple, seconds: float, _checkpoint, _xs):
    chosen = _checkpoint.layers[index]
    xs = _xs if _xs is not None else layer_drive(chosen, drive[1], scale=drive[0], seed=drive[2])
    return analyse_layer(chosen, xs, seconds=seconds)


@cached(max_entries=8)
def specs(digest: str, nl: str, index: int, drive: tuple, seconds: float, _checkpoint, _xs) -> dict:
    r = analyse(digest, nl, index, drive, seconds, _checkpoint, _xs)
    out = {"decay": vega_spec(ch.gradient_decay_chart(r.probe_log_norm)),
           "sv": vega_spec(ch.weight_spectrum_chart(r.gates)), "eig": vega_spec(ch.weight_eigen_chart(r.gates))}
    if r.product_log_sv is not None:
        out["product"] = vega_spec(product_spectrum_chart(range(r.window + 1), r.product_log_sv))
        out["lyapunov"] = vega_spec(lyapunov_chart(r.lyapunov))
    if r.gate_mean is not None:
        out["gates"] = vega_spec(ch.gate_histogram_chart(r.gate_mean, label=r.gate_label, near_one=GATE_NEAR_ONE))
    return out


drive_key = ("npy", xs_digest) if xs_user is not None else (float(in_scale), int(T), int(seed))
whole = whole_horizon(layer.state_size, xs_user.shape[0] if xs_user is not None else int(T))
every_step = whole is not None and widgets.toggle(
    f"Product spectrum over every step (about {whole[1]:.0f} s)", key="whole",
    help="By default every singular value of ∂s_T/∂s_k is computed over the last steps that take about a "
         "second; this covers the whole run (the gradient curve always covers every step).")
seconds = whole[0] if every_step else 1.0
result = None
with guard(f"Layer {layer.name}"):
    with st.spinner("Running the layer and following its gradients back…"):
        result = analyse(digest, nl, layer_index, drive_key, seconds, checkpoint, xs_user)
        figures = specs(digest, nl, layer_index, drive_key, seconds, checkpoint, xs_user)
if result is None:
    st.stop()
r = result

# ----------------------------------------------------------------------------------- the verdict
st.subheader("Diagnosis")
st.markdown(f"**{r.diagnosis}**")
m1, m2, m3, m4 = st.columns(4)
m1.metric("Cell", r.cell.replace("_", " "), delta=f"state size d = {r.state_size}", delta_color="off",
          delta_arrow="off")
m2.metric("Steps analysed", f"{r.T:,}", delta="read backwards" if layer.reverse else "in order",
          delta_color="off", delta_arrow="off")
m3.metric("Growth rate per step", f"{r.top_rate:+.4f}",
          help="log(‖g₀‖/‖g_T‖)/T of the fastest of the probe gradients over the whole run: an estimate of the "
               "largest Lyapunov exponent (negative: vanishing; positive: exploding).")
if r.near_one is not None:
    m4.metric(f"Units with {r.gate_label.split()[-1]} ≥ {GATE_NEAR_ONE}", f"{r.near_one:.0%}",
              help=f"Units whose mean {r.gate_label} over the run is at least {GATE_NEAR_ONE}: the units that "
                   "remember (a gate near 1 passes h (GRU) or c (LSTM) on almost unchanged).")
elif r.verdict is not None:
    m4.metric("γ·σ_max(W)", f"{r.verdict.step_bound:.3g}", delta=r.verdict.regime.replace("_", " "), delta_color="off",
              delta_arrow="off")

export.figure(
    figures["decay"], name="Gradient reaching k steps back",
    formulas=[r"g_k = \Big(\frac{\partial s_T}{\partial s_k}\Big)^{\!\top} g_T,\qquad "
              r"\text{size } \|g_k\| / \|g_T\|\ \text{ for } g_T \text{ along " + str(r.probe_log_norm.shape[1])
              + r" random directions}"],
    notice=(f"the line is the median of {r.probe_log_norm.shape[1]} random loss directions at the last step, "
            f"back-propagated exactly through all {r.T:,} steps of this layer (the band: the smallest and the "
            "largest); where it crosses the vermillion 10⁻³ line, a gradient from the last step has lost all but "
            "a thousandth of its size. The state s is h" + (", or [h, c] for an LSTM" if r.cell == "lstm" else "")
            + "."))

# ----------------------------------------------------------------------------------- the weights
st.subheader("The recurrent weights")
if r.verdict is not None:
    st.markdown(f"**Pascanu's verdict** (Pascanu, Mikolov and Bengio 2013): {r.verdict.message}")
w1, w2 = st.columns(2)
with w1:
    export.figure(figures["sv"], name="Singular values per gate",
                  notice="σ_max above the dashed 1 lets a gate's recurrent product stretch some direction; a gate "
                         "whose σ_max is below 1 shrinks every direction it sees, before any saturation.")
with w2:
    export.figure(figures["eig"], name="Eigenvalues per gate", width="content",
                  notice="eigenvalues inside the dashed unit circle do not decide vanishing on their own: the "
                         "singular values bound each step, the eigenvalues only the long-run growth of a repeated "
                         "linear map.")

# ----------------------------------------------------------------------------------- the product
st.subheader("Every singular value of ∂s_T/∂s_k")
if r.product_log_sv is None:
    st.warning(f"The product spectrum is not available: {r.product_error}.", icon=":material/warning:")
else:
    covered = ("every step" if r.window == r.T else
               f"the last {r.window} of the {r.T:,} steps (every singular value costs about d³ = "
               f"{r.state_size}³ per step; the curve above covers every step)")
    p1, p2 = st.columns(2)
    with p1:
        export.figure(figures["product"], name="Product spectrum",
                      notice=f"computed over {covered}. The top line is the largest gain any gradient can have; "
                             "the spread below it shows how many directions survive.")
    with p2:
        export.figure(figures["lyapunov"], name="Lyapunov exponents",
                      notice=f"growth rates per step of each direction over {covered}: bars below 0 vanish "
                             "exponentially, bars above 0 explode.")

if "gates" in figures:
    st.subheader("The gates that remember")
    export.figure(figures["gates"], name="Mean gate per unit",
                  notice=f"{r.near_one:.0%} of the units have a mean {r.gate_label} of at least {GATE_NEAR_ONE} "
                         "(right of the dashed line): those carry their state, and its gradient, across many steps.")
