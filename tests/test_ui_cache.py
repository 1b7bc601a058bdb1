"""single_flight: work keyed on the same settings runs in one session at a time (bare Streamlit)."""

import threading
import time

import pytest

pytest.importorskip("streamlit")

from rnnviz.ui.cache import _Flights, single_flight  # noqa: E402


def _run_in_threads(keys):
    spans, barrier = {}, threading.Barrier(len(keys))

    def work(i, key):
        barrier.wait()
        with single_flight(key, waiting="busy"):
            start = time.perf_counter()
            time.sleep(0.3)
            spans[i] = (start, time.perf_counter())

    threads = [threading.Thread(target=work, args=(i, k)) for i, k in enumerate(keys)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    return [spans[i] for i in range(len(keys))]


def _overlap(a, b):
    return a[0] < b[1] and b[0] < a[1]


def test_same_key_runs_one_at_a_time():
    a, b, c = _run_in_threads([("cfg", 1)] * 3)
    assert not _overlap(a, b) and not _overlap(a, c) and not _overlap(b, c)


def test_different_keys_run_together():
    a, b = _run_in_threads([("cfg", 2), ("cfg", 3)])
    assert _overlap(a, b)


def test_lock_released_when_the_block_raises():
    with pytest.raises(RuntimeError):
        with single_flight("boom", waiting="busy"):
            raise RuntimeError("interrupted run")
    with single_flight("boom", waiting="busy"):  # would wait forever if the lock were kept
        pass


def test_flights_forget_idle_keys():
    flights = _Flights()
    held = flights.lock("held")
    held.acquire()
    for k in range(_Flights.MAX_KEYS + 10):
        flights.lock(k)
    assert len(flights._locks) <= _Flights.MAX_KEYS
    assert flights.lock("held") is held  # a key in use is never forgotten
    held.release()
