"""Charts for the gradient-clipping page: the 2-D geometry, several tensors, non-finite
entries per convention, and the cliff with its two descent paths.

No Streamlit here. Every chart has a ``*_frame`` builder so the numbers can be tested
without drawing.
"""

from __future__ import annotations

import math

import altair as alt
import numpy as np
import pandas as pd

from ..clipping import CLIPPING_CONVENTIONS, TENSOR_NAMES, ClipOutcome, get_convention
from ..cliff import CliffSurface, DescentPath
from .common import DASHES, EXPLODE_COLOR, FIT_X, NEUTRAL_COLOR, PAD, VANISH_COLOR, log_safe
from .spec import template_chart, template_spec

ORIGINAL_COLOR = "#111418"
NORM_COLOR = VANISH_COLOR     # blue: clipping by norm (circle)
VALUE_COLOR = EXPLODE_COLOR   # vermillion: clipping by value (box)
TENSOR_COLORS = ("#E69F00", "#56B4E9", "#009E73")  # W, U, b (Okabe-Ito orange, sky blue, green)
UNCLIPPED_COLOR = EXPLODE_COLOR
CLIPPED_COLOR = VANISH_COLOR


def _src(name: str) -> alt.NamedData:
    return alt.NamedData(name=name)


def convention_label(key: str) -> str:
    conv = get_convention(key)
    short = conv.api.split("(")[0].replace("torch.nn.utils.", "").replace("optimizer", "")
    if conv.framework == "Keras":
        short = conv.api.replace("optimizer(", "").split("=")[0]
    return f"{conv.framework} {short}"


# --------------------------------------------------------------------------- the framework table

def convention_table_frame() -> pd.DataFrame:
    """The framework table as a frame: framework, API, norm, coefficient, non-finite, returns."""
    return pd.DataFrame([
        {"framework": c.framework, "API": c.api, "norm": c.norm, "coefficient": c.coefficient,
         "inf / NaN entry": c.nonfinite, "returns": c.returns}
        for c in CLIPPING_CONVENTIONS
    ])


def convention_table_markdown() -> str:
    """The framework table as a Markdown table (wraps long cells, keeps API names as code)."""
    head = "| framework | API | norm | coefficient | an inf / NaN entry |\n|---|---|---|---|---|\n"

    def cell(text: str) -> str:  # a literal "|" would end the cell
        return text.replace("||", "‖").replace("|", "\\|")

    rows = [f"| {cell(c.framework)} | `{cell(c.api)}` | {cell(c.norm)} | {cell(c.coefficient)} | {cell(c.nonfinite)} |"
            for c in CLIPPING_CONVENTIONS]
    return head + "\n".join(rows)


# --------------------------------------------------------------------------- 2-D geometry

def geometry_frames(g, norm_clipped, value_clipped, max_norm: float, clip_value: float,
                    angle_norm: float, angle_value: float) -> dict[str, pd.DataFrame]:
    """Frames for the 2-D picture: the circle, the box, and the three vectors."""
    t = np.linspace(0.0, 2.0 * np.pi, 181)
    circle = pd.DataFrame({"x": max_norm * np.cos(t), "y": max_norm * np.sin(t), "order": np.arange(181)})
    v = clip_value
    box = pd.DataFrame({"x": [-v, v, v, -v, -v], "y": [-v, -v, v, v, -v], "order": np.arange(5)})
    rows = []
    for what, vec, angle in (("original g", g, 0.0), ("clipped by norm", norm_clipped, angle_norm),
                             ("clipped by value", value_clipped, angle_value)):
        x, y = float(vec[0]), float(vec[1])
        rows.append({"what": what, "x0": 0.0, "y0": 0.0, "x": x, "y": y, "norm": math.hypot(x, y),
                     "angle": angle})
    vectors = pd.DataFrame(rows)
    return {"circle": circle, "box": box, "vectors": vectors}


