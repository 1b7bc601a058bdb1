"""rnnviz: the mathematics of vanishing and exploding gradients in recurrent networks.

A pure NumPy/SciPy library (no Streamlit, no I/O): arrays in, arrays or small
frozen dataclasses out. The Streamlit app is built on top of it, but a notebook
can use it directly::

    import rnnviz
    W = rnnviz.init_recurrent(64, scheme="gaussian", scale=1.0, seed=0)
"""

from .linalg import eigenvalues, singular_values, spectral_norm, spectral_radius
from .nonlinearities import NONLINEARITIES, Nonlinearity, get_nonlinearity
from .numerics import first_nonfinite
from .rnn import INIT_SCHEMES, Gradients, Trajectory, bptt, forward, init_recurrent, step_jacobians
from .clipping import (
    CLIPPING_CONVENTIONS,
    CONVENTION_KEYS,
    ClipConvention,
    ClipOutcome,
    apply_convention,
    clip_by_norm,
    clip_by_value,
    get_convention,
    gradient_angle,
    keras_clipnorm,
    keras_clipvalue,
    keras_global_clipnorm,
    tf_clip_by_global_norm,
    total_norm,
)
from .scalar import (
    INPUT_KINDS,
    NaiveProductBreak,
    PhaseMap,
    ScalarTrajectory,
    scalar_inputs,
    scalar_phase_map,
    scalar_trajectory,
)
from .saturation import (
    SATURATION_THRESHOLD,
    DerivativeStats,
    PascanuCheck,
    SaturatedRegion,
    SaturationRun,
    derivative_stats,
    log_abs_derivative,
    pascanu_check,
    saturated_intervals,
    saturation_run,
)

__all__ = [
    "eigenvalues",
    "first_nonfinite",
    "singular_values",
    "spectral_norm",
    "spectral_radius",
    "NONLINEARITIES",
    "Nonlinearity",
    "get_nonlinearity",
    "INIT_SCHEMES",
    "Gradients",
    "Trajectory",
    "bptt",
    "forward",
    "init_recurrent",
    "step_jacobians",
    "CLIPPING_CONVENTIONS",
    "CONVENTION_KEYS",
    "ClipConvention",
    "ClipOutcome",
    "apply_convention",
    "clip_by_norm",
    "clip_by_value",
    "get_convention",
    "gradient_angle",
    "keras_clipnorm",
    "keras_clipvalue",
    "keras_global_clipnorm",
    "tf_clip_by_global_norm",
    "total_norm",
    "INPUT_KINDS",
    "NaiveProductBreak",
    "PhaseMap",
    "ScalarTrajectory",
    "scalar_inputs",
    "scalar_phase_map",
    "scalar_trajectory",
    "SATURATION_THRESHOLD",
    "DerivativeStats",
    "PascanuCheck",
    "SaturatedRegion",
    "SaturationRun",
    "derivative_stats",
    "log_abs_derivative",
    "pascanu_check",
    "saturated_intervals",
    "saturation_run",
]
