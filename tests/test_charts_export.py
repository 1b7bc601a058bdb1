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
    assert {"k", "grad", "y", "dataset"} <= set(frame.columns)
    assert frame.groupby("dataset").size().sort_values().tolist() == [1, 3]


def test_csv_prefers_explicit_data(layered):
    explicit = pd.DataFrame({"a": [1, 2]})
    assert chart_csv(layered, explicit).splitlines() == ["a", "1", "2"]


def test_chart_with_inline_values_gives_them_and_without_data_nothing():
    chart = alt.Chart(alt.Data(values=[{"x": 1}])).mark_point().encode(x="x:Q")
    assert chart_data(chart).to_dict("records") == [{"x": 1}]
    generated = alt.Chart(alt.sequence(0, 5, as_="k")).mark_point().encode(x="k:Q")
    assert chart_data(generated).empty


# ---- specs as the pages cache them (rnnviz.charts.spec) -------------------------------------

import json  # noqa: E402

import numpy as np  # noqa: E402
import pyarrow as pa  # noqa: E402

import rnnviz  # noqa: E402
from rnnviz.charts.nonlinearity import curves_chart  # noqa: E402
from rnnviz.charts.scalar import gradient_chart  # noqa: E402
from rnnviz.charts.spec import inline_spec, spec_data, spec_frames, vega_spec  # noqa: E402


def _png_size(png: bytes) -> tuple[int, int]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and png[12:16] == b"IHDR"
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


@pytest.fixture(scope="module")
def gradient_spec():
    x = rnnviz.scalar_inputs(300, kind="none", amplitude=0.0, seed=0)
    tr = rnnviz.scalar_trajectory(1.5, b=0.5, u=1.0, h0=0.5, x=x, nonlinearity="relu")
    return tr, vega_spec(gradient_chart(tr))


def test_arrow_spec_inlines_to_plain_json_with_every_row(gradient_spec):
    tr, spec = gradient_spec
    assert all(isinstance(v, bytes) for v in spec["datasets"].values())
    inline = inline_spec(spec)
    json.dumps(inline, allow_nan=False)  # no bytes, no NaN/inf left: any renderer can read it
    sizes = {name: len(values) for name, values in inline["datasets"].items()}
    tables = {name: pa.ipc.open_stream(raw).read_all().num_rows for name, raw in spec["datasets"].items()}
    assert sizes == tables
    assert isinstance(next(iter(spec["datasets"].values())), bytes)  # the cached spec is untouched


def test_nonfinite_values_become_null():
    frame = pd.DataFrame({"k": [0, 1, 2], "v": [1.0, np.inf, np.nan]})
    spec = vega_spec(alt.Chart(frame).mark_line().encode(x="k:Q", y="v:Q"))
    values = next(iter(inline_spec(spec)["datasets"].values()))
    assert values == [{"k": 0, "v": 1.0}, {"k": 1, "v": None}, {"k": 2, "v": None}]


def test_spec_png_and_svg_from_a_cached_spec(gradient_spec):
    _, spec = gradient_spec
    w, h = _png_size(chart_png(spec))
    assert 300 < w < 4000 and 200 < h < 4000
    svg = chart_svg(spec)
    assert ET.fromstring(svg).tag.endswith("svg") and "log scale" in svg


def test_spec_csv_holds_the_trajectory(gradient_spec):
    tr, spec = gradient_spec
    frame = pd.read_csv(io.StringIO(chart_csv(spec)))
    assert "dataset" in frame.columns  # the gradient chart draws a line and reference layers
    assert len(frame) >= tr.T and frame["dataset"].str.startswith("data-").all()


def test_frames_held_as_pandas_and_records_are_read_too():
    frame = pd.DataFrame({"x": [1.0, 2.0], "y": [3.0, 4.0]})
    spec = {"datasets": {"pts": frame, "rule": [{"y": 1.0}]},
            "layer": [{"data": {"name": "pts"}, "mark": "point", "encoding": {"x": {"field": "x", "type": "quantitative"},
                                                                              "y": {"field": "y", "type": "quantitative"}}},
                      {"data": {"name": "rule"}, "mark": "rule", "encoding": {"y": {"field": "y", "type": "quantitative"}}}],
            "width": "container"}
    frames = spec_frames(spec)
    assert list(frames) == ["pts", "rule"] and frames["pts"].equals(frame)
    data = spec_data(spec)
    assert sorted(data["dataset"].unique()) == ["pts", "rule"] and len(data) == 3
    assert inline_spec(spec)["width"] != "container"
    assert _png_size(chart_png(spec))[0] > 600  # "container" replaced by a fixed width (x2 scale)


def test_a_chart_of_the_nonlinearity_page_exports():
    spec = vega_spec(curves_chart())
    assert _png_size(chart_png(spec, scale=1))[0] > 200
    assert len(pd.read_csv(io.StringIO(chart_csv(spec)))) > 100


# ----------------------------------------------------------------------------- text alternatives

from rnnviz.charts.export import TABLE_ROWS, chart_description, data_table, described, plain  # noqa: E402
from rnnviz.charts.spec import vega_spec  # noqa: E402


def test_description_names_the_chart_its_ranges_and_the_notice(layered):
    text = chart_description(vega_spec(layered), name="Gradient vs distance",
                             notice="the gradient **halves** at every `step`")
    assert text.startswith("Chart: Gradient vs distance.")
    # the line's data at these settings: grad 0.25..1 over k 0..2 (the rule's single level is left out)
    assert "grad from 0.25 to 1 over distance 0 to 2" in text
    assert text.endswith("Notice: The gradient halves at every step.")
    assert "y from" not in text and " to 1 over" in text


def test_described_keeps_a_description_of_its_own_and_does_not_modify_the_spec(layered):
    spec = vega_spec(layered)
    out = described(spec, name="x", notice="y")
    assert "description" not in spec and out["description"].startswith("Chart: x.")
    assert described({**spec, "description": "mine"}, name="x")["description"] == "mine"


def test_data_table_thins_long_data_keeping_both_ends_and_rounds():
    frame = pd.DataFrame({"k": range(1000), "v": [1 / (i + 3) for i in range(1000)]})
    table, total = data_table(alt.Chart(frame).mark_line().encode(x="k:Q", y="v:Q"))
    assert total == 1000 and len(table) == TABLE_ROWS
    assert table["k"].iloc[0] == 0 and table["k"].iloc[-1] == 999
    assert table["v"].iloc[0] == "0.333"


def test_plain_drops_markdown_marks_but_not_multiplication():
    assert plain("**bold** and `code` and *it* but 2 * 3") == "bold and code and it but 2 * 3"
