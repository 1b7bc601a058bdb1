"""rnnviz.checkpoint: every format against its framework's own numbers, and hostile files.

PyTorch (forward and autograd step Jacobians), Keras 3 (model outputs, torch backend) and
onnxruntime (outputs of RNN/GRU/LSTM nodes) are test-only dependencies; models are made here with
fixed seeds and small sizes.
"""

from __future__ import annotations

import io
import json
import os
import zipfile

import numpy as np
import pytest

import rnnviz
from rnnviz.checkpoint import MAX_CHECKPOINT_BYTES

torch = pytest.importorskip("torch")
torch.set_default_dtype(torch.float64)


def _safetensors(state_dict, prefix="") -> bytes:
    from safetensors.torch import save

    return save({prefix + k: v.detach().float().contiguous() for k, v in state_dict.items()})


def _npz(arrays: dict) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


# --------------------------------------------------------------------------------------------
# PyTorch state_dicts: forward and autograd Jacobians
# --------------------------------------------------------------------------------------------

def _torch_step_jacobians(module, cell: str, xs: np.ndarray, layer) -> np.ndarray:
    """Autograd Jacobians of one step of a one-layer PyTorch module at our trajectory's states."""
    tr = layer.trajectory(xs)
    n = layer.hidden_size
    out = []
    for t in range(xs.shape[0]):
        x = torch.tensor(xs[t:t + 1])
        if cell == "lstm":
            s0 = torch.tensor(np.concatenate([tr.h[t], tr.c[t]]))

            def step(s):
                _, (h, c) = module(x, (s[:n][None], s[n:][None]))
                return torch.cat([h[0], c[0]])
        else:
            s0 = torch.tensor(tr.h[t])

            def step(s):
                return module(x, s[None])[1][0]
        out.append(torch.autograd.functional.jacobian(step, s0).numpy())
    return np.stack(out)


@pytest.mark.parametrize("kind,cell", [("RNN", "rnn_tanh"), ("RNN", "rnn_relu"), ("GRU", "gru"), ("LSTM", "lstm")])
def test_torch_one_layer_forward_and_jacobians_match_autograd(kind, cell):
    torch.manual_seed(1)
    kw = {"nonlinearity": cell[4:]} if kind == "RNN" else {}
    mod = getattr(torch.nn, kind)(3, 5, **kw).double()
    with torch.no_grad():  # biases away from zero, so a wrong gate order cannot hide
        for p in mod.parameters():
            p.mul_(2.0)
    ck = rnnviz.load_checkpoint(_safetensors(mod.state_dict(), "model.encoder."), "m.safetensors",
                                nonlinearity=cell[4:] if kind == "RNN" else "tanh")
    (layer,) = ck.layers
    assert (layer.name, layer.cell, layer.input_size, layer.hidden_size) == ("model.encoder.l0", cell, 3, 5)
    xs = np.random.default_rng(0).standard_normal((6, 3))
    mod.float().double()  # the weights as stored (float32), in float64
    ref = mod(torch.tensor(xs))[0].detach().numpy()
    np.testing.assert_allclose(layer.forward(xs)[1:], ref, atol=1e-12)
    J = layer.step_jacobians(xs)
    d = 10 if cell == "lstm" else 5
    assert J.shape == (6, d, d)
    np.testing.assert_allclose(J, _torch_step_jacobians(mod, cell, xs, layer), atol=1e-12)


def test_torch_stacked_bidirectional_lstm_every_direction_matches():
    torch.manual_seed(2)
    mod = torch.nn.LSTM(3, 4, num_layers=2, bidirectional=True).double()
    data = _npz({k: v.detach().numpy() for k, v in mod.state_dict().items()})
    ck = rnnviz.load_checkpoint(data, "lstm.npz")
    assert [(la.name, la.reverse, la.input_size) for la in ck.layers] == [
        ("l0", False, 3), ("l0_reverse", True, 3), ("l1", False, 8), ("l1_reverse", True, 8)]
    xs = np.random.default_rng(1).standard_normal((5, 3))
    out = xs
    for depth in range(2):
        fwd, rev = ck.layers[2 * depth], ck.layers[2 * depth + 1]
        out = np.concatenate([fwd.forward(out)[1:], rev.forward(out)[1:][::-1]], axis=1)
    np.testing.assert_allclose(out, mod(torch.tensor(xs))[0].detach().numpy(), atol=1e-12)


