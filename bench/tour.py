"""Timings for the lecture tour: a warm Next between cached steps against a page rerun at defaults.

Run from the repository root:  python bench/tour.py

Under AppTest (no browser, no network; the machine is shared, so the ratios are what to compare):

* the baseline: a rerun of the scalar page at its defaults, warm, measured in the same run;
* cold: every step opened once (``?step=k``) with empty caches; a training step trains its runs
  once (the lab's own first run), the others compute their core results;
* warm Next: once every step is cached, ``Next`` from step k to k + 1 (one rerun, the button's
  callback sets ``?step``), for every k, several rounds; median and worst, and the median as a ratio
  to the baseline. Target (issue 15): the warm Next's median under 150 ms.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("RNNVIZ_TRAIN_AHEAD", "0")  # the steps train in the script, as a first visit does

ROUNDS = 3


def _app(page: str, **query):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.switch_page(page)
    for key, value in query.items():
        at.query_params[key] = value
    return at


def _timed(run) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def main() -> None:
    import streamlit as st

    from rnnviz.ui import tour

    st.cache_data.clear()
    st.cache_resource.clear()
    scalar = _app("pages/1_Scalar_intuition.py")
    scalar.run()
    base = statistics.median(_timed(scalar.run) for _ in range(7))
    print(f"scalar page rerun at defaults, warm (baseline): {base * 1e3:6.1f} ms")

    count = len(tour.STEPS)
    print(f"== cold: each of the {count} steps opened once, empty caches ==")
    for k in range(1, count + 1):
        at = _app("pages/0_Lecture.py", step=str(k))
        seconds = _timed(at.run)
        assert not at.exception, [e.message for e in at.exception]
        print(f"step {k:2d} {tour.STEPS[k - 1].title[:48]:48s} {seconds * 1e3:8.0f} ms")

    print(f"== warm Next between cached steps ({ROUNDS} rounds) ==")
    at = _app("pages/0_Lecture.py", step="1")
    at.run()
    times = []
    for _ in range(ROUNDS):
        at.button(key="tour_first").click().run()
        for _ in range(count - 1):
            times.append(_timed(lambda: at.button(key="tour_next").click().run()))
            assert not at.exception, [e.message for e in at.exception]
    median = statistics.median(times)
    print(f"Next, warm: median {median * 1e3:6.1f} ms, worst {max(times) * 1e3:6.1f} ms "
          f"({median / base:4.2f}x the scalar page's warm rerun; target: median < 150 ms)")


if __name__ == "__main__":
    main()
