"""Charts of the nonlinearities' derivatives: f and f′ with γ and the saturated bands, and what a
real n-unit trajectory's derivatives look like (histogram, units × time heat map, per-step bound).
No Streamlit here; each chart has a ``*_frame`` function building its data.
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from ..nonlinearities import NONLINEARITIES, get_nonlinearity
from ..saturation import SATURATION_THRESHOLD, DerivativeStats, saturated_intervals
from .common import DASHES, EXPLODE_COLOR, NEUTRAL_COLOR, OKABE_ITO, SEQUENTIAL_SCHEME, VANISH_COLOR, log_safe, thin_indices

F_COLOR = OKABE_ITO[4]       # blue: f
DF_COLOR = OKABE_ITO[5]      # vermillion: f′
Y_DOMAIN = (-1.1, 1.6)
_JUMPS = {"relu", "leaky_relu"}  # derivative jumps at 0: drawn as two pieces, value at 0 marked


def gamma_label(gamma: float) -> str:
    return "γ = 1/4" if gamma == 0.25 else f"γ = {gamma:g}"


def curves_frame(names=NONLINEARITIES, *, a_max: float = 5.0, points: int = 201) -> pd.DataFrame:
    """Columns nonlinearity, a, value, curve ("f" or "f′"), piece (split at jumps)."""
    a = np.linspace(-a_max, a_max, points)
    parts = []
    for name in names:
        nl = get_nonlinearity(name)
        piece = (a > 0).astype(int) if nl.name in _JUMPS else np.zeros(a.size, dtype=int)
        parts.append(pd.DataFrame({"nonlinearity": nl.name, "a": a, "value": nl.f(a), "curve": "f(a)",
                                   "piece": piece}))
        # at a jump, end each piece at 0 from its own side
        da = a.copy()
        if nl.name in _JUMPS:
            da = np.concatenate([a[a <= 0], [0.0], a[a > 0]])
            piece = np.concatenate([np.zeros((a <= 0).sum(), int), [1], np.ones((a > 0).sum(), int)])
            dv = np.where(piece == 1, np.where(da > 0, nl.df(da), nl.df(np.array([1e-12]))[0]), nl.df(da))
        else:
            dv = nl.df(da)
        parts.append(pd.DataFrame({"nonlinearity": nl.name, "a": da, "value": dv, "curve": "f′(a)",
                                   "piece": piece}))
    return pd.concat(parts, ignore_index=True)


def bands_frame(names=NONLINEARITIES, *, a_max: float = 5.0, threshold: float = SATURATION_THRESHOLD) -> pd.DataFrame:
    """One row per saturated interval (|f′| < threshold) of each nonlinearity, plus γ."""
    rows = []
    for name in names:
        reg = saturated_intervals(name, threshold=threshold, lo=-a_max, hi=a_max)
        for lo, hi in reg.intervals:
            rows.append({"nonlinearity": reg.nonlinearity, "a0": lo, "a1": hi,
                         "what": f"saturated: |f′| < {threshold:g} for a in [{lo:.2f}, {hi:.2f}]"})
    return pd.DataFrame(rows, columns=["nonlinearity", "a0", "a1", "what"])


def _panel(name: str, curves: pd.DataFrame, bands: pd.DataFrame, *, a_max: float, width: int,
           first: bool) -> alt.LayerChart:
    nl = get_nonlinearity(name)
    x = alt.X("a:Q", title="pre-activation a", scale=alt.Scale(domain=[-a_max, a_max], nice=False))
    y = alt.Y("value:Q", title="f(a) and f′(a)" if first else None,
              scale=alt.Scale(domain=list(Y_DOMAIN), nice=False))
    layers = []
    mine = bands[bands["nonlinearity"] == nl.name]
    if len(mine):
        layers.append(alt.Chart(mine).mark_rect(color=NEUTRAL_COLOR, opacity=0.25).encode(
            x=alt.X("a0:Q", scale=alt.Scale(domain=[-a_max, a_max], nice=False)), x2=alt.X2("a1:Q"),
            tooltip=[alt.Tooltip("what:N")]))
    layers.append(alt.Chart(pd.DataFrame({"value": [nl.gamma], "what": [f"{gamma_label(nl.gamma)} = max |f′|"]}))
                  .mark_rule(color=DF_COLOR, strokeDash=[2, 3]).encode(y=alt.Y("value:Q"), tooltip=[alt.Tooltip("what:N")]))
    layers.append(alt.Chart(pd.DataFrame({"value": [nl.gamma], "a": [-a_max], "label": [gamma_label(nl.gamma)]}))
                  .mark_text(align="left", dx=3, dy=-8, color=DF_COLOR, fontWeight="bold", fontSize=13).encode(
                      x=alt.X("a:Q"), y=alt.Y("value:Q"), text=alt.Text("label:N")))
    lines = alt.Chart(curves).transform_filter(alt.datum.nonlinearity == nl.name).mark_line(
        strokeWidth=2.5, clip=True).encode(
        x=x, y=y,
        color=alt.Color("curve:N", title=None, scale=alt.Scale(domain=["f(a)", "f′(a)"], range=[F_COLOR, DF_COLOR]),
                        legend=alt.Legend(orient="top")),
        strokeDash=alt.StrokeDash("curve:N", scale=alt.Scale(domain=["f(a)", "f′(a)"], range=[[1, 0], [6, 3]]),
                                  legend=None),
        detail=alt.Detail("piece:N"),
        tooltip=[alt.Tooltip("curve:N"), alt.Tooltip("a:Q", format=".2f"), alt.Tooltip("value:Q", format=".4f")],
    )
    layers.append(lines)
    if nl.name in _JUMPS:
        at0 = float(nl.df(np.array([0.0]))[0])
        right = float(nl.df(np.array([1e-12]))[0])
        dots = pd.DataFrame({"a": [0.0, 0.0], "value": [at0, right], "filled": ["f′(0)", "limit from the right"],
                             "what": [f"f′(0) = {at0:g} (as in PyTorch)", f"f′ → {right:g} for a > 0"]})
        layers.append(alt.Chart(dots).mark_point(size=60, color=DF_COLOR, strokeWidth=2).encode(
            x=alt.X("a:Q"), y=alt.Y("value:Q"),
            fill=alt.Fill("filled:N", scale=alt.Scale(domain=["f′(0)", "limit from the right"],
                                                       range=[DF_COLOR, "white"]), legend=None),
            tooltip=[alt.Tooltip("what:N")]))
        if nl.name == "relu":
            layers.append(alt.Chart(pd.DataFrame({"a": [-a_max / 2], "value": [0.0], "label": ["f′ = 0: dead"]}))
                          .mark_text(dy=12, color=DF_COLOR, fontWeight="bold").encode(
                              x=alt.X("a:Q"), y=alt.Y("value:Q"), text=alt.Text("label:N")))
    return alt.layer(*layers).properties(width=width, height=220, title=nl.name)


def curves_chart(names=NONLINEARITIES, *, a_max: float = 5.0, width: int = 150) -> alt.HConcatChart:
    """One panel per nonlinearity on the same axes: f (solid), f′ (dashed), γ, saturated bands shaded."""
    curves = curves_frame(names, a_max=a_max)
    bands = bands_frame(names, a_max=a_max)
    return alt.hconcat(*[_panel(n, curves, bands, a_max=a_max, width=width, first=i == 0)
                         for i, n in enumerate(names)]).resolve_scale(
        x="shared", y="shared")


def histogram_frame(stats: DerivativeStats) -> pd.DataFrame:
    edges = stats.hist_edges
    total = max(int(stats.hist_counts.sum()), 1)
    frac = stats.hist_counts / total
    kind = np.where(edges[1:] <= stats.threshold + 1e-12, f"saturated |f′| < {stats.threshold:g}", "passes gradient")
    if stats.dead_fraction > 0:
        kind = np.where(np.arange(frac.size) == 0, "includes dead f′ = 0", kind)
    return pd.DataFrame({"lo": edges[:-1], "hi": edges[1:], "fraction": frac, "count": stats.hist_counts,
                         "kind": kind})


def histogram_chart(stats: DerivativeStats) -> alt.LayerChart:
    """How often f′(aₜ) takes each value, over all units and steps."""
    data = histogram_frame(stats)
    kinds = [f"saturated |f′| < {stats.threshold:g}", "includes dead f′ = 0", "passes gradient"]
    bars = alt.Chart(data).mark_rect(stroke="white", strokeWidth=0.5).encode(
        x=alt.X("lo:Q", title=f"f′(aₜ) (unitless, 0 to {gamma_label(stats.gamma)})",
                scale=alt.Scale(domain=[0, stats.gamma], nice=False)),
        x2=alt.X2("hi:Q"),
        y=alt.Y("fraction:Q", title="share of unit-steps", axis=alt.Axis(format="%")),
        color=alt.Color("kind:N", title=None, scale=alt.Scale(domain=kinds, range=[EXPLODE_COLOR, "#CC79A7", VANISH_COLOR]),
                        legend=alt.Legend(orient="top", labelLimit=220)),
        tooltip=[alt.Tooltip("lo:Q", title="from", format=".3f"), alt.Tooltip("hi:Q", title="to", format=".3f"),
                 alt.Tooltip("fraction:Q", title="share", format=".1%"), alt.Tooltip("count:Q", title="unit-steps")],
    )
    rule = alt.Chart(pd.DataFrame({"x": [stats.threshold], "what": [f"saturation threshold {stats.threshold:g}"]})).mark_rule(
        color="black", strokeDash=[4, 3]).encode(x=alt.X("x:Q"), tooltip=[alt.Tooltip("what:N")])
    return alt.layer(bars, rule).properties(height=300, title="Histogram of f′(aₜ) over all units and steps")


def heatmap_frame(stats: DerivativeStats, *, max_units: int = 40, max_steps: int = 120) -> pd.DataFrame:
    d = stats.derivatives
    T, n = d.shape
    ti = thin_indices(T, max_steps)
    ui = thin_indices(n, max_units)
    t_next = np.append(ti[1:], T)  # each column spans until the next shown step
    u_next = np.append(ui[1:], n)  # each row until the next shown unit
    sub = d[np.ix_(ti, ui)]
    tt, uu = np.meshgrid(np.arange(ti.size), np.arange(ui.size), indexing="ij")
    return pd.DataFrame({"t0": (ti[tt] + 1).ravel(), "t1": (t_next[tt] + 1).ravel(), "unit": ui[uu].ravel(),
                         "unit1": u_next[uu].ravel(), "df": sub.ravel()})


def heatmap_chart(stats: DerivativeStats, *, max_units: int = 40, max_steps: int = 120) -> alt.Chart:
    """Units × time heat map of f′(aₜ): dark = saturated or dead, bright = passes the gradient."""
    data = heatmap_frame(stats, max_units=max_units, max_steps=max_steps)
    T, n = stats.derivatives.shape
    shown = data["unit"].nunique()
    return alt.Chart(data).mark_rect().encode(
        x=alt.X("t0:Q", title="time step t", scale=alt.Scale(domain=[1, T + 1], nice=False)),
        x2=alt.X2("t1:Q"),
        y=alt.Y("unit:Q", title=f"hidden unit ({shown} of {n} shown)" if shown < n else "hidden unit",
                scale=alt.Scale(domain=[0, n], nice=False, reverse=True)),
        y2=alt.Y2("unit1:Q"),
        color=alt.Color("df:Q", title="f′(aₜ)", scale=alt.Scale(scheme=SEQUENTIAL_SCHEME, domain=[0, stats.gamma])),
        tooltip=[alt.Tooltip("unit:Q"), alt.Tooltip("t0:Q", title="step t"), alt.Tooltip("df:Q", title="f′(aₜ)", format=".4f")],
    ).properties(height=300, title="f′(aₜ) for each unit over time")


def step_bound_frame(stats: DerivativeStats, *, max_points: int = 1500) -> pd.DataFrame:
    idx = thin_indices(stats.log_step_bound.size, max_points)
    with np.errstate(over="ignore", under="ignore"):
        bound = np.exp(stats.log_step_bound[idx])
    plotted, status = log_safe(bound)
    nonzero = plotted[status == "finite"]
    floor = float(nonzero.min()) / 10 if nonzero.size else 1e-3
    plotted = np.where(status == "zero", floor, plotted)
    status = np.where(status == "zero", "exactly 0: every unit dead (drawn at the bottom)", status)
    return pd.DataFrame({"t": idx + 1, "bound": bound, "plotted": plotted, "status": status})


def step_bound_chart(stats: DerivativeStats) -> alt.LayerChart:
    """Per step, ``max_i |f′(aₜ)ᵢ| · σ_max(W)`` (a bound on ‖Jₜ‖₂), against 1 and against γ·σ_max."""
    data = step_bound_frame(stats)
    line = alt.Chart(data).mark_line(color=OKABE_ITO[2], strokeWidth=2, point=len(data) < 60).encode(
        x=alt.X("t:Q", title="time step t"),
        y=alt.Y("plotted:Q", title="bound on ‖Jₜ‖₂ (log scale)", scale=alt.Scale(type="log")),
        tooltip=[alt.Tooltip("t:Q", title="step t"), alt.Tooltip("bound:Q", title="max|f′|·σ_max", format=".4g"),
                 alt.Tooltip("status:N")],
    )
    refs = pd.DataFrame({"y": [1.0, stats.gamma * stats.sigma_max],
                         "what": ["1", f"γ·σ_max(W) = {stats.gamma * stats.sigma_max:.3g}"]})
    rules = alt.Chart(refs).mark_rule().encode(
        y=alt.Y("y:Q"), color=alt.Color("what:N", title=None, scale=alt.Scale(range=["black", EXPLODE_COLOR]),
                                        legend=alt.Legend(orient="top", labelLimit=220)),
        strokeDash=alt.StrokeDash("what:N", title=None, scale=alt.Scale(range=[DASHES[1], DASHES[3]]),
                                  legend=alt.Legend(orient="top", labelLimit=220)),
        tooltip=[alt.Tooltip("what:N")])
    return alt.layer(rules, line).properties(height=300, title="How much step t can stretch a gradient, at most")
