"""rnnviz.numerics: locating where numbers stop being finite."""

from __future__ import annotations

import numpy as np
import pytest

import rnnviz
from rnnviz.numerics import first_nonfinite


def test_all_finite_is_none():
    assert first_nonfinite(np.arange(5.0)) is None
    assert first_nonfinite(np.zeros((3, 4))) is None
    assert first_nonfinite(np.zeros((0, 4))) is None
    assert first_nonfinite(2.0) is None


def test_first_bad_index_along_axis_0():
    x = np.zeros((6, 3))
    x[4, 2] = np.inf
    x[5, 0] = np.nan
    assert first_nonfinite(x) == 4
    assert first_nonfinite([1.0, np.nan, np.inf]) == 1
    assert first_nonfinite(np.inf) == 0
    assert first_nonfinite(np.array([[[0.0]], [[-np.inf]]])) == 1


def test_locates_the_overflow_of_a_real_forward_pass():
    # h_t = 10^t for a linear unit with W = 10: the state passes 1.8e308 at t = 309.
    tr = rnnviz.forward(np.array([[10.0]]), np.zeros((400, 1)), h0=[1.0], nonlinearity="linear")
    assert first_nonfinite(tr.h) == 309
    assert np.isfinite(tr.h[308]).all()


@pytest.mark.parametrize("bad", ["abc", None, [[1.0, 2.0], [3.0]]])
def test_non_arrays_are_rejected(bad):
    with pytest.raises(ValueError):
        first_nonfinite(bad)
