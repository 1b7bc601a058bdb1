"""Chart exports: PNG and SVG through vl-convert (no browser), data as CSV."""

from __future__ import annotations

import altair as alt
import pandas as pd


def chart_png(chart: alt.TopLevelMixin, *, scale: float = 2.0) -> bytes:
    """The chart as a PNG image (``scale`` 2 for projector-sharp output)."""
    import vl_convert as vlc

    return vlc.vegalite_to_png(chart.to_dict(), scale=scale)


def chart_svg(chart: alt.TopLevelMixin) -> str:
    """The chart as an SVG document."""
    import vl_convert as vlc

    return vlc.vegalite_to_svg(chart.to_dict())


def chart_data(chart: alt.TopLevelMixin) -> pd.DataFrame:
    """The data frames a chart draws, stacked (top level first, then each layer's own)."""
    frames = []
    top = getattr(chart, "data", None)
    if isinstance(top, pd.DataFrame):
        frames.append(top)
    for sub in getattr(chart, "layer", None) or []:
        sub_data = getattr(sub, "data", None)
        if isinstance(sub_data, pd.DataFrame):
            frames.append(sub_data.assign(layer=len(frames)))
    for attr in ("hconcat", "vconcat", "concat"):
        for sub in getattr(chart, attr, None) or []:
            part = chart_data(sub)
            if len(part):
                frames.append(part)
    if not frames:
        return pd.DataFrame()
    return pd.concat(frames, ignore_index=True, sort=False)


def chart_csv(chart: alt.TopLevelMixin, data: pd.DataFrame | None = None) -> str:
    """CSV of ``data`` if given, else of the chart's own data."""
    frame = chart_data(chart) if data is None else data
    return frame.to_csv(index=False)