#: Half-widths the 2-D picture snaps to, so the axes stay put while a slider is dragged.
GEOMETRY_REACHES = (1.0, 2.0, 4.0, 8.0, 12.0)

#: Sizes are those of the plotting area; axes, legends and titles are added around it
#: (Streamlit would otherwise squeeze everything into width × height).


def geometry_reach(g, max_norm: float, clip_value: float) -> float:
    """The smallest of ``GEOMETRY_REACHES`` that shows g, the circle and the box with a margin."""
    need = max(float(np.max(np.abs(np.asarray(g, dtype=float)))), max_norm, clip_value) * 1.1
    return next((r for r in GEOMETRY_REACHES if need <= r), GEOMETRY_REACHES[-1])


def _geometry_layers(reach: float, size: int):
    xs = alt.Scale(domain=[-reach, reach], nice=False, zero=False)
    ys = alt.Scale(domain=[-reach, reach], nice=False, zero=False)
    names = ["original g", "clipped by norm", "clipped by value"]
    colour = alt.Color("what:N", title=None, legend=alt.Legend(orient="bottom", columns=3, labelLimit=150),
                       scale=alt.Scale(domain=names, range=[ORIGINAL_COLOR, NORM_COLOR, VALUE_COLOR]))
    circle = alt.Chart(_src("circle")).mark_line(strokeDash=[6, 4], color=NORM_COLOR, clip=True).encode(
        x=alt.X("x:Q", scale=xs, title="∂L/∂θ₁ (gradient component 1)"),
        y=alt.Y("y:Q", scale=ys, title="∂L/∂θ₂ (gradient component 2)"), order="order:Q")
    box = alt.Chart(_src("box")).mark_line(strokeDash=[2, 3], color=VALUE_COLOR, clip=True).encode(
        x=alt.X("x:Q", scale=xs), y=alt.Y("y:Q", scale=ys), order="order:Q")
    tips = [alt.Tooltip("what:N", title="vector"), alt.Tooltip("x:Q", title="component 1", format=".4g"),
            alt.Tooltip("y:Q", title="component 2", format=".4g"),
            alt.Tooltip("norm:Q", title="length ‖·‖₂", format=".4g"),
            alt.Tooltip("angle:Q", title="angle to g (°)", format=".2f")]
    shafts = alt.Chart(_src("vectors")).mark_rule(strokeWidth=3, clip=True).encode(
        x=alt.X("x0:Q", scale=xs), y=alt.Y("y0:Q", scale=ys), x2="x:Q", y2="y:Q", color=colour, tooltip=tips)
    heads = alt.Chart(_src("vectors")).mark_point(filled=True, size=110, opacity=1, clip=True).encode(
        x=alt.X("x:Q", scale=xs), y=alt.Y("y:Q", scale=ys), color=colour, tooltip=tips,
        shape=alt.Shape("what:N", legend=None, scale=alt.Scale(domain=names,
                                                                range=["circle", "diamond", "square"])))
    return (circle + box + shafts + heads).properties(width=size, height=size, autosize=PAD,
                                                       title="One gradient, clipped two ways")


def _geometry_args(g, norm_clipped, value_clipped, max_norm, clip_value, angle_norm, angle_value, size):
    frames = geometry_frames(g, norm_clipped, value_clipped, max_norm, clip_value, angle_norm, angle_value)
    return (_geometry_layers, (geometry_reach(g, max_norm, clip_value), int(size)), frames)


def geometry_chart(g, norm_clipped, value_clipped, *, max_norm: float, clip_value: float,
                   angle_norm: float, angle_value: float, size: int = 340) -> alt.LayerChart:
    """The gradient, the norm-clipping circle and value-clipping box, and both clipped vectors."""
    return template_chart(*_geometry_args(g, norm_clipped, value_clipped, max_norm, clip_value, angle_norm,
                                  angle_value, size))


