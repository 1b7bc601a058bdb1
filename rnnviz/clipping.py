"""Gradient clipping, as each framework actually computes it.

Every function takes a sequence of gradient arrays (one per parameter tensor, e.g.
``[dW, dU, db]``), never modifies them, and returns fresh float64 arrays. Non-finite
entries are *content* here, not errors: each convention does something definite with
an ``inf`` or ``NaN`` entry, and the functions reproduce it (IEEE arithmetic), so the
app can show what a framework would have handed to the optimiser.

Conventions (see ``CLIPPING_CONVENTIONS`` for the table the app renders):

* PyTorch ``clip_grad_norm_``  -> :func:`clip_by_norm` (one global p-norm, ``1e-6`` in
  the denominator, coefficient clamped to 1 and always multiplied).
* PyTorch ``clip_grad_value_`` -> :func:`clip_by_value`.
* TensorFlow ``tf.clip_by_global_norm`` -> :func:`tf_clip_by_global_norm`.
* Keras ``clipnorm`` (per variable!) -> :func:`keras_clipnorm`.
* Keras ``global_clipnorm`` -> :func:`keras_global_clipnorm`.
* Keras ``clipvalue`` -> :func:`keras_clipvalue`.

Pascanu, Mikolov and Bengio (2013), Algorithm 1, is clipping by norm: if
``||g|| >= threshold`` then ``g <- threshold * g / ||g||``. It keeps the direction of
``g``; clipping by value does not (:func:`gradient_angle` measures by how much).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ._validate import as_array, check_choice, check_float, check_int

#: The small constant PyTorch adds to the total norm before dividing.
TORCH_EPS = 1e-6


# --------------------------------------------------------------------------- helpers

def _as_grads(grads) -> list[np.ndarray]:
    """A list of float64 arrays; a single array counts as one tensor. Non-finite entries are allowed."""
    if isinstance(grads, np.ndarray):
        grads = [grads]
    try:
        if isinstance(grads, (str, bytes)):
            raise TypeError
        grads = list(grads)
    except TypeError as exc:
        raise ValueError(
            f"grads must be a list of gradient arrays (one per parameter tensor); got {type(grads).__name__}."
        ) from exc
    return [as_array(g, f"gradient {i}", finite=False, allow_empty=True) for i, g in enumerate(grads)]


def _threshold(value, name: str, *, allow_zero: bool, allow_inf: bool, note: str = "") -> float:
    try:
        out = check_float(value, name, low=0.0, strict_low=not allow_zero, allow_inf=allow_inf)
    except ValueError as exc:
        raise ValueError(f"{exc}{note}") from None
    return out


def _norm_type(norm_type) -> float:
    if isinstance(norm_type, str) and norm_type.strip().lower() == "inf":
        return math.inf
    p = check_float(norm_type, "norm_type", low=0.0, strict_low=True, allow_inf=True)
    return p


def _p_norm(values: np.ndarray, p: float) -> float:
    """``(sum |v|^p)^(1/p)`` (``max |v|`` for p = inf) computed the plain way, as the frameworks do.

    No rescaling (sum of powers, then the root, as in the frameworks' definitions), so
    entries around 1e200 overflow to an infinite 2-norm. NaN propagates.
    """
    v = np.abs(np.ravel(values))
    if v.size == 0:
        return 0.0
    with np.errstate(over="ignore", invalid="ignore"):
        if math.isinf(p):
            return float(np.max(v))
        if p == 2.0:
            return float(np.sqrt(np.sum(v * v)))
        if p == 1.0:
            return float(np.sum(v))
        return float(np.sum(v**p) ** (1.0 / p))


def _scale(grads: list[np.ndarray], coefs) -> list[np.ndarray]:
    # inf * 0 -> NaN and inf / inf -> NaN are the documented behaviour, not accidents.
    with np.errstate(invalid="ignore", over="ignore"):
        return [g * c for g, c in zip(grads, coefs)]


def _global_l2(grads: list[np.ndarray]) -> float:
    """sqrt of the sum of all squared entries (TensorFlow ``global_norm``): unscaled, NaN propagates."""
    with np.errstate(over="ignore", invalid="ignore"):
        total = float(np.sum([np.sum(g * g) for g in grads])) if grads else 0.0
        return math.sqrt(total) if not math.isnan(total) else math.nan


# --------------------------------------------------------------------------- PyTorch

def total_norm(grads, *, norm_type=2.0) -> float:
    """PyTorch's total norm: the p-norm of the per-tensor p-norms (= the p-norm of all entries together)."""
    gs = _as_grads(grads)
    p = _norm_type(norm_type)
    return _torch_total(gs, p)


def _torch_total(gs: list[np.ndarray], p: float) -> float:
    if not gs:
        return 0.0
    per = np.array([_p_norm(g, p) for g in gs])
    return _p_norm(per, p)


def _torch_coef(total: float, max_norm: float) -> float:
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        coef = np.float64(max_norm) / (np.float64(total) + TORCH_EPS)
        # torch.clamp(coef, max=1.0) propagates NaN; np.minimum does too.
        return float(np.minimum(coef, 1.0))


def clip_by_norm(grads, max_norm, *, norm_type=2.0, error_if_nonfinite=False):
    """PyTorch ``torch.nn.utils.clip_grad_norm_``, without touching the inputs.

    One global norm over all arrays (``norm_type=inf``: the largest ``|g|``). The
    coefficient ``min(1, max_norm / (total_norm + 1e-6))`` is *always* multiplied in, so
    a gradient already inside the ball is left exactly as is, an ``inf`` entry makes the
    coefficient 0 (finite entries become 0, the inf entries NaN) and a ``NaN`` entry
    makes every entry NaN.

    Returns ``(clipped_list, total_norm)`` with the norm *before* clipping. With
    ``error_if_nonfinite=True`` a NaN or infinite total norm raises ``ValueError``
    (PyTorch raises ``RuntimeError``). ``max_norm`` must be at least 0 (``inf`` allowed);
    ``norm_type`` must be positive or ``inf``. No gradients gives ``([], 0.0)``.
    """
    gs = _as_grads(grads)
    max_norm = _threshold(max_norm, "max_norm", allow_zero=True, allow_inf=True)
    p = _norm_type(norm_type)
    total = _torch_total(gs, p)
    if error_if_nonfinite and not math.isfinite(total):
        raise ValueError(
            f"The total norm of order {p:g} of the gradients is {total}, so clipping cannot rescale them. "
            "Set error_if_nonfinite=False to clip anyway (the result will hold NaN)."
        )
    coef = _torch_coef(total, max_norm)
    return _scale(gs, [coef] * len(gs)), total


def clip_by_value(grads, clip_value):
    """PyTorch ``torch.nn.utils.clip_grad_value_``: each entry clamped to ``[-clip_value, clip_value]``.

    Returns the clipped list (PyTorch itself returns None and works in place). ``inf``
    becomes ``±clip_value``; ``NaN`` stays ``NaN``. ``clip_value`` must be at least 0.
    """
    gs = _as_grads(grads)
    v = _threshold(clip_value, "clip_value", allow_zero=True, allow_inf=True)
    return _clamp(gs, v)


def _clamp(gs: list[np.ndarray], v: float) -> list[np.ndarray]:
    return [np.clip(g, -v, v) for g in gs]


# --------------------------------------------------------------------------- TensorFlow / Keras

def _tf_scale(norm: float, c: float) -> float:
    """``c * min(1/norm, 1/c) + (norm - norm)``: c / max(norm, c), and NaN for an inf or NaN norm."""
    with np.errstate(divide="ignore", invalid="ignore"):
        n = np.float64(norm)
        scale = c * np.minimum(1.0 / n, 1.0 / c) + (n - n)
    return float(scale)


_KERAS_NOTE = " (Keras treats a threshold of 0 or below as 'no clipping at all'; give a positive number.)"


def tf_clip_by_global_norm(grads, clip_norm):
    """TensorFlow ``tf.clip_by_global_norm(t_list, clip_norm)``.

    ``global_norm = sqrt(sum of all squared entries)``; every array is multiplied by
    ``clip_norm / max(global_norm, clip_norm)``. An infinite or NaN global norm makes the
    scale NaN, so *every* entry of every array becomes NaN. Returns
    ``(clipped_list, global_norm)``, the norm before clipping. ``clip_norm`` must be > 0.
    """
    gs = _as_grads(grads)
    c = _threshold(clip_norm, "clip_norm", allow_zero=False, allow_inf=False)
    norm = _global_l2(gs)
    scale = _tf_scale(norm, c)
    return _scale(gs, [scale] * len(gs)), norm


def keras_global_clipnorm(grads, global_clipnorm):
    """Keras optimiser option ``global_clipnorm=c``: the same arithmetic as ``tf.clip_by_global_norm``.

    Returns the clipped list (the optimiser does not report the norm).
    """
    gs = _as_grads(grads)
    c = _threshold(global_clipnorm, "global_clipnorm", allow_zero=False, allow_inf=False, note=_KERAS_NOTE)
    scale = _tf_scale(_global_l2(gs), c)
    return _scale(gs, [scale] * len(gs))


def _keras_l2norm(g: np.ndarray) -> np.float64:
    """Keras' per-variable norm: sqrt(sum g^2) where the sum is > 0, else the sum itself (0 or NaN)."""
    with np.errstate(over="ignore", invalid="ignore"):
        l2sum = np.sum(g * g) if g.size else np.float64(0.0)
        return np.sqrt(l2sum) if l2sum > 0 else l2sum


def _keras_var_scales(gs: list[np.ndarray], c: float) -> list[float]:
    with np.errstate(invalid="ignore", divide="ignore"):
        return [float(np.float64(c) / np.maximum(_keras_l2norm(g), c)) for g in gs]


def keras_clipnorm(grads, clipnorm):
    """Keras optimiser option ``clipnorm=c``: each variable clipped by **its own** L2 norm.

    ``g_i <- g_i * c / max(||g_i||, c)`` separately for every array, so a list of
    tensors generally changes direction (each piece is shrunk by a different factor). A
    non-finite entry only spoils its own variable: with ``inf`` that variable's finite
    entries become 0 and the ``inf`` entries NaN; with ``NaN`` the whole variable is NaN.
    Returns the clipped list. ``clipnorm`` must be > 0.
    """
    gs = _as_grads(grads)
    c = _threshold(clipnorm, "clipnorm", allow_zero=False, allow_inf=False, note=_KERAS_NOTE)
    # Keras computes (g * c) / max(norm, c); the order matters only for inf entries (inf/inf = NaN).
    # np.maximum propagates NaN, so a NaN norm spoils that variable only.
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        return [(g * c) / np.maximum(_keras_l2norm(g), c) for g in gs]


def keras_clipvalue(grads, clipvalue):
    """Keras optimiser option ``clipvalue=v``: each entry clipped to ``[-v, v]``. ``v`` must be > 0."""
    gs = _as_grads(grads)
    v = _threshold(clipvalue, "clipvalue", allow_zero=False, allow_inf=False, note=_KERAS_NOTE)
    return _clamp(gs, v)


# --------------------------------------------------------------------------- geometry

def _flat(grads) -> np.ndarray:
    gs = _as_grads(grads)
    return np.concatenate([np.ravel(g) for g in gs]) if gs else np.zeros(0)


def gradient_angle(a, b) -> float:
    """Angle in degrees between two gradients (arrays, or lists of arrays taken as one long vector).

    Norm clipping gives 0° (the direction is kept); value clipping can give anything up
    to 45° in 2-D and more in higher dimensions. Uses Kahan's formula
    ``2·atan2(|â − b̂|, |â + b̂|)``, accurate for tiny angles. NaN when either vector is
    zero or holds a non-finite entry (there is no direction to compare).
    """
    va, vb = _flat(a), _flat(b)
    if va.shape != vb.shape:
        raise ValueError(f"The two gradients must have the same number of entries; got {va.size} and {vb.size}.")
    if not (np.all(np.isfinite(va)) and np.all(np.isfinite(vb))):
        return math.nan
    # Normalise by the largest entry first so the norms cannot overflow.
    sa, sb = np.max(np.abs(va), initial=0.0), np.max(np.abs(vb), initial=0.0)
    if sa == 0.0 or sb == 0.0:
        return math.nan
    ua = va / sa
    ub = vb / sb
    ua /= np.linalg.norm(ua)
    ub /= np.linalg.norm(ub)
    return float(np.degrees(2.0 * np.arctan2(np.linalg.norm(ua - ub), np.linalg.norm(ua + ub))))


# --------------------------------------------------------------------------- example gradients

#: The parameter tensors of a vanilla RNN, in the order the examples use.
TENSOR_NAMES: tuple[str, ...] = ("W", "U", "b")
POISONS: tuple[str, ...] = ("none", "inf", "-inf", "nan")


def example_gradients(norms=(1.0, 1.0, 1.0), *, hidden: int = 4, inputs: int = 3, seed: int = 0,
                      poison: str = "none", poison_tensor: int = 1) -> tuple[np.ndarray, ...]:
    """Gradients ``(dW, dU, db)`` of shapes (n, n), (n, m), (n,) with the given L2 norms.

    Directions are Gaussian (seeded); a norm of 0 gives zeros. ``poison`` puts one
    ``inf``, ``-inf`` or ``nan`` entry (the first) into tensor ``poison_tensor``, to show
    what each convention does with it.
    """
    norms = tuple(as_array(norms, "norms (of dW, dU, db)", ndim=1, finite=False, allow_empty=True).tolist())
    if len(norms) != 3:
        raise ValueError(f"Give three norms, for dW, dU and db; got {len(norms)}.")
    norms = tuple(check_float(v, f"norm of d{name}", low=0.0) for v, name in zip(norms, TENSOR_NAMES))
    hidden = check_int(hidden, "hidden size", low=1, high=64)
    inputs = check_int(inputs, "input size", low=1, high=64)
    seed = check_int(seed, "seed", low=0, high=2**32 - 1)
    check_choice(poison, "poison", POISONS)
    poison_tensor = check_int(poison_tensor, "poison_tensor", low=0, high=2)
    rng = np.random.default_rng(seed)
    out = []
    for shape, norm in zip(((hidden, hidden), (hidden, inputs), (hidden,)), norms):
        g = rng.standard_normal(shape)
        out.append((g / np.linalg.norm(g)) * norm)  # unit direction first: no overflow for huge norms
    if poison != "none":
        out[poison_tensor].flat[0] = {"inf": np.inf, "-inf": -np.inf, "nan": np.nan}[poison]
    return tuple(out)


# --------------------------------------------------------------------------- the convention table

@dataclass(frozen=True)
class ClipConvention:
    """One row of the framework table: what an API computes, in words and in LaTeX."""

    key: str
    framework: str
    api: str
    norm: str
    coefficient: str
    coefficient_latex: str
    nonfinite: str
    returns: str
    by_norm: bool


CLIPPING_CONVENTIONS: tuple[ClipConvention, ...] = (
    ClipConvention(
        "torch_norm", "PyTorch", "torch.nn.utils.clip_grad_norm_(params, max_norm, norm_type=2.0)",
        "one global p-norm over all tensors (p = inf: max |g|)",
        "min(1, max_norm / (total + 1e-6)), always multiplied",
        r"g_i \leftarrow \min\!\Big(1,\ \frac{c}{\lVert (g_1,\dots,g_k)\rVert_p + 10^{-6}}\Big)\, g_i",
        "inf entry: coefficient 0, finite entries become 0 and the inf entries NaN; NaN entry: everything NaN. "
        "error_if_nonfinite=True raises instead.",
        "the total norm before clipping", True),
    ClipConvention(
        "torch_value", "PyTorch", "torch.nn.utils.clip_grad_value_(params, clip_value)",
        "none (elementwise)", "clamp each entry to [-v, v]",
        r"g_{ij} \leftarrow \min(\max(g_{ij}, -v),\ v)",
        "inf becomes ±v; NaN stays NaN (only that entry).", "None (in place)", False),
    ClipConvention(
        "tf_global", "TensorFlow", "tf.clip_by_global_norm(t_list, clip_norm)",
        "one global L2 norm over all tensors",
        "clip_norm / max(global_norm, clip_norm)",
        r"g_i \leftarrow \frac{c}{\max(\lVert (g_1,\dots,g_k)\rVert_2,\ c)}\, g_i",
        "infinite or NaN global norm: the scale is NaN, every entry of every tensor becomes NaN.",
        "(clipped list, global norm before clipping)", True),
    ClipConvention(
        "keras_clipnorm", "Keras", "optimizer(clipnorm=c)",
        "PER VARIABLE: each tensor's own L2 norm",
        "c / max(||g_i||, c), separately for each tensor",
        r"g_i \leftarrow \frac{c}{\max(\lVert g_i\rVert_2,\ c)}\, g_i \quad\text{for each } i",
        "only the tensor holding it is spoiled: inf gives 0 for its finite entries and NaN for the inf ones; "
        "NaN makes that tensor NaN.",
        "applied inside the optimiser", True),
    ClipConvention(
        "keras_global_clipnorm", "Keras", "optimizer(global_clipnorm=c)",
        "one global L2 norm over all tensors", "as TensorFlow: c / max(global_norm, c)",
        r"g_i \leftarrow \frac{c}{\max(\lVert (g_1,\dots,g_k)\rVert_2,\ c)}\, g_i",
        "as TensorFlow: every entry becomes NaN.", "applied inside the optimiser", True),
    ClipConvention(
        "keras_clipvalue", "Keras", "optimizer(clipvalue=v)",
        "none (elementwise)", "clip each entry to [-v, v]",
        r"g_{ij} \leftarrow \min(\max(g_{ij}, -v),\ v)",
        "inf becomes ±v; NaN stays NaN on a CPU (TensorFlow on a GPU has turned it into the bound: "
        "TF issue #43433).", "applied inside the optimiser", False),
    ClipConvention(
        "course_clip", "Coursera 'Dinosaur Island'", "clip(gradients, maxValue)",
        "none (elementwise, per array)", "np.clip(g, -maxValue, maxValue)",
        r"g_{ij} \leftarrow \min(\max(g_{ij}, -v),\ v)",
        "inf becomes ±v; NaN stays NaN.", "the clipped dictionary", False),
)

CONVENTION_KEYS: tuple[str, ...] = tuple(c.key for c in CLIPPING_CONVENTIONS)


def get_convention(key: str) -> ClipConvention:
    """The table row for a convention key (one of ``CONVENTION_KEYS``)."""
    check_choice(key, "clipping convention", CONVENTION_KEYS)
    return next(c for c in CLIPPING_CONVENTIONS if c.key == key)


@dataclass(frozen=True)
class ClipOutcome:
    """What one convention did to a list of gradients.

    ``scales[i]`` is the factor tensor ``i`` was multiplied by (NaN for value clipping,
    which has no single factor). Norms are L2, per tensor and global, before and after.
    """

    convention: str
    clipped: tuple[np.ndarray, ...]
    scales: np.ndarray
    tensor_norms_before: np.ndarray
    tensor_norms_after: np.ndarray
    global_norm_before: float
    global_norm_after: float
    angle_deg: float
    nonfinite_before: int
    nonfinite_after: int


def apply_convention(key: str, grads, threshold) -> ClipOutcome:
    """Clip ``grads`` the way convention ``key`` does with the given threshold, and describe the result.

    The threshold is ``max_norm`` / ``clip_norm`` / ``clipnorm`` for the norm conventions and
    the clip value for the value conventions; the p = 2 norm is used for PyTorch.
    """
    conv = get_convention(key)
    gs = _as_grads(grads)
    if key == "torch_norm":
        clipped, total = clip_by_norm(gs, threshold)
        scales = np.full(len(gs), _torch_coef(total, float(threshold)))
    elif key == "tf_global":
        clipped, norm = tf_clip_by_global_norm(gs, threshold)
        scales = np.full(len(gs), _tf_scale(norm, float(threshold)))
    elif key == "keras_global_clipnorm":
        clipped = keras_global_clipnorm(gs, threshold)
        scales = np.full(len(gs), _tf_scale(_global_l2(gs), float(threshold)))
    elif key == "keras_clipnorm":
        clipped = keras_clipnorm(gs, threshold)
        scales = np.array(_keras_var_scales(gs, float(threshold)))
    elif key == "keras_clipvalue":
        clipped = keras_clipvalue(gs, threshold)
        scales = np.full(len(gs), np.nan)
    else:  # torch_value, course_clip
        clipped = clip_by_value(gs, threshold)
        scales = np.full(len(gs), np.nan)
    before = np.array([_p_norm(g, 2.0) for g in gs])
    after = np.array([_p_norm(g, 2.0) for g in clipped])
    return ClipOutcome(
        convention=conv.key,
        clipped=tuple(clipped),
        scales=scales,
        tensor_norms_before=before,
        tensor_norms_after=after,
        global_norm_before=_torch_total(gs, 2.0),
        global_norm_after=_torch_total(list(clipped), 2.0),
        angle_deg=gradient_angle(gs, list(clipped)) if gs else math.nan,
        nonfinite_before=int(sum(np.count_nonzero(~np.isfinite(g)) for g in gs)),
        nonfinite_after=int(sum(np.count_nonzero(~np.isfinite(g)) for g in clipped)),
    )
