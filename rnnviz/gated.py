"""Gated recurrent cells, the cure the lectures announce: a GRU and an LSTM.

Both follow PyTorch's conventions (``torch.nn.GRU`` / ``torch.nn.LSTM``, one layer, with a single
bias per gate where PyTorch's two biases are redundant) and the style of :mod:`rnnviz.rnn`:
``xs`` of shape (T, m), or (T, B, m) for a batch of B sequences through the same weights; states
of shape (T+1, n) or (T+1, B, n) with index 0 the initial state; step Jacobians of an unbatched
trajectory stacked along time; back-propagation through time that returns the parameter
gradients (summed over the batch) and the total gradient at every state.

GRU, t = 1..T (σ the logistic sigmoid, ⊙ the elementwise product)::

    r_t = σ(W_ir x_t + W_hr h_{t-1} + b_r)                  reset gate
    z_t = σ(W_iz x_t + W_hz h_{t-1} + b_z)                  update gate
    n_t = tanh(W_in x_t + b_in + r_t ⊙ (W_hn h_{t-1} + b_hn))  candidate
    h_t = (1 − z_t) ⊙ n_t + z_t ⊙ h_{t-1}

    dh_t/dh_{t-1} = diag(z_t) + diag((1 − z_t)(1 − n_t²) r_t) W_hn
                  + diag((1 − z_t)(1 − n_t²)(W_hn h_{t-1} + b_hn) r_t(1 − r_t)) W_hr
                  + diag((h_{t-1} − n_t) z_t(1 − z_t)) W_hz

With the update gate near 1 the Jacobian is close to the identity: the gradient passes many steps
almost unchanged, the cure for the vanishing gradient. With z ≡ 0 and r ≡ 1 the GRU is the plain
tanh RNN ``h_t = tanh(W_hn h_{t-1} + W_in x_t + b_in + b_hn)``.

LSTM, t = 1..T, state (h_t, c_t)::

    i_t = σ(W_ii x_t + W_hi h_{t-1} + b_i)     input gate
    f_t = σ(W_if x_t + W_hf h_{t-1} + b_f)     forget gate
    g_t = tanh(W_ig x_t + W_hg h_{t-1} + b_g)  cell candidate
    o_t = σ(W_io x_t + W_ho h_{t-1} + b_o)     output gate
    c_t = f_t ⊙ c_{t-1} + i_t ⊙ g_t
    h_t = o_t ⊙ tanh(c_t)

The LSTM's state is the pair (h, c), so its step Jacobian is the 2n × 2n matrix
d(h_t, c_t)/d(h_{t-1}, c_{t-1}) (blocks ordered h then c); products of these give
d(h_T, c_T)/d(h_k, c_k), whose c-to-c path is ``diag(f_t)``: a forget gate near 1 carries the
gradient along the cell state.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
from scipy.special import expit

from ._validate import MAX_HIDDEN, MAX_STEPS, as_array, check_float, check_int
from .rnn import MAX_JACOBIAN_ENTRIES, MAX_SCALE, init_recurrent

#: Parameter names of a GRU, in the order of :class:`GRUParams`' fields (PyTorch's gate order r, z, n).
GRU_PARAM_NAMES: tuple[str, ...] = (
    "W_ir", "W_iz", "W_in", "W_hr", "W_hz", "W_hn", "b_r", "b_z", "b_in", "b_hn",
)
#: Parameter names of an LSTM, in the order of :class:`LSTMParams`' fields (PyTorch's gate order i, f, g, o).
LSTM_PARAM_NAMES: tuple[str, ...] = (
    "W_ii", "W_if", "W_ig", "W_io", "W_hi", "W_hf", "W_hg", "W_ho", "b_i", "b_f", "b_g", "b_o",
)

_ERR = dict(over="ignore", invalid="ignore", under="ignore", divide="ignore")


# --------------------------------------------------------------------------------------------
# Shared checks
# --------------------------------------------------------------------------------------------

def _check_param_arrays(obj, cell: str, input_names, hidden_names, bias_names) -> None:
    """Convert a params dataclass's fields to float64 in place and check that their shapes agree."""
    first = hidden_names[0]
    W0 = as_array(getattr(obj, first), first, ndim=2, finite=False)
    n = W0.shape[0]
    if W0.shape != (n, n):
        raise ValueError(f"{first} must be square (n × n); got shape {W0.shape}.")
    if n > MAX_HIDDEN:
        raise ValueError(f"{cell} has n = {n} hidden units; at most {MAX_HIDDEN} are accepted.")
    m = None
    for name in input_names:
        arr = as_array(getattr(obj, name), name, ndim=2, allow_empty=True, finite=False)
        if arr.shape[0] != n or (m is not None and arr.shape[1] != m):
            want = f"({n}, m)" if m is None else f"({n}, {m})"
            raise ValueError(
                f"{name} has shape {arr.shape}; the {cell}'s input weights must all be {want}: "
                f"n = {n} hidden units (from {first}) by m inputs."
            )
        m = arr.shape[1]
        object.__setattr__(obj, name, arr)
    for name in hidden_names:
        arr = as_array(getattr(obj, name), name, ndim=2, finite=False)
        if arr.shape != (n, n):
            raise ValueError(f"{name} has shape {arr.shape}; it must be ({n}, {n}) like {first}.")
        object.__setattr__(obj, name, arr)
    for name in bias_names:
        arr = as_array(getattr(obj, name), name, ndim=1, finite=False)
        if arr.shape != (n,):
            raise ValueError(f"{name} has shape {arr.shape}; it must be ({n},): one entry per hidden unit.")
        object.__setattr__(obj, name, arr)


