"""The "Scalar intuition" page under AppTest: defaults, every control at its extremes, worst cases.

The page is opened through app.py (``switch_page``) because the shared frame links to app.py,
which must be the entry script.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from page_driver import clean_metrics, run_page
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]
PAGE = "pages/1_Scalar_intuition.py"
HEADLINES = ("|∂h_T/∂h₀|", "Memory horizon", "Mean log factor λ", "float32 product")


def _open(**state) -> AppTest:
    return run_page(PAGE, timeout=60, **state)


def _ok(at: AppTest) -> dict[str, str]:
    return clean_metrics(at, charts=5, headlines=HEADLINES)


@pytest.fixture(scope="module")
def page() -> AppTest:
    return _open()


def test_defaults(page):
    metrics = _ok(page)
    assert metrics["Memory horizon"].endswith("steps")
    assert page.slider(key="w").value == 0.9
    assert page.selectbox(key="f").value == "tanh"
    # every chart sits next to a formula and a "Notice:" caption
    assert len(page.get("latex")) >= 5
    assert sum("Notice" in c.value for c in page.caption) >= 4


SLIDERS = {"w": (-4.0, 4.0), "b": (-3.0, 3.0), "T": (1, 10_000), "amp": (0.0, 3.0), "u": (-3.0, 3.0),
           "h0": (-2.0, 2.0)}


@pytest.mark.parametrize("key", list(SLIDERS))
def test_each_slider_at_both_ends(page, key):
    for value in SLIDERS[key]:
        page.slider(key=key).set_value(value).run(timeout=60)
        _ok(page)
    page.slider(key=key).set_value(page.slider(key=key).proto.default[0]).run(timeout=60)


@pytest.mark.parametrize("key", ["f", "input"])
def test_each_select_option(page, key):
    box = page.selectbox(key=key)
    default = box.value
    for option in box.options:
        page.selectbox(key=key).set_value(option).run(timeout=60)
        _ok(page)
    page.selectbox(key=key).set_value(default).run(timeout=60)


def test_seed_extremes(page):
    for value in (0, 9999):
        page.number_input(key="seed").set_value(value).run(timeout=60)
        _ok(page)


def test_exploding_relu_for_ten_thousand_steps_is_content():
    at = _open(w=4.0, b=3.0, f="relu", T=10_000, input="noise", amp=3.0, u=3.0, h0=2.0)
    metrics = _ok(at)
    assert metrics["float32 product"] == "inf after 64"  # 4^64 > 3.4e38 > 4^63
    assert float(metrics["|∂h_T/∂h₀|"].split("e")[1]) > 6000  # 4^10000 ≈ 1e6021, exact in log space
    warnings = " ".join(w.value for w in at.warning)
    assert "becomes **inf**" in warnings and "overflowed float64 at step" in warnings


@pytest.mark.parametrize("state", [
    dict(w=-4.0, b=-3.0, f="linear", T=10_000, input="constant", amp=3.0, u=-3.0, h0=-2.0),
    dict(w=4.0, b=3.0, f="leaky_relu", T=10_000, input="sine", amp=3.0, u=3.0, h0=2.0),
    dict(w=4.0, b=-3.0, f="sigmoid", T=10_000, input="noise", amp=3.0, u=3.0, h0=-2.0),
    dict(w=0.0, b=0.0, f="tanh", T=1, input="none", amp=0.0, u=0.0, h0=0.0),
    dict(w=1.5, b=-3.0, f="relu", T=10_000, input="none", h0=-2.0),
])
def test_combined_worst_cases(state):
    _ok(_open(**state))


def test_vanishing_tanh_reports_a_horizon_and_float32_underflow():
    at = _open(w=0.5, b=0.0, f="tanh", T=1000, input="none", h0=0.5)
    metrics = _ok(at)
    assert metrics["Memory horizon"] == "27 steps"  # 0.5^d·∏tanh′ < 1e-8 first at d = 27
    assert metrics["float32 product"].startswith("0 after")


def test_dead_relu_is_explained():
    at = _open(w=1.5, b=-3.0, f="relu", T=50, input="none", h0=-2.0)
    _ok(at)
    assert any("exactly 0" in i.value for i in at.info)
    assert at.metric[0].value == "0 (exactly)"


def test_lecture_mode():
    at = _open(lecture=True)
    _ok(at)
    assert not at.expander[0].proto.expanded  # secondary controls folded away for the projector
