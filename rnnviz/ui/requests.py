"""A costly computation asked for by a button, granted for the settings it was asked for only.

Some pages keep their work quick by default and offer more behind a button (the spectral page's
"compute all steps"). The request belongs to the settings of the moment: it holds through reruns
that keep them (moving a step slider) and lapses as soon as one changes, so a student who changes
``n`` does not silently pay for the long computation again.

    budget = requests.granted("full_horizon", settings, default=1.0)
    ...
    requests.button("full_horizon", settings, grant=seconds, label="Compute all steps", key="full")
"""

from __future__ import annotations

from collections.abc import Hashable

import streamlit as st

_PREFIX = "_rnnviz_request_"


def granted(name: str, settings: Hashable, *, default):
    """What the button ``name`` granted for exactly these ``settings``, else ``default``."""
    asked = st.session_state.get(_PREFIX + name)
    return asked[1] if asked is not None and asked[0] == settings else default


def _ask(name: str, settings: Hashable, grant) -> None:
    st.session_state[_PREFIX + name] = (settings, grant)


def button(name: str, settings: Hashable, *, grant, label: str, key: str, **kwargs) -> None:
    """A button that grants ``grant`` to ``settings`` (read it with :func:`granted` on the next
    run); ``kwargs`` go to ``st.button`` (icon, help, shortcut, ...)."""
    st.button(label, key=key, on_click=_ask, args=(name, settings, grant), **kwargs)
