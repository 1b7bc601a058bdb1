"""Where numbers stop being finite: the lectures' NaNs, located rather than crashed on."""

from __future__ import annotations

import numpy as np


def first_nonfinite(values) -> int | None:
    """Index along axis 0 of the first entry (or row) holding inf or NaN; ``None`` if all finite."""
    arr = np.asarray(values)
    if arr.ndim == 0:
        return None if np.isfinite(arr) else 0
    bad = ~np.isfinite(arr.reshape(arr.shape[0], -1)).all(axis=1)
    hits = np.flatnonzero(bad)
    return int(hits[0]) if hits.size else None