def geometry_spec(g, norm_clipped, value_clipped, *, max_norm: float, clip_value: float,
                  angle_norm: float, angle_value: float, size: int = 340) -> dict:
    """:func:`geometry_chart` as a Vega-Lite spec, in about a millisecond."""
    return template_spec(*_geometry_args(g, norm_clipped, value_clipped, max_norm, clip_value, angle_norm,
                                 angle_value, size))


# --------------------------------------------------------------------------- several tensors

def composition_frame(grads, outcomes: list[ClipOutcome]) -> pd.DataFrame:
    """Share of the squared L2 norm held by each tensor, for the original gradient and each convention."""
    rows = []
    entries = [("original gradient", [float(np.sum(np.square(g))) for g in grads], 0.0, math.nan)]
    for out in outcomes:
        entries.append((convention_label(out.convention), [float(n) ** 2 for n in out.tensor_norms_after],
                        out.angle_deg, out.global_norm_after))
    for label, sq, angle, norm_after in entries:
        total = sum(sq)
        for name, s in zip(TENSOR_NAMES, sq):
            share = s / total if total > 0 and math.isfinite(total) else math.nan
            rows.append({"row": label, "tensor": f"d{name}", "share": share, "norm": math.sqrt(s),
                         "angle": angle, "global_norm_after": norm_after})
    return pd.DataFrame(rows)


def _composition_layers(order: tuple[str, ...]):
    tensors = [f"d{n}" for n in TENSOR_NAMES]
    y = alt.Y("row:N", title=None, sort=list(order), axis=alt.Axis(labelLimit=260))
    bars = alt.Chart(_src("shares")).mark_bar().encode(
        x=alt.X("share:Q", title="share of the squared gradient norm ‖g_i‖² / ‖g‖²", stack="zero",
                scale=alt.Scale(domain=[0, 1.28]), axis=alt.Axis(format="%", values=[0, .25, .5, .75, 1])),
        y=y,
        color=alt.Color("tensor:N", title="tensor", scale=alt.Scale(domain=tensors, range=list(TENSOR_COLORS)),
                        legend=alt.Legend(orient="top")),
        order=alt.Order("tensor:N", sort="ascending"),
        tooltip=[alt.Tooltip("row:N", title="convention"), alt.Tooltip("tensor:N"),
                 alt.Tooltip("share:Q", format=".1%", title="share of ‖g‖²"),
                 alt.Tooltip("norm:Q", format=".4g", title="‖g_i‖₂ after"),
                 alt.Tooltip("angle:Q", format=".2f", title="angle to original (°)")],
    )
    text = alt.Chart(_src("angles")).mark_text(align="left", baseline="middle", fontSize=13).encode(
        x="at:Q", y=y, text="label:N")
    return (bars + text).properties(height=30 * len(order), autosize=FIT_X,
                                    title="Same direction = same split between dW, dU, db")


def _composition_args(grads, outcomes):
    data = composition_frame(grads, outcomes)
    firsts = data.drop_duplicates("row").copy()
    firsts["label"] = [("—" if r == "original gradient" else
                        ("angle: no direction" if not math.isfinite(a) else f"angle {a:.1f}°"))
                       for r, a in zip(firsts["row"], firsts["angle"])]
    firsts["at"] = 1.02
    return (_composition_layers, (tuple(dict.fromkeys(data["row"])),), {"shares": data, "angles": firsts})


def composition_chart(grads, outcomes: list[ClipOutcome]) -> alt.LayerChart:
    """Stacked bars: how the gradient's squared norm is split between dW, dU, db after each convention.

    Equal splits mean the same direction (only the length changed); a different split means
    the convention turned the gradient. The angle to the original is written at the end of each bar.
    """
    return template_chart(*_composition_args(grads, outcomes))


def composition_spec(grads, outcomes: list[ClipOutcome]) -> dict:
    """:func:`composition_chart` as a Vega-Lite spec, without rebuilding the Altair chart."""
    return template_spec(*_composition_args(grads, outcomes))


