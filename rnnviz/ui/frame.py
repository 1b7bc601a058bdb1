"""The frame every page is drawn in: page config, navigation, title, error guard."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

from . import a11y, lecture, runs, urlstate, widgets
from .registry import HOME, PageInfo, available_pages, page_info


def page_frame(file: str, *, lead: str) -> PageInfo:
    """Call first on every page, with the page's ``__file__``: config, sidebar navigation with
    titles, heading and lead. The page's title, icon and path come from the registry
    (:mod:`rnnviz.ui.registry`); returns its entry. Links with a page's former parameter names
    are rewritten to the current ones first (:data:`rnnviz.ui.urlstate.ALIASES`)."""
    page = page_info(file)
    urlstate.apply_aliases(page.path)
    st.set_page_config(page_title=f"{page.title} · rnnviz", page_icon=page.icon, layout="wide",
                       initial_sidebar_state="collapsed" if lecture.is_on() else "auto")
    with st.sidebar:
        # Titles, not file names: Streamlit's own file-name navigation is hidden in config.toml.
        for entry in (HOME, *available_pages()):  # not `page`: that is this page's entry
            st.page_link(entry.path, label=entry.title, icon=entry.icon)
        st.divider()
        urlstate.begin_page(st.container())
        widgets.toggle("Lecture mode", key=lecture.KEY,
                       help="Larger type and fewer controls in view, for a projector.")
        st.divider()
    lecture.apply_style()
    a11y.apply()
    st.title(page.header)
    st.markdown(lead)
    runs.train_ahead()  # the lab's default run, once per server, so that a hall finds it done
    return page


@contextmanager
def guard(what: str) -> Iterator[None]:
    """Turn an expected ``ValueError`` inside the block into an ``st.error``; the page goes on.

    ``what`` names the part of the page, so the message says where the problem is.
    """
    try:
        yield
    except ValueError as exc:
        st.error(f"**{what}:** {exc}", icon=":material/error:")
