"""Benchmark of the "Your network" page's analysis: a 2-layer LSTM, n = 256, T = 1,000.

    python bench/checkpoint.py             # median of 3 (interleaved with the baseline)

Times what the page does for its second layer: read the checkpoint's bytes (safetensors, made
here with PyTorch's initialisation U(-1/sqrt(n), 1/sqrt(n)) and a seed), run layer 0 over a
Gaussian drive to get layer 1's inputs, and ``analyse_layer`` on layer 1 (per-gate spectra, the
probes back through all 1,000 steps, the product spectrum over the window the cost model affords,
gate statistics, diagnosis). Baseline, measured in the same run on the same layer and inputs: one
forward pass and one back-propagation through time of layer 1 (``lstm_forward`` + ``lstm_bptt``,
a single sequence): what one training step of that layer costs. Target (issue 17): under ~3 s.
BLAS single-threaded, as the app runs it (rnnviz/ui/__init__.py).
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", os.environ["OPENBLAS_NUM_THREADS"])

import argparse  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import rnnviz  # noqa: E402
from rnnviz.checkpoint import analyse_layer, layer_drive  # noqa: E402

N, M, T, LAYERS = 256, 64, 1000, 2


def checkpoint_bytes() -> bytes:
    from safetensors.numpy import save

    rng = np.random.default_rng(0)
    k = 1 / np.sqrt(N)
    tensors = {}
    for layer in range(LAYERS):
        m = M if layer == 0 else N
        for name, shape in (("weight_ih", (4 * N, m)), ("weight_hh", (4 * N, N)), ("bias_ih", (4 * N,)),
                            ("bias_hh", (4 * N,))):
            tensors[f"lstm.{name}_l{layer}"] = rng.uniform(-k, k, shape).astype(np.float32)
    return save(tensors)


def page_analysis(data: bytes):
    ck = rnnviz.load_checkpoint(data, "lstm.safetensors")
    l0, l1 = ck.layers
    xs = l0.forward(layer_drive(l0, T, scale=1.0))[1:]
    return analyse_layer(l1, xs), xs, l1


def baseline(layer, xs) -> None:
    p = layer.params
    tr = rnnviz.lstm_forward(p, xs)
    dL = np.zeros_like(tr.h)
    dL[-1] = 1.0
    rnnviz.lstm_bptt(p, xs, tr, dL)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    data = checkpoint_bytes()
    result, xs, layer = page_analysis(data)  # warm-up (imports, first allocations)
    page, base, page_cpu, base_cpu = [], [], [], []
    for _ in range(args.repeats):
        t, c = time.perf_counter(), time.process_time()
        result, _, _ = page_analysis(data)
        page.append(time.perf_counter() - t)
        page_cpu.append(time.process_time() - c)
        t, c = time.perf_counter(), time.process_time()
        baseline(layer, xs)
        base.append(time.perf_counter() - t)
        base_cpu.append(time.process_time() - c)
    p, b = statistics.median(page), statistics.median(base)
    pc, bc = statistics.median(page_cpu), statistics.median(base_cpu)
    print(f"2-layer LSTM, n = {N}, T = {T:,} ({len(data) / 2**20:.1f} MB safetensors), median of {args.repeats}:")
    print(f"  page analysis of layer 1 (load + layer 0 forward + analyse_layer): {p:.2f} s wall, {pc:.2f} s CPU "
          f"(target < ~3 s: {'met' if p < 3.0 else 'NOT met'} in wall time)")
    print(f"  baseline, one forward + BPTT of layer 1:                          {b:.2f} s wall, {bc:.2f} s CPU")
    print(f"  ratio: {p / b:.1f}x wall, {pc / bc:.1f}x CPU, of one training step's forward and backward pass")
    print(f"  covered: probes over all {result.T:,} steps; every singular value over the last {result.window} "
          f"steps (d = {result.state_size}); diagnosis: {result.diagnosis}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