def scales_frame(outcomes: list[ClipOutcome]) -> pd.DataFrame:
    """One row per convention: factor per tensor, global norm before and after, angle, non-finite count."""
    rows = []
    for out in outcomes:
        row = {"convention": convention_label(out.convention)}
        for name, s in zip(TENSOR_NAMES, out.scales):
            row[f"factor on d{name}"] = s
        row["‖g‖₂ before"] = out.global_norm_before
        row["‖g‖₂ after"] = out.global_norm_after
        row["angle to g (°)"] = out.angle_deg
        row["non-finite entries after"] = out.nonfinite_after
        rows.append(row)
    return pd.DataFrame(rows)


def _num(x: float, fmt: str = ".4g") -> str:
    return format(x, fmt) if math.isfinite(x) else ("NaN" if math.isnan(x) else ("∞" if x > 0 else "−∞"))


def scales_display_frame(outcomes: list[ClipOutcome]) -> pd.DataFrame:
    """:func:`scales_frame` as readable text: factors, norms, the angle in degrees, dashes where undefined."""
    rows = []
    for out in outcomes:
        by_norm = get_convention(out.convention).by_norm
        row = {"convention": convention_label(out.convention)}
        for name, f in zip(TENSOR_NAMES, out.scales):
            row[f"factor on d{name}"] = _num(float(f)) if by_norm else "— (cuts entries)"
        row["‖g‖₂ before"] = _num(out.global_norm_before)
        row["‖g‖₂ after"] = _num(out.global_norm_after)
        row["angle to g"] = f"{out.angle_deg:.2f}°" if math.isfinite(out.angle_deg) else "undefined"
        rows.append(row)
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- non-finite entries

NONFINITE_STATES = ("finite", "wiped to 0", "some NaN", "all NaN", "still infinite")
_STATE_COLORS = ("#009E73", "#F0E442", "#E69F00", "#D55E00", "#CC79A7")


def nonfinite_frame(grads, outcomes: list[ClipOutcome]) -> pd.DataFrame:
    """What each convention left in each tensor: counts of NaN, inf and newly zeroed entries, and a state."""
    rows = []
    for out in outcomes:
        for name, before, after in zip(TENSOR_NAMES, grads, out.clipped):
            n = after.size
            nan = int(np.count_nonzero(np.isnan(after)))
            inf = int(np.count_nonzero(np.isinf(after)))
            wiped = int(np.count_nonzero((after == 0) & np.isfinite(before) & (before != 0)))
            if n and nan == n:
                state = "all NaN"
            elif nan:
                state = "some NaN"
            elif inf:
                state = "still infinite"
            elif wiped and wiped == int(np.count_nonzero(np.isfinite(before) & (before != 0))):
                state = "wiped to 0"
            else:
                state = "finite"
            parts = [f"{nan} NaN" if nan else "", f"{inf} inf" if inf else "",
                     f"{wiped} → 0" if wiped else ""]
            label = ", ".join(p for p in parts if p) or "finite"
            rows.append({"convention": convention_label(out.convention), "tensor": f"d{name}", "state": state,
                         "label": label, "entries": n, "nan": nan, "inf": inf, "zeroed": wiped})
    return pd.DataFrame(rows)


def _nonfinite_layers(order: tuple[str, ...]):
    tensors = [f"d{n}" for n in TENSOR_NAMES]
    base = alt.Chart(_src("cells")).encode(
        x=alt.X("tensor:N", title="parameter tensor", sort=tensors, axis=alt.Axis(labelAngle=0, orient="top")),
        y=alt.Y("convention:N", title=None, sort=list(order), axis=alt.Axis(labelLimit=260)),
        tooltip=[alt.Tooltip("convention:N"), alt.Tooltip("tensor:N"), alt.Tooltip("state:N"),
                 alt.Tooltip("entries:Q"), alt.Tooltip("nan:Q", title="NaN entries"),
                 alt.Tooltip("inf:Q", title="infinite entries"),
                 alt.Tooltip("zeroed:Q", title="finite entries turned to 0")],
    )
    cells = base.mark_rect(stroke="white", strokeWidth=2, opacity=1).encode(
        color=alt.Color("state:N", title="after clipping",
                        scale=alt.Scale(domain=list(NONFINITE_STATES), range=list(_STATE_COLORS)),
                        legend=alt.Legend(orient="bottom", columns=3)))
    text = base.mark_text(fontSize=13, color="#111418").encode(text="label:N")
    return (cells + text).properties(height=34 * len(order), width=390, autosize=PAD,
                                     title="One bad entry, every convention")


