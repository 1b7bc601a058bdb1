"""The home page's two teaser charts: one step's factor, and what many steps of it do.

No Streamlit here. Each chart comes with a ``*_frame`` function building its data, so the
numbers can be tested without drawing.
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from ..nonlinearities import get_nonlinearity
from .common import DASHES, EXPLODE_COLOR, NEUTRAL_COLOR, VANISH_COLOR, log_safe

#: The nonlinearities the home page compares, and their colours (Okabe-Ito).
STEP_FACTOR_NAMES = ("tanh", "sigmoid", "relu")
_STEP_FACTOR_COLORS = ("#0072B2", "#D55E00", "#009E73")

#: Per-step factors r whose powers r^k the home page draws: two below 1, one at 1, two above.
RATES = (0.8, 0.9, 1.0, 1.1, 1.25)
_RATE_COLORS = (VANISH_COLOR, "#56B4E9", NEUTRAL_COLOR, "#E69F00", EXPLODE_COLOR)


def step_factor_frame(names=STEP_FACTOR_NAMES, *, a_max: float = 6.0, points: int = 241) -> pd.DataFrame:
    """``|f'(a)|`` on ``[-a_max, a_max]`` for each nonlinearity: columns a, factor, nonlinearity, gamma."""
    a = np.linspace(-a_max, a_max, points)
    parts = []
    for name in names:
        nl = get_nonlinearity(name)
        parts.append(pd.DataFrame({"a": a, "factor": np.abs(nl.df(a)), "nonlinearity": nl.name,
                                   "gamma": nl.gamma}))
    return pd.concat(parts, ignore_index=True)


def step_factor_chart(names=STEP_FACTOR_NAMES, *, a_max: float = 6.0) -> alt.Chart:
    """Lines of ``|f'(a)|`` against the pre-activation ``a``, with the level 1 marked."""
    data = step_factor_frame(names, a_max=a_max)
    colour = alt.Color("nonlinearity:N", title="nonlinearity f",
                       scale=alt.Scale(domain=list(names), range=list(_STEP_FACTOR_COLORS[:len(names)])),
                       legend=alt.Legend(orient="top"))
    lines = alt.Chart(data).mark_line(strokeWidth=3).encode(
        x=alt.X("a:Q", title="pre-activation a (unitless)"),
        y=alt.Y("factor:Q", title="per-step factor |f′(a)|", scale=alt.Scale(domain=[0, 1.1])),
        color=colour,
        strokeDash=alt.StrokeDash("nonlinearity:N", title="nonlinearity f", legend=alt.Legend(orient="top"),
                                  scale=alt.Scale(domain=list(names), range=list(DASHES[:len(names)]))),
        tooltip=[alt.Tooltip("nonlinearity:N", title="f"), alt.Tooltip("a:Q", format=".2f"),
                 alt.Tooltip("factor:Q", title="|f′(a)|", format=".4f"),
                 alt.Tooltip("gamma:Q", title="γ = max |f′|")],
    )
    one = alt.Chart(pd.DataFrame({"y": [1.0]})).mark_rule(strokeDash=[6, 4], color=NEUTRAL_COLOR).encode(y="y:Q")
    return (one + lines).properties(height=300, title="One step: the nonlinearity's factor")


def powers_frame(rates=RATES, *, steps: int = 60) -> pd.DataFrame:
    """``r^k`` for ``k = 0..steps``: columns k, r, value, plotted (log-safe), status, label."""
    k = np.arange(steps + 1)
    parts = []
    for r in rates:
        with np.errstate(over="ignore", under="ignore"):
            value = np.power(float(r), k.astype(np.float64))
        plotted, status = log_safe(value)
        parts.append(pd.DataFrame({"k": k, "r": float(r), "value": value, "plotted": plotted,
                                   "status": status, "label": f"r = {r:g}"}))
    return pd.concat(parts, ignore_index=True)


def powers_chart(rates=RATES, *, steps: int = 60) -> alt.Chart:
    """``r^k`` against the number of steps ``k`` on a log axis, one line per ``r``."""
    data = powers_frame(rates, steps=steps)
    labels = [f"r = {r:g}" for r in rates]
    colour = alt.Color("label:N", title="per-step factor",
                       scale=alt.Scale(domain=labels, range=list(_RATE_COLORS[:len(rates)])),
                       sort=labels, legend=alt.Legend(orient="top"))
    return alt.Chart(data).mark_line(strokeWidth=3).encode(
        x=alt.X("k:Q", title="steps back k"),
        y=alt.Y("plotted:Q", title="gradient factor r^k (log scale)", scale=alt.Scale(type="log"),
                axis=alt.Axis(format="~e")),
        color=colour,
        strokeDash=alt.StrokeDash("label:N", title="per-step factor", sort=labels, legend=alt.Legend(orient="top"),
                                  scale=alt.Scale(domain=labels, range=list(DASHES[:len(rates)]))),
        tooltip=[alt.Tooltip("label:N", title="factor"), alt.Tooltip("k:Q", title="steps"),
                 alt.Tooltip("value:Q", title="r^k", format=".3g"), alt.Tooltip("status:N")],
    ).properties(height=300, title="k steps: the product of k such factors")
