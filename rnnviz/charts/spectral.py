"""Charts of the spectral-norms page: eigenvalues in the complex plane, singular values over time,
the spectrum of the product dh_T/dh_k, Lyapunov exponents and the bound chain.

Magnitudes that may overflow float64 arrive as natural logs and are drawn as log10 values on a
linear axis (so 10^-4000 is a point like any other); tooltips spell them out as ``m × 10^e``.
"""

from __future__ import annotations

import math

import altair as alt
import numpy as np
import pandas as pd

from .common import (DASHES, EXPLODE_COLOR, NEUTRAL_COLOR, OKABE_ITO, SEQUENTIAL_SCHEME, VANISH_COLOR, format_magnitude,
                     log10_of, log_safe, thin_indices)

HEIGHT = 300
#: Rows per chart (all lines together): responsive in a browser, and below Altair's 5,000-row limit.
MAX_ROWS = 4800
#: Room above the title: in a Streamlit column with width="stretch" the title is clipped otherwise.
PADDING = {"top": 14, "left": 5, "right": 5, "bottom": 5}


def _sci(col: np.ndarray) -> list[str]:
    return [format_magnitude(float(v)) for v in col]


def padded_domain(values, *, min_span: float, include_zero: bool = False) -> list[float]:
    """A y-domain around the finite values, at least ``min_span`` wide.

    Without it an axis zooms into rounding noise (an orthogonal product: every log singular value
    is 0 ± 1e-15, drawn as wild lines labelled 0.000000000000…).
    """
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    lo, hi = (float(v.min()), float(v.max())) if v.size else (0.0, 0.0)
    if include_zero:
        lo, hi = min(lo, 0.0), max(hi, 0.0)
    if hi - lo < min_span:
        mid = (hi + lo) / 2
        lo, hi = mid - min_span / 2, mid + min_span / 2
    pad = 0.04 * (hi - lo)
    return [lo - pad, hi + pad]


def _finite_or_nan(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=float).copy()
    x[~np.isfinite(x)] = np.nan
    return x


# ---------------------------------------------------------------------------------------------
# Eigenvalues in the complex plane
# ---------------------------------------------------------------------------------------------


def eigenvalue_frame(eig_W, eig_J, *, t: int, w_label: str = "W") -> pd.DataFrame:
    rows = []
    for name, ev in ((w_label, eig_W), (f"J_t at t = {t}", eig_J)):
        ev = np.asarray(ev, dtype=complex)
        rows.append(pd.DataFrame({"matrix": name, "re": ev.real, "im": ev.imag, "modulus": np.abs(ev)}))
    return pd.concat(rows, ignore_index=True)


def eigenvalue_chart(eig_W, eig_J, *, t: int, w_label: str = "W") -> alt.LayerChart:
    """Eigenvalues of W and of J_t with the unit circle; equal scales on both axes."""
    df = eigenvalue_frame(eig_W, eig_J, t=t, w_label=w_label)
    finite = df[np.isfinite(df["re"]) & np.isfinite(df["im"])]
    reach = max(1.05, float(np.max(np.abs(finite[["re", "im"]].to_numpy()))) * 1.08 if len(finite) else 1.05)
    dom = [-reach, reach]
    theta = np.linspace(0, 2 * np.pi, 181)
    circle = pd.DataFrame({"re": np.cos(theta), "im": np.sin(theta), "order": np.arange(181)})
    x = alt.X("re:Q", title="real part", scale=alt.Scale(domain=dom, nice=False))
    y = alt.Y("im:Q", title="imaginary part", scale=alt.Scale(domain=dom, nice=False))
    ring = alt.Chart(circle).mark_line(color=NEUTRAL_COLOR, strokeDash=[4, 3]).encode(
        x=x, y=y, order="order:Q")
    names = list(dict.fromkeys(df["matrix"]))
    tips = [alt.Tooltip("matrix:N"), alt.Tooltip("re:Q", title="Re λ", format=".4g"),
            alt.Tooltip("im:Q", title="Im λ", format=".4g"), alt.Tooltip("modulus:Q", title="|λ|", format=".4g")]
    color = alt.Color("matrix:N", title=None, scale=alt.Scale(domain=names, range=[OKABE_ITO[0], OKABE_ITO[4]]),
                      legend=alt.Legend(orient="top"))
    shape = alt.Shape("matrix:N", title=None, scale=alt.Scale(domain=names, range=["diamond", "circle"]))
    # W first, larger and hollow, so that eigenvalues of J_t on top of them stay visible.
    w_pts = alt.Chart(finite[finite["matrix"] == names[0]]).mark_point(filled=False, size=110, strokeWidth=2).encode(
        x=x, y=y, color=color, shape=shape, tooltip=tips)
    j_pts = alt.Chart(finite[finite["matrix"] == names[1]]).mark_point(filled=True, size=45, opacity=0.8).encode(
        x=x, y=y, color=color, shape=shape, tooltip=tips)
    pts = w_pts + j_pts
    return (ring + pts).properties(
        height=HEIGHT, width=HEIGHT, padding=PADDING, title="Eigenvalues and the unit circle",
        # "pad": width and height are the plot area, so the unit circle stays round (Streamlit's
        # default "fit" would squeeze the legend and the axes into them).
        autosize=alt.AutoSizeParams(type="pad", contains="padding"))


