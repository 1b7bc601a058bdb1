"""Draw a chart with its text alternative and PNG, SVG and CSV downloads (files built on click).

``show(spec_or_chart, name=...)`` is the one way pages draw a chart: a cached Vega-Lite spec
(:func:`rnnviz.charts.spec.vega_spec`) or an Altair chart goes to ``st.vega_lite_chart``, and a
row of small buttons underneath hands out the picture (vl-convert, no browser needed) and the
data. The buttons get callables, so nothing is converted until a viewer asks for it. Every chart
also gets a text alternative: a ``description`` (Vega's ``aria-label``: what it shows, the range of
each plotted quantity at the current settings, what to notice) and, in a collapsed expander under it,
its data as a table that a keyboard and a screen reader can reach.
``figure(...)`` adds what goes with a chart on a page: its formulas and a "Notice:" sentence.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence

import pandas as pd
import streamlit as st

from ..charts.export import chart_csv, chart_png, chart_svg, data_table, described
from ..charts.spec import as_spec

#: Formats offered under every chart: (label, file extension, MIME type, icon).
FORMATS = (("PNG", "png", "image/png", ":material/image:"),
           ("SVG", "svg", "image/svg+xml", ":material/draw:"),
           ("CSV", "csv", "text/csv", ":material/table:"))


#: Background of a chart on a dark page.
CARD = "#FFFFFF"


_INK, _FAINT, _RULE = "#31333F", "#E6E9EF", "#808495"
#: Vega-Lite config of a light page, for charts drawn as light cards on a dark page.
LIGHT_CONFIG = {
    "axis": {"labelColor": _INK, "titleColor": _INK, "gridColor": _FAINT, "domainColor": _RULE,
             "tickColor": _RULE},
    "legend": {"labelColor": _INK, "titleColor": _INK},
    "header": {"labelColor": _INK, "titleColor": _INK},
    "title": {"color": _INK, "subtitleColor": _INK},
    "text": {"color": _INK},
    "view": {"stroke": _FAINT},
}


def on_card(spec: dict) -> dict:
    """The spec drawn on a white card with a light page's axis and legend colours (the chart's own
    config wins where it sets something); the spec itself is not modified."""
    own = spec.get("config") or {}
    config = {**LIGHT_CONFIG, **own}
    for section, values in LIGHT_CONFIG.items():
        if isinstance(own.get(section), dict):
            config[section] = {**values, **own[section]}
    return {**spec, "config": config, "background": CARD,
            "padding": {"left": 8, "right": 8, "top": 8, "bottom": 8}}


def _dark() -> bool:
    """Whether the viewer's page is dark (Streamlit infers it from the app's background colour;
    on a session's very first run it may not know yet and says light)."""
    try:
        return st.context.theme.type == "dark"
    except Exception:  # outside a session (bare mode) or an older Streamlit: assume light
        return False


