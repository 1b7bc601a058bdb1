"""Training lab (page 5): its controls, the link labels of its choices, and its presets with checks.

Each preset is one definition: its training configuration is :data:`rnnviz.TRAINING_SCENARIOS`'s
(the core's tests train those), its label, caption and check are here, and its control values
are derived from the configuration by :func:`widget_values`.
"""

from __future__ import annotations

import math

import numpy as np

from ..training import TRAINING_SCENARIOS, TrainingConfig, TrainingRun, compare_cells, train
from . import Claim, Preset, View

# Radio labels (also the values in the URL) → core names.
OPTIMIZER_NAMES = {"SGD": "sgd", "Adam": "adam"}
CLIP_NAMES = {"none": "none", "by norm": "norm", "by value": "value"}
ENCODING_NAMES = {"one-hot": "one_hot", "embedding": "embedding"}
CELL_NAMES = {"plain RNN": "rnn", "GRU": "gru", "LSTM": "lstm"}
CHANCE_LOSS = math.log(2)


def _label(names: dict, value: str) -> str:
    return next(k for k, v in names.items() if v == value)


def widget_values(cfg: TrainingConfig) -> dict[str, object]:
    """The control settings (link key → value) that reproduce a training configuration."""
    return {"L": cfg.gap, "f": cfg.nonlinearity, "n": cfg.hidden, "scale": cfg.init_scale,
            "opt": _label(OPTIMIZER_NAMES, cfg.optimizer), "lr": cfg.learning_rate, "its": cfg.iterations,
            "B": cfg.batch, "clip": _label(CLIP_NAMES, cfg.clipping), "c": cfg.threshold, "mom": cfg.momentum,
            "enc": _label(ENCODING_NAMES, cfg.encoding), "seed": cfg.seed, "cell": _label(CELL_NAMES, cfg.cell),
            # the gate-bias control exists only with a gated cell (or in comparison mode)
            **({"bz": cfg.gate_bias} if cfg.cell != "rnn" else {})}


def config(L, f, n, scale, opt, lr, its, B, clip, c, mom, enc, seed, cell, bz) -> TrainingConfig:
    """The training configuration the controls describe (the inverse of :func:`widget_values`)."""
    return TrainingConfig(gap=int(L), hidden=int(n), nonlinearity=f, optimizer=OPTIMIZER_NAMES[opt],
                          learning_rate=lr, momentum=mom, init_scale=scale, iterations=int(its), batch=int(B),
                          clipping=CLIP_NAMES[clip], threshold=c, encoding=ENCODING_NAMES[enc], seed=int(seed),
                          cell=CELL_NAMES[cell], gate_bias=float(bz))


#: The page's controls; ``rel`` (the heat map relative to the last position) and ``seeds`` (seeds per gap
#: of the sweep) change what is drawn or offered, not the run.
DEFAULTS = {**widget_values(TrainingConfig()), "bz": TrainingConfig().gate_bias, "cmp": False, "rel": True,
            "seeds": 1}


def lab(cmp: bool, rel: bool = True, seeds: int = 1, **values) -> dict[str, TrainingRun]:
    """The lab's run(s) at these control values: ``{cell: run}`` (two cells when comparing; ``rel`` and
    ``seeds`` do not change the run)."""
    cfg = config(**values)
    if not cmp:
        return {cfg.cell: train(cfg)}
    partner = "gru" if cfg.cell == "rnn" else "rnn"
    return compare_cells(cfg, ("rnn", partner) if partner != "rnn" else ("rnn", cfg.cell))


def loss_notice(run: TrainingRun) -> str:
    """The Notice of the loss chart: where this run's loss starts, against chance (log 2)."""
    first = run.loss[0]
    start = (f"the loss starts at {first:.3g} here" if math.isfinite(first) else "the loss is not finite from the start")
    return (f"{start}; always guessing 50/50 gives log 2 ≈ {CHANCE_LOSS:.3f} (the dashed line). When the network "
            "has found 'cat' the loss falls towards 0 and accuracy jumps to 100 %; a flat line at 0.693 means it "
            "has learned nothing the first word could tell it.")


