"""Charts for the training lab: loss and accuracy, the gradient norm, the ||dL/dh_k|| heat map and
the accuracy-versus-gap sweep.

No Streamlit here. Each chart has a ``*_frame`` builder (tested on its own) and takes a
:class:`rnnviz.training.TrainingRun` or :class:`rnnviz.training.GapSweep`.
"""

from __future__ import annotations

import math

import altair as alt
import numpy as np
import pandas as pd

from ..training import GapSweep, TrainingRun
from .common import (EXPLODE_COLOR, FIT_X, NEUTRAL_COLOR, OKABE_ITO, PAD, SEQUENTIAL_SCHEME, VANISH_COLOR, log_safe,
                     thin_indices)
from .spec import vega_spec

LOSS_COLOR = OKABE_ITO[4]       # blue
ACCURACY_COLOR = OKABE_ITO[2]   # bluish green
GRAD_COLOR = OKABE_ITO[0]       # orange
CLIPPED_COLOR = VANISH_COLOR
DIVERGED_COLOR = EXPLODE_COLOR
#: Most iterations drawn as rows of the heat map (evenly thinned, both ends kept).
HEATMAP_ROWS = 120
#: Decades of colour the heat map spans below its largest value (smaller values share the darkest colour).
HEATMAP_DECADES = 24
#: Most cells the heat map draws (rows are thinned further for long sequences).
MAX_CELLS = 5000
#: Smallest loss the log-scale loss axis shows (a perfectly confident network's loss underflows to 0).
LOSS_FLOOR = 1e-12
#: Decades the gradient-norm axis spans below its largest value.
GRAD_DECADES = 12
#: Heat-map cells where the gradient is exactly 0 (a certain network): light grey, off the colour scale.
ZERO_COLOR = "#DDDDDD"
CHANCE = 0.5
#: How the charts name each cell, and its colour when several are drawn together.
CELL_LABELS = {"rnn": "plain RNN", "gru": "GRU", "lstm": "LSTM"}
CELL_COLORS = {"rnn": OKABE_ITO[5], "gru": OKABE_ITO[4], "lstm": OKABE_ITO[6]}


class _Sources:
    """Where a chart's data comes from: the frames themselves (an Altair chart for a notebook or an
    export), or named datasets collected for a spec (Streamlit ships those as Arrow, fast and small)."""

    def __init__(self, named: bool = False) -> None:
        self.named = named
        self.frames: dict[str, pd.DataFrame] = {}

    def __call__(self, name: str, frame: pd.DataFrame):
        if not self.named:
            return frame
        self.frames[name] = frame
        return alt.NamedData(name=name)


def _spec(builder, *args, **kwargs) -> dict:
    """A chart's cached spec (:func:`rnnviz.charts.spec.vega_spec`), its data as the named datasets
    the chart's layers read."""
    src = _Sources(named=True)
    chart = builder(*args, src=src, **kwargs)
    chart.datasets = src.frames
    return vega_spec(chart)


def _what_word(what: str | None) -> str:
    return {"loss": "the loss", "gradient": "the gradient", "parameters": "the updated weights"}.get(what or "", "")


def divergence_text(run: TrainingRun) -> str | None:
    """What stopped being finite ("the loss became inf/NaN"), or None."""
    if run.diverged_at is None:
        return None
    return f"{_what_word(run.diverged_what)} became inf/NaN"


def _divergence_frame(run: TrainingRun) -> pd.DataFrame:
    if run.diverged_at is None:
        return pd.DataFrame({"iteration": pd.Series([], dtype=float), "label": pd.Series([], dtype=str)})
    return pd.DataFrame({"iteration": [float(run.diverged_at)],
                         "label": [f"inf/NaN at iteration {run.diverged_at}"]})


