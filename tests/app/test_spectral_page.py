"""The "Jacobians and spectral norms" page under AppTest.

Defaults, the controls at their extremes (including n = 256 with T = 10,000), every preset and the
one-click nilpotent example, and every upload failure: each must show an ``st.error`` while the
rest of the page (metrics, charts) keeps working. Uploads go through AppTest's ``file_uploader``
support (streamlit 1.67), the same path a browser upload takes into the script.
"""

from __future__ import annotations

import io
import math
from pathlib import Path

import numpy as np
import pytest
from page_driver import run_page
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]
PAGE = "pages/3_Spectral_norms.py"
TIMEOUT = 120
CHARTS = 5   # eigenvalues, per-step singular values, product spectrum, Lyapunov exponents, bound chain


def _open(**state) -> AppTest:
    return run_page(PAGE, timeout=TIMEOUT, **state)


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _ok(at: AppTest, *, errors: int = 0) -> dict[str, str]:
    assert not at.exception, [e.message for e in at.exception]
    assert len(at.error) == errors, [e.value for e in at.error]
    gru_shown = any(m.label.startswith("GRU: σ₁") for m in at.metric)   # the GRU comparison adds one chart
    assert len(at.get("vega_lite_chart")) == CHARTS + gru_shown
    metrics = _metrics(at)
    assert "γ · σ_max(W)" in metrics and "‖J_t‖₂" in metrics, metrics
    return metrics


def _npy(arr, **kw) -> bytes:
    buf = io.BytesIO()
    np.save(buf, arr, **kw)
    return buf.getvalue()


@pytest.fixture(scope="module")
def page() -> AppTest:
    return _open()


def test_defaults(page):
    metrics = _ok(page)
    assert page.selectbox(key="W").value == "gaussian"
    assert page.slider(key="n").value == 32 and page.number_input(key="T").value == 300
    assert page.slider(key="t").value == 300
    assert float(metrics["σ_max(W) = ‖W‖₂"]) > float(metrics["ρ(W), spectral radius"])
    assert len(page.get("latex")) >= 6
    assert sum("Notice" in c.value for c in page.caption) >= 5
    # the verdict panel: σ_max ≈ 1.8 > 1 for tanh, so "necessary" (a warning box)
    assert any("necessary" in w.value for w in page.warning)


@pytest.mark.parametrize("key,values", [
    ("n", (2, 256)),
    ("scale", (0.05, 4.0)),
    ("in_scale", (0.0, 3.0)),
    ("bias", (-3.0, 3.0)),
    ("t", (1,)),
])
def test_sliders_at_their_ends(page, key, values):
    for value in values:
        page.slider(key=key).set_value(value).run(timeout=TIMEOUT)
        _ok(page)
    page.slider(key=key).set_value(page.slider(key=key).proto.default[0]).run(timeout=TIMEOUT)


@pytest.mark.parametrize("kind", ["gaussian", "orthogonal", "identity", "nilpotent", "upload"])
@pytest.mark.parametrize("f", ["tanh", "sigmoid", "relu", "leaky_relu", "linear"])
def test_every_matrix_kind_with_every_nonlinearity(kind, f):
    at = _open(W=kind, f=f, T=400, n=8)
    _ok(at)
    if kind == "upload":
        assert any("No file yet" in i.value for i in at.info)


def test_heaviest_setting_n256_T10000():
    at = _open(n=256, T=10_000)
    metrics = _ok(at)
    assert at.slider(key="t").value == 10_000
    # the product covers a window and says so; every shown number is finite text
    assert any("last" in c.value and "10,000 steps" in c.value for c in at.caption)
    label = next(k for k in metrics if k.startswith("‖∂h_T/∂h_k‖₂ at T − k = "))
    window = int(label.rsplit("= ", 1)[1].replace(",", ""))
    assert 50 <= window < 10_000
    assert metrics[label] not in ("—", "NaN", "inf")
    table = next(m.value for m in at.markdown if "actual ‖∂h_T/∂h_k‖₂" in m.value)
    assert f"T − k = **{window:,}**" in table and "NaN" not in table


def _window(at: AppTest) -> int:
    label = next(k for k in _metrics(at) if k.startswith("‖∂h_T/∂h_k‖₂ at T − k = "))
    return int(label.rsplit("= ", 1)[1].replace(",", ""))


