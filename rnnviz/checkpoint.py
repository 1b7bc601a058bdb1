"""Read a trained RNN, GRU or LSTM from the bytes of a checkpoint file, safely.

Bytes in, a :class:`Checkpoint` out: its recurrent layers in network order, each a
:class:`RecurrentLayer` with PyTorch's weight layout and gate order (``weight_ih`` (G·n, m),
``weight_hh`` (G·n, n), ``bias_ih``, ``bias_hh`` (G·n,); gates r, z, n for a GRU and i, f, g, o
for an LSTM), whatever the format stored. The layer runs on the core's own cells
(:mod:`rnnviz.rnn`, :mod:`rnnviz.gated`), so its states and step Jacobians are those of the
functions the rest of the app is tested with.

Formats (nothing is ever unpickled; every size is bounded before anything is unpacked):

- ``.safetensors`` and ``.npz``: a PyTorch ``nn.RNN`` / ``nn.GRU`` / ``nn.LSTM`` (any number of
  layers, bidirectional) or ``nn.RNNCell`` / ``GRUCell`` / ``LSTMCell`` state_dict, any module
  prefix (``encoder.rnn.weight_hh_l0``, ``..._l1_reverse``, ``cell.weight_hh``); other tensors
  (embeddings, a decoder) are left out and counted in :attr:`Checkpoint.notes`.
- ``.keras`` (Keras 3: a zip of ``config.json`` and ``model.weights.h5``): ``SimpleRNN``, ``GRU``
  (``reset_after=True``), ``LSTM``, also inside ``Bidirectional``. Keras computes ``x @ kernel``
  and orders a GRU's gates z, r, h (PyTorch: r, z, n); both are converted exactly.
- ``.onnx``: ``RNN``, ``GRU`` (``linear_before_reset=1``, what PyTorch exports) and ``LSTM`` nodes
  with their weights in the graph's initializers (ONNX orders gates LSTM i, o, f, c; GRU z, r, h).

A reverse direction (``_reverse``, Keras ``go_backwards``, ONNX ``reverse``) reads its input from
the last step to the first, as the frameworks do: :meth:`RecurrentLayer.forward` returns its
states in the order it computes them, so ``forward(xs)[1:][::-1]`` is the framework's output.
"""

from __future__ import annotations

import io
import json
import math
import re
import zipfile
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from ._validate import MAX_HIDDEN, as_array, check_choice
from .gated import (gru_forward, gru_from_torch, gru_step_jacobians, lstm_forward, lstm_from_torch,
                    lstm_step_jacobians)
from .rnn import forward as rnn_forward
from .rnn import step_jacobians as rnn_step_jacobians

#: Largest checkpoint accepted (bytes): a one-layer LSTM with n = 1024 hidden units and 1024 inputs
#: in float32 is 34 MB. As ``server.maxUploadSize`` in .streamlit/config.toml.
MAX_CHECKPOINT_BYTES = 40 * 2**20
#: Largest total size of what a zip (.npz, .keras) may unpack to, and of one tensor (bytes).
MAX_UNPACKED_BYTES = 4 * MAX_CHECKPOINT_BYTES
#: Most recurrent layers a checkpoint may hold (each direction of a bidirectional layer counts).
MAX_LAYERS = 16
#: Largest input size m of a layer (a bidirectional layer below feeds 2n).
MAX_INPUT = 2 * MAX_HIDDEN
#: The cells a layer can be, and their number of gates G (weights stacked G·n rows high).
LAYER_CELLS: tuple[str, ...] = ("rnn_tanh", "rnn_relu", "gru", "lstm")
GATE_NAMES: dict[str, tuple[str, ...]] = {
    "rnn_tanh": ("W",), "rnn_relu": ("W",), "gru": ("r", "z", "n"), "lstm": ("i", "f", "g", "o"),
}
#: File name endings read, and those refused with a one-line conversion.
CHECKPOINT_TYPES: tuple[str, ...] = ("safetensors", "npz", "keras", "onnx")
_SAVE_SAFETENSORS = ('from safetensors.torch import save_file; '
                     'save_file(model.state_dict(), "rnn.safetensors")')
_CONVERT = {
    "pt": _SAVE_SAFETENSORS, "pth": _SAVE_SAFETENSORS, "bin": _SAVE_SAFETENSORS,
    "pkl": ("np.savez('rnn.npz', **{k: v.detach().numpy() for k, v in model.state_dict().items()}) "
            "(for a PyTorch model), or save_file(...) as safetensors"),
    "h5": 'model.save("rnn.keras")  # Keras 3, the native format',
    "ckpt": _SAVE_SAFETENSORS,
}
_ACCEPTED = ("Accepted: .safetensors or .npz (a PyTorch RNN/GRU/LSTM state_dict), .keras (Keras 3) "
             "or .onnx")


def _fail(filename: str, what: str) -> ValueError:
    return ValueError(f"'{filename}': {what}")