def _check_xs(xs, m: int) -> np.ndarray:
    arr = as_array(xs, "xs", allow_empty=True)
    if arr.ndim not in (2, 3):
        raise ValueError(
            f"xs must have shape (T, m), or (T, B, m) for a batch of B sequences; got shape {arr.shape}."
        )
    if arr.shape[0] == 0:
        raise ValueError("xs has T = 0 steps; a sequence needs at least one step.")
    if arr.shape[0] > MAX_STEPS:
        raise ValueError(f"xs has T = {arr.shape[0]} steps; at most {MAX_STEPS} are accepted.")
    if arr.ndim == 3 and arr.shape[1] == 0:
        raise ValueError("xs has a batch of B = 0 sequences; at least one is needed.")
    if arr.shape[-1] != m:
        raise ValueError(
            f"xs has m = {arr.shape[-1]} inputs per step (last axis of shape {arr.shape}), but the "
            f"cell's input weights expect m = {m}."
        )
    return arr


def _check_state0(value, name: str, state_shape: tuple[int, ...]) -> np.ndarray:
    if value is None:
        return np.zeros(state_shape)
    arr = as_array(value, name)
    n = state_shape[-1]
    if len(state_shape) == 2 and arr.shape == (n,):
        arr = np.broadcast_to(arr, state_shape)
    if arr.shape != state_shape:
        accepted = f"({n},) or {state_shape}" if len(state_shape) == 2 else f"({n},)"
        raise ValueError(f"{name} has shape {arr.shape}; it must be {accepted} to match the cell and xs.")
    return arr


def _check_params(params, cls, maker: str):
    """The right parameter class, with finite weights (a diverged training run must be stopped before)."""
    if not isinstance(params, cls):
        raise ValueError(f"params must be a {cls.__name__} (see {maker}()); got {type(params).__name__}.")
    for name, arr in zip(params.NAMES, params.arrays()):
        as_array(arr, name, allow_empty=True)
    return params


def _check_dL(value, name: str, shape: tuple[int, ...]) -> np.ndarray:
    arr = as_array(value, name, finite=False)
    if arr.shape != shape:
        raise ValueError(
            f"{name} has shape {arr.shape}; it must be {shape}: one gradient per state "
            f"h_0..h_T (use zeros where the loss does not look at a state)."
        )
    return arr


def _sum_outer(delta: np.ndarray, other: np.ndarray) -> np.ndarray:
    """Σ over time (and batch) of ``delta_t other_tᵀ``: delta (T, [B,] p), other (T, [B,] q) → (p, q)."""
    axes = list(range(delta.ndim - 1))
    return np.tensordot(delta, other, axes=(axes, axes))


def _sum_leading(delta: np.ndarray) -> np.ndarray:
    return delta.sum(axis=tuple(range(delta.ndim - 1)))


def _sub_seed(seed: int, k: int) -> int:
    """An independent seed for the k-th extra matrix, reproducible from ``seed``."""
    return int(np.random.SeedSequence([seed, k]).generate_state(1)[0])


def _init_common(n, m, scheme, scale, seed, input_scale):
    n = check_int(n, "n (the number of hidden units)", low=1, high=MAX_HIDDEN)
    m = check_int(m, "m (the number of inputs per step)", low=0, high=MAX_HIDDEN)
    scale = check_float(scale, "scale", low=0.0, high=MAX_SCALE)
    input_scale = check_float(input_scale, "input_scale", low=0.0, high=MAX_SCALE)
    seed = check_int(seed, "seed", low=0)
    return n, m, scheme, scale, seed, input_scale


def _input_weights(n: int, m: int, input_scale: float, seed: int, count: int) -> list[np.ndarray]:
    rng = np.random.default_rng([seed, 0x1F])
    std = input_scale / np.sqrt(max(m, 1))
    return [rng.standard_normal((n, m)) * std for _ in range(count)]


def _check_trajectory(traj, cls, fwd: str, expected: dict[str, tuple[int, ...]]) -> None:
    if not isinstance(traj, cls):
        raise ValueError(f"trajectory must be the {cls.__name__} returned by {fwd}(); got {type(traj).__name__}.")
    for name, shape in expected.items():
        got = getattr(traj, name).shape
        if got != shape:
            raise ValueError(
                f"trajectory.{name} has shape {got}, but these params and xs need {shape}; pass the "
                f"trajectory {fwd}() returned for these params and xs."
            )


def _window(traj, start, stop):
    """Steps ``start+1 .. stop`` of a trajectory as one of its own (``h[start]`` its initial state)."""
    T = traj.T
    start = check_int(start, "start", low=0, high=T - 1)
    stop = T if stop is None else check_int(stop, "stop", low=start + 1, high=T)
    return type(traj)(*(getattr(traj, f.name)[start:stop + 1] if f.name in ("h", "c")
                        else getattr(traj, f.name)[start:stop] for f in fields(traj)))


class _Trajectory:
    """What the GRU and LSTM trajectory dataclasses share: sizes, one sequence of a batch, a window.

    Subclasses set ``_STEP``: a field of shape (T, [B,] n), one entry per step.
    """

    _STEP = ""

    @property
    def T(self) -> int:
        """Number of steps."""
        return int(getattr(self, self._STEP).shape[0])

    @property
    def hidden(self) -> int:
        """Number of hidden units n (a GRU's ``.n`` is its candidate, as in PyTorch)."""
        return int(getattr(self, self._STEP).shape[-1])

    @property
    def batched(self) -> bool:
        """Whether there is a batch axis (axis 1)."""
        return getattr(self, self._STEP).ndim == 3

    def sequence(self, i: int):
        """The trajectory of sequence ``i`` of a batch (for the cell's ``*_step_jacobians``)."""
        if not self.batched:
            raise ValueError("sequence(i) selects one sequence of a batch; this trajectory has no batch axis.")
        i = check_int(i, "i (the sequence index)", low=0, high=self.h.shape[1] - 1)
        return type(self)(*(getattr(self, f.name)[:, i] for f in fields(self)))

    def window(self, start: int, stop: int | None = None):
        """Steps ``start+1 .. stop`` (default: to T) as a trajectory of their own, ``h[start]`` its start.

        ``gru_step_jacobians(params, traj.window(k, k + L))`` (or ``lstm_step_jacobians``) gives
        ``J_{k+1} .. J_{k+L}`` without building the other steps' Jacobians (a chunk of a long
        horizon, or the single step ``window(t - 1, t)``).
        """
        return _window(self, start, stop)


