"""Altair charts built from core results (no Streamlit)."""

from .common import (
    DIVERGING_SCHEME,
    EXPLODE_COLOR,
    LOG_CEIL,
    LOG_FLOOR,
    NEUTRAL_COLOR,
    OKABE_ITO,
    SEQUENTIAL_SCHEME,
    VANISH_COLOR,
    log_safe,
    thin_indices,
)
from .scalar import (
    factor_chart,
    format_magnitude,
    gradient_chart,
    phase_map_chart,
    powers_widget,
    state_chart,
    vega_spec,
    with_marker,
)
from .nonlinearity import curves_chart, heatmap_chart, histogram_chart, step_bound_chart
from .clipping import (
    cliff_slice_chart,
    cliff_slice_spec,
    cliff_surface_chart,
    cliff_surface_spec,
    composition_chart,
    composition_spec,
    convention_table_markdown,
    descent_chart,
    descent_spec,
    geometry_chart,
    geometry_spec,
    nonfinite_chart,
    nonfinite_spec,
)
from .spectral import (
    bound_chain_chart,
    eigenvalue_chart,
    lyapunov_chart,
    product_spectrum_chart,
    step_spectra_chart,
)
from .training import (
    dh_heatmap,
    grad_norm_chart,
    loss_accuracy_chart,
    sweep_chart,
    training_live_spec,
)
