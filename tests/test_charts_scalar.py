"""Charts of the scalar and nonlinearity pages: valid Vega-Lite, honest data, pinned values flagged."""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa
import pytest

import rnnviz
from rnnviz.charts import nonlinearity as nlc
from rnnviz.charts import scalar as sc
from rnnviz.charts.common import format_magnitude
from rnnviz.charts.spec import vega_spec


def _tr(**kw):
    args = dict(w=0.9, b=0.0, u=1.0, h0=0.5, nonlinearity="tanh")
    args.update(kw)
    T = args.pop("T", 200)
    x = rnnviz.scalar_inputs(T, kind=args.pop("kind", "sine"), amplitude=0.5)
    return rnnviz.scalar_trajectory(args.pop("w"), x=x, **args)


@pytest.mark.parametrize("kw", [{}, dict(w=4.0, b=3.0, nonlinearity="relu", T=10_000),
                                dict(w=1.5, b=-3.0, h0=-2.0, nonlinearity="relu", T=50),
                                dict(w=0.0, T=1), dict(w=1.0, nonlinearity="linear", kind="none", T=30)])
def test_trajectory_charts_validate(kw):
    tr = _tr(**kw)
    for chart in (sc.factor_chart(tr), sc.gradient_chart(tr), sc.state_chart(tr)):
        chart.to_dict()  # schema validation
        spec = vega_spec(chart)
        assert all(isinstance(v, bytes) for v in spec["datasets"].values())


def test_long_series_are_thinned_and_log_values_survive():
    tr = _tr(w=4.0, b=3.0, nonlinearity="relu", T=10_000)
    frame, floor = sc.gradient_frame(tr)
    assert len(frame) <= 1500 and frame["distance"].iloc[0] == 0 and frame["distance"].iloc[-1] == 10_000
    assert frame["log10"].max() == pytest.approx(10_000 * math.log10(4.0))
    assert np.isfinite(frame["log10"]).all()
    assert len(sc.factor_frame(tr)) <= 1500 and len(sc.state_frame(tr)) <= 1500
    # the state overflowed: those points are dropped (NaN) and labelled
    st = sc.state_frame(tr)
    assert (st["status"] == "overflowed float64").any() and st["h"].isna().any()


def test_exact_zeros_are_pinned_and_labelled():
    tr = _tr(w=1.5, b=-3.0, h0=-2.0, nonlinearity="relu", T=50)
    frame, floor = sc.gradient_frame(tr)
    zero = frame["status"] != "finite"
    assert zero.sum() == 50 and (frame.loc[zero, "log10"] == floor).all()
    ff = sc.factor_frame(tr)
    assert (ff["status"].str.startswith("exactly 0")).all()
    assert (ff["plotted"] > 0).all()


def test_format_magnitude():
    assert format_magnitude(-3010.5) == "3.16e-3011"
    assert format_magnitude(0.0) == "1"
    assert format_magnitude(math.log10(0.25)) == "0.25"
    assert format_magnitude(-math.inf) == "0 (exactly)"
    assert format_magnitude(6020.6) == "3.98e+6020"


def test_phase_map_chart_and_marker():
    pm = rnnviz.scalar_phase_map(np.linspace(-4, 4, 81), np.linspace(-3, 3, 61), T=50, nonlinearity="relu")
    chart = sc.phase_map_chart(pm)
    chart.to_dict()
    frame = sc.phase_map_frame(pm)
    assert len(frame) == 81 * 61 <= 5000
    assert frame["shown"].between(-1.5, 1.5).all()
    assert (frame["lam"].str.startswith("−∞")).any()  # w = 0 column and dead ReLUs
    spec = vega_spec(chart)
    marked = sc.with_marker(spec, w=1.0, b=0.5, here=-0.2)
    assert len(marked["layer"]) == len(spec["layer"]) + 2
    assert marked["layer"][-2]["data"]["values"][0]["w"] == 1.0
    # the marker layers are valid Vega-Lite too
    import altair as alt
    alt.LayerChart.from_dict({"layer": sc.marker_layers(w=1.0, b=0.5, here=-math.inf)})


def test_powers_widget_is_client_side():
    spec = sc.powers_widget().to_dict()
    params = spec.get("params", []) + [p for layer in spec["layer"] for p in layer.get("params", [])]
    assert params and params[0]["name"] == "r" and params[0]["bind"]["input"] == "range"
    assert "pow(r, datum.k)" in str(spec)


def test_vega_spec_datasets_are_arrow_and_chart_untouched():
    tr = _tr()
    chart = sc.factor_chart(tr)
    spec = vega_spec(chart)
    tables = [pa.ipc.open_stream(raw).read_all() for raw in spec["datasets"].values()]
    table = max(tables, key=lambda t: t.num_rows)
    assert table.num_rows == tr.T and "plotted" in table.column_names
    chart.to_dict()  # still has its DataFrame


def test_nonlinearity_charts_validate_and_mark_the_facts():
    nlc.curves_chart().to_dict()
    curves = nlc.curves_frame()
    relu_df = curves[(curves.nonlinearity == "relu") & (curves.curve == "f′(a)")]
    assert (relu_df.loc[relu_df.a < 0, "value"] == 0).all()
    assert set(relu_df.piece) == {0, 1}  # drawn as two pieces, no fake slope at the jump
    bands = nlc.bands_frame()
    sig = bands[bands.nonlinearity == "sigmoid"]
    assert len(sig) == 2 and sig.a1.min() == pytest.approx(-2 * math.atanh(math.sqrt(0.6)))
    assert "linear" not in set(bands.nonlinearity)
    for name in rnnviz.NONLINEARITIES:
        run = rnnviz.saturation_run(64, T=1000, weight_scale=3.0, nonlinearity=name)
        for chart in (nlc.histogram_chart(run.stats), nlc.heatmap_chart(run.stats), nlc.step_bound_chart(run.stats)):
            chart.to_dict()
        heat = nlc.heatmap_frame(run.stats)
        assert len(heat) <= 5000 and heat["unit"].nunique() <= 40
        hist = nlc.histogram_frame(run.stats)
        assert hist["fraction"].sum() == pytest.approx(1.0)


def test_gamma_label():
    assert nlc.gamma_label(0.25) == "γ = 1/4" and nlc.gamma_label(1.0) == "γ = 1"
