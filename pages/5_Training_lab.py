"""Training lab: train a vanilla RNN on "The cat … was / The cats … were" and watch its gradients."""

import streamlit as st

import rnnviz
from rnnviz.charts import training as charts
from rnnviz.presets import training as lab
from rnnviz.ui import export, guard, lecture, page_frame, preset_bar, runs, widgets


LEARNING_RATES = (0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0)
HIDDEN_SIZES = (2, 4, 8, 16, 32, 64, 128)
ITERATIONS = (20, 50, 100, 200, 300, 500, 1000)
BATCHES = (8, 16, 32, 64, 128, 256)
THRESHOLDS = (0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0)
MOMENTA = (0.0, 0.5, 0.9, 0.99)
# Radio labels (also the values in the URL) → core names.
OPTIMIZER_NAMES, CLIP_NAMES, ENCODING_NAMES, CELL_NAMES = (
    lab.OPTIMIZER_NAMES, lab.CLIP_NAMES, lab.ENCODING_NAMES, lab.CELL_NAMES)
SWEEP_SEEDS = (1, 2, 3)
D = lab.VIEW.defaults

PAGE = page_frame(
    __file__,
    lead=(
        "*\"The **cat**, which already ate …, **was** full\"* — *\"the **cats**, which already ate …, "
        "**were** full\"*. Here a real vanilla RNN learns exactly that: it reads *cat* or *cats*, then "
        "**L** filler words, and must answer *was* or *were*. It is trained live by back-propagation "
        "through time. Push the learning rate up and watch the gradient **explode** into NaN; clip it and "
        "watch training survive; stretch the gap and watch the gradient reaching *cat* **vanish** — and "
        "the network stay at a coin toss."
    ),
)


# ----------------------------------------------------------------------------- controls

preset_bar(lab.VIEW.presets, page=lab.VIEW.name, path=PAGE.path)

c1, c2, c3, c4 = st.columns(4, gap="medium")
with c1:
    st.markdown("**The task**")
    L = widgets.slider("Gap L (filler words)", key="L", min_value=1, max_value=100, value=D["L"],
                       help="Words between 'cat'/'cats' and the verb. The RNN reads L + 1 words.")
    compare = widgets.toggle("Plain RNN and gated cell side by side", key="cmp", value=D["cmp"],
                             help="Also train the other model (the plain RNN, or a GRU if the plain RNN is "
                                  "chosen) with the same seed, data and W, and show both.")
with c2:
    st.markdown("**The network**")
    cell = CELL_NAMES[widgets.radio("Cell", tuple(CELL_NAMES), key="cell",
                                    index=tuple(CELL_NAMES).index(D["cell"]),
                                    help="The plain RNN h_t = f(W h_{t-1} + U x_t + b), or a gated cell (GRU, LSTM) "
                                         "whose candidate uses the same W.")]
    if cell != "rnn" or compare:  # the gated cell's gate, also when it is the comparison's partner
        gate_name = "forget gate b_f" if cell == "lstm" else "update gate b_z"
        bz = widgets.slider(f"Gate bias ({gate_name})", key="bz", min_value=-3.0, max_value=5.0,
                            value=D["bz"], step=0.5,
                            help="Initial bias of the gate that keeps the memory: positive keeps it near 1 "
                                 "(h_t ≈ h_{t-1}, the step Jacobian ≈ I); negative makes the GRU almost the "
                                 "plain tanh RNN.")
    else:
        bz = D["bz"]  # the plain RNN has no gate
    f = widgets.select("Cell nonlinearity f", rnnviz.NONLINEARITIES, key="f",
                       index=rnnviz.NONLINEARITIES.index(D["f"]),
                       help="h_t = f(W h_{t-1} + U x_t + b). tanh is bounded; ReLU and linear are not. "
                            "Plain RNN only: gated cells use tanh and sigmoid gates.")
    n = widgets.select_slider("Hidden units n", HIDDEN_SIZES, key="n", value=D["n"])
    g = widgets.slider("Initial scale g of W", key="scale", min_value=0.1, max_value=3.0, value=D["scale"],
                       step=0.1, help="W starts with entries N(0, g²/n): spectral radius ≈ g, largest singular "
                                      "value ≈ 2g.")
