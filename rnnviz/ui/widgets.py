"""Widget helpers: every control has a stable key and lives in the URL.

Use these instead of calling ``st.slider`` and friends directly, so that a copied
link reproduces the view (``bind="query-params"``; the key is the parameter name).
"""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

BIND = "query-params"


def slider(label: str, *, key: str, min_value, max_value, value, step=None, help: str | None = None,
           format: str | None = None, container=st):
    return container.slider(label, min_value=min_value, max_value=max_value, value=value, step=step,
                            help=help, format=format, key=key, bind=BIND)


def number(label: str, *, key: str, min_value, max_value, value, step=None, help: str | None = None,
           format: str | None = None, container=st):
    return container.number_input(label, min_value=min_value, max_value=max_value, value=value,
                                  step=step, help=help, format=format, key=key, bind=BIND)


def select(label: str, options: Sequence, *, key: str, index: int = 0, help: str | None = None,
           format_func=str, container=st):
    return container.selectbox(label, options, index=index, help=help, format_func=format_func,
                               key=key, bind=BIND)


def radio(label: str, options: Sequence, *, key: str, index: int = 0, help: str | None = None,
          format_func=str, horizontal: bool = True, container=st):
    return container.radio(label, options, index=index, help=help, format_func=format_func,
                           horizontal=horizontal, key=key, bind=BIND)


def toggle(label: str, *, key: str, value: bool = False, help: str | None = None, container=st):
    return container.toggle(label, value=value, help=help, key=key, bind=BIND)