@pytest.mark.parametrize("kind", ["RNNCell", "GRUCell", "LSTMCell"])
def test_torch_cells_are_one_layer(kind):
    torch.manual_seed(3)
    mod = getattr(torch.nn, kind)(2, 3).double()
    ck = rnnviz.load_checkpoint(_safetensors(mod.state_dict(), "cell."), "c.safetensors")
    (layer,) = ck.layers
    assert layer.name == "cell" and layer.hidden_size == 3
    xs = np.random.default_rng(2).standard_normal((4, 2))
    mod.float().double()
    h = layer.forward(xs)
    state = None
    for t in range(4):
        state = mod(torch.tensor(xs[t:t + 1]), state)
        got = (state[0] if kind == "LSTMCell" else state)[0].detach().numpy()
        np.testing.assert_allclose(h[t + 1], got, atol=1e-12)


def test_other_tensors_are_left_out_and_counted():
    torch.manual_seed(4)
    sd = {**{f"rnn.{k}": v for k, v in torch.nn.GRU(2, 3).state_dict().items()},
          "embed.weight": torch.zeros(10, 2), "head.weight": torch.zeros(2, 3)}
    ck = rnnviz.load_checkpoint(_safetensors(sd), "m.safetensors")
    assert [la.name for la in ck.layers] == ["rnn.l0"]
    assert ck.notes == ("2 other tensor(s) (not recurrent weights) left out.",)


# --------------------------------------------------------------------------------------------
# Keras 3 (.keras) against Keras's own outputs
# --------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def keras_model(tmp_path_factory):
    os.environ["KERAS_BACKEND"] = "torch"
    keras = pytest.importorskip("keras")
    keras.utils.set_random_seed(0)
    inp = keras.Input((6, 3))
    a = keras.layers.SimpleRNN(4, return_sequences=True, activation="relu", bias_initializer="glorot_uniform")(inp)
    b = keras.layers.GRU(4, return_sequences=True, bias_initializer="glorot_uniform")(a)
    c = keras.layers.Bidirectional(keras.layers.LSTM(4, return_sequences=True, bias_initializer="glorot_uniform"))(b)
    d = keras.layers.GRU(3, return_sequences=True, go_backwards=True, use_bias=False)(c)
    model = keras.Model(inp, [a, b, c, d])
    path = tmp_path_factory.mktemp("keras") / "m.keras"
    model.save(path)
    xs = np.random.default_rng(3).standard_normal((1, 6, 3)).astype("float32")
    outs = [np.asarray(o, dtype=np.float64)[0] for o in model.predict(xs, verbose=0)]
    return path.read_bytes(), xs[0].astype(np.float64), outs


def test_keras_layers_match_keras_outputs(keras_model):
    data, xs, (a, b, c, d) = keras_model
    ck = rnnviz.load_checkpoint(data, "m.keras")
    assert [(la.cell, la.reverse) for la in ck.layers] == [
        ("rnn_relu", False), ("gru", False), ("lstm", False), ("lstm", True), ("gru", True)]
    rnn, gru, fwd, bwd, back = ck.layers
    np.testing.assert_allclose(rnn.forward(xs)[1:], a, atol=1e-5)
    np.testing.assert_allclose(gru.forward(a)[1:], b, atol=1e-5)
    np.testing.assert_allclose(np.concatenate([fwd.forward(b)[1:], bwd.forward(b)[1:][::-1]], axis=1), c, atol=1e-5)
    # go_backwards on its own: Keras returns the states in the order it computed them
    np.testing.assert_allclose(back.forward(c)[1:], d, atol=1e-5)
    assert not back.bias_ih.any() and not back.bias_hh.any()


def test_keras_gru_without_reset_after_is_refused(keras_model):
    data = keras_model[0]
    zin = zipfile.ZipFile(io.BytesIO(data))
    cfg = json.loads(zin.read("config.json"))
    cfg["config"]["layers"][2]["config"]["reset_after"] = False
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, json.dumps(cfg) if info.filename == "config.json" else zin.read(info))
    with pytest.raises(ValueError, match="'m.keras'.*reset_after=False"):
        rnnviz.load_checkpoint(buf.getvalue(), "m.keras")


# --------------------------------------------------------------------------------------------
# ONNX against onnxruntime
# --------------------------------------------------------------------------------------------

