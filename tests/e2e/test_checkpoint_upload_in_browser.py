"""Uploading checkpoints to the "Your network" page in a real headless Chromium (AppTest cannot
upload a file): a garbage file gets an error naming it and the page keeps working; a 2-layer
bidirectional PyTorch LSTM saved as safetensors is read, its 4 layers are offered and described by name."""

from __future__ import annotations

import numpy as np
import pytest
from test_pages_in_browser import load, url_path
from test_sharing_in_browser import page  # noqa: F401  (the fixture: a tab that fails on JavaScript errors)

pytestmark = pytest.mark.e2e

PAGE = "pages/6_Your_network.py"


def _bidirectional_lstm(tmp_path):
    from safetensors.numpy import save

    rng = np.random.default_rng(0)
    n, tensors = 4, {}
    for layer, m in ((0, 3), (1, 8)):
        for suffix in ("", "_reverse"):
            for name, shape in (("weight_ih", (4 * n, m)), ("weight_hh", (4 * n, n)), ("bias_ih", (4 * n,)),
                                ("bias_hh", (4 * n,))):
                tensors[f"encoder.rnn.{name}_l{layer}{suffix}"] = rng.standard_normal(shape).astype(np.float32)
    path = tmp_path / "bilstm.safetensors"
    path.write_bytes(save(tensors))
    return path


def _upload(page, path) -> None:
    page.locator('input[type="file"]').first.set_input_files(str(path))
    page.wait_for_timeout(500)
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', state="attached",
                           timeout=120_000)


def test_garbage_then_a_real_checkpoint(page, server, tmp_path):
    load(page, f"{server.url}/{url_path(PAGE)}")
    page.get_by_text("Upload your own").first.click()
    page.locator('input[type="file"]').first.wait_for(state="attached", timeout=60_000)
    garbage = tmp_path / "weights.safetensors"
    garbage.write_bytes(b"\x00\x01 not a checkpoint at all" * 10)
    _upload(page, garbage)
    alert = page.locator('[data-testid="stAlertContentError"]').first
    alert.wait_for(timeout=60_000)
    assert "'weights.safetensors'" in alert.inner_text()
    assert page.locator('[data-testid="stException"]').count() == 0
    assert page.locator('[data-testid="stVegaLiteChart"]').count() >= 5  # the example is shown meanwhile

    _upload(page, _bidirectional_lstm(tmp_path))
    page.get_by_text("Read 4 recurrent layer(s) from 'bilstm.safetensors'").first.wait_for(timeout=60_000)
    assert page.get_by_text("encoder.rnn.l0", exact=True).count() == 1  # layer 0 described by name
    page.locator('[data-testid="stSelectbox"]').filter(has_text="Layer").first.click()
    options = page.locator('[role="option"]').all_inner_texts()
    assert [o.strip() for o in options] == ["0", "1", "2", "3"], options
    page.locator('[role="option"]').nth(3).click()
    page.get_by_text("encoder.rnn.l1_reverse", exact=True).first.wait_for(timeout=60_000)
    assert page.get_by_text("reads its input backwards").count() == 1

    rnn = tmp_path / "rnn.npz"  # a plain nn.RNN: Pascanu's verdict and its γ·σ_max metric
    rng = np.random.default_rng(1)
    np.savez(rnn, **{"weight_ih_l0": rng.standard_normal((5, 2)), "weight_hh_l0": rng.standard_normal((5, 5)) / 5})
    _upload(page, rnn)
    page.get_by_text("γ·σ_max(W)").first.wait_for(timeout=60_000)
    assert page.get_by_text("Pascanu", exact=False).count() >= 1
    assert page.locator('[data-testid="stException"]').count() == 0
    assert page.locator('[data-testid="stException"]').count() == 0
