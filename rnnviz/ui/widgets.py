"""Widget helpers: every control has a stable key and lives in the URL.

Use these instead of calling ``st.slider`` and friends directly, so that a copied
link reproduces the view (``bind="query-params"``; the key is the parameter name),
a link value the control cannot accept is reported next to it, and the sidebar's
"link to this view" box stays current.
"""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from ..upload import MAX_UPLOAD_BYTES, MAX_UPLOAD_SIDE, UPLOAD_TYPES, parse_matrix, upload_digest
from . import urlstate

BIND = "query-params"


def _bound(kind: str, label: str, *, key: str, default, container, format_func=None, sanitize=None,
           **kwargs):
    raw = urlstate.raw_param(key)
    if format_func is not None:
        kwargs["format_func"] = format_func
    if raw is not None and sanitize is not None and not sanitize(raw):
        # Streamlit would crash on this value (e.g. an integer input given ?seed=1e400); drop it from
        # the URL before the widget exists, so the control falls back to its default and says so.
        urlstate.drop_param(key)
    widget = getattr(container, kind)
    value = widget(label, key=key, bind=BIND, **kwargs)
    urlstate.record(key, value, default, raw=raw, format_func=format_func, container=container)
    return value


def slider(label: str, *, key: str, min_value, max_value, value, step=None, help: str | None = None,
           format: str | None = None, container=st):
    """A URL-bound slider. A range that depends on other controls may shrink under the slider's
    value (a step slider when T is lowered): the value is moved to the nearest end first."""
    current = st.session_state.get(key)
    if isinstance(current, (int, float)) and not isinstance(current, bool):
        if current > max_value:
            st.session_state[key] = max_value
        elif current < min_value:
            st.session_state[key] = min_value
    return _bound("slider", label, key=key, default=value, container=container, min_value=min_value,
                  max_value=max_value, value=value, step=step, help=help, format=format)


def select_slider(label: str, options: Sequence, *, key: str, value=None, help: str | None = None,
                  format_func=str, container=st):
    default = options[0] if value is None else value
    return _bound("select_slider", label, key=key, default=default, container=container,
                  options=options, value=default, help=help, format_func=format_func)


def number(label: str, *, key: str, min_value, max_value, value, step=None, help: str | None = None,
           format: str | None = None, container=st):
    return _bound("number_input", label, key=key, default=value, container=container,
                  sanitize=urlstate.is_finite_number, min_value=min_value, max_value=max_value, value=value, step=step, help=help,
                  format=format)


def select(label: str, options: Sequence, *, key: str, index: int = 0, help: str | None = None,
           format_func=None, container=st):
    return _bound("selectbox", label, key=key, default=options[index], container=container,
                  format_func=format_func, options=options, index=index, help=help)


def radio(label: str, options: Sequence, *, key: str, index: int = 0, help: str | None = None,
          format_func=None, horizontal: bool = True, container=st):
    return _bound("radio", label, key=key, default=options[index], container=container,
                  format_func=format_func, options=options, index=index, help=help,
                  horizontal=horizontal)


def toggle(label: str, *, key: str, value: bool = False, help: str | None = None, container=st):
    return _bound("toggle", label, key=key, default=value, container=container, value=value, help=help)


def matrix_upload(what: str, *, key: str = "upload", meanwhile: str):
    """An upload box for a square matrix (.npy never unpickled, or .csv), bounded in size.

    Returns ``(matrix, digest)``: the parsed matrix and the hash of its bytes (the cache key), or
    ``(None, "")`` until a valid file is given; a bad file is reported with an ``st.error``.
    ``what`` names the matrix in the label; ``meanwhile`` names what the page shows until then.
    """
    file = st.file_uploader(
        f"{what} (.npy or .csv, square, at most {MAX_UPLOAD_SIDE} × {MAX_UPLOAD_SIDE} "
        f"and {MAX_UPLOAD_BYTES // 2**20} MB)", type=list(UPLOAD_TYPES), key=key,
        help="Saved with np.save('W.npy', W) (never unpickled), or comma-separated numbers, one row per line.")
    if file is None:
        st.info(f"No file yet: the page shows {meanwhile} meanwhile.", icon=":material/upload_file:")
        return None, ""
    from .frame import guard  # the frame imports this module

    data = file.getvalue()
    with guard(f"Uploaded file '{file.name}'"):
        matrix = parse_matrix(data, file.name)
        st.success(f"Using your {matrix.shape[0]} × {matrix.shape[0]} matrix from '{file.name}'.",
                   icon=":material/check_circle:")
        return matrix, upload_digest(data)
    st.caption(f"The rest of the page shows {meanwhile} until a valid file is uploaded.")
    return None, ""
