"""Singular values of long products of step Jacobians, and Lyapunov exponents.

The gradient that reaches step k from step T is multiplied by ``dh_T/dh_k = J_T J_{T-1} ... J_{k+1}``.
Its singular values say by how much each direction is stretched (exploding) or squashed
(vanishing). Over thousands of steps they leave the range of float64 (1e-308 .. 1e308), so the
explicit product cannot simply be formed; this module keeps every quantity in range.

Method
------
Rows are computed going backwards from k = T (row T is the identity).

*While the products stay well conditioned* (condition number at most 1e3, no exact zeros), the
explicit product ``P_{k-1} = P_k J_k`` is carried, rescaled by a power of two after each step (an
exact operation), and a batched SVD of these products gives the rows: every singular value is
then within 1e-3 of the largest, where a float64 SVD is exact. Orthogonal and near-orthogonal
networks never leave this phase.

*Then* (a graded QR of the product, after Benettin et al. 1980 and Stewart 1995), starting from the
QR of the last well-conditioned product, keep the QR factorisation of the transposed product
``P_k^T = J_{k+1}^T ... J_T^T = Q_k R_k`` (``Q_k`` orthonormal, ``R_k`` upper triangular) with one
QR per step: ``J_k^T Q_k = Q_{k-1} r_k`` and ``R_{k-1} = r_k R_k``. ``R_k`` has exactly the singular
values of ``P_k``. It is stored *graded*: ``R_k = diag(2^E_k) R̃_k`` with integer exponents ``E_k``
and rows ``R̃_k`` of moderate norm (their log-norms ``L_k`` are kept too), so nothing overflows or
underflows however long the product is. The update ``r_k R_k`` scales the entries of ``r_k`` by
exact powers of two ``2^(E_j - q_i)`` (``2^q_i`` bounds the rows that meet in row i), written
straight into the bits of a float64: no rounding, and no n × n ``exp`` per step.

Row k of the result is read off ``R_k`` in two ways:

1. an SVD of ``diag(exp(L - max L)) R̃`` (the rows of ``R_k`` scaled to the largest; rows smaller
   than 1e-40 of the largest are left out, which moves no singular value above 1e-12 of the
   largest by more than 1e-30 relative). Singular values at least ``SVD_CUTOFF`` = 1e-12 of the
   largest are taken from it: they are as exact as a float64 SVD (checked against an SVD of the
   explicit product wherever that product is representable).
2. below that cutoff a single SVD is swamped by rounding, so the rows, sorted by size, are
   orthogonalised in turn (an LQ factorisation of the unit rows ``R̃ = L̃ Q̃``, done in float64
   without any range problem): ``log σ_i ≈ L_(i) + log |L̃_ii|`` is the log-volume each row adds.
   For a strongly graded ``R`` (what long products produce: the rows separate exponentially) this is
   exact up to terms of the order of the ratios σ_{i+1}/σ_i; in clusters of nearly equal small values it is exact for
   their product. It carries no offset that grows with T, so ``row_0 / T`` converges to the
   Lyapunov exponents (Benettin's ``Σ log |diag r_t|`` would carry a constant offset per index).

Saturated units: a step whose rows differ in size by more than 1e8 (``diag(f'(a)) W`` with some
``f'`` tiny) would lose its small directions to round-off in a single QR, so it is taken apart
first: ``diag(rho) Q`` (rows sorted, largest first, for which Householder QR is accurate row by
row), then ``Ĵ^T`` with unit rows. What float64 still cannot resolve is a *single* Jacobian that is
itself singular to working precision in a direction no row scaling exposes (a W with condition
number above ~1e16): there the small values sit at round-off level, far below the exact band.

A singular value is ``-inf`` only when it is exactly zero: when some step Jacobian in the product
has whole rows or columns of exact zeros (dead ReLU units, zero derivatives, a zero row of W),
which forces that many zero singular values, or when the recursion produces exact zeros. Products of
singular (but not structurally zero) matrices give very negative finite values, the best float64
can say.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.linalg import blas, lapack
from scipy.special import digamma

from ._validate import MAX_HIDDEN, MAX_STEPS, as_array, as_square, check_float, check_int
from .nonlinearities import get_nonlinearity

_LAPACK = (lapack.dgeqrf, lapack.dormqr, blas.dtrmm)
_LN2 = float(np.log(2.0))
_INV_LN2 = 1.0 / _LN2
#: Power-of-two exponent of an exact zero row of the graded triangle (every factor 2^(it - q) is 0).
_ZERO_EXP = -(1 << 40)
try:  # the ufunc itself: np.clip's Python wrapper costs more than the work it does here
    _clip = np._core.umath.clip
except AttributeError:  # a private path; any NumPy without it still has the (slower) public one
    _clip = np.clip

#: Relative size (to the largest) below which singular values come from the graded (LQ) estimates.
SVD_CUTOFF = 1e-12
_LOG_CUTOFF = float(np.log(SVD_CUTOFF))
#: Rows of the graded triangle smaller than this (relative) are left out of the SVD.
_LOG_DROP = float(np.log(1e-40))
#: While every product so far has condition number below this, the explicit product (rescaled by
#: powers of two, which is exact) is used: its SVD is then exact for every singular value.
_EXPLICIT_MAX_COND = 1e3
#: A step whose (non-zero) rows differ in size by more than this factor is taken apart before its
#: QR (saturated units), so that its small directions are not lost to round-off.
_ROW_SPREAD = 1e-8
#: Memory budget (bytes) for the stack of matrices handed to one batched SVD.
_CHUNK_BYTES = 32 * 2**20
#: Memory budget (bytes) for one stretch of Jacobians built on demand (chunked_log_singular_values).
_STRETCH_BYTES = 8 * 2**20


def _check_jacobians(jacobians) -> np.ndarray:
    J = as_array(jacobians, "jacobians", allow_empty=True, finite=False)
    if J.ndim != 3 or J.shape[1] != J.shape[2]:
        raise ValueError(
            f"jacobians must be a stack of square matrices with shape (T, n, n); got shape {J.shape}."
        )
    T, n = J.shape[0], J.shape[1]
    if T == 0:
        raise ValueError("jacobians holds T = 0 matrices; a product needs at least one step.")
    if n == 0:
        raise ValueError("jacobians are 0 × 0 matrices; at least one hidden unit is needed.")
    if T > MAX_STEPS or n > MAX_HIDDEN:
        raise ValueError(
            f"jacobians has shape {J.shape}; at most {MAX_STEPS} steps of {MAX_HIDDEN} × {MAX_HIDDEN} are accepted."
        )
    return J


def _scan_checked(J: np.ndarray, offset: int = 0) -> tuple[np.ndarray, np.ndarray, bool]:
    """:func:`_scan` of a stack from :func:`_check_jacobians`, refusing NaN or infinite entries
    (the largest absolute entry of a row is finite exactly when the whole row is). ``offset``: the
    index of ``J[0]`` in the whole product, for the message."""
    zeros, row_max, monomial = _scan(J)
    finite_steps = np.isfinite(row_max).all(axis=1)
    if not finite_steps.all():
        t = offset + int(np.flatnonzero(~finite_steps)[0])
        raise ValueError(
            f"jacobians[{t}] (the Jacobian J_{t + 1} of step {t + 1}) holds NaN or infinite values; "
            f"products are only defined for finite Jacobians (the forward pass probably overflowed)."
        )
    return zeros, row_max, monomial


def _scan(J: np.ndarray) -> tuple[np.ndarray, np.ndarray, bool]:
    """One pass over a (T, n, n) stack: per matrix, the exact zero singular values forced by whole
    zero rows or columns (T,); the largest absolute entry of each row (T, n), NaN where the row
    holds a NaN; and whether every matrix is monomial (at most one non-zero per row and column).

    Dense stretches (no zero entry anywhere, the usual case) are settled by the smallest entry
    alone: no zero rows or columns, and not monomial (n > 1)."""
    T, n = J.shape[0], J.shape[1]
    zeros = np.zeros(T, dtype=np.int64)
    row_max = np.empty((T, n))
    monomial = True
    step = max(1, _CHUNK_BYTES // (8 * n * n))
    for s in range(0, T, step):
        mag = np.abs(J[s:s + step])
        row_max[s:s + step] = mag.max(axis=2)
        if n > 1 and mag.min() > 0:
            monomial = False
            continue
        nz = mag != 0
        rows, cols = nz.sum(axis=2), nz.sum(axis=1)
        zeros[s:s + step] = np.maximum(n - (rows > 0).sum(axis=1), n - (cols > 0).sum(axis=1))
        monomial = monomial and bool((rows <= 1).all() and (cols <= 1).all())
    return zeros, row_max, monomial


def _structural_zeros_factored(W: np.ndarray, d: np.ndarray) -> np.ndarray:
    """As :func:`_scan`'s zero count for ``J_t = diag(d_t) W`` without forming the stack."""
    n = W.shape[0]
    alive = (d != 0) & (W != 0).any(axis=1)[None, :]  # rows of J_t that are not all zero
    live_cols = (alive.astype(np.float64) @ (W != 0).astype(np.float64)) > 0
    return np.maximum(n - alive.sum(axis=1), n - live_cols.sum(axis=1))