with c3:
    st.markdown("**The optimiser**")
    opt = OPTIMIZER_NAMES[widgets.radio("Optimiser", tuple(OPTIMIZER_NAMES), key="opt",
                                        index=tuple(OPTIMIZER_NAMES).index(D["opt"]))]
    lr = widgets.select_slider("Learning rate", LEARNING_RATES, key="lr", value=D["lr"])
    its = widgets.select_slider("Iterations", ITERATIONS, key="its", value=D["its"])
    B = widgets.select_slider("Batch size", BATCHES, key="B", value=D["B"],
                              help="Sequences per iteration, half 'cat' and half 'cats'.")
with c4:
    st.markdown("**Gradient clipping**")
    clip = CLIP_NAMES[widgets.radio("Clip the gradient", tuple(CLIP_NAMES), key="clip",
                                    index=tuple(CLIP_NAMES).index(D["clip"]),
                         help="By global norm: PyTorch clip_grad_norm_ over all of W, U, b, V, c. By value: "
                              "clip_grad_value_, each entry cut to [−c, c].")]
    c = widgets.select_slider("Threshold c", THRESHOLDS, key="c", value=D["c"],
                              help="The largest gradient norm (by norm) or entry (by value) let through.")
with lecture.advanced("More settings: momentum, input encoding, seed"):
    d1, d2, d3 = st.columns(3)
    mom = widgets.select_slider("Momentum (SGD)", MOMENTA, key="mom", value=D["mom"], container=d1,
                                help="PyTorch-style heavy ball: v ← μ v + g, θ ← θ − lr·v. Ignored by Adam.")
    enc = ENCODING_NAMES[widgets.radio("Input encoding", tuple(ENCODING_NAMES), key="enc", container=d2,
                                       index=tuple(ENCODING_NAMES).index(D["enc"]),
                                       help="One-hot over the 18 input words, or a fixed (untrained) random "
                                            "8-dimensional embedding of them.")]
    seed = widgets.number("Seed", key="seed", min_value=0, max_value=9999, value=D["seed"], step=1,
                          container=d3, help="Fixes the initial weights and the sampled sentences.")

cfg = None
with guard("Training settings"):
    cfg = rnnviz.TrainingConfig(gap=int(L), hidden=int(n), nonlinearity=f, optimizer=opt, learning_rate=lr,
                                momentum=mom, init_scale=g, iterations=int(its), batch=int(B), clipping=clip,
                                threshold=c, encoding=enc, seed=int(seed), cell=cell, gate_bias=float(bz))

# ----------------------------------------------------------------------------- the data

if cfg is not None:
    with st.container(border=True):
        batch = rnnviz.make_batch(cfg.gap, 4, seed=cfg.seed, encoding=cfg.encoding)
        st.markdown("**What the network reads** — four training sentences, input → the answer it must give:")
        st.markdown("\n".join(f"- {s}" for s in rnnviz.render_samples(batch, 4, max_words=24, emphasize=True)))
        st.caption(f"The {cfg.gap} filler words are drawn at random from {len(rnnviz.FILLERS)} words of the "
                   "lecture's sentence, so only the first word decides the answer; always guessing gives 50 %.")


# ----------------------------------------------------------------------------- training

result = None
stopped = False
# Comparison mode: the other model of the pair (plain RNN ↔ gated cell), same everything else.
partner_cfg = cfg.partner if cfg is not None and compare else None
if cfg is not None:
    st.header("Training" + (f": the {charts.CELL_LABELS[cfg.cell]}" if cfg.cell != "rnn" else ""))
    runs.keep_only(cfg, partner_cfg)
    with guard("Training"):
        result = runs.train(cfg, key="stop")
    halt = runs.halted(cfg)
    if halt is not None:
        stopped = True
        result = runs.partial(cfg)
        st.info(f"Training {halt} by you after {runs.iterations_done(cfg)} of {cfg.iterations} iterations; "
                "what it had learned so far is shown below.", icon=":material/stop_circle:")
        runs.resume_button(cfg, label="Resume" if halt == "paused" else "Train to the end", key="resume")

# ----------------------------------------------------------------------------- results

