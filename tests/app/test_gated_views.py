"""Issue 9 under AppTest: the cell choice, the gate bias, the plain-vs-gated comparison mode and
its sweep on the training lab (small iteration counts so the file stays fast)."""

from __future__ import annotations

import numpy as np
import pytest
import streamlit as st
from page_driver import CHART, exception_report, open_page

LAB = "pages/5_Training_lab.py"
FEW = 20


def _ok(at, what: str = "") -> None:
    errors = exception_report(at)
    assert not errors, f"{what} raised:\n" + "\n".join(errors)


def _lab(**state):
    st.cache_resource.clear()
    at = open_page(LAB)
    at.session_state["its"] = FEW
    at.session_state["B"] = 16
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    _ok(at, f"{LAB} with {state}")
    return at


def _texts(at) -> str:
    return "\n".join(str(e.value) for kind in ("markdown", "caption", "info", "success", "warning", "error")
                     for e in at.get(kind))


@pytest.mark.parametrize("cell", ["plain RNN", "GRU", "LSTM"])
def test_each_cell_trains(cell):
    at = _lab(cell=cell, L=8)
    assert at.session_state["cell"] == cell
    assert len(at.get(CHART)) == 3
    assert not at.error
    headers = [h.value for h in at.header]
    assert (cell == "plain RNN") == ("Training" in headers)
    has_bias = any(s.label.startswith("Gate bias") for s in at.slider)
    assert has_bias == (cell != "plain RNN")


@pytest.mark.parametrize("bias", [-3.0, 5.0])
def test_gate_bias_extremes(bias):
    at = _lab(cell="GRU", bz=bias, L=30)
    assert at.session_state["bz"] == bias
    assert len(at.get(CHART)) == 3
    assert not at.error
    # A large bias keeps the gradient alive back to 'cat' at the first iteration; a negative one does not.
    text = _texts(at)
    assert "reaches 'cat' was" in text


@pytest.mark.parametrize("cell", ["plain RNN", "GRU", "LSTM"])
def test_comparison_mode_shows_both_side_by_side(cell):
    at = _lab(cell=cell, cmp=True, L=12)
    gated = "GRU" if cell == "plain RNN" else cell
    assert len(at.get(CHART)) == 5  # the chosen cell's three, plus one heat map per cell of the pair
    labels = [m.label for m in at.metric]
    assert "plain RNN: held-out accuracy" in labels and f"{gated}: held-out accuracy" in labels
    assert any(h.value == f"The plain RNN and the {gated}, side by side" for h in at.header)
    assert "share one colour scale" in _texts(at)
    # A rerun retrains nothing.
    at.run()
    _ok(at, "comparison rerun")
    assert len(at.get(CHART)) == 5


def test_comparison_sweep_has_both_cells():
    at = _lab(cmp=True, its=FEW, B=8, L=5)
    button = next(b for b in at.button if b.label.startswith("Run the sweep"))
    assert "18 trainings" in button.label  # 9 gaps x 2 cells
    button.click().run()
    _ok(at, "after the comparison sweep")
    assert len(at.get(CHART)) == 6
    text = _texts(at)
    assert "The plain RNN learned" in text and "the GRU " in text   # the per-cell summary sentence


def test_gru_preset_button_and_its_link_settings():
    st.cache_resource.clear()
    at = open_page(LAB)
    # The preset's own settings (gap 60, Adam 0.01, GRU, comparison) with few iterations, from a link.
    for key, value in {"cell": "GRU", "bz": "1.0", "cmp": "true", "L": "60", "opt": "Adam", "lr": "0.01",
                       "its": "20", "B": "16"}.items():
        at.query_params[key] = value
    at.run()
    _ok(at, "the GRU preset's link")
    assert at.session_state["cell"] == "GRU" and at.session_state["cmp"] is True
    assert len(at.get(CHART)) == 5
    assert any(b.label == "4 · The GRU carries the gradient" for b in at.button)


# ---------------------------------------------------------------------------------- spectral page

SPECTRAL = "pages/3_Spectral_norms.py"


def _spectral(**state):
    at = open_page(SPECTRAL)
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    _ok(at, f"{SPECTRAL} with {state}")
    return at


def _gru_metrics(at) -> dict:
    return {m.label: m.value for m in at.metric if "GRU" in m.label or "plain RNN" in m.label or "update gate" in m.label}


def test_spectral_gru_off_by_default_then_side_by_side():
    at = _spectral()
    assert len(at.get(CHART)) == 5 and not _gru_metrics(at)
    at.session_state["gru"] = True
    at.run()
    _ok(at, "GRU on")
    assert len(at.get(CHART)) == 6
    metrics = _gru_metrics(at)
    assert float(metrics["mean update gate z over the window"]) > 0.9   # b_z = 3 by default


@pytest.mark.parametrize("bias", [-3.0, 6.0])
def test_spectral_gru_bias_extremes(bias):
    at = _spectral(gru=True, bz=bias)
    z = float(_gru_metrics(at)["mean update gate z over the window"])
    assert (z < 0.1) if bias < 0 else (z > 0.99)
    assert len(at.get(CHART)) == 6


def test_spectral_gru_not_offered_where_it_does_not_apply():
    for state in ({"W": "nilpotent"}, {"iid": True}):
        at = _spectral(gru=True, **state)
        assert not _gru_metrics(at)
        assert any("The GRU comparison needs one random W" in i.value for i in at.info)


def test_spectral_gru_with_relu_says_the_gru_is_tanh():
    at = _spectral(gru=True, f="relu", T=200)
    assert any("The GRU's candidate is always tanh" in c.value for c in at.caption)


def test_spectral_gru_heaviest_setting():
    at = _spectral(gru=True, n=256, T=10_000, bz=6.0)
    assert len(at.get(CHART)) == 6


def test_spectral_gru_and_plain_compared_at_the_same_distance():
    # n = 64, T = 3000: the GRU used to stop at 2,048 steps (its stack of Jacobians was capped) while the
    # plain product covered all 3,000; now both cover the window and are read at the same distance
    from rnnviz import spectral as sp
    from rnnviz.charts.common import format_magnitude

    at = _spectral(gru=True, n=64, T=3000)
    metrics = _gru_metrics(at)
    assert "GRU: σ₁ at T − k = 3,000" in metrics
    r = sp.spectral_analysis(sp.Setting(n=64, T=3000))
    assert r.window == 3000
    assert metrics["plain RNN: σ₁ at T − k = 3,000"] == format_magnitude(r.product_log_sv[3000, 0] / np.log(10))