def _nonfinite_args(grads, outcomes):
    data = nonfinite_frame(grads, outcomes)
    return (_nonfinite_layers, (tuple(dict.fromkeys(data["convention"])),), {"cells": data})


def nonfinite_chart(grads, outcomes: list[ClipOutcome]) -> alt.LayerChart:
    """A grid convention × tensor coloured by what the convention left behind."""
    return template_chart(*_nonfinite_args(grads, outcomes))


def nonfinite_spec(grads, outcomes: list[ClipOutcome]) -> dict:
    """:func:`nonfinite_chart` as a Vega-Lite spec, without rebuilding the Altair chart."""
    return template_spec(*_nonfinite_args(grads, outcomes))


# --------------------------------------------------------------------------- the cliff

def surface_frame(surface: CliffSurface) -> pd.DataFrame:
    """Cells of the loss surface: w, b (cell centres), loss, |grad E|."""
    W, B = np.meshgrid(surface.w, surface.b)
    with np.errstate(over="ignore"):
        gnorm = np.hypot(surface.dE_dw, surface.dE_db)
    return pd.DataFrame({"w": W.ravel(), "b": B.ravel(), "loss": surface.loss.ravel(), "grad": gnorm.ravel()})


def paths_frame(paths: dict[str, DescentPath]) -> pd.DataFrame:
    """Iterates of each descent run: run, k, w, b, loss, step length and gradient norm of the step taken there."""
    parts = []
    for label, p in paths.items():
        n = len(p.w)
        step = np.full(n, np.nan)
        gn = np.full(n, np.nan)
        step[: len(p.step_length)] = p.step_length
        gn[: len(p.grad_norm)] = p.grad_norm
        parts.append(pd.DataFrame({"run": label, "k": np.arange(n), "w": p.w, "b": p.b, "loss": p.loss,
                                   "step": step, "grad": gn}))
    return pd.concat(parts, ignore_index=True)


def jump_frame(path: DescentPath, w_dom, b_dom) -> pd.DataFrame:
    """Where the longest step of ``path`` took off, and a label saying where it landed (may be empty)."""
    k = path.biggest_step
    if k is None or len(path.w) <= k + 1:
        return pd.DataFrame({"w": [], "b": [], "w2": [], "b2": [], "label": [], "detail": []})
    land_w, land_b = float(path.w[k + 1]), float(path.b[k + 1])
    inside = w_dom[0] <= land_w <= w_dom[1] and b_dom[0] <= land_b <= b_dom[1]
    where = "to" if inside else "off the map to"
    return pd.DataFrame({"w": [float(path.w[k])], "b": [float(path.b[k])], "w2": [land_w], "b2": [land_b],
                         "label": [f"thrown {where} ({land_w:.3g}, {land_b:.3g})"],
                         "detail": [f"iteration {k}: ‖∇E‖ = {path.grad_norm[k]:.3g}, "
                                    f"step {path.step_length[k]:.3g} long"]})


