"""Caching of core results: keyed on settings, shared across sessions, bounded.

A lecture hall opens the same link at once: every session asks for the same preset, so a
result is computed once (Streamlit holds a per-key lock while the first session computes it;
the others wait and then read it) and then shared. Memory is bounded twice per function:

* ``max_entries``: at most this many settings are kept (least recently used are dropped);
* ``max_size``: at most this many pickled bytes (Streamlit's ``max_size``, LRU as well).

The whole process can be bounded on top of that with ``server.maxCacheDataSize`` in
``.streamlit/config.toml`` (one LRU budget across all functions and sessions).

Cache on scalar settings (numbers, strings, tuples), not arrays: a cached function should
build its arrays from the settings. Where an array argument is unavoidable (an uploaded
matrix), it is hashed exactly here (Streamlit alone samples arrays of 500,000 entries or
more, so two different large matrices could share an entry).
"""

from __future__ import annotations

import hashlib
import pickle
import threading
from collections.abc import Hashable, Iterator
from contextlib import contextmanager

import numpy as np
import streamlit as st

#: Default bound on entries per cached function, so a hall of students cannot grow memory without end.
MAX_ENTRIES = 32
#: Default bound on the pickled size of one function's entries (bytes). The largest entry measured at
#: the pages' maximal settings is ~6.4 MB (nonlinearity page, n = 256, 1000 steps), so a few of the
#: heaviest and dozens of ordinary settings fit; ~20 cached functions stay far below 690 MB in practice.
MAX_SIZE = 32 * 1024 * 1024


def _hash_array(arr: np.ndarray) -> tuple:
    """Exact key for an array argument: shape, dtype and a digest of every byte."""
    if arr.dtype.hasobject:
        payload = pickle.dumps(arr, protocol=pickle.HIGHEST_PROTOCOL)
    else:
        payload = np.ascontiguousarray(arr).tobytes()
    return (arr.shape, arr.dtype.str, hashlib.blake2b(payload, digest_size=16).hexdigest())


HASH_FUNCS = {np.ndarray: _hash_array}


def cached(func=None, *, max_entries: int = MAX_ENTRIES, max_size: int | str | None = MAX_SIZE,
           ttl: float | str | None = None):
    """``st.cache_data`` with bounds, exact array hashing and no spinner.

    Use bare (``@cached``) or with options (``@cached(max_entries=8)``). ``max_size`` is
    bytes (or a string such as ``"16MB"``); ``ttl`` (seconds or ``"1h"``) drops entries
    that old, for results that are only needed briefly.
    """
    if max_entries is not None and max_entries < 1:
        raise ValueError(f"max_entries must be at least 1; got {max_entries}.")
    deco = st.cache_data(max_entries=max_entries, max_size=max_size, ttl=ttl, show_spinner=False,
                         hash_funcs=HASH_FUNCS)
    return deco if func is None else deco(func)


class _Flights:
    """One lock per key, so that work keyed on the same settings runs in one session at a time."""

    MAX_KEYS = 256

    def __init__(self) -> None:
        self._locks: dict[Hashable, threading.Lock] = {}
        self._guard = threading.Lock()

    def lock(self, key: Hashable) -> threading.Lock:
        with self._guard:
            if key not in self._locks and len(self._locks) >= self.MAX_KEYS:
                for old in [k for k, lk in self._locks.items() if not lk.locked()]:
                    del self._locks[old]  # bounded: idle keys are forgotten
            return self._locks.setdefault(key, threading.Lock())


@st.cache_resource
def _flights() -> _Flights:
    return _Flights()


def flight_lock(key: Hashable) -> threading.Lock:
    """The process-wide lock that :func:`single_flight` takes for ``key`` (for work done outside a
    script run, such as training ahead, that sessions should wait for)."""
    return _flights().lock(key)


@contextmanager
def single_flight(key: Hashable, *, waiting: str) -> Iterator[None]:
    """Run the block in one session at a time per ``key``; the others wait, showing ``waiting``.

    For work that cannot go through :func:`cached` because it reports progress as it goes (live
    training): when a hall opens the same link on a cold server, one session does the work and
    stores its result; the others wait here, then find it stored. Waiting sessions still answer
    a rerun (a widget change) within a quarter of a second.
    """
    lock = flight_lock(key)
    if not lock.acquire(blocking=False):
        note = st.empty()
        while not lock.acquire(timeout=0.25):
            note.info(waiting, icon=":material/hourglass_top:")  # an st call: lets a rerun stop us
        note.empty()
    try:
        yield
    finally:
        lock.release()