if result is not None:
    run = result.run
    cfg = run.config
    m1, m2, m3, m4 = st.columns(4)
    m1.metric("Held-out accuracy", "—" if run.diverged_at else f"{run.test_accuracy:.1%}",
              help=f"On {cfg.eval_batch} fresh sentences after the last update. Chance is 50 %.")
    last_loss = run.loss[-1]
    m2.metric("Last training loss", "NaN" if last_loss != last_loss else f"{last_loss:.3g}",
              help="Cross-entropy in nats; chance is log 2 ≈ 0.693.")
    m3.metric("Iterations run", f"{run.iterations_run} of {cfg.iterations}")
    m4.metric("Training time", "—" if stopped else f"{result.seconds:.2f} s")

    if run.diverged_at is not None:
        st.warning(lab.divergence_warning(run, charts.divergence_text(run)), icon=":material/warning:")
    elif run.completed and run.test_accuracy >= 0.9:
        st.success(f"The network learned the agreement across L = {cfg.gap} words: "
                   f"{run.test_accuracy:.1%} on sentences it never saw.", icon=":material/check_circle:")
    elif run.completed and run.test_accuracy <= 0.6:
        st.info(f"After {cfg.iterations} iterations the network is still at a coin toss "
                f"({run.test_accuracy:.1%}) for L = {cfg.gap}. The heat map below shows why.",
                icon=":material/info:")

    export.figure(result.spec("loss_acc", charts.loss_accuracy_spec), name="Loss and accuracy", width="content",
                  notice=lab.loss_notice(run))

    left, right = st.columns([3, 1], gap="medium")
    with left:
        export.show(result.spec("grad", charts.grad_norm_spec), name="Gradient norm per iteration")
    with right:
        if cfg.clipping == "norm":
            st.markdown(f"Clipping by global norm acted in **{run.clipped_share:.0%}** of the iterations "
                        f"(points on the line above the threshold c = {cfg.threshold:g}).")
            st.latex(r"g \leftarrow \min\!\Big(1,\ \frac{c}{\lVert g\rVert_2 + 10^{-6}}\Big)\, g")
        elif cfg.clipping == "value":
            st.markdown(f"Clipping by value cut at least one gradient entry to ±{cfg.threshold:g} in "
                        f"**{run.clipped_share:.0%}** of the iterations. The line shows the norm before "
                        "clipping; value clipping bounds each entry, not the norm, and turns the direction.")
            st.latex(r"g_i \leftarrow \min(\max(g_i, -c),\ c)")
        else:
            st.markdown("No clipping: every update is θ ← θ − lr · (the full gradient), however large.")
        first_zero, zeros = run.zero_gradient_iterations
        if zeros:
            st.markdown(f"From iteration {first_zero} the gradient is exactly 0 in {zeros} iterations "
                        "(drawn on the axis floor): the network is so sure of every answer that float64 "
                        "rounds its error to nothing.")
        st.caption("**Notice:** the norm is on a log axis. A spike of many orders of magnitude is an exploding "
                   "gradient; without clipping it goes straight into the weights.")

    st.subheader("Where the gradient reaches: ‖∂ℓ/∂h_k‖ over position and iteration")
    relative = widgets.toggle("Divide each row by its value at the last position", key="rel", value=D["rel"],
                              help="Shows only how much of the gradient survives the way back from the "
                                   "last word to position k, whatever the size of the loss.")
    export.show(result.spec("heat_rel" if relative else "heat",
                            lambda r: charts.dh_heatmap_spec(r, relative=relative)),
                name="Gradient reach heat map" + (" (relative)" if relative else ""))
    first, last = charts.reach_phrase(run, 0), charts.reach_phrase(run, -1)
    st.caption(lab.heat_notice(cfg, first, last))
    st.latex(r"\frac{\partial \ell}{\partial h_k} = \frac{\partial \ell}{\partial h_T}\,J_T J_{T-1}\cdots J_{k+1},"
             r"\qquad " + lab.JACOBIAN_LATEX[cfg.cell])

# ----------------------------------------------------------------------------- plain RNN and gated cell, side by side

