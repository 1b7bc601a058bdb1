"""Chart exports: PNG and SVG through vl-convert (no browser), data as CSV. No Streamlit here.

Every function takes what the pages draw: a Vega-Lite spec from :func:`rnnviz.charts.spec.vega_spec`
(datasets as Arrow bytes, data frames or records) or an Altair chart.
"""

from __future__ import annotations

import pandas as pd

from .spec import EXPORT_WIDTH, inline_spec, spec_data

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
