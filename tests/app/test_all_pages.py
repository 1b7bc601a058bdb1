"""Every page of the app under Streamlit's AppTest: at its defaults, then each control at its extremes.

Pages are discovered (tests/conftest.py: app.py and pages/*.py), so a new page is covered without
editing this file. A page may answer a bad setting with an ``st.error``; an exception element
(a traceback for the viewer) fails the test, naming the page, the control and the setting.
"""

from __future__ import annotations

import statistics

import streamlit as st
from page_driver import CHART, accessibility_report, exception_report, open_page, push_each, timed_run

from rnnviz.presets import clipping, meanfield, nonlinearity, scalar, spectral, training
from rnnviz.ui import HOME, bundled
from rnnviz.ui.registry import available_pages, page_info

WARM_RERUNS = 3
#: The views (rnnviz/presets/<page>.py) whose controls each page draws: one place for their defaults.
PAGE_VIEWS = {
    "pages/1_Scalar_intuition.py": scalar.VIEWS, "pages/2_Nonlinearity_derivatives.py": nonlinearity.VIEWS,
    "pages/3_Spectral_norms.py": spectral.VIEWS, "pages/4_Gradient_clipping.py": clipping.VIEWS,
    "pages/5_Training_lab.py": training.VIEWS, "pages/6_Your_network.py": (bundled.VIEW,),
    "pages/7_Edge_of_chaos.py": meanfield.VIEWS,
}


def _sidebar_titles(at) -> list[str]:
    return [link.proto.label for link in at.sidebar.get("page_link")]


def _defaults_unlike_the_views(page_path: str, at) -> list[str]:
    """The page's controls (at their defaults) whose value is not their view's default; a control the
    page does not draw at its defaults, or whose default depends on the result (``None``), is skipped."""
    differ = []
    for view in PAGE_VIEWS.get(page_path, ()):
        for key, default in view.defaults.items():
            if default is None or key not in at.session_state:
                continue
            if at.session_state[key] != default:
                differ.append(f"{view.name}.{key}: page {at.session_state[key]!r}, view {default!r}")
    return differ


def test_every_page_with_a_view_is_checked():
    from rnnviz.presets import all_views

    checked = {view.name for views in PAGE_VIEWS.values() for view in views}
    assert checked == {view.name for view in all_views(bundled.example_bytes)}


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

    differ = _defaults_unlike_the_views(page_path, at)
    assert not differ, f"{page_path}: widgets whose default is not their view's: " + "; ".join(differ)
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
