"""The view lives in the URL: link values, fallback notes and the "link to this view" box.

Bound widgets (``bind="query-params"``) already read and write the URL. This module adds
what a lecturer sharing a link needs on top:

* a visible note when a link carried a value the widget could not accept (Streamlit drops
  such values silently and uses the default);
* a "link to this view" box, refreshed by every widget helper, so it always holds the
  settings of the widgets drawn so far (only those that differ from their defaults).
"""

from __future__ import annotations

import math
from urllib.parse import urlencode

import streamlit as st

_STATE = "_rnnviz_url_state"
_BOX = "_rnnviz_link_box"
_DEFAULTS = "_rnnviz_url_defaults"
_FORMATS = "_rnnviz_url_formats"
_ON_FORMAT = "_rnnviz_on_format"
_SHOWN = "_rnnviz_link_shown"  # the link the box shows in this run (None: not drawn yet)
#: Controls that belong to the viewer, not to the view: presets leave them alone.
PERSONAL = frozenset({"lecture"})

#: One link key per concept across pages: ``f`` the nonlinearity, ``T`` the steps, ``scale`` the
#: weight scale, ``in_scale`` the (numeric) input scale, ``its`` the iterations. A page's former
#: key → its current key, so that links shared before the vocabulary was unified open the same
#: view (page 1's ``input`` is the input's *kind* and stays; page 3's numeric ``input`` moved).
ALIASES: dict[str, dict[str, str]] = {
    "pages/2_Nonlinearity_derivatives.py": {"nl": "f", "steps": "T"},
    "pages/3_Spectral_norms.py": {"input": "in_scale"},
    "pages/4_Gradient_clipping.py": {"it": "its"},
    "pages/5_Training_lab.py": {"g": "scale"},
}


def url_value(value) -> str:
    """How a widget value is written in a link (``true``/``false`` for booleans)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return repr(value)
    return str(value)


def _matches(raw: str, value, format_func) -> bool:
    if raw in (url_value(value), str(value)):
        return True
    if format_func is not None:
        try:
            if raw == str(format_func(value)):
                return True
        except Exception:  # a formatter that fails on its own value is not our concern here
            pass
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            return math.isclose(float(raw), float(value), rel_tol=1e-9, abs_tol=1e-12)
        except ValueError:
            return False
    return False


def begin_page(container) -> None:
    """Start a page run: forget the previous run's settings and reserve the link box."""
    st.session_state[_STATE] = {}
    st.session_state[_ON_FORMAT] = []
    st.session_state[_SHOWN] = None
    with container:
        st.session_state[_BOX] = st.empty()


def apply_aliases(path: str) -> None:
    """Rewrite a link's former keys of the page at ``path`` to the current ones (:data:`ALIASES`),
    before any control is drawn. A current key in the same link wins over its alias.

    The bound controls seed from Streamlit's copy of the query string as the page loaded (internal
    state, checked on 1.67, as in :func:`drop_param`); the address bar is rewritten too.
    """
    aliases = ALIASES.get(path, {})
    if not any(old in st.query_params for old in aliases):
        return
    try:
        from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

        params = get_script_run_ctx().session_state._state.query_params
    except AttributeError:  # internals moved: the old keys are ignored, the page opens at its defaults
        return
    for old, new in aliases.items():
        values = st.query_params.get_all(old)
        if not values:
            continue
        if new not in st.query_params:
            params.set_with_no_forward_msg(new, values if len(values) > 1 else values[0])
            params._initial_query_params[new] = list(values)
        params._initial_query_params.pop(old, None)
        params.remove_param(old)  # sends the rewritten address to the browser


def raw_param(key: str) -> str | None:
    """The value the URL holds for ``key`` before its widget is drawn this run."""
    values = st.query_params.get_all(key)
    return values[-1] if values else None


def is_finite_number(raw: str) -> bool:
    """Whether a link value reads as a finite number (guards Streamlit's integer inputs)."""
    try:
        return math.isfinite(float(raw)) and abs(float(raw)) < 2**53
    except (ValueError, OverflowError):
        return False


def drop_param(key: str) -> None:
    """Remove a parameter from the URL before its widget is drawn this run.

    Streamlit seeds a bound widget from the query string it saw when the page loaded, a copy
    that ``st.query_params`` cannot reach, so that copy is cleared too. It is internal state
    (checked on 1.67); if it moves, only this guard degrades and tests/app/test_hostile_pages.py
    says so.
    """
    try:
        del st.query_params[key]
    except KeyError:
        pass
    try:
        from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

        ctx = get_script_run_ctx()
        ctx.session_state._state.query_params._initial_query_params.pop(key, None)
    except AttributeError:
        pass


def record(key: str, value, default, *, raw: str | None, format_func=None, container=st) -> None:
    """After drawing a bound widget: note a rejected link value, update the link box."""
    if raw is not None and not _matches(raw, value, format_func):
        shown = raw if len(raw) <= 40 else raw[:40] + "…"
        container.caption(
            f":material/link_off: The link asked for `{key}={shown}`, which this control does not "
            f"accept, so it shows the default ({url_value(value)}) instead."
        )
    st.session_state.setdefault(_DEFAULTS, {})[key] = default
    if format_func is not None:
        st.session_state.setdefault(_FORMATS, {})[key] = format_func
        for keys, redraw in st.session_state.get(_ON_FORMAT, []):
            if key in keys:
                redraw()
    state = st.session_state.setdefault(_STATE, {})
    text = url_value(value) if format_func is None else str(format_func(value))
    if value == default:
        state.pop(key, None)
    else:
        state[key] = text
    _refresh_box()


def current_link() -> str:
    """A link that reopens this page with the current settings."""
    base = st.context.url or ""
    params = st.session_state.get(_STATE, {})
    return f"{base}?{urlencode(params)}" if params else base


def _refresh_box() -> None:
    """Draw the link box again if its link changed since it was last drawn in this run (a page has
    ~20 controls, and at their defaults the link stays the same from first to last)."""
    box = st.session_state.get(_BOX)
    if box is None:
        return
    link = current_link()
    if st.session_state.get(_SHOWN) == link:
        return
    with box.container():
        st.caption("Link to this view (copy with the button on the right):")
        st.code(link, language=None, wrap_lines=True)
    st.session_state[_SHOWN] = link


def bound_keys() -> list[str]:
    """Keys of the URL-bound controls drawn so far in this session, the viewer's own settings
    (such as lecture mode) left out."""
    return [k for k in st.session_state.get(_DEFAULTS, {}) if k not in PERSONAL]


def forget(key: str) -> None:
    """Put a control back to its default on the next run, as a fresh link would: its state and
    its URL value are dropped, so a default computed from other controls is recomputed too."""
    if key in st.session_state:
        del st.session_state[key]
    try:  # a bound parameter cannot be deleted through st.query_params (internal API, 1.67)
        from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

        params = get_script_run_ctx().session_state._state.query_params
        params._initial_query_params.pop(key, None)
        params.remove_param(key)
    except AttributeError:  # internals moved: the control keeps the link's value, nothing breaks
        pass


def formats() -> dict:
    """Key → format_func of the controls drawn so far that show their options formatted."""
    return dict(st.session_state.get(_FORMATS, {}))


def on_format(keys: set[str], redraw) -> None:
    """Call ``redraw()`` (this run) when a control among ``keys`` turns out to format its options."""
    st.session_state.setdefault(_ON_FORMAT, []).append((frozenset(keys), redraw))