def _divergence_layers(run: TrainingRun, src: _Sources, x_title: str = "iteration"):
    frame = src("divergence", _divergence_frame(run))
    rule = alt.Chart(frame).mark_rule(color=DIVERGED_COLOR, strokeWidth=2, strokeDash=[6, 3]).encode(
        x=alt.X("iteration:Q", title=x_title), tooltip=[alt.Tooltip("label:N", title="stopped")])
    text = alt.Chart(frame).mark_text(color=DIVERGED_COLOR, align="right", dx=-4, dy=8, baseline="top",
                                      fontWeight="bold").encode(
        x="iteration:Q", y=alt.value(0), text="label:N")
    return rule + text


# --------------------------------------------------------------------------- loss, accuracy, gradient norm

def history_frame(run: TrainingRun) -> pd.DataFrame:
    """One row per iteration: loss, accuracy, gradient norm (and a log-safe copy with its status),
    whether clipping acted, and whether the loss / gradient were finite."""
    plotted, status = log_safe(run.grad_norm)
    return pd.DataFrame({
        "iteration": run.iteration,
        "loss": np.where(np.isfinite(run.loss), run.loss, np.nan),
        # For the log axis: a loss that rounds to 0 in float64 is drawn at the axis floor.
        "loss_plot": np.where(np.isfinite(run.loss), np.maximum(run.loss, LOSS_FLOOR), np.nan),
        "loss_finite": np.isfinite(run.loss),
        "accuracy": run.accuracy,
        "grad_norm": run.grad_norm,
        "grad_norm_plot": np.where(status == "finite", plotted, np.nan),
        "grad_status": status.astype(str),
        "clipped": np.where(run.clipped, "yes", "no"),
    })


def iteration_span(run: TrainingRun) -> int:
    """The last iteration the charts' iteration axes show: all planned iterations for a finished run;
    for one that diverged or was stopped, a little past where it ended (so six iterations are not
    squeezed into the left edge of a 300-iteration axis)."""
    if run.completed:
        return max(run.config.iterations, 2)
    return max(10, int(math.ceil(run.iterations_run * 1.1)))


def _x(run: TrainingRun):
    return alt.X("iteration:Q", title="iteration", scale=alt.Scale(domain=[0, iteration_span(run)], nice=False),
                 axis=alt.Axis(format="d", tickMinStep=1))


def loss_accuracy_chart(run: TrainingRun, *, width: int = 330, height: int = 220, src: _Sources | None = None
                        ) -> alt.HConcatChart:
    """Loss (cross-entropy, nats) and training-batch accuracy per iteration, side by side, with the
    chance level and the iteration where training stopped marked."""
    src = src or _Sources()
    frame = src("history", history_frame(run))
    x = _x(run)
    tips = [alt.Tooltip("iteration:Q"), alt.Tooltip("loss:Q", format=".4g", title="loss (nats)"),
            alt.Tooltip("accuracy:Q", format=".1%")]
    loss = alt.Chart(frame).mark_line(color=LOSS_COLOR, clip=True).encode(
        x=x, y=alt.Y("loss_plot:Q", title="cross-entropy loss (nats, log scale)", scale=alt.Scale(type="log"),
                            axis=alt.Axis(format=".0e")),
        tooltip=tips)
    chance_loss = alt.Chart(src("chance_loss", pd.DataFrame({"y": [math.log(2)],
                                                            "label": ["chance: log 2 ≈ 0.693"]}))).mark_rule(
        color=NEUTRAL_COLOR, strokeDash=[4, 4]).encode(y="y:Q", tooltip=alt.Tooltip("label:N", title="reference"))
    acc = alt.Chart(frame).mark_line(color=ACCURACY_COLOR, clip=True).encode(
        x=x, y=alt.Y("accuracy:Q", title="accuracy on the training batch", scale=alt.Scale(domain=[0, 1]),
                     axis=alt.Axis(format="%")), tooltip=tips)
    chance_acc = alt.Chart(src("chance", pd.DataFrame({"y": [CHANCE], "label": ["chance: 50 %"]}))).mark_rule(
        color=NEUTRAL_COLOR, strokeDash=[4, 4]).encode(y="y:Q", tooltip=alt.Tooltip("label:N", title="reference"))
    div = _divergence_layers(run, src)
    left = (loss + chance_loss + div).properties(width=width, height=height, title="Loss")
    right = (acc + chance_acc + div).properties(width=width, height=height, title="Accuracy")
    return alt.hconcat(left, right).resolve_scale(y="independent").properties(autosize=PAD)


