"""Charts of the one-unit RNN: per-step factors, the gradient against distance, the state, the
(w, b) phase map, and a pure-Altair r^k widget. No Streamlit here.

Each chart has a ``*_frame`` function building its data (testable without drawing). Long series
are thinned with :func:`thin_indices`; values a log axis cannot place are pinned and labelled.
"""

from __future__ import annotations

import math

import altair as alt
import numpy as np
import pandas as pd

from ..scalar import PhaseMap, ScalarTrajectory
from .common import (DASHES, DIVERGING_SCHEME, EXPLODE_COLOR, NEUTRAL_COLOR, OKABE_ITO, VANISH_COLOR, format_magnitude,
                     log_safe, thin_indices)

#: log10 of float32's largest finite value and smallest positive (subnormal) value.
F32_LOG10_MAX = math.log10(float(np.finfo(np.float32).max))
F32_LOG10_MIN = math.log10(float(np.finfo(np.float32).smallest_subnormal))
HEIGHT = 300


def _pin_zero_floor(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """log_safe, then zeros drawn just below the smallest nonzero value rather than at 1e-300."""
    plotted, status = log_safe(values)
    nonzero = plotted[status == "finite"]
    floor = float(nonzero.min()) / 10 if nonzero.size else 1e-3
    plotted = np.where(status == "zero", floor, plotted)
    return plotted, status, floor


# ---- 1. per-step factor ---------------------------------------------------------------------

def factor_frame(tr: ScalarTrajectory, *, max_points: int = 1500) -> pd.DataFrame:
    """Columns t, factor (signed), plotted (|factor|, log-safe), status, side."""
    idx = thin_indices(tr.T, max_points)
    f = tr.factors[idx]
    plotted, status, _ = _pin_zero_floor(f)
    status = np.where(status == "zero", "exactly 0 (drawn at the bottom)", status)
    side = np.where(np.abs(f) < 1, "shrinks (< 1)", np.where(np.abs(f) > 1, "grows (> 1)", "keeps (= 1)"))
    return pd.DataFrame({"t": idx + 1, "factor": f, "plotted": plotted, "status": status, "side": side,
                         "a": tr.a[idx]})


def factor_chart(tr: ScalarTrajectory) -> alt.LayerChart:
    """``|w f'(a_t)|`` over t on a log axis, with the rule at 1 that separates shrink from grow."""
    data = factor_frame(tr)
    base = alt.Chart(data).encode(
        x=alt.X("t:Q", title="time step t", scale=alt.Scale(domain=[1, max(tr.T, 2)], nice=False)),
        y=alt.Y("plotted:Q", title="|w·f′(aₜ)| (log scale)", scale=alt.Scale(type="log")),
    )
    tips = [alt.Tooltip("t:Q", title="step t"), alt.Tooltip("factor:Q", title="w·f′(aₜ)", format=".4g"),
            alt.Tooltip("a:Q", title="aₜ", format=".3g"), alt.Tooltip("status:N")]
    line = base.mark_line(color=NEUTRAL_COLOR, strokeWidth=1, clip=True)
    points = base.mark_circle(size=22 if len(data) < 400 else 8, opacity=0.9, clip=True).encode(
        color=alt.Color("side:N", title=None,
                        scale=alt.Scale(domain=["shrinks (< 1)", "keeps (= 1)", "grows (> 1)"],
                                        range=[VANISH_COLOR, NEUTRAL_COLOR, EXPLODE_COLOR]),
                        legend=alt.Legend(orient="top", title=None, labelLimit=200)),
        tooltip=tips,
    )
    one = alt.Chart(pd.DataFrame({"y": [1.0]})).mark_rule(color="black", strokeDash=[6, 3]).encode(y=alt.Y("y:Q"))
    return (line + points + one).properties(height=HEIGHT, title="Per-step factor |w·f′(aₜ)|")


# ---- 2. gradient against distance ----------------------------------------------------------

def gradient_frame(tr: ScalarTrajectory, *, max_points: int = 1500) -> tuple[pd.DataFrame, float]:
    """Columns distance, k, log10 (pinned where -inf), value (text), status; plus the floor used."""
    T = tr.T
    d_idx = thin_indices(T + 1, max_points)  # distance d = T - k
    k = T - d_idx
    lg = tr.log10_abs_grad[k]
    finite = np.isfinite(lg)
    floor = float(np.floor(lg[finite].min())) - 2 if finite.any() else -3.0
    status = np.where(finite, "finite", "exactly 0 (drawn at the bottom)")
    text = [format_magnitude(v) for v in lg]
    return pd.DataFrame({"distance": d_idx, "k": k, "log10": np.where(finite, lg, floor),
                         "value": text, "status": status}), floor


def _power_label_expr() -> str:
    return "datum.value == 0 ? '1' : '1e' + datum.value"


def gradient_chart(tr: ScalarTrajectory, *, tolerance: float = 1e-8) -> alt.LayerChart:
    """``|dh_T/dh_k|`` against ``T - k`` on a log axis (log10 drawn linearly, so it survives
    1e-3000 and 1e+3000), with dashed ``c^(T-k)`` for the smallest and largest per-step factor,
    the 1e-8 horizon level, and where float32's naive product broke."""
    data, floor = gradient_frame(tr)
    T = tr.T
    x = alt.X("distance:Q", title="distance T − k (steps back)", scale=alt.Scale(domain=[0, max(T, 1)], nice=False))
    top = max(float(data["log10"].max()), 0.0)
    pad = max(1.0, 0.04 * (top - floor))
    y_scale = alt.Scale(domain=[floor, top + pad], nice=False)  # the data's range; references are clipped
    line = alt.Chart(data).mark_line(color=OKABE_ITO[4], strokeWidth=3).encode(
        x=x,
        y=alt.Y("log10:Q", title="|∂h_T/∂h_k| (log scale)", scale=y_scale,
                axis=alt.Axis(labelExpr=_power_label_expr(), tickMinStep=1)),
        tooltip=[alt.Tooltip("distance:Q", title="T − k"), alt.Tooltip("k:Q", title="k"),
                 alt.Tooltip("value:N", title="|∂h_T/∂h_k|"), alt.Tooltip("status:N")],
    )
    layers = []
    mags = np.abs(tr.factors)
    refs = []
    same = bool(mags.min() == mags.max())
    for label, c in (("every factor" if same else "smallest factor", float(mags.min())),
                     ("largest factor", float(mags.max()))):
        if c > 0 and not any(abs(c - r[1]) < 1e-12 for r in refs):
            refs.append((f"{label} c = {c:.3g}", c))
    if refs:
        d = np.array([0, T], dtype=float)
        ref = pd.concat([pd.DataFrame({"distance": d, "log10": d * math.log10(c), "reference": name})
                         for name, c in refs], ignore_index=True)
        names = [r[0] for r in refs]
        layers.append(alt.Chart(ref).mark_line(strokeWidth=1.5, clip=True).encode(
            x=alt.X("distance:Q"), y=alt.Y("log10:Q", scale=y_scale),
            strokeDash=alt.StrokeDash("reference:N", title="dashed: c^(T−k)",  # not colour alone: one legend
                                      scale=alt.Scale(domain=names, range=[DASHES[1], DASHES[3]][:len(refs)])),
            color=alt.Color("reference:N", title="dashed: c^(T−k)",
                            scale=alt.Scale(domain=[r[0] for r in refs],
                                            range=[VANISH_COLOR, EXPLODE_COLOR][:len(refs)]),
                            # in the corner the line leaves empty: top-left when the gradient grows
                            legend=alt.Legend(orient="top-left" if tr.log_abs_grad[0] > 0 else "bottom-left",
                                              direction="vertical", labelLimit=260,
                                              fillColor="rgba(255,255,255,0.85)", padding=4)),
            tooltip=[alt.Tooltip("reference:N")]))
    lo = float(data["log10"].min())
    hi = float(data["log10"].max())
    if math.log10(tolerance) >= lo - 1:
        layers.append(alt.Chart(pd.DataFrame({"log10": [math.log10(tolerance)], "what": ["1e-8: memory horizon level"]}))
                      .mark_rule(color=NEUTRAL_COLOR, strokeDash=[2, 2]).encode(
                          y=alt.Y("log10:Q"), tooltip=[alt.Tooltip("what:N")]))
    # Where float32 cannot hold the value at all: shaded.
    bands = []
    if hi > F32_LOG10_MAX:
        bands.append({"y": F32_LOG10_MAX, "y2": hi, "what": "beyond float32 (overflows to inf)"})
    if lo < F32_LOG10_MIN:
        bands.append({"y": lo, "y2": F32_LOG10_MIN, "what": "beyond float32 (underflows to 0)"})
    if bands:
        layers.insert(0, alt.Chart(pd.DataFrame(bands)).mark_rect(color=EXPLODE_COLOR, opacity=0.08).encode(
            y=alt.Y("y:Q"), y2=alt.Y2("y2:Q"), tooltip=[alt.Tooltip("what:N")]))
    marks = []
    if tr.horizon is not None:
        marks.append({"distance": tr.horizon, "what": f"memory horizon: {tr.horizon} steps", "short": "horizon"})
    if tr.float32_break is not None:
        brk = tr.float32_break
        word = "inf" if brk.kind == "overflow" else "0"
        marks.append({"distance": brk.distance, "what": f"float32 product becomes {word} here (k = {brk.step})",
                      "short": f"float32 → {word}"})
    if marks:
        frame = pd.DataFrame(marks).assign(y=top + pad)
        layers.append(alt.Chart(frame).mark_rule(color="black", strokeDash=[4, 3]).encode(
            x=alt.X("distance:Q"), tooltip=[alt.Tooltip("what:N")]))
        layers.append(alt.Chart(frame).mark_text(align="left", baseline="top", dx=3, dy=2, fontSize=11).encode(
            x=alt.X("distance:Q"), y=alt.Y("y:Q", scale=y_scale), text=alt.Text("short:N")))
    return alt.layer(*layers, line).properties(height=HEIGHT, title="Gradient ∂h_T/∂h_k against distance")


# ---- 3. the state ---------------------------------------------------------------------------

def state_frame(tr: ScalarTrajectory, *, max_points: int = 1500) -> pd.DataFrame:
    idx = thin_indices(tr.T + 1, max_points)
    h = tr.h[idx]
    return pd.DataFrame({"t": idx, "h": np.where(np.isfinite(h), h, np.nan),
                         "status": np.where(np.isfinite(h), "finite", "overflowed float64")})


def state_chart(tr: ScalarTrajectory) -> alt.LayerChart:
    """``h_t`` over t (symmetric-log axis once |h| exceeds 100), overflow marked."""
    data = state_frame(tr)
    finite = data["h"].dropna()
    big = bool(len(finite)) and float(finite.abs().max()) > 100
    y = alt.Y("h:Q", title="state hₜ" + (" (symmetric log scale)" if big else ""),
              scale=alt.Scale(type="symlog") if big else alt.Scale(zero=False))
    line = alt.Chart(data).mark_line(color=OKABE_ITO[2], strokeWidth=2).encode(
        x=alt.X("t:Q", title="time step t", scale=alt.Scale(domain=[0, max(tr.T, 1)], nice=False)),
        y=y,
        tooltip=[alt.Tooltip("t:Q", title="step t"), alt.Tooltip("h:Q", title="hₜ", format=".4g"),
                 alt.Tooltip("status:N")],
    )
    layers = [line]
    if tr.state_nonfinite_step is not None:
        layers.append(alt.Chart(pd.DataFrame({"t": [tr.state_nonfinite_step],
                                              "what": [f"hₜ overflowed float64 at step {tr.state_nonfinite_step}"]}))
                      .mark_rule(color=EXPLODE_COLOR, strokeWidth=2).encode(
                          x=alt.X("t:Q"), tooltip=[alt.Tooltip("what:N")]))
    return alt.layer(*layers).properties(height=HEIGHT, title="State hₜ")


# ---- 4. phase map ---------------------------------------------------------------------------

def phase_map_frame(pm: PhaseMap, *, clip: float = 1.5) -> pd.DataFrame:
    """One row per cell: w, b (cell centres), value (true λ as text), shown (clipped to ±clip)."""
    W, B = np.meshgrid(pm.ws, pm.bs)
    v = pm.values.ravel()
    shown = np.clip(np.where(np.isneginf(v), -clip, v), -clip, clip)
    verdict = np.where(v < 0, "vanishing", np.where(v > 0, "exploding", "neutral"))
    text = np.where(np.isneginf(v), "−∞ (a factor is exactly 0)", np.char.mod("%.3f", np.where(np.isfinite(v), v, 0)))
    return pd.DataFrame({"w": W.ravel(), "b": B.ravel(), "shown": shown, "lam": text, "verdict": verdict})


def phase_map_chart(pm: PhaseMap, *, clip: float = 1.5) -> alt.LayerChart:
    """λ over (w, b), diverging at 0 (blue: vanishing, orange: exploding).

    The current setting is added by :func:`with_marker`, so the grid's spec can be cached while
    the marker follows the sliders.
    """
    data = phase_map_frame(pm, clip=clip)
    dw = float(pm.ws[1] - pm.ws[0]) if pm.ws.size > 1 else 1.0
    db = float(pm.bs[1] - pm.bs[0]) if pm.bs.size > 1 else 1.0
    cells = alt.Chart(data).transform_calculate(
        # cells overlap their neighbours a little so anti-aliasing leaves no hairline seams between them
        w0=f"datum.w - {0.6 * dw}", w1=f"datum.w + {0.6 * dw}", b0=f"datum.b - {0.6 * db}", b1=f"datum.b + {0.6 * db}",
    ).mark_rect().encode(
        x=alt.X("w0:Q", title="recurrent weight w", scale=alt.Scale(domain=[pm.ws[0] - dw / 2, pm.ws[-1] + dw / 2], nice=False)),
        x2=alt.X2("w1:Q"),
        y=alt.Y("b0:Q", title="bias b", scale=alt.Scale(domain=[pm.bs[0] - db / 2, pm.bs[-1] + db / 2], nice=False)),
        y2=alt.Y2("b1:Q"),
        color=alt.Color("shown:Q", scale=alt.Scale(scheme=DIVERGING_SCHEME, domain=[-clip, clip], domainMid=0),
                        title=["λ per step", "< 0 vanishing", "> 0 exploding"],
                        legend=alt.Legend(orient="right", gradientLength=180, values=[-clip, 0, clip])),
        tooltip=[alt.Tooltip("w:Q", format=".2f"), alt.Tooltip("b:Q", format=".2f"),
                 alt.Tooltip("lam:N", title="λ = mean log|w·f′|"), alt.Tooltip("verdict:N")],
    )
    return alt.layer(cells).properties(
        height=340, title=f"Phase map: λ over (w, b), first {pm.T} steps, {pm.nonlinearity}")


def marker_layers(*, w: float, b: float, here: float) -> list[dict]:
    """Vega-Lite layers (plain dicts, inline data) marking the current (w, b) with λ in the tooltip.

    Plain dicts rather than Altair objects: they are rebuilt on every slider move and cost
    microseconds this way (Altair's layer copies cost tens of milliseconds).
    """
    here_text = "−∞" if here == -math.inf else f"{here:.3f}"
    data = {"values": [{"w": float(w), "b": float(b), "what": f"your setting: λ = {here_text}", "label": "you"}]}
    xy = {"x": {"field": "w", "type": "quantitative"}, "y": {"field": "b", "type": "quantitative"}}
    return [
        {"data": data, "mark": {"type": "point", "shape": "diamond", "size": 220, "filled": True,
                                "color": "black", "stroke": "white", "strokeWidth": 2},
         "encoding": {**xy, "tooltip": [{"field": "what", "type": "nominal"}]}},
        {"data": data, "mark": {"type": "text", "align": "left", "dx": 10, "dy": -10, "fontWeight": "bold",
                                "color": "black"},
         "encoding": {**xy, "text": {"field": "label", "type": "nominal"}}},
    ]


def with_marker(map_spec: dict, *, w: float, b: float, here: float) -> dict:
    """The phase map's spec (from ``vega_spec(phase_map_chart(...))``) with the current setting's
    marker layered on top; ``map_spec`` itself is not modified."""
    out = dict(map_spec)
    out["layer"] = [*map_spec["layer"], *marker_layers(w=w, b=b, here=here)]
    return out


# ---- 5. pure-Altair r^k widget ------------------------------------------------------------

def powers_widget(*, steps: int = 100, r: float = 0.95) -> alt.LayerChart:
    """``r^k`` for k = 0..steps with a slider for r bound in the browser (``alt.param``): no rerun."""
    rate = alt.param(name="r", value=r,
                     bind=alt.binding_range(min=0.8, max=1.2, step=0.005, name="per-step factor r  "))
    base = alt.Chart(alt.sequence(0, steps + 1, as_="k")).transform_calculate(
        value="pow(r, datum.k)",
    )
    line = base.mark_line(strokeWidth=3, color=OKABE_ITO[4]).encode(
        x=alt.X("k:Q", title="steps back k"),
        y=alt.Y("value:Q", title="r^k (log scale)", scale=alt.Scale(type="log", domain=[1e-4, 1e4], clamp=True)),
        tooltip=[alt.Tooltip("k:Q", title="k"), alt.Tooltip("value:Q", title="r^k", format=".3g")],
    ).add_params(rate)
    one = alt.Chart(pd.DataFrame({"y": [1.0]})).mark_rule(color="black", strokeDash=[6, 3]).encode(y=alt.Y("y:Q"))
    end = base.transform_filter(f"datum.k == {steps}").transform_calculate(
        label=f"'r^{steps} = ' + format(datum.value, '.3g')").mark_text(
        align="right", dx=-4, dy=-12, fontSize=15, fontWeight="bold").encode(
        x=alt.X("k:Q"), y=alt.Y("value:Q", scale=alt.Scale(type="log", domain=[1e-4, 1e4], clamp=True)),
        text=alt.Text("label:N"))
    return alt.layer(one, line, end).properties(height=300, title="r^k: drag r (runs in your browser)")