pair = None
if result is not None and partner_cfg is not None and not stopped:
    gated = rnnviz.comparison_cells(cfg.cell)[1]
    st.header(f"The plain RNN and the {charts.CELL_LABELS[gated]}, side by side")
    st.markdown(f"The same {cfg.gap}-word agreement task, the same seed, sentences, read-out and recurrent "
                f"matrix W (the {charts.CELL_LABELS[gated]}'s candidate uses it too), the same optimiser: only "
                "the cell differs.")
    partner = None
    with guard(f"Training the {charts.CELL_LABELS[partner_cfg.cell]}"):
        partner = runs.train(partner_cfg, key="stop_cmp")
    if runs.halted(partner_cfg) is not None:
        st.info(f"Training of the {charts.CELL_LABELS[partner_cfg.cell]} {runs.halted(partner_cfg)} by you; "
                "train it to the end to compare.", icon=":material/stop_circle:")
        runs.resume_button(partner_cfg, label="Train to the end", key="resume_cmp")
    if partner is not None:
        pair = {r.run.config.cell: r for r in (result, partner)}
        pair = {"rnn": pair["rnn"], gated: pair[gated]}
if pair is not None:
    pair_runs = [r.run for r in pair.values()]
    crange = charts.shared_log_range(pair_runs, relative=relative)
    cols = st.columns(2, gap="medium")
    for col, (kind, res) in zip(cols, pair.items()):
        r = res.run
        name = charts.CELL_LABELS[kind]
        with col:
            acc = "—" if r.diverged_at else f"{r.test_accuracy:.1%}"
            st.metric(f"{name}: held-out accuracy", acc, help="On fresh sentences. Chance is 50 %.")
            export.show(res.spec(("cmp_heat", relative, crange),
                                 lambda x, name=name: charts.dh_heatmap_spec(
                                     x, relative=relative, width=330, height=280, color_range=crange,
                                     title=f"{name}: gradient reaching each position")),
                        name=f"{name} gradient reach heat map" + (" (relative)" if relative else ""))
            st.caption(f"{name}: at the last iteration the gradient reaching 'cat' is "
                       f"{charts.reach_phrase(r, -1)} (at the first: {charts.reach_phrase(r, 0)}).")
    gated_name = charts.CELL_LABELS[gated]
    reach_end = {k: charts.reach_value(r, -1) for k, r in zip(pair, pair_runs)}
    st.caption(lab.comparison_notice(cfg.gap, gated_name, reach_end["rnn"], reach_end[gated]))

# ----------------------------------------------------------------------------- the sweep

if cfg is not None:
    st.header("Accuracy against the gap")
    # Comparison mode sweeps both cells of the pair (plain RNN first), with the same seeds.
    sweep_cells = (cfg.cell,) if partner_cfg is None else rnnviz.comparison_cells(cfg.cell)
    st.markdown(
        "Train the same network" + (" — the plain RNN and the " + charts.CELL_LABELS[sweep_cells[1]] +
                                    " —" if len(sweep_cells) > 1 else "") +
        " at gaps L = " + ", ".join(map(str, rnnviz.DEFAULT_SWEEP_GAPS)) +
        " with every other setting as above, for one or more seeds, and plot the held-out accuracy.")
    s1, s2 = st.columns([1, 3])
    n_seeds = widgets.select_slider("Seeds per gap", SWEEP_SEEDS, key="seeds", value=D["seeds"], container=s1,
                                    help="Each seed is a different initialisation and data stream.")
    sweep = runs.stored_sweep(cfg, sweep_cells, n_seeds)
    if sweep is None:
        label = f"Run the sweep ({rnnviz.sweep_runs(seeds=n_seeds, cells=len(sweep_cells))} trainings"
        if result is not None and not stopped and result.run.completed:
            seconds = rnnviz.sweep_seconds(result.seconds, cfg, seeds=n_seeds, cells=len(sweep_cells))
            label += f", about {seconds:.0f} s"
        slot = s2.empty()
        if slot.button(label + ")", key="sweep", icon=":material/play_arrow:"):
            with guard("Sweep"):
                sweep = runs.run_sweep(cfg, sweep_cells, n_seeds)
                slot.empty()
    if sweep is not None and len(sweep_cells) > 1:
        export.figure(sweep.spec("sweep_cmp", charts.sweep_compare_spec),
                      name="Accuracy against the gap, " + " vs ".join(charts.CELL_LABELS[k] for k in sweep_cells),
                      notice=charts.sweep_compare_summary(sweep.run) + " "
                      + lab.SWEEP_COMPARE_NOTICE.format(gated=charts.CELL_LABELS[sweep_cells[1]]))
    elif sweep is not None:
        export.figure(sweep.spec("sweep", charts.sweep_spec), name="Accuracy against the gap",
                      notice=charts.sweep_summary(sweep.run) + " " + lab.SWEEP_NOTICE)