def _onnx_model(op: str, n: int, m: int, direction: str, rng, peepholes=None, **attrs):
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    G = {"RNN": 1, "GRU": 3, "LSTM": 4}[op]
    nd = 2 if direction == "bidirectional" else 1
    W = rng.standard_normal((nd, G * n, m)).astype(np.float32)
    R = (rng.standard_normal((nd, G * n, n)) / np.sqrt(n)).astype(np.float32)
    B = rng.standard_normal((nd, 2 * G * n)).astype(np.float32)
    inits = [numpy_helper.from_array(a, k) for k, a in (("W", W), ("R", R), ("B", B))]
    inputs = ["X", "W", "R", "B"]
    if peepholes is not None:
        inits.append(numpy_helper.from_array(np.full((nd, 3 * n), peepholes, np.float32), "P"))
        inputs += ["", "", "", "P"]
    node = helper.make_node(op, inputs, ["Y"], hidden_size=n, direction=direction, **attrs)
    graph = helper.make_graph([node], "g", [helper.make_tensor_value_info("X", TensorProto.FLOAT, [None, 1, m])],
                              [helper.make_tensor_value_info("Y", TensorProto.FLOAT, None)], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)])
    model.ir_version = 8
    return model.SerializeToString()


@pytest.mark.parametrize("op,attrs", [("RNN", {}), ("RNN", {"activations": ["Relu", "Relu"]}),
                                      ("GRU", {"linear_before_reset": 1}), ("LSTM", {})])
def test_onnx_nodes_match_onnxruntime(op, attrs):
    ort = pytest.importorskip("onnxruntime")
    rng = np.random.default_rng(5)
    data = _onnx_model(op, 4, 3, "bidirectional", rng, **attrs)
    ck = rnnviz.load_checkpoint(data, "m.onnx")
    assert [la.reverse for la in ck.layers] == [False, True]
    xs = rng.standard_normal((6, 3)).astype(np.float32)
    Y = ort.InferenceSession(data, providers=["CPUExecutionProvider"]).run(None, {"X": xs[:, None, :]})[0]
    fwd, bwd = ck.layers
    np.testing.assert_allclose(fwd.forward(xs)[1:], Y[:, 0, 0], atol=1e-5)
    np.testing.assert_allclose(bwd.forward(xs)[1:][::-1], Y[:, 1, 0], atol=1e-5)


def test_onnx_exported_by_pytorch_matches_pytorch():
    torch.manual_seed(6)
    mod = torch.nn.GRU(3, 4, num_layers=2, bidirectional=True)
    x = torch.randn(5, 1, 3)
    buf = io.BytesIO()
    with pytest.warns(UserWarning):  # the exporter's note about batch sizes
        torch.onnx.export(mod, (x,), buf, dynamo=False, input_names=["X"])
    ck = rnnviz.load_checkpoint(buf.getvalue(), "gru.onnx")
    assert [(la.name, la.reverse, la.input_size) for la in ck.layers] == [
        ("GRU", False, 3), ("GRU_reverse", True, 3), ("GRU_1", False, 8), ("GRU_1_reverse", True, 8)]
    out = x.numpy()[:, 0].astype(np.float64)
    for depth in range(2):
        fwd, rev = ck.layers[2 * depth], ck.layers[2 * depth + 1]
        out = np.concatenate([fwd.forward(out)[1:], rev.forward(out)[1:][::-1]], axis=1)
    np.testing.assert_allclose(out, mod(x)[0].detach().numpy()[:, 0], atol=1e-6)


@pytest.mark.parametrize("op,attrs,message", [
    ("GRU", {"linear_before_reset": 0}, "linear_before_reset=0"),
    ("RNN", {"activations": ["Sigmoid"]}, "activations"),
    ("LSTM", {"clip": 3.0}, "clip"),
])
def test_onnx_unsupported_variants_are_refused(op, attrs, message):
    data = _onnx_model(op, 2, 2, "forward", np.random.default_rng(0), **attrs)
    with pytest.raises(ValueError, match=f"'x.onnx'.*{message}"):
        rnnviz.load_checkpoint(data, "x.onnx")


def test_onnx_peepholes_zero_are_read_and_non_zero_refused():
    rng = np.random.default_rng(0)
    assert len(rnnviz.load_checkpoint(_onnx_model("LSTM", 2, 2, "forward", rng, peepholes=0.0), "x.onnx").layers) == 1
    with pytest.raises(ValueError, match="'x.onnx'.*peephole"):
        rnnviz.load_checkpoint(_onnx_model("LSTM", 2, 2, "forward", rng, peepholes=0.5), "x.onnx")


def test_onnx_external_data_is_refused():
    import onnx

    model = onnx.load_model_from_string(_onnx_model("RNN", 2, 2, "forward", np.random.default_rng(0)))
    w = model.graph.initializer[0]
    w.data_location = onnx.TensorProto.EXTERNAL
    w.ClearField("raw_data")
    w.external_data.add(key="location", value="weights.bin")
    with pytest.raises(ValueError, match="external data"):
        rnnviz.load_checkpoint(model.SerializeToString(), "x.onnx")


# --------------------------------------------------------------------------------------------
# Hostile input
# --------------------------------------------------------------------------------------------

