"""Benchmark of the numerical core: product_log_singular_values against the naive floor.

    python bench/core.py            # n = 64, T = 2,000 (and the T = 10,000 finiteness check)
    python bench/core.py --big      # also n = 256: ratio at T = 400, and T = 10,000 (about a minute
                                    # of CPU: the floor itself would be ~65 s, 10,000 SVDs of 256 x 256)

The floor, measured in the same run on the same Jacobians, is what any method that reports every
horizon must at least do: the chain of T matrix products J_T ... J_{k+1} plus one batched
np.linalg.svd of all T products. The floor is not a usable method (the explicit products overflow or
underflow on long horizons); product_log_singular_values must stay finite there. Target: ratio <= 1.5.
Timings are repeated (interleaved) and the median is reported; no timing is asserted anywhere.

BLAS runs single-threaded by default (override with OPENBLAS_NUM_THREADS): on a shared 2-core
machine multi-threaded BLAS on 64 x 64 matrices is slower and far noisier than one thread.
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


def floor(J: np.ndarray) -> np.ndarray:
    """Chain of products plus one batched SVD: the naive lower bound on the work."""
    T, n, _ = J.shape
    products = np.empty((T, n, n))
    P = np.eye(n)
    with np.errstate(all="ignore"):
        for k in range(T, 0, -1):
            P = P @ J[k - 1]
            products[k - 1] = P
        return np.linalg.svd(products, compute_uv=False)


def floor_rescaled(J: np.ndarray) -> np.ndarray:
    """The same chain, rescaled after each step so it never under- or overflows, plus the batched SVD.

    Where the plain floor's products underflow to zero its SVDs become trivially cheap (and wrong);
    this variant is the fair lower bound there.
    """
    T, n, _ = J.shape
    products = np.empty((T, n, n))
    P = np.eye(n)
    for k in range(T, 0, -1):
        P = P @ J[k - 1]
        P /= np.abs(P).max()
        products[k - 1] = P
    return np.linalg.svd(products, compute_uv=False)


def rnn_jacobians(n: int, T: int, *, scale: float = 1.5, seed: int = 0) -> np.ndarray:
    """Step Jacobians of a driven tanh RNN (what the app's pages feed the core)."""
    rng = np.random.default_rng(seed)
    W = rnnviz.init_recurrent(n, "gaussian", scale=scale, seed=seed)
    U = rng.standard_normal((n, 4)) / 2.0
    traj = rnnviz.forward(W, rng.standard_normal((T, 4)), U=U)
    return rnnviz.step_jacobians(W, traj.a, "tanh")


def timed(fn, *args) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process). With single-threaded BLAS the CPU time is the
    work done and stays meaningful when other processes load the machine; wall time does not."""
    w0, c0 = time.perf_counter(), time.process_time()
    fn(*args)
    return time.perf_counter() - w0, time.process_time() - c0


def compare(name: str, J: np.ndarray, repeats: int) -> float:
    floor(J[:50])  # warm-up
    rnnviz.product_log_singular_values(J[:50])
    t_floor, t_core, t_resc = [], [], []
    for _ in range(repeats):  # interleaved, so load changes hit both
        t_floor.append(timed(floor, J))
        t_core.append(timed(rnnviz.product_log_singular_values, J))
        t_resc.append(timed(floor_rescaled, J))
    fw, fc = (statistics.median(t[i] for t in t_floor) for i in (0, 1))
    cw, cc = (statistics.median(t[i] for t in t_core) for i in (0, 1))
    rc = statistics.median(t[1] for t in t_resc)
    print(f"  {name:<36} CPU: floor {fc:6.3f} s  core {cc:6.3f} s  ratio {cc / fc:4.2f}x"
          f"  (vs rescaled floor {cc / rc:4.2f}x)   | wall ratio {cw / fw:4.2f}x")
    return cc / fc


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--big", action="store_true", help="also time n = 256, T = 10,000")
    args = parser.parse_args()
    n, T = 64, 2000
    print(f"product_log_singular_values vs floor, n = {n}, T = {T}, median of {args.repeats} "
          f"(OPENBLAS_NUM_THREADS={os.environ['OPENBLAS_NUM_THREADS']}, load {os.getloadavg()[0]:.1f})")
    ratios = {
        "tanh RNN Jacobians (scale 1.5)": compare("tanh RNN Jacobians (scale 1.5)", rnn_jacobians(n, T), args.repeats),
        "Gaussian N(0, 1/n) matrices": compare(
            "Gaussian N(0, 1/n) matrices",
            np.random.default_rng(1).standard_normal((T, n, n)) / np.sqrt(n), args.repeats),
        "tanh RNN (scale 1.0; floor underflows)": compare(
            "tanh RNN (scale 1.0; floor underflows)", rnn_jacobians(n, T, scale=1.0), args.repeats),
        "orthogonal W (no spread)": compare(
            "orthogonal W (no spread)",
            np.broadcast_to(rnnviz.init_recurrent(n, "orthogonal", seed=2), (T, n, n)).copy(), args.repeats),
    }
    head = ratios["tanh RNN Jacobians (scale 1.5)"]
    print(f"headline ratio (tanh RNN, CPU time): {head:.2f}x  (target <= 1.5x: {'met' if head <= 1.5 else 'NOT met'})")

    T_long = 10_000
    J = rnn_jacobians(n, T_long, scale=3.0, seed=3)
    t_wall, t_cpu = timed(rnnviz.product_log_singular_values, J)
    out = rnnviz.product_log_singular_values(J)
    # where the naive explicit product stops being usable: its largest entry over- or underflows
    P, broke = np.eye(n), None
    with np.errstate(all="ignore"):
        for k in range(T_long, 0, -1):
            P = P @ J[k - 1]
            m = np.abs(P).max()
            if not (1e-300 < m < 1e300):
                broke = T_long - k + 1
                break
    print(f"T = {T_long}, n = {n} (tanh RNN, scale 3): {t_wall:.2f} s wall, {t_cpu:.2f} s CPU; all finite: "
          f"{bool(np.isfinite(out).all())}; row 0 spans log sigma {out[0, 0]:.0f} .. {out[0, -1]:.0f}; "
          f"the explicit product leaves float64 after {broke} steps")
    ok = bool(np.isfinite(out).all())

    if args.big:
        n_big = 256
        compare(f"n = {n_big}, T = 400 tanh RNN (scale 1)", rnn_jacobians(n_big, 400, scale=1.0), 1)
        W = rnnviz.init_recurrent(n_big, "gaussian", scale=1.0, seed=4)
        rng = np.random.default_rng(4)
        traj = rnnviz.forward(W, rng.standard_normal((T_long, 2)), U=rng.standard_normal((n_big, 2)))
        t0, c0 = time.perf_counter(), time.process_time()
        out = rnnviz.trajectory_log_singular_values(W, traj.a, "tanh")
        el, cpu = time.perf_counter() - t0, time.process_time() - c0
        print(f"T = {T_long}, n = {n_big} (trajectory_log_singular_values, no (T, n, n) stack): "
              f"{el:.1f} s wall, {cpu:.1f} s CPU, all finite: {bool(np.isfinite(out).all())}")
        ok &= bool(np.isfinite(out).all())
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
