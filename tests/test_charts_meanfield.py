"""Charts of the edge of chaos: the χ = 1 line lands on the core's edge, the frames carry the core's numbers."""

from __future__ import annotations

import math

import numpy as np
import pytest

import rnnviz
from rnnviz.charts.meanfield import comparison_frame, decay_chart, decay_frame, edge_frame, phase_chart, phase_frame


def _grid(name, axis, values, w_max=4.0, side=81):
    return rnnviz.mean_field_grid(name, np.linspace(0.0, w_max, side)[:, None], **{axis: values[None, :]})


@pytest.mark.parametrize("name,axis,lo,hi", [("tanh", "input_std", 0.0, 3.0), ("relu", "bias", -2.0, 2.0),
                                            ("tanh", "sigma_b", 0.0, 2.0)])
def test_edge_line_sits_on_the_cores_edge(name, axis, lo, hi):
    values = np.linspace(lo, hi, 9)
    frame = edge_frame(_grid(name, axis, values), values)
    assert len(frame) > 0
    for w, b in zip(frame["w"], frame["b"]):
        exact = rnnviz.edge_sigma_w(name, **{axis: float(b)})
        assert w == pytest.approx(exact, abs=4.0 / 80)  # within one grid step of the root


def test_relu_edge_at_zero_bias_is_root_two():
    values = np.array([-0.5, 0.0, 0.5])
    frame = edge_frame(_grid("relu", "bias", values, side=401), values)
    assert frame.loc[frame["b"] == 0.0, "w"].item() == pytest.approx(math.sqrt(2), abs=0.01)


def test_phase_frame_keeps_the_cores_values_and_clips_colour_only():
    values = np.linspace(0, 3, 5)
    g = _grid("tanh", "input_std", values, side=11)
    frame = phase_frame(g, values)
    assert len(frame) == 55
    np.testing.assert_array_equal(frame["chi"], g.chi.ravel())
    assert frame["shown"].between(-1, 1).all()
    assert frame["lam"].isna().sum() == 5  # σ_w = 0: χ = 0, ½ ln χ = −∞ (NaN in the data, "−∞" in the tooltip)
    spec = phase_chart(g, values, axis_title="s", nonlinearity="tanh").to_dict()
    assert spec["layer"][0]["encoding"]["x"]["title"].startswith("weight scale σ_w")


def test_decay_frame_and_table_are_the_runs_numbers():
    run = rnnviz.simulate_network("tanh", 1.5, n=32, steps=100, burn_in=20)
    orth = rnnviz.simulate_network("tanh", 1.5, n=32, steps=100, burn_in=20, scheme="orthogonal")
    mf = rnnviz.mean_field("tanh", 1.5)
    frame = decay_frame(mf, (run, orth))
    theory = frame[frame["what"] == "theory: χ^(k/2)"]
    assert np.allclose(theory["log10"], theory["k"] * mf.lyapunov / math.log(10))
    measured = frame[frame["what"].str.startswith("measured, gaussian")]
    assert np.allclose(measured["log10"], run.log_gradient_norms[measured["k"]] / math.log(10))
    decay_chart(mf, (run, orth)).to_dict()
    table = comparison_frame(mf, (run, orth))
    assert table.shape == (4, 3) and table.iloc[1, 0] == f"{mf.chi:.4g}" and table.iloc[3, 0] == "∞"