def _check_stack_size(T: int, size: int, fn: str) -> None:
    if T * size * size > MAX_JACOBIAN_ENTRIES:
        raise ValueError(
            f"T = {T} Jacobians of {size} × {size} would take {T * size * size * 8 / 1e9:.1f} GB; at most "
            f"{MAX_JACOBIAN_ENTRIES * 8 / 1e9:.1f} GB is built at once. Pass a stretch of steps, "
            f"{fn}(params, trajectory.window(start, stop)), or a shorter sequence."
        )


def _unbatched(traj, fn: str) -> None:
    if traj.batched:
        raise ValueError(
            f"{fn} needs the trajectory of one sequence; this one has a batch of {traj.h.shape[1]}. "
            f"Pass trajectory.sequence(i) for sequence i."
        )


def _row_combination(coefs, mats, out: np.ndarray) -> None:
    """``out[t] = Σ_k diag(coefs[k][t]) mats[k]`` for every t, written into ``out`` (T, n, n).

    One batched matrix product over the rows (batch axis i: (T, K) @ (K, n)), written straight into
    ``out``, instead of K temporaries of size T·n² (several times faster for long horizons).
    """
    C = np.stack(coefs, axis=-1).transpose(1, 0, 2)  # (n, T, K)
    M = np.stack(mats).transpose(1, 0, 2)            # (n, K, n)
    np.matmul(C, M, out=out.transpose(1, 0, 2))


def _add_diagonal(out: np.ndarray, diag: np.ndarray, offset_row: int = 0, offset_col: int = 0) -> None:
    idx = np.arange(diag.shape[-1])
    out[:, offset_row + idx, offset_col + idx] += diag


# --------------------------------------------------------------------------------------------
# GRU
# --------------------------------------------------------------------------------------------

class _NamedArrays:
    """Parameters or their gradients, one field per name in ``NAMES`` (set by the subclass)."""

    NAMES: tuple[str, ...] = ()

    def arrays(self) -> tuple[np.ndarray, ...]:
        """The arrays in the order of ``NAMES`` (the order clipping and optimisers use)."""
        return tuple(getattr(self, k) for k in self.NAMES)


class _CellParams(_NamedArrays):
    """What the GRU and LSTM parameter dataclasses share: sizes, the ordered arrays, finiteness.

    Subclasses set ``NAMES`` (the field order), ``_HIDDEN`` (a recurrent weight, n × n) and
    ``_INPUT`` (an input weight, n × m).
    """

    _HIDDEN = ""
    _INPUT = ""

    @property
    def n(self) -> int:
        """Number of hidden units."""
        return int(getattr(self, self._HIDDEN).shape[0])

    @property
    def m(self) -> int:
        """Number of inputs per step."""
        return int(getattr(self, self._INPUT).shape[1])

    def all_finite(self) -> bool:
        """Whether every weight is finite (the cell's functions refuse non-finite weights)."""
        return all(bool(np.all(np.isfinite(a))) for a in self.arrays())


@dataclass(frozen=True)
class GRUParams(_CellParams):
    """The weights of a GRU cell (PyTorch's ``torch.nn.GRU`` convention; see the module docstring).

    ``W_ir, W_iz, W_in`` (n, m) input weights; ``W_hr, W_hz, W_hn`` (n, n) recurrent weights;
    ``b_r, b_z`` (n,) gate biases (PyTorch's ``b_i* + b_h*``); ``b_in``, ``b_hn`` (n,) the candidate's
    input and recurrent biases (distinct because ``b_hn`` sits inside the reset gate's product).
    Arrays are converted to float64 and their shapes checked on construction (non-finite values are
    allowed here, so a diverged optimiser step can be held and reported; :func:`gru_forward` and the
    other functions refuse them). ``GRUParams(*arrays)`` rebuilds parameters from :meth:`arrays`
    (the order of :data:`GRU_PARAM_NAMES`).
    """

    W_ir: np.ndarray
    W_iz: np.ndarray
    W_in: np.ndarray
    W_hr: np.ndarray
    W_hz: np.ndarray
    W_hn: np.ndarray
    b_r: np.ndarray
    b_z: np.ndarray
    b_in: np.ndarray
    b_hn: np.ndarray

    def __post_init__(self):
        _check_param_arrays(self, "GRU", ("W_ir", "W_iz", "W_in"), ("W_hn", "W_hr", "W_hz"),
                            ("b_r", "b_z", "b_in", "b_hn"))

    NAMES = GRU_PARAM_NAMES
    _HIDDEN, _INPUT = "W_hn", "W_in"


@dataclass(frozen=True)
class GRUTrajectory(_Trajectory):
    """The states and gate values of one GRU forward pass.

    ``h`` (T+1, n) with ``h[0] = h0``; ``r``, ``z`` (reset and update gates), ``n`` (candidate) and
    ``hn`` (``W_hn h_{t-1} + b_hn``, the candidate's recurrent term before the reset gate), each
    (T, n) with index ``t-1`` for step t. With a batch axis: (T+1, B, n) and (T, B, n).
    """

    h: np.ndarray
    r: np.ndarray
    z: np.ndarray
    n: np.ndarray
    hn: np.ndarray

    _STEP = "z"