# ---------------------------------------------------------------------------------------------
# Singular values of each J_t over time
# ---------------------------------------------------------------------------------------------


def _display_floor(values: np.ndarray) -> float:
    pos = values[np.isfinite(values) & (values > 0)]
    return float(pos.min()) / 10.0 if pos.size else 1e-3


def step_spectra_frame(steps, singular_values, radius) -> pd.DataFrame:
    sv = np.asarray(singular_values, dtype=float)
    idx = thin_indices(len(steps))
    sv = sv[idx]
    steps = np.asarray(steps)[idx]
    radius = np.asarray(radius, dtype=float)[idx]
    top, bottom = sv[:, 0], sv[:, -1]
    floor = _display_floor(np.concatenate([top, bottom, radius]))
    out = {"t": steps}
    for name, col in (("largest", top), ("smallest", bottom), ("radius", radius)):
        plotted, status = log_safe(col)
        plotted = np.where(status == "zero", floor, plotted)
        out[name] = plotted
        out[f"{name}_text"] = [("0 (exactly)" if s == "zero" else "∞" if s == "overflow" else
                                "not a number" if s == "not a number" else f"{v:.4g}")
                               for v, s in zip(col, status)]
    return pd.DataFrame(out)


def step_spectra_chart(steps, singular_values, radius, *, gamma_sigma: float) -> alt.LayerChart:
    """Band of all singular values of J_t (smallest to largest), the largest as a line, ρ(J_t)
    dashed, and the reference lines 1 and γ·σ_max(W)."""
    df = step_spectra_frame(steps, singular_values, radius)
    x = alt.X("t:Q", title="step t")
    yscale = alt.Scale(type="log")
    tips = [alt.Tooltip("t:Q", title="step t"), alt.Tooltip("largest_text:N", title="σ_max(J_t)"),
            alt.Tooltip("smallest_text:N", title="σ_min(J_t)"), alt.Tooltip("radius_text:N", title="ρ(J_t)")]
    band = alt.Chart(df).mark_area(opacity=0.25, color=VANISH_COLOR).encode(
        x=x, y=alt.Y("smallest:Q", scale=yscale, title="singular value of J_t (log scale)"),
        y2="largest:Q", tooltip=tips)
    top = alt.Chart(df).mark_line(color=VANISH_COLOR, strokeWidth=2).encode(x=x, y=alt.Y("largest:Q", scale=yscale),
                                                                            tooltip=tips)
    rad = alt.Chart(df).mark_line(color=OKABE_ITO[0], strokeDash=[5, 3]).encode(
        x=x, y=alt.Y("radius:Q", scale=yscale), tooltip=tips)
    refs = pd.DataFrame({"value": [1.0, gamma_sigma] if gamma_sigma > 0 else [1.0],
                         "what": ["1", "γ·σ_max(W)"] if gamma_sigma > 0 else ["1"]})
    rules = alt.Chart(refs).mark_rule().encode(
        y=alt.Y("value:Q", scale=yscale),
        color=alt.Color("what:N", title="reference", scale=alt.Scale(domain=["1", "γ·σ_max(W)"],
                                                                      range=[NEUTRAL_COLOR, EXPLODE_COLOR]),
                        legend=alt.Legend(orient="top")),
        strokeDash=alt.StrokeDash("what:N", title="reference", legend=alt.Legend(orient="top"),
                                  scale=alt.Scale(domain=["1", "γ·σ_max(W)"], range=[[2, 2], [8, 3, 2, 3]])),
        tooltip=[alt.Tooltip("what:N", title="line"), alt.Tooltip("value:Q", format=".4g")])
    return (band + top + rad + rules).properties(height=HEIGHT, padding=PADDING,
                                                  title="Singular values of each step Jacobian J_t")