#: The step Jacobian the gradient passes on its way back, in words and as a formula, per cell.
JACOBIAN_TEXT = {
    "rnn": "diag(f′) W",
    "gru": "diag(z_t) + diag((1 − z_t)(1 − n_t²) r_t) W_hn + (gate terms): with the update gate z near 1, "
           "close to the identity",
    "lstm": "whose cell-state path is diag(f_t): with the forget gate near 1, close to the identity",
}
JACOBIAN_LATEX = {
    "rnn": r"J_t = \operatorname{diag}\!\big(f'(a_t)\big)\,W",
    "gru": r"J_t = \operatorname{diag}(z_t) + \operatorname{diag}\!\big((1-z_t)(1-n_t^2)\,r_t\big)\,W_{hn}"
           r" + \text{(reset and update gate terms)}",
    "lstm": r"J_t = \frac{\partial(h_t, c_t)}{\partial(h_{t-1}, c_{t-1})},\quad"
            r"\frac{\partial c_t}{\partial c_{t-1}}\Big|_{h_{t-1}} = \operatorname{diag}(f_t)",
}


def heat_notice(cfg: TrainingConfig, first: str, last: str) -> str:
    """The heat map's Notice; ``first``/``last``: the gradient reaching 'cat' at the first and the last
    iteration, in words."""
    return (f"**Notice:** each row is one iteration, each column one word; position 1 is 'cat'/'cats'. Dark is "
            f"small. The gradient that reaches 'cat' at the first iteration was {first}; at the last iteration, "
            f"{last}. On the way back it passes through {cfg.gap} step Jacobians {JACOBIAN_TEXT[cfg.cell]}. "
            "A dark left side is the vanishing gradient — the only word that matters hears almost nothing about "
            "the error. A bright left side means the network has learned to carry 'cat' forward. "
            "Light grey cells: the gradient is exactly 0 there.")


def divergence_warning(run: TrainingRun, what: str) -> str:
    """The warning of a run that blew up at ``run.diverged_at`` (``what``: what became non-finite)."""
    peak = "" if run.peak_grad_norm is None else f"; the gradient norm had reached {run.peak_grad_norm:.3g}"
    return (f"**Training stopped at iteration {run.diverged_at}: {what}.** "
            f"The numbers overflowed float64{peak}. This is the exploding gradient of the lecture: one "
            "huge step sends the weights so far that the states overflow to inf, and inf − inf is NaN. "
            "Clip the gradient (by global norm) or lower the learning rate.")


def comparison_notice(gap: int, gated_name: str, reach_rnn: float, reach_gated: float) -> str:
    """The side-by-side heat maps' Notice, from the gradient reaching 'cat' at the last iteration in the
    plain RNN (``reach_rnn``) and in the gated cell (``reach_gated``)."""
    if reach_gated > 100 * reach_rnn:
        story = (f"in the plain RNN it goes dark — the gradient dies on its way back through {gap} steps "
                 f"of diag(f′) W — while in the {gated_name} it stays lit, because the gate keeps the step "
                 "Jacobian close to the identity. Only the network whose first word still hears the error can "
                 "learn the agreement.")
    else:
        story = (f"at this gap of {gap} words both still carry the gradient to 'cat'. Stretch L to 40–60 "
                 "(or click preset 4) and the plain RNN's left edge goes dark while the "
                 f"{gated_name}'s stays lit.")
    return ("**Notice:** both maps share one colour scale, so equal colours are equal values. Look at the left "
            "edge, position 1 ('cat'/'cats'), as training goes down the rows: " + story)


#: The sweep's Notices, after the summary of its numbers ({gated}: the gated cell's name).
SWEEP_COMPARE_NOTICE = (
    "Compare where each line falls to the dashed chance line: the further right the {gated}'s line stays up, the "
    "further its gate has carried the gradient, and so the memory of 'cat'. With preset 4's settings and seed 0 "
    "the plain RNN is at chance at L = 40 and 60 while the GRU reaches 100 % at every gap up to 100 (a single "
    "seed can get lucky — that plain RNN hit 98 % at L = 100 — so add seeds). Each dot is one seed; crosses are "
    "runs that blew up.")
SWEEP_NOTICE = (
    "At short gaps the network learns; as L grows, fewer and fewer seeds do, and the mean falls to the dashed "
    "chance line: a vanilla RNN cannot carry 'cat' across a long sentence, because the gradient that would teach "
    "it to vanishes on the way back. (Each grey dot is one seed; crosses are runs that blew up.)")