def _combine(svd_log: np.ndarray, est_log: np.ndarray, zeros: np.ndarray) -> np.ndarray:
    """Merge SVD values (exact above the cutoff) with graded estimates (below), a chunk of rows at once.

    ``svd_log`` (C, m) descending absolute logs from the SVD; ``est_log`` (C, n) the graded-LQ
    log-volume increments, rows taken largest first; ``zeros`` (C,) the number of exact zeros.
    The first estimated value is chosen so that the running sum of logs matches the log-volume of
    the leading rows (exact for a cluster that straddles the cutoff). Returns (C, n) descending.
    """
    C, n = est_log.shape
    m = svd_log.shape[1]
    top = svd_log[:, :1]
    pos = np.arange(n)[None, :]
    rows = np.arange(C)
    with np.errstate(invalid="ignore"):
        svd_full = np.full((C, n), -np.inf)
        svd_full[:, :m] = svd_log
        trusted = (svd_full >= top + _LOG_CUTOFF) & (pos < n - zeros[:, None]) & np.isfinite(top)
        p = trusted.sum(axis=1)
        est = est_log.copy()
        inside = p < n
        if inside.any() and (p[inside] > 0).any():
            cum_lq = np.cumsum(est_log, axis=1)
            cum_svd = np.cumsum(np.where(trusted, svd_full, 0.0), axis=1)
            r, q = rows[inside & (p > 0)], p[inside & (p > 0)]
            est[r, q] = cum_lq[r, q] - cum_svd[r, q - 1]
        est[pos < p[:, None]] = np.inf  # the leading rows' increments are the trusted values
        est = np.minimum(-np.sort(-est, axis=1), top + _LOG_CUTOFF)
    out = np.where(trusted, svd_full, est)
    out[pos >= n - zeros[:, None]] = -np.inf
    # an all-zero product (largest row -inf) has only zero singular values
    out[~np.isfinite(top[:, 0])] = -np.inf
    return out


