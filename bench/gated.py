"""Benchmark: the gated cells against the plain RNN, measured in the same run.

    .venv/bin/python bench/gated.py [--repeat 7]

1. Training step of the lab (forward + BPTT, n = 32, T = 100, batch 64): GRU and LSTM against the
   plain tanh RNN (rnnviz.forward + rnnviz.bptt) on the same inputs. A GRU does about 3× the
   plain RNN's arithmetic, an LSTM about 4×; the ratios say how close to that we are.
2. Spectral page (one sequence, n = 64, T = 2,000): forward + step Jacobians, GRU and LSTM (2n × 2n)
   against the plain RNN's forward + step_jacobians.
Best of ``--repeat`` runs (the machine is shared; best-of is the least noisy statistic).
``--cpu`` times CPU time instead of wall time (steadier when other processes compete for the cores).
``--blas-threads 1`` pins OpenBLAS to one thread: on a loaded machine multi-threaded BLAS makes
these small products (64 × 96 by 96 × 32) many times slower for every cell alike.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

if "--blas-threads" in sys.argv:  # must be set before NumPy loads OpenBLAS
    os.environ["OPENBLAS_NUM_THREADS"] = sys.argv[sys.argv.index("--blas-threads") + 1]

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import rnnviz  # noqa: E402


CLOCK = time.process_time if "--cpu" in sys.argv else time.perf_counter


def best_of(fn, repeat: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeat):
        t0 = CLOCK()
        fn()
        times.append(CLOCK() - t0)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--blas-threads", type=int, default=None, help="OPENBLAS_NUM_THREADS for this run")
    ap.add_argument("--cpu", action="store_true",
                    help="time CPU time of this process (steadier on a shared machine; use with --blas-threads 1)")
    args = ap.parse_args()
    print(f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}, "
          f"clock {'CPU' if args.cpu else 'wall'}, load {os.getloadavg()[0]:.1f}")

    # ---- 1. a training step of the lab
    n, T, B, m = 32, 100, 64, 8
    rng = np.random.default_rng(0)
    xs = rng.standard_normal((T, B, m))
    W = rnnviz.init_recurrent(n, "gaussian", 1.0, 0)
    U = rng.standard_normal((n, m)) / np.sqrt(m)
    b = np.zeros(n)
    gru = rnnviz.init_gru(n, m, update_bias=1.0, seed=0)
    lstm = rnnviz.init_lstm(n, m, forget_bias=1.0, seed=0)
    dL = np.zeros((T + 1, B, n))
    dL[-1] = rng.standard_normal((B, n))

    def plain_step():
        tr = rnnviz.forward(W, xs, U=U, b=b)
        rnnviz.bptt(W, xs, tr, dL, U=U)

    def gru_step():
        tr = rnnviz.gru_forward(gru, xs)
        rnnviz.gru_bptt(gru, xs, tr, dL)

    def lstm_step():
        tr = rnnviz.lstm_forward(lstm, xs)
        rnnviz.lstm_bptt(lstm, xs, tr, dL)

    base = best_of(plain_step, args.repeat)
    print(f"training step, forward + BPTT, n={n}, T={T}, batch {B}, m={m} (best of {args.repeat}):")
    print(f"  plain tanh RNN  {base * 1e3:8.2f} ms   (baseline)")
    for name, fn in (("GRU", gru_step), ("LSTM", lstm_step)):
        t = best_of(fn, args.repeat)
        print(f"  {name:<14s} {t * 1e3:8.2f} ms   ratio {t / base:5.2f}×")

    # ---- 2. the spectral page's Jacobians
    n, T = 64, 2000
    xs = np.random.default_rng([0, 1]).standard_normal((T, n))
    W = rnnviz.init_recurrent(n, "gaussian", 1.0, 0)
    gru = rnnviz.init_gru(n, n, update_bias=4.0, seed=0)
    lstm = rnnviz.init_lstm(n, n, forget_bias=4.0, seed=0)

    def plain_jac():
        tr = rnnviz.forward(W, xs, U=np.eye(n))
        rnnviz.step_jacobians(W, tr.a, "tanh")

    def gru_jac():
        rnnviz.gru_step_jacobians(gru, rnnviz.gru_forward(gru, xs))

    def lstm_jac():
        rnnviz.lstm_step_jacobians(lstm, rnnviz.lstm_forward(lstm, xs))

    repeat = max(3, args.repeat // 2)
    base = best_of(plain_jac, repeat)
    print(f"\nspectral page, forward + step Jacobians, n={n}, T={T} (best of {repeat}):")
    print(f"  plain tanh RNN  {base * 1e3:8.2f} ms   (baseline)")
    for name, fn in (("GRU", gru_jac), ("LSTM (2n×2n)", lstm_jac)):
        t = best_of(fn, repeat)
        print(f"  {name:<14s} {t * 1e3:8.2f} ms   ratio {t / base:5.2f}×")


if __name__ == "__main__":
    main()