@dataclass(frozen=True)
class GRUGradients(_NamedArrays):
    """Gradients of a loss from :func:`gru_bptt`.

    One field per parameter (same names and shapes as :class:`GRUParams`, summed over the batch),
    and ``h`` (T+1, n), or (T+1, B, n): the total gradient dL/dh_t at every step.
    """

    W_ir: np.ndarray
    W_iz: np.ndarray
    W_in: np.ndarray
    W_hr: np.ndarray
    W_hz: np.ndarray
    W_hn: np.ndarray
    b_r: np.ndarray
    b_z: np.ndarray
    b_in: np.ndarray
    b_hn: np.ndarray
    h: np.ndarray

    NAMES = GRU_PARAM_NAMES


def init_gru(
    n: int,
    m: int,
    *,
    scheme: str = "gaussian",
    scale: float = 1.0,
    input_scale: float = 1.0,
    update_bias: float = 0.0,
    seed: int = 0,
) -> GRUParams:
    """A GRU with ``n`` hidden units and ``m`` inputs per step (``m = 0``: no input drive).

    Recurrent weights: ``W_hn = init_recurrent(n, scheme, scale, seed)``, the *same* matrix a plain
    RNN gets from the same settings, so the two can be compared on equal terms; ``W_hr`` and ``W_hz``
    come from the same scheme with seeds derived from ``seed``. Input weights have i.i.d. entries
    N(0, input_scale²/m). Biases are zero except the update gate's ``b_z = update_bias``: a positive
    value pushes z toward 1, the "keep the memory" regime where h_t ≈ h_{t-1} and the step Jacobian
    ≈ I; a negative one pushes z toward 0 (the GRU behaves more like a plain tanh RNN).
    """
    n, m, scheme, scale, seed, input_scale = _init_common(n, m, scheme, scale, seed, input_scale)
    update_bias = check_float(update_bias, "update_bias")
    W_hn = init_recurrent(n, scheme, scale, seed)
    W_hr = init_recurrent(n, scheme, scale, _sub_seed(seed, 1))
    W_hz = init_recurrent(n, scheme, scale, _sub_seed(seed, 2))
    W_ir, W_iz, W_in = _input_weights(n, m, input_scale, seed, 3)
    zeros = np.zeros(n)
    return GRUParams(W_ir, W_iz, W_in, W_hr, W_hz, W_hn, zeros, np.full(n, update_bias), zeros, zeros)


def _from_torch(cell: str, gates: int, weight_ih, weight_hh, bias_ih, bias_hh):
    """Split PyTorch's stacked ``weight_ih_l0`` (G·n, m), ``weight_hh_l0`` (G·n, n) and biases (G·n,)."""
    hh = as_array(weight_hh, "weight_hh", ndim=2, finite=False)
    if hh.shape[0] % gates or hh.shape[0] // gates != hh.shape[1]:
        raise ValueError(
            f"weight_hh has shape {hh.shape}; a one-layer {cell}'s weight_hh_l0 is ({gates}·n, n), "
            f"its {gates} gates stacked."
        )
    n = hh.shape[1]
    ih = as_array(weight_ih, "weight_ih", ndim=2, allow_empty=True, finite=False)
    if ih.shape[0] != gates * n:
        raise ValueError(f"weight_ih has shape {ih.shape}; it must be ({gates * n}, m) = ({gates}·n, m) for n = {n}.")
    biases = []
    for name, b in (("bias_ih", bias_ih), ("bias_hh", bias_hh)):
        b = np.zeros(gates * n) if b is None else as_array(b, name, ndim=1, finite=False)
        if b.shape != (gates * n,):
            raise ValueError(f"{name} has shape {b.shape}; it must be ({gates * n},) = ({gates}·n,).")
        biases.append(np.split(b, gates))
    return np.split(ih, gates), np.split(hh, gates), biases[0], biases[1]


def gru_from_torch(weight_ih, weight_hh, bias_ih=None, bias_hh=None) -> GRUParams:
    """:class:`GRUParams` from a one-layer ``torch.nn.GRU``'s ``weight_ih_l0`` (3n, m), ``weight_hh_l0``
    (3n, n), ``bias_ih_l0`` and ``bias_hh_l0`` (3n,) (as NumPy arrays; gates stacked r, z, n as in
    PyTorch; ``None`` biases are zero). The redundant gate biases are summed (``b_r = b_ir + b_hr``);
    the candidate keeps its two.
    """
    (W_ir, W_iz, W_in), (W_hr, W_hz, W_hn), (b_ir, b_iz, b_in), (b_hr, b_hz, b_hn) = _from_torch(
        "GRU", 3, weight_ih, weight_hh, bias_ih, bias_hh)
    return GRUParams(W_ir, W_iz, W_in, W_hr, W_hz, W_hn, b_ir + b_hr, b_iz + b_hz, b_in, b_hn)


def gru_forward(params: GRUParams, xs, *, h0=None) -> GRUTrajectory:
    """Run the GRU over ``xs`` (T, m) or (T, B, m); ``h0`` (n,), (B, n) with a batch, or ``None`` (zeros).

    Returns a :class:`GRUTrajectory`: ``h`` (T+1, [B,] n) and the gate values the step Jacobians and
    :func:`gru_bptt` need. One loop over time, vectorised over the batch.
    """
    p = _check_params(params, GRUParams, "init_gru")
    n = p.n
    xs = _check_xs(xs, p.m)
    T = xs.shape[0]
    state_shape = (xs.shape[1], n) if xs.ndim == 3 else (n,)
    h_init = _check_state0(h0, "h0", state_shape)
    return _gru_forward(p, xs, h_init)