def _explicit_phase(T, n, get_J, zeros, max_abs, out):
    """Rows T, T-1, ... from the explicit product, for as long as it stays well conditioned.

    ``P_{k-1} = P_k J_k`` is rescaled by a power of two after each step (exact), and the products
    are handed to a batched SVD in growing chunks. Rows whose product has condition number at most
    ``_EXPLICIT_MAX_COND`` (and no exact zeros) are final: every singular value is then within
    1e-3 of the largest, where a float64 SVD is exact. Returns ``(k, P_k, log_scale)`` for the last
    such row; the graded sweep takes over from there. (An orthogonal or near-orthogonal network
    never leaves this phase, and costs no more than the naive chain plus SVD.)
    """
    k, P, log_scale = T, np.eye(n), 0.0
    size = 16
    ln2 = float(np.log(2.0))
    while k > 0:
        m = min(size, k)
        stack = np.empty((m, n, n))
        scales = np.empty(m)
        Pc, sc, made = P, log_scale, 0
        for i in range(m):
            t = k - i  # apply J_t, giving row t - 1
            if zeros[t - 1] > 0 or not (1e-100 < max_abs[t - 1] < 1e100):
                break
            Pc = Pc @ get_J(t)
            mx = np.abs(Pc).max()
            if not 0.0 < mx < np.inf:
                break
            f = int(np.frexp(mx)[1])
            if f:
                Pc *= 2.0 ** -f
                sc += f * ln2
            stack[i], scales[i] = Pc, sc
            made += 1
        if made == 0:
            break
        sv = np.linalg.svd(stack[:made], compute_uv=False)
        good = sv[:, -1] >= sv[:, 0] / _EXPLICIT_MAX_COND
        nb = made if good.all() else int(np.argmin(good))
        if nb:
            out[k - nb:k] = (np.log(sv[:nb]) + scales[:nb, None])[::-1]
            P, log_scale = stack[nb - 1], float(scales[nb - 1])
            k -= nb
        if nb < m:
            break
        size = min(2 * size, 256)
    return k, P, log_scale


