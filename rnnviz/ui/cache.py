"""Caching of core results: keyed on scalar settings, shared across sessions, bounded."""

from __future__ import annotations

import streamlit as st

#: Default bound on entries per cached function, so a hall of students cannot grow memory without end.
MAX_ENTRIES = 32


def cached(func=None, *, max_entries: int = MAX_ENTRIES):
    """``st.cache_data`` with a bound and no spinner; arguments must be scalars, strings or tuples."""
    deco = st.cache_data(max_entries=max_entries, show_spinner=False)
    return deco if func is None else deco(func)