def _gru_forward(p: GRUParams, xs: np.ndarray, h_init: np.ndarray) -> GRUTrajectory:
    """:func:`gru_forward` on arguments it (or a caller that built them) has checked."""
    n = p.n
    T = xs.shape[0]
    state_shape = (xs.shape[1], n) if xs.ndim == 3 else (n,)
    h = np.empty((T + 1, *state_shape))
    r = np.empty((T, *state_shape))
    z = np.empty_like(r)
    cand = np.empty_like(r)
    hn = np.empty_like(r)
    h[0] = h_init
    with np.errstate(**_ERR):
        W_i = np.concatenate([p.W_ir, p.W_iz, p.W_in])          # (3n, m)
        drive = xs @ W_i.T + np.concatenate([p.b_r, p.b_z, p.b_in])  # (T, [B,] 3n)
        W_hT = np.concatenate([p.W_hr, p.W_hz, p.W_hn]).T       # (n, 3n)
        for t in range(T):
            rec = h[t] @ W_hT
            rz = expit(drive[t, ..., :2 * n] + rec[..., :2 * n])  # both gates in one call
            r[t] = rz[..., :n]
            z[t] = rz[..., n:]
            np.add(rec[..., 2 * n:], p.b_hn, out=hn[t])
            cand[t] = np.tanh(drive[t, ..., 2 * n:] + r[t] * hn[t])
            h[t + 1] = cand[t] + z[t] * (h[t] - cand[t])
    return GRUTrajectory(h=h, r=r, z=z, n=cand, hn=hn)


def _gru_coefficients(traj: GRUTrajectory):
    """Per-step diagonal factors shared by the Jacobian and BPTT (see the module docstring)."""
    z, r, cand, hn = traj.z, traj.r, traj.n, traj.hn
    k_n = (1.0 - z) * (1.0 - cand * cand)       # d h_t / d (candidate pre-activation)
    k_r = hn * r * (1.0 - r)                    # d (candidate pre-activation) / d (reset pre-activation)
    k_z = (traj.h[:-1] - cand) * z * (1.0 - z)  # d h_t / d (update pre-activation)
    return k_n, k_r, k_z


def gru_step_jacobians(params: GRUParams, trajectory: GRUTrajectory) -> np.ndarray:
    """The exact step Jacobians ``dh_t/dh_{t-1}``, shape (T, n, n); entry ``t-1`` is step t.

    ``J_t = diag(z_t) + diag(k_n r_t) W_hn + diag(k_n k_r) W_hr + diag(k_z) W_hz`` with
    ``k_n = (1 − z_t)(1 − n_t²)``, ``k_r = (W_hn h_{t-1} + b_hn) r_t(1 − r_t)``,
    ``k_z = (h_{t-1} − n_t) z_t(1 − z_t)``. Needs an unbatched trajectory (``trajectory.sequence(i)``
    picks one sequence of a batch). Feed the result to :func:`rnnviz.product_log_singular_values`.
    """
    p = _check_params(params, GRUParams, "init_gru")
    if not isinstance(trajectory, GRUTrajectory):
        raise ValueError(
            f"trajectory must be the GRUTrajectory returned by gru_forward(); got {type(trajectory).__name__}."
        )
    _unbatched(trajectory, "gru_step_jacobians")
    T = trajectory.T
    _check_trajectory(trajectory, GRUTrajectory, "gru_forward",
                      {"h": (T + 1, p.n), "r": (T, p.n), "z": (T, p.n), "n": (T, p.n), "hn": (T, p.n)})
    _check_stack_size(T, p.n, "gru_step_jacobians")
    with np.errstate(**_ERR):
        k_n, k_r, k_z = _gru_coefficients(trajectory)
        out = np.empty((T, p.n, p.n))
        _row_combination([k_n * trajectory.r, k_n * k_r, k_z], [p.W_hn, p.W_hr, p.W_hz], out)
        _add_diagonal(out, trajectory.z)
    return out


def gru_bptt(params: GRUParams, xs, trajectory: GRUTrajectory, dL_dh) -> GRUGradients:
    """Back-propagation through time for the GRU.

    ``dL_dh`` (T+1, n), or (T+1, B, n): the explicit partial derivative ∂L/∂h_t of the loss at every
    state. Going backwards from ``g_T = dL_dh[T]``: ``g_{t-1} = dL_dh[t-1] + J_tᵀ g_t`` (``J_t`` as in
    :func:`gru_step_jacobians`), accumulating every parameter's gradient on the way (summed over
    time and batch). ``GRUGradients.h[t] = g_t`` is the total dL/dh_t. Pass the ``params`` and ``xs``
    given to :func:`gru_forward`.
    """
    p = _check_params(params, GRUParams, "init_gru")
    n = p.n
    xs = _check_xs(xs, p.m)
    T = xs.shape[0]
    state_shape = (xs.shape[1], n) if xs.ndim == 3 else (n,)
    _check_trajectory(trajectory, GRUTrajectory, "gru_forward",
                      {"h": (T + 1, *state_shape), "r": (T, *state_shape), "z": (T, *state_shape),
                       "n": (T, *state_shape), "hn": (T, *state_shape)})
    g_in = _check_dL(dL_dh, "dL_dh", (T + 1, *state_shape))
    return _gru_bptt(p, xs, trajectory, g_in)