def _sweep(T: int, n: int, get_J, zeros_per_step: np.ndarray, row_max: np.ndarray, *,
           all_rows: bool = True) -> np.ndarray:
    """The graded-QR sweep shared by every public function (see the module docstring).

    ``get_J(t)`` returns ``J_t`` for t = 1..T; ``zeros_per_step[t-1]`` is the number of exact zero
    singular values ``J_t`` forces (:func:`_scan`) and ``row_max[t-1]`` the largest
    absolute entry of each of its rows (every entry of ``r_t`` is at most ``n`` times the largest,
    so dividing by it keeps the update far from overflow and underflow whatever the scale of the
    Jacobians; rows of very different sizes take the two-QR step). Returns
    (T+1, n) rows, or only row 0 as (1, n) when ``all_rows`` is False.

    State after step k (product ``P_{k-1}^T = Q R``): ``Q`` kept as LAPACK Householder reflectors
    (``hh``, ``tau``: applying them costs less than forming Q); ``R = diag(2^Ec) Rr`` with
    integer exponents ``Ec``, ``nrm`` the row norms of ``Rr`` and ``L = Ec log 2 + log(nrm)`` the
    log row norms of ``R``.
    """
    if n == 1:  # scalars: the log of a product is the sum of the logs, exactly and at once
        with np.errstate(divide="ignore"):
            logs = np.log(np.abs(np.array([get_J(t)[0, 0] for t in range(1, T + 1)])))
        rows = np.append(np.cumsum(logs[::-1])[::-1], 0.0)[:, None]
        return rows if all_rows else rows[:1]
    out = np.empty((T + 1 if all_rows else 1, n))
    if all_rows:
        out[T] = 0.0
    # zeros[k] = exact zeros of the product J_T ... J_{k+1} (a product can only lose rank)
    zeros = np.maximum.accumulate(np.asarray(zeros_per_step, dtype=np.int64)[::-1])[::-1]
    max_abs = row_max.max(axis=1)
    max_abs = np.where(max_abs > 0, max_abs, 1.0)
    log_max_abs = np.log(max_abs)
    with np.errstate(divide="ignore", invalid="ignore"):
        smallest = np.where(row_max > 0, row_max, np.inf).min(axis=1)
        split = smallest < _ROW_SPREAD * row_max.max(axis=1)
    geqrf, ormqr, trmm = _LAPACK
    lwork = max(64 * n, 1)
    hh = tau = None
    Rr = np.eye(n, order="F")
    nrm = np.ones(n)
    L = np.zeros(n)
    Ec = np.zeros(n, dtype=np.int64)
    # small chunks, so that the number of rows going into each SVD follows the spread closely
    chunk = max(1, min(T, 256, _CHUNK_BYTES // (8 * n * n))) if all_rows else 1
    buf_S = np.empty((chunk, n, n))
    buf_L = np.empty((chunk, n))
    buf_nrm = np.empty((chunk, n))
    k_start = T
    if all_rows:
        k_start, P, log_scale = _explicit_phase(T, n, get_J, zeros, max_abs, out)
        if k_start == 0:
            return out
        if k_start < T:  # start the graded state from the QR of P_k^T (well conditioned)
            hh, tau, _, _ = geqrf(np.array(P.T, order="F"), lwork=lwork)
            Rr, nrm, Ec, L = _regrade(np.triu(hh), np.full(n, log_scale))
    first = k_start - 1  # output row held in buffer slot 0
    filled = 0
    X = np.empty((n, n), dtype=np.int64, order="F")  # the update's factors, built in place

    with np.errstate(over="ignore", under="ignore", divide="ignore", invalid="ignore"):
        def update(h, log_scale):
            """R <- exp(log_scale) * triu(h) @ R, on the graded state (L, Ec, Rr, nrm).

            ``R = diag(2^Ec) Rr`` with integer exponents ``Ec``; the rows of ``Rr`` have norms
            ``nrm`` and R's rows log norms ``L = Ec log 2 + log nrm`` (-inf: an exact zero row).
            Row i = sum_{j>=i} r_ij 2^{Ec_j} Rr_j. Factor 2^{q_i} out of row i, with q_i the
            smallest integer such that 2^{q_i} >= |R_j| for all j >= i, so every term has norm
            <= |r_ij|: no overflow. The factors 2^{Ec_j - q_i} are exact powers of two, built from
            their bits (an integer subtraction per entry instead of an exp); those below 2^-1022
            are negligible terms (every kept row has norm > 1e-200) and are set to exactly 0.
            trmm reads only the upper triangle of h (j >= i). A row that comes out tiny is redone
            in the log domain.
            """
            nonlocal L, Ec, Rr, nrm
            q = np.maximum.accumulate(L[::-1])[::-1]
            q *= _INV_LN2
            np.ceil(q, out=q)
            if q[-1] == -np.inf:  # exact zero rows at the bottom: nothing to factor out there
                q[np.isneginf(q)] = 0.0
            qi = q.astype(np.int64)
            # biased exponent field 1023 + Ec_j - q_i, clipped to [0, 2046] (0 is exactly 0.0)
            np.subtract((Ec + 1023)[None, :], qi[:, None], out=X)
            _clip(X, 0, 2046, out=X)
            np.left_shift(X, 52, out=X)
            D = X.view(np.float64)
            D *= h
            x = log_scale * _INV_LN2
            whole = math.floor(x)
            Rn = trmm(2.0 ** (x - whole), D, Rr)
            new_nrm = np.sqrt(np.einsum("ij,ij->i", Rn, Rn))
            if new_nrm.min() > 1e-200 and new_nrm.max() < 1e200:
                Rr, nrm = Rn, new_nrm
                Ec = qi
                Ec += whole
                L = Ec * _LN2
                L += np.log(nrm)
                return
            # a row came out tiny, zero or huge: exact zero rows are fine as they are; anything
            # else is redone in the log domain, where nothing can underflow
            r = np.triu(h)
            exact_zero = ~((r != 0) & np.isfinite(L)[None, :]).any(axis=1)
            if (~((new_nrm > 1e-200) & (new_nrm < 1e200)) & ~exact_zero).any():
                Rn, _, s = _exact_update(r, L, Rr, nrm)
                Rr, nrm, Ec, L = _regrade(Rn, s + log_scale)
            else:  # Rn already holds the fractional part of the scale
                Rr, nrm, Ec, L = _regrade(Rn, (q + whole) * _LN2)

        for k in range(k_start, 0, -1):
            if split[k - 1]:
                # Rows of J_k of very different size (saturated units): one QR of J_k^T Q would
                # lose the small ones to round-off. Write J = diag(rho) Ĵ (rho: row sizes) and
                # take diag(rho) Q apart first, rows sorted largest first (Householder QR is then
                # accurate row by row): diag(rho) Q = P^T Q1 R1, then Ĵ^T P^T Q1 = Q2 R2, so
                # J^T Q = Q2 (R2 R1).
                rho = row_max[k - 1]
                top = rho.max()
                order = np.argsort(-rho, kind="stable")
                Dg = np.diag(rho / top)
                B = Dg if hh is None else ormqr(b"R", b"N", hh, tau, np.asfortranarray(Dg), lwork)[0]
                B = B[order]
                h1, t1, _, _ = geqrf(np.asfortranarray(B), lwork=lwork, overwrite_a=1)
                Jhat = get_J(k) / np.where(rho > 0, rho, 1.0)[:, None]
                C = ormqr(b"R", b"N", h1, t1, np.asfortranarray(Jhat.T[:, order]), lwork)[0]
                mc = np.abs(C).max()
                mc = mc if mc > 0 else 1.0
                C /= mc
                hh, tau, _, _ = geqrf(C, lwork=lwork, overwrite_a=1)
                update(h1, np.log(top))
                update(hh, np.log(mc))
            else:
                JT = get_J(k).T
                # A = J_k^T Q_k; one QR: A = Q_{k-1} r_k
                if hh is None:
                    A = np.array(JT, order="F")
                else:
                    A = ormqr(b"R", b"N", hh, tau, JT, lwork)[0]
                # divide by m = max |J_k| (so |A_ij| <= n): the QR cannot overflow, and the graded
                # update sees O(1) numbers; log m goes into the row shifts
                A /= max_abs[k - 1]
                hh, tau, _, _ = geqrf(A, lwork=lwork, overwrite_a=1)
                update(hh, log_max_abs[k - 1])
            if all_rows or k == 1:
                buf_S[filled] = Rr
                buf_L[filled] = L
                buf_nrm[filled] = nrm
                filled += 1
                if filled == chunk or k == 1:
                    rows = _chunk_rows(buf_S[:filled], buf_L[:filled], buf_nrm[:filled],
                                       zeros[first - filled + 1:first + 1][::-1])
                    if all_rows:
                        out[first - filled + 1:first + 1] = rows[::-1]
                    else:
                        out[0] = rows[-1]
                    first -= filled
                    filled = 0
            else:
                first -= 1
    return out


def _exact_update(r, L, Rr, nrm):
    """``r diag(exp(L)/nrm) Rr`` in the log domain: each row's largest term is factored out.

    Returns ``(rows, row_norms, shift)``: row i of the product is ``exp(shift_i) * rows[i]``. Used when
    the fast update would lose a row to underflow (rows of R more than ~1e-200 apart in a way the
    fast path cannot scale) and for exact zero rows, which stay exactly zero.
    """
    with np.errstate(divide="ignore", invalid="ignore", under="ignore", over="ignore"):
        E = np.log(np.abs(r)) + L[None, :]
        c = E.max(axis=1)
        c[~np.isfinite(c)] = 0.0
        G = np.copysign(np.exp(E - c[:, None]), r)
        # unit rows, so that every term has norm <= 1 and the new rows have norms of order one
        Rn = np.asfortranarray(G @ (Rr / nrm[:, None]))
        row = np.sqrt(np.einsum("ij,ij->i", Rn, Rn))
    return Rn, row, c


def _regrade(rows, shift):
    """The graded state ``(Rr, nrm, Ec, L)`` of the matrix whose row i is ``exp(shift_i) * rows[i]``.

    Shifts become integer powers of two ``Ec`` (the rest of each shift, a factor in (1/2, 1],
    goes into the row); exact zero rows get ``Ec`` far below any real row and ``L = -inf``, so
    they contribute exactly nothing from then on.
    """
    x = shift * _INV_LN2
    Ec = np.ceil(x)
    Rr = np.asfortranarray(rows * np.exp2(x - Ec)[:, None])
    nrm = np.sqrt(np.einsum("ij,ij->i", Rr, Rr))
    zero = nrm == 0
    Ec = Ec.astype(np.int64)
    Ec[zero] = _ZERO_EXP
    nrm[zero] = 1.0
    L = Ec * _LN2 + np.log(nrm)
    L[zero] = -np.inf
    return Rr, nrm, Ec, L


def _chunk_rows(S_stack, L, nrm, zeros) -> np.ndarray:
    """Rows of the result from a chunk of graded triangles ``R = diag(exp(L) / nrm) S``.

    A row whose triangle has rows within 1e-40 of the largest only (no spread) goes to the SVD as
    it is; an LQ of its unit rows is done only if it has values below the cutoff. Every other row
    has its rows sorted largest first and made unit: one LQ ``L̃ Q̃`` of them gives the graded
    estimates (its diagonal) and, in its leading ``keep × keep`` block (``keep``: the rows within
    1e-40 of the largest), a small triangle with the same leading singular values for the SVD.
    Those SVDs are batched by ``keep`` rounded up to a multiple of 4, so that a few rows without
    spread do not make the whole chunk pay for full-size SVDs.
    """
    count, n = L.shape
    Lmax = L.max(axis=1)
    ok = np.isfinite(Lmax)
    shift = np.where(ok, Lmax, 0.0)
    rel = L - shift[:, None]
    est_log = np.full((count, n), -np.inf)
    svd_log = np.full((count, n), -np.inf)
    keep = np.maximum(1, (rel >= _LOG_DROP).sum(axis=1))
    full = keep == n

    def graded_lq(rows):
        """Sorted unit rows of the chosen triangles, their LQ (lower triangle of ``h``: L̃), the
        sorted relative log norms and the graded estimates."""
        L_rel = rel[rows]
        order = np.argsort(-L_rel, axis=1, kind="stable")
        flat = (order + (rows * n)[:, None]).ravel()  # one gather: the chosen triangles, rows sorted
        U = S_stack.reshape(-1, n)[flat].reshape(rows.size, n, n)
        U /= np.take_along_axis(nrm[rows], order, axis=1)[:, :, None]
        L_rel = np.take_along_axis(L_rel, order, axis=1)
        h, _ = np.linalg.qr(U.transpose(0, 2, 1), mode="raw")
        est = np.log(np.abs(np.diagonal(h, axis1=1, axis2=2))) + L_rel + shift[rows, None]
        return h, L_rel, est

    with np.errstate(under="ignore", divide="ignore", invalid="ignore"):
        if full.any():  # no spread: the order of the rows does not matter to the SVD
            sv = np.linalg.svd(S_stack[full] * (np.exp(rel[full]) / nrm[full])[:, :, None], compute_uv=False)
            svd_log[full] = np.log(sv) + shift[full, None]
            need = np.flatnonzero(full & ok & (svd_log[:, -1] < svd_log[:, 0] + _LOG_CUTOFF))
            if need.size:
                est_log[need] = graded_lq(need)[2]
        spread = np.flatnonzero(~full)
        if spread.size:
            h, L_rel, est_log[spread] = graded_lq(spread)
            width = np.minimum(n, -(-keep[spread] // 4) * 4)
            for w in np.unique(width):
                sel = np.flatnonzero(width == w)
                small = np.tril(h[sel, :w, :w]) * np.exp(L_rel[sel, :w])[:, :, None]
                sv = np.linalg.svd(small, compute_uv=False)
                svd_log[spread[sel], :w] = np.log(sv) + shift[spread[sel], None]
        svd_log[~ok] = -np.inf
    est_log[~ok] = -np.inf
    return _combine(svd_log, est_log, zeros)


def _monomial_rows(T: int, n: int, get_J, *, all_rows: bool = True) -> np.ndarray:
    """Exact rows for products of monomial matrices (permutation times diagonal, e.g. identity W).

    Such a product stays monomial, so its singular values are the magnitudes of its entries:
    tracked here as logs along the permutation, exactly (no rounding can create the fill-in
    that the QR sweep would amplify). Row i of ``P_k`` holds its entry in column ``cols[i]``.
    """
    out = np.zeros((T + 1, n) if all_rows else (1, n))
    logs = np.zeros(n)
    cols = np.arange(n)
    idx = np.arange(n)
    for k in range(T, 0, -1):
        Jk = get_J(k)
        picked = Jk[cols]                       # the rows of J_k that P_k's rows pick up
        nxt = np.argmax(picked != 0, axis=1)    # where each picked row has its entry
        val = np.abs(picked[idx, nxt])
        with np.errstate(divide="ignore"):
            logs = logs + np.log(val)           # an all-zero row gives -inf, exactly zero
        cols = nxt
        if all_rows:
            out[k - 1] = np.sort(logs)[::-1]
    if not all_rows:
        out[0] = np.sort(logs)[::-1]
    return out


def product_log_singular_values(jacobians) -> np.ndarray:
    """Natural logs of the singular values of every gradient path ``dh_T/dh_k``, k = 0..T.

    ``jacobians`` has shape (T, n, n), entry ``t-1`` being ``J_t`` (as from :func:`step_jacobians`).
    Returns shape (T+1, n): row k holds log σ_1 ≥ ... ≥ log σ_n of ``J_T ... J_{k+1}``; row T is all
    zeros (the identity). Stays finite for any T (no explicit product is formed). Singular values at
    least 1e-12 of the largest are those of an exact SVD; smaller ones are Benettin QR estimates whose
    growth rates converge to the Lyapunov exponents. ``-inf`` marks exact zeros only (see the module
    docstring for the method).
    """
    J = _check_jacobians(jacobians)
    T, n = J.shape[0], J.shape[1]
    zeros, row_max, monomial = _scan_checked(J)
    if monomial:
        return _monomial_rows(T, n, lambda t: J[t - 1])
    return _sweep(T, n, lambda t: J[t - 1], zeros, row_max)


def trajectory_log_singular_values(W, a, nonlinearity: str = "tanh") -> np.ndarray:
    """:func:`product_log_singular_values` of the step Jacobians ``diag(f'(a_t)) W`` of a trajectory.

    Same result as ``product_log_singular_values(step_jacobians(W, a, nonlinearity))`` but never
    holds the (T, n, n) stack in memory (n = 256, T = 10,000 would need 5 GB): each ``J_t`` is built
    when needed. ``a`` is ``Trajectory.a`` of an unbatched run, shape (T, n).
    """
    W, d = _factored(W, a, nonlinearity)
    if _scan(W[None])[2]:  # identity, diagonal or permutation W: every J_t is monomial too
        return _monomial_rows(d.shape[0], W.shape[0], lambda t: d[t - 1][:, None] * W)
    return _sweep(d.shape[0], W.shape[0], lambda t: d[t - 1][:, None] * W, _structural_zeros_factored(W, d),
                  np.abs(d) * np.abs(W).max(axis=1)[None, :])


def chunked_log_singular_values(T: int, n: int, jacobians_of) -> np.ndarray:
    """:func:`product_log_singular_values` of T Jacobians that are built a stretch at a time.

    ``jacobians_of(start, stop)`` returns ``J_{start+1} .. J_{stop}`` as a (stop − start, n, n) array
    (e.g. ``gru_step_jacobians(params, trajectory.window(start, stop))``). The stretches are at
    most ``_STRETCH_BYTES`` each and every one is built twice (a scan for zeros and row sizes, then
    the sweep, which goes backwards and keeps one stretch), so the (T, n, n) stack is never in
    memory: a GRU of n = 64 over 10,000 steps needs 8 MB at a time instead of 330 MB.
    """
    T = check_int(T, "T (the number of steps)", low=1, high=MAX_STEPS)
    n = check_int(n, "n (the matrix size)", low=1, high=MAX_HIDDEN)
    if not callable(jacobians_of):
        raise ValueError(f"jacobians_of must be a function (start, stop) -> Jacobians; got {type(jacobians_of).__name__}.")
    step = max(1, _STRETCH_BYTES // (8 * n * n))
    starts = range(0, T, step)

    def stretch(s: int) -> np.ndarray:
        e = min(T, s + step)
        J = as_array(jacobians_of(s, e), f"jacobians_of({s}, {e})", finite=False)
        if J.shape != (e - s, n, n):
            raise ValueError(f"jacobians_of({s}, {e}) must give shape {(e - s, n, n)}; got {J.shape}.")
        return J

    zeros = np.empty(T, dtype=np.int64)
    row_max = np.empty((T, n))
    monomial = True
    for s in starts:
        z, m, mono = _scan_checked(stretch(s), s)
        zeros[s:s + step], row_max[s:s + step], monomial = z, m, monomial and mono
    held: dict[int, np.ndarray] = {}

    def get_J(t: int) -> np.ndarray:
        s = (t - 1) // step * step
        if s not in held:
            held.clear()
            held[s] = stretch(s)
        return held[s][t - 1 - s]

    if monomial:
        return _monomial_rows(T, n, get_J)
    return _sweep(T, n, get_J, zeros, row_max)


def _factored(W, a, nonlinearity):
    W = as_square(W, "W")
    n = W.shape[0]
    nl = get_nonlinearity(nonlinearity)
    a = as_array(a, "a (the pre-activations)", allow_empty=True, finite=False)
    if a.ndim != 2 or a.shape[1] != n:
        raise ValueError(f"a must have shape (T, n) = (T, {n}); got {a.shape}.")
    if a.shape[0] == 0:
        raise ValueError("a has T = 0 steps; a product needs at least one step.")
    if a.shape[0] > MAX_STEPS:
        raise ValueError(f"a has T = {a.shape[0]} steps; at most {MAX_STEPS} are accepted.")
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        d = nl.df(a)
    bad = ~np.isfinite(d).all(axis=1)
    if bad.any():
        t = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"a[{t}] (step {t + 1}) holds NaN, so J_{t + 1} is undefined; products are only defined "
            f"for finite Jacobians (the forward pass overflowed)."
        )
    return W, d


def lyapunov_exponents(jacobians) -> np.ndarray:
    """Growth rates ``log σ_i(J_T ... J_1) / T``, descending, shape (n,).

    For long products these are the Lyapunov exponents: the average log-stretch per step of each
    direction (negative: vanishing; positive: exploding). It is row 0 of
    :func:`product_log_singular_values` divided by T, computed without the other rows.
    """
    J = _check_jacobians(jacobians)
    T, n = J.shape[0], J.shape[1]
    zeros, row_max, monomial = _scan_checked(J)
    if monomial:
        return _monomial_rows(T, n, lambda t: J[t - 1], all_rows=False)[0] / T
    return _sweep(T, n, lambda t: J[t - 1], zeros, row_max, all_rows=False)[0] / T


def newman_exponents(n: int, sigma: float = 1.0) -> np.ndarray:
    """Newman's (1986) exact Lyapunov exponents of products of n × n matrices with N(0, σ²/n) entries.

    ``mu_k = log σ + (log(2/n) + ψ((n - k + 1)/2)) / 2``, k = 1..n (ψ = digamma), descending.
    Note ``mu_1 < 0`` at σ = 1 for every finite n: a random product shrinks even at "unit" scale.
    """
    n = check_int(n, "n (the matrix size)", low=1, high=MAX_HIDDEN)
    sigma = check_float(sigma, "sigma", low=0.0, strict_low=True)
    k = np.arange(1, n + 1)
    return np.log(sigma) + 0.5 * (np.log(2.0 / n) + digamma((n - k + 1) / 2.0))
