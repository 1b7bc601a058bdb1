"""rnnviz.nonlinearities: values, derivatives against finite differences, gamma = sup |f'|."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rnnviz
from rnnviz.nonlinearities import LEAKY_SLOPE, NONLINEARITIES, Nonlinearity, get_nonlinearity


def test_required_names_present():
    for name in ("tanh", "sigmoid", "relu", "linear", "leaky_relu"):
        assert name in NONLINEARITIES
    assert rnnviz.NONLINEARITIES == NONLINEARITIES


@pytest.mark.parametrize(
    "name, f",
    [
        ("tanh", np.tanh),
        ("sigmoid", lambda x: 1.0 / (1.0 + np.exp(-x))),
        ("relu", lambda x: np.maximum(x, 0.0)),
        ("leaky_relu", lambda x: np.where(x > 0, x, LEAKY_SLOPE * x)),
        ("linear", lambda x: x),
    ],
)
def test_values_match_the_textbook_formulas(name, f):
    x = np.linspace(-6, 6, 241)
    nl = get_nonlinearity(name)
    assert isinstance(nl, Nonlinearity) and nl.name == name
    np.testing.assert_allclose(nl.f(x), f(x), rtol=1e-14, atol=1e-15)


@pytest.mark.parametrize("name", NONLINEARITIES)
def test_derivative_matches_central_differences(name):
    nl = get_nonlinearity(name)
    x = np.linspace(-5, 5, 200) + 0.0123  # avoid the kink at 0 for ReLU-type units
    h = 1e-6
    numeric = (nl.f(x + h) - nl.f(x - h)) / (2 * h)
    np.testing.assert_allclose(nl.df(x), numeric, rtol=1e-7, atol=1e-9)


@settings(max_examples=60, deadline=None)
@given(x=st.floats(-30, 30, allow_nan=False).filter(lambda v: abs(v) > 1e-3), name=st.sampled_from(NONLINEARITIES))
def test_derivative_property(x, name):
    nl = get_nonlinearity(name)
    h = 1e-6 * max(1.0, abs(x))
    numeric = (nl.f(np.float64(x + h)) - nl.f(np.float64(x - h))) / (2 * h)
    assert abs(float(nl.df(np.float64(x))) - float(numeric)) <= 1e-6 * max(1.0, abs(float(numeric)))


@pytest.mark.parametrize("name, gamma", [("tanh", 1.0), ("sigmoid", 0.25), ("relu", 1.0), ("linear", 1.0), ("leaky_relu", 1.0)])
def test_gamma_is_the_supremum_of_the_derivative(name, gamma):
    nl = get_nonlinearity(name)
    assert nl.gamma == gamma
    x = np.linspace(-20, 20, 400_001)
    d = np.abs(nl.df(x))
    assert d.max() <= gamma + 1e-15
    assert d.max() >= gamma - 1e-6  # attained (at 0 for tanh and sigmoid) or approached


def test_relu_derivative_at_zero_is_zero_like_pytorch():
    assert get_nonlinearity("relu").df(np.array([0.0]))[0] == 0.0
    assert get_nonlinearity("relu").df(np.array([-0.0]))[0] == 0.0
    assert get_nonlinearity("leaky_relu").df(np.array([0.0]))[0] == LEAKY_SLOPE


def test_derivatives_survive_extreme_inputs_without_warnings():
    x = np.array([-1e308, -800.0, -40.0, 0.0, 40.0, 800.0, 1e308, np.inf, -np.inf])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for name in NONLINEARITIES:
            nl = get_nonlinearity(name)
            d = nl.df(x)
            assert np.all(np.isfinite(d)) and np.all(d >= 0)
    # saturated tanh and sigmoid have exactly zero derivative once it underflows
    assert get_nonlinearity("tanh").df(np.array([800.0]))[0] == 0.0
    assert get_nonlinearity("sigmoid").df(np.array([-800.0]))[0] == 0.0
    np.testing.assert_allclose(get_nonlinearity("tanh").df(np.array([20.0])), 4 * np.exp(-40.0), rtol=1e-12)


def test_unknown_name_lists_the_valid_ones():
    with pytest.raises(ValueError) as err:
        get_nonlinearity("softplus")
    for name in NONLINEARITIES:
        assert repr(name) in str(err.value)


def test_get_nonlinearity_accepts_an_instance():
    nl = get_nonlinearity("tanh")
    assert get_nonlinearity(nl) is nl


def test_inputs_are_not_modified():
    x = np.array([-1.0, 0.0, 2.0])
    before = x.copy()
    for name in NONLINEARITIES:
        nl = get_nonlinearity(name)
        y = nl.f(x)
        y[...] = 7.0  # writing to the output must not write to the input
        nl.df(x)
    np.testing.assert_array_equal(x, before)
