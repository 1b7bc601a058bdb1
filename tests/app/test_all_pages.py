"""Every page of the app under Streamlit's AppTest: at its defaults, then each control at its extremes.

Pages are discovered (tests/conftest.py: app.py and pages/*.py), so a new page is covered without
editing this file. A page may answer a bad setting with an ``st.error``; an exception element
(a traceback for the viewer) fails the test, naming the page, the control and the setting.
"""

from __future__ import annotations

import statistics

import pytest
import streamlit as st
from page_driver import CHART, accessibility_report, exception_report, open_page, push_each, timed_run

from rnnviz.ui import HOME
from rnnviz.ui.registry import available_pages, page_info

WARM_RERUNS = 3


def _sidebar_titles(at) -> list[str]:
    return [link.proto.label for link in at.sidebar.get("page_link")]


def test_page_at_defaults(page_path, timings, apptest_warmed_up):
    st.cache_data.clear()
    st.cache_resource.clear()
    at = open_page(page_path)
    cold = timed_run(at)
    errors = exception_report(at)
    assert not errors, f"{page_path} raised at its defaults:\n" + "\n".join(errors)

    warm = [timed_run(at) for _ in range(WARM_RERUNS)]
    errors = exception_report(at)
    assert not errors, f"{page_path} raised on a rerun at its defaults:\n" + "\n".join(errors)
    timings.record("AppTest run at defaults", page_path, "cold", cold)
    timings.record("AppTest run at defaults", page_path, f"warm (median of {WARM_RERUNS})",
                   statistics.median(warm))

    assert at.get(CHART), f"{page_path} shows no chart at its defaults (expected at least one st.altair_chart)"
    assert at.title, f"{page_path} has no title: call rnnviz.ui.page_frame first"
    assert at.title[0].value == page_info(page_path).header, (
        f"{page_path} is headed {at.title[0].value!r}, not its registry header {page_info(page_path).header!r}")
    missing = accessibility_report(at)
    assert not missing, f"{page_path}, charts at defaults:\n" + "\n".join(missing)
    expected = [HOME.title, *(page.title for page in available_pages())]
    assert _sidebar_titles(at)[:len(expected)] == expected, (
        f"{page_path}: the sidebar should list the pages by title, {expected}; "
        f"it lists {_sidebar_titles(at)} (is rnnviz.ui.page_frame called at the top?)")


def test_controls_at_extremes(page_path, timings, apptest_warmed_up):
    outcomes, runs = push_each(page_path)
    timings.record("AppTest controls at extremes", page_path, "pushes", len(outcomes))
    timings.record("AppTest controls at extremes", page_path, "script runs", runs)
    if outcomes:
        timings.record("AppTest controls at extremes", page_path, "slowest push",
                       max(o.seconds for o in outcomes))
        timings.record("AppTest controls at extremes", page_path, "median push",
                       statistics.median(o.seconds for o in outcomes))
    failures = [f"  {o.push}:\n    " + "\n    ".join(o.exceptions) for o in outcomes if o.exceptions]
    assert not failures, (
        f"{page_path}: {len(failures)} of {len(outcomes)} pushes showed an exception "
        f"(each pushed alone from the defaults):\n" + "\n".join(failures))