def _surface_layers(w_dom: tuple[float, float], b_dom: tuple[float, float], half_cell: tuple[float, float],
                    runs: tuple[str, ...], width: int, height: int):
    xs = alt.Scale(domain=list(w_dom), nice=False, zero=False)
    ys = alt.Scale(domain=list(b_dom), nice=False, zero=False)
    hw, hb = half_cell
    heat = alt.Chart(_src("surface")).transform_calculate(
        w_lo=f"datum.w - {hw!r}", w_hi=f"datum.w + {hw!r}", b_lo=f"datum.b - {hb!r}", b_hi=f"datum.b + {hb!r}",
    ).mark_rect(opacity=1, fillOpacity=1, strokeWidth=0).encode(
        x=alt.X("w_lo:Q", scale=xs, title="recurrent weight w", axis=alt.Axis(grid=False)), x2="w_hi:Q",
        y=alt.Y("b_lo:Q", scale=ys, title="bias b", axis=alt.Axis(grid=False)), y2="b_hi:Q",
        color=alt.Color("loss:Q", title="loss E", scale=alt.Scale(scheme="viridis", domain=[0, 0.45], clamp=True),
                        legend=alt.Legend(orient="right", gradientLength=200)),
        tooltip=[alt.Tooltip("w:Q", format=".3f"), alt.Tooltip("b:Q", format=".3f"),
                 alt.Tooltip("loss:Q", title="E", format=".4f"),
                 alt.Tooltip("grad:Q", title="‖∇E‖", format=".3g")],
    )
    wall_line = alt.Chart(_src("wall")).mark_line(color="white", strokeDash=[5, 4], strokeWidth=2, clip=True).encode(
        x=alt.X("w:Q", scale=xs), y=alt.Y("b:Q", scale=ys))
    colour = alt.Color("run:N", title="gradient descent", sort=list(runs),
                       scale=alt.Scale(domain=list(runs), range=[UNCLIPPED_COLOR, CLIPPED_COLOR][: len(runs)]),
                       legend=alt.Legend(orient="bottom", direction="vertical", labelLimit=400))
    tips = [alt.Tooltip("run:N"), alt.Tooltip("k:Q", title="iteration"), alt.Tooltip("w:Q", format=".4g"),
            alt.Tooltip("b:Q", format=".4g"), alt.Tooltip("loss:Q", title="E", format=".4g"),
            alt.Tooltip("grad:Q", title="‖∇E‖ here", format=".4g"),
            alt.Tooltip("step:Q", title="length of the next step", format=".4g")]
    lines = alt.Chart(_src("paths")).mark_line(strokeWidth=2.5, clip=True).encode(
        x=alt.X("w:Q", scale=xs), y=alt.Y("b:Q", scale=ys), color=colour, order="k:Q", detail="run:N",
        strokeDash=alt.StrokeDash("run:N", title="gradient descent", sort=list(runs),
                                  scale=alt.Scale(domain=list(runs), range=list(DASHES[1::-1][: len(runs)])),
                                  legend=alt.Legend(orient="bottom", direction="vertical", labelLimit=400)))
    dots = alt.Chart(_src("paths")).mark_point(filled=True, size=28, clip=True, opacity=1).encode(
        x=alt.X("w:Q", scale=xs), y=alt.Y("b:Q", scale=ys), color=colour.legend(None), tooltip=tips)
    ring = alt.Chart(_src("jump")).mark_point(shape="circle", size=500, strokeWidth=3, color=UNCLIPPED_COLOR,
                                              filled=False, clip=True).encode(
        x=alt.X("w:Q", scale=xs), y=alt.Y("b:Q", scale=ys),
        tooltip=[alt.Tooltip("label:N", title="unclipped step"), alt.Tooltip("detail:N", title="at")])
    # The thrown step itself, drawn on top of both paths (cut off at the frame when it leaves the map).
    throw = alt.Chart(_src("jump")).mark_rule(strokeWidth=4, strokeDash=[8, 4], color=UNCLIPPED_COLOR,
                                              clip=True).encode(
        x=alt.X("w:Q", scale=xs), y=alt.Y("b:Q", scale=ys), x2="w2:Q", y2="b2:Q",
        tooltip=[alt.Tooltip("label:N", title="unclipped step"), alt.Tooltip("detail:N", title="at")])
    # Dark text on a white halo: readable on both ends of the viridis scale.
    halo = alt.Chart(_src("jump")).mark_text(align="left", dx=18, dy=-16, fontSize=14, fontWeight="bold",
                                             stroke="white", strokeWidth=4, strokeOpacity=0.9, clip=True).encode(
        x=alt.X("w:Q", scale=xs), y=alt.Y("b:Q", scale=ys), text="label:N")
    note = alt.Chart(_src("jump")).mark_text(align="left", dx=18, dy=-16, fontSize=14, fontWeight="bold",
                                             color="#111418", clip=True).encode(
        x=alt.X("w:Q", scale=xs), y=alt.Y("b:Q", scale=ys), text="label:N")
    return alt.layer(heat, wall_line, lines, dots, throw, ring, halo, note).properties(
        width=width, height=height, autosize=PAD,
        title="The cliff: loss E(w, b) after 50 steps, and two descents").configure_axis(grid=False)


