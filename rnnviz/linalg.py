"""Matrix measures the pages compare: spectral norm (largest singular value) and spectral radius."""

from __future__ import annotations

import numpy as np

from ._validate import MAX_HIDDEN, as_array, as_square


def _matrices(A) -> np.ndarray:
    """``A`` as a float64 matrix or stack of matrices (at least 2-D, sides at most MAX_HIDDEN)."""
    arr = as_array(A, "matrix")
    if arr.ndim < 2:
        raise ValueError(f"matrix must be at least 2-D; got shape {arr.shape}.")
    if max(arr.shape[-2:]) > MAX_HIDDEN:
        raise ValueError(
            f"matrix is {arr.shape[-2]} × {arr.shape[-1]}; at most {MAX_HIDDEN} rows and columns are accepted."
        )
    return arr


def singular_values(A) -> np.ndarray:
    """Singular values of a matrix (or of each matrix in a stack), in descending order."""
    arr = _matrices(A)
    return np.linalg.svd(arr, compute_uv=False)


def spectral_norms(A) -> np.ndarray:
    """``||A_t||_2`` (the largest singular value) of each matrix of a stack, shape ``A.shape[:-2]``.

    Computed as ``m sqrt(lambda_max(B^T B))`` with ``B = A / m`` and ``m`` the largest absolute entry
    (so the Gram matrix cannot overflow): a symmetric eigen-solve costs about half an SVD, and the
    largest eigenvalue of a positive semi-definite matrix is accurate to a few ulps (relative), so
    the norm agrees with the SVD's to ~1e-15.
    """
    arr = _matrices(A)
    m = np.abs(arr).max(axis=(-2, -1), keepdims=True)
    B = arr / np.where(m > 0, m, 1.0)
    Bt = np.swapaxes(B, -1, -2)
    gram = Bt @ B if arr.shape[-1] <= arr.shape[-2] else B @ Bt  # the smaller of the two
    top = np.linalg.eigvalsh(gram)[..., -1]
    with np.errstate(over="ignore"):  # a norm above 1.8e308 is inf, as from an SVD
        return m[..., 0, 0] * np.sqrt(np.maximum(top, 0.0))


def spectral_norm(A) -> float:
    """``||A||_2``, the largest singular value: how much one step can stretch any vector."""
    return float(spectral_norms(as_square(A, "matrix")))


def eigenvalues(A) -> np.ndarray:
    """Complex eigenvalues of a square matrix, sorted by decreasing modulus."""
    ev = np.linalg.eigvals(as_square(A, "matrix"))
    return ev[np.argsort(-np.abs(ev), kind="stable")]


def spectral_radius(A) -> float:
    """``rho(A) = max |lambda|``: the growth rate of ``A^k`` for large k (Gelfand)."""
    return float(np.abs(eigenvalues(A))[0])
