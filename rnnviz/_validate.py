"""Argument checks shared by every public function of the core.

Each helper raises ``ValueError`` with a sentence a student can act on: what was
wrong, what was given, and what is accepted. Nothing here is public API.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

#: Upper bounds that keep a single call bounded in time and memory.
MAX_HIDDEN = 1024
MAX_STEPS = 100_000


def as_array(
    x,
    name: str,
    *,
    ndim: int | None = None,
    shape: Sequence[int | None] | None = None,
    finite: bool = True,
    allow_empty: bool = False,
) -> np.ndarray:
    """Return ``x`` as a float64 array after checking dimension, shape and finiteness.

    ``shape`` may contain ``None`` for a free axis. The input is never modified:
    a fresh array is returned whenever conversion was needed.
    """
    if isinstance(x, (str, bytes)) or x is None or isinstance(x, bool):
        raise ValueError(f"{name} must be an array of real numbers; got {type(x).__name__}.")
    try:
        complex_values = np.iscomplexobj(x)
    except (TypeError, ValueError) as exc:  # e.g. a ragged list [[1, 2], [3]]
        raise ValueError(
            f"{name} must be a rectangular array of real numbers (every row the same length); "
            f"got {type(x).__name__}."
        ) from exc
    if complex_values:
        raise ValueError(f"{name} must hold real numbers; got complex values.")
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError, OverflowError) as exc:
        raise ValueError(f"{name} must be an array of real numbers; got {type(x).__name__}.") from exc
    if ndim is None and shape is not None:
        ndim = len(shape)
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(
            f"{name} must be a {ndim}-D array; got {arr.ndim}-D with shape {arr.shape}."
        )
    if shape is not None:
        for axis, (want, got) in enumerate(zip(shape, arr.shape)):
            if want is not None and want != got:
                raise ValueError(
                    f"{name} has shape {arr.shape}, but axis {axis} must have length {want} "
                    f"(expected shape {tuple('any' if s is None else s for s in shape)})."
                )
    if not allow_empty and arr.size == 0:
        raise ValueError(f"{name} is empty (shape {arr.shape}); it needs at least one entry.")
    if finite and not np.all(np.isfinite(arr)):
        bad = int(np.size(arr) - np.count_nonzero(np.isfinite(arr)))
        raise ValueError(f"{name} holds {bad} NaN or infinite value(s); only finite numbers are accepted.")
    return arr


def as_square(x, name: str = "W", *, max_size: int = MAX_HIDDEN) -> np.ndarray:
    """A finite, non-empty, square float64 matrix of side at most ``max_size``."""
    arr = as_array(x, name, ndim=2)
    if arr.shape[0] != arr.shape[1]:
        raise ValueError(f"{name} must be square (n × n); got shape {arr.shape}.")
    if arr.shape[0] > max_size:
        raise ValueError(f"{name} is {arr.shape[0]} × {arr.shape[0]}; at most {max_size} × {max_size} is accepted.")
    return arr


def check_int(value, name: str, *, low: int, high: int | None = None) -> int:
    """An integer in ``[low, high]`` (bool is rejected)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name} must be a whole number; got {value!r}.")
    value = int(value)
    if value < low or (high is not None and value > high):
        upper = "" if high is None else f" and at most {high}"
        raise ValueError(f"{name} must be at least {low}{upper}; got {value}.")
    return value


def check_float(
    value,
    name: str,
    *,
    low: float | None = None,
    high: float | None = None,
    strict_low: bool = False,
    allow_inf: bool = False,
) -> float:
    """A real number, finite unless ``allow_inf``, within the given bounds."""
    if isinstance(value, bool):
        raise ValueError(f"{name} must be a number; got {value!r}.")
    try:
        out = float(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a number; got {value!r}.") from exc
    if math.isnan(out) or (math.isinf(out) and not allow_inf):
        raise ValueError(f"{name} must be a finite number; got {value!r}.")
    if low is not None and (out <= low if strict_low else out < low):
        word = "greater than" if strict_low else "at least"
        raise ValueError(f"{name} must be {word} {low}; got {out}.")
    if high is not None and out > high:
        raise ValueError(f"{name} must be at most {high}; got {out}.")
    return out


def check_choice(value, name: str, choices: Sequence[str]) -> str:
    """One of ``choices``; the error lists them."""
    if value not in choices:
        raise ValueError(f"Unknown {name} {value!r}; choose one of: {', '.join(map(repr, choices))}.")
    return value


#: Seeds accepted everywhere (what np.random.default_rng takes, bounded so a link cannot pass 1e308).
MAX_SEED = 2**63 - 1


def check_seed(value, name: str = "seed") -> int:
    """A random seed: a whole number from 0 to 2**63 - 1."""
    return check_int(value, name, low=0, high=MAX_SEED)
