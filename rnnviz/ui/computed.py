"""Cached core calls and chart specs shared by a page and the lecture tour.

A page and a tour step that show the same chart call the same function here, so the chart exists
once and a setting computed on one is cached for the other (keyed on scalar settings, shared by
every session).
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Mapping

import numpy as np

import rnnviz
from rnnviz import spectral as sp
from rnnviz.charts import clipping as clipping_charts
from rnnviz.charts import spectral as spectral_charts
from rnnviz.charts.nonlinearity import curves_chart, heatmap_chart, histogram_chart, step_bound_chart
from rnnviz.charts.scalar import factor_chart, gradient_chart, phase_map_chart, powers_widget, state_chart
from rnnviz.charts.spec import vega_spec
from rnnviz.charts.meanfield import decay_chart
from rnnviz.presets import View
from rnnviz.presets import meanfield as edge_views
from rnnviz.presets import nonlinearity as nl_views
from rnnviz.presets import scalar as scalar_views
from rnnviz.presets import spectral as spectral_views

from .cache import cached


def arguments(view: View, values: Mapping[str, object] | None = None) -> tuple:
    """The positional arguments of ``view.compute`` for ``values`` over the view's defaults, typed as
    the defaults are (``w = 1`` is the float 1.0 a slider gives): exactly what a page passes from a
    link with these values, so the page and the tour share one cache entry."""
    args = view.arguments(values)
    names = inspect.signature(view.compute).parameters
    return tuple(type(view.defaults[k])(args[k]) if k in view.defaults else args[k] for k in names)


#: The scalar page's phase map: w and b in steps of 0.1 over the sliders' ranges (81 × 61 cells).
W_RANGE, B_RANGE = (-4.0, 4.0), (-3.0, 3.0)


# ---------------------------------------------------------------------------- scalar page

#: One hidden unit's trajectory and gradient: the scalar view's computation (rnnviz.presets.scalar),
#: on which its presets' captions and the tour's steps are checked.
scalar_run = cached(scalar_views.VIEW.compute)


@cached
def scalar_specs(*settings) -> tuple[dict, dict, dict]:
    """Vega-Lite specs of the factor, gradient and state charts of :func:`scalar_run` at ``settings``."""
    tr = scalar_run(*settings)
    return tuple(vega_spec(c) for c in (factor_chart(tr), gradient_chart(tr), state_chart(tr)))


@cached
def phase_map_spec(u: float, kind: str, amp: float, h0: float, f: str, T: int, seed: int) -> dict:
    x = rnnviz.scalar_inputs(T, kind=kind, amplitude=amp, seed=seed)
    pm = rnnviz.scalar_phase_map(np.linspace(*W_RANGE, 81), np.linspace(*B_RANGE, 61), u=u, h0=h0, x=x,
                                 nonlinearity=f)
    return vega_spec(phase_map_chart(pm))


@cached
def powers_spec() -> dict:
    """The r^k chart with its slider (redrawn in the browser)."""
    return vega_spec(powers_widget())


# ---------------------------------------------------------------------------- nonlinearity page

@cached
def curves_spec() -> dict:
    """f and f′ of every nonlinearity, side by side."""
    return vega_spec(curves_chart())


#: An n-unit RNN's trajectory and its derivative statistics: the nonlinearity view's computation.
saturation_run = cached(nl_views.VIEW.compute)


@cached
def saturation_specs(*settings) -> tuple[dict, dict, dict]:
    """Histogram, heat map and per-step bound of :func:`saturation_run` at ``settings``."""
    stats = saturation_run(*settings).stats
    return vega_spec(histogram_chart(stats)), vega_spec(heatmap_chart(stats)), vega_spec(step_bound_chart(stats))


# ---------------------------------------------------------------------------- spectral page

def spectral_key(values: Mapping[str, object]) -> tuple:
    """The spectral page's cache key for these link values (the others at the page's defaults), as the
    page builds it from a link (no upload)."""
    settings = spectral_views.VIEW.settings(values)
    names = inspect.signature(spectral_views.setting).parameters
    return dataclasses.astuple(spectral_views.setting(**{k: settings[k] for k in names}))


@cached(max_entries=16)
def spectral_analysis(key: tuple, digest: str, _W, budget: float):
    """All spectra of one setting; an uploaded matrix is keyed by the hash of its bytes, not the array.
    ``budget`` scales the work plan (1: the page's default; more when the viewer asked for every step)."""
    return sp.spectral_analysis(sp.Setting(*key), _W, seconds=budget)


@cached(max_entries=16)
def spectral_specs(key: tuple, digest: str, _W, budget: float) -> dict:
    """The spectral page's charts of :func:`spectral_analysis` (per-step spectra, the product's spectrum,
    its growth rates and the bound chain)."""
    analysis = spectral_analysis(key, digest, _W, budget)
    return {name: vega_spec(chart) for name, chart in spectral_charts.analysis_charts(analysis).items()}


# ---------------------------------------------------------------------------- clipping page

@cached
def clipping_geometry(gx: float, gy: float, c: float, v: float):
    """One 2-D gradient g = (gx, gy) clipped by norm to c and by value to v: (g, by norm, by value, the
    norm before, the norm after value clipping, the angle turned by each clipping)."""
    g = np.array([gx, gy])
    (by_norm,), norm = rnnviz.clip_by_norm([g], c)
    (by_value,) = rnnviz.clip_by_value([g], v)
    return (g, by_norm, by_value, norm, rnnviz.total_norm([by_value]), rnnviz.gradient_angle(g, by_norm),
            rnnviz.gradient_angle(g, by_value))


@cached
def geometry_spec(gx: float, gy: float, c: float, v: float) -> dict:
    g, by_norm, by_value, _, _, a_norm, a_value = clipping_geometry(gx, gy, c, v)
    return clipping_charts.geometry_spec(g, by_norm, by_value, max_norm=c, clip_value=v,
                                         angle_norm=a_norm, angle_value=a_value)


# ---------------------------------------------------------------------------- the edge of chaos

#: The mean-field theory and the two simulated networks at one setting: the edge view's computation
#: (rnnviz.presets.meanfield), on which its presets' captions and the tour's step are checked.
edge_run = cached(edge_views.VIEW.compute)


@cached
def edge_decay_spec(*settings) -> dict:
    """The gradient-decay chart of :func:`edge_run` at ``settings``."""
    r = edge_run(*settings)
    return vega_spec(decay_chart(r.theory, r.runs))
