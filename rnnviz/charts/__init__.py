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
