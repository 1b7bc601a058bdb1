"""Charts of the edge of chaos: the mean-field phase diagram and the gradient's decay in real networks.

The diagram's fields are called ``w`` (σ_w) and ``b`` (the second axis), so the scalar page's
marker (:func:`rnnviz.charts.scalar.with_marker`) marks the viewer's point on it too.
"""

from __future__ import annotations

import math

import altair as alt
import numpy as np
import pandas as pd

from ..meanfield import MeanField, MeanFieldGrid, NetworkRun
from .common import DIVERGING_SCHEME, OKABE_ITO, thin_indices
from .scalar import with_marker  # noqa: F401  (re-exported: the marker of the viewer's point)

_LOG10 = math.log(10.0)
#: Colours are clipped at ±CLIP for ½ ln χ (the tooltip keeps the true value).
CLIP = 1.0


def _fmt(x: float) -> str:
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "+∞" if x > 0 else "−∞"
    return f"{x:+.4f}".replace("-", "−")


def phase_frame(grid: MeanFieldGrid, axis_values: np.ndarray) -> pd.DataFrame:
    """One row per cell: σ_w (``w``), the second axis (``b``), χ and ½ ln χ (``lam``), and ½ ln χ
    clipped to ±CLIP for the colour (``shown``; ``lam`` is NaN where χ = 0, i.e. −∞). Compact float32 columns: the spec
    goes to every viewer on every rerun; the tooltip's text is made in the browser."""
    lam = grid.lyapunov
    w = np.broadcast_to(grid.sigma_w, lam.shape).ravel()
    b = np.broadcast_to(np.asarray(axis_values)[None, :], lam.shape).ravel()
    flat = lam.ravel()
    return pd.DataFrame({"w": w.astype(np.float32), "b": b.astype(np.float32),
                         "shown": np.clip(np.nan_to_num(flat, nan=0.0, neginf=-CLIP), -CLIP, CLIP).astype(np.float32),
                         "lam": np.where(np.isfinite(flat), flat, np.nan), "chi": grid.chi.ravel()})


def edge_frame(grid: MeanFieldGrid, axis_values: np.ndarray) -> pd.DataFrame:
    """The χ = 1 line: for each value of the second axis, the σ_w where ½ ln χ changes sign
    (interpolated linearly between grid rows); columns without a crossing are left out."""
    lam = grid.lyapunov
    sw = np.asarray(grid.sigma_w)[:, 0]
    rows = []
    for j, value in enumerate(np.asarray(axis_values)):
        col = lam[:, j]
        cross = np.flatnonzero((col[:-1] < 0) & (col[1:] >= 0))
        if cross.size == 0:
            continue
        i = int(cross[0])
        lo, hi = col[i], col[i + 1]
        t = 0.0 if not np.isfinite(lo) else (0.0 - lo) / (hi - lo) if hi != lo else 0.0
        rows.append({"w": float(sw[i] + t * (sw[i + 1] - sw[i])), "b": float(value)})
    return pd.DataFrame(rows, columns=["w", "b"])


def phase_chart(grid: MeanFieldGrid, axis_values, *, axis_title: str, nonlinearity: str) -> alt.LayerChart:
    """½ ln χ over (σ_w, second axis), diverging at 0 (blue ordered, orange chaotic), with the χ = 1 line."""
    axis_values = np.asarray(axis_values, dtype=float)
    data = phase_frame(grid, axis_values)
    sw = np.asarray(grid.sigma_w)[:, 0]
    dw = float(sw[1] - sw[0]) if sw.size > 1 else 1.0
    db = float(axis_values[1] - axis_values[0]) if axis_values.size > 1 else 1.0
    cells = alt.Chart(data).transform_calculate(
        w0=f"datum.w - {0.6 * dw}", w1=f"datum.w + {0.6 * dw}", b0=f"datum.b - {0.6 * db}", b1=f"datum.b + {0.6 * db}",
        phase="datum.shown < 0 ? 'ordered: gradients vanish' : datum.shown > 0 ? 'chaotic: gradients explode' : 'edge'",
        lam_text="isFinite(datum.lam) ? format(datum.lam, '+.4f') : '−∞'",
    ).mark_rect().encode(
        x=alt.X("w0:Q", title="weight scale σ_w (W_ij ~ N(0, σ_w²/n))",
                scale=alt.Scale(domain=[sw[0], sw[-1]], nice=False)),
        x2=alt.X2("w1:Q"),
        y=alt.Y("b0:Q", title=axis_title, scale=alt.Scale(domain=[axis_values[0], axis_values[-1]], nice=False)),
        y2=alt.Y2("b1:Q"),
        color=alt.Color("shown:Q", scale=alt.Scale(scheme=DIVERGING_SCHEME, domain=[-CLIP, CLIP], domainMid=0),
                        title=["½ ln χ per step", "< 0 ordered", "> 0 chaotic"],
                        legend=alt.Legend(orient="right", gradientLength=180, values=[-CLIP, 0, CLIP])),
        tooltip=[alt.Tooltip("w:Q", title="σ_w", format=".3f"), alt.Tooltip("b:Q", title=axis_title, format=".3f"),
                 alt.Tooltip("chi:Q", title="χ", format=".4g"), alt.Tooltip("lam_text:N", title="½ ln χ"),
                 alt.Tooltip("phase:N")],
    )
    edge = alt.Chart(edge_frame(grid, axis_values)).mark_line(color="black", strokeWidth=2.5).encode(
        x="w:Q", y="b:Q", order="b:Q",
        tooltip=[alt.Tooltip("w:Q", title="edge σ_w", format=".3f"), alt.Tooltip("b:Q", title=axis_title, format=".3f")],
    )
    return alt.layer(cells, edge).properties(
        height=360, title=f"Mean-field phase diagram, {nonlinearity}: black line χ = 1 (the edge)")