def _gru_bptt(p: GRUParams, xs: np.ndarray, trajectory: GRUTrajectory, g_in: np.ndarray) -> GRUGradients:
    """:func:`gru_bptt` on arguments it (or a caller that built them) has checked."""
    n = p.n
    T = xs.shape[0]
    state_shape = (xs.shape[1], n) if xs.ndim == 3 else (n,)
    gh = np.empty_like(g_in)
    delta = np.empty((T, *state_shape[:-1], 3 * n))  # pre-activation gradients: reset, update, W_hn h + b_hn
    da_n = np.empty((T, *state_shape))               # candidate pre-activation gradient
    with np.errstate(**_ERR):
        k_n, k_r, k_z = _gru_coefficients(trajectory)
        r, z = trajectory.r, trajectory.z
        W_h = np.concatenate([p.W_hr, p.W_hz, p.W_hn])  # (3n, n)
        g = g_in[T].copy()
        gh[T] = g
        for t in range(T - 1, -1, -1):
            da_n[t] = g * k_n[t]
            delta[t, ..., :n] = da_n[t] * k_r[t]
            delta[t, ..., n:2 * n] = g * k_z[t]
            delta[t, ..., 2 * n:] = da_n[t] * r[t]
            g = g_in[t] + g * z[t] + delta[t] @ W_h
            gh[t] = g
        dW_h = _sum_outer(delta, trajectory.h[:-1])
        db_h = _sum_leading(delta)
        da_r, da_z = delta[..., :n], delta[..., n:2 * n]
        return GRUGradients(
            W_ir=_sum_outer(da_r, xs), W_iz=_sum_outer(da_z, xs), W_in=_sum_outer(da_n, xs),
            W_hr=dW_h[:n], W_hz=dW_h[n:2 * n], W_hn=dW_h[2 * n:],
            b_r=db_h[:n], b_z=db_h[n:2 * n], b_in=_sum_leading(da_n), b_hn=db_h[2 * n:],
            h=gh,
        )


# --------------------------------------------------------------------------------------------
# LSTM
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class LSTMParams(_CellParams):
    """The weights of an LSTM cell (PyTorch's ``torch.nn.LSTM`` convention; see the module docstring).

    ``W_ii, W_if, W_ig, W_io`` (n, m) input weights; ``W_hi, W_hf, W_hg, W_ho`` (n, n) recurrent
    weights; ``b_i, b_f, b_g, b_o`` (n,) biases (PyTorch's ``b_i* + b_h*``). Arrays are converted to
    float64 and their shapes checked on construction (non-finite values are refused by the functions,
    not here); ``LSTMParams(*arrays)`` rebuilds from :meth:`arrays`.
    """

    W_ii: np.ndarray
    W_if: np.ndarray
    W_ig: np.ndarray
    W_io: np.ndarray
    W_hi: np.ndarray
    W_hf: np.ndarray
    W_hg: np.ndarray
    W_ho: np.ndarray
    b_i: np.ndarray
    b_f: np.ndarray
    b_g: np.ndarray
    b_o: np.ndarray

    def __post_init__(self):
        _check_param_arrays(self, "LSTM", ("W_ii", "W_if", "W_ig", "W_io"), ("W_hg", "W_hi", "W_hf", "W_ho"),
                            ("b_i", "b_f", "b_g", "b_o"))

    NAMES = LSTM_PARAM_NAMES
    _HIDDEN, _INPUT = "W_hg", "W_ig"  # n hidden units: the state (h, c) has 2n entries


@dataclass(frozen=True)
class LSTMTrajectory(_Trajectory):
    """The states and gate values of one LSTM forward pass.

    ``h``, ``c`` (T+1, n) with index 0 the initial state; ``i``, ``f``, ``g``, ``o`` (input, forget,
    candidate, output) each (T, n) with index ``t-1`` for step t. With a batch axis: (T+1, B, n) and
    (T, B, n).
    """

    h: np.ndarray
    c: np.ndarray
    i: np.ndarray
    f: np.ndarray
    g: np.ndarray
    o: np.ndarray

    _STEP = "f"

    @property
    def state(self) -> np.ndarray:
        """The full state ``[h_t, c_t]``, shape (T+1, [B,] 2n): the variable of :func:`lstm_step_jacobians`."""
        return np.concatenate([self.h, self.c], axis=-1)


@dataclass(frozen=True)
class LSTMGradients(_NamedArrays):
    """Gradients of a loss from :func:`lstm_bptt`.

    One field per parameter (same names and shapes as :class:`LSTMParams`, summed over the batch);
    ``h`` and ``c`` (T+1, n), or (T+1, B, n): the total gradient with respect to the state
    (h_t, c_t) at every step, each half taken with the other held fixed, so that
    ``[h[t-1], c[t-1]] = [dL_dh[t-1], dL_dc[t-1]] + J_tᵀ [h[t], c[t]]`` with ``J_t`` from
    :func:`lstm_step_jacobians`.
    """

    W_ii: np.ndarray
    W_if: np.ndarray
    W_ig: np.ndarray
    W_io: np.ndarray
    W_hi: np.ndarray
    W_hf: np.ndarray
    W_hg: np.ndarray
    W_ho: np.ndarray
    b_i: np.ndarray
    b_f: np.ndarray
    b_g: np.ndarray
    b_o: np.ndarray
    h: np.ndarray
    c: np.ndarray

    NAMES = LSTM_PARAM_NAMES


