"""Every page in a real headless Chromium against a real ``streamlit run app.py``.

Per page: the script finishes, no exception element, every chart drawn by vega-embed (a canvas
or an svg), no uncaught JavaScript error; a full-page screenshot goes to artifacts/screenshots/.
And the shared-link case: the first request a freshly started server ever gets is a deep link to
a page, and it shows that page with the navigation by title.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from streamlit.source_util import page_icon_and_name
from streamlit.testing.v1 import AppTest

from rnnviz.ui.registry import HOME, available_pages
from app_server import PAGE_TIMEOUT, ROOT, start_server

pytestmark = pytest.mark.e2e

FINISHED = '[data-testid="stApp"][data-test-script-state="notRunning"]'
CHARTS = '[data-testid="stVegaLiteChart"]'
EXCEPTION = '[data-testid="stException"]'
VIEWPORT = {"width": 1440, "height": 900}
#: Seconds the charts get to draw once the script has finished.
DRAW_TIMEOUT = 30
_ALL_CHARTS_DRAWN = """() => {
    if (document.querySelector('[data-testid="stException"]')) return true;  // reported, no wait
    const charts = [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')];
    return charts.length > 0 && charts.every(c => c.querySelector('canvas, svg'));
}"""


def url_path(page_path: str) -> str:
    """The URL Streamlit serves a page script at (``/`` for app.py)."""
    return "" if page_path == "app.py" else page_icon_and_name(Path(page_path))[1]


def titles() -> dict[str, str]:
    return {page.path: page.title for page in (HOME, *available_pages())}


def load(page, url: str) -> float:
    """Open ``url``; wait for the script to finish and the charts to be drawn. Seconds taken."""
    start = time.perf_counter()
    page.goto(url, wait_until="domcontentloaded", timeout=PAGE_TIMEOUT * 1000)
    page.wait_for_selector(FINISHED, state="attached", timeout=PAGE_TIMEOUT * 1000)
    try:
        page.wait_for_function(_ALL_CHARTS_DRAWN, timeout=DRAW_TIMEOUT * 1000)
    except Exception:  # reported by the assertions, which say what is missing
        pass
    return time.perf_counter() - start


def problems(page, page_path: str, server, js_errors: list[str]) -> list[str]:
    found = []
    if page.locator(EXCEPTION).count():
        found.append(f"{page.locator(EXCEPTION).count()} exception element(s); server log:\n"
                     f"{server.log_tail()}")
    drawn = page.evaluate(f"""() => [...document.querySelectorAll('{CHARTS}')]
                                    .map(c => !!c.querySelector('canvas, svg'))""")
    if not drawn:
        found.append("no chart on the page")
    elif not all(drawn):
        found.append(f"{drawn.count(False)} of {len(drawn)} charts not drawn (no canvas/svg)")
    found += [f"JavaScript error: {e}" for e in js_errors]
    expected_nav = list(titles().values())
    nav = page_links(page, '[data-testid="stSidebar"]')
    if [link["label"] for link in nav] != expected_nav:
        found.append(f"the sidebar lists {[link['label'] for link in nav]}, expected the page titles {expected_nav}")
    current = [link["label"] for link in nav if link["current"]]
    if current != [titles().get(page_path)]:
        found.append(f"the sidebar highlights {current} as the current page, not {titles().get(page_path)!r}")
    cut = [link["label"] for link in page_links(page) if link["cut"]]
    if cut:
        found.append(f"page links cut off at this width (shorten the title in the registry): {cut}")
    if page.locator('[data-testid="stSidebarNav"]').count():
        found.append("Streamlit's file-name navigation is showing (client.showSidebarNavigation)")
    return [f"{page_path}: {p}" for p in found]


def screenshot(page, path: Path) -> None:
    """The whole page: Streamlit scrolls inside its main block, so grow the viewport to fit it."""
    height = page.evaluate("""() => Math.max(document.body.scrollHeight,
        ...['stMain', 'stAppViewContainer', 'stSidebarContent'].map(id =>
            document.querySelector(`[data-testid="${id}"]`)?.scrollHeight ?? 0))""")
    page.set_viewport_size({"width": VIEWPORT["width"], "height": min(max(height, VIEWPORT["height"]), 12000)})
    page.wait_for_timeout(300)  # charts re-measure their container
    page.screenshot(path=path, full_page=True)
    page.set_viewport_size(VIEWPORT)


_PAGE_LINKS = """(scope) => [...document.querySelectorAll(scope + ' [data-testid="stPageLink"]')]
    .map(link => {
        const copy = link.cloneNode(true);  // the label as read, without the icon's ligature name
        copy.querySelectorAll('[data-testid="stIconMaterial"]').forEach(icon => icon.remove());
        const cut = [...link.querySelectorAll('*')].some(e => e.scrollWidth > e.clientWidth + 1);
        const anchor = link.querySelector('a');  // the current page's link has a background
        const current = !!anchor && getComputedStyle(anchor).backgroundColor !== 'rgba(0, 0, 0, 0)';
        return {label: copy.textContent.trim(), cut, current};
    })"""


def page_links(page, scope: str = "") -> list[dict]:
    """Each page link under ``scope`` (a CSS selector): label, cut off?, highlighted as current?"""
    return page.evaluate(_PAGE_LINKS, scope)


def heading_under_apptest(page_path: str) -> str:
    """The page's title as AppTest renders it (no server involved), to compare the browser with."""
    at = AppTest.from_file(ROOT / "app.py", default_timeout=PAGE_TIMEOUT)
    at.switch_page(page_path).run()
    assert at.title, f"{page_path} shows no title under AppTest: {[e.value for e in at.exception]}"
    return at.title[0].value


def test_page_in_browser(page_path, browser, server, screenshots, timings):
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    js_errors: list[str] = []
    page.on("pageerror", lambda exc: js_errors.append(str(exc)))
    try:
        first = load(page, f"{server.url}/{url_path(page_path)}")
        found = problems(page, page_path, server, js_errors)
        screenshot(page, screenshots / f"{Path(page_path).stem}.png")
        again = load(page, page.url)  # a second visit: the server's caches are warm
        timings.record("browser load (script done, charts drawn)", page_path, "first visit", first)
        timings.record("browser load (script done, charts drawn)", page_path, "second visit", again)
        assert not found, "\n".join(found)
    finally:
        context.close()


def test_deep_link_is_the_first_request_to_a_fresh_server(browser, timings):
    pages = [p for p in titles() if p != "app.py"]
    if not pages:
        pytest.skip("no page in pages/ yet: nothing to deep-link to")
    target = pages[-1]
    expected_heading = heading_under_apptest(target)
    fresh = start_server("deep-link")  # waits for the port only: no HTTP request before ours
    try:
        context = browser.new_context(viewport=VIEWPORT)
        page = context.new_page()
        js_errors: list[str] = []
        page.on("pageerror", lambda exc: js_errors.append(str(exc)))
        url = f"{fresh.url}/{url_path(target)}"
        seconds = load(page, url)
        timings.record("browser load (script done, charts drawn)", f"{target} (deep link, fresh server)",
                       "first visit", seconds)
        heading = page.locator("h1").first.inner_text().strip()
        assert heading == expected_heading, (
            f"the deep link {url}, first request to a fresh server, showed {heading!r} instead of "
            f"{expected_heading!r}; server log:\n{fresh.log_tail()}")
        assert page.url.rstrip("/").endswith("/" + url_path(target)), f"redirected to {page.url}"
        found = problems(page, target, fresh, js_errors)  # includes the navigation by title
        assert not found, "\n".join(found)
        context.close()
    finally:
        fresh.stop()
