"""Matrix measures the pages compare: spectral norm (largest singular value) and spectral radius."""

from __future__ import annotations

import numpy as np

from ._validate import MAX_HIDDEN, as_array, as_square


def singular_values(A) -> np.ndarray:
    """Singular values of a matrix (or of each matrix in a stack), in descending order."""
    arr = as_array(A, "matrix")
    if arr.ndim < 2:
        raise ValueError(f"matrix must be at least 2-D; got shape {arr.shape}.")
    if max(arr.shape[-2:]) > MAX_HIDDEN:
        raise ValueError(
            f"matrix is {arr.shape[-2]} × {arr.shape[-1]}; at most {MAX_HIDDEN} rows and columns are accepted."
        )
    return np.linalg.svd(arr, compute_uv=False)


def spectral_norm(A) -> float:
    """``||A||_2``, the largest singular value: how much one step can stretch any vector."""
    return float(singular_values(as_square(A, "matrix"))[0])


def eigenvalues(A) -> np.ndarray:
    """Complex eigenvalues of a square matrix, sorted by decreasing modulus."""
    ev = np.linalg.eigvals(as_square(A, "matrix"))
    return ev[np.argsort(-np.abs(ev), kind="stable")]


def spectral_radius(A) -> float:
    """``rho(A) = max |lambda|``: the growth rate of ``A^k`` for large k (Gelfand)."""
    return float(np.abs(eigenvalues(A))[0])
