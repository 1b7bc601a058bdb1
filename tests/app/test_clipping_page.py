"""The "Gradient clipping" page under AppTest: defaults, every control at its extremes, worst cases.

Opened through app.py (``switch_page``) because the shared frame links to app.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from page_driver import clean_metrics, push_each, run_page
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]
PAGE = "pages/4_Gradient_clipping.py"
CHARTS = 6  # geometry, composition, non-finite grid, cliff surface, cross-section, descent


def _open(**state) -> AppTest:
    return run_page(PAGE, timeout=60, **state)


def _ok(at: AppTest) -> dict[str, str]:
    return clean_metrics(at, charts=CHARTS)


@pytest.fixture(scope="module")
def page() -> AppTest:
    return _open()


def test_defaults(page):
    metrics = _ok(page)
    assert metrics["angle, by norm"] == "0.00°"
    assert metrics["angle, by value"] == "26.57°"          # (6, 2) clipped to (1.5, 1.5)
    assert metrics["‖g‖₂"] == "6.32"
    # The default cliff run is thrown: a big unclipped gradient, and the clipped run ends far lower.
    assert float(metrics["largest unclipped gradient ‖∇E‖"]) > 5
    assert float(metrics["final loss, clipped"]) < float(metrics["final loss, unclipped"])
    # Formulas next to charts, a "Notice" sentence per chart, the framework table, the strict-mode note.
    assert len(page.get("latex")) >= 6
    assert sum("Notice" in c.value for c in page.caption) >= CHARTS
    tables = "".join(m.value for m in page.markdown)
    for api in ("clip_grad_norm_", "clip_grad_value_", "clip_by_global_norm", "clipnorm=c", "global_clipnorm=c",
                "clipvalue=v"):
        assert api in tables
    assert any("error_if_nonfinite=True" in i.value for i in page.info)
    # The scales table, and every chart's data as a table in its own collapsed expander.
    data = [e for e in page.expander if e.label.startswith("Data of")]
    assert len(data) == CHARTS and all(len(e.table) == 1 for e in data)
    assert len(page.table) - len(data) == 1


def test_every_control_at_its_extremes_shows_no_error():
    """Stronger than tests/app/test_all_pages.py: every extreme of this page is a valid setting, so
    not even an st.error may appear."""
    errors = []

    def check(push, at):
        if at.error:
            errors.append(f"{push}: {[e.value for e in at.error]}")

    outcomes, _ = push_each(PAGE, on_run=check)
    assert len(outcomes) >= 25
    failures = [f"{o.push}: {o.exceptions}" for o in outcomes if o.exceptions]
    assert not failures and not errors, failures + errors


def test_zero_gradient_has_no_direction():
    at = _open(gx=0.0, gy=0.0)
    metrics = _ok(at)
    assert metrics["angle, by norm"].startswith("undefined")
    assert metrics["‖g‖₂"] == "0"


@pytest.mark.parametrize("bad, where", [("NaN", "db"), ("−inf", "dW"), ("+inf", "dU")])
def test_nonfinite_entries_are_content(bad, where):
    at = _open(bad=bad, **{"in": where})
    _ok(at)
    assert any("error_if_nonfinite" in i.value for i in at.info)


def test_all_norms_zero_and_huge():
    _ok(_open(nW=0.0, nU=0.0, nb=0.0, tc=0.1))
    _ok(_open(nW=1e6, nU=1e6, nb=1e6, tc=10.0, bad="NaN", **{"in": "dW"}))


def test_cliff_worst_cases_are_reported_not_raised():
    # The largest learning rate from right at the wall, with the loosest threshold and most iterations.
    at = _open(w0=6.4, b0=-3.2, lr=2.0, mc=5.0, its=300)
    _ok(at)
    at = _open(w0=3.6, b0=-1.6, lr=0.05, mc=0.1, its=10)
    _ok(at)


def test_deep_link_sets_the_controls():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.switch_page(PAGE)
    at.query_params["gx"] = "3"
    at.query_params["gy"] = "-4"
    at.query_params["lr"] = "1.5"
    at.run(timeout=60)
    metrics = _ok(at)
    assert at.slider(key="gx").value == 3.0 and at.slider(key="lr").value == 1.5
    assert metrics["‖g‖₂"] == "5"
