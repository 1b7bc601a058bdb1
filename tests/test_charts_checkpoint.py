"""rnnviz.charts.checkpoint: log axes that survive zeros and infinities, tooltips, one colour per gate."""

from __future__ import annotations

import numpy as np

from rnnviz.charts import checkpoint as ch
from rnnviz.charts.spec import vega_spec
from rnnviz.checkpoint import GateSpectrum


def _gates():
    return (GateSpectrum("i", np.array([2.0, 0.0]), np.array([1 + 1j, 0.0])),
            GateSpectrum("f", np.array([np.inf, 1e-320]), np.array([0.5, -0.5])))


def test_weight_spectrum_pins_zero_and_infinity_and_says_so():
    df = ch.weight_spectrum_frame(_gates())
    assert df["sigma"].between(1e-300, 1e300).all()
    assert list(df["status"]) == ["finite", "zero", "overflow", "zero"]
    spec = vega_spec(ch.weight_spectrum_chart(_gates()))
    assert spec["layer"][0]["encoding"]["y"]["scale"]["type"] == "log"
    assert spec["layer"][0]["encoding"]["tooltip"]


def test_gradient_decay_survives_exact_zeros_and_huge_decay():
    logs = np.zeros((6, 3))
    logs[:, 1] = -np.arange(6) * 400.0        # 10^-1042 at the end: still a point
    logs[3:, 2] = -np.inf                      # an exact zero (dead ReLU units)
    df = ch.gradient_decay_frame(logs)
    assert np.isfinite(df[["median", "smallest", "largest"]].to_numpy()).all()
    assert df["smallest"].iloc[-1] == -330.0 and df["median"].iloc[-1] < -300
    assert df["value"].iloc[-1] == "zero" and df["value"].iloc[0] == "1"
    spec = vega_spec(ch.gradient_decay_chart(logs))
    assert any("tooltip" in layer.get("encoding", {}) for layer in spec["layer"])


def test_gate_colours_are_okabe_ito_and_histogram_counts_units():
    from rnnviz.charts.common import OKABE_ITO

    assert set(ch.GATE_COLORS.values()) <= set(OKABE_ITO)
    df = ch.gate_histogram_frame(np.array([0.05, 0.97, 0.98, 1.0]))
    assert df["units"].sum() == 4 and df["units"].iloc[-1] == 3
    vega_spec(ch.gate_histogram_chart(np.array([0.5]), label="forget gate f", near_one=0.9))
    vega_spec(ch.weight_eigen_chart(_gates()[:1]))