def _surface_args(surface, paths, wall, width, height):
    w_dom = (float(surface.w[0]), float(surface.w[-1]))
    b_dom = (float(surface.b[0]), float(surface.b[-1]))
    # Cells overlap their neighbours by 4 % so no anti-aliasing seams show between them.
    half = (float(surface.w[1] - surface.w[0]) * 0.52, float(surface.b[1] - surface.b[0]) * 0.52)
    runs = tuple(paths)
    frames = {"surface": surface_frame(surface),
              "wall": pd.DataFrame({"w": [wall[0], wall[2]], "b": [wall[1], wall[3]]}),
              "paths": paths_frame(paths), "jump": jump_frame(paths[runs[0]], w_dom, b_dom)}
    return (_surface_layers, (w_dom, b_dom, half, runs, int(width), int(height)), frames)


def cliff_surface_chart(surface: CliffSurface, paths: dict[str, DescentPath], *,
                        wall: tuple[float, float, float, float], width: int = 520, height: int = 420):
    """The loss over (w, b) with the wall b*(w) and the descent paths overlaid (clipped to the window).

    ``wall`` is (w_start, b_start, w_end, b_end) of the wall line. The longest step of the first
    run is ringed and labelled with where it landed, even when that is outside the window.
    """
    return template_chart(*_surface_args(surface, paths, wall, width, height))


def cliff_surface_spec(surface: CliffSurface, paths: dict[str, DescentPath], *,
                       wall: tuple[float, float, float, float], width: int = 520, height: int = 420) -> dict:
    """:func:`cliff_surface_chart` as a Vega-Lite spec, without rebuilding the Altair chart."""
    return template_spec(*_surface_args(surface, paths, wall, width, height))


def slice_frame(b, loss, dE_db, wall_b: float) -> pd.DataFrame:
    """E and |dE/db| along b (|dE/db| made log-safe), and which side of the wall each b is on."""
    plotted, status = log_safe(dE_db)
    return pd.DataFrame({"b": b, "loss": loss, "slope": np.abs(dE_db), "plotted": plotted, "status": status,
                         "side": np.where(np.asarray(b) < wall_b, "below b*", "above b*")})


def _slice_layers(b_dom: tuple[float, float], width: int):
    xs = alt.Scale(domain=list(b_dom), nice=False, zero=False)
    rule = alt.Chart(_src("wall")).mark_rule(strokeDash=[5, 4], color=NEUTRAL_COLOR, clip=True).encode(
        x=alt.X("b:Q", scale=xs), tooltip=[alt.Tooltip("b:Q", title="wall b*", format=".5f")])
    tips = [alt.Tooltip("b:Q", format=".5f"), alt.Tooltip("loss:Q", title="E", format=".4g"),
            alt.Tooltip("slope:Q", title="|∂E/∂b|", format=".4g"), alt.Tooltip("status:N")]
    top = alt.Chart(_src("section")).mark_line(color=ORIGINAL_COLOR, strokeWidth=2.5).encode(
        x=alt.X("b:Q", scale=xs, title=None), y=alt.Y("loss:Q", title="loss E"), tooltip=tips)
    bottom = alt.Chart(_src("section")).mark_line(color=EXPLODE_COLOR, strokeWidth=2.5).encode(
        x=alt.X("b:Q", scale=xs, title="bias b (w fixed at the start w)"),
        y=alt.Y("plotted:Q", title="|∂E/∂b| (log scale)", scale=alt.Scale(type="log")), tooltip=tips)
    return alt.vconcat((rule + top).properties(width=width, height=150, title="Cross-section through the start"),
                       (rule + bottom).properties(width=width, height=170)).properties(autosize=PAD)


