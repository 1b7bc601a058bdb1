"""Chart exports produce valid PNG, SVG and CSV (vl-convert renders without a browser)."""

import io
import xml.etree.ElementTree as ET

import altair as alt
import pandas as pd
import pytest

from rnnviz.charts.export import chart_csv, chart_data, chart_png, chart_svg


@pytest.fixture
def layered():
    df = pd.DataFrame({"k": [0, 1, 2], "grad": [1.0, 0.5, 0.25]})
    rule = pd.DataFrame({"y": [1.0]})
    line = alt.Chart(df).mark_line().encode(x=alt.X("k:Q", title="distance"), y="grad:Q")
    return alt.layer(line, alt.Chart(rule).mark_rule().encode(y="y:Q"))


def test_png_is_a_png_of_sensible_size(layered):
    png = chart_png(layered)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width = int.from_bytes(png[16:20], "big")
    height = int.from_bytes(png[20:24], "big")
    assert 100 < width < 5000 and 100 < height < 5000


def test_svg_parses_and_holds_the_axis_title(layered):
    svg = chart_svg(layered)
    root = ET.fromstring(svg)
    assert root.tag.endswith("svg")
    assert "distance" in svg


def test_csv_holds_every_layer(layered):
    frame = pd.read_csv(io.StringIO(chart_csv(layered)))
    assert len(frame) == 4
    assert {"k", "grad", "y", "layer"} <= set(frame.columns)


def test_csv_prefers_explicit_data(layered):
    explicit = pd.DataFrame({"a": [1, 2]})
    assert chart_csv(layered, explicit).splitlines() == ["a", "1", "2"]


def test_chart_without_frames_gives_empty_data():
    chart = alt.Chart(alt.Data(values=[{"x": 1}])).mark_point().encode(x="x:Q")
    assert chart_data(chart).empty
