"""Chart exports: PNG and SVG through vl-convert (no browser), data as CSV, and each chart's text
alternative (a description and a readable table of its data). No Streamlit here.

Every function takes what the pages draw: a Vega-Lite spec from :func:`rnnviz.charts.spec.vega_spec`
(datasets as Arrow bytes, data frames or records) or an Altair chart.
"""

from __future__ import annotations

import math
import re

import pandas as pd

from .common import thin_indices
from .spec import EXPORT_WIDTH, as_spec, inline_spec, spec_data, spec_frames

#: Background of exported images: slides and documents are white even when the app is dark.
BACKGROUND = "white"


def _renderable(spec_or_chart, width: int) -> dict:
    spec = inline_spec(spec_or_chart, width=width)
    spec.setdefault("background", BACKGROUND)
    return spec


def chart_png(spec_or_chart, *, scale: float = 2.0, width: int = EXPORT_WIDTH) -> bytes:
    """The chart as a PNG image (``scale`` 2 for projector-sharp output)."""
    import vl_convert as vlc

    return vlc.vegalite_to_png(_renderable(spec_or_chart, width), scale=scale)


def chart_svg(spec_or_chart, *, width: int = EXPORT_WIDTH) -> str:
    """The chart as an SVG document."""
    import vl_convert as vlc

    return vlc.vegalite_to_svg(_renderable(spec_or_chart, width))


def chart_data(spec_or_chart) -> pd.DataFrame:
    """The data a chart draws as one table (several datasets stacked, with a ``dataset`` column)."""
    return spec_data(spec_or_chart)


def chart_csv(spec_or_chart, data: pd.DataFrame | None = None) -> str:
    """CSV of ``data`` if given, else of the chart's own data."""
    frame = chart_data(spec_or_chart) if data is None else data
    return frame.to_csv(index=False)


# ----------------------------------------------------------------------------- text alternatives

#: Rows a chart's data table shows on the page at most (evenly thinned, both ends kept); the CSV
#: download always holds every row.
TABLE_ROWS = 200


def plain(text: str) -> str:
    """Markdown emphasis and code marks taken out, for a screen reader's label."""
    return re.sub(r"\*\*|__|`|(?<!\w)\*(?!\s)|(?<!\s)\*(?!\w)", "", text).strip()


def _fmt(value) -> str:
    value = float(value)
    if value == 0 or math.isnan(value) or math.isinf(value):
        return f"{value:g}"
    return f"{value:.3g}"


def _axis(encoding: dict, channel: str) -> tuple[str, str] | None:
    enc = encoding.get(channel)
    if not isinstance(enc, dict) or not isinstance(enc.get("field"), str):
        return None
    title = enc.get("title")
    if isinstance(title, list):
        title = " ".join(map(str, title))
    return enc["field"], str(title) if title else enc["field"]


def _ranges(spec: dict) -> list[str]:
    """'y title from a to b over x title c to d' for each part of the chart that plots a numeric
    field of a named dataset against another (the datasets the page drew, at its settings)."""
    frames = spec_frames(spec)
    named = {name: frame for name, frame in frames.items() if not name.startswith("layer-")}
    found: list[str] = []

    def walk(node: dict, data_name: str | None) -> None:
        data = node.get("data")
        if isinstance(data, dict) and isinstance(data.get("name"), str):
            data_name = data["name"]
        encoding = node.get("encoding") or {}
        y, x = _axis(encoding, "y"), _axis(encoding, "x")
        frame = named.get(data_name)
        if y and frame is not None and y[0] in frame and pd.api.types.is_numeric_dtype(frame[y[0]]):
            values = pd.to_numeric(frame[y[0]], errors="coerce").dropna()
            # a single level (a reference rule) says nothing as a range
            text = (f"{y[1]} from {_fmt(values.min())} to {_fmt(values.max())}"
                    if len(values) and values.min() != values.max() else "")
            if text and x and x[0] in frame and pd.api.types.is_numeric_dtype(frame[x[0]]):
                xs = pd.to_numeric(frame[x[0]], errors="coerce").dropna()
                if len(xs):
                    text += f" over {x[1]} {_fmt(xs.min())} to {_fmt(xs.max())}"
            if text and text not in found:
                found.append(text)
        for attr in ("layer", "hconcat", "vconcat", "concat"):
            for sub in node.get(attr) or []:
                if isinstance(sub, dict):
                    walk(sub, data_name)
        if isinstance(node.get("spec"), dict):  # facet / repeat
            walk(node["spec"], data_name)

    walk(spec, None)
    return found


def chart_description(spec_or_chart, *, name: str, notice: str = "", max_ranges: int = 3) -> str:
    """The chart's text alternative: what it shows (its name), the range of each plotted quantity
    at the current settings, and the sentence that says what to notice (Markdown marks removed).
    This becomes the Vega-Lite ``description``, which Vega puts in the chart's ``aria-label``."""
    spec = as_spec(spec_or_chart)
    parts = [f"Chart: {plain(name)}."]
    ranges = _ranges(spec)[:max_ranges]
    if ranges:
        parts.append("It plots " + "; ".join(ranges) + ".")
    if notice:
        text = plain(notice)
        parts.append("Notice: " + text[0].upper() + text[1:] + ("" if text.endswith(".") else "."))
    return " ".join(parts)


def described(spec_or_chart, *, name: str, notice: str = "") -> dict:
    """A copy of the spec with its ``description`` (unless it has its own); not modified in place."""
    spec = as_spec(spec_or_chart)
    if spec.get("description"):
        return spec
    return {**spec, "description": chart_description(spec, name=name, notice=notice)}


def data_table(spec_or_chart, data: pd.DataFrame | None = None, *,
               max_rows: int = TABLE_ROWS) -> tuple[pd.DataFrame, int]:
    """The chart's data (or ``data``) as a table to read on the page: at most ``max_rows`` rows,
    evenly spaced with the first and last kept, numbers to 4 significant digits. Returns the
    table and the number of rows of the full data (the CSV's)."""
    frame = chart_data(spec_or_chart) if data is None else data
    total = len(frame)
    if total > max_rows:
        frame = frame.iloc[thin_indices(total, max_rows)]
    shown = frame.reset_index(drop=True).copy()
    for column in shown.columns:
        if pd.api.types.is_float_dtype(shown[column]):
            shown[column] = [_fmt(v) for v in shown[column]]
    shown.columns = [str(c) for c in shown.columns]
    return shown, total
