"""Show an Altair chart with PNG, SVG and CSV downloads, each built only when clicked."""

from __future__ import annotations

import re

import altair as alt
import pandas as pd
import streamlit as st

from ..charts.export import chart_csv, chart_png, chart_svg


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "chart"


def chart(chart: alt.TopLevelMixin, *, name: str, data: pd.DataFrame | None = None) -> None:
    """``st.altair_chart`` plus three download buttons (PNG, SVG, CSV).

    ``data`` is what the CSV holds; by default the chart's own top-level data frame.
    The files are produced by callables, so nothing is converted until a viewer clicks.
    """
    st.altair_chart(chart, width="stretch")
    slug = _slug(name)
    cols = st.columns([1, 1, 1, 6])
    cols[0].download_button("PNG", data=lambda: chart_png(chart), file_name=f"{slug}.png",
                            mime="image/png", key=f"dl_png_{slug}", icon=":material/image:",
                            on_click="ignore")
    cols[1].download_button("SVG", data=lambda: chart_svg(chart), file_name=f"{slug}.svg",
                            mime="image/svg+xml", key=f"dl_svg_{slug}", icon=":material/draw:",
                            on_click="ignore")
    cols[2].download_button("CSV", data=lambda: chart_csv(chart, data), file_name=f"{slug}.csv",
                            mime="text/csv", key=f"dl_csv_{slug}", icon=":material/table:",
                            on_click="ignore")
