"""Benchmark of the mean-field phase diagram: a 200 × 200 ``mean_field_grid`` against one evaluation.

    python bench/meanfield.py        # tanh, sigmoid and ReLU over σ_w × (input, bias), median of 5

The baseline, measured in the same run, is a single evaluation of the Gaussian expectations
E f(a)², ½E (f²)″(a), E f′(a)² at every one of the 40,000 cells (the quadrature the fixed-point solve
repeats): the ratio says how many such evaluations the whole solve (bracketed Newton for q, then χ)
costs. Plain iteration q ← F(q) would need hundreds next to the edge. Wall times are printed for
reference; nothing is asserted (the machine is shared).
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", os.environ["OPENBLAS_NUM_THREADS"])

import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import rnnviz  # noqa: E402
from rnnviz.meanfield import _moments  # noqa: E402

SIDE = 200
CASES = (("tanh", "input_std", (0.0, 3.0)), ("tanh", "bias", (-2.0, 2.0)), ("sigmoid", "input_std", (0.0, 3.0)),
         ("relu", "bias", (-2.0, 2.0)))


def main(repeats: int = 5) -> int:
    sw = np.linspace(0.0, 4.0, SIDE)[:, None]
    print(f"{'case':<22}{'grid (ms)':>12}{'one eval (ms)':>15}{'ratio':>9}")
    for name, axis, (lo, hi) in CASES:
        other = np.linspace(lo, hi, SIDE)[None, :]
        grid = rnnviz.mean_field_grid(name, sw, **{axis: other})
        mu = np.broadcast_to(other if axis == "bias" else 0.0, grid.q.shape).ravel().astype(float)
        q = np.where(np.isfinite(grid.q), grid.q, 1.0).ravel()
        full, base = [], []
        for _ in range(repeats):  # interleaved, so both see the same load
            t = time.perf_counter()
            rnnviz.mean_field_grid(name, sw, **{axis: other})
            full.append(time.perf_counter() - t)
            t = time.perf_counter()
            _moments(name, mu, q)
            base.append(time.perf_counter() - t)
        f, b = statistics.median(full), statistics.median(base)
        print(f"{name + ' × ' + axis:<22}{f * 1e3:>12.1f}{b * 1e3:>15.1f}{f / b:>9.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
