"""AppTest settings for every test in tests/app/."""

from __future__ import annotations

import os

import pytest
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.util import patch_config_options


# The lab's default run is not trained ahead in the background here: the page tests clear the
# stores and expect to watch the lab train (tests/app/test_train_ahead.py switches it back on).
os.environ["RNNVIZ_TRAIN_AHEAD"] = "0"


@pytest.fixture(scope="session", autouse=True)
def full_error_details():
    """Show exceptions in full under AppTest.

    .streamlit/config.toml redacts them for viewers (``showErrorDetails = "none"``), which would
    leave a failing test with "This app has encountered an error" and nothing else.
    """
    with patch_config_options({"client.showErrorDetails": "full"}):
        yield


@pytest.fixture(scope="session")
def apptest_warmed_up() -> None:
    """Pay AppTest's one-off start-up cost once, so no page's "cold" time includes it."""
    AppTest.from_string("import streamlit as st\nst.write('warm-up')").run(timeout=60)