def grad_axis_range(run: TrainingRun) -> tuple[float, float]:
    """The gradient-norm axis: from :data:`GRAD_DECADES` decades below the largest finite norm (or
    below the threshold, if lower) to a little above it. Smaller norms, and exact zeros, sit on the floor."""
    g = run.grad_norm[np.isfinite(run.grad_norm) & (run.grad_norm > 0)]
    top = float(g.max()) if g.size else 1.0
    if run.config.clipping == "norm":
        top = max(top, run.config.threshold)
    bottom = max(float(g.min()) if g.size else top / 10, top * 10.0 ** -GRAD_DECADES)
    if run.config.clipping == "norm":
        bottom = min(bottom, run.config.threshold / 10)
    bottom = min(bottom, top / 10)
    return 10.0 ** math.floor(math.log10(bottom)), 10.0 ** math.ceil(math.log10(top) + 0.05)


def grad_norm_chart(run: TrainingRun, *, width: int = 700, height: int = 240, src: _Sources | None = None
                    ) -> alt.LayerChart:
    """The global gradient norm before clipping, on a log axis, with the norm threshold drawn when
    clipping by norm, clipped iterations marked and the iteration where it stopped being finite."""
    src = src or _Sources()
    frame = history_frame(run)
    finite = frame[frame["grad_status"].isin(["finite", "zero"])].copy()
    lo, hi = grad_axis_range(run)
    # A gradient that is exactly 0 (a network certain of every answer) or tiny is drawn on the floor.
    finite["grad_norm_plot"] = np.maximum(finite["grad_norm"].to_numpy(), lo)
    x = _x(run)
    y = alt.Y("grad_norm_plot:Q", title="‖∇L‖₂ before clipping (log scale)",
              scale=alt.Scale(type="log", domain=[lo, hi], clamp=True, nice=False), axis=alt.Axis(format=".0e"))
    tips = [alt.Tooltip("iteration:Q"), alt.Tooltip("grad_norm:Q", format=".4g", title="gradient norm"),
            alt.Tooltip("clipped:N", title="clipped?")]
    line = alt.Chart(src("grad", finite)).mark_line(color=GRAD_COLOR, clip=True).encode(x=x, y=y, tooltip=tips)
    layers = [line]
    if run.clipped.any():
        pts = alt.Chart(src("grad_clipped", finite[finite["clipped"] == "yes"])).mark_point(
            color=CLIPPED_COLOR, size=14, filled=True, clip=True).encode(x=x, y=y, tooltip=tips)
        layers.append(pts)
    cfg = run.config
    if cfg.clipping == "norm":
        thr = src("threshold", pd.DataFrame({"y": [cfg.threshold],
                                             "label": [f"clipping threshold c = {cfg.threshold:g}"]}))
        layers.append(alt.Chart(thr).mark_rule(color=CLIPPED_COLOR, strokeDash=[6, 4], strokeWidth=2).encode(
            y="y:Q", tooltip=alt.Tooltip("label:N", title="threshold")))
        layers.append(alt.Chart(thr).mark_text(color=CLIPPED_COLOR, align="left", dx=4, dy=-7).encode(
            x=alt.value(0), y="y:Q", text="label:N"))
    layers.append(_divergence_layers(run, src))
    return alt.layer(*layers).properties(width=width, height=height, autosize=FIT_X,
                                         title="Gradient norm before clipping")


# --------------------------------------------------------------------------- the heat map

