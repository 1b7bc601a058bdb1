"""Gradient clipping (page 4): its four sections' controls, presets and what each caption promises."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from ..cliff import DescentPath, cliff_descent
from ..clipping import CONVENTION_KEYS, TENSOR_NAMES, ClipOutcome, apply_convention, example_gradients
from . import Preset, View

#: Link label of a bad entry → the core's poison name; tensor labels as the radio shows them.
POISON_LABELS = {"+inf": "inf", "−inf": "-inf", "NaN": "nan"}
TENSOR_LABELS = tuple(f"d{name}" for name in TENSOR_NAMES)

GEOMETRY_DEFAULTS = {"gx": 6.0, "gy": 2.0, "c": 3.0, "v": 1.5}
TENSOR_DEFAULTS = {"nW": 30.0, "nU": 3.0, "nb": 0.3, "tc": 1.0, "seed": 0}
NONFINITE_DEFAULTS = {**TENSOR_DEFAULTS, "bad": "+inf", "in": "dU"}
CLIFF_DEFAULTS = {"w0": 5.0, "b0": -2.9, "lr": 0.5, "mc": 1.0, "its": 100}


def outcomes(nW: float, nU: float, nb: float, c: float, seed: int, poison: str = "none",
             where: int = 0) -> tuple[tuple[np.ndarray, ...], list[ClipOutcome]]:
    """The example gradients (norms of dW, dU, db) and what every convention makes of them."""
    grads = example_gradients((nW, nU, nb), seed=seed, poison=poison, poison_tensor=where)
    return grads, [apply_convention(k, grads, c) for k in CONVENTION_KEYS]


def _by_key(result) -> dict[str, ClipOutcome]:
    return {o.convention: o for o in result[1]}


def geometry(gx: float, gy: float, c: float, v: float) -> dict[str, ClipOutcome]:
    """The 2-D gradient clipped by norm (PyTorch) and by value, keyed by convention."""
    g = (np.array([gx, gy]),)
    return {k: apply_convention(k, g, t) for k, t in (("torch_norm", c), ("torch_value", v))}


def tensors(nW: float, nU: float, nb: float, tc: float, seed: int) -> dict[str, ClipOutcome]:
    """Section 2: the finite example gradients under every convention."""
    return _by_key(outcomes(nW, nU, nb, tc, seed))


def nonfinite(**values) -> dict[str, ClipOutcome]:
    """Section 4: the same gradients with one bad entry (link labels ``bad`` and ``in``)."""
    return _by_key(outcomes(values["nW"], values["nU"], values["nb"], values["tc"], values["seed"],
                            POISON_LABELS[values["bad"]], TENSOR_LABELS.index(values["in"])))


def cliff(w0: float, b0: float, lr: float, mc: float, its: int) -> tuple[DescentPath, DescentPath]:
    """The cliff's two descents from one start: without clipping and clipped by norm at ``mc``."""
    return (cliff_descent(w0, b0, lr=lr, iterations=its),
            cliff_descent(w0, b0, lr=lr, iterations=its, max_norm=mc))


def clipnorm_notice(outcomes: Iterable[ClipOutcome]) -> str:
    """The Notice of section 2, saying which tensors Keras ``clipnorm`` cuts at these settings."""
    per = next(o for o in outcomes if o.convention == "keras_clipnorm")
    cut = [label for label, s in zip(TENSOR_LABELS, per.scales) if s < 1]
    kept = [label for label, s in zip(TENSOR_LABELS, per.scales) if not s < 1]

    def names(labels):
        return " and ".join(labels) if len(labels) < 3 else f"{labels[0]}, {labels[1]} and {labels[2]}"

    if cut and kept:
        here = (f"here {names(cut)} {'is' if len(cut) == 1 else 'are'} cut to the threshold while "
                f"{names(kept)} {'keeps its' if len(kept) == 1 else 'keep their'} size, so the split changes "
                f"and the gradient turns by {per.angle_deg:.1f}°")
    elif cut:
        here = (f"here every tensor is longer than the threshold and is cut to it, so the split changes and the "
                f"gradient turns by {per.angle_deg:.1f}°" if per.angle_deg > 0.05 else
                "here every tensor is cut to the threshold; with equal norms the split is kept")
    else:
        here = "here every tensor is within the threshold, so nothing is clipped"
    return ("every convention that uses one **global** norm (PyTorch, TensorFlow, Keras `global_clipnorm`) "
            "keeps the split between dW, dU and db — angle 0°, only the length changes. Keras **`clipnorm`** "
            "clips each tensor by its own norm: a tensor longer than the threshold is cut to it, a shorter one "
            f"keeps its size — {here}. Value clipping turns the gradient too.")


def _nan_everywhere(o: ClipOutcome) -> bool:
    return all(np.isnan(t).all() for t in o.clipped)


def _finite_zeroed(o: ClipOutcome, tensor: int) -> bool:
    t = o.clipped[tensor]
    return int(np.isnan(t).sum()) == 1 and int((t == 0).sum()) == t.size - 1


