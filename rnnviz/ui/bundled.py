"""The "Your network" page's bundled example checkpoints (``rnnviz/ui/examples/``): their files are
read here, in the app's layer; the core (:mod:`rnnviz.presets.checkpoint`) only parses their bytes."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from ..checkpoint import Checkpoint
from ..presets import checkpoint as your_network

EXAMPLE_DIR = Path(__file__).resolve().parent / "examples"


def example_bytes(ex: str) -> bytes:
    """The bytes of the bundled example ``ex``'s file (a key of ``rnnviz.presets.checkpoint.EXAMPLES``)."""
    return (EXAMPLE_DIR / your_network.EXAMPLES[ex][0]).read_bytes()


@lru_cache(maxsize=4)
def example(ex: str, f: str = "tanh") -> Checkpoint:
    """The bundled example ``ex``, parsed once per plain-RNN activation ``f``."""
    return your_network.example(example_bytes(ex), ex, f)


#: The "Your network" page's view, over the bundled examples' files.
VIEW = your_network.view(example_bytes)
