"""Charts of the "Your network" page: the recurrent weights' spectra per gate, the gradient's size
against the distance back, and the gates that remember. No Streamlit here.

Sizes that may leave float64's range arrive as natural logs and are drawn as log10 values on a
linear axis (a gradient of 10^-400 is a point like any other); an exact zero (-inf) is pinned to
the axis floor and its tooltip says "zero". The product spectrum and the Lyapunov exponents reuse
the spectral page's charts (:mod:`rnnviz.charts.spectral`).
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from .common import (DASHES, EXPLODE_COLOR, NEUTRAL_COLOR, OKABE_ITO, VANISH_COLOR, format_magnitude, log10_of,
                     log_safe, thin_indices)
from .spectral import HEIGHT, PADDING, padded_domain

#: One colour per gate name (Okabe–Ito), the same on every chart of the page.
GATE_COLORS = {"W": OKABE_ITO[4], "r": OKABE_ITO[0], "z": OKABE_ITO[4], "n": OKABE_ITO[6],
               "i": OKABE_ITO[0], "f": OKABE_ITO[4], "g": OKABE_ITO[6], "o": OKABE_ITO[2]}
GATE_TITLES = {"W": "W (plain RNN)", "r": "r (reset)", "z": "z (update)", "n": "n (candidate)",
               "i": "i (input)", "f": "f (forget)", "g": "g (cell candidate)", "o": "o (output)"}
#: The gradient level the diagnosis sentence names.
THRESHOLD_LOG10 = -3.0


def _gate_scale(gates) -> alt.Scale:
    names = [GATE_TITLES[g.gate] for g in gates]
    return alt.Scale(domain=names, range=[GATE_COLORS[g.gate] for g in gates])


def weight_spectrum_frame(gates) -> pd.DataFrame:
    rows = []
    for g in gates:
        sv, status = log_safe(g.singular_values)
        rows.append(pd.DataFrame({"gate": GATE_TITLES[g.gate], "index": np.arange(1, len(sv) + 1),
                                  "sigma": sv, "status": status}))
    return pd.concat(rows, ignore_index=True)


def weight_spectrum_chart(gates) -> alt.LayerChart:
    """Singular values σᵢ of each gate's recurrent weight, descending, on a log axis; a rule at 1."""
    df = weight_spectrum_frame(gates)
    y = alt.Y("sigma:Q", title="singular value σᵢ (log scale)", scale=alt.Scale(type="log"))
    lines = alt.Chart(df).mark_line(point=alt.OverlayMarkDef(size=18), strokeWidth=1.6).encode(
        x=alt.X("index:Q", title="index i (1 = largest)", axis=alt.Axis(tickMinStep=1)), y=y,
        color=alt.Color("gate:N", title="gate", scale=_gate_scale(gates), legend=alt.Legend(orient="top")),
        strokeDash=alt.StrokeDash("gate:N", title="gate", legend=alt.Legend(orient="top"),  # not colour alone
                                  scale=alt.Scale(domain=_gate_scale(gates).domain,
                                                  range=list(DASHES[:len(gates)]))),
        tooltip=[alt.Tooltip("gate:N"), alt.Tooltip("index:Q", title="i"),
                 alt.Tooltip("sigma:Q", title="σᵢ", format=".4g"), alt.Tooltip("status:N", title="value")])
    one = alt.Chart(pd.DataFrame({"y": [1.0]})).mark_rule(color=NEUTRAL_COLOR, strokeDash=[4, 3]).encode(y="y:Q")
    return alt.layer(lines, one).properties(height=HEIGHT, padding=PADDING,
                                            title="Singular values of the recurrent weights, per gate")


def weight_eigen_frame(gates) -> pd.DataFrame:
    rows = []
    for g in gates:
        ev = np.asarray(g.eigenvalues, dtype=complex)
        rows.append(pd.DataFrame({"gate": GATE_TITLES[g.gate], "re": ev.real, "im": ev.imag,
                                  "modulus": np.abs(ev)}))
    return pd.concat(rows, ignore_index=True)


def weight_eigen_chart(gates) -> alt.LayerChart:
    """Eigenvalues of each gate's recurrent weight in the complex plane, with the unit circle."""
    df = weight_eigen_frame(gates)
    reach = max(1.05, 1.08 * float(np.nanmax(np.abs(df[["re", "im"]].to_numpy())))) if len(df) else 1.05
    dom = [-reach, reach]
    theta = np.linspace(0, 2 * np.pi, 181)
    circle = pd.DataFrame({"re": np.cos(theta), "im": np.sin(theta), "order": np.arange(181)})
    x = alt.X("re:Q", title="real part", scale=alt.Scale(domain=dom, nice=False))
    y = alt.Y("im:Q", title="imaginary part", scale=alt.Scale(domain=dom, nice=False))
    ring = alt.Chart(circle).mark_line(color=NEUTRAL_COLOR, strokeDash=[4, 3]).encode(x=x, y=y, order="order:Q")
    points = alt.Chart(df).mark_point(filled=True, size=22, opacity=0.75).encode(
        x=x, y=y, color=alt.Color("gate:N", title="gate", scale=_gate_scale(gates),
                                   legend=alt.Legend(orient="bottom", columns=2)),
        shape=alt.Shape("gate:N", legend=None),
        tooltip=[alt.Tooltip("gate:N"), alt.Tooltip("re:Q", title="Re λ", format=".4f"),
                 alt.Tooltip("im:Q", title="Im λ", format=".4f"), alt.Tooltip("modulus:Q", title="|λ|", format=".4f")])
    return alt.layer(ring, points).properties(height=HEIGHT, width=HEIGHT, padding=PADDING,
                                              title="Eigenvalues per gate")


