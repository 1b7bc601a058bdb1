"""Sharing in a real headless Chromium: a preset link opens the view it names, a preset button puts
its values into the address bar, and a chart's PNG button downloads a real PNG.

Uses the session's server and browser (tests/e2e/conftest.py) and the page helpers of
test_pages_in_browser.py (load, url_path, screenshot).
"""

from __future__ import annotations

import math
from urllib.parse import parse_qsl, urlsplit

import pytest
from rnnviz.ui.registry import PAGES
from test_pages_in_browser import VIEWPORT, load, screenshot, url_path


pytestmark = pytest.mark.e2e

SCALAR = "pages/1_Scalar_intuition.py"
#: The "Exploding with ReLU" preset of the scalar page, as its link carries it.
EXPLODING = {"w": "1.5", "b": "0.5", "f": "relu", "T": "300"}


def _slider_value(page, label: str) -> str:
    slider = page.locator('[data-testid="stSlider"]').filter(has_text=label).first
    return slider.locator('[data-testid="stSliderThumbValue"]').first.inner_text().strip()


def _selected(page, label: str) -> str:
    box = page.locator('[data-testid="stSelectbox"]').filter(has_text=label).first
    return box.locator("input").first.input_value().strip()


def _metric(page, label: str) -> str:
    metric = page.locator('[data-testid="stMetric"]').filter(has_text=label).first
    return metric.locator('[data-testid="stMetricValue"]').inner_text().strip()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport=VIEWPORT, accept_downloads=True)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    yield tab
    context.close()
    assert not errors, f"JavaScript errors: {errors}"


def test_preset_link_shows_its_values_on_screen(page, server, screenshots):
    query = "&".join(f"{k}={v}" for k, v in EXPLODING.items())
    load(page, f"{server.url}/{url_path(SCALAR)}?{query}")
    assert page.locator('[data-testid="stException"]').count() == 0, server.log_tail()
    assert _slider_value(page, "Recurrent weight w") == "1.50"
    assert _slider_value(page, "Bias b") == "0.50"
    assert _slider_value(page, "Steps T") == "300"
    assert _selected(page, "Nonlinearity f") == "relu"
    # The page computed with those values: every factor is exactly 1.5, so λ = ln 1.5.
    assert _metric(page, "Mean log factor") == f"+{math.log(1.5):.4f}"
    # The sidebar's "link to this view" box holds the same settings.
    link = page.locator('[data-testid="stSidebar"] [data-testid="stCode"]').first.inner_text()
    assert dict(parse_qsl(urlsplit(link.strip()).query)) == EXPLODING
    screenshot(page, screenshots / "preset-link-exploding-relu.png")


def test_preset_button_puts_its_values_in_the_address_bar(page, server):
    load(page, f"{server.url}/{url_path(SCALAR)}")
    page.get_by_role("button", name="Exploding with ReLU").click()
    page.wait_for_url(lambda url: dict(parse_qsl(urlsplit(url).query)) == EXPLODING, timeout=30_000)
    # the caption of what the preset demonstrates, then the values on screen
    page.locator('[data-testid="stAlert"]').filter(has_text="every factor is exactly 1.5").wait_for(timeout=30_000)
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', state="attached")
    assert _slider_value(page, "Recurrent weight w") == "1.50"
    assert _selected(page, "Nonlinearity f") == "relu"
    assert _metric(page, "Mean log factor") == f"+{math.log(1.5):.4f}"


def test_lecture_mode_from_a_link(page, server, screenshots):
    load(page, f"{server.url}/{url_path(SCALAR)}?lecture=true")
    size = page.evaluate("() => parseFloat(getComputedStyle(document.querySelector('h1')).fontSize)")
    assert size >= 40, f"the title is {size}px in lecture mode"
    expander = page.locator('[data-testid="stExpander"] details').first
    assert expander.get_attribute("open") is None, "secondary controls should be collapsed in lecture mode"
    screenshot(page, screenshots / "lecture-mode.png")


def test_png_button_downloads_a_png(page, server, tmp_path):
    load(page, f"{server.url}/{url_path(SCALAR)}")
    button = page.locator('[data-testid="stDownloadButton"]').filter(has_text="PNG").first
    with page.expect_download(timeout=60_000) as info:
        button.click()
    download = info.value
    assert download.suggested_filename == "per-step-factor.png"
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert 400 < width < 4000 and 200 < height < 4000, (width, height)


def test_a_link_with_former_keys_opens_the_same_view(page, server):
    # Links shared before the keys were unified (page 2 had nl= and steps=): the same view, and the
    # address bar and the link box written in the current keys (f=, T=).
    nonlinearity = next(p for p in PAGES if p.path.startswith("pages/2_")).path
    load(page, f"{server.url}/{url_path(nonlinearity)}?nl=relu&steps=500")
    assert page.locator('[data-testid="stException"]').count() == 0, server.log_tail()
    assert _selected(page, "Nonlinearity f") == "relu"
    assert _slider_value(page, "Steps T") == "500"
    page.wait_for_url(lambda url: dict(parse_qsl(urlsplit(url).query)) == {"f": "relu", "T": "500"},
                      timeout=30_000)
    link = page.locator('[data-testid="stSidebar"] [data-testid="stCode"]').first.inner_text()
    assert dict(parse_qsl(urlsplit(link.strip()).query)) == {"f": "relu", "T": "500"}


@pytest.mark.xfail(strict=False, reason=(
    "Open defect: run after the file's other tests on one server, the keyboard Pause sometimes pauses "
    "nothing (2 of 4 runs on 2026-12-03; it passes alone). Pause/Stop/Resume themselves are tested under "
    "AppTest (tests/app/test_training_page.py)."))
def test_live_training_pauses_and_resumes_by_keyboard(page, server):
    # WCAG 2.2.2: the live progress (it moves for seconds) can be paused and resumed from the keyboard,
    # and a resumed run goes on to its end.
    lab = next(p for p in PAGES if p.path.startswith("pages/5_")).path
    page.goto(f"{server.url}/{url_path(lab)}?its=1000&n=128&seed=7", wait_until="domcontentloaded")
    pause = page.get_by_role("button", name="Pause")
    pause.wait_for(timeout=60_000)
    pause.focus()
    page.keyboard.press("Enter")
    page.locator('[data-testid="stAlert"]').filter(has_text="paused by you after").wait_for(timeout=30_000)
    done = int(page.locator('[data-testid="stAlert"]').filter(has_text="paused by you after").inner_text()
               .split("after ")[1].split(" of")[0])
    assert 0 <= done < 1000
    resume = page.get_by_role("button", name="Resume")
    resume.focus()
    page.keyboard.press("Enter")
    page.locator('[data-testid="stMetric"]').filter(has_text="Iterations run").filter(
        has_text="1000 of 1000").wait_for(timeout=180_000)
    assert page.locator('[data-testid="stException"]').count() == 0, server.log_tail()
