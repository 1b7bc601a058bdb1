"""rnnviz.checkpoint.analyse_layer (what the "Your network" page shows) and the bundled examples."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

import rnnviz
from rnnviz.checkpoint import (GATE_NEAR_ONE, RecurrentLayer, _diagnosis, analyse_layer, layer_drive,
                               probe_directions)

EXAMPLES = Path(__file__).resolve().parents[1] / "rnnviz" / "ui" / "examples"


def _layer(cell: str, n: int = 6, m: int = 3, seed: int = 0, reverse: bool = False) -> RecurrentLayer:
    G = {"rnn_tanh": 1, "rnn_relu": 1, "gru": 3, "lstm": 4}[cell]
    rng = np.random.default_rng(seed)
    return RecurrentLayer("x", cell, rng.standard_normal((G * n, m)), 1.2 * rng.standard_normal((G * n, n)) / np.sqrt(n),
                          0.5 * rng.standard_normal(G * n), 0.5 * rng.standard_normal(G * n), reverse=reverse)


@pytest.mark.parametrize("cell", ["rnn_tanh", "rnn_relu", "gru", "lstm"])
@pytest.mark.parametrize("reverse", [False, True])
def test_probes_are_the_gradients_of_the_step_jacobians(cell, reverse):
    layer = _layer(cell, reverse=reverse)
    xs = layer_drive(layer, 600, scale=1.0, seed=3)  # longer than one back-propagation window (250)
    a = analyse_layer(layer, xs, seconds=0.2)
    J = layer.step_jacobians(xs)
    g = probe_directions(layer.state_size)
    p = g.shape[1]
    assert p == min(8, layer.state_size)
    logs, scale = [np.zeros(p)], np.zeros(p)
    for Jt in J[::-1]:  # g_{k-1} = J_k^T g_k, rescaled (the explicit product underflows)
        g = Jt.T @ g
        nrm = np.linalg.norm(g, axis=0)
        scale += np.log(nrm)
        g /= nrm
        logs.append(scale.copy())
    np.testing.assert_allclose(a.probe_log_norm, np.array(logs), rtol=1e-9, atol=1e-9)
    assert a.diagnosis == _diagnosis(np.median(a.probe_log_norm, axis=1), 600)


def test_product_window_and_exponents_come_from_the_long_product_machinery():
    layer = _layer("gru", n=5)
    xs = layer_drive(layer, 300, scale=0.5)
    a = analyse_layer(layer, xs)
    assert a.window == 300
    P = rnnviz.product_log_singular_values(layer.step_jacobians(xs))
    np.testing.assert_allclose(a.product_log_sv, P[::-1], atol=1e-8)
    np.testing.assert_allclose(a.lyapunov, P[0] / 300, atol=1e-10)
    # the largest probe grows at most as fast as the largest singular value, over every distance
    assert np.all(a.probe_log_norm.max(axis=1) <= a.product_log_sv[:, 0] + 1e-9)


def test_gate_statistics_and_spectra():
    layer = _layer("lstm", n=4)
    xs = layer_drive(layer, 50, scale=1.0)
    a = analyse_layer(layer, xs)
    tr = layer.trajectory(xs)
    np.testing.assert_allclose(a.gate_mean, tr.f.mean(axis=0))
    assert a.near_one == np.mean(tr.f.mean(axis=0) >= GATE_NEAR_ONE)
    assert [g.gate for g in a.gates] == ["i", "f", "g", "o"]
    np.testing.assert_allclose(a.gates[1].singular_values, np.linalg.svd(layer.weight_hh[4:8], compute_uv=False))
    assert a.verdict is None
    plain = analyse_layer(_layer("rnn_tanh"), np.zeros((10, 3)))
    assert plain.gate_mean is None and plain.verdict.sigma_max == pytest.approx(
        np.linalg.norm(_layer("rnn_tanh").weight_hh, 2))


@pytest.mark.parametrize("log_norm,expected", [
    (np.log(0.9) * np.arange(201), "A gradient 100 steps back keeps 2.7e-05 of its size; about 66 steps back it "
                                    "falls below 1e-3."),
    (np.zeros(51), "A gradient 50 steps back keeps 1.0e+00 of its size; over all 50 steps it never falls below "
                   "1e-3 (at worst 1.0e+00): this layer carries it."),
    (np.log(1.2) * np.arange(201), "The gradient explodes: 100 steps back a gradient is 8.3e+07 times its size; "
                                   "it passes 1000 times its size about 38 steps back."),
])
def test_diagnosis_sentence_states_its_numbers(log_norm, expected):
    assert _diagnosis(log_norm, len(log_norm) - 1) == expected
    if "falls below" in expected:  # the numbers in it are the curve's own: 0.9^65 > 1e-3 > 0.9^66
        assert 0.9 ** 100 == pytest.approx(2.656e-5, rel=1e-3) and 0.9 ** 65 > 1e-3 > 0.9 ** 66


def test_analysis_refuses_bad_drives():
    layer = _layer("gru")
    with pytest.raises(ValueError, match=r"needs \(T, 3\)"):
        analyse_layer(layer, np.zeros((10, 4)))
    with pytest.raises(ValueError, match="NaN"):
        analyse_layer(layer, np.full((10, 3), np.nan))
    with pytest.raises(ValueError, match="at most 10000"):
        analyse_layer(layer, np.zeros((10_001, 3)))


def test_bundled_examples_load_and_differ_as_the_page_says():
    lstm = rnnviz.load_checkpoint((EXAMPLES / "agreement_lstm.safetensors").read_bytes(), "agreement_lstm.safetensors")
    gru = rnnviz.load_checkpoint((EXAMPLES / "untrained_gru.npz").read_bytes(), "untrained_gru.npz")
    assert [(la.cell, la.hidden_size) for la in lstm.layers] == [("lstm", 32)]
    assert [(la.cell, la.hidden_size, la.input_size) for la in gru.layers] == [("gru", 64, 8)]
    for path in EXAMPLES.iterdir():
        assert path.stat().st_size < 300_000
    # the trained LSTM keeps a gradient 100 steps back; the untrained GRU loses it (unit drive)
    keep = [math.exp(np.median(analyse_layer(ck.layers[0], layer_drive(ck.layers[0], 200, scale=1.0), seconds=0.1)
                               .probe_log_norm[100])) for ck in (lstm, gru)]
    assert keep[0] > 1e-3 > 1e-12 > keep[1]


def _npy(arr) -> bytes:
    import io

    buf = io.BytesIO()
    np.save(buf, arr)
    return buf.getvalue()


def test_parse_sequence_reads_T_by_m_and_refuses_the_rest():
    from rnnviz.checkpoint import parse_sequence

    xs = np.arange(12.0).reshape(4, 3)
    np.testing.assert_array_equal(parse_sequence(_npy(xs), "xs.npy", 3), xs)
    for data, name, message in [
        (_npy(xs), "xs.npy", r"shape \(4, 3\); the layer reads \(T, 2\)"),
        (_npy(np.zeros((4, 2, 2))), "xs.npy", "shape"),
        (_npy(np.array([[np.nan, 0.0]])), "xs.npy", "NaN"),
        (_npy(np.array([{"a": 1}], dtype=object)), "xs.npy", "unpickled"),
        (b"garbage", "xs.npy", "not a NumPy"),
        (_npy(xs), "xs.csv", "is a .npy file"),
    ]:
        with pytest.raises(ValueError, match=f"'{name}'.*{message}"):
            parse_sequence(data, name, 2)


def test_the_untrained_gru_example_is_what_the_script_makes():
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_examples", Path(__file__).parent / "fixtures" / "make_examples.py")
    make = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make)
    stored = np.load(EXAMPLES / "untrained_gru.npz", allow_pickle=False)
    made = make.gru_state_dict()
    assert sorted(stored.files) == sorted(made)
    for key, value in made.items():
        np.testing.assert_array_equal(stored[key], value.astype(np.float32))
    assert make.LSTM_CONFIG.cell == "lstm" and make.LSTM_CONFIG.hidden == 32 and make.LSTM_CONFIG.gap == 10
