"""Lecture mode: larger type, a wider page, fewer controls in view, for a projector in a hall.

The toggle lives in the sidebar (rnnviz.ui.frame) and in the URL (``?lecture=true``), so a
lecturer can bookmark the lecture view. In lecture mode:

* type is larger (base 21 px, title 2.8 rem, metrics 2.6 rem) and the page uses the full width;
* secondary controls sit in :func:`advanced` expanders, collapsed;
* the per-chart download buttons and the presets' "link" chips are hidden (the preset buttons
  stay: they are the demo), and the sidebar starts collapsed.
"""

from __future__ import annotations

import streamlit as st

KEY = "lecture"

_CSS = """
<style>
html { font-size: 21px; }
[data-testid="stMainBlockContainer"] { max-width: 100%; padding-left: 2.5rem; padding-right: 2.5rem;
  padding-top: 2.5rem; }
[data-testid="stMarkdownContainer"] p, [data-testid="stMarkdownContainer"] li,
[data-testid="stCaptionContainer"] { font-size: 1.1rem; line-height: 1.5; }
h1 { font-size: 2.8rem !important; }
h2, h3 { font-size: 1.8rem !important; }
[data-testid="stMetricValue"], [data-testid="stMetricValue"] * { font-size: 2.6rem !important; }
[data-testid="stMetricLabel"] p { font-size: 1.05rem !important; }
[class*="st-key-downloads_"], [class*="st-key-preset_group_"] [data-testid="stPageLink"] { display: none; }
[data-testid="stWidgetLabel"] p { font-size: 1.05rem; }
</style>
"""


def is_on() -> bool:
    """Whether lecture mode is on for this session: the toggle's value, or before the toggle is
    drawn in this run, the link's ``?lecture=`` (so the first run of a lecture link is styled)."""
    if KEY in st.session_state:
        return bool(st.session_state[KEY])
    return st.query_params.get(KEY, "").strip().lower() == "true"


def apply_style() -> None:
    """Inject lecture-mode styling when it is on."""
    if is_on():
        st.html(_CSS)


def advanced(label: str = "More settings"):
    """An expander for secondary controls, collapsed in lecture mode so the hall sees the chart."""
    return st.expander(label, expanded=not is_on(), icon=":material/tune:")
