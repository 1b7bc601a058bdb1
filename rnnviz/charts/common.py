"""Conventions every rnnviz chart follows: palette, paddings, log-safe values, number formats.

No Streamlit here: functions take core results and return Altair charts or
pandas frames ready for one. Magnitudes that may leave float64 come from the core as
natural logs: :func:`rnnviz.numerics.log10_of` (re-exported here) turns them into the log10
values that charts draw and :func:`format_magnitude` writes.
"""

from __future__ import annotations

import math

import altair as alt
import numpy as np

from ..numerics import LN10, log10_of

__all__ = ["LN10", "log10_of"]  # and every public name defined below

#: Streamlit squeezes a chart whose padding (axis titles, legends) it must fit into a given size;
#: sizes here are the plotting area's: "pad" grows the chart around it, "fit-x" stretches it to the
#: container's width only.
PAD = alt.AutoSizeParams(type="pad", contains="padding")
FIT_X = alt.AutoSizeParams(type="fit-x", contains="padding")

#: Okabe–Ito, the colour-blind-safe qualitative palette (black dropped; it is the text colour).
OKABE_ITO = (
    "#E69F00",  # orange
    "#56B4E9",  # sky blue
    "#009E73",  # bluish green
    "#F0E442",  # yellow
    "#0072B2",  # blue
    "#D55E00",  # vermillion
    "#CC79A7",  # reddish purple
    "#999999",  # grey
)
#: Dash patterns for lines told apart by colour, so colour is never the only cue (WCAG 1.4.1):
#: solid, dashed, dotted, dash-dot, long dash.
DASHES = ([1, 0], [6, 3], [2, 2], [8, 3, 2, 3], [12, 4])
VANISH_COLOR = "#0072B2"   # blue: shrinking gradients
EXPLODE_COLOR = "#D55E00"  # vermillion: growing gradients
NEUTRAL_COLOR = "#999999"
#: A diverging Vega scheme that stays readable for the common colour-vision deficiencies.
DIVERGING_SCHEME = "blueorange"
SEQUENTIAL_SCHEME = "viridis"

#: The smallest and largest magnitudes a log-scale chart will place; values outside are pinned
#: to these bounds and flagged, never dropped silently.
LOG_FLOOR = 1e-300
LOG_CEIL = 1e300


def format_magnitude(log10_value: float) -> str:
    """``10**log10_value`` as text, also far outside float64 (``"3.2e-3010"``), ``"0"`` for -inf."""
    if math.isnan(log10_value):
        return "NaN"
    if log10_value == -math.inf:
        return "0 (exactly)"
    if log10_value == math.inf:
        return "inf"
    exponent = math.floor(log10_value)
    mantissa = 10 ** (log10_value - exponent)
    if mantissa >= 9.995:
        mantissa, exponent = 1.0, exponent + 1
    if -3 <= exponent <= 4:
        return f"{mantissa * 10 ** exponent:.4g}"
    return f"{mantissa:.2f}e{exponent:+d}"


def log_safe(values) -> tuple[np.ndarray, np.ndarray]:
    """Magnitudes ready for a log axis, and a label per point saying what happened.

    Zeros and underflow are pinned to ``LOG_FLOOR`` ("zero"), +inf to ``LOG_CEIL``
    ("overflow"), NaN stays NaN ("not a number", drawn by nobody but reported by
    tooltips and captions). Returns ``(plotted, status)``.
    """
    v = np.abs(np.asarray(values, dtype=np.float64))
    status = np.full(v.shape, "finite", dtype=object)
    out = v.copy()
    zero = v < LOG_FLOOR
    over = np.isposinf(v) | (v > LOG_CEIL)
    nan = np.isnan(v)
    out[zero] = LOG_FLOOR
    out[over] = LOG_CEIL
    status[zero] = "zero"
    status[over] = "overflow"
    status[nan] = "not a number"
    return out, status


def thin_indices(length: int, max_points: int = 1500) -> np.ndarray:
    """At most ``max_points`` indices into a series of ``length``, always keeping both ends."""
    if length <= max_points:
        return np.arange(length)
    idx = np.unique(np.round(np.linspace(0, length - 1, max_points)).astype(int))
    return idx


def format_radius(radius: float, norm: float) -> str:
    """A spectral radius as text; one at rounding level next to the norm (a nilpotent matrix: ~1e-15)
    is shown as ``"≈ 0"``."""
    return "≈ 0" if radius <= 1e-12 * max(norm, 1e-300) else f"{radius:.4g}"
