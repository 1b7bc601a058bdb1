"""Timings for the "Scalar intuition" and "Nonlinearity derivatives" pages and their core.

Run from the repository root:  python bench/pages_scalar.py

Prints medians of repeated runs and ratios against baselines measured in the same run (the
machine is shared, so absolute numbers are noisy; the ratios are what to compare):

* the vectorised (w, b) phase map, 200 × 200 cells, T = 200, against the per-cell loop it
  replaces (``scalar_trajectory`` per cell, timed on a sample of cells and scaled);
* one-unit trajectories of T = 10,000 steps;
* page reruns under AppTest: cold (caches cleared), warm (same settings), a slider drag (a new
  w each rerun, so the trajectory is recomputed but the phase map is not) and the slowest
  settings, against a trivial page's rerun.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import rnnviz  # noqa: E402


def median_time(fn, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def bench_core() -> None:
    print("== core ==")
    x = rnnviz.scalar_inputs(200, kind="sine", amplitude=0.5)
    ws, bs = np.linspace(-4, 4, 200), np.linspace(-3, 3, 200)
    sample = [(w, b) for w in ws[::20] for b in bs[::20]]  # 100 cells
    for name in rnnviz.NONLINEARITIES:
        grid = median_time(lambda: rnnviz.scalar_phase_map(ws, bs, u=1.0, h0=0.5, x=x, nonlinearity=name), 3)
        per_cell = median_time(lambda: [rnnviz.scalar_trajectory(w, b=b, u=1.0, h0=0.5, x=x, nonlinearity=name)
                                        for w, b in sample], 1) / len(sample)
        loop = per_cell * ws.size * bs.size
        print(f"phase map 200x200, T=200, {name:10s}: {grid * 1e3:7.1f} ms   "
              f"(per-cell loop ~{loop:6.2f} s, {loop / grid:5.0f}x slower)")
    x = rnnviz.scalar_inputs(10_000, kind="noise", amplitude=3.0)
    for name in rnnviz.NONLINEARITIES:
        t = median_time(lambda: rnnviz.scalar_trajectory(4.0, b=3.0, u=3.0, h0=2.0, x=x, nonlinearity=name))
        print(f"scalar_trajectory T=10,000, {name:10s}: {t * 1e3:6.1f} ms")
    for kw in (dict(n=64, T=200), dict(n=256, T=1000, weight_scale=3.0, nonlinearity="relu")):
        t = median_time(lambda: rnnviz.saturation_run(**kw), 3)
        print(f"saturation_run {kw}: {t * 1e3:6.1f} ms")


def bench_pages() -> None:
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    print("== pages (AppTest) ==")
    trivial = AppTest.from_string("import streamlit as st\nst.write('baseline')")
    trivial.run(timeout=60)
    base = median_time(lambda: trivial.run(timeout=60), 7)
    print(f"trivial page rerun (baseline): {base * 1e3:6.1f} ms")

    def page(path, **state):
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
        at.switch_page(path)
        for k, v in state.items():
            at.session_state[k] = v
        return at

    cases = [
        ("scalar, defaults", "pages/1_Scalar_intuition.py", {}),
        ("scalar, T=10,000 exploding ReLU", "pages/1_Scalar_intuition.py",
         dict(w=4.0, b=3.0, f="relu", T=10_000, input="noise", amp=3.0, u=3.0, h0=2.0)),
        ("nonlinearity, defaults", "pages/2_Nonlinearity_derivatives.py", {}),
        ("nonlinearity, n=256 T=1000 ReLU g=3", "pages/2_Nonlinearity_derivatives.py",
         dict(n=256, T=1000, scale=3.0, f="relu", in_scale=3.0)),
    ]
    for label, path, state in cases:
        st.cache_data.clear()
        at = page(path, **state)
        start = time.perf_counter()
        at.run(timeout=60)
        cold = time.perf_counter() - start
        assert not at.exception, [e.message for e in at.exception]
        warm = median_time(lambda: at.run(timeout=60), 7)
        line = (f"{label:38s} cold {cold * 1e3:7.1f} ms   warm {warm * 1e3:6.1f} ms "
                f"({warm / base:4.1f}x trivial)")
        if path.startswith("pages/1"):
            values = iter(np.linspace(-3.9, 3.9, 40))

            def drag():
                at.session_state["w"] = round(float(next(values)), 2)
                at.run(timeout=60)

            line += f"   w-drag {median_time(drag, 7) * 1e3:6.1f} ms"
        print(line)


if __name__ == "__main__":
    bench_core()
    bench_pages()