def init_lstm(
    n: int,
    m: int,
    *,
    scheme: str = "gaussian",
    scale: float = 1.0,
    input_scale: float = 1.0,
    forget_bias: float = 0.0,
    seed: int = 0,
) -> LSTMParams:
    """An LSTM with ``n`` hidden units and ``m`` inputs per step (``m = 0``: no input drive).

    Recurrent weights: ``W_hg = init_recurrent(n, scheme, scale, seed)`` (the matrix a plain RNN gets
    from the same settings); ``W_hi``, ``W_hf``, ``W_ho`` from the same scheme with seeds derived
    from ``seed``. Input weights N(0, input_scale²/m). Biases zero except the forget gate's
    ``b_f = forget_bias``: a positive value (1 is the common choice, Jozefowicz et al. 2015) keeps
    f near 1, so the cell state, and its gradient, is carried across many steps.
    """
    n, m, scheme, scale, seed, input_scale = _init_common(n, m, scheme, scale, seed, input_scale)
    forget_bias = check_float(forget_bias, "forget_bias")
    W_hg = init_recurrent(n, scheme, scale, seed)
    W_hi, W_hf, W_ho = (init_recurrent(n, scheme, scale, _sub_seed(seed, k)) for k in (1, 2, 3))
    W_ii, W_if, W_ig, W_io = _input_weights(n, m, input_scale, seed, 4)
    zeros = np.zeros(n)
    return LSTMParams(W_ii, W_if, W_ig, W_io, W_hi, W_hf, W_hg, W_ho, zeros, np.full(n, forget_bias), zeros, zeros)


def lstm_from_torch(weight_ih, weight_hh, bias_ih=None, bias_hh=None) -> LSTMParams:
    """:class:`LSTMParams` from a one-layer ``torch.nn.LSTM``'s ``weight_ih_l0`` (4n, m), ``weight_hh_l0``
    (4n, n), ``bias_ih_l0`` and ``bias_hh_l0`` (4n,) (gates stacked i, f, g, o as in PyTorch; ``None``
    biases are zero; the two biases of each gate are summed).
    """
    W_i, W_h, b_i, b_h = _from_torch("LSTM", 4, weight_ih, weight_hh, bias_ih, bias_hh)
    return LSTMParams(*W_i, *W_h, *(a + b for a, b in zip(b_i, b_h)))


def lstm_forward(params: LSTMParams, xs, *, h0=None, c0=None) -> LSTMTrajectory:
    """Run the LSTM over ``xs`` (T, m) or (T, B, m); ``h0``, ``c0`` (n,), (B, n) with a batch, or ``None``.

    Returns an :class:`LSTMTrajectory`. One loop over time, vectorised over the batch.
    """
    p = _check_params(params, LSTMParams, "init_lstm")
    n = p.n
    xs = _check_xs(xs, p.m)
    T = xs.shape[0]
    state_shape = (xs.shape[1], n) if xs.ndim == 3 else (n,)
    h_init = _check_state0(h0, "h0", state_shape)
    c_init = _check_state0(c0, "c0", state_shape)
    return _lstm_forward(p, xs, h_init, c_init)


def _lstm_forward(p: LSTMParams, xs: np.ndarray, h_init: np.ndarray, c_init: np.ndarray) -> LSTMTrajectory:
    """:func:`lstm_forward` on arguments it (or a caller that built them) has checked."""
    n = p.n
    T = xs.shape[0]
    state_shape = (xs.shape[1], n) if xs.ndim == 3 else (n,)
    h = np.empty((T + 1, *state_shape))
    c = np.empty_like(h)
    gates = {k: np.empty((T, *state_shape)) for k in "ifgo"}
    gi, gf, gg, go = gates["i"], gates["f"], gates["g"], gates["o"]
    h[0], c[0] = h_init, c_init
    with np.errstate(**_ERR):
        # Gates stacked as i, f, o, g here, so the three sigmoids are one call.
        W_i = np.concatenate([p.W_ii, p.W_if, p.W_io, p.W_ig])
        drive = xs @ W_i.T + np.concatenate([p.b_i, p.b_f, p.b_o, p.b_g])  # (T, [B,] 4n)
        W_hT = np.concatenate([p.W_hi, p.W_hf, p.W_ho, p.W_hg]).T          # (n, 4n)
        for t in range(T):
            pre = drive[t] + h[t] @ W_hT
            sig = expit(pre[..., :3 * n])
            gi[t] = sig[..., :n]
            gf[t] = sig[..., n:2 * n]
            go[t] = sig[..., 2 * n:]
            gg[t] = np.tanh(pre[..., 3 * n:])
            c[t + 1] = gf[t] * c[t] + gi[t] * gg[t]
            h[t + 1] = go[t] * np.tanh(c[t + 1])
    return LSTMTrajectory(h=h, c=c, i=gi, f=gf, g=gg, o=go)


def _lstm_coefficients(traj: LSTMTrajectory):
    i, f, g, o = traj.i, traj.f, traj.g, traj.o
    tc = np.tanh(traj.c[1:])
    k_c = o * (1.0 - tc * tc)          # dh_t/dc_t
    k_o = tc * o * (1.0 - o)           # dh_t/d(output pre-activation)
    k_i = g * i * (1.0 - i)            # dc_t/d(input pre-activation)
    k_f = traj.c[:-1] * f * (1.0 - f)  # dc_t/d(forget pre-activation)
    k_g = i * (1.0 - g * g)            # dc_t/d(candidate pre-activation)
    return k_c, k_o, k_i, k_f, k_g


