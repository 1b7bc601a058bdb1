"""The lecture tour in a real headless Chromium: a clicker's PageDown steps on, each step shows its QR
code, and a deep link to a middle step works as the first request to a fresh server.

Uses the session's server and browser (tests/e2e/conftest.py) and the page helpers of
test_pages_in_browser.py; the lecture-mode capture is the README's "Giving the lecture" screenshot.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest
from app_server import start_server
from test_pages_in_browser import EXCEPTION, VIEWPORT, load, problems, screenshot, url_path

from rnnviz.ui import LECTURE, tour

pytestmark = pytest.mark.e2e

LECTURE_URL = url_path(LECTURE.path)   # "Lecture"
QR = 'img[alt^="QR code of the link to step"]'


def _step_heading(page) -> str:
    return page.locator("h2").first.inner_text().strip()


def _expected(k: int) -> str:
    return f"{k} · {tour.STEPS[k - 1].title}"


def _step_in_url(url: str) -> str | None:
    return dict(parse_qsl(urlsplit(url).query)).get(tour.KEY)


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport=VIEWPORT)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    tab.js_errors = errors
    yield tab
    context.close()
    assert not errors, f"JavaScript errors: {errors}"


def test_pagedown_steps_on_and_every_step_has_its_qr_code(page, server):
    load(page, f"{server.url}/{LECTURE_URL}?{tour.KEY}=1")
    assert not problems(page, LECTURE.path, server, page.js_errors)
    assert _step_heading(page) == _expected(1)
    assert page.locator(QR).count() == 1 and page.locator(QR).first.evaluate("img => img.naturalWidth") > 0
    page.locator("h1").first.click()            # focus on the page, as a clicker's key press finds it
    page.keyboard.press("PageDown")
    page.wait_for_url(lambda url: _step_in_url(url) == "2", timeout=30_000)
    page.locator("h2").filter(has_text=_expected(2)).wait_for(timeout=60_000)
    load(page, page.url)                        # the step's charts drawn
    assert _step_heading(page) == _expected(2)
    assert not problems(page, LECTURE.path, server, page.js_errors)
    assert page.locator(QR).count() == 1
    page.keyboard.press("PageUp")
    page.wait_for_url(lambda url: _step_in_url(url) == "1", timeout=30_000)
    page.locator("h2").filter(has_text=_expected(1)).wait_for(timeout=60_000)


def test_lecture_mode_shows_the_qr_code_large(page, server, screenshots):
    k = 3
    load(page, f"{server.url}/{LECTURE_URL}?{tour.KEY}={k}&lecture=true")
    assert _step_heading(page) == _expected(k)
    # (not problems(): the sidebar starts collapsed in lecture mode, so its links measure as cut off)
    assert page.locator(EXCEPTION).count() == 0, server.log_tail()
    assert page.locator('[data-testid="stVegaLiteChart"] canvas, [data-testid="stVegaLiteChart"] svg').count() >= 1
    width = page.locator(QR).first.evaluate("img => img.getBoundingClientRect().width")
    assert width >= 300, f"the QR code is {width} px wide in lecture mode"
    screenshot(page, screenshots / "lecture-tour.png")


def test_deep_link_to_a_middle_step_on_a_fresh_server(page):
    k = len(tour.STEPS) // 2 + 1
    fresh = start_server("lecture-deep-link")  # waits for the port only: no HTTP request before ours
    try:
        load(page, f"{fresh.url}/{LECTURE_URL}?{tour.KEY}={k}")
        assert _step_heading(page) == _expected(k), fresh.log_tail()
        assert _step_in_url(page.url) == str(k) and urlsplit(page.url).path.rstrip("/").endswith(LECTURE_URL)
        assert page.locator(QR).count() == 1
        found = problems(page, LECTURE.path, fresh, page.js_errors)
        assert not found, "\n".join(found)
    finally:
        fresh.stop()
