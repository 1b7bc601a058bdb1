"""The frame every page is drawn in: page config, navigation, title, error guard."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

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
        for entry in (HOME, *available_pages()):  # not ``page``: that is this page's entry, for its title
            st.page_link(entry.path, label=entry.title, icon=entry.icon)
        st.divider()
        urlstate.begin_page(st.container())
        widgets.toggle("Lecture mode", key=lecture.KEY,
                       help="Larger type and fewer controls in view, for a projector.")
        st.divider()
        rerun_on_reconnect()  # in the sidebar: an empty block there leaves no gap in the page
    lecture.apply_style()
    a11y.apply()
    st.title(page.header)
    st.markdown(lead)
    runs.train_ahead()  # the lab's default run, once per server, so that a hall finds it done
    return page


#: How often the frame's empty fragment reruns on its own: rarely (it only has to exist), and well
#: under the browser's setInterval limit (2**31 ms, about 24.8 days; longer fires at once).
RECONNECT_TICK = timedelta(hours=6)


def rerun_on_reconnect() -> None:
    """Make the page rerun itself when its browser reconnects, also to a process without its session.

    Streamlit's frontend, on reconnecting, asks for a script run only if the last run had not
    finished, a fragment ran, or the page holds a ``run_every`` fragment (App.tsx,
    handleConnectionStateChanged: ``autoRerunIntervals.size > 0``). Without that, a page whose
    server was restarted, or whose replica died behind a load balancer, stays on screen but dead
    (its downloads do nothing) until the next click. This registers an empty ``run_every``
    fragment, so the frontend requests a full run with the page's URL and widget values at once,
    and the new process draws the same view. Costs one empty fragment run per tab every six hours.
    """
    _reconnect_anchor()


@st.fragment(run_every=RECONNECT_TICK)
def _reconnect_anchor() -> None:
    """Draws nothing: it exists so that the frontend holds an auto-rerun interval (see above)."""


@contextmanager
def guard(what: str) -> Iterator[None]:
    """Turn an expected ``ValueError`` inside the block into an ``st.error``; the page goes on.

    ``what`` names the part of the page, so the message says where the problem is.
    """
    try:
        yield
    except ValueError as exc:
        st.error(f"**{what}:** {exc}", icon=":material/error:")