GEOMETRY = View("clip-geometry", GEOMETRY_DEFAULTS, geometry, (
    Preset("Value clipping turns the step", "g = (9, 1): clipping by norm shortens it along the same "
           "line (0°); clipping by value cuts it to (1.5, 1), a turn of 27° towards the diagonal.",
           {"gx": 9.0, "gy": 1.0, "c": 3.0, "v": 1.5},
           expect=lambda r: r["torch_norm"].angle_deg < 1e-6
           and np.array_equal(r["torch_value"].clipped[0], [1.5, 1.0]) and round(r["torch_value"].angle_deg) == 27),
    Preset("On the diagonal, no turn", "g = (6, 6) lies on a diagonal: both clippings keep its "
           "direction, and only the lengths differ.", {"gx": 6.0, "gy": 6.0, "c": 3.0, "v": 1.5},
           expect=lambda r: r["torch_norm"].angle_deg < 1e-6 and r["torch_value"].angle_deg < 1e-6
           and r["torch_norm"].global_norm_after != r["torch_value"].global_norm_after),
))

TENSORS = View("clip-tensors", TENSOR_DEFAULTS, tensors)

NONFINITE = View("clip-nonfinite", NONFINITE_DEFAULTS, nonfinite, (
    Preset("One inf in dW", "A single +inf in the recurrent gradient: PyTorch wipes every finite entry "
           "to 0 and the inf to NaN, TensorFlow makes everything NaN, Keras clipnorm spoils only dW.",
           {"bad": "+inf", "in": "dW"},
           expect=lambda r: all(_finite_zeroed(r["torch_norm"], i) or i > 0 and (r["torch_norm"].clipped[i] == 0).all()
                                for i in range(3))
           and _nan_everywhere(r["tf_global"]) and _finite_zeroed(r["keras_clipnorm"], 0)
           and all(np.isfinite(t).all() for t in r["keras_clipnorm"].clipped[1:])),
    Preset("A NaN slips through", "A NaN in db: value clipping (PyTorch's clamp; Keras on a CPU) lets it through "
           "untouched, and every global-norm convention turns the whole step into NaN.",
           {"bad": "NaN", "in": "db"},
           expect=lambda r: all(int(np.isnan(r[k].clipped[2]).sum()) == 1 and np.isfinite(r[k].clipped[0]).all()
                                for k in ("torch_value", "keras_clipvalue", "course_clip"))
           and all(_nan_everywhere(r[k]) for k in ("torch_norm", "tf_global", "keras_global_clipnorm"))),
))


def _valley(p: DescentPath) -> bool:
    return p.stopped_at is None and p.loss[-1] < 1e-2


CLIFF = View("clip", CLIFF_DEFAULTS, cliff, (
    Preset("Thrown off the cliff", "The default: from (5, −2.9) with η = 0.5 the unclipped run meets the "
           "wall at iteration 38 and one step of length 5.2 throws it onto a plateau; the clipped run "
           "ends in the valley.", {"w0": 5.0, "b0": -2.9, "lr": 0.5, "mc": 1.0, "its": 100},
           expect=lambda r: r[0].biggest_step == 38 and f"{r[0].step_length[38]:.1f}" == "5.2"
           and r[0].grad_norm[-1] < 1e-3 and r[0].loss[-1] > 10 * r[1].loss[-1] and _valley(r[1])),
    Preset("A tiny η is not enough", "η = 0.05: a typical step is 0.003 long, yet at the wall one "
           "step is 0.8 — over two hundred times longer. The unclipped run still ends far worse.",
           {"w0": 5.0, "b0": -2.9, "lr": 0.05, "mc": 1.0, "its": 300},
           expect=lambda r: f"{np.median(r[0].step_length):.3f}" == "0.003"
           and f"{r[0].step_length[r[0].biggest_step]:.1f}" == "0.8"
           and r[0].step_length[r[0].biggest_step] > 200 * np.median(r[0].step_length)
           and r[0].loss[-1] > 10 * r[1].loss[-1]),
    Preset("Blows up without clipping", "From (5.2, −3.1) with η = 1 the unclipped run meets a gradient "
           "of norm ≈ 6,200 at the wall and is flung out of the |w|, |b| ≤ 50 window at iteration 4; "
           "with clipping (c = 1) the same start ends in the valley.",
           {"w0": 5.2, "b0": -3.1, "lr": 1.0, "mc": 1.0, "its": 100},
           expect=lambda r: round(r[0].grad_norm[r[0].biggest_step], -2) == 6200 and r[0].stopped_at == 4
           and _valley(r[1])),
    Preset("Thrown 27 units", "From (4.5, −2.4) with η = 1 the step at iteration 3 is 27 units long: "
           "the run lands at (18.4, 20.6), on a plateau where it never moves again.",
           {"w0": 4.5, "b0": -2.4, "lr": 1.0, "mc": 1.0, "its": 100},
           expect=lambda r: r[0].biggest_step == 3 and round(r[0].step_length[3]) == 27
           and (f"{r[0].w[-1]:.1f}", f"{r[0].b[-1]:.1f}") == ("18.4", "20.6")
           and np.all(r[0].step_length[4:] == 0)),
))

VIEWS = (GEOMETRY, TENSORS, NONFINITE, CLIFF)