# ---------------------------------------------------------------------------------------------
# The spectrum of the product dh_T/dh_k
# ---------------------------------------------------------------------------------------------


def line_indices(n: int, max_lines: int = 12) -> np.ndarray:
    """Which singular-value indices (0-based) to draw as lines: all if few, else spread, ends kept."""
    if n <= max_lines:
        return np.arange(n)
    return np.unique(np.round(np.linspace(0, n - 1, max_lines)).astype(int))


def product_spectrum_frame(distance, log_sv, *, max_lines: int = 12, max_points: int | None = None) -> pd.DataFrame:
    """Long frame: distance d = T - k, index i (1-based), log10 σ_i of dh_T/dh_k (NaN for exact zeros).

    ``log_sv`` (D, n) holds natural logs in distance order (row d for distance ``distance[d]``).
    """
    P = np.asarray(log_sv, dtype=float)
    dist = np.asarray(distance)
    lines = line_indices(P.shape[1], max_lines)
    rows = thin_indices(len(dist), max_points or min(1500, MAX_ROWS // len(lines)))
    frames = []
    for i in lines:
        col = log10_of(P[rows, i])
        frames.append(pd.DataFrame({"distance": dist[rows], "index": i + 1, "log10": _finite_or_nan(col),
                                    "value": _sci(col)}))
    return pd.concat(frames, ignore_index=True)


def product_spectrum_chart(distance, log_sv, *, max_lines: int = 12) -> alt.Chart:
    """Every (or a spread of) log singular value(s) of dh_T/dh_k against the distance T - k."""
    df = product_spectrum_frame(distance, log_sv, max_lines=max_lines)
    n = np.asarray(log_sv).shape[1]
    return alt.Chart(df).mark_line(strokeWidth=1.6).encode(
        x=alt.X("distance:Q", title="distance T − k (steps back)"),
        y=alt.Y("log10:Q", title="log₁₀ σᵢ(∂h_T/∂h_k)",
                scale=alt.Scale(domain=padded_domain(df["log10"], min_span=2.0), nice=False)),
        color=alt.Color("index:O", title="i (1 = largest)", scale=alt.Scale(scheme=SEQUENTIAL_SCHEME),
                        legend=alt.Legend(orient="right", columns=1 if n <= 12 else 2)),
        tooltip=[alt.Tooltip("distance:Q", title="T − k"), alt.Tooltip("index:O", title="i"),
                 alt.Tooltip("value:N", title="σᵢ"), alt.Tooltip("log10:Q", title="log₁₀ σᵢ", format=".4g")],
    ).properties(height=HEIGHT, padding=PADDING, title="Singular values of the gradient path ∂h_T/∂h_k")


# ---------------------------------------------------------------------------------------------
# Lyapunov exponents
# ---------------------------------------------------------------------------------------------


def lyapunov_frame(estimate, theory=None) -> pd.DataFrame:
    est = np.asarray(estimate, dtype=float)
    df = pd.DataFrame({"index": np.arange(1, len(est) + 1), "estimate": _finite_or_nan(est)})
    if theory is not None:
        th = np.asarray(theory, dtype=float)
        df["theory"] = _finite_or_nan(th)
        df["difference"] = df["estimate"] - df["theory"]
    return df


def lyapunov_chart(estimate, *, theory=None, theory_label: str = "theory") -> alt.LayerChart:
    """Bars: the measured growth rates μ_i per step; black ticks: the exact values, where known."""
    df = lyapunov_frame(estimate, theory)
    df["lo"], df["hi"] = df["index"] - 0.4, df["index"] + 0.4
    ydom = padded_domain(np.concatenate([df["estimate"], df.get("theory", df["estimate"])]), min_span=0.2,
                         include_zero=True)
    tips = [alt.Tooltip("index:Q", title="i"), alt.Tooltip("estimate:Q", title="measured μᵢ", format=".4f")]
    if theory is not None:
        tips += [alt.Tooltip("theory:Q", title=theory_label, format=".4f"),
                 alt.Tooltip("difference:Q", title="measured − exact", format=".2e")]
    xscale = alt.Scale(domain=[0.4, len(df) + 0.6], nice=False, zero=False)
    x = alt.X("lo:Q", title="exponent i (1 = fastest growing)", scale=xscale, axis=alt.Axis(tickMinStep=1))
    bars = alt.Chart(df).mark_rect(color=VANISH_COLOR, opacity=0.8).encode(
        x=x, x2="hi:Q", y=alt.Y("estimate:Q", title="growth rate μᵢ per step (natural log)",
                                scale=alt.Scale(domain=ydom, nice=False)), y2=alt.datum(0),
        tooltip=tips)
    layers = [bars]
    if theory is not None:
        layers.append(alt.Chart(df).mark_tick(color="black", thickness=2.5, orient="horizontal",
                                                  size=float(max(4, min(18, 320 / max(1, len(df)))))).encode(
            x=alt.X("index:Q", scale=xscale), y=alt.Y("theory:Q", scale=alt.Scale(domain=ydom, nice=False)),
            tooltip=tips))
    zero = alt.Chart(pd.DataFrame({"y": [0.0]})).mark_rule(color=NEUTRAL_COLOR).encode(
        y=alt.Y("y:Q", scale=alt.Scale(domain=ydom, nice=False)))
    return alt.layer(*layers, zero).properties(height=HEIGHT, padding=PADDING,
                                               title="Lyapunov exponents (growth rate per step)")


# ---------------------------------------------------------------------------------------------
# The bound chain
# ---------------------------------------------------------------------------------------------

BOUND_LABELS = ("‖∂h_T/∂h_k‖ (actual)", "∏ ‖J_t‖", "(γ σ_max(W))^(T−k)")


def bound_chain_frame(distance, actual, middle, outer, *, extra: tuple[str, np.ndarray] | None = None,
                      max_points: int | None = None) -> pd.DataFrame:
    """Long frame of the bound chain (inputs in natural logs) as log10 values against the distance."""
    distance = np.asarray(distance)
    series = list(zip(BOUND_LABELS, (actual, middle, outer)))
    if extra is not None:
        series.append(extra)
    idx = thin_indices(len(distance), max_points or min(1500, MAX_ROWS // len(series)))
    frames = []
    for label, values in series:
        col = log10_of(np.asarray(values, dtype=float)[idx])
        frames.append(pd.DataFrame({"distance": distance[idx], "quantity": label,
                                    "log10": _finite_or_nan(col), "value": _sci(col)}))
    return pd.concat(frames, ignore_index=True)


def bound_chain_chart(distance, actual, middle, outer, *, extra=None) -> alt.Chart:
    """The three sides of ``‖∂h_T/∂h_k‖ ≤ ∏‖J_t‖ ≤ (γσ_max)^(T-k)`` on a log scale."""
    df = bound_chain_frame(distance, actual, middle, outer, extra=extra)
    domain = list(BOUND_LABELS) + ([extra[0]] if extra is not None else [])
    colors = [VANISH_COLOR, OKABE_ITO[0], EXPLODE_COLOR, "black"][: len(domain)]
    dashes = [[1, 0], [6, 3], [2, 2], [1, 3]][: len(domain)]
    return alt.Chart(df).mark_line(strokeWidth=2).encode(
        x=alt.X("distance:Q", title="distance T − k (steps back)"),
        y=alt.Y("log10:Q", title="log₁₀ of the gain",
                scale=alt.Scale(domain=padded_domain(df["log10"], min_span=2.0), nice=False)),
        color=alt.Color("quantity:N", title=None, scale=alt.Scale(domain=domain, range=colors),
                        legend=alt.Legend(orient="bottom", columns=2, labelLimit=300)),
        strokeDash=alt.StrokeDash("quantity:N", scale=alt.Scale(domain=domain, range=dashes), legend=None),
        tooltip=[alt.Tooltip("distance:Q", title="T − k"), alt.Tooltip("quantity:N"),
                 alt.Tooltip("value:N", title="value"), alt.Tooltip("log10:Q", title="log₁₀", format=".4g")],
    ).properties(height=HEIGHT, padding=PADDING, title="The bound chain, step by step back")


# ---------------------------------------------------------------------------------------------
# Plain RNN against a GRU
# ---------------------------------------------------------------------------------------------

#: Colours of the two models (as on the training lab).
MODEL_COLORS = {"plain RNN": OKABE_ITO[5], "GRU": OKABE_ITO[4]}


def gated_comparison_frame(models: dict, *, max_points: int = 1200) -> pd.DataFrame:
    """Long frame for :func:`gated_comparison_chart`: for each model (name → (distance, log_sv)), the
    log10 of the largest, median and smallest singular value of dh_T/dh_k against the distance."""
    frames = []
    for name, (distance, log_sv) in models.items():
        P = np.asarray(log_sv, dtype=float)
        dist = np.asarray(distance)
        rows = thin_indices(len(dist), max_points)
        n = P.shape[1]
        for label, i in (("largest σ₁", 0), ("median", n // 2), ("smallest σₙ", n - 1)):
            col = log10_of(P[rows, i])
            frames.append(pd.DataFrame({"model": name, "which": label, "distance": dist[rows],
                                        "log10": _finite_or_nan(col), "value": _sci(col)}))
    return pd.concat(frames, ignore_index=True)


def gated_comparison_chart(models: dict) -> alt.Chart:
    """log10 σ of dh_T/dh_k against the distance for the plain RNN and the GRU on one axis: colour the
    model, dash the singular value (largest solid, median dashed, smallest dotted)."""
    df = gated_comparison_frame(models)
    names = list(models)
    return alt.Chart(df).mark_line(strokeWidth=2).encode(
        x=alt.X("distance:Q", title="distance T − k (steps back)"),
        y=alt.Y("log10:Q", title="log₁₀ σ(∂h_T/∂h_k)",
                scale=alt.Scale(domain=padded_domain(df["log10"], min_span=2.0, include_zero=True), nice=False)),
        color=alt.Color("model:N", title="model", scale=alt.Scale(
            domain=names, range=[MODEL_COLORS.get(m, NEUTRAL_COLOR) for m in names]), legend=alt.Legend(orient="top")),
        strokeWidth=alt.StrokeWidth("model:N", title="model", legend=alt.Legend(orient="top"), scale=alt.Scale(
            domain=names, range=[3.5, 1.5, 2.5][: len(names)])),   # not colour alone (WCAG 1.4.1)
        strokeDash=alt.StrokeDash("which:N", title="singular value", scale=alt.Scale(
            domain=["largest σ₁", "median", "smallest σₙ"], range=[[1, 0], [6, 3], [2, 2]]),
            legend=alt.Legend(orient="top")),
        detail="which:N",
        tooltip=[alt.Tooltip("model:N"), alt.Tooltip("which:N", title="singular value"),
                 alt.Tooltip("distance:Q", title="T − k"), alt.Tooltip("value:N", title="σ"),
                 alt.Tooltip("log10:Q", title="log₁₀ σ", format=".4g")],
    ).properties(height=HEIGHT, padding=PADDING, title="Gradient paths ∂h_T/∂h_k: plain RNN and GRU, same W and drive")


def analysis_charts(r) -> dict[str, alt.TopLevelMixin]:
    """The charts of a :class:`rnnviz.spectral.SpectralAnalysis`, by name: "steps" (every step's singular
    values), and where the product was computed "product", "lyapunov" and "chain" (the bound chain, with
    the closed form ``2^(l−1)·√200`` drawn on it for the nilpotent example held at its fixed point)."""
    from ..spectral import nilpotent_example

    out = {"steps": step_spectra_chart(r.spectra.steps, r.spectra.singular_values, r.spectra.radius,
                                       gamma_sigma=r.verdict.step_bound)}
    if r.chain is None:           # the product failed: the page says so where it would be drawn
        return out
    extra = None
    if r.held_at_fixed_point:
        extra = ("closed form 2^(l−1)·√200", [0.0, *nilpotent_example().log_power_norms(max(1, r.window))])
    return out | {
        "product": product_spectrum_chart(r.product_distance, r.product_log_sv),
        "lyapunov": lyapunov_chart(r.lyapunov, theory=r.theory, theory_label=r.theory_label or "theory"),
        "chain": bound_chain_chart(r.chain.distance, r.chain.log_product_norm, r.chain.log_norm_product,
                                   r.chain.log_uniform_bound, extra=extra),
    }