def test_the_whole_horizon_on_request():
    # n = 128, T = 1000: the default plan covers the last ~550 steps, and a button offers all of them
    at = _open(n=128, T=1000)
    _ok(at)
    assert 100 < _window(at) < 1000
    assert any("button below" in c.value for c in at.caption)
    full = at.button(key="full")
    assert full.label.startswith("Compute all 1,000 steps (about ")
    full.click().run(timeout=TIMEOUT)
    _ok(at)
    assert _window(at) == 1000
    assert not any("Long horizon" in c.value for c in at.caption)
    assert not [b for b in at.button if b.key == "full"]
    at.run(timeout=TIMEOUT)          # kept while the settings stay (the step slider, a rerun) ...
    assert _window(at) == 1000
    at.number_input(key="seed").set_value(1).run(timeout=TIMEOUT)
    _ok(at)
    assert _window(at) < 1000        # ... and dropped when a setting changes
    assert at.button(key="full").label.startswith("Compute all 1,000 steps")


def test_no_whole_horizon_button_where_it_would_take_too_long():
    at = _open(n=256, T=10_000)      # every step would take minutes: lower n instead
    assert not [b for b in at.button if b.key == "full"]
    assert any("Lower n to see all of them" in c.value for c in at.caption)


def test_long_horizon_small_n_is_finite_to_10000():
    at = _open(n=4, T=10_000, f="linear", scale=1.5, in_scale=0.5)
    metrics = _ok(at)
    assert any("overflowed float64" in c.value for c in at.caption)   # the states explode: content
    at = _open(n=4, T=10_000, f="tanh", scale=0.5)
    metrics = _ok(at)
    # 10,000 steps of a strongly contracting product: far below float64's 1e-308, still a number
    label = next(k for k in metrics if k.startswith("‖∂h_T/∂h_k‖₂ at T − k = 10,000"))
    assert "e-" in metrics[label]


def test_T_and_t_extremes_and_seed():
    at = _open(T=1)
    _ok(at)
    at.number_input(key="T").set_value(10_000).run(timeout=TIMEOUT)
    _ok(at)
    at.slider(key="t").set_value(1).run(timeout=TIMEOUT)
    _ok(at)
    at.number_input(key="T").set_value(5).run(timeout=TIMEOUT)   # t must follow T down
    _ok(at)
    assert at.slider(key="t").value <= 5
    at.number_input(key="seed").set_value(9999).run(timeout=TIMEOUT)
    _ok(at)


def test_fresh_matrices_show_newman():
    at = _open(W="gaussian", n=16, scale=1.0, f="linear", T=3000, iid=True)
    _ok(at)
    notice = " ".join(c.value for c in at.caption)
    assert "Newman (1986), exact" in notice
    gap = float(notice.split("the largest gap is ")[1].split(" ")[0])
    assert gap < 0.05


def test_product_failure_keeps_the_rest_of_the_page(monkeypatch):
    # If the product's linear algebra fails, the per-step panels and the verdict must stay.
    import numpy as np_

    import rnnviz.products

    def boom(*args, **kwargs):
        raise np_.linalg.LinAlgError("SVD did not converge")

    monkeypatch.setattr(rnnviz.products, "trajectory_log_singular_values", boom)
    at = _open(W="gaussian", T=123, n=5)       # a setting no other test caches
    assert not at.exception
    assert len(at.get("vega_lite_chart")) == 2            # eigenvalues and per-step singular values
    assert len(at.error) == 1 and "Product spectrum" in at.error[0].value
    metrics = _metrics(at)
    assert "‖J_t‖₂" in metrics and "γ · σ_max(W)" in metrics


def test_fresh_matrices_ignored_for_nilpotent():
    at = _open(W="nilpotent", iid=True)
    _ok(at)
    assert any("ignored" in i.value for i in at.info)


def test_nilpotent_button_shows_doubling():
    at = _open(scale=2.0, bias=0.5)
    at.button(key="nilpotent").click().run(timeout=TIMEOUT)
    metrics = _ok(at)
    assert at.selectbox(key="W").value == "nilpotent"
    # it is the "Nilpotent trap" preset: the other controls go back to their defaults, its caption shows
    assert at.slider(key="scale").value == 1.0 and at.slider(key="bias").value == 0.0
    assert any(i.value.startswith("**Nilpotent trap:**") for i in at.info)
    assert metrics["ρ(W), spectral radius"] == "≈ 0"
    assert float(metrics["σ_max(W) = ‖W‖₂"]) == pytest.approx(16.0)
    # ‖J^60‖ = 2^59 √200
    label = next(k for k in metrics if k.startswith("‖∂h_T/∂h_k‖₂ at T − k = 60"))
    shown = metrics[label]
    mantissa, exp = shown.split("e")
    assert float(mantissa) * 10 ** int(exp) == pytest.approx(2 ** 59 * math.sqrt(200), rel=1e-2)
    assert float(metrics["‖J_t‖₂"]) == pytest.approx(math.sqrt(200), rel=1e-3)
    assert float(metrics["ρ(J_t)"]) == pytest.approx(2.0, rel=1e-3)


