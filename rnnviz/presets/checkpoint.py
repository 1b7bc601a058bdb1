"""Your network (page 6): a checkpoint's layer driven by Gaussian inputs; presets and their checks.

The presets use the two bundled example checkpoints (``rnnviz/ui/examples/``, made by
``tests/fixtures/make_examples.py``): an uploaded file is not part of a link, so a preset cannot
name one. Reading those files is not the core's: :func:`view` takes a function that returns an
example's bytes (``rnnviz.ui.bundled.example_bytes`` in the app; the tests read the files themselves).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from ..checkpoint import Checkpoint, LayerAnalysis, analyse_layer, layer_drive, load_checkpoint
from . import Claim, Preset, View

#: The bundled examples: link value → (file name, label on the page).
EXAMPLES = {
    "lstm": ("agreement_lstm.safetensors", "LSTM trained on the agreement task (example)"),
    "gru": ("untrained_gru.npz", "Untrained GRU (example)"),
}
DEFAULTS = {"ex": "lstm", "f": "tanh", "layer": 0, "drive": "gauss", "in_scale": 1.0, "T": 1000, "seed": 0}


def example(data: bytes, ex: str, f: str = "tanh") -> Checkpoint:
    """The bundled example ``ex`` from its file's bytes, parsed like an upload (``f``: the plain-RNN
    activation)."""
    return load_checkpoint(data, EXAMPLES[ex][0], nonlinearity=f)


def run(checkpoint: Checkpoint, layer: int, in_scale: float, T: int, seed: int) -> LayerAnalysis:
    """The page's analysis of a checkpoint's layer under a Gaussian drive."""
    chosen = checkpoint.layers[layer]
    return analyse_layer(chosen, layer_drive(chosen, T, scale=in_scale, seed=seed))


def keeps(result: LayerAnalysis, distance: int) -> float:
    """The median probe gradient's size ``distance`` steps back (what the diagnosis says)."""
    return math.exp(float(np.median(result.probe_log_norm[distance])))


def first_below(result: LayerAnalysis, level: float = 1e-3) -> int | None:
    """The first distance at which the median probe gradient is below ``level``."""
    hits = np.flatnonzero(result.typical_log_norm < math.log(level))
    return int(hits[0]) if hits.size else None


PRESETS = (
    Preset("Trained LSTM remembers", "The LSTM trained on 'cat … was / cats … were' keeps between 1 % and 10 % "
           "of a gradient 100 steps back, and it takes more than 150 steps to fall below 10⁻³.",
           {"ex": "lstm", "in_scale": 1.0},
           expect=lambda r: 0.01 < keeps(r, 100) < 0.1 and (first_below(r) or 10**9) > 150),
    Preset("Untrained GRU forgets", "A GRU straight from its random initialisation: its update gates sit near ½, "
           "not 1, so a gradient 100 steps back keeps less than 10⁻¹² of its size.",
           {"ex": "gru", "in_scale": 1.0},
           expect=lambda r: keeps(r, 100) < 1e-12 and r.near_one == 0 and 0.3 < float(np.median(r.gate_mean)) < 0.7),
    Preset("Strong inputs saturate the LSTM", "The same trained LSTM driven three times harder: its forget gates "
           "close (no unit keeps f ≥ 0.9) and the gradient falls below 10⁻³ within 50 steps.",
           {"ex": "lstm", "in_scale": 3.0},
           expect=lambda r: r.near_one == 0 and (first_below(r) or 10**9) <= 50),
)

#: The default view's diagnosis, quoted in README.md's table of pages.
DEFAULT_DIAGNOSIS = "A gradient 100 steps back keeps 4.4e-02 of its size; about 304 steps back it falls below 1e-3."
CLAIMS = (Claim("README, the pages table", DEFAULT_DIAGNOSIS, lambda r: r.diagnosis == DEFAULT_DIAGNOSIS),)


def view(example_bytes: Callable[[str], bytes]) -> View:
    """The page's view; ``example_bytes(ex)`` returns the bytes of the bundled example ``ex``'s file."""
    def evaluate(ex: str, f: str, layer: int, in_scale: float, T: int, seed: int) -> LayerAnalysis:
        return run(example(example_bytes(ex), ex, f), layer, in_scale, T, seed)

    return View("your_network", DEFAULTS, evaluate, PRESETS, CLAIMS)