def lstm_step_jacobians(params: LSTMParams, trajectory: LSTMTrajectory) -> np.ndarray:
    """The exact step Jacobians of the full state, ``d(h_t, c_t)/d(h_{t-1}, c_{t-1})``, shape (T, 2n, 2n).

    Rows and columns are ordered ``[h (n), c (n)]``: with
    ``dc_t/dh_{t-1} = diag(k_i) W_hi + diag(k_f) W_hf + diag(k_g) W_hg`` and
    ``k_c = o_t(1 − tanh²c_t)``, the blocks are::

        dh_t/dh_{t-1} = diag(tanh(c_t) o_t(1 − o_t)) W_ho + diag(k_c) dc_t/dh_{t-1}
        dh_t/dc_{t-1} = diag(k_c f_t)
        dc_t/dh_{t-1}   (above)
        dc_t/dc_{t-1} = diag(f_t)

    Products of them give d(h_T, c_T)/d(h_k, c_k) (feed them to
    :func:`rnnviz.product_log_singular_values`: 2n log singular values per distance). Needs an
    unbatched trajectory (``trajectory.sequence(i)`` picks one sequence of a batch).
    """
    p = _check_params(params, LSTMParams, "init_lstm")
    if not isinstance(trajectory, LSTMTrajectory):
        raise ValueError(
            f"trajectory must be the LSTMTrajectory returned by lstm_forward(); got {type(trajectory).__name__}."
        )
    _unbatched(trajectory, "lstm_step_jacobians")
    T, n = trajectory.T, p.n
    _check_trajectory(trajectory, LSTMTrajectory, "lstm_forward",
                      {"h": (T + 1, n), "c": (T + 1, n), **{k: (T, n) for k in "ifgo"}})
    _check_stack_size(T, 2 * n, "lstm_step_jacobians")
    out = np.zeros((T, 2 * n, 2 * n))
    with np.errstate(**_ERR):
        k_c, k_o, k_i, k_f, k_g = _lstm_coefficients(trajectory)
        mats = [p.W_hi, p.W_hf, p.W_hg]
        _row_combination([k_c * k_i, k_c * k_f, k_c * k_g, k_o], [*mats, p.W_ho], out[:, :n, :n])
        _row_combination([k_i, k_f, k_g], mats, out[:, n:, :n])
        _add_diagonal(out, k_c * trajectory.f, 0, n)
        _add_diagonal(out, trajectory.f, n, n)
    return out


def lstm_bptt(params: LSTMParams, xs, trajectory: LSTMTrajectory, dL_dh, *, dL_dc=None) -> LSTMGradients:
    """Back-propagation through time for the LSTM.

    ``dL_dh`` (T+1, n), or (T+1, B, n): the explicit partial derivative ∂L/∂h_t at every state;
    ``dL_dc`` the same for the cell state (``None``: the loss does not look at c). Going backwards,
    ``[g^h_{t-1}, g^c_{t-1}] = [dL_dh[t-1], dL_dc[t-1]] + J_tᵀ [g^h_t, g^c_t]`` (``J_t`` as in
    :func:`lstm_step_jacobians`), accumulating every parameter's gradient (summed over time and
    batch). ``LSTMGradients.h`` and ``.c`` hold g^h_t and g^c_t. Pass the ``params`` and ``xs``
    given to :func:`lstm_forward`.
    """
    p = _check_params(params, LSTMParams, "init_lstm")
    n = p.n
    xs = _check_xs(xs, p.m)
    T = xs.shape[0]
    state_shape = (xs.shape[1], n) if xs.ndim == 3 else (n,)
    _check_trajectory(trajectory, LSTMTrajectory, "lstm_forward",
                      {"h": (T + 1, *state_shape), "c": (T + 1, *state_shape),
                       **{k: (T, *state_shape) for k in "ifgo"}})
    gh_in = _check_dL(dL_dh, "dL_dh", (T + 1, *state_shape))
    gc_in = np.zeros_like(gh_in) if dL_dc is None else _check_dL(dL_dc, "dL_dc", (T + 1, *state_shape))
    return _lstm_bptt(p, xs, trajectory, gh_in, gc_in)


def _lstm_bptt(p: LSTMParams, xs: np.ndarray, trajectory: LSTMTrajectory, gh_in: np.ndarray,
               gc_in: np.ndarray) -> LSTMGradients:
    """:func:`lstm_bptt` on arguments it (or a caller that built them) has checked."""
    n = p.n
    T = xs.shape[0]
    state_shape = (xs.shape[1], n) if xs.ndim == 3 else (n,)
    gh = np.empty_like(gh_in)
    gc = np.empty_like(gh_in)
    delta = np.empty((T, *state_shape[:-1], 4 * n))  # pre-activation gradients of i, f, g, o
    with np.errstate(**_ERR):
        k_c, k_o, k_i, k_f, k_g = _lstm_coefficients(trajectory)
        f = trajectory.f
        W_h = np.concatenate([p.W_hi, p.W_hf, p.W_hg, p.W_ho])  # (4n, n)
        a, b = gh_in[T].copy(), gc_in[T].copy()
        gh[T], gc[T] = a, b
        for t in range(T - 1, -1, -1):
            dc = b + a * k_c[t]  # dL/dc_t through both of its uses
            delta[t, ..., :n] = dc * k_i[t]
            delta[t, ..., n:2 * n] = dc * k_f[t]
            delta[t, ..., 2 * n:3 * n] = dc * k_g[t]
            delta[t, ..., 3 * n:] = a * k_o[t]
            a, b = gh_in[t] + delta[t] @ W_h, gc_in[t] + dc * f[t]
            gh[t], gc[t] = a, b
        dW_h = _sum_outer(delta, trajectory.h[:-1])
        dW_i = _sum_outer(delta, xs)
        db = _sum_leading(delta)
        s = [slice(k * n, (k + 1) * n) for k in range(4)]
        return LSTMGradients(
            W_ii=dW_i[s[0]], W_if=dW_i[s[1]], W_ig=dW_i[s[2]], W_io=dW_i[s[3]],
            W_hi=dW_h[s[0]], W_hf=dW_h[s[1]], W_hg=dW_h[s[2]], W_ho=dW_h[s[3]],
            b_i=db[s[0]], b_f=db[s[1]], b_g=db[s[2]], b_o=db[s[3]],
            h=gh, c=gc,
        )