def _slice_args(b, loss, dE_db, wall_b, width):
    frames = {"section": slice_frame(b, loss, dE_db, wall_b), "wall": pd.DataFrame({"b": [float(wall_b)]})}
    return (_slice_layers, ((float(np.min(b)), float(np.max(b))), int(width)), frames)


def cliff_slice_chart(b, loss, dE_db, *, wall_b: float, width: int = 360):
    """E(b) and |∂E/∂b| (log axis) along b at fixed w, with the wall b* marked."""
    return template_chart(*_slice_args(b, loss, dE_db, wall_b, width))


def cliff_slice_spec(b, loss, dE_db, *, wall_b: float, width: int = 360) -> dict:
    """:func:`cliff_slice_chart` as a Vega-Lite spec, without rebuilding the Altair chart."""
    return template_spec(*_slice_args(b, loss, dE_db, wall_b, width))


def _descent_layers(runs: tuple[str, ...], width: int):
    colour = alt.Color("run:N", title=None, sort=list(runs), legend=None,
                       scale=alt.Scale(domain=list(runs), range=[UNCLIPPED_COLOR, CLIPPED_COLOR][: len(runs)]))
    dash = alt.StrokeDash("run:N", legend=None, sort=list(runs),   # as on the map: not colour alone
                          scale=alt.Scale(domain=list(runs), range=list(DASHES[1::-1][: len(runs)])))
    tips = [alt.Tooltip("run:N"), alt.Tooltip("k:Q", title="iteration"),
            alt.Tooltip("loss:Q", title="E", format=".4g"), alt.Tooltip("grad:Q", title="‖∇E‖", format=".4g"),
            alt.Tooltip("step:Q", title="step length", format=".4g")]
    loss = alt.Chart(_src("paths")).mark_line(strokeWidth=2.5, point=alt.OverlayMarkDef(size=14)).encode(
        x=alt.X("k:Q", title=None), y=alt.Y("loss:Q", title="loss E"), color=colour, strokeDash=dash,
        tooltip=tips)
    step = alt.Chart(_src("steps")).mark_line(strokeWidth=2.5, point=alt.OverlayMarkDef(size=14)).encode(
        x=alt.X("k:Q", title="iteration"),
        y=alt.Y("plotted:Q", title="step length ‖Δθ‖ (log)", scale=alt.Scale(type="log")),
        color=colour, strokeDash=dash, tooltip=tips)
    return alt.vconcat(loss.properties(width=width, height=150, title="Loss and step length per iteration"),
                       step.properties(width=width, height=170)).properties(autosize=PAD)


def _descent_args(paths, width):
    pf = paths_frame(paths)
    steps = pf.dropna(subset=["step"]).copy()
    steps["plotted"], steps["status"] = log_safe(steps["step"].to_numpy())
    return (_descent_layers, (tuple(paths), int(width)), {"paths": pf, "steps": steps})


def descent_chart(paths: dict[str, DescentPath], *, width: int = 360):
    """Loss per iteration and the length of each step (log axis), for each run."""
    return template_chart(*_descent_args(paths, width))


def descent_spec(paths: dict[str, DescentPath], *, width: int = 360) -> dict:
    """:func:`descent_chart` as a Vega-Lite spec, without rebuilding the Altair chart."""
    return template_spec(*_descent_args(paths, width))
