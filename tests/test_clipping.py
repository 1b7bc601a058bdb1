"""Clipping conventions against their definitions (REFERENCES.md), written out by hand.

PyTorch / TensorFlow / Keras are not dependencies: each reference below is the
documented formula applied to the concatenation of all entries.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from rnnviz import clipping as C
from rnnviz.charts.spec import dataset_frame


# ----------------------------------------------------------------- hand-written references

def ref_torch_norm(grads, max_norm, p=2.0):
    flat = np.concatenate([np.ravel(np.asarray(g, float)) for g in grads])
    total = np.max(np.abs(flat)) if math.isinf(p) else np.sum(np.abs(flat) ** p) ** (1 / p)
    coef = min(1.0, max_norm / (total + 1e-6))
    return [np.asarray(g, float) * coef for g in grads], total


def ref_tf_global(grads, c):
    flat = np.concatenate([np.ravel(np.asarray(g, float)) for g in grads])
    norm = math.sqrt(float(np.sum(flat**2)))
    return [np.asarray(g, float) * (c / max(norm, c)) for g in grads], norm


def ref_keras_clipnorm(grads, c):
    return [np.asarray(g, float) * (c / max(float(np.linalg.norm(np.ravel(g))), c)) for g in grads]


finite_grads = st.lists(
    arrays(np.float64, st.integers(1, 6), elements=st.floats(-1e3, 1e3, allow_nan=False)),
    min_size=1, max_size=4,
)


# ----------------------------------------------------------------- PyTorch clip_grad_norm_

def test_torch_norm_known_values():
    clipped, total = C.clip_by_norm([np.array([3.0, 4.0])], 1.0)
    assert total == 5.0
    np.testing.assert_allclose(clipped[0], np.array([3.0, 4.0]) / (5.0 + 1e-6), rtol=1e-15)
    # Just inside the ball: the coefficient clamps to exactly 1, nothing changes.
    clipped, total = C.clip_by_norm([np.array([0.3, 0.4])], 1.0)
    assert np.array_equal(clipped[0], [0.3, 0.4]) and total == pytest.approx(0.5)


def test_torch_norm_exactly_at_threshold_still_shrinks_by_the_epsilon():
    # max_norm / (5 + 1e-6) < 1, so PyTorch multiplies even when ||g|| == max_norm (TensorFlow does not).
    clipped, _ = C.clip_by_norm([np.array([3.0, 4.0])], 5.0)
    assert np.all(clipped[0] < [3.0, 4.0])
    np.testing.assert_allclose(clipped[0], np.array([3.0, 4.0]) * 5.0 / (5.0 + 1e-6), rtol=1e-15)
    tf_clipped, _ = C.tf_clip_by_global_norm([np.array([3.0, 4.0])], 5.0)
    assert np.array_equal(tf_clipped[0], [3.0, 4.0])


def test_torch_norm_is_global_over_tensors():
    g = [np.array([[3.0, 0.0], [0.0, 0.0]]), np.array([4.0]), np.array([0.0, 12.0])]
    clipped, total = C.clip_by_norm(g, 1.0)
    assert total == pytest.approx(13.0, rel=1e-15)
    coef = 1.0 / (13.0 + 1e-6)
    for got, orig in zip(clipped, g):
        np.testing.assert_allclose(got, orig * coef, rtol=1e-15)
        assert got.shape == orig.shape


@pytest.mark.parametrize("p, expected", [(1.0, 3 + 7 + 2), (2.0, math.sqrt(9 + 49 + 4)), (math.inf, 7.0),
                                         ("inf", 7.0), (3.0, (27 + 343 + 8) ** (1 / 3))])
def test_torch_norm_types(p, expected):
    g = [np.array([3.0, -7.0]), np.array([[2.0]])]
    clipped, total = C.clip_by_norm(g, 0.5, norm_type=p)
    assert total == pytest.approx(expected, rel=1e-14)
    ref, _ = ref_torch_norm(g, 0.5, math.inf if p == "inf" else p)
    for a, b in zip(clipped, ref):
        np.testing.assert_allclose(a, b, rtol=1e-14)


def test_torch_norm_zero_gradients_and_zero_threshold():
    z = [np.zeros(3), np.zeros((2, 2))]
    clipped, total = C.clip_by_norm(z, 1.0)
    assert total == 0.0 and all(np.array_equal(a, b) for a, b in zip(clipped, z))
    clipped, total = C.clip_by_norm([np.array([1.0, -2.0])], 0.0)
    assert np.array_equal(clipped[0], [0.0, 0.0])
    assert C.clip_by_norm([], 1.0) == ([], 0.0)


def test_torch_norm_inf_entry_zeroes_finite_and_nans_the_inf():
    g = [np.array([np.inf, 1.0, -2.0]), np.array([5.0])]
    clipped, total = C.clip_by_norm(g, 1.0)
    assert total == math.inf
    assert math.isnan(clipped[0][0])
    assert np.array_equal(clipped[0][1:], [0.0, 0.0]) and np.array_equal(clipped[1], [0.0])
    clipped, total = C.clip_by_norm([np.array([-np.inf, 1.0])], 1.0, norm_type="inf")
    assert total == math.inf and math.isnan(clipped[0][0]) and clipped[0][1] == 0.0


def test_torch_norm_nan_entry_makes_everything_nan():
    clipped, total = C.clip_by_norm([np.array([np.nan, 1.0]), np.array([2.0])], 1.0)
    assert math.isnan(total)
    assert all(np.isnan(c).all() for c in clipped)


def test_torch_norm_error_if_nonfinite():
    for bad in (np.inf, np.nan):
        with pytest.raises(ValueError, match="total norm"):
            C.clip_by_norm([np.array([bad, 1.0])], 1.0, error_if_nonfinite=True)
    # Finite gradients pass untouched by the flag.
    clipped, _ = C.clip_by_norm([np.array([3.0, 4.0])], 10.0, error_if_nonfinite=True)
    assert np.array_equal(clipped[0], [3.0, 4.0])


def test_torch_norm_infinite_threshold_means_no_clipping():
    clipped, _ = C.clip_by_norm([np.array([1e150, -1e150])], math.inf)
    assert np.array_equal(clipped[0], [1e150, -1e150])


def test_norm_is_the_plain_sum_of_squares_so_huge_entries_overflow():
    # As in the definitions (no rescaling): 1e200**2 overflows, the total norm is inf, and the
    # coefficient 1 / inf = 0 wipes out a perfectly finite gradient. The max-norm does not overflow.
    with np.errstate(over="ignore"):
        _, ref_total = ref_torch_norm([np.array([1e200])], 1.0)
    clipped, total = C.clip_by_norm([np.array([1e200, 1.0])], 1.0)
    assert total == ref_total == math.inf and np.array_equal(clipped[0], [0.0, 0.0])
    clipped, total = C.clip_by_norm([np.array([1e200, 1.0])], 1.0, norm_type=math.inf)
    assert total == 1e200 and clipped[0][0] == pytest.approx(1.0)


@pytest.mark.parametrize("bad", [-1.0, -1e-12, math.nan, "a lot", None])
def test_torch_norm_bad_threshold(bad):
    with pytest.raises(ValueError, match="max_norm"):
        C.clip_by_norm([np.ones(2)], bad)


@pytest.mark.parametrize("bad", [0, -2.0, math.nan, "two"])
def test_torch_norm_bad_norm_type(bad):
    with pytest.raises(ValueError, match="norm_type"):
        C.clip_by_norm([np.ones(2)], 1.0, norm_type=bad)


def test_bad_grads_container():
    with pytest.raises(ValueError, match="list of gradient arrays"):
        C.clip_by_norm(3.0, 1.0)
    with pytest.raises(ValueError, match="gradient 1"):
        C.clip_by_norm([np.ones(2), "abc"], 1.0)


def test_single_array_is_one_tensor():
    clipped, total = C.clip_by_norm(np.array([6.0, 8.0]), 5.0)
    assert len(clipped) == 1 and total == 10.0


@settings(max_examples=60, deadline=None)
@given(finite_grads, st.floats(0.0, 2e3))
def test_torch_norm_matches_definition(grads, max_norm):
    clipped, total = C.clip_by_norm(grads, max_norm)
    ref, ref_total = ref_torch_norm(grads, max_norm)
    assert total == pytest.approx(ref_total, rel=1e-12, abs=1e-300)
    for a, b in zip(clipped, ref):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-300)
    _, after = C.clip_by_norm(clipped, max_norm)
    if total + 1e-6 > max_norm:     # shrunk onto (just inside) the ball
        assert after <= max_norm * (1 + 1e-12)
    else:                           # coefficient clamped to exactly 1: untouched
        assert all(np.array_equal(a, g) for a, g in zip(clipped, grads))


# ----------------------------------------------------------------- inputs are never modified

@pytest.mark.parametrize("func, arg", [
    (C.clip_by_norm, 0.1), (C.clip_by_value, 0.1), (C.tf_clip_by_global_norm, 0.1),
    (C.keras_clipnorm, 0.1), (C.keras_global_clipnorm, 0.1), (C.keras_clipvalue, 0.1),
])
def test_inputs_unmodified_and_not_aliased(func, arg):
    g = [np.array([3.0, -4.0, 0.5]), np.array([[np.inf, 2.0]]), np.array([np.nan])]
    copies = [x.copy() for x in g]
    out = func(g, arg)
    clipped = out[0] if isinstance(out, tuple) else out
    for a, b in zip(g, copies):
        np.testing.assert_array_equal(a, b)
    for c_, a in zip(clipped, g):
        assert not np.shares_memory(c_, a)


# ----------------------------------------------------------------- value clipping

def test_clip_by_value_entries():
    (out,) = C.clip_by_value([np.array([5.0, -0.5, np.inf, -np.inf, np.nan, -3.0])], 1.0)
    np.testing.assert_array_equal(out, [1.0, -0.5, 1.0, -1.0, np.nan, -1.0])
    (out,) = C.clip_by_value([np.array([2.0, -2.0])], 0.0)
    np.testing.assert_array_equal(out, [0.0, 0.0])
    for bad in (-0.1, math.nan):
        with pytest.raises(ValueError, match="clip_value"):
            C.clip_by_value([np.ones(2)], bad)


def test_keras_clipvalue_matches_numpy_clip_and_rejects_zero():
    g = [np.array([[0.2, -9.0], [7.0, 0.0]]), np.array([-0.3])]
    out = C.keras_clipvalue(g, 0.25)
    for a, b in zip(out, g):
        np.testing.assert_array_equal(a, np.clip(b, -0.25, 0.25))
    with pytest.raises(ValueError, match="no clipping"):
        C.keras_clipvalue(g, 0.0)


# ----------------------------------------------------------------- TensorFlow / Keras norms

def test_tf_global_norm_known_values():
    g = [np.array([3.0, 0.0]), np.array([[4.0]])]
    clipped, norm = C.tf_clip_by_global_norm(g, 1.0)
    assert norm == 5.0
    np.testing.assert_allclose(clipped[0], [0.6, 0.0], rtol=1e-15)
    np.testing.assert_allclose(clipped[1], [[0.8]], rtol=1e-15)
    z, n0 = C.tf_clip_by_global_norm([np.zeros(3)], 1.0)
    assert n0 == 0.0 and np.array_equal(z[0], np.zeros(3))


@pytest.mark.parametrize("bad", [np.inf, -np.inf, np.nan])
def test_tf_global_nonfinite_gives_nan_everywhere(bad):
    g = [np.array([bad, 1.0]), np.array([2.0, 3.0])]
    clipped, norm = C.tf_clip_by_global_norm(g, 1.0)
    assert not math.isfinite(norm)
    assert all(np.isnan(c).all() for c in clipped)
    assert all(np.isnan(c).all() for c in C.keras_global_clipnorm(g, 1.0))


@settings(max_examples=60, deadline=None)
@given(finite_grads, st.floats(1e-3, 2e3))
def test_tf_and_keras_match_definitions(grads, c):
    clipped, norm = C.tf_clip_by_global_norm(grads, c)
    ref, ref_norm = ref_tf_global(grads, c)
    assert norm == pytest.approx(ref_norm, rel=1e-12, abs=1e-300)
    for a, b in zip(clipped, ref):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-300)
    for a, b in zip(C.keras_global_clipnorm(grads, c), clipped):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(C.keras_clipnorm(grads, c), ref_keras_clipnorm(grads, c)):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-300)
        assert np.linalg.norm(a) <= c * (1 + 1e-12)


def test_keras_clipnorm_is_per_variable_and_turns_the_direction():
    g = [np.array([3.0, 4.0]), np.array([0.0, 10.0])]
    per_var = C.keras_clipnorm(g, 1.0)
    np.testing.assert_allclose(per_var[0], [0.6, 0.8], rtol=1e-15)
    np.testing.assert_allclose(per_var[1], [0.0, 1.0], rtol=1e-15)
    glob, _ = C.tf_clip_by_global_norm(g, 1.0)
    assert C.gradient_angle(g, glob) < 1e-6
    # Hand computation: cos = (3*.6 + 4*.8 + 10*1) / (||g|| * ||clipped||).
    expected = math.degrees(math.acos((3 * 0.6 + 4 * 0.8 + 10.0) / (math.sqrt(125) * math.sqrt(2))))
    assert C.gradient_angle(g, per_var) == pytest.approx(expected, rel=1e-9)
    assert expected > 10


def test_keras_clipnorm_nonfinite_spoils_only_its_variable():
    g = [np.array([np.inf, 1.0]), np.array([3.0, 4.0]), np.array([np.nan, 2.0])]
    out = C.keras_clipnorm(g, 1.0)
    assert math.isnan(out[0][0]) and out[0][1] == 0.0
    np.testing.assert_allclose(out[1], [0.6, 0.8], rtol=1e-15)
    assert np.isnan(out[2]).all()


@pytest.mark.parametrize("func, name", [(C.tf_clip_by_global_norm, "clip_norm"),
                                        (C.keras_clipnorm, "clipnorm"),
                                        (C.keras_global_clipnorm, "global_clipnorm")])
@pytest.mark.parametrize("bad", [0.0, -1.0, math.inf, math.nan])
def test_tf_keras_thresholds_must_be_positive_and_finite(func, name, bad):
    with pytest.raises(ValueError, match=name):
        func([np.ones(2)], bad)


# ----------------------------------------------------------------- angles

def test_angles_norm_keeps_direction_value_turns_it():
    g = np.array([3.0, 1.0])
    (by_norm,), _ = C.clip_by_norm([g], 1.0)
    (by_value,) = C.clip_by_value([g], 1.0)
    np.testing.assert_array_equal(by_value, [1.0, 1.0])
    assert C.gradient_angle(g, by_norm) < 1e-6
    assert C.gradient_angle(g, by_value) == pytest.approx(45.0 - math.degrees(math.atan2(1.0, 3.0)), rel=1e-12)


def test_angle_edge_cases():
    assert C.gradient_angle(np.array([1.0, 0.0]), np.array([0.0, 2.0])) == pytest.approx(90.0)
    assert C.gradient_angle(np.array([1.0, 0.0]), np.array([-1.0, 0.0])) == pytest.approx(180.0)
    assert C.gradient_angle(np.array([1e-300, 0.0]), np.array([1e300, 1e300])) == pytest.approx(45.0)
    assert math.isnan(C.gradient_angle(np.zeros(2), np.ones(2)))
    assert math.isnan(C.gradient_angle(np.array([np.inf, 0.0]), np.ones(2)))
    with pytest.raises(ValueError, match="same number"):
        C.gradient_angle(np.ones(2), np.ones(3))


# ----------------------------------------------------------------- the table and apply_convention

def test_table_covers_every_api_of_the_issue():
    apis = " ".join(c.api for c in C.CLIPPING_CONVENTIONS)
    for name in ("clip_grad_norm_", "clip_grad_value_", "clip_by_global_norm", "clipnorm=",
                 "global_clipnorm=", "clipvalue="):
        assert name in apis
    assert len(set(C.CONVENTION_KEYS)) == len(C.CONVENTION_KEYS)
    with pytest.raises(ValueError, match="torch_norm"):
        C.get_convention("nope")


@pytest.mark.parametrize("key", C.CONVENTION_KEYS)
def test_apply_convention_is_consistent(key):
    g = [np.array([[3.0, 1.0], [0.0, -2.0]]), np.array([0.0, 9.0]), np.array([0.5])]
    out = C.apply_convention(key, g, 1.0)
    conv = C.get_convention(key)
    assert len(out.clipped) == 3 and out.nonfinite_before == 0 == out.nonfinite_after
    if conv.by_norm:
        for c_, orig, s in zip(out.clipped, g, out.scales):
            np.testing.assert_allclose(c_, orig * s, rtol=1e-14)
    else:
        assert np.isnan(out.scales).all()
        assert max(np.max(np.abs(c_)) for c_ in out.clipped) <= 1.0
    np.testing.assert_allclose(out.tensor_norms_before, [np.linalg.norm(x) for x in g])
    global_norm = key in ("torch_norm", "tf_global", "keras_global_clipnorm")
    assert (out.angle_deg < 1e-6) == global_norm


@pytest.mark.parametrize("key", C.CONVENTION_KEYS)
def test_apply_convention_reports_nonfinite(key):
    g = [np.array([np.inf, 1.0]), np.array([2.0])]
    out = C.apply_convention(key, g, 1.0)
    assert out.nonfinite_before == 1
    assert math.isnan(out.angle_deg)
    expected_after = {"torch_norm": 1, "tf_global": 3, "keras_global_clipnorm": 3, "keras_clipnorm": 1}
    assert out.nonfinite_after == expected_after.get(key, 0)


# ----------------------------------------------------------------- example gradients

def test_example_gradients_norms_shapes_and_poison():
    dW, dU, db = C.example_gradients((30.0, 3.0, 0.0), hidden=5, inputs=2, seed=7)
    assert dW.shape == (5, 5) and dU.shape == (5, 2) and db.shape == (5,)
    assert np.linalg.norm(dW) == pytest.approx(30.0) and np.linalg.norm(dU) == pytest.approx(3.0)
    assert not np.any(db)
    again = C.example_gradients((30.0, 3.0, 0.0), hidden=5, inputs=2, seed=7)
    assert all(np.array_equal(a, b) for a, b in zip((dW, dU, db), again))
    _, bad, _ = C.example_gradients((1.0, 1.0, 1.0), poison="nan", poison_tensor=1)
    assert np.isnan(bad.flat[0]) and np.isfinite(bad.flat[1:]).all()
    with pytest.raises(ValueError, match="poison"):
        C.example_gradients(poison="zero")
    with pytest.raises(ValueError, match="norm of dU"):
        C.example_gradients((1.0, -1.0, 1.0))


# ----------------------------------------------------------------- chart frames (rnnviz.charts.clipping)

def _outcomes(grads, c=1.0):
    return [C.apply_convention(k, grads, c) for k in C.CONVENTION_KEYS]


def test_composition_frame_shares():
    from rnnviz.charts import clipping as CH
    grads = C.example_gradients((30.0, 3.0, 0.3))
    frame = CH.composition_frame(grads, _outcomes(grads))
    shares = frame.pivot(index="row", columns="tensor", values="share")[["dW", "dU", "db"]]
    np.testing.assert_allclose(shares.sum(axis=1), 1.0)
    original = shares.loc["original gradient"].to_numpy()
    np.testing.assert_allclose(original, np.array([900.0, 9.0, 0.09]) / 909.09)
    # Global conventions keep the split exactly; Keras clipnorm gives (1, 1, 0.3)^2 / 2.09.
    np.testing.assert_allclose(shares.loc[CH.convention_label("tf_global")].to_numpy(), original, rtol=1e-12)
    np.testing.assert_allclose(shares.loc[CH.convention_label("keras_clipnorm")].to_numpy(),
                               np.array([1.0, 1.0, 0.09]) / 2.09, rtol=1e-12)


def test_nonfinite_frame_states():
    from rnnviz.charts import clipping as CH
    grads = C.example_gradients((2.0, 2.0, 2.0), poison="inf", poison_tensor=1)
    frame = CH.nonfinite_frame(grads, _outcomes(grads)).set_index(["convention", "tensor"])["state"]
    torch = CH.convention_label("torch_norm")
    assert frame[(torch, "dW")] == "wiped to 0" and frame[(torch, "dU")] == "some NaN"
    assert (frame[CH.convention_label("tf_global")] == "all NaN").all()
    keras = CH.convention_label("keras_clipnorm")
    assert frame[(keras, "dW")] == "finite" and frame[(keras, "dU")] == "some NaN"
    assert (frame[CH.convention_label("torch_value")] == "finite").all()


def test_fast_specs_match_the_altair_charts():
    """The cached-template spec and the full Altair chart are the same chart (structure and data)."""
    from rnnviz.charts import clipping as CH
    from rnnviz import cliff
    grads = C.example_gradients((30.0, 3.0, 0.3), poison="nan")
    outs = _outcomes(grads)
    surface = cliff.cliff_surface(n_w=9, n_b=7)
    runs = {"free": cliff.cliff_descent(iterations=5), "held": cliff.cliff_descent(iterations=5, max_norm=1.0)}
    g = np.array([3.0, 1.0])
    pairs = [
        (CH.nonfinite_spec(grads, outs), CH.nonfinite_chart(grads, outs)),
        (CH.composition_spec(grads, outs), CH.composition_chart(grads, outs)),
        (CH.cliff_surface_spec(surface, runs, wall=(4.3, -2.1, 6.0, -3.2)),
         CH.cliff_surface_chart(surface, runs, wall=(4.3, -2.1, 6.0, -3.2))),
        (CH.descent_spec(runs), CH.descent_chart(runs)),
        (CH.geometry_spec(g, g / 2, np.array([1.0, 1.0]), max_norm=1.0, clip_value=1.0, angle_norm=0.0,
                          angle_value=26.6),
         CH.geometry_chart(g, g / 2, np.array([1.0, 1.0]), max_norm=1.0, clip_value=1.0, angle_norm=0.0,
                           angle_value=26.6)),
    ]
    for spec, chart in pairs:
        full = chart.to_dict()  # validates against the Vega-Lite schema
        assert {k: v for k, v in spec.items() if k != "datasets"} == \
               {k: v for k, v in full.items() if k != "datasets"}
        assert set(spec["datasets"]) == set(full["datasets"])
        for name, data in spec["datasets"].items():
            assert isinstance(data, bytes)   # Arrow, ready to draw without another conversion
            assert len(dataset_frame(data)) == len(full["datasets"][name])


# --------------------------------------------------------------------------- hostile settings (issue 8)

@pytest.mark.parametrize("bad", [None, float("nan"), "abc", [[1.0, 2.0], [3.0]]])
def test_example_gradients_norms_named(bad):
    with pytest.raises(ValueError, match=r"^norms \(of dW, dU, db\) must be"):
        C.example_gradients(bad)


def test_example_gradients_huge_norms_do_not_overflow():
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        grads = C.example_gradients((1e308, 1e308, 1e308), hidden=2, inputs=2)
    assert all(np.isfinite(g).all() and np.max(np.abs(g)) <= 1e308 for g in grads)
