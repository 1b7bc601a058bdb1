"""Where numbers stop being finite: the lectures' NaNs, located rather than crashed on."""

from __future__ import annotations

import math

import numpy as np

#: ``ln 10``: core results keep magnitudes as natural logs (finite far beyond float64); divide by it
#: for the log10 values that pages and charts show.
LN10 = math.log(10.0)


def log10_of(log_e):
    """log10 of a magnitude given as its natural log (a float or an array; ±inf and NaN pass through)."""
    return np.asarray(log_e, dtype=float) / LN10 if np.ndim(log_e) else float(log_e) / LN10


def first_nonfinite(values) -> int | None:
    """Index along axis 0 of the first entry (or row) holding inf or NaN; ``None`` if all finite.

    An empty array has no such entry (``None``). Anything that is not an array of real numbers
    raises ``ValueError``.
    """
    if isinstance(values, (str, bytes)) or values is None:
        raise ValueError(f"values must be an array of numbers; got {type(values).__name__}.")
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            "values must be a (rectangular) array of real numbers; "
            f"could not read it as one ({exc})."
        ) from exc
    if arr.ndim == 0:
        return None if np.isfinite(arr) else 0
    if arr.shape[0] == 0:
        return None
    bad = ~np.isfinite(arr.reshape(arr.shape[0], -1)).all(axis=1)
    hits = np.flatnonzero(bad)
    return int(hits[0]) if hits.size else None