def _at_chance(run: TrainingRun) -> bool:
    return run.completed and abs(run.test_accuracy - 0.5) < 0.1


def _scenario(name: str, label: str, caption: str, expect, **extra) -> Preset:
    return Preset(label, caption, {**widget_values(TRAINING_SCENARIOS[name]), **extra}, expect=expect)


PRESETS = (
    _scenario(
        "explode", "1 · Explodes to NaN",
        "ReLU units, W initialised large (g = 2), SGD with a large learning rate (3) and no clipping: "
        "within a few iterations the gradient norm shoots up by dozens of orders of magnitude, one "
        "update throws the weights off, the states overflow and the loss becomes NaN. Training stops "
        "and the page says where. (Switch f to tanh: its states are bounded, so nothing overflows and no "
        "NaN appears, but the gradient still spikes about a hundredfold and the loss keeps jumping to the "
        "end; clipped, it learns to 100 %.)",
        lambda r: (run := r["rnn"]).diverged_at is not None and run.diverged_at <= 10
        and np.log10(np.nanmax(run.grad_norm[np.isfinite(run.grad_norm)]) / run.grad_norm[0]) > 24),
    _scenario(
        "clipped", "2 · Same, clipped",
        "Exactly scenario 1, but before every step the gradient is clipped by its global norm to "
        "c = 0.1 (PyTorch's clip_grad_norm_). The first gradient is the very same — far above the "
        "threshold line — but the step it produces is many times shorter, so the weights are never "
        "thrown off, the gradient never explodes, and the network learns within a few iterations.",
        lambda r: (run := r["rnn"]).completed and run.diverged_at is None and run.grad_norm[0] > 10 * 0.1
        and run.test_accuracy > 0.95 and np.all(np.isfinite(run.grad_norm))),
    _scenario(
        "long_gap", "3 · Long gap: stays at chance",
        "The default settings, but 60 filler words between subject and verb. Nothing explodes; "
        "instead the gradient that reaches 'cat' is many orders of magnitude smaller than at the last "
        "word (the dark left side of the heat map), and accuracy stays at 50 %: a coin toss.",
        lambda r: _at_chance(run := r["rnn"]) and run.dh_norm[-1, 0] / run.dh_norm[-1, -1] < 1e-6),
    _scenario(
        "gru_cure", "4 · The GRU carries the gradient",
        "Scenario 3's 60-word gap, trained with Adam (lr 0.01), the plain RNN and a GRU side by side with the "
        "same seed, data and W. The plain RNN stays at a coin toss and the gradient reaching 'cat' fades to "
        "nothing; the GRU's update gate (bias 1, z ≈ 0.73) lets the gradient through, and it learns to 100 %.",
        lambda r: _at_chance(r["rnn"]) and r["gru"].test_accuracy == 1.0
        and r["rnn"].dh_norm[-1, 0] / r["rnn"].dh_norm[-1, -1] < 1e-6
        and round(1 / (1 + math.exp(-1.0)), 2) == 0.73,
        cmp=True),
)

EXPLODE_TANH = {**widget_values(TRAINING_SCENARIOS["explode"]), "f": "tanh"}

CLAIMS = (
    Claim("preset 1's caption, with f = tanh", "nothing overflows, no NaN, the gradient spikes about a "
          "hundredfold and the loss keeps jumping to the end",
          expect=lambda r: (run := r["rnn"]).completed and run.diverged_at is None
          and np.all(np.isfinite(run.loss)) and run.grad_norm.max() > 50 * run.grad_norm[0]
          and run.loss[-20:].max() > 1.0, values=EXPLODE_TANH),
    Claim("preset 1's caption, with f = tanh, clipped", "it learns to 100 %",
          expect=lambda r: r["rnn"].completed and r["rnn"].test_accuracy == 1.0,
          values={**EXPLODE_TANH, "clip": "by norm"}),
    Claim("loss chart Notice at the defaults", "the loss starts at 0.792 here, not at log 2",
          expect=lambda r: "starts at 0.792 here" in loss_notice(r["rnn"]) and r["rnn"].test_accuracy > 0.95),
)

VIEW = View("training", DEFAULTS, lab, PRESETS, CLAIMS)
VIEWS = (VIEW,)
