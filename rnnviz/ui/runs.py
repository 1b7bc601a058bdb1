"""Finished training runs shared by every session, and the default run trained ahead of the hall.

The training lab cannot go through :func:`rnnviz.ui.cached`: it trains live, with a progress bar
and a stop button. Its finished runs (and sweeps) go into small LRU stores shared by all sessions
(:func:`run_store`, :func:`sweep_store`), keyed by their settings.

A lecture hall opening the app on a freshly started server would otherwise all wait for the
first training of the default settings, in one session, under the load of every other session
(the cold-start load benchmark measured a hall p95 of 13 s on the lab). So the first run of any
page starts :func:`train_ahead`: the default run trains once per server process in a background
thread, holding the same per-settings lock as the lab (:func:`rnnviz.ui.cache.flight_lock`), and
is stored by the time the hall reaches the lab. Set ``RNNVIZ_TRAIN_AHEAD=0`` to switch it off
(the page tests do, so that they see the lab train).
"""

from __future__ import annotations

import os
import threading
import time
from collections import OrderedDict

import streamlit as st

import rnnviz

from .cache import flight_lock

#: Environment variable that switches training ahead off when set to "0".
TRAIN_AHEAD_ENV = "RNNVIZ_TRAIN_AHEAD"


class Store:
    """A small LRU map shared by all sessions: finished runs keyed by their settings."""

    def __init__(self, size: int) -> None:
        self._items: OrderedDict = OrderedDict()
        self._lock = threading.Lock()
        self._size = size

    def get(self, key):
        with self._lock:
            if key not in self._items:
                return None
            self._items.move_to_end(key)
            return self._items[key]

    def put(self, key, value) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)


class Result:
    """A finished run (or sweep) and its chart specs, built once (an Altair build costs 50-150 ms)."""

    def __init__(self, run, seconds: float) -> None:
        self.run = run
        self.seconds = seconds
        self._specs: dict = {}

    def spec(self, name, build) -> dict:
        if name not in self._specs:
            self._specs[name] = build(self.run)
        return self._specs[name]


@st.cache_resource
def run_store() -> Store:
    return Store(24)


@st.cache_resource
def sweep_store() -> Store:
    return Store(8)


@st.cache_resource
def _started() -> tuple[set, threading.Lock]:
    """The settings this server process has already trained ahead (once each)."""
    return set(), threading.Lock()


def train_ahead(cfg: rnnviz.TrainingConfig | None = None) -> threading.Thread | None:
    """Train ``cfg`` (default: the lab's defaults) in a background thread, once per server process,
    and put it in :func:`run_store`. Returns the thread, or None when there is nothing to do (done
    or started before, switched off). Cheap to call on every run of every page."""
    if os.environ.get(TRAIN_AHEAD_ENV, "1") == "0":
        return None
    cfg = rnnviz.TrainingConfig() if cfg is None else cfg
    started, guard = _started()
    with guard:
        if cfg in started:
            return None
        started.add(cfg)
    store = run_store()
    if store.get(cfg) is not None:
        return None
    # The store and the lock are fetched here, in the script thread; the worker touches no st.* call.
    thread = threading.Thread(target=_train, args=(cfg, store, flight_lock(cfg)), name="rnnviz-train-ahead",
                              daemon=True)
    thread.start()
    return thread


def _train(cfg, store: Store, lock: threading.Lock) -> None:
    with lock:  # a session that reaches the lab meanwhile waits for this run instead of training too
        if store.get(cfg) is not None:
            return
        start = time.perf_counter()
        steps = list(rnnviz.iterate_training(cfg))
        store.put(cfg, Result(rnnviz.summarize_training(cfg, steps), time.perf_counter() - start))
