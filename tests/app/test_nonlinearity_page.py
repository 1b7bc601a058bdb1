"""The "Nonlinearity derivatives" page under AppTest: defaults, each control at its extremes, worst cases.

Opened through app.py (``switch_page``): the shared frame links to app.py, the entry script.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from page_driver import clean_metrics, run_page
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]
PAGE = "pages/2_Nonlinearity_derivatives.py"
HEADLINES = ("Saturated unit-steps", "Dead unit-steps", "Mean f′(aₜ)", "σ_max(W) vs 1/γ")


def _open(**state) -> AppTest:
    return run_page(PAGE, timeout=60, **state)


def _ok(at: AppTest) -> dict[str, str]:
    return clean_metrics(at, charts=4, headlines=HEADLINES)


@pytest.fixture(scope="module")
def page() -> AppTest:
    return _open()


def test_defaults(page):
    metrics = _ok(page)
    assert metrics["σ_max(W) vs 1/γ"].endswith("vs 1")
    text = " ".join(m.value for m in page.markdown)
    assert "Pascanu" in text and "singular value" in text
    assert len(page.get("latex")) >= 3
    assert sum("Notice" in c.value for c in page.caption) >= 4


SLIDERS = {"n": (2, 256), "scale": (0.0, 3.0), "in_scale": (0.0, 3.0), "bias": (-5.0, 5.0), "T": (10, 1000)}


@pytest.mark.parametrize("key", list(SLIDERS))
def test_each_slider_at_both_ends(page, key):
    for value in SLIDERS[key]:
        page.slider(key=key).set_value(value).run(timeout=60)
        _ok(page)
    page.slider(key=key).set_value(page.slider(key=key).proto.default[0]).run(timeout=60)


def test_each_nonlinearity(page):
    for option in page.selectbox(key="f").options:
        page.selectbox(key="f").set_value(option).run(timeout=60)
        _ok(page)
    page.selectbox(key="f").set_value("tanh").run(timeout=60)


def test_seed_extremes(page):
    for value in (0, 9999):
        page.number_input(key="seed").set_value(value).run(timeout=60)
        _ok(page)


def test_sigmoid_with_small_weights_guarantees_vanishing():
    metrics = _ok(_open(f="sigmoid", scale=1.0, n=64))
    assert metrics["σ_max(W) vs 1/γ"].endswith("vs 4")
    assert "vanishing guaranteed" in str(_open(f="sigmoid", scale=1.0, n=64).metric[3].proto.delta)


@pytest.mark.parametrize("state", [
    dict(f="relu", n=256, scale=3.0, in_scale=3.0, bias=5.0, T=1000),
    dict(f="linear", n=256, scale=3.0, in_scale=3.0, bias=-5.0, T=1000),
    dict(f="leaky_relu", n=2, scale=0.0, in_scale=0.0, bias=0.0, T=10),
    dict(f="sigmoid", n=256, scale=3.0, in_scale=3.0, bias=-5.0, T=1000),
])
def test_combined_worst_cases(state):
    _ok(_open(**state))


def test_exploding_linear_overflow_is_content():
    at = _open(f="linear", n=128, scale=3.0, T=1000)
    _ok(at)
    assert any("overflowed float64 at step" in w.value for w in at.warning)


def test_dead_relus_are_counted():
    metrics = _ok(_open(f="relu", bias=-5.0, in_scale=0.0))
    assert metrics["Dead unit-steps"] == "100.0%"


def test_lecture_mode():
    at = _open(lecture=True)
    _ok(at)
    assert not at.expander[0].proto.expanded  # secondary controls folded away for the projector
