"""A vanilla RNN, its step Jacobians and back-propagation through time.

Conventions (used everywhere in rnnviz)::

    a_t = W h_{t-1} + U x_t + b,   h_t = f(a_t),   t = 1..T
    J_t = dh_t / dh_{t-1} = diag(f'(a_t)) W
    dh_T / dh_k = J_T J_{T-1} ... J_{k+1}

Everything accepts an optional batch axis for the training lab: ``xs`` of shape
``(T, B, m)`` runs ``B`` independent sequences through the same weights at once.

Overflow is content, not a crash: with ReLU or a linear unit and a large ``W``
the states grow past float64; ``forward`` and ``bptt`` then return ``inf`` /
``NaN`` values (locate them with :func:`rnnviz.first_nonfinite`) and never warn.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._validate import MAX_HIDDEN, MAX_STEPS, as_array, as_square, check_choice, check_float, check_int
from .nonlinearities import get_nonlinearity

#: Largest ``scale`` accepted by :func:`init_recurrent` (far beyond any useful value, and far from overflow).
MAX_SCALE = 1e100

#: Largest stack of step Jacobians (entries) that :func:`step_jacobians` builds (1.6 GB of float64).
MAX_JACOBIAN_ENTRIES = 200_000_000

#: Accepted values of ``init_recurrent(..., scheme=...)``.
INIT_SCHEMES: tuple[str, ...] = ("gaussian", "orthogonal", "identity")


def init_recurrent(n: int, scheme: str = "gaussian", scale: float = 1.0, seed: int = 0) -> np.ndarray:
    """An ``n × n`` recurrent weight matrix.

    - ``"gaussian"``: i.i.d. entries N(0, scale²/n) (spectral radius → scale, spectral norm → 2·scale
      for large n);
    - ``"orthogonal"``: scale times a Haar-random orthogonal matrix (every singular value = scale);
    - ``"identity"``: scale · I.

    Random schemes draw from ``np.random.default_rng(seed)``: the same seed gives the same matrix.
    """
    n = check_int(n, "n (the number of hidden units)", low=1, high=MAX_HIDDEN)
    scheme = check_choice(scheme, "initialisation scheme", INIT_SCHEMES)
    scale = check_float(scale, "scale", low=0.0, high=MAX_SCALE)
    seed = check_int(seed, "seed", low=0)
    if scheme == "identity":
        return scale * np.eye(n)
    rng = np.random.default_rng(seed)
    G = rng.standard_normal((n, n))
    if scheme == "gaussian":
        return G * (scale / np.sqrt(n))
    # Haar measure: QR of a Gaussian matrix, with R's diagonal made positive (Mezzadri 2007).
    Q, R = np.linalg.qr(G)
    signs = np.sign(np.diag(R))
    signs[signs == 0] = 1.0
    return scale * (Q * signs[None, :])


@dataclass(frozen=True)
class Trajectory:
    """The states of one forward pass.

    ``h`` has shape (T+1, n) with ``h[0] = h0`` and ``a`` has shape (T, n) with ``a[t-1] = a_t``;
    with a batch axis they are (T+1, B, n) and (T, B, n). Values may be ``inf``/``NaN`` after overflow.
    """

    h: np.ndarray
    a: np.ndarray

    @property
    def T(self) -> int:
        """Number of steps."""
        return int(self.a.shape[0])

    @property
    def n(self) -> int:
        """Number of hidden units."""
        return int(self.a.shape[-1])

    @property
    def batched(self) -> bool:
        """Whether there is a batch axis (axis 1)."""
        return self.a.ndim == 3


@dataclass(frozen=True)
class Gradients:
    """Gradients of a loss from :func:`bptt`.

    ``W`` (n, n), ``U`` (n, m) or ``None`` when the network has no input weights, ``b`` (n,):
    parameter gradients (summed over the batch). ``h`` (T+1, n), or (T+1, B, n): the total
    gradient dL/dh_t at every step, the quantity whose decay with distance *is* the vanishing gradient.
    """

    W: np.ndarray
    U: np.ndarray | None
    b: np.ndarray
    h: np.ndarray


def _check_xs(xs, n_steps_name: str = "xs") -> np.ndarray:
    arr = as_array(xs, n_steps_name, allow_empty=True)
    if arr.ndim not in (2, 3):
        raise ValueError(
            f"{n_steps_name} must have shape (T, m), or (T, B, m) for a batch of B sequences; "
            f"got shape {arr.shape}."
        )
    if arr.shape[0] == 0:
        raise ValueError(f"{n_steps_name} has T = 0 steps; a sequence needs at least one step.")
    if arr.shape[0] > MAX_STEPS:
        raise ValueError(f"{n_steps_name} has T = {arr.shape[0]} steps; at most {MAX_STEPS} are accepted.")
    if arr.ndim == 3 and arr.shape[1] == 0:
        raise ValueError(f"{n_steps_name} has a batch of B = 0 sequences; at least one is needed.")
    return arr


def _check_U(U, n: int, m: int) -> np.ndarray | None:
    if U is None:
        return None
    U = as_array(U, "U", ndim=2, allow_empty=True)
    if U.shape != (n, m):
        raise ValueError(
            f"U has shape {U.shape}; it must be (n, m) = ({n}, {m}): n hidden units (from W) "
            f"by m inputs (the last axis of xs)."
        )
    return U


def forward(W, xs, *, U=None, b=None, h0=None, nonlinearity: str = "tanh") -> Trajectory:
    """Run ``a_t = W h_{t-1} + U x_t + b``, ``h_t = f(a_t)`` for t = 1..T.

    ``W`` (n, n); ``xs`` (T, m) or (T, B, m) (with ``U=None`` the values of ``xs`` are not used, only
    T and B); ``U`` (n, m) or ``None`` (no input drive); ``b`` (n,) or ``None`` (zero);
    ``h0`` (n,), or (B, n) with a batch, or ``None`` (zeros).
    Returns a :class:`Trajectory`. Overflow yields ``inf``/``NaN`` entries, never an exception.
    """
    W = as_square(W, "W")
    n = W.shape[0]
    nl = get_nonlinearity(nonlinearity)
    xs = _check_xs(xs)
    T = xs.shape[0]
    batched = xs.ndim == 3
    B = xs.shape[1] if batched else None
    U = _check_U(U, n, xs.shape[-1])
    b = np.zeros(n) if b is None else as_array(b, "b", shape=(n,))
    state_shape = (B, n) if batched else (n,)
    if h0 is None:
        h_init = np.zeros(state_shape)
    else:
        h_init = as_array(h0, "h0")
        if batched and h_init.shape == (n,):
            h_init = np.broadcast_to(h_init, state_shape)
        if h_init.shape != state_shape:
            accepted = f"({n},) or ({B}, {n})" if batched else f"({n},)"
            raise ValueError(f"h0 has shape {h_init.shape}; it must be {accepted} to match W and xs.")

    return _forward(W, xs, U, b, h_init, nl)


def _forward(W: np.ndarray, xs: np.ndarray, U: np.ndarray | None, b: np.ndarray, h_init: np.ndarray,
             nl) -> Trajectory:
    """:func:`forward` on arguments :func:`forward` (or a caller that built them) has checked."""
    T = xs.shape[0]
    state_shape = h_init.shape
    h = np.empty((T + 1, *state_shape))
    a = np.empty((T, *state_shape))
    h[0] = h_init
    with np.errstate(over="ignore", invalid="ignore", under="ignore", divide="ignore"):
        drive = np.broadcast_to(b, (T, *state_shape)) if U is None else xs @ U.T + b
        WT = W.T
        for t in range(T):
            a[t] = h[t] @ WT + drive[t]
            h[t + 1] = nl.f(a[t])
    return Trajectory(h=h, a=a)


def step_jacobians(W, a, nonlinearity: str = "tanh") -> np.ndarray:
    """The step Jacobians ``J_t = diag(f'(a_t)) W``, shape (T, n, n); entry ``t-1`` is ``J_t``.

    ``a`` is ``Trajectory.a`` of an unbatched run, shape (T, n) (for a batch pass ``traj.a[:, i]``).
    """
    W = as_square(W, "W")
    n = W.shape[0]
    nl = get_nonlinearity(nonlinearity)
    a = as_array(a, "a (the pre-activations)", finite=False, allow_empty=True)
    if a.ndim != 2 or a.shape[1] != n:
        hint = " For a batch, pass one sequence at a time (traj.a[:, i])." if a.ndim == 3 else ""
        raise ValueError(f"a must have shape (T, n) = (T, {n}); got {a.shape}.{hint}")
    if a.shape[0] == 0:
        raise ValueError("a has T = 0 steps; at least one step is needed for a Jacobian.")
    if a.shape[0] * n * n > MAX_JACOBIAN_ENTRIES:
        raise ValueError(
            f"T = {a.shape[0]} Jacobians of {n} × {n} would take {a.shape[0] * n * n * 8 / 1e9:.1f} GB; at most "
            f"{MAX_JACOBIAN_ENTRIES * 8 / 1e9:.1f} GB is built at once. For their singular values use "
            f"trajectory_log_singular_values(W, a, nonlinearity), which never stores them all."
        )
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        return nl.df(a)[:, :, None] * W[None, :, :]


def bptt(W, xs, trajectory: Trajectory, dL_dh, *, U=None, nonlinearity: str = "tanh") -> Gradients:
    """Back-propagation through time.

    The loss depends on the states directly through ``dL_dh`` (shape (T+1, n), or (T+1, B, n) for a
    batch: ``dL_dh[t]`` is the explicit partial derivative ∂L/∂h_t). Going backwards,
    ``g_T = dL_dh[T]``, ``δ_t = f'(a_t) ⊙ g_t``, ``g_{t-1} = dL_dh[t-1] + Wᵀ δ_t``; then
    ``dL/dW = Σ_t δ_t h_{t-1}ᵀ``, ``dL/dU = Σ_t δ_t x_tᵀ``, ``dL/db = Σ_t δ_t`` (also summed over the
    batch). ``Gradients.h[t] = g_t`` is the total dL/dh_t. Pass the same ``W``, ``xs``, ``U`` and
    ``nonlinearity`` as to :func:`forward`. Non-finite states give non-finite gradients, no warning.
    """
    W = as_square(W, "W")
    n = W.shape[0]
    nl = get_nonlinearity(nonlinearity)
    xs = _check_xs(xs)
    T = xs.shape[0]
    batched = xs.ndim == 3
    U = _check_U(U, n, xs.shape[-1])
    if not isinstance(trajectory, Trajectory):
        raise ValueError(
            f"trajectory must be the Trajectory returned by forward(); got {type(trajectory).__name__}."
        )
    state_shape = (xs.shape[1], n) if batched else (n,)
    if trajectory.a.shape != (T, *state_shape) or trajectory.h.shape != (T + 1, *state_shape):
        raise ValueError(
            f"trajectory has h {trajectory.h.shape} and a {trajectory.a.shape}, which do not match W and xs "
            f"(expected h {(T + 1, *state_shape)} and a {(T, *state_shape)}); pass the trajectory "
            f"forward() returned for these W and xs."
        )
    g_in = as_array(dL_dh, "dL_dh", finite=False)
    if g_in.shape != (T + 1, *state_shape):
        raise ValueError(
            f"dL_dh has shape {g_in.shape}; it must be {(T + 1, *state_shape)}: one gradient per state "
            f"h_0..h_T (use zeros where the loss does not look at a state)."
        )

    return _bptt(W, xs, trajectory, g_in, U, nl)


def _bptt(W: np.ndarray, xs: np.ndarray, trajectory: Trajectory, g_in: np.ndarray, U: np.ndarray | None,
          nl) -> Gradients:
    """:func:`bptt` on arguments :func:`bptt` (or a caller that built them) has checked."""
    T = xs.shape[0]
    batched = xs.ndim == 3
    gh = np.empty_like(g_in)
    with np.errstate(over="ignore", invalid="ignore", under="ignore", divide="ignore"):
        fprime = nl.df(trajectory.a)  # (T, [B,] n)
        delta = np.empty_like(fprime)
        g = g_in[T].copy()
        gh[T] = g
        for t in range(T, 0, -1):
            delta[t - 1] = fprime[t - 1] * g
            g = g_in[t - 1] + delta[t - 1] @ W
            gh[t - 1] = g
        # Parameter gradients: sums over time (and batch) of outer products, vectorised.
        sum_axes = [0, 1] if batched else [0]
        dW = np.tensordot(delta, trajectory.h[:-1], axes=(sum_axes, sum_axes))
        db = delta.sum(axis=tuple(sum_axes))
        dU = None if U is None else np.tensordot(delta, xs, axes=(sum_axes, sum_axes))
    return Gradients(W=dW, U=dU, b=db, h=gh)
