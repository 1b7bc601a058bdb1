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

from .cache import flight_lock, single_flight

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


def train_ahead(*cfgs: rnnviz.TrainingConfig) -> threading.Thread | None:
    """Train ``cfgs`` (default: the lab's defaults) one after another in a background thread, each once
    per server process, and put them in :func:`run_store`. Returns the thread, or None when there is
    nothing to do (done or started before, switched off). Cheap to call on every run of every page."""
    if os.environ.get(TRAIN_AHEAD_ENV, "1") == "0":
        return None
    cfgs = cfgs or (rnnviz.TrainingConfig(),)
    started, guard = _started()
    with guard:
        todo = [cfg for cfg in dict.fromkeys(cfgs) if cfg not in started]
        started.update(todo)
    store = run_store()
    todo = [cfg for cfg in todo if store.get(cfg) is None]
    if not todo:
        return None
    # The store and the locks are fetched here, in the script thread; the worker touches no st.* call.
    thread = threading.Thread(target=_train, args=(todo, store, [flight_lock(cfg) for cfg in todo]),
                              name="rnnviz-train-ahead", daemon=True)
    thread.start()
    return thread


def _train(cfgs, store: Store, locks) -> None:
    for cfg, lock in zip(cfgs, locks):
        with lock:  # a session that reaches the lab meanwhile waits for this run instead of training too
            if store.get(cfg) is None:
                store.put(cfg, _fit(cfg))


def _fit(cfg) -> Result:
    start = time.perf_counter()
    steps = list(rnnviz.iterate_training(cfg))
    return Result(rnnviz.summarize_training(cfg, steps), time.perf_counter() - start)


def stored_run(cfg: rnnviz.TrainingConfig) -> Result:
    """The finished run of ``cfg``: from :func:`run_store` (the lab's and train-ahead's runs), else
    trained now under a spinner and stored, one session per settings (the others wait for it), so it
    costs at most what the lab's own first run of ``cfg`` costs."""
    store = run_store()
    result = store.get(cfg)
    if result is not None:
        return result
    with single_flight(cfg, waiting="Another viewer is training exactly these settings; its result "
                                    "appears here in a moment."):
        result = store.get(cfg)
        if result is None:
            with st.spinner(f"Training ({cfg.iterations} iterations) …"):
                result = _fit(cfg)
            store.put(cfg, result)
    return result
