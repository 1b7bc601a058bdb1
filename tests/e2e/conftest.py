"""A real Streamlit server and a real headless Chromium for the browser tests.

Needs Debian's Chromium at /usr/bin/chromium and the ``playwright`` package (its own browsers are
not used). Without them the tests are skipped with the reason, except when the environment
variable CI is set: then a missing browser fails the run, so CI cannot pass by skipping.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from app_server import (CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS, skip_or_fail_without_browser,
                              start_server, wait_healthy)


@pytest.fixture(scope="session")
def browser():
    skip_or_fail_without_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def server(browser):
    """The app, started once for the session (after the browser check) and stopped at the end."""
    started = start_server("session")
    try:
        wait_healthy(started)
        yield started
    finally:
        started.stop()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    if SCREENSHOTS.exists():
        shutil.rmtree(SCREENSHOTS)
    SCREENSHOTS.mkdir(parents=True)
    return SCREENSHOTS