def decay_frame(theory: MeanField, runs: tuple[NetworkRun, ...], *, max_points: int = 300) -> pd.DataFrame:
    """log10 of the gradient's norm against the distance k, per network, and the theory's χ^(k/2)."""
    frames = []
    steps = runs[0].steps
    k = thin_indices(steps + 1, max_points)
    for run in runs:
        logs = run.log_gradient_norms[k] / _LOG10
        frames.append(pd.DataFrame({"k": k, "log10": logs, "what": f"measured, {run.scheme} W (n = {run.n})"}))
    with np.errstate(invalid="ignore"):
        theory_line = np.where(k == 0, 0.0, k * theory.lyapunov / _LOG10)
    frames.append(pd.DataFrame({"k": k, "log10": theory_line, "what": "theory: χ^(k/2)"}))
    out = pd.concat(frames, ignore_index=True)
    return out[np.isfinite(out["log10"])].reset_index(drop=True)


def decay_chart(theory: MeanField, runs: tuple[NetworkRun, ...]) -> alt.Chart:
    """Lines of log10 ‖∂h_T/∂h_{T−k}ᵀ u‖ against k (measured) and the theory's dashed χ^(k/2)."""
    data = decay_frame(theory, runs)
    colours = [OKABE_ITO[4], OKABE_ITO[0], "#000000"]
    return alt.Chart(data).mark_line(strokeWidth=2.5).encode(
        x=alt.X("k:Q", title="distance k (steps back from T)"),
        y=alt.Y("log10:Q", title="log10 of the gradient's norm"),
        color=alt.Color("what:N", title=None, scale=alt.Scale(range=colours),
                        legend=alt.Legend(orient="bottom", columns=1)),
        strokeDash=alt.StrokeDash("what:N", scale=alt.Scale(range=[[1, 0], [1, 0], [6, 4]]), legend=None),
        tooltip=[alt.Tooltip("what:N", title="line"), alt.Tooltip("k:Q", title="k"),
                 alt.Tooltip("log10:Q", title="log10 ‖gradient‖", format=".2f")],
    ).properties(height=360, title="The gradient sent back k steps: real networks and the theory")


def comparison_frame(theory: MeanField, runs: tuple[NetworkRun, ...]) -> pd.DataFrame:
    """The theory-vs-simulation table: q, χ, λ₁ and the depth scale, as text."""
    def num(x: float, digits: int = 4) -> str:
        if math.isnan(x):
            return "NaN"
        if math.isinf(x):
            return "∞" if x > 0 else "−∞"
        return f"{x:.{digits}g}"

    rows = {
        "variance q of the pre-activations": [num(theory.q), *(num(r.q) for r in runs)],
        "χ = σ_w² · mean f′(a)²": [num(theory.chi), *(num(r.chi) for r in runs)],
        "largest Lyapunov exponent λ₁": [_fmt(theory.lyapunov), *(_fmt(r.lyapunov) for r in runs)],
        "depth scale ξ (steps per e of ‖g‖²)": [num(theory.depth_scale), *(num(r.depth_scale) for r in runs)],
    }
    columns = ["theory (n → ∞)", *(f"{r.scheme} W, n = {r.n}" for r in runs)]
    return pd.DataFrame.from_dict(rows, orient="index", columns=columns)
