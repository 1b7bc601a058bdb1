"""The elementwise nonlinearities f of a vanilla RNN and their derivatives f'.

Each step's Jacobian is ``diag(f'(a_t)) W``, so ``gamma = sup |f'|`` caps how
much a single step can stretch a gradient (Pascanu et al. 2013).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.special import expit

from ._validate import check_choice

LEAKY_SLOPE = 0.01


@dataclass(frozen=True)
class Nonlinearity:
    """An elementwise activation: ``f``, its derivative ``df`` and ``gamma = sup |f'|``."""

    name: str
    f: Callable[[np.ndarray], np.ndarray]
    df: Callable[[np.ndarray], np.ndarray]
    gamma: float
    latex: str
    latex_df: str


def _tanh_df(x):
    # sech^2(x) = 4 e^{-2|x|} / (1 + e^{-2|x|})^2: no overflow, exact 0 only where it underflows.
    # |x| is capped at 400 first (e^{-800} is 0 in float64 anyway), so huge inputs cannot overflow.
    e = np.exp(-2.0 * np.minimum(np.abs(np.asarray(x, dtype=np.float64)), 400.0))
    return 4.0 * e / (1.0 + e) ** 2


def _sigmoid_df(x):
    x = np.asarray(x, dtype=np.float64)
    return expit(x) * expit(-x)


def _relu(x):
    return np.maximum(np.asarray(x, dtype=np.float64), 0.0)


def _relu_df(x):
    # As in PyTorch: the derivative at exactly 0 is 0.
    return (np.asarray(x, dtype=np.float64) > 0).astype(np.float64)


def _leaky(x):
    x = np.asarray(x, dtype=np.float64)
    return np.where(x > 0, x, LEAKY_SLOPE * x)


def _leaky_df(x):
    return np.where(np.asarray(x, dtype=np.float64) > 0, 1.0, LEAKY_SLOPE)


def _linear(x):
    return np.array(x, dtype=np.float64, copy=True)


def _linear_df(x):
    return np.ones_like(np.asarray(x, dtype=np.float64))


_REGISTRY: dict[str, Nonlinearity] = {
    nl.name: nl
    for nl in (
        Nonlinearity("tanh", lambda x: np.tanh(np.asarray(x, dtype=np.float64)), _tanh_df, 1.0,
                     r"\tanh(a)", r"1 - \tanh^2(a)"),
        Nonlinearity("sigmoid", lambda x: expit(np.asarray(x, dtype=np.float64)), _sigmoid_df, 0.25,
                     r"\sigma(a) = \frac{1}{1 + e^{-a}}", r"\sigma(a)\,(1 - \sigma(a))"),
        Nonlinearity("relu", _relu, _relu_df, 1.0, r"\max(0, a)", r"\mathbb{1}[a > 0]"),
        Nonlinearity("leaky_relu", _leaky, _leaky_df, 1.0,
                     rf"\max({LEAKY_SLOPE}\,a,\ a)", rf"1 \text{{ if }} a > 0 \text{{ else }} {LEAKY_SLOPE}"),
        Nonlinearity("linear", _linear, _linear_df, 1.0, r"a", r"1"),
    )
}

#: The names accepted wherever a nonlinearity is asked for.
NONLINEARITIES: tuple[str, ...] = tuple(_REGISTRY)


def get_nonlinearity(name: str | Nonlinearity) -> Nonlinearity:
    """Look up a nonlinearity by name; an unknown name raises ``ValueError`` listing the valid ones."""
    if isinstance(name, Nonlinearity):
        return name
    return _REGISTRY[check_choice(name, "nonlinearity", NONLINEARITIES)]