def test_every_preset_runs():
    at = _open()
    labels = [b.proto.label for b in at.button if b.key and b.key.startswith("preset_spectral")]
    assert len(labels) >= 5
    for label in labels:
        at = _open()
        next(b for b in at.button if b.proto.label == label).click().run(timeout=TIMEOUT)
        _ok(at)


# --------------------------------------------------------------------------------------- uploads

GOOD = np.array([[0.5, 2.0], [0.0, 0.5]])
OBJ = np.empty((2, 2), dtype=object)
OBJ[:] = [[1.0, 2.0], [3.0, 4.0]]
NAN = np.eye(3)
NAN[0, 1] = np.nan

FAILURES = {
    "not square (.npy)": ("W.npy", _npy(np.ones((3, 4))), "not square"),
    "not square (.csv)": ("W.csv", b"1,2,3\n4,5,6\n", "not square"),
    "too large": ("W.npy", _npy(np.zeros((513, 513), dtype=np.int8)), "at most 512 × 512"),
    "too many bytes": ("W.csv", b"0," * (3 * 2**20), "MB"),
    "NaN": ("W.npy", _npy(NAN), "NaN"),
    "inf in csv": ("W.csv", b"1,inf\n2,3\n", "infinite"),
    "text in csv": ("W.csv", b"a,b\n1,2\n", "not a number"),
    "binary as csv": ("W.csv", b"\xff\xfe\x00\x01", "not a text file"),
    "pickled object array": ("W.npy", _npy(OBJ, allow_pickle=True), "never unpickled"),
    "not an npy": ("W.npy", b"just some text", "not a NumPy .npy file"),
    "empty": ("W.csv", b"", "empty"),
}


@pytest.mark.parametrize("name", list(FAILURES))
def test_upload_failure_shows_error_and_page_keeps_working(name):
    filename, data, fragment = FAILURES[name]
    at = _open(W="upload")
    at.file_uploader(key="upload").set_value((filename, data, "application/octet-stream")).run(timeout=TIMEOUT)
    _ok(at, errors=1)
    assert fragment in at.error[0].value, at.error[0].value
    assert any("until a valid file" in c.value for c in at.caption)


@pytest.mark.parametrize("filename,data", [
    ("W.npy", _npy(GOOD)),
    ("W.csv", b"0.5,2\n0,0.5\n"),
])
def test_upload_accepted(filename, data):
    at = _open(W="upload", f="linear")
    at.file_uploader(key="upload").set_value((filename, data, "application/octet-stream")).run(timeout=TIMEOUT)
    metrics = _ok(at)
    assert any("Using your 2 × 2 matrix" in s.value for s in at.success)
    # rho = 0.5 but sigma_max = 2.06: the eigenvalue trap, flagged in the verdict
    assert float(metrics["ρ(W), spectral radius"]) == pytest.approx(0.5)
    assert float(metrics["σ_max(W) = ‖W‖₂"]) == pytest.approx(np.linalg.norm(GOOD, 2), rel=1e-3)
    assert any("trap" in w.value for w in at.warning)


def test_upload_largest_matrix_runs():
    W = np.random.default_rng(0).standard_normal((512, 512)) / math.sqrt(512) * 0.9
    at = _open(W="upload", T=1_000)
    at.file_uploader(key="upload").set_value(("big.npy", _npy(W), "application/octet-stream")).run(timeout=TIMEOUT)
    _ok(at)
    assert any("512 × 512" in s.value for s in at.success)


def test_dead_relu_product_is_exactly_zero_and_said_so():
    at = _open(W="gaussian", f="relu", T=400, n=8)
    _ok(at)
    table = next(m.value for m in at.markdown if "actual ‖∂h_T/∂h_k‖₂" in m.value)
    assert "0 (exactly)" in table
    assert any("product is exactly zero" in c.value for c in at.caption)