def slug(name: str) -> str:
    """A file-name-safe, readable version of a chart's name."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "chart"


def _used_this_run(key: str) -> bool:
    try:
        from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

        ctx = get_script_run_ctx()
        return ctx is not None and key in ctx.shared.widget_user_keys_this_run
    except AttributeError:  # internal layout moved: fall back to the plain key
        return False


def unique_slug(name: str) -> str:
    """``slug(name)``, with -2, -3, ... appended when a chart of that name was already drawn in
    this run (two charts may share a name; their buttons must not share keys)."""
    base = slug(name)
    candidate, n = base, 1
    while _used_this_run(f"dl_png_{candidate}"):
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def producers(spec: dict, data: pd.DataFrame | None = None) -> dict[str, Callable[[], bytes | str]]:
    """Format extension → a callable building that file from ``spec`` (what the buttons receive)."""
    return {"png": lambda: chart_png(spec), "svg": lambda: chart_svg(spec),
            "csv": lambda: chart_csv(spec, data)}


_ALT_CACHE: OrderedDict = OrderedDict()
_ALT_LOCK = threading.Lock()
_ALT_ENTRIES = 128


def on_canvas(spec: dict) -> dict:
    """The spec drawn on a canvas (vega-embed's ``usermeta.embedOptions``, which Streamlit honours;
    it switches to canvas itself only above 2,000 points). The chart is then one image named by its
    description (Vega puts it in the chart's ``aria-label``, with role graphics-document) instead of
    an SVG of hundreds of shapes without names, which screen readers step through and axe-core
    reports (svg-img-alt); it also draws faster on a phone."""
    usermeta = dict(spec.get("usermeta") or {})
    usermeta["embedOptions"] = {"renderer": "canvas", **(usermeta.get("embedOptions") or {})}
    return {**spec, "usermeta": usermeta}


def accessible(spec: dict, *, name: str, notice: str = "") -> dict:
    """A spec with its description, drawn on a canvas: for a chart shown without :func:`show`
    (the live training chart, redrawn a few times a second, has no table or downloads)."""
    return on_canvas(described(spec, name=name, notice=notice))


def _alt_key(spec: dict, name: str, notice: str, data) -> tuple | None:
    """A key for a chart's text alternative: its structure, name and sentence, and its datasets'
    bytes (hashed by Python, cheap); None when a dataset is not bytes (then nothing is cached)."""
    datasets = spec.get("datasets") or {}
    if data is not None or not all(isinstance(v, (bytes, bytearray)) for v in datasets.values()):
        return None
    rest = repr({k: v for k, v in spec.items() if k != "datasets"})
    return (name, notice, rest, tuple((k, hash(bytes(v))) for k, v in datasets.items()))


def alternative(spec: dict, *, name: str, notice: str = "", data: pd.DataFrame | None = None):
    """``(described spec, data table, rows in the full data)`` of a chart, remembered per chart
    content (a warm rerun redraws the same charts: their Arrow data is not decoded again)."""
    key = _alt_key(spec, name, notice, data)
    if key is not None:
        with _ALT_LOCK:
            if key in _ALT_CACHE:
                _ALT_CACHE.move_to_end(key)
                return _ALT_CACHE[key]
    value = (accessible(spec, name=name, notice=notice), *data_table(spec, data))
    if key is not None:
        with _ALT_LOCK:
            _ALT_CACHE[key] = value
            while len(_ALT_CACHE) > _ALT_ENTRIES:
                _ALT_CACHE.popitem(last=False)
    return value


def show(spec_or_chart, *, name: str, width: str | int = "stretch", data: pd.DataFrame | None = None,
         csv: bool = True, container=None, notice: str = "") -> str:
    """``st.vega_lite_chart`` with its text alternative, plus download buttons (PNG, SVG and, if
    ``csv``, the data as CSV) and the data as a table in a collapsed expander.

    ``name`` titles the files (``"Gradient vs distance"`` → ``gradient-vs-distance.png``) and keys
    the buttons; ``width`` is passed to ``st.vega_lite_chart`` ("stretch", "content" or pixels);
    ``data`` is what the CSV and the table hold (default: the chart's own datasets); ``notice``
    (the sentence that says what to see) ends the chart's description. Returns the file stem.
    """
    target = st if container is None else container
    spec, table, total = alternative(as_spec(spec_or_chart), name=name, notice=notice, data=data)
    if _dark():
        # The charts are drawn for a light page (black reference rules, white legend boxes): on a dark
        # page they are shown as light cards, exactly as designed, instead of half-invisible.
        target.vega_lite_chart(on_card(spec), width=width)
    else:
        target.vega_lite_chart(spec, width=width)
    stem = unique_slug(name)
    files = producers(spec, data)
    formats = [f for f in FORMATS if csv or f[1] != "csv"]
    row = target.container(horizontal=True, gap="small", key=f"downloads_{stem}")
    for label, ext, mime, icon in formats:
        row.download_button(label, data=files[ext], file_name=f"{stem}.{ext}", mime=mime,
                            key=f"dl_{ext}_{stem}", icon=icon, on_click="ignore", type="tertiary",
                            help=f"Download “{name}” as {label}" + (" (its data)" if ext == "csv" else ""))
    data_expander(target, name, table, total)
    return stem


def data_expander(target, name: str, table: pd.DataFrame, total: int) -> None:
    """The chart's data as an HTML table (read cell by cell by a screen reader, reached by Tab)
    in a collapsed expander under the chart."""
    if table.empty:
        return
    with target.expander(f"Data of “{name}” as a table", icon=":material/table_rows:"):
        if total > len(table):
            st.caption(f"{len(table)} of {total:,} rows, evenly spaced (first and last kept); the CSV "
                       "download has every row.")
        st.table(table, hide_index=True, alt=f"Data of the chart “{name}”")


def figure(spec_or_chart, *, name: str, notice: str, formulas: Sequence[str] = (), **show_kwargs) -> str:
    """A chart as the pages draw one: its formulas (LaTeX, above it), the chart with its downloads
    (:func:`show`, which takes ``show_kwargs``), and under it the sentence that tells the viewer
    what to notice. Returns the file stem."""
    for formula in formulas:
        st.latex(formula)
    stem = show(spec_or_chart, name=name, notice=notice, **show_kwargs)
    st.caption(f"**Notice:** {notice}")
    return stem