def gradient_decay_frame(probe_log_norm, *, max_points: int = 1500) -> pd.DataFrame:
    """Per distance: log10 of the median, smallest and largest probe gradient size (relative to the
    last step's), and the median spelled out."""
    P = log10_of(np.asarray(probe_log_norm, dtype=float))
    idx = thin_indices(P.shape[0], max_points)
    floor = -330.0  # below the smallest float64: an exact zero
    with np.errstate(invalid="ignore"):
        med, lo, hi = (np.clip(f(P[idx], axis=1), floor, None) for f in (np.median, np.min, np.max))
    return pd.DataFrame({"distance": idx, "median": med, "smallest": lo, "largest": hi,
                         "value": [("zero" if v <= floor else format_magnitude(float(v))) for v in med]})


def gradient_decay_chart(probe_log_norm) -> alt.LayerChart:
    """The size of a gradient k steps back: median of the probes (line) and their range (band),
    log10 on a linear axis, with the 10⁻³ level of the diagnosis."""
    df = gradient_decay_frame(probe_log_norm)
    dom = padded_domain(np.concatenate([df["smallest"], df["largest"], [0.0, THRESHOLD_LOG10]]), min_span=4.0)
    x = alt.X("distance:Q", title="distance T − k (steps back)")
    yscale = alt.Scale(domain=dom, nice=False)
    tips = [alt.Tooltip("distance:Q", title="steps back"), alt.Tooltip("value:N", title="median size"),
            alt.Tooltip("median:Q", title="log₁₀ median", format=".3f"),
            alt.Tooltip("smallest:Q", title="log₁₀ smallest", format=".3f"),
            alt.Tooltip("largest:Q", title="log₁₀ largest", format=".3f")]
    band = alt.Chart(df).mark_area(color=VANISH_COLOR, opacity=0.18).encode(
        x=x, y=alt.Y("smallest:Q", scale=yscale, title="log₁₀ ‖g_k‖ / ‖g_T‖"), y2="largest:Q", tooltip=tips)
    line = alt.Chart(df).mark_line(color=VANISH_COLOR, strokeWidth=2.2).encode(
        x=x, y=alt.Y("median:Q", scale=yscale), tooltip=tips)
    labels = ["its size at T (10⁰)", "10⁻³"]
    rules = pd.DataFrame({"y": [0.0, THRESHOLD_LOG10], "label": labels})
    ref = alt.Chart(rules).mark_rule().encode(
        y=alt.Y("y:Q", scale=yscale), color=alt.Color("label:N", title=None, legend=alt.Legend(orient="top"),
                                                      scale=alt.Scale(domain=labels, range=[NEUTRAL_COLOR, EXPLODE_COLOR])),
        strokeDash=alt.StrokeDash("label:N", title=None, legend=alt.Legend(orient="top"),  # not colour alone
                                  scale=alt.Scale(domain=labels, range=[list(DASHES[2]), list(DASHES[1])])))
    return alt.layer(band, line, ref).properties(height=HEIGHT, padding=PADDING,
                                                 title="How much of a gradient reaches k steps back")


def gate_histogram_frame(gate_mean, *, bins: int = 20) -> pd.DataFrame:
    counts, edges = np.histogram(np.asarray(gate_mean, dtype=float), bins=bins, range=(0.0, 1.0))
    return pd.DataFrame({"lo": edges[:-1], "hi": edges[1:], "units": counts})


def gate_histogram_chart(gate_mean, *, label: str, near_one: float) -> alt.LayerChart:
    """How many units have each mean gate value over the run, with the near-1 threshold."""
    df = gate_histogram_frame(gate_mean)
    x = alt.X("lo:Q", title=f"mean {label} over the run", scale=alt.Scale(domain=[0, 1], nice=False))
    bars = alt.Chart(df).mark_rect(color=VANISH_COLOR, opacity=0.85, stroke="white").encode(
        x=x, x2="hi:Q", y=alt.Y("units:Q", title="hidden units"),
        tooltip=[alt.Tooltip("lo:Q", title="from", format=".2f"), alt.Tooltip("hi:Q", title="to", format=".2f"),
                 alt.Tooltip("units:Q", title="units")])
    rule = alt.Chart(pd.DataFrame({"x": [near_one]})).mark_rule(color=EXPLODE_COLOR, strokeDash=[4, 3]).encode(
        x=alt.X("x:Q", scale=alt.Scale(domain=[0, 1], nice=False)))
    return alt.layer(bars, rule).properties(height=HEIGHT, padding=PADDING,
                                            title=f"The units that remember: mean {label} per unit")