# --------------------------------------------------------------------------------------------
# One layer
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class RecurrentLayer:
    """One recurrent layer (one direction) in PyTorch's layout and gate order.

    ``cell`` is one of :data:`LAYER_CELLS`; ``weight_ih`` (G·n, m), ``weight_hh`` (G·n, n),
    ``bias_ih`` and ``bias_hh`` (G·n,) with G = 1, 3, 4 gates (zeros where a format has one bias).
    ``depth`` is the layer's index in its stack and ``reverse`` whether it reads its input
    backwards (the second direction of a bidirectional layer). Checked on construction.
    """

    name: str
    cell: str
    weight_ih: np.ndarray
    weight_hh: np.ndarray
    bias_ih: np.ndarray
    bias_hh: np.ndarray
    depth: int = 0
    reverse: bool = False

    def __repr__(self) -> str:
        return (f"RecurrentLayer(name={self.name!r}, cell={self.cell!r}, input_size={self.input_size}, "
                f"hidden_size={self.hidden_size}, depth={self.depth}, reverse={self.reverse})")

    def __post_init__(self):
        check_choice(self.cell, "cell", LAYER_CELLS)
        G = len(GATE_NAMES[self.cell])
        hh = as_array(self.weight_hh, f"{self.name}: weight_hh", ndim=2)
        n = hh.shape[1]
        if hh.shape != (G * n, n):
            raise ValueError(f"{self.name}: weight_hh has shape {hh.shape}; a {self.cell} layer's is "
                             f"({G}·n, n), its {G} gate(s) stacked.")
        if n > MAX_HIDDEN:
            raise ValueError(f"{self.name}: hidden size n = {n}; at most {MAX_HIDDEN} is accepted.")
        ih = as_array(self.weight_ih, f"{self.name}: weight_ih", ndim=2, allow_empty=True)
        if ih.shape[0] != G * n or ih.shape[1] > MAX_INPUT:
            raise ValueError(f"{self.name}: weight_ih has shape {ih.shape}; it must be ({G * n}, m) "
                             f"with m ≤ {MAX_INPUT} inputs.")
        object.__setattr__(self, "weight_hh", hh)
        object.__setattr__(self, "weight_ih", ih)
        for attr in ("bias_ih", "bias_hh"):
            b = as_array(getattr(self, attr), f"{self.name}: {attr}", ndim=1)
            if b.shape != (G * n,):
                raise ValueError(f"{self.name}: {attr} has shape {b.shape}; it must be ({G * n},).")
            object.__setattr__(self, attr, b)

    @property
    def input_size(self) -> int:
        """m, the number of inputs per step."""
        return int(self.weight_ih.shape[1])

    @property
    def hidden_size(self) -> int:
        """n, the number of hidden units."""
        return int(self.weight_hh.shape[1])

    @property
    def state_size(self) -> int:
        """d, the size of the recurrent state: n, or 2n for an LSTM (state [h, c])."""
        return 2 * self.hidden_size if self.cell == "lstm" else self.hidden_size

    @property
    def nonlinearity(self) -> str:
        """The candidate's activation: ``"relu"`` for ``rnn_relu``, else ``"tanh"``."""
        return "relu" if self.cell == "rnn_relu" else "tanh"

    def recurrent_gates(self) -> tuple[tuple[str, np.ndarray], ...]:
        """``(gate name, n × n recurrent weight)`` per gate, in PyTorch's order."""
        n = self.hidden_size
        return tuple((g, self.weight_hh[k * n:(k + 1) * n]) for k, g in enumerate(GATE_NAMES[self.cell]))

    @cached_property
    def params(self):
        """The core's parameters: :class:`~rnnviz.GRUParams`, :class:`~rnnviz.LSTMParams`, or
        ``(W, U, b)`` for a plain RNN (``b = bias_ih + bias_hh``)."""
        if self.cell == "gru":
            return gru_from_torch(self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        if self.cell == "lstm":
            return lstm_from_torch(self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        return self.weight_hh, self.weight_ih, self.bias_ih + self.bias_hh

    def _inputs(self, xs) -> np.ndarray:
        xs = as_array(xs, "xs", ndim=2, allow_empty=True)
        if xs.shape[1] != self.input_size or xs.shape[0] == 0:
            raise ValueError(f"xs has shape {xs.shape}; layer {self.name} needs (T, {self.input_size}): "
                             f"T ≥ 1 steps of its m = {self.input_size} inputs.")
        return xs[::-1] if self.reverse else xs

    def trajectory(self, xs, *, h0=None):
        """The core's trajectory over ``xs`` (T, m) (read backwards by a reverse layer):
        :class:`~rnnviz.Trajectory`, :class:`~rnnviz.GRUTrajectory` or :class:`~rnnviz.LSTMTrajectory`.
        ``h0``: (n,), or for an LSTM (n,) (h₀; c₀ = 0) or (2n,) ([h₀, c₀]); ``None`` is zeros."""
        xs = self._inputs(xs)
        if self.cell == "gru":
            return gru_forward(self.params, xs, h0=h0)
        if self.cell == "lstm":
            c0 = None
            if h0 is not None:
                h0 = as_array(h0, "h0", ndim=1)
                if h0.shape == (2 * self.hidden_size,):
                    h0, c0 = h0[:self.hidden_size], h0[self.hidden_size:]
            return lstm_forward(self.params, xs, h0=h0, c0=c0)
        W, U, b = self.params
        return rnn_forward(W, xs, U=U, b=b, h0=h0, nonlinearity=self.nonlinearity)

    def forward(self, xs, *, h0=None) -> np.ndarray:
        """Hidden states h_0..h_T, shape (T+1, n), in the order the layer computes them."""
        return self.trajectory(xs, h0=h0).h

    def jacobians_of(self, trajectory):
        """``(start, stop) -> J_{start+1} .. J_{stop}`` of a trajectory of this layer (for
        :func:`rnnviz.chunked_log_singular_values`), built a stretch at a time."""
        if self.cell == "gru":
            return lambda a, b: gru_step_jacobians(self.params, trajectory.window(a, b))
        if self.cell == "lstm":
            return lambda a, b: lstm_step_jacobians(self.params, trajectory.window(a, b))
        W = self.params[0]
        return lambda a, b: rnn_step_jacobians(W, trajectory.a[a:b], self.nonlinearity)

    def step_jacobians(self, xs, *, h0=None) -> np.ndarray:
        """The exact step Jacobians of the state along the trajectory over ``xs``, (T, d, d): as
        :func:`rnnviz.step_jacobians` (d = n), :func:`rnnviz.gru_step_jacobians` (d = n) or
        :func:`rnnviz.lstm_step_jacobians` (d = 2n, state ``[h, c]``)."""
        tr = self.trajectory(xs, h0=h0)
        return self.jacobians_of(tr)(0, tr.h.shape[0] - 1)


@dataclass(frozen=True, eq=False)
class Checkpoint:
    """The recurrent layers of a checkpoint, in network order (a bidirectional layer: forward
    direction, then reverse). ``format`` is the file type read; ``notes`` says what was left out."""

    filename: str
    format: str
    layers: tuple[RecurrentLayer, ...]
    notes: tuple[str, ...] = field(default=())

    def layer(self, name: str) -> RecurrentLayer:
        """The layer called ``name``."""
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise ValueError(f"No layer {name!r} in '{self.filename}'; its layers are: "
                         f"{', '.join(repr(la.name) for la in self.layers)}.")


# --------------------------------------------------------------------------------------------
# The public entry point
# --------------------------------------------------------------------------------------------

def load_checkpoint(data: bytes, filename: str, *, nonlinearity: str = "tanh") -> Checkpoint:
    """Read the recurrent layers of a checkpoint file's bytes (see the module docstring).

    ``nonlinearity`` (``"tanh"`` or ``"relu"``) is the activation of plain RNN layers in a PyTorch
    state_dict (``nn.RNN`` does not record it; Keras and ONNX files do). Raises ``ValueError``
    naming the file and what is wrong: an unknown or unsupported type (with the one-line
    conversion), garbage or truncated bytes, a zip that would unpack too large, pickled objects,
    inconsistent shapes, NaN or infinite weights, n > 1024, more than 16 layers, a file over
    :data:`MAX_CHECKPOINT_BYTES`.
    """
    name = str(filename or "")
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise _fail(name, f"load_checkpoint needs the file's bytes; got {type(data).__name__}.")
    nonlinearity = check_choice(nonlinearity, "nonlinearity of plain RNN layers", ("tanh", "relu"))
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if ext in _CONVERT:
        raise _fail(name, f".{ext} files are not read (a pickle can run code; a legacy .h5 has no "
                          f"fixed layout). Convert it in one line: {_CONVERT[ext]}")
    if ext not in CHECKPOINT_TYPES:
        raise _fail(name, f"unknown file type{f' .{ext}' if ext else ''}. {_ACCEPTED}.")
    size = memoryview(data).nbytes
    if size == 0:
        raise _fail(name, "the file is empty.")
    if size > MAX_CHECKPOINT_BYTES:
        raise _fail(name, f"the file is {size / 2**20:.1f} MB; checkpoints up to "
                          f"{MAX_CHECKPOINT_BYTES // 2**20} MB are accepted.")
    data = bytes(data)
    reader = {"safetensors": _read_safetensors, "npz": _read_npz, "keras": _read_keras,
              "onnx": _read_onnx}[ext]
    layers, notes = reader(data, name, nonlinearity)
    if not layers:
        raise _fail(name, "no recurrent layer found. " + (notes[0] if notes else ""))
    if len(layers) > MAX_LAYERS:
        raise _fail(name, f"{len(layers)} recurrent layers (each direction counts); at most "
                          f"{MAX_LAYERS} are accepted.")
    return Checkpoint(filename=name, format=ext, layers=tuple(layers), notes=tuple(notes))


def _make_layer(filename: str, **kw) -> RecurrentLayer:
    """A layer, with every problem reported as the file's."""
    for key in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
        arr = kw[key]
        if arr.dtype.kind not in "iuf":
            raise _fail(filename, f"{kw['name']}: {key} holds {arr.dtype} values; real numbers are needed.")
        bad = arr.size - int(np.count_nonzero(np.isfinite(arr)))
        if bad:
            raise _fail(filename, f"{kw['name']}: {key} holds {bad} NaN or infinite value(s) (a diverged "
                                  "training run?); only finite weights can be analysed.")
    try:
        return RecurrentLayer(**kw)
    except ValueError as exc:
        raise _fail(filename, str(exc)) from None


def _check_tensor_size(filename: str, name: str, shape, itemsize: int) -> None:
    if len(shape) > 3 or math.prod(shape) * itemsize > MAX_UNPACKED_BYTES:
        raise _fail(filename, f"tensor {name!r} has shape {tuple(shape)}, far larger than any accepted layer.")


# --------------------------------------------------------------------------------------------
# PyTorch state_dicts (.safetensors, .npz)
# --------------------------------------------------------------------------------------------

_TORCH_KEY = re.compile(r"^(?P<prefix>.*?)(?P<kind>weight_ih|weight_hh|bias_ih|bias_hh|weight_hr)"
                        r"(?:_l(?P<layer>\d+)(?P<rev>_reverse)?)?$")


def _from_state_dict(tensors: dict[str, np.ndarray], filename: str, nonlinearity: str):
    groups: dict[tuple, dict[str, np.ndarray]] = {}
    prefixes: list[str] = []
    other = 0
    for key, arr in tensors.items():
        m = _TORCH_KEY.match(key)
        if not m:
            other += 1
            continue
        if m["kind"] == "weight_hr":
            raise _fail(filename, f"{key}: an LSTM with proj_size (projected hidden state) is not supported.")
        prefix = m["prefix"]
        if prefix not in prefixes:
            prefixes.append(prefix)
        layer = None if m["layer"] is None else int(m["layer"])
        groups.setdefault((prefix, layer, bool(m["rev"])), {})[m["kind"]] = arr
    notes = [f"{other} other tensor(s) (not recurrent weights) left out."] if other else []
    if not groups:
        shown = ", ".join(list(tensors)[:4]) or "none"
        notes.insert(0, "Expected PyTorch names such as rnn.weight_ih_l0, rnn.weight_hh_l0 (nn.RNN/GRU/LSTM) "
                        f"or cell.weight_hh (nn.*Cell); found: {shown}.")
        return [], notes
    keys = sorted(groups, key=lambda k: (prefixes.index(k[0]), -1 if k[1] is None else k[1], k[2]))
    layers = []
    for prefix, idx, rev in keys:
        g = groups[(prefix, idx, rev)]
        base = prefix.rstrip(".")
        name = (base or "cell") if idx is None else f"{base + '.' if base else ''}l{idx}{'_reverse' if rev else ''}"
        for need in ("weight_ih", "weight_hh"):
            if need not in g:
                raise _fail(filename, f"layer {name} has no {need} tensor; a recurrent layer needs weight_ih "
                                      "and weight_hh.")
        hh = g["weight_hh"]
        if hh.ndim != 2 or hh.shape[1] == 0 or hh.shape[0] % hh.shape[1]:
            raise _fail(filename, f"{name}: weight_hh has shape {hh.shape}; it must be (G·n, n) with G = 1 "
                                  "(RNN), 3 (GRU) or 4 (LSTM) gates.")
        G = hh.shape[0] // hh.shape[1]
        cell = {1: f"rnn_{nonlinearity}", 3: "gru", 4: "lstm"}.get(G)
        if cell is None:
            raise _fail(filename, f"{name}: weight_hh has shape {hh.shape}, i.e. {G} gates; only 1 (RNN), "
                                  "3 (GRU) and 4 (LSTM) are known.")
        zeros = np.zeros(hh.shape[0])
        layers.append(_make_layer(filename, name=name, cell=cell, weight_ih=g["weight_ih"], weight_hh=hh,
                                  bias_ih=g.get("bias_ih", zeros), bias_hh=g.get("bias_hh", zeros),
                                  depth=idx or 0, reverse=rev))
        if len(layers) > MAX_LAYERS:
            break
    return layers, notes


def _read_safetensors(data: bytes, filename: str, nonlinearity: str):
    if len(data) < 8:
        raise _fail(filename, "not a safetensors file (shorter than its 8-byte header length).")
    header_len = int.from_bytes(data[:8], "little")
    if header_len > len(data) - 8 or header_len > 10 * 2**20:
        raise _fail(filename, "not a safetensors file, or a truncated one (its header length "
                              f"{header_len} does not fit in the {len(data)} bytes).")
    try:
        header = json.loads(data[8:8 + header_len])
    except ValueError:
        raise _fail(filename, "not a safetensors file (its header is not JSON).") from None
    if not isinstance(header, dict):
        raise _fail(filename, "not a safetensors file (its header is not a JSON object).")
    for key, info in header.items():
        if key == "__metadata__":
            continue
        if not isinstance(info, dict) or not isinstance(info.get("shape"), list):
            raise _fail(filename, f"the header entry for {key!r} is damaged.")
        if info.get("dtype") not in ("F16", "F32", "F64"):
            raise _fail(filename, f"tensor {key!r} has dtype {info.get('dtype')}; float16/32/64 are read "
                                  "(convert bfloat16 with model.float() before saving).")
    from safetensors.numpy import load

    try:
        tensors = load(data)
    except Exception as exc:  # the library's own checks: offsets, sizes, a truncated file
        raise _fail(filename, f"could not be read as safetensors ({exc}); is the file complete?") from None
    return _from_state_dict(tensors, filename, nonlinearity)


def _zip_members(data: bytes, filename: str, wanted=None) -> dict[str, bytes]:
    """The members of a zip (all, or those named in ``wanted``), read with bounded sizes."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, ValueError, EOFError, OSError) as exc:
        raise _fail(filename, f"not a valid zip archive ({exc}); is the file complete?") from None
    if len(infos) > 4096:
        raise _fail(filename, f"the archive holds {len(infos)} files; at most 4096 are accepted.")
    if sum(i.file_size for i in infos) > MAX_UNPACKED_BYTES:
        raise _fail(filename, f"the archive would unpack to {sum(i.file_size for i in infos) / 2**20:.0f} MB; "
                              f"at most {MAX_UNPACKED_BYTES // 2**20} MB are accepted (a zip bomb?).")
    out, budget = {}, MAX_UNPACKED_BYTES
    for info in infos:
        if wanted is not None and info.filename not in wanted:
            continue
        try:
            with zf.open(info) as fh:
                content = fh.read(budget + 1)  # never more than the budget, whatever the header claims
        except (zipfile.BadZipFile, ValueError, EOFError, OSError, NotImplementedError, RuntimeError) as exc:
            raise _fail(filename, f"{info.filename} in the archive could not be read ({exc}).") from None
        if len(content) > budget:
            raise _fail(filename, f"the archive unpacks to more than {MAX_UNPACKED_BYTES // 2**20} MB "
                                  "(a zip bomb?).")
        budget -= len(content)
        out[info.filename] = content
    return out


def _read_npz(data: bytes, filename: str, nonlinearity: str):
    if not data.startswith(b"PK"):
        raise _fail(filename, "not an .npz file (an .npz is a zip archive, saved with np.savez).")
    tensors = {}
    for member, content in _zip_members(data, filename).items():
        key = member[:-4] if member.endswith(".npy") else member
        buf = io.BytesIO(content)
        try:
            version = np.lib.format.read_magic(buf)
            reader = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                      else np.lib.format.read_array_header_2_0)
            shape, _, dtype = reader(buf)
        except Exception:
            raise _fail(filename, f"{member} in the archive is not a NumPy array.") from None
        if dtype.hasobject:
            raise _fail(filename, f"{key} holds Python objects (a pickle), and uploads are never unpickled; "
                                  "save plain float arrays (tensor.detach().numpy()).")
        _check_tensor_size(filename, key, shape, dtype.itemsize)
        try:
            tensors[key] = np.load(io.BytesIO(content), allow_pickle=False)
        except Exception as exc:
            raise _fail(filename, f"{key} could not be read ({exc}); is the file complete?") from None
    return _from_state_dict(tensors, filename, nonlinearity)


# --------------------------------------------------------------------------------------------
# Keras 3 (.keras)
# --------------------------------------------------------------------------------------------

#: Keras GRU gates z, r, h in PyTorch's order r, z, n; Keras LSTM i, f, c, o already is i, f, g, o.
_KERAS_ORDER = {"gru": (1, 0, 2), "lstm": (0, 1, 2, 3), "rnn_tanh": (0,), "rnn_relu": (0,)}
#: ONNX LSTM gates i, o, f, c and GRU z, r, h in PyTorch's order.
_ONNX_ORDER = {"gru": (1, 0, 2), "lstm": (0, 2, 3, 1), "rnn_tanh": (0,), "rnn_relu": (0,)}


def _reorder(arr: np.ndarray, order, n: int) -> np.ndarray:
    """Blocks of n rows (axis 0) in the given order."""
    return np.concatenate([arr[k * n:(k + 1) * n] for k in order], axis=0)


def _keras_cell(cfg: dict, filename: str, name: str) -> str:
    kind = cfg["class_name"]
    c = cfg.get("config", {})
    act = c.get("activation", "tanh")
    if kind == "SimpleRNN":
        if act not in ("tanh", "relu"):
            raise _fail(filename, f"{name}: SimpleRNN activation {act!r} is not supported (tanh or relu).")
        return f"rnn_{act}"
    if act != "tanh" or c.get("recurrent_activation", "sigmoid") != "sigmoid":
        raise _fail(filename, f"{name}: {kind} with activation {act!r} and recurrent_activation "
                              f"{c.get('recurrent_activation')!r} is not supported (tanh and sigmoid, the defaults).")
    if kind == "GRU":
        if not c.get("reset_after", True):
            raise _fail(filename, f"{name}: a GRU with reset_after=False is not supported (Keras's default and "
                                  "PyTorch's GRU apply the reset gate after the recurrent product: reset_after=True).")
        return "gru"
    return "lstm"


def _snake(name: str) -> str:
    """Keras's ``naming.to_snake_case``: the name its weights file gives a layer of a class."""
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def _keras_layers(config) -> list[tuple[str, str, dict, bool]]:
    """``(name, h5 group of the cell's vars, layer config, reverse)`` of every recurrent layer.

    Keras 3 stores a model's layers under ``layers/<class name in snake case>[_k]`` (k counting
    the earlier layers of the same class), not under their names; models inside a model nest.
    """
    found = []

    def walk(layers, prefix):
        used: dict[str, int] = {}
        for node in layers if isinstance(layers, list) else []:
            if not isinstance(node, dict):
                continue
            kind = str(node.get("class_name", ""))
            cfg = node.get("config") if isinstance(node.get("config"), dict) else {}
            key = _snake(kind)
            used[key] = used.get(key, -1) + 1
            path = f"{prefix}/{key}{f'_{used[key]}' if used[key] else ''}"
            name = str(cfg.get("name", key))
            if kind in ("SimpleRNN", "GRU", "LSTM"):
                found.append((name, f"{path}/cell/vars", node, bool(cfg.get("go_backwards"))))
            elif kind == "Bidirectional":
                fwd = cfg.get("layer", {})
                found.append((name, f"{path}/forward_layer/cell/vars", fwd, False))
                found.append((f"{name}_reverse", f"{path}/backward_layer/cell/vars",
                              cfg.get("backward_layer") or fwd, True))
            elif isinstance(cfg.get("layers"), list):
                walk(cfg["layers"], f"{path}/layers")

    walk(config.get("config", {}).get("layers") if isinstance(config, dict) else None, "layers")
    return found


def _read_keras(data: bytes, filename: str, nonlinearity: str):
    if not data.startswith(b"PK"):
        raise _fail(filename, "not a Keras 3 .keras file (that is a zip archive; save with model.save('m.keras')).")
    members = _zip_members(data, filename, {"config.json", "model.weights.h5"})
    if "config.json" not in members or "model.weights.h5" not in members:
        raise _fail(filename, "a Keras 3 .keras archive holds config.json and model.weights.h5; this one "
                              f"has {', '.join(sorted(members)) or 'neither'}.")
    try:
        config = json.loads(members["config.json"])
    except ValueError:
        raise _fail(filename, "config.json in the archive is not valid JSON.") from None
    import h5py

    try:
        h5 = h5py.File(io.BytesIO(members["model.weights.h5"]), "r")
    except Exception as exc:
        raise _fail(filename, f"model.weights.h5 in the archive is not a readable HDF5 file ({exc}).") from None
    with h5:
        layers = []
        for name, path, cfg, reverse in _keras_layers(config):
            cell = _keras_cell(cfg, filename, name)
            vars_ = h5.get(path)
            if not isinstance(vars_, h5py.Group):
                raise _fail(filename, f"the weights of layer {name} ({path}) are missing from model.weights.h5.")
            arrays = []
            for k in sorted(vars_.keys(), key=lambda s: int(s) if s.isdigit() else 0):
                ds = vars_[k]
                if not isinstance(ds, h5py.Dataset):
                    raise _fail(filename, f"{name}: weight {k} is not an array.")
                _check_tensor_size(filename, f"{name}/{k}", ds.shape, ds.dtype.itemsize)
                if ds.dtype.kind not in "iuf":
                    raise _fail(filename, f"{name}: weight {k} holds {ds.dtype} values; real numbers are needed.")
                arrays.append(np.asarray(ds[()], dtype=np.float64))
            layers.append(_keras_layer(filename, name, cell, arrays, bool(cfg["config"].get("use_bias", True)),
                                       reverse, len(layers)))
            if len(layers) > MAX_LAYERS:
                break
    return layers, []


def _keras_layer(filename, name, cell, arrays, use_bias, reverse, depth):
    want = 3 if use_bias else 2
    if len(arrays) != want or arrays[0].ndim != 2 or arrays[1].ndim != 2:
        raise _fail(filename, f"{name}: expected a kernel (m, G·n), a recurrent kernel (n, G·n)"
                              f"{' and a bias' if use_bias else ''}; found {len(arrays)} arrays of shapes "
                              f"{[a.shape for a in arrays]}.")
    kernel, rec = arrays[0], arrays[1]
    n = rec.shape[0]
    G = len(GATE_NAMES[cell])
    if rec.shape != (n, G * n) or kernel.shape[1] != G * n:
        raise _fail(filename, f"{name}: kernel {kernel.shape} and recurrent kernel {rec.shape} do not fit a "
                              f"{cell} layer ((m, {G}·n) and (n, {G}·n)).")
    order = _KERAS_ORDER[cell]
    bias_ih = bias_hh = np.zeros(G * n)
    if use_bias:
        bias = arrays[2]
        if cell == "gru" and bias.shape == (2, G * n):
            bias_ih, bias_hh = _reorder(bias[0], order, n), _reorder(bias[1], order, n)
        elif bias.shape == (G * n,):
            bias_ih = _reorder(bias, order, n)
        else:
            raise _fail(filename, f"{name}: bias has shape {bias.shape}; it does not fit a {cell} layer.")
    return _make_layer(filename, name=name, cell=cell, weight_ih=_reorder(kernel.T, order, n),
                       weight_hh=_reorder(rec.T, order, n), bias_ih=bias_ih, bias_hh=bias_hh, depth=depth,
                       reverse=reverse)


# --------------------------------------------------------------------------------------------
# ONNX
# --------------------------------------------------------------------------------------------

_ONNX_OPS = {"RNN": 1, "GRU": 3, "LSTM": 4}
_ONNX_DEFAULT_ACTS = {"GRU": ("sigmoid", "tanh"), "LSTM": ("sigmoid", "tanh", "tanh")}


def _read_onnx(data: bytes, filename: str, nonlinearity: str):
    import onnx
    from onnx import numpy_helper

    try:
        model = onnx.load_model_from_string(data)
        graph = model.graph
    except Exception as exc:
        raise _fail(filename, f"not a readable ONNX model ({type(exc).__name__}); is the file complete?") from None
    consts: dict[str, object] = {}
    for init in graph.initializer:
        consts[init.name] = init
    for node in graph.node:
        if node.op_type == "Constant":
            for a in node.attribute:
                if a.name == "value":
                    consts[node.output[0]] = a.t
    layers = []
    for idx, node in enumerate(n for n in graph.node if n.op_type in _ONNX_OPS):
        label = node.name or f"{node.op_type}_{idx}"
        attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
        for bad in ("clip", "activation_alpha", "activation_beta"):
            if bad in attrs:
                raise _fail(filename, f"{label}: the attribute {bad} is not supported.")
        if attrs.get("input_forget", 0):
            raise _fail(filename, f"{label}: input_forget=1 (coupled input and forget gates) is not supported.")
        if node.op_type == "GRU" and attrs.get("linear_before_reset", 0) != 1:
            raise _fail(filename, f"{label}: a GRU with linear_before_reset=0 is not supported; PyTorch's GRU "
                                  "(and what torch.onnx.export writes) has linear_before_reset=1.")
        direction = attrs.get("direction", b"forward")
        direction = direction.decode() if isinstance(direction, bytes) else str(direction)
        dirs = {"forward": (False,), "reverse": (True,), "bidirectional": (False, True)}.get(direction)
        if dirs is None:
            raise _fail(filename, f"{label}: unknown direction {direction!r}.")
        acts = [a.decode().lower() if isinstance(a, bytes) else str(a).lower() for a in attrs.get("activations", [])]
        per_dir = len(acts) // len(dirs) if acts else 0
        if node.op_type == "RNN":
            act_sets = {tuple(acts[k * per_dir:(k + 1) * per_dir]) for k in range(len(dirs))} if acts else {("tanh",)}
            if len(act_sets) != 1 or next(iter(act_sets)) not in (("tanh",), ("relu",)):
                raise _fail(filename, f"{label}: RNN activations {acts} are not supported (Tanh or Relu).")
            cell = f"rnn_{next(iter(act_sets))[0]}"
        else:
            default = _ONNX_DEFAULT_ACTS[node.op_type]
            if acts and tuple(acts) != default * len(dirs):
                raise _fail(filename, f"{label}: activations {acts} are not supported (only the defaults "
                                      f"{', '.join(default)}).")
            cell = node.op_type.lower()

        def tensor(pos: int, what: str):
            if len(node.input) <= pos or not node.input[pos]:
                return None
            t = consts.get(node.input[pos])
            if t is None:
                raise _fail(filename, f"{label}: its {what} ({node.input[pos]}) is not stored in the file's "
                                      "initializers; weights computed in the graph are not supported.")
            if t.data_location == onnx.TensorProto.EXTERNAL or t.external_data:
                raise _fail(filename, f"{label}: its {what} is stored as external data (a separate file), which "
                                      "is not supported; save the model with the weights inside the .onnx file.")
            _check_tensor_size(filename, f"{label} {what}", tuple(t.dims), 8)
            try:
                return np.asarray(numpy_helper.to_array(t), dtype=np.float64)
            except Exception as exc:
                raise _fail(filename, f"{label}: its {what} could not be read ({exc}).") from None

        W, R, B = tensor(1, "W"), tensor(2, "R"), tensor(3, "B")
        P = tensor(7, "P (peepholes)") if node.op_type == "LSTM" else None
        if P is not None and np.any(P != 0):
            raise _fail(filename, f"{label}: non-zero peephole weights P are not supported.")
        if W is None or R is None or W.ndim != 3 or R.ndim != 3:
            raise _fail(filename, f"{label}: W and R must be 3-D initializers [directions, G·n, m|n].")
        G = _ONNX_OPS[node.op_type]
        n = R.shape[2]
        if R.shape != (len(dirs), G * n, n) or W.shape[:2] != (len(dirs), G * n) or (
                B is not None and B.shape != (len(dirs), 2 * G * n)):
            raise _fail(filename, f"{label}: W {W.shape}, R {R.shape}"
                                  f"{'' if B is None else f', B {B.shape}'} do not fit a {direction} "
                                  f"{node.op_type} with hidden_size {attrs.get('hidden_size')}.")
        order = _ONNX_ORDER[cell]
        base = re.sub(r"[^\w.\-]", "_", label).strip("_") or f"{node.op_type}_{idx}"
        for k, rev in enumerate(dirs):
            b = np.zeros(2 * G * n) if B is None else B[k]
            layers.append(_make_layer(
                filename, name=f"{base}{'_reverse' if rev and len(dirs) == 2 else ''}", cell=cell,
                weight_ih=_reorder(W[k], order, n), weight_hh=_reorder(R[k], order, n),
                bias_ih=_reorder(b[:G * n], order, n), bias_hh=_reorder(b[G * n:], order, n),
                depth=idx, reverse=rev))
        if len(layers) > MAX_LAYERS:
            break
    if not layers:
        ops = sorted({n.op_type for n in graph.node})
        return [], [f"The graph has no RNN, GRU or LSTM node (its operators: {', '.join(ops[:12]) or 'none'})."]
    return layers, []


# --------------------------------------------------------------------------------------------
# What the "Your network" page shows about one layer
# --------------------------------------------------------------------------------------------

#: A gate value at least this large counts as "near 1" (the units that remember).
GATE_NEAR_ONE = 0.9
#: Random loss directions whose gradients are followed back through the whole sequence.
PROBES = 8
#: Steps per back-propagation window of the probes (rescaled between windows, so any T stays finite).
_PROBE_WINDOW = 250
#: The page's drive lengths.
MAX_DRIVE_STEPS = 10_000


@dataclass(frozen=True)
class GateSpectrum:
    """Singular values (descending) and eigenvalues (by decreasing modulus) of one gate's n × n
    recurrent weight (``W`` for a plain RNN)."""

    gate: str
    singular_values: np.ndarray
    eigenvalues: np.ndarray


@dataclass(frozen=True)
class LayerAnalysis:
    """Everything the page draws about one layer driven by ``xs`` (T, m).

    ``gates``: the spectra of the recurrent weights per gate; ``verdict``: Pascanu's conditions
    (plain RNN layers only, else None). ``probe_log_norm`` (T+1, p): row d holds
    ``log(‖g_{T−d}‖ / ‖g_T‖)`` for the gradient g of each of p = min(PROBES, d) random loss directions at the
    last state, back-propagated d steps (the whole state: [h, c] for an LSTM; exact, for any T).
    ``product_log_sv`` (window+1, d): row j the natural logs of every singular value of
    ``∂s_T/∂s_{T−j}`` over the last ``window`` steps (the long-product machinery; the window is what
    ``seconds`` affords), ``lyapunov`` = its row ``window`` / window. ``gate_mean`` (n,): each unit's
    mean update gate z (GRU) or forget gate f (LSTM) over the run, ``gate_label`` its name
    (None for a plain RNN). ``diagnosis``: one sentence with its number.
    """

    layer: str
    cell: str
    T: int
    state_size: int
    gates: tuple[GateSpectrum, ...]
    verdict: object
    probe_log_norm: np.ndarray
    window: int
    product_log_sv: np.ndarray | None
    lyapunov: np.ndarray | None
    gate_label: str | None
    gate_mean: np.ndarray | None
    diagnosis: str
    product_error: str | None = None

    @property
    def typical_log_norm(self) -> np.ndarray:
        """Median over the probes of ``probe_log_norm``, per distance (T+1,)."""
        return np.median(self.probe_log_norm, axis=1)

    @property
    def top_rate(self) -> float:
        """The largest probe's growth rate per step over all T steps, ``log(‖g_0‖/‖g_T‖) / T``: an
        estimate of the top Lyapunov exponent from the whole run, at any state size."""
        return float(np.max(self.probe_log_norm[-1]) / self.T)

    @property
    def near_one(self) -> float | None:
        """The fraction of units whose mean gate is at least GATE_NEAR_ONE (None: no gate)."""
        return None if self.gate_mean is None else float(np.mean(self.gate_mean >= GATE_NEAR_ONE))


def parse_sequence(data: bytes, filename: str, m: int) -> np.ndarray:
    """An input sequence (T, m) from the bytes of an ``.npy`` file (never unpickled): T from 1 to
    MAX_DRIVE_STEPS steps of the layer's m inputs, finite. ``ValueError`` naming the file otherwise."""
    from .upload import MAX_UPLOAD_BYTES, _read_npy

    name = str(filename or "")
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise _fail(name, f"the input sequence must be the file's bytes; got {type(data).__name__}.")
    if not name.lower().endswith(".npy"):
        raise _fail(name, f"an input sequence is a .npy file: np.save('xs.npy', xs) with xs of shape (T, {m}).")
    if not 0 < len(data) <= MAX_UPLOAD_BYTES:
        raise _fail(name, f"an input sequence must hold 1 byte to {MAX_UPLOAD_BYTES // 2**20} MB; "
                          f"this file has {len(data)} bytes.")

    def shape_ok(shape, _name):
        if len(shape) != 2 or shape[1] != m or not 1 <= shape[0] <= MAX_DRIVE_STEPS:
            raise _fail(name, f"holds an array of shape {shape}; the layer reads (T, {m}): T from 1 to "
                              f"{MAX_DRIVE_STEPS} steps of its m = {m} inputs.")

    arr = _read_npy(bytes(data), name, shape_ok)
    bad = arr.size - int(np.count_nonzero(np.isfinite(arr)))
    if bad:
        raise _fail(name, f"holds {bad} NaN or infinite value(s); only finite inputs are accepted.")
    return arr


def layer_drive(layer: RecurrentLayer, T: int, *, scale: float, seed: int = 0) -> np.ndarray:
    """A Gaussian input drive x_t ~ N(0, scale²) i.i.d., shape (T, m) for the layer's m inputs."""
    from ._validate import check_float, check_int, check_seed

    T = check_int(T, "T (the number of steps)", low=1, high=MAX_DRIVE_STEPS)
    scale = check_float(scale, "input scale", low=0.0, high=1e6)
    return scale * np.random.default_rng([check_seed(seed), 1]).standard_normal((T, layer.input_size))


def probe_directions(d: int) -> np.ndarray:
    """The probes' loss directions at the last state: min(PROBES, d) orthonormal columns, (d, p),
    the same for every run (seeded)."""
    return np.linalg.qr(np.random.default_rng(12345).standard_normal((d, min(PROBES, d))))[0]


def _probe_log_norms(layer: RecurrentLayer, xs: np.ndarray, tr) -> np.ndarray:
    """``xs`` in the order the layer reads it, ``tr`` its trajectory: (T+1, p) log gradient norms (p = min(PROBES, d)), by distance, of random unit loss directions at the last
    state, through the core's own back-propagation (``bptt`` / ``gru_bptt`` / ``lstm_bptt``) on
    windows of ``_PROBE_WINDOW`` steps, the gradients rescaled to unit size between windows."""
    from .gated import LSTMTrajectory, gru_bptt, lstm_bptt
    from .rnn import Trajectory, bptt

    T, n, d = xs.shape[0], layer.hidden_size, layer.state_size
    p = min(PROBES, d)
    g = probe_directions(d).T  # (p, d) orthonormal directions
    out = np.zeros((T + 1, p))
    offset = np.zeros(p)

    def rep(arr):  # one trajectory seen as a batch of PROBES identical ones (no copy)
        return np.broadcast_to(arr[:, None], (arr.shape[0], p, *arr.shape[1:]))

    with np.errstate(over="ignore", under="ignore", invalid="ignore", divide="ignore"):
        for stop in range(T, 0, -_PROBE_WINDOW):
            start = max(0, stop - _PROBE_WINDOW)
            L = stop - start
            dL = np.zeros((L + 1, p, n))
            dL[L] = g[:, :n]
            xw = rep(xs[start:stop])
            if layer.cell == "lstm":
                win = tr.window(start, stop)
                dc = np.zeros_like(dL)
                dc[L] = g[:, n:]
                res = lstm_bptt(layer.params, xw, LSTMTrajectory(*(rep(getattr(win, k)) for k in "hcifgo")),
                                dL, dL_dc=dc)
                states = np.concatenate([res.h, res.c], axis=-1)
            elif layer.cell == "gru":
                win = tr.window(start, stop)
                res = gru_bptt(layer.params, xw, type(win)(*(rep(getattr(win, k)) for k in ("h", "r", "z", "n", "hn"))), dL)
                states = res.h
            else:
                W, U, _ = layer.params
                win = Trajectory(h=rep(tr.h[start:stop + 1]), a=rep(tr.a[start:stop]))
                states = bptt(W, xw, win, dL, U=U, nonlinearity=layer.nonlinearity).h
            norms = np.linalg.norm(states, axis=-1)  # (L+1, p), row j: state start + j
            out[T - stop:T - start + 1] = (np.log(norms) + offset)[::-1]
            g = states[0] / np.where(norms[0] > 0, norms[0], 1.0)[:, None]
            offset = offset + np.log(norms[0])
    return out


def _diagnosis(log_norm: np.ndarray, T: int) -> str:
    """One sentence with its number, from the median gradient size by distance (natural logs)."""
    far = min(100, T)
    keep = math.exp(log_norm[far]) if np.isfinite(log_norm[far]) else 0.0
    below = np.flatnonzero(log_norm < math.log(1e-3))
    above = np.flatnonzero(log_norm > math.log(1e3))
    if keep >= 1e3 or (above.size and above[0] <= far):
        first = int(above[0])
        return (f"The gradient explodes: {far} steps back a gradient is {keep:.1e} times its size; it passes "
                f"1000 times its size about {first} steps back.")
    head = f"A gradient {far} step{'s' if far != 1 else ''} back keeps {keep:.1e} of its size"
    if below.size:
        return f"{head}; about {int(below[0])} steps back it falls below 1e-3."
    worst = math.exp(float(np.min(log_norm)))
    return f"{head}; over all {T} steps it never falls below 1e-3 (at worst {worst:.1e}): this layer carries it."


#: The longest wait the page offers for the product over every step (seconds, by the cost model).
MAX_WHOLE_SECONDS = 30.0


def product_window(d: int, T: int, seconds: float = 1.0) -> int:
    """How many of the last steps the product spectrum covers at state size d within ``seconds``
    of the spectral page's cost model (at least 2, at most T)."""
    from .spectral import PRODUCT_SECONDS, _product_step_seconds

    return min(T, max(2, int(PRODUCT_SECONDS * seconds / _product_step_seconds(d))))


def whole_horizon(d: int, T: int) -> tuple[float, float] | None:
    """``(seconds for analyse_layer, about how long it takes)`` for a product over all T steps, or
    None when that would take more than MAX_WHOLE_SECONDS (or the default already covers T)."""
    from .spectral import PRODUCT_SECONDS, full_horizon_budget

    if product_window(d, T) >= T:
        return None
    budget = full_horizon_budget(d, T)
    if budget is None or budget * PRODUCT_SECONDS > MAX_WHOLE_SECONDS:
        return None
    return budget, budget * PRODUCT_SECONDS


def analyse_layer(layer: RecurrentLayer, xs, *, seconds: float = 1.0) -> LayerAnalysis:
    """The page's analysis of ``layer`` driven by ``xs`` (T, m) (see :class:`LayerAnalysis`).

    ``seconds`` bounds the window of the full product spectrum through the spectral page's cost
    model (every singular value costs about d³ per step; the probes cover every step at any size).
    """
    from ._validate import check_float
    from .linalg import eigenvalues, singular_values
    from .products import chunked_log_singular_values, trajectory_log_singular_values
    from .spectral import pascanu_verdict

    if not isinstance(layer, RecurrentLayer):
        raise ValueError(f"layer must be a RecurrentLayer (from load_checkpoint); got {type(layer).__name__}.")
    seconds = check_float(seconds, "seconds", low=0.0, strict_low=True, high=3600.0)
    read = layer._inputs(xs)  # in the order the layer reads it
    if read.shape[0] > MAX_DRIVE_STEPS:
        raise ValueError(f"xs has T = {read.shape[0]} steps; at most {MAX_DRIVE_STEPS} are analysed.")
    T, d = read.shape[0], layer.state_size
    tr = layer.trajectory(xs)
    gates = tuple(GateSpectrum(g, singular_values(W), eigenvalues(W)) for g, W in layer.recurrent_gates())
    verdict = pascanu_verdict(layer.weight_hh, layer.nonlinearity) if layer.cell.startswith("rnn") else None
    probe = _probe_log_norms(layer, read, tr)
    window = product_window(d, T, seconds)
    P, error, lyap = None, None, None
    try:
        with np.errstate(over="ignore", under="ignore", invalid="ignore", divide="ignore"):
            if layer.cell.startswith("rnn"):
                P = trajectory_log_singular_values(layer.weight_hh, tr.a[T - window:], layer.nonlinearity)
            else:
                P = chunked_log_singular_values(window, d, layer.jacobians_of(tr.window(T - window, T)))
        P = np.asarray(P, dtype=float)[::-1]
        lyap = P[-1] / window
    except (np.linalg.LinAlgError, ValueError) as exc:
        error = f"the singular values of the product could not be computed ({exc})"
    gate_label, gate_mean = None, None
    if layer.cell == "gru":
        gate_label, gate_mean = "update gate z", tr.z.mean(axis=0)
    elif layer.cell == "lstm":
        gate_label, gate_mean = "forget gate f", tr.f.mean(axis=0)
    median = np.median(probe, axis=1)
    return LayerAnalysis(layer=layer.name, cell=layer.cell, T=T, state_size=d, gates=gates, verdict=verdict,
                         probe_log_norm=probe, window=window, product_log_sv=P, lyapunov=lyap,
                         gate_label=gate_label, gate_mean=gate_mean, diagnosis=_diagnosis(median, T),
                         product_error=error)
