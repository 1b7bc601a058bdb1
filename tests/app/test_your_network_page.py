"""The "Your network" page under AppTest: both examples, the presets' settings, the drive controls,
the upload mode without a file, and hostile links. (AppTest cannot upload a file; the loader's
hostile files are tested in tests/test_checkpoint.py, the page's guard by a failing layer here.)"""

from __future__ import annotations

import math

import pytest
from page_driver import clean_metrics, open_page, run_page
from streamlit.testing.v1 import AppTest

from rnnviz.presets.checkpoint import keeps
from rnnviz.ui.bundled import VIEW

PAGE = "pages/6_Your_network.py"
HEADLINES = ("Cell", "Steps analysed", "Growth rate per step")


def _open(**state) -> AppTest:
    return run_page(PAGE, timeout=90, **state)


@pytest.fixture(scope="module")
def page() -> AppTest:
    return _open()


def test_defaults_show_the_trained_lstm_and_its_diagnosis(page):
    metrics = clean_metrics(page, charts=6, headlines=HEADLINES)
    assert metrics["Cell"] == "lstm"
    assert "Units with f ≥ 0.9" in metrics
    result = VIEW.evaluate({})
    diagnosis = f"**{result.diagnosis}**"
    assert any(m.value == diagnosis for m in page.markdown), diagnosis
    assert f"{keeps(result, 100):.1e}" in diagnosis
    assert sum("Notice" in c.value for c in page.caption) >= 5


def test_untrained_gru_example():
    at = _open(ex="gru", T=300)
    metrics = clean_metrics(at, charts=6, headlines=HEADLINES)
    assert metrics["Cell"] == "gru" and metrics["Units with z ≥ 0.9"] == "0%"
    text = " ".join(m.value for m in at.markdown)
    assert "A gradient 100 steps back keeps" in text


def test_upload_mode_without_a_file_says_so_and_keeps_working():
    at = _open(ex="upload", drive="npy", T=100)
    clean_metrics(at, charts=6, headlines=HEADLINES)
    infos = " ".join(i.value for i in at.info)
    assert "No file yet" in infos and "No sequence yet" in infos
    assert any("not part of the page's link" in c.value for c in at.caption)


def test_controls_at_their_extremes():
    at = _open(in_scale=0.0, T=10, seed=9999)
    metrics = clean_metrics(at, charts=6, headlines=HEADLINES)
    assert metrics["Steps analysed"] == "10"
    at = _open(in_scale=5.0, T=20, f="relu")
    clean_metrics(at, charts=6, headlines=HEADLINES)


def test_hostile_links_fall_back_to_defaults():
    at = open_page(PAGE)
    at.default_timeout = 90
    at.query_params.update({"T": "banana", "ex": "nothing", "layer": "7", "in_scale": "1e400"})
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Cell"] == "lstm" and metrics["Steps analysed"] == f"{VIEW.defaults['T']:,}"
    assert math.isfinite(float(metrics["Growth rate per step"]))


def test_the_product_over_every_step_is_offered_when_the_default_covers_the_last_steps_only():
    at = _open(T=3400)
    clean_metrics(at, charts=6, headlines=HEADLINES)
    assert any("the last 3313 of the 3,400 steps" in c.value for c in at.caption)
    toggle = next(t for t in at.toggle if t.key == "whole")
    assert toggle.label.startswith("Product spectrum over every step (about ")
    at = toggle.set_value(True).run()
    clean_metrics(at, charts=6, headlines=HEADLINES)
    assert any("computed over every step" in c.value for c in at.caption)


def test_the_example_captions_describe_the_bundled_files():
    # The page's captions: "An LSTM with 32 units …" and "A GRU with 64 units and 8 inputs …".
    import rnnviz
    from rnnviz.ui import bundled

    lstm = rnnviz.load_checkpoint(bundled.example_bytes("lstm"), "agreement_lstm.safetensors").layers
    gru = rnnviz.load_checkpoint(bundled.example_bytes("gru"), "untrained_gru.npz").layers
    assert [(layer.cell, layer.hidden_size) for layer in lstm] == [("lstm", 32)]
    assert [(layer.cell, layer.hidden_size, layer.input_size) for layer in gru] == [("gru", 64, 8)]