def _gru_npz(**override) -> dict:
    rng = np.random.default_rng(0)
    arrays = {"rnn.weight_ih_l0": rng.standard_normal((9, 2)), "rnn.weight_hh_l0": rng.standard_normal((9, 3)),
              "rnn.bias_ih_l0": np.zeros(9), "rnn.bias_hh_l0": np.zeros(9)}
    arrays.update(override)
    return arrays


def _zip_bomb() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as z:
        with z.open("rnn.weight_hh_l0.npy", "w", force_zip64=True) as fh:
            chunk = bytes(2**20)
            for _ in range(200):
                fh.write(chunk)
    return buf.getvalue()


def _pickled_npz() -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **{"rnn.weight_hh_l0": np.array([{"a": 1}], dtype=object)})
    return buf.getvalue()


@pytest.mark.parametrize("data,filename,message", [
    (b"\x80\x04garbage", "m.pt", "not read.*save_file"),
    (b"garbage", "m.pkl", "np.savez"),
    (b"garbage", "m.h5", "model.save"),
    (b"garbage", "m.txt", "unknown file type"),
    (b"", "m.safetensors", "empty"),
    (b"\x00" * 16, "m.safetensors", "header"),
    (b"\xff" * 64, "m.safetensors", "header length"),
    (b"not a zip", "m.npz", "not an .npz"),
    (b"PK\x03\x04 truncated", "m.npz", "not a valid zip"),
    (b"PK\x03\x04 truncated", "m.keras", "not a valid zip"),
    (b"\x08\x07garbage\xff\xff", "m.onnx", "not a readable ONNX"),
    (bytes(MAX_CHECKPOINT_BYTES + 1), "m.onnx", "MB; checkpoints up to"),
])
def test_garbage_is_refused_with_the_file_named(data, filename, message):
    with pytest.raises(ValueError, match=f"^'{filename}': .*{message}"):
        rnnviz.load_checkpoint(data, filename)


@pytest.mark.parametrize("arrays,message", [
    (_gru_npz(**{"rnn.weight_hh_l0": np.full((9, 3), np.nan)}), "NaN or infinite"),
    (_gru_npz(**{"rnn.weight_ih_l0": np.zeros((6, 2))}), r"weight_ih has shape \(6, 2\)"),
    (_gru_npz(**{"rnn.bias_hh_l0": np.zeros(4)}), r"bias_hh has shape \(4,\)"),
    (_gru_npz(**{"rnn.weight_hh_l0": np.zeros((10, 3))}), "G·n, n"),
    ({"rnn.weight_hh_l0": np.zeros((1025, 1025), np.float16), "rnn.weight_ih_l0": np.zeros((1025, 1), np.float16)},
     "at most 1024"),
    ({f"rnn.{k}_l{i}": np.zeros(s) for i in range(17) for k, s in (("weight_ih", (2, 2)), ("weight_hh", (2, 2)))},
     "at most 16"),
    ({"rnn.weight_hh_l0": np.zeros((3, 3))}, "no weight_ih"),
    ({"embedding.weight": np.zeros((3, 3))}, "no recurrent layer.*found: embedding.weight"),
])
def test_bad_contents_are_refused(arrays, message):
    with pytest.raises(ValueError, match=f"'w.npz': .*{message}"):
        rnnviz.load_checkpoint(_npz(arrays), "w.npz")


def test_zip_bomb_and_pickle_are_refused_before_unpacking():
    with pytest.raises(ValueError, match="'b.npz'.*zip bomb"):
        rnnviz.load_checkpoint(_zip_bomb(), "b.npz")
    with pytest.raises(ValueError, match="'p.npz'.*pickle"):
        rnnviz.load_checkpoint(_pickled_npz(), "p.npz")


def test_truncated_safetensors_and_keras_without_weights():
    torch.manual_seed(0)
    data = _safetensors(torch.nn.GRU(2, 3).state_dict())
    with pytest.raises(ValueError, match="'t.safetensors'"):
        rnnviz.load_checkpoint(data[:-20], "t.safetensors")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("config.json", "{}")
    with pytest.raises(ValueError, match="'k.keras'.*model.weights.h5"):
        rnnviz.load_checkpoint(buf.getvalue(), "k.keras")


def test_layer_api_checks_its_arguments():
    ck = rnnviz.load_checkpoint(_npz(_gru_npz()), "w.npz")
    layer = ck.layer("rnn.l0")
    with pytest.raises(ValueError, match=r"needs \(T, 2\)"):
        layer.forward(np.zeros((4, 3)))
    with pytest.raises(ValueError, match="No layer 'x'"):
        ck.layer("x")
