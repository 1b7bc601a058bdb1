"""Training a vanilla RNN on the agreement task, by back-propagation through time.

Model: the RNN of :mod:`rnnviz.rnn` (``a_t = W h_{t-1} + U x_t + b``, ``h_t = f(a_t)``, ``h_0 = 0``)
reads the subject and the ``gap`` fillers; a softmax read-out of the last state,
``p = softmax(V h_T + c)``, says "was" or "were". The loss is the mean cross-entropy over the batch.
Its gradient with respect to ``h_T`` is handed to :func:`rnnviz.bptt`, which returns the gradients of
``W``, ``U``, ``b`` and ``dL/dh_k`` at every position k; the read-out's own gradients come from
:func:`softmax_readout`. Gradients may be clipped (PyTorch's global norm or value, from
:mod:`rnnviz.clipping`) before an SGD-with-momentum or Adam update.

Everything is deterministic for a seed. :func:`iterate_training` is a generator of per-iteration
records (so an app can draw progress and stop early); :func:`train` runs to the end. Overflow is
content: the iteration where the loss, the gradient or the parameters stopped being finite is
recorded and training stops there, without an exception or a warning.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, fields
from types import MappingProxyType

import numpy as np

from . import agreement
from ._validate import MAX_HIDDEN, as_array, check_choice, check_float, check_int
from .clipping import clip_by_norm, clip_by_value, total_norm
from .gated import (GRUParams, LSTMParams, _gru_bptt, _gru_forward, _lstm_bptt, _lstm_forward, gru_bptt,
                    gru_forward, init_gru, init_lstm, lstm_bptt, lstm_forward)
from .nonlinearities import NONLINEARITIES, get_nonlinearity
from .rnn import _bptt, _forward, bptt, forward, init_recurrent

#: Recurrent cells the lab can train: the plain (vanilla) RNN of :mod:`rnnviz.rnn`, and the gated
#: GRU and LSTM of :mod:`rnnviz.gated`.
CELLS: tuple[str, ...] = ("rnn", "gru", "lstm")
#: Optimisers: SGD with (heavy-ball, PyTorch-style) momentum, and Adam.
OPTIMIZERS: tuple[str, ...] = ("sgd", "adam")
#: Gradient clipping before the update: none, PyTorch ``clip_grad_norm_`` (global L2 norm) or
#: PyTorch ``clip_grad_value_``.
CLIPPINGS: tuple[str, ...] = ("none", "norm", "value")
#: What can stop being finite, in the order it is checked within an iteration.
NONFINITE_WHAT: tuple[str, ...] = ("loss", "gradient", "parameters")
#: Gaps of the accuracy-versus-gap sweep.
DEFAULT_SWEEP_GAPS: tuple[int, ...] = (1, 5, 10, 15, 20, 30, 40, 60, 100)
#: Adam's constants (PyTorch and Kingma & Ba defaults).
ADAM_BETAS = (0.9, 0.999)
ADAM_EPS = 1e-8
MAX_ITERATIONS = 20_000
MAX_BATCH = 4096

_PARAM_NAMES = ("W", "U", "b", "V", "c")


def _check_labels(labels, B: int, k: int) -> np.ndarray:
    """``labels``: B whole numbers in 0..k-1 (integer arrays, or floats that are whole numbers)."""
    msg = f"labels must be {B} whole numbers in 0..{k - 1}"
    arr = as_array(labels, "labels", ndim=1, allow_empty=True)
    if arr.shape != (B,):
        raise ValueError(f"{msg}; got shape {arr.shape}.")
    if B and (np.any(arr != np.round(arr)) or arr.min() < 0 or arr.max() >= k):
        raise ValueError(f"{msg}; got values from {arr.min()} to {arr.max()}.")
    return arr.astype(np.int64)


def _check_params(params) -> RNNParams | GatedParams:
    if not isinstance(params, (RNNParams, GatedParams)):
        raise ValueError(f"params must be the model's parameters (RNNParams or GatedParams, from init_params or a "
                         f"training run); got {type(params).__name__}.")
    return params


def _check_config(config) -> TrainingConfig:
    if not isinstance(config, TrainingConfig):
        raise ValueError(f"config must be a TrainingConfig; got {type(config).__name__}.")
    return config


@dataclass(frozen=True)
class TrainingConfig:
    """Every setting of a training run; hashable, so it can key a cache.

    ``gap`` fillers between subject and verb; ``hidden`` units n; ``nonlinearity`` f (any of
    :data:`rnnviz.NONLINEARITIES`); ``optimizer`` "sgd" or "adam" with ``learning_rate`` (and
    ``momentum`` for SGD); ``init_scale`` g: W starts with entries N(0, g²/n); ``iterations``
    updates on fresh batches of ``batch`` sequences; ``clipping`` "none", "norm" or "value" with
    ``threshold``; ``encoding`` "one_hot" or "embedding"; ``seed`` fixes weights and data;
    ``eval_batch`` held-out sequences for the final accuracy.

    ``cell`` is "rnn" (the plain RNN, the default), "gru" or "lstm". For a gated cell,
    ``nonlinearity`` is ignored (its candidate uses tanh, its gates the sigmoid), ``init_scale``
    sets all its recurrent matrices (the candidate's ``W_hn`` / ``W_hg`` is the very W the plain RNN
    gets from the same seed), and ``gate_bias`` is the initial bias of the GRU's update gate ``b_z``
    (the LSTM's forget gate ``b_f``): positive keeps the gate near 1, the "keep the memory" regime.
    The plain RNN ignores ``gate_bias``.
    """

    gap: int = 10
    hidden: int = 32
    nonlinearity: str = "tanh"
    optimizer: str = "sgd"
    learning_rate: float = 0.1
    momentum: float = 0.9
    init_scale: float = 1.0
    iterations: int = 300
    batch: int = 64
    clipping: str = "none"
    threshold: float = 1.0
    encoding: str = "one_hot"
    seed: int = 0
    eval_batch: int = 1000
    cell: str = "rnn"
    gate_bias: float = 1.0

    def __post_init__(self) -> None:
        checked = {
            "gap": check_int(self.gap, "gap L", low=1, high=agreement.MAX_GAP),
            "hidden": check_int(self.hidden, "hidden size n", low=1, high=MAX_HIDDEN),
            "nonlinearity": check_choice(self.nonlinearity, "nonlinearity", NONLINEARITIES),
            "optimizer": check_choice(self.optimizer, "optimizer", OPTIMIZERS),
            "learning_rate": check_float(self.learning_rate, "learning rate", low=0.0, strict_low=True,
                                         high=1e6),
            "momentum": check_float(self.momentum, "momentum", low=0.0, high=0.999),
            "init_scale": check_float(self.init_scale, "initial weight scale", low=0.0, high=1e6),
            "iterations": check_int(self.iterations, "iterations", low=1, high=MAX_ITERATIONS),
            "batch": check_int(self.batch, "batch size", low=1, high=MAX_BATCH),
            "clipping": check_choice(self.clipping, "clipping", CLIPPINGS),
            "threshold": check_float(self.threshold, "clipping threshold", low=0.0, strict_low=True,
                                     high=1e12),
            "encoding": check_choice(self.encoding, "encoding", agreement.ENCODINGS),
            "seed": check_int(self.seed, "seed", low=0, high=2**32 - 1),
            "eval_batch": check_int(self.eval_batch, "evaluation batch", low=2, high=100_000),
            "cell": check_choice(self.cell, "cell", CELLS),
            "gate_bias": check_float(self.gate_bias, "gate bias", low=-20.0, high=20.0),
        }
        for name, value in checked.items():  # normalise types (np.int64 -> int, etc.) for hashing
            object.__setattr__(self, name, value)

    @property
    def T(self) -> int:
        """Sequence length: the subject plus ``gap`` fillers."""
        return self.gap + 1

    @property
    def partner(self) -> TrainingConfig:
        """The other model of a plain-against-gated comparison (:func:`comparison_cells`), every
        other setting the same."""
        plain, gated = comparison_cells(self.cell)
        return self.replace(cell=gated if self.cell == plain else plain)

    def replace(self, **changes) -> TrainingConfig:
        """A copy with some settings changed (validated again)."""
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        unknown = set(changes) - set(values)
        if unknown:
            raise ValueError(f"Unknown training setting(s): {', '.join(sorted(unknown))}.")
        values.update(changes)
        return TrainingConfig(**values)


@dataclass(frozen=True)
class RNNParams:
    """The model's parameters: RNN ``W`` (n, n), ``U`` (n, m), ``b`` (n,); read-out ``V`` (2, n), ``c`` (2,)."""

    W: np.ndarray
    U: np.ndarray
    b: np.ndarray
    V: np.ndarray
    c: np.ndarray

    def as_tuple(self) -> tuple[np.ndarray, ...]:
        return tuple(getattr(self, k) for k in _PARAM_NAMES)

    @classmethod
    def from_sequence(cls, arrays: Sequence[np.ndarray]) -> RNNParams:
        return cls(**dict(zip(_PARAM_NAMES, arrays)))

    def all_finite(self) -> bool:
        return all(bool(np.all(np.isfinite(a))) for a in self.as_tuple())

    def from_flat(self, arrays: Sequence[np.ndarray]) -> RNNParams:
        """Parameters of the same model from arrays in the order of :meth:`as_tuple`."""
        return RNNParams.from_sequence(arrays)


@dataclass(frozen=True)
class GatedParams:
    """A gated model's parameters: the ``cell`` (:class:`rnnviz.GRUParams` or :class:`rnnviz.LSTMParams`)
    and the read-out ``V`` (2, n), ``c`` (2,)."""

    cell: GRUParams | LSTMParams
    V: np.ndarray
    c: np.ndarray

    def as_tuple(self) -> tuple[np.ndarray, ...]:
        return (*self.cell.arrays(), self.V, self.c)

    def from_flat(self, arrays: Sequence[np.ndarray]) -> GatedParams:
        """Parameters of the same model from arrays in the order of :meth:`as_tuple`."""
        arrays = list(arrays)
        return GatedParams(cell=type(self.cell)(*arrays[:-2]), V=arrays[-2], c=arrays[-1])

    def all_finite(self) -> bool:
        return all(bool(np.all(np.isfinite(a))) for a in self.as_tuple())


#: The lab's three one-click demonstrations of the lecture (each verified in tests/test_training.py):
#: ``"explode"``: ReLU, W initialised large, SGD with a large learning rate, no clipping -> the loss
#: becomes NaN within a few iterations; ``"clipped"``: the same with clipping by global norm -> it
#: trains; ``"long_gap"``: the default settings with a 60-word gap -> it stays at chance.
TRAINING_SCENARIOS: Mapping[str, TrainingConfig] = MappingProxyType({
    "explode": TrainingConfig(nonlinearity="relu", optimizer="sgd", learning_rate=3.0, momentum=0.9,
                              init_scale=2.0, clipping="none", threshold=0.1),
    "clipped": TrainingConfig(nonlinearity="relu", optimizer="sgd", learning_rate=3.0, momentum=0.9,
                              init_scale=2.0, clipping="norm", threshold=0.1),
    "long_gap": TrainingConfig(gap=60),
    # The gated cure (verified in tests/test_training_gated.py): at the same 60-word gap, with Adam,
    # the GRU learns where the plain RNN with the very same settings stays at chance.
    "gru_cure": TrainingConfig(gap=60, optimizer="adam", learning_rate=0.01, cell="gru", gate_bias=1.0),
})


def init_params(config: TrainingConfig) -> RNNParams | GatedParams:
    """Initial parameters: W Gaussian with entries N(0, g²/n) (:func:`rnnviz.init_recurrent`),
    U entries N(0, 1/m), V entries N(0, 1/n), biases zero. Deterministic for ``config.seed``.

    For a gated cell: :func:`rnnviz.init_gru` (or :func:`rnnviz.init_lstm`) with the same scale and
    seed (so its candidate matrix is this W) and ``config.gate_bias``; the read-out V is the plain
    RNN's, so the two models start from the same W and the same read-out.
    """
    n = config.hidden
    m = agreement.input_size(encoding=config.encoding)
    rng = np.random.default_rng([config.seed, 3])
    U = rng.standard_normal((n, m)) / math.sqrt(m)
    V = rng.standard_normal((2, n)) / math.sqrt(n)
    if config.cell == "gru":
        cell = init_gru(n, m, scale=config.init_scale, update_bias=config.gate_bias, seed=config.seed)
        return GatedParams(cell=cell, V=V, c=np.zeros(2))
    if config.cell == "lstm":
        cell = init_lstm(n, m, scale=config.init_scale, forget_bias=config.gate_bias, seed=config.seed)
        return GatedParams(cell=cell, V=V, c=np.zeros(2))
    W = init_recurrent(n, "gaussian", scale=config.init_scale, seed=config.seed)
    return RNNParams(W=W, U=U, b=np.zeros(n), V=V, c=np.zeros(2))


# --------------------------------------------------------------------------- loss and gradients

@dataclass(frozen=True)
class Readout:
    """The softmax read-out on a batch: mean cross-entropy ``loss``, ``accuracy``, ``probs`` (B, 2),
    and the gradients of the loss with respect to ``V`` (2, n), ``c`` (2,) and ``h`` = h_T (B, n)."""

    loss: float
    accuracy: float
    probs: np.ndarray
    V: np.ndarray
    c: np.ndarray
    h: np.ndarray


def softmax_readout(V, c, h_last, labels) -> Readout:
    """``z = V h_T + c``, ``p = softmax(z)``, ``L = -mean_b log p_b[y_b]`` and its gradients.

    With ``dz = (p - onehot(y)) / B``: ``dL/dV = dzᵀ h_T``, ``dL/dc = Σ_b dz_b``, ``dL/dh_T = dz V``.
    Computed with a shifted log-sum-exp, so large finite logits are fine; non-finite inputs give
    non-finite outputs without warnings.
    """
    # Non-finite values are content here (a diverged model's state), so only the shapes are refused.
    V = as_array(V, "V", ndim=2, finite=False)
    c = as_array(c, "c", ndim=1, finite=False)
    h_last = as_array(h_last, "h_last", ndim=2, finite=False, allow_empty=True)
    if V.shape[1] != h_last.shape[1] or c.shape != (V.shape[0],):
        raise ValueError(
            f"softmax_readout needs V (k, n), c (k,) and h_last (B, n); got V {V.shape}, c {c.shape}, "
            f"h_last {h_last.shape}."
        )
    if V.shape[0] > MAX_HIDDEN or V.shape[1] > MAX_HIDDEN:
        raise ValueError(f"V is {V.shape[0]} × {V.shape[1]}; at most {MAX_HIDDEN} × {MAX_HIDDEN} is accepted.")
    labels = _check_labels(labels, h_last.shape[0], V.shape[0])
    return _softmax_readout(V, c, h_last, labels)


def _softmax_readout(V: np.ndarray, c: np.ndarray, h_last: np.ndarray, labels: np.ndarray) -> Readout:
    """:func:`softmax_readout` on arrays it (or the training loop that built them) has checked."""
    B = h_last.shape[0]
    with np.errstate(over="ignore", invalid="ignore", under="ignore", divide="ignore"):
        z = h_last @ V.T + c
        zmax = np.max(z, axis=1, keepdims=True)
        shifted = z - zmax
        lse = np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
        logp = shifted - lse
        rows = np.arange(B)
        loss = float(-np.mean(logp[rows, labels])) + 0.0  # + 0.0: a perfect fit reads 0, not -0
        probs = np.exp(logp)
        dz = probs.copy()
        dz[rows, labels] -= 1.0
        dz /= B
        dV = dz.T @ h_last
        dc = dz.sum(axis=0)
        dh = dz @ V
        finite_rows = np.all(np.isfinite(z), axis=1)
        correct = finite_rows & (np.argmax(np.where(np.isfinite(z), z, -np.inf), axis=1) == labels)
        accuracy = float(np.mean(correct))
    return Readout(loss=loss, accuracy=accuracy, probs=probs, V=dV, c=dc, h=dh)


@dataclass(frozen=True)
class LossGradients:
    """Loss, accuracy, all parameter gradients (``grads``, parameters of the same kind as the model's,
    holding gradients) and ``dh``: the total dL/dh_t for t = 0..T, shape (T+1, B, n), from
    :func:`rnnviz.bptt` (or :func:`rnnviz.gru_bptt` / :func:`rnnviz.lstm_bptt`)."""

    loss: float
    accuracy: float
    grads: RNNParams | GatedParams
    dh: np.ndarray


def _gated_loss_and_gradients(params: GatedParams, xs, labels, *, checked: bool = False) -> LossGradients:
    cell = params.cell
    gru = isinstance(cell, GRUParams)
    if checked:  # the training loop: nothing to check again (see _loss_and_gradients)
        h0 = np.zeros((xs.shape[1], cell.n))
        traj = _gru_forward(cell, xs, h0) if gru else _lstm_forward(cell, xs, h0, h0)
        ro = _softmax_readout(params.V, params.c, traj.h[-1], labels)
    else:
        traj = (gru_forward if gru else lstm_forward)(cell, xs)
        ro = softmax_readout(params.V, params.c, traj.h[-1], labels)
    dL_dh = np.zeros_like(traj.h)
    dL_dh[-1] = ro.h
    if checked:
        g = _gru_bptt(cell, xs, traj, dL_dh) if gru else _lstm_bptt(cell, xs, traj, dL_dh, np.zeros_like(dL_dh))
    else:
        g = (gru_bptt if gru else lstm_bptt)(cell, xs, traj, dL_dh)
    grads = GatedParams(cell=type(cell)(*g.arrays()), V=ro.V, c=ro.c)
    return LossGradients(loss=ro.loss, accuracy=ro.accuracy, grads=grads, dh=g.h)


def loss_and_gradients(params: RNNParams | GatedParams, xs, labels, *, nonlinearity: str = "tanh"
                       ) -> LossGradients:
    """Forward pass, read-out at the last step, and BPTT: the whole loss's gradient.

    ``xs`` (T, B, m) as :func:`rnnviz.agreement.encode` makes it, ``labels`` (B,). ``params`` from
    :func:`init_params` (a gated model ignores ``nonlinearity``).
    """
    params = _check_params(params)
    nonlinearity = check_choice(nonlinearity, "nonlinearity", NONLINEARITIES)
    xs = as_array(xs, "xs", ndim=3)
    if isinstance(params, GatedParams):
        return _gated_loss_and_gradients(params, xs, labels)
    traj = forward(params.W, xs, U=params.U, b=params.b, nonlinearity=nonlinearity)
    ro = softmax_readout(params.V, params.c, traj.h[-1], labels)
    return _rnn_backward(params, xs, traj, ro, get_nonlinearity(nonlinearity))


def _rnn_backward(params: RNNParams, xs: np.ndarray, traj, ro: Readout, nl) -> LossGradients:
    dL_dh = np.zeros_like(traj.h)
    dL_dh[-1] = ro.h
    g = _bptt(params.W, xs, traj, dL_dh, params.U, nl)
    grads = RNNParams(W=g.W, U=g.U, b=g.b, V=ro.V, c=ro.c)
    return LossGradients(loss=ro.loss, accuracy=ro.accuracy, grads=grads, dh=g.h)


def _loss_and_gradients(params: RNNParams | GatedParams, xs: np.ndarray, labels: np.ndarray,
                        nl) -> LossGradients:
    """:func:`loss_and_gradients` inside the training loop: the config was checked when it was built,
    and the loop builds params, inputs and labels itself, so nothing is checked again per iteration."""
    if isinstance(params, GatedParams):
        return _gated_loss_and_gradients(params, xs, labels, checked=True)
    h_init = np.zeros((xs.shape[1], params.W.shape[0]))
    traj = _forward(params.W, xs, params.U, params.b, h_init, nl)
    ro = _softmax_readout(params.V, params.c, traj.h[-1], labels)
    return _rnn_backward(params, xs, traj, ro, nl)


# --------------------------------------------------------------------------- optimisers

def _sgd(params, grads, state, lr, momentum):
    # PyTorch SGD: buf <- momentum * buf + g; p <- p - lr * buf.
    bufs = [g.copy() if s is None else momentum * s + g for g, s in zip(grads, state)]
    return [p - lr * v for p, v in zip(params, bufs)], bufs


def _adam(params, grads, state, lr, step):
    b1, b2 = ADAM_BETAS
    ms, vs = state
    ms = [b1 * m + (1 - b1) * g for m, g in zip(ms, grads)]
    vs = [b2 * v + (1 - b2) * g * g for v, g in zip(vs, grads)]
    c1, c2 = 1 - b1**step, 1 - b2**step
    new = [p - lr * (m / c1) / (np.sqrt(v / c2) + ADAM_EPS) for p, m, v in zip(params, ms, vs)]
    return new, (ms, vs)


# --------------------------------------------------------------------------- training

@dataclass(frozen=True)
class TrainingStep:
    """One iteration's record.

    ``iteration`` counts from 1. ``loss`` and ``accuracy`` are on this iteration's training batch,
    before the update. ``grad_norm`` is the global L2 norm of all parameter gradients before
    clipping; ``clipped`` says whether clipping changed them. ``dh_norm`` (T,) is ||∂ℓ/∂h_k|| for
    positions k = 1..T (k = 1 is the subject), averaged over the batch, where ℓ is one sequence's
    loss. ``nonfinite`` names what stopped being finite ("loss", "gradient" or "parameters"), or is
    None; after such a step training stops (no update is applied). ``params`` are the parameters
    after this iteration's update.
    """

    iteration: int
    loss: float
    accuracy: float
    grad_norm: float
    clipped: bool
    dh_norm: np.ndarray
    nonfinite: str | None
    params: RNNParams


def _data_rng(config: TrainingConfig) -> np.random.Generator:
    return np.random.default_rng([config.seed, 1])


def _eval_batch(config: TrainingConfig):
    rng = np.random.default_rng([config.seed, 2])
    return agreement.make_batch(config.gap, config.eval_batch, seed=rng, encoding=config.encoding)


def _clip(config: TrainingConfig, grads: list[np.ndarray]) -> tuple[list[np.ndarray], bool]:
    if config.clipping == "norm":
        clipped, total = clip_by_norm(grads, config.threshold)
        return clipped, bool(total > config.threshold)
    if config.clipping == "value":
        clipped = clip_by_value(grads, config.threshold)
        return clipped, any(bool(np.any(np.abs(g) > config.threshold)) for g in grads)
    return grads, False


def iterate_training(config: TrainingConfig) -> Iterator[TrainingStep]:
    """Train, yielding a :class:`TrainingStep` after every iteration; a pure, seeded generator.

    Each iteration draws a fresh balanced batch, computes the loss and all gradients, records the
    gradient norm and ||dL/dh_k||, clips, and updates. If the loss, the gradient norm or the updated
    parameters are not finite, that iteration is yielded with ``nonfinite`` set and the generator ends.
    """
    cfg = _check_config(config)
    nl = get_nonlinearity(cfg.nonlinearity)
    params = init_params(cfg)
    rng = _data_rng(cfg)
    flat = list(params.as_tuple())
    if cfg.optimizer == "adam":
        opt_state = ([np.zeros_like(p) for p in flat], [np.zeros_like(p) for p in flat])
    else:
        opt_state = [None] * len(flat)
    for it in range(1, cfg.iterations + 1):
        tokens, labels = agreement.sample_tokens(cfg.gap, cfg.batch, rng)
        xs = agreement.encode(tokens, encoding=cfg.encoding)
        with np.errstate(over="ignore", invalid="ignore", under="ignore", divide="ignore"):
            lg = _loss_and_gradients(params, xs, labels, nl)
            grads = list(lg.grads.as_tuple())
            gnorm = total_norm(grads)
            # Per-sequence gradient: the mean loss carries a factor 1/B.
            dh_norm = np.mean(np.sqrt(np.sum(lg.dh[1:] ** 2, axis=-1)), axis=1) * cfg.batch
            nonfinite = None
            if not math.isfinite(lg.loss):
                nonfinite = "loss"
            elif not math.isfinite(gnorm):
                nonfinite = "gradient"
            clipped_flag = False
            new_params = params
            if nonfinite is None:
                clipped, clipped_flag = _clip(cfg, grads)
                if cfg.optimizer == "adam":
                    new_flat, opt_state = _adam(flat, clipped, opt_state, cfg.learning_rate, it)
                else:
                    new_flat, opt_state = _sgd(flat, clipped, opt_state, cfg.learning_rate, cfg.momentum)
                candidate = params.from_flat(new_flat)
                if candidate.all_finite():
                    new_params, flat = candidate, new_flat
                else:
                    nonfinite = "parameters"
        yield TrainingStep(iteration=it, loss=lg.loss, accuracy=lg.accuracy, grad_norm=gnorm,
                           clipped=clipped_flag, dh_norm=dh_norm, nonfinite=nonfinite, params=new_params)
        if nonfinite is not None:
            return
        params = new_params


def held_out_accuracy(params: RNNParams | GatedParams, config: TrainingConfig) -> float:
    """Accuracy on ``config.eval_batch`` held-out sequences (a data stream separate from training)."""
    params = _check_params(params)
    config = _check_config(config)
    batch = _eval_batch(config)
    with np.errstate(over="ignore", invalid="ignore", under="ignore", divide="ignore"):
        if isinstance(params, GatedParams):
            fwd = gru_forward if isinstance(params.cell, GRUParams) else lstm_forward
            h_last = fwd(params.cell, batch.xs).h[-1]
        else:
            h_last = forward(params.W, batch.xs, U=params.U, b=params.b, nonlinearity=config.nonlinearity).h[-1]
        return softmax_readout(params.V, params.c, h_last, batch.labels).accuracy


@dataclass(frozen=True)
class TrainingRun:
    """A finished (or stopped) run: per-iteration arrays and the outcome.

    ``loss``, ``accuracy``, ``grad_norm``, ``clipped`` have one entry per iteration run;
    ``dh_norm`` is (iterations run, T). ``diverged_at`` is the iteration where something stopped
    being finite (``diverged_what`` says what), else None. ``completed`` is True when all
    ``config.iterations`` ran. ``test_accuracy`` is the held-out accuracy of the final parameters
    (NaN after a divergence). ``params`` are the final parameters.
    """

    config: TrainingConfig
    loss: np.ndarray
    accuracy: np.ndarray
    grad_norm: np.ndarray
    clipped: np.ndarray
    dh_norm: np.ndarray
    diverged_at: int | None
    diverged_what: str | None
    completed: bool
    test_accuracy: float
    params: RNNParams

    @property
    def iterations_run(self) -> int:
        return int(self.loss.shape[0])

    @property
    def clipped_share(self) -> float:
        """The share of the iterations in which clipping acted."""
        return float(self.clipped.mean())

    @property
    def peak_grad_norm(self) -> float | None:
        """The largest gradient norm before the iteration that diverged (of every iteration if none
        did); None when there is none (a divergence at the first iteration)."""
        before = self.grad_norm if self.diverged_at is None else self.grad_norm[: self.diverged_at - 1]
        return float(before.max()) if before.size else None

    @property
    def zero_gradient_iterations(self) -> tuple[int | None, int]:
        """(the first iteration, 1-based, whose gradient is exactly 0, or None; how many are)."""
        zero = np.flatnonzero(self.grad_norm == 0)
        return (int(zero[0]) + 1 if zero.size else None, int(zero.size))

    @property
    def iteration(self) -> np.ndarray:
        """Iteration numbers 1..iterations_run."""
        return np.arange(1, self.iterations_run + 1)


def summarize_training(config: TrainingConfig, steps: Sequence[TrainingStep]) -> TrainingRun:
    """Stack the records of :func:`iterate_training` (all of them, or those before a stop)."""
    if not steps:
        raise ValueError("No training iterations to summarise; run at least one.")
    last = steps[-1]
    diverged = last.nonfinite is not None

    def col(name, dtype=np.float64):
        arr = np.array([getattr(s, name) for s in steps], dtype=dtype)
        arr.setflags(write=False)
        return arr

    dh = np.stack([s.dh_norm for s in steps])
    dh.setflags(write=False)
    test_acc = math.nan if diverged else held_out_accuracy(last.params, config)
    return TrainingRun(
        config=config, loss=col("loss"), accuracy=col("accuracy"), grad_norm=col("grad_norm"),
        clipped=col("clipped", bool), dh_norm=dh,
        diverged_at=last.iteration if diverged else None, diverged_what=last.nonfinite,
        completed=(not diverged) and len(steps) == config.iterations,
        test_accuracy=float(test_acc), params=last.params,
    )


def train(config: TrainingConfig) -> TrainingRun:
    """Run :func:`iterate_training` to the end (or to a divergence) and summarise."""
    return summarize_training(config, list(iterate_training(config)))


# --------------------------------------------------------------------------- the gap sweep

@dataclass(frozen=True)
class GapSweep:
    """Held-out accuracy after training at each gap, every other setting fixed, for a few seeds.

    ``gaps`` (k,), ``seeds`` (s,); ``test_accuracy`` (k, s) (NaN where training diverged),
    ``final_loss`` (k, s) the last training loss, ``diverged`` (k, s) bool. Chance is 0.5.
    """

    config: TrainingConfig
    gaps: np.ndarray
    seeds: np.ndarray
    test_accuracy: np.ndarray
    final_loss: np.ndarray
    diverged: np.ndarray

    @property
    def mean_accuracy(self) -> np.ndarray:
        """Mean held-out accuracy per gap over the seeds, counting a diverged run as chance (0.5)."""
        return np.where(self.diverged, 0.5, self.test_accuracy).mean(axis=1)


def _check_gaps(gaps) -> tuple[int, ...]:
    if isinstance(gaps, (int, np.integer)):
        gaps = (gaps,)
    out = tuple(check_int(g, "gap L in the sweep", low=1, high=agreement.MAX_GAP) for g in gaps)
    if not out:
        raise ValueError("The sweep needs at least one gap.")
    return out


def sweep_seeds(config: TrainingConfig, seeds: int) -> tuple[int, ...]:
    """The seeds a sweep trains with: ``config.seed``, ``config.seed + 1``, ..."""
    config = _check_config(config)
    seeds = check_int(seeds, "seeds per gap", low=1, high=20)
    return tuple(config.seed + i for i in range(seeds))


def iterate_gap_sweep(config: TrainingConfig, gaps=DEFAULT_SWEEP_GAPS, *, seeds: int = 1
                      ) -> Iterator[tuple[int, int, TrainingRun]]:
    """Train once per gap and seed (every other setting from ``config``), yielding ``(gap, seed, run)``
    as each run ends, gap by gap."""
    gaps = _check_gaps(gaps)
    for g in gaps:
        for s in sweep_seeds(config, seeds):
            yield g, s, train(config.replace(gap=g, seed=s))


def summarize_sweep(config: TrainingConfig, results: Sequence[tuple[int, int, TrainingRun]]) -> GapSweep:
    """Collect complete ``(gap, seed, run)`` results (from :func:`iterate_gap_sweep`) into a :class:`GapSweep`."""
    if not results:
        raise ValueError("No sweep results to summarise.")
    gaps = sorted({g for g, _, _ in results})
    seeds = sorted({s for _, s, _ in results})
    index = {(g, s): r for g, s, r in results}
    if len(index) != len(gaps) * len(seeds):
        raise ValueError("The sweep results are incomplete: every gap needs a run for every seed.")

    def arr(fn, dtype=np.float64):
        a = np.array([[fn(index[g, s]) for s in seeds] for g in gaps], dtype=dtype)
        a.setflags(write=False)
        return a

    g_arr = np.array(gaps, dtype=np.int64)
    s_arr = np.array(seeds, dtype=np.int64)
    g_arr.setflags(write=False)
    s_arr.setflags(write=False)
    return GapSweep(
        config=config, gaps=g_arr, seeds=s_arr,
        test_accuracy=arr(lambda r: r.test_accuracy),
        final_loss=arr(lambda r: r.loss[-1]),
        diverged=arr(lambda r: r.diverged_at is not None, bool),
    )


def gap_sweep(config: TrainingConfig, gaps=DEFAULT_SWEEP_GAPS, *, seeds: int = 1) -> GapSweep:
    """Final held-out accuracy against the gap L: the vanishing gradient, as a learning curve."""
    return summarize_sweep(config, list(iterate_gap_sweep(config, gaps, seeds=seeds)))


# --------------------------------------------------------------------------- plain against gated

def compare_cells(config: TrainingConfig, cells: Sequence[str] = ("rnn", "gru")) -> dict[str, TrainingRun]:
    """Train the same task with each cell, every other setting (seed, data, W, read-out) from
    ``config``: ``{cell: run}``. The default compares the plain RNN with the GRU."""
    cells = tuple(check_choice(c, "cell", CELLS) for c in cells)
    if not cells:
        raise ValueError("Name at least one cell to compare.")
    return {c: train(config.replace(cell=c)) for c in cells}


def comparison_cells(cell: str) -> tuple[str, str]:
    """The plain RNN and the gated cell a comparison trains for ``cell``, plain first: the GRU is the
    plain RNN's partner, the plain RNN a gated cell's."""
    cell = check_choice(cell, "cell", CELLS)
    return ("rnn", "gru" if cell == "rnn" else cell)


def sweep_runs(gaps=DEFAULT_SWEEP_GAPS, *, seeds: int = 1, cells: int = 1) -> int:
    """How many trainings a sweep over ``gaps`` with ``seeds`` seeds for ``cells`` cells takes."""
    return len(_check_gaps(gaps)) * check_int(seeds, "seeds per gap", low=1, high=20) * check_int(
        cells, "cells", low=1, high=len(CELLS))


def sweep_seconds(run_seconds: float, config: TrainingConfig, gaps=DEFAULT_SWEEP_GAPS, *, seeds: int = 1,
                  cells: int = 1) -> float:
    """About how long a sweep takes, from ``run_seconds`` that one run of ``config`` took: training
    time grows with the sequence length, so the run's time per step times the sweep's steps."""
    config = _check_config(config)
    run_seconds = check_float(run_seconds, "run time in seconds", low=0.0)
    gaps = _check_gaps(gaps)
    repeats = sweep_runs(gaps, seeds=seeds, cells=cells) // len(gaps)   # seeds × cells, checked
    return run_seconds * sum(g + 1 for g in gaps) * repeats / config.T


def compare_gap_sweeps(config: TrainingConfig, gaps=DEFAULT_SWEEP_GAPS, *, cells: Sequence[str] = ("rnn", "gru"),
                       seeds: int = 1, progress=None) -> dict[str, GapSweep]:
    """:func:`gap_sweep` for each cell with the same settings and seeds: ``{cell: sweep}``.

    ``progress``, if given, is called after each training as ``progress(done, total, cell, gap, seed)``.
    """
    cells = tuple(check_choice(c, "cell", CELLS) for c in cells)
    if not cells:
        raise ValueError("Name at least one cell to compare.")
    total = sweep_runs(gaps, seeds=seeds, cells=len(cells))
    done = 0
    out = {}
    for c in cells:
        results = []
        for gap, seed, run in iterate_gap_sweep(config.replace(cell=c), gaps, seeds=seeds):
            results.append((gap, seed, run))
            done += 1
            if progress is not None:
                progress(done, total, c, gap, seed)
        out[c] = summarize_sweep(config.replace(cell=c), results)
    return out
