"""The "The edge of chaos" page under AppTest: its numbers are the core's, its links and controls work."""

from __future__ import annotations


import pytest
from page_driver import clean_metrics, run_page
from streamlit.testing.v1 import AppTest

import rnnviz
from rnnviz.charts.meanfield import comparison_frame
from rnnviz.presets.meanfield import VIEW, band, band_notice, lab_scales, signed

PAGE = "pages/7_Edge_of_chaos.py"
HEADLINES = ("χ (per step, squared)", "½ ln χ (exponent)", "Depth scale ξ", "Stationary variance q")


def _open(**state) -> AppTest:
    return run_page(PAGE, timeout=90, **state)


@pytest.fixture(scope="module")
def page() -> AppTest:
    return _open()


def test_defaults_show_the_cores_numbers(page):
    metrics = clean_metrics(page, charts=2, headlines=HEADLINES)
    d = VIEW.defaults
    mf = rnnviz.mean_field(d["f"], d["scale"], bias=d["bias"], sigma_b=d["sb"], input_std=d["in_scale"])
    assert metrics["χ (per step, squared)"] == f"{mf.chi:.4g}"
    assert metrics["½ ln χ (exponent)"] == signed(mf.lyapunov)
    assert metrics["Stationary variance q"] == f"{mf.q:.4g}"
    r = VIEW.evaluate()
    columns = list(comparison_frame(r.theory, r.runs).columns)
    # The theory-vs-simulation table, not a chart's data table (every chart has one, for screen readers).
    table = next(t.value for t in page.table if list(t.value.columns) == columns)
    assert table.iloc[2, 0] == f"{mf.lyapunov:+.4f}".replace("-", "−")
    assert table.iloc[2, 1] == f"{r.gaussian.lyapunov:+.4f}".replace("-", "−")
    assert table.iloc[2, 2] == f"{r.orthogonal.lyapunov:+.4f}".replace("-", "−")
    notices = " ".join(c.value for c in page.caption)
    assert f"{r.gaussian.lyapunov:+.3f}".replace("-", "−") in notices
    text = " ".join(m.value for m in page.markdown)
    assert band_notice(band(d["f"], d["bias"], d["sb"], d["in_scale"])) in text


def test_lab_links_carry_the_labs_keys(page):
    links = [p for p in page.get("page_link") if "Training_lab" in str(p.proto.page)]
    wanted = {v for v in lab_scales("tanh").values() if v is not None}
    shown = {float(p.proto.query_string.split("scale=")[1].split("&")[0]) for p in links
             if "scale=" in p.proto.query_string}
    assert wanted == {0.5, 1.0, 2.0} and wanted <= shown


def test_sigmoid_says_which_phases_the_lab_cannot_reach():
    at = _open(f="sigmoid", scale=10.5)
    clean_metrics(at, charts=2, headlines=HEADLINES)
    assert any("beyond the lab's σ_w slider" in c.value for c in at.caption)
    assert rnnviz.mean_field("sigmoid", 10.5).phase == "chaotic"


@pytest.mark.parametrize("axis", ["bias", "sb", "in_scale"])
def test_every_axis_draws_the_diagram(axis):
    at = _open(axis=axis, f="relu", scale=1.2, bias=0.3, n=16, T=250)
    clean_metrics(at, charts=2, headlines=HEADLINES)


def test_exploding_relu_reports_the_overflow_and_infinite_variance():
    at = _open(f="relu", scale=4.0, n=16, T=2000)
    metrics = clean_metrics(at, charts=2, headlines=HEADLINES)
    assert metrics["Stationary variance q"] == "∞"
    assert any("overflowed float64" in c.value for c in at.caption)


def test_lecture_mode_folds_the_network_settings():
    at = _open(lecture=True)
    clean_metrics(at, charts=2, headlines=HEADLINES)
    assert not at.expander[0].proto.expanded
