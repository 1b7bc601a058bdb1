"""Lecture mode: larger type, fewer controls in view, for a projector in a hall."""

from __future__ import annotations

import streamlit as st

KEY = "lecture"

_CSS = """
<style>
html, body, [data-testid="stAppViewContainer"] { font-size: 20px; }
[data-testid="stMarkdownContainer"] p, [data-testid="stCaptionContainer"] { font-size: 1.1rem; }
h1 { font-size: 2.6rem !important; }
[data-testid="stMetricValue"] { font-size: 2.4rem; }
</style>
"""


def is_on() -> bool:
    """Whether lecture mode is on for this session (the toggle's value)."""
    return bool(st.session_state.get(KEY, False))


def apply_style() -> None:
    """Inject lecture-mode styling when it is on."""
    if is_on():
        st.html(_CSS)


def advanced(label: str = "More settings"):
    """An expander for secondary controls, collapsed in lecture mode so the hall sees the chart."""
    return st.expander(label, expanded=not is_on(), icon=":material/tune:")
