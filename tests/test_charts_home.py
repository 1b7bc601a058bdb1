"""The home page's charts: the numbers they draw, and that they build to valid Vega-Lite."""

from __future__ import annotations

import numpy as np
import pytest

from rnnviz.charts.common import LOG_CEIL, LOG_FLOOR
from rnnviz.charts.home import RATES, powers_chart, powers_frame, step_factor_chart, step_factor_frame


def test_step_factor_peaks_are_gamma():
    df = step_factor_frame(("tanh", "sigmoid", "relu"), a_max=6.0, points=241)
    peak = df.groupby("nonlinearity")["factor"].max()
    assert peak["sigmoid"] == pytest.approx(0.25) and peak["tanh"] == pytest.approx(1.0)
    at_zero = df[df["a"] == 0.0].set_index("nonlinearity")["factor"]
    assert at_zero["sigmoid"] == pytest.approx(0.25) and at_zero["tanh"] == pytest.approx(1.0)
    assert at_zero["relu"] == 0.0  # PyTorch's convention at exactly 0
    tanh = df[df["nonlinearity"] == "tanh"]
    edge = tanh[tanh["a"] == 6.0]["factor"].iloc[0]
    assert edge == pytest.approx(1 / np.cosh(6.0) ** 2, rel=1e-12)
    assert set(np.unique(df[df["nonlinearity"] == "relu"]["factor"])) == {0.0, 1.0}
    assert (df["factor"] <= df["gamma"] + 1e-15).all()


def test_powers_are_r_to_the_k():
    df = powers_frame((0.9, 1.1), steps=60)
    last = df[df["k"] == 60].set_index("r")["value"]
    assert last[0.9] == pytest.approx(0.9 ** 60) and last[1.1] == pytest.approx(1.1 ** 60)
    assert last[0.9] == pytest.approx(0.0018, rel=0.02) and last[1.1] == pytest.approx(304.5, rel=0.01)
    assert (df[df["k"] == 0]["value"] == 1.0).all()


def test_powers_survive_overflow_and_underflow_without_warnings():
    df = powers_frame((0.5, 1.5), steps=3000)  # 1.5**3000 overflows, 0.5**3000 underflows to 0
    status = df[df["k"] == 3000].set_index("r")["status"]
    assert status[0.5] == "zero" and status[1.5] == "overflow"
    assert df["plotted"].between(LOG_FLOOR, LOG_CEIL).all()


def test_charts_build():
    for chart in (step_factor_chart(), powers_chart()):
        spec = chart.to_dict()
        assert spec["$schema"].startswith("https://vega.github.io/schema/vega-lite/")
    spec = powers_chart().to_dict()
    assert spec["encoding"]["y"]["scale"]["type"] == "log"
    assert len(RATES) == len(spec["encoding"]["color"]["scale"]["range"])