def dh_frame(run: TrainingRun, *, relative: bool = False, max_rows: int = HEATMAP_ROWS) -> pd.DataFrame:
    """Long frame for the heat map: iteration, position k (1 = the subject), ||∂ℓ/∂h_k||, its log10
    (``relative``: divided by the value at the last position, so each row starts at 1 = 10⁰)."""
    T = run.dh_norm.shape[1]
    # At most MAX_CELLS cells, so the chart stays light (and under Altair's 5,000-row guard).
    rows = thin_indices(run.iterations_run, max(10, min(max_rows, MAX_CELLS // T)))
    values = np.asarray(run.dh_norm)[rows]
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        shown = values / values[:, -1:] if relative else values
        logv = np.log10(shown)
    it = run.iteration[rows]
    # Each drawn row stands for the iterations up to the next drawn one.
    upper = np.append(it[1:], it[-1] + 1) if len(it) > 1 else it + 1
    frame = pd.DataFrame({
        "iteration": np.repeat(it, T),
        "iteration_end": np.repeat(upper, T),
        "k": np.tile(np.arange(1, T + 1), len(it)),
        "norm": values.ravel(),
        "shown": shown.ravel(),
        "log10": logv.ravel(),
    })
    # Cells are drawn from k - 1/2 to k + 1/2, and rows and columns overlap by a hair (0.4 % of the
    # axis) so anti-aliasing leaves no white seams between them.
    frame["iteration_overlap"] = frame["iteration_end"] + 0.004 * max(run.config.iterations, 2)
    frame["k_lo"] = frame["k"] - 0.5
    frame["k_hi"] = frame["k"] + 0.5 + 0.004 * T
    frame["finite"] = np.isfinite(frame["log10"])
    # A gradient of exactly 0 (the network is certain, nothing flows back) is content, drawn at the
    # darkest colour; only cells whose numbers overflowed (inf/NaN) are left out.
    zero_row = np.repeat(values[:, -1] == 0, T) if relative else np.zeros(len(frame), bool)
    frame["zero"] = (frame["norm"].to_numpy() == 0) | (zero_row & np.isfinite(frame["norm"].to_numpy()))
    return frame


def dh_log_range(run: TrainingRun, *, relative: bool = False) -> tuple[float, float]:
    """The heat map's colour range (log10): from its largest finite value down at most
    :data:`HEATMAP_DECADES` decades (at least one decade wide)."""
    frame = dh_frame(run, relative=relative)
    finite = frame[frame["finite"]]
    if not len(finite):
        return -1.0, 0.0
    hi = float(finite["log10"].max())
    lo = max(float(finite["log10"].min()), hi - HEATMAP_DECADES)
    return (hi - 1, hi) if hi - lo < 1 else (lo, hi)


def shared_log_range(runs, *, relative: bool = False) -> tuple[float, float]:
    """One colour range for several heat maps drawn side by side (so equal colours mean equal values)."""
    ranges = [dh_log_range(r, relative=relative) for r in runs]
    hi = max(r[1] for r in ranges)
    lo = max(min(r[0] for r in ranges), hi - HEATMAP_DECADES)
    return lo, hi


def dh_heatmap(run: TrainingRun, *, relative: bool = False, width: int = 700, height: int = 300,
               src: _Sources | None = None, title: str | None = None,
               color_range: tuple[float, float] | None = None) -> alt.LayerChart:
    """||∂ℓ/∂h_k|| over position k (x) and iteration (y), log colour: dark = small (vanished).

    ``color_range`` (log10 low, high) fixes the colour scale (see :func:`shared_log_range`); ``title``
    replaces the default title."""
    src = src or _Sources()
    chart_title = title or "How much of the gradient reaches each position"
    frame = dh_frame(run, relative=relative)
    T = run.config.T
    lo, hi = color_range if color_range is not None else dh_log_range(run, relative=relative)
    good = frame[frame["finite"] & ~frame["zero"]].drop(columns=["finite", "zero"])
    zeros = frame[frame["zero"]].drop(columns=["finite", "zero", "shown", "log10"])
    title = (["log₁₀ ‖∂ℓ/∂h_k‖", "÷ ‖∂ℓ/∂h_T‖"] if relative else "log₁₀ ‖∂ℓ/∂h_k‖")
    colour_scale = alt.Scale(scheme=SEQUENTIAL_SCHEME, domain=[lo, hi], clamp=True)
    cells = alt.Chart(src("cells", good)).mark_rect().encode(
        x=alt.X("k_lo:Q", title="position k (1 = cat/cats, T = last filler)",
                scale=alt.Scale(domain=[0.5, T + 0.5], nice=False, zero=False),
                axis=alt.Axis(values=_k_ticks(T), labelAngle=0, format="d", grid=False)),
        x2="k_hi:Q",
        y=alt.Y("iteration:Q", title="iteration", scale=alt.Scale(domain=[1, iteration_span(run)],
                                                                  reverse=True, nice=False),
                axis=alt.Axis(format="d", tickMinStep=1)),
        y2="iteration_overlap:Q",
        color=alt.Color("log10:Q", title=title, scale=colour_scale,
                        legend=alt.Legend(orient="right", gradientLength=max(120, height - 60))),
        tooltip=[alt.Tooltip("iteration:Q"), alt.Tooltip("k:Q", title="position k"),
                 alt.Tooltip("norm:Q", format=".3e", title="‖∂ℓ/∂h_k‖"),
                 alt.Tooltip("log10:Q", format=".2f",
                             title="log₁₀ of that ÷ ‖∂ℓ/∂h_T‖" if relative else "log₁₀ ‖∂ℓ/∂h_k‖")],
    )
    layers = [cells]
    if len(zeros):
        layers.append(alt.Chart(src("zero_cells", zeros)).mark_rect(color=ZERO_COLOR).encode(
            x="k_lo:Q", x2="k_hi:Q", y="iteration:Q", y2="iteration_overlap:Q",
            tooltip=[alt.Tooltip("iteration:Q"), alt.Tooltip("k:Q", title="position k"),
                     alt.Tooltip("norm:Q", title="‖∂ℓ/∂h_k‖ (exactly 0: nothing flows back)")]))
    if run.diverged_at is not None:
        frame_div = pd.DataFrame({"iteration": [float(run.diverged_at)],
                                  "label": [f"inf/NaN at iteration {run.diverged_at}"]})
        layers.append(alt.Chart(src("divergence_row", frame_div)).mark_rule(color=DIVERGED_COLOR, strokeWidth=2).encode(
            y="iteration:Q", tooltip=alt.Tooltip("label:N", title="stopped")))
    return alt.layer(*layers).properties(width=width, height=height, autosize=FIT_X,
                                         title=chart_title)


def reach_value(run: TrainingRun, row: int) -> float:
    """``||∂ℓ/∂h_1|| / ||∂ℓ/∂h_T||`` at one recorded iteration (NaN where it is not finite)."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        r = float(run.dh_norm[row, 0] / run.dh_norm[row, -1])
    return r if math.isfinite(r) else math.nan


def reach_ratio(run: TrainingRun, row: int) -> str:
    """``||∂ℓ/∂h_1|| / ||∂ℓ/∂h_T||`` at one recorded iteration, as readable text ("3.1e-12", "0.27")."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        r = float(run.dh_norm[row, 0] / run.dh_norm[row, -1])
    if not math.isfinite(r):
        return "not a finite number"
    return f"{r:.2g}" if r >= 1e-3 else f"{r:.1e}"


def _k_ticks(T: int) -> list[int]:
    if T <= 25:
        return list(range(1, T + 1))
    step = 5 if T <= 60 else 10
    return sorted({1, *range(step, T + 1, step), T})


# --------------------------------------------------------------------------- the sweep

def sweep_frame(sweep: GapSweep) -> pd.DataFrame:
    """One row per gap and seed: held-out accuracy (NaN if training diverged), last training loss,
    outcome, and ``shown`` (a diverged run drawn at chance)."""
    k, s = sweep.test_accuracy.shape
    acc = sweep.test_accuracy.ravel()
    div = sweep.diverged.ravel()
    return pd.DataFrame({
        "gap": np.repeat(sweep.gaps, s),
        "seed": np.tile(sweep.seeds, k),
        "accuracy": acc,
        "final_loss": sweep.final_loss.ravel(),
        "outcome": np.where(div, "diverged (inf/NaN)", "trained"),
        "shown": np.where(div, CHANCE, acc),
    })


def sweep_mean_frame(sweep: GapSweep) -> pd.DataFrame:
    """One row per gap: mean held-out accuracy over the seeds (diverged runs count as chance)."""
    return pd.DataFrame({"gap": sweep.gaps, "mean": sweep.mean_accuracy,
                         "learned": (np.where(sweep.diverged, 0.0, sweep.test_accuracy) >= 0.9).sum(axis=1),
                         "seeds": np.full(len(sweep.gaps), len(sweep.seeds))})


def sweep_summary(sweep: GapSweep) -> str:
    """One sentence on what the sweep found: up to which gap the network learned, from which on it
    stayed near chance."""
    mean = sweep.mean_accuracy
    gaps = sweep.gaps
    learned = gaps[mean >= 0.9]
    chance = gaps[np.abs(mean - CHANCE) <= 0.1]
    parts = []
    if learned.size:
        parts.append(f"the network learned (mean held-out accuracy ≥ 90 %) at L = {', '.join(map(str, learned))}")
    else:
        parts.append("the network reached 90 % at no gap")
    if chance.size:
        parts.append(f"it stayed within 10 points of chance at L = {', '.join(map(str, chance))}")
    if sweep.diverged.any():
        bad = gaps[sweep.diverged.any(axis=1)]
        parts.append(f"training blew up to inf/NaN at L = {', '.join(map(str, bad))}")
    text = "; ".join(parts)
    return text[0].upper() + text[1:] + "."


def sweep_chart(sweep: GapSweep, *, width: int = 700, height: int = 260, src: _Sources | None = None
                ) -> alt.LayerChart:
    """Held-out accuracy against the gap L: each seed a dot, the mean a line, chance dashed,
    diverged runs as red crosses at chance."""
    src = src or _Sources()
    frame = sweep_frame(sweep)
    means = sweep_mean_frame(sweep)
    x = alt.X("gap:Q", title="gap L (filler words between subject and verb)",
              scale=alt.Scale(domain=[0, max(int(sweep.gaps.max()), 1) * 1.03], nice=False))
    yscale = alt.Scale(domain=[0, 1.02], nice=False)
    tips = [alt.Tooltip("gap:Q", title="gap L"), alt.Tooltip("seed:Q"),
            alt.Tooltip("accuracy:Q", format=".1%", title="held-out accuracy"),
            alt.Tooltip("final_loss:Q", format=".3g", title="last training loss"), alt.Tooltip("outcome:N")]
    mean_line = alt.Chart(src("means", means)).mark_line(color=ACCURACY_COLOR, strokeWidth=2.5,
                                           point=alt.OverlayMarkDef(size=50, filled=True,
                                                                    color=ACCURACY_COLOR)).encode(
        x=x, y=alt.Y("mean:Q", title="held-out accuracy after training", scale=yscale, axis=alt.Axis(format="%")),
        tooltip=[alt.Tooltip("gap:Q", title="gap L"), alt.Tooltip("mean:Q", format=".1%", title="mean accuracy"),
                 alt.Tooltip("learned:Q", title="seeds reaching 90 %"), alt.Tooltip("seeds:Q")])
    trained = frame[frame["outcome"] == "trained"]
    dots = alt.Chart(src("seeds", trained)).mark_circle(color=NEUTRAL_COLOR, size=45, opacity=0.8).encode(
        x=x, y=alt.Y("shown:Q", scale=yscale), tooltip=tips)
    chance = alt.Chart(src("chance", pd.DataFrame({"y": [CHANCE], "label": ["chance: 50 %"]}))).mark_rule(
        color=NEUTRAL_COLOR, strokeDash=[4, 4]).encode(y="y:Q", tooltip=alt.Tooltip("label:N", title="reference"))
    layers = [chance, dots, mean_line]
    div = frame[frame["outcome"] != "trained"]
    if len(div):
        layers.append(alt.Chart(src("diverged", div)).mark_point(shape="cross", color=DIVERGED_COLOR, size=120, filled=True)
                      .encode(x=x, y=alt.Y("shown:Q", scale=yscale), tooltip=tips))
    return alt.layer(*layers).properties(width=width, height=height, autosize=FIT_X,
                                         title="Accuracy against the gap")


def _per_cell(sweeps, frame) -> pd.DataFrame:
    """``frame(sweep)`` for every cell of ``sweeps`` ({cell: GapSweep}), stacked, with the cell's label."""
    frames = []
    for cell, sw in sweeps.items():
        f = frame(sw)
        f.insert(0, "cell", CELL_LABELS.get(cell, cell))
        frames.append(f)
    return pd.concat(frames, ignore_index=True)


def sweep_compare_frame(sweeps) -> pd.DataFrame:
    """One row per cell, gap and seed (``sweeps``: {cell: GapSweep}), with the cell's label."""
    return _per_cell(sweeps, sweep_frame)


def sweep_compare_mean_frame(sweeps) -> pd.DataFrame:
    """One row per cell and gap: the mean held-out accuracy over the seeds."""
    return _per_cell(sweeps, sweep_mean_frame)


def sweep_compare_summary(sweeps) -> str:
    """One sentence per cell: up to which gap it learned."""
    parts = []
    for cell, sw in sweeps.items():
        learned = sw.gaps[sw.mean_accuracy >= 0.9]
        name = CELL_LABELS.get(cell, cell)
        if learned.size == len(sw.gaps):
            parts.append(f"the {name} learned at every gap up to L = {int(sw.gaps.max())}")
        elif learned.size:
            parts.append(f"the {name} learned at L = {', '.join(map(str, learned))} only")
        else:
            parts.append(f"the {name} reached 90 % at no gap")
    text = "; ".join(parts)
    return text[0].upper() + text[1:] + "."


def sweep_compare_chart(sweeps, *, width: int = 700, height: int = 260, src: _Sources | None = None
                        ) -> alt.LayerChart:
    """Held-out accuracy against the gap for several cells (``{cell: GapSweep}``) on one axis: a
    coloured line of means per cell, each seed a dot, chance dashed."""
    src = src or _Sources()
    frame = sweep_compare_frame(sweeps)
    means = sweep_compare_mean_frame(sweeps)
    gmax = max(int(sw.gaps.max()) for sw in sweeps.values())
    x = alt.X("gap:Q", title="gap L (filler words between subject and verb)",
              scale=alt.Scale(domain=[0, max(gmax, 1) * 1.03], nice=False))
    yscale = alt.Scale(domain=[0, 1.02], nice=False)
    labels = [CELL_LABELS.get(c, c) for c in sweeps]
    colour = alt.Color("cell:N", title="cell", scale=alt.Scale(
        domain=labels, range=[CELL_COLORS.get(c, NEUTRAL_COLOR) for c in sweeps]), legend=alt.Legend(orient="top"))
    tips = [alt.Tooltip("cell:N"), alt.Tooltip("gap:Q", title="gap L"), alt.Tooltip("seed:Q"),
            alt.Tooltip("accuracy:Q", format=".1%", title="held-out accuracy"),
            alt.Tooltip("final_loss:Q", format=".3g", title="last training loss"), alt.Tooltip("outcome:N")]
    chance = alt.Chart(src("chance", pd.DataFrame({"y": [CHANCE], "label": ["chance: 50 %"]}))).mark_rule(
        color=NEUTRAL_COLOR, strokeDash=[4, 4]).encode(y="y:Q", tooltip=alt.Tooltip("label:N", title="reference"))
    dots = alt.Chart(src("seeds", frame)).mark_point(size=45, opacity=0.7, filled=True).encode(
        x=x, y=alt.Y("shown:Q", scale=yscale), color=colour,
        shape=alt.Shape("outcome:N", title="run", scale=alt.Scale(domain=["trained", "diverged (inf/NaN)"],
                                                                  range=["circle", "cross"])),
        tooltip=tips)
    lines = alt.Chart(src("means", means)).mark_line(strokeWidth=2.5, point=alt.OverlayMarkDef(size=50, filled=True)
                                                     ).encode(
        x=x, y=alt.Y("mean:Q", title="held-out accuracy after training", scale=yscale, axis=alt.Axis(format="%")),
        color=colour,
        tooltip=[alt.Tooltip("cell:N"), alt.Tooltip("gap:Q", title="gap L"),
                 alt.Tooltip("mean:Q", format=".1%", title="mean accuracy"),
                 alt.Tooltip("learned:Q", title="seeds reaching 90 %"), alt.Tooltip("seeds:Q")])
    return alt.layer(chance, dots, lines).properties(width=width, height=height, autosize=FIT_X,
                                                     title="Accuracy against the gap: " + " vs ".join(labels))


# --------------------------------------------------------------------------- specs for the app

def loss_accuracy_spec(run: TrainingRun, **kwargs) -> dict:
    """:func:`loss_accuracy_chart` as a cached spec with named datasets."""
    return _spec(loss_accuracy_chart, run, **kwargs)


def grad_norm_spec(run: TrainingRun, **kwargs) -> dict:
    """:func:`grad_norm_chart` as a cached spec with named datasets."""
    return _spec(grad_norm_chart, run, **kwargs)


def dh_heatmap_spec(run: TrainingRun, **kwargs) -> dict:
    """:func:`dh_heatmap` as a cached spec with named datasets."""
    return _spec(dh_heatmap, run, **kwargs)


def sweep_spec(sweep: GapSweep, **kwargs) -> dict:
    """:func:`sweep_chart` as a cached spec with named datasets."""
    return _spec(sweep_chart, sweep, **kwargs)


# --------------------------------------------------------------------------- live progress

def sweep_compare_spec(sweeps, **kwargs) -> dict:
    """:func:`sweep_compare_chart` as a cached spec with named datasets."""
    return _spec(sweep_compare_chart, sweeps, **kwargs)


def training_live_spec(loss, accuracy, *, iterations: int, width: int = 700, height: int = 160) -> dict:
    """A light Vega-Lite spec of loss and accuracy so far, for redrawing during training (no Altair
    build: about a tenth of a millisecond plus the data)."""
    loss = np.asarray(loss, dtype=np.float64)
    acc = np.asarray(accuracy, dtype=np.float64)
    idx = thin_indices(len(loss), 400)
    values = []
    for i in idx:
        it = int(i) + 1
        if math.isfinite(loss[i]):
            values.append({"iteration": it, "series": "loss (nats)", "value": float(loss[i])})
        values.append({"iteration": it, "series": "accuracy", "value": float(acc[i])})
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "width": width, "height": height, "autosize": {"type": "fit-x", "contains": "padding"},
        "data": {"values": values},
        "mark": {"type": "line", "clip": True},
        "encoding": {
            "x": {"field": "iteration", "type": "quantitative", "title": "iteration",
                  "scale": {"domain": [0, max(int(iterations), 2)], "nice": False}},
            "y": {"field": "value", "type": "quantitative", "title": "loss (nats) and accuracy"},
            "color": {"field": "series", "type": "nominal", "title": None,
                      "scale": {"domain": ["loss (nats)", "accuracy"], "range": [LOSS_COLOR, ACCURACY_COLOR]},
                      "legend": {"orient": "top"}},
        },
    }
