"""The training lab's default run, trained ahead in the background by the first run of any page."""

from __future__ import annotations

import threading

import pytest
import streamlit as st
from page_driver import exception_report, open_page

import rnnviz
from rnnviz.ui import runs
from rnnviz.ui.cache import flight_lock

QUICK = rnnviz.TrainingConfig(iterations=5)


@pytest.fixture
def ahead_on(monkeypatch):
    monkeypatch.setenv(runs.TRAIN_AHEAD_ENV, "1")
    st.cache_resource.clear()
    yield
    st.cache_resource.clear()


def test_trains_once_in_the_background_and_stores_the_run(ahead_on):
    thread = runs.train_ahead(QUICK)
    assert isinstance(thread, threading.Thread) and thread.daemon
    thread.join(timeout=60)
    stored = runs.run_store().get(QUICK)
    assert stored is not None and stored.seconds > 0
    assert len(stored.run.loss) == QUICK.iterations
    assert runs.train_ahead(QUICK) is None          # once per server process
    assert runs.run_store().get(QUICK) is stored


def test_holds_the_labs_lock_while_it_trains(ahead_on):
    lock = flight_lock(QUICK)
    with lock:                                       # a session is training these settings right now
        thread = runs.train_ahead(QUICK)
        thread.join(timeout=0.5)
        assert thread.is_alive()                     # so the run ahead waits for it ...
        runs.run_store().put(QUICK, "the session's run")
    thread.join(timeout=60)
    assert runs.run_store().get(QUICK) == "the session's run"   # ... and does not train again


def test_switched_off_by_the_environment(monkeypatch):
    monkeypatch.setenv(runs.TRAIN_AHEAD_ENV, "0")
    st.cache_resource.clear()
    assert runs.train_ahead(QUICK) is None
    assert runs.run_store().get(QUICK) is None


def test_first_page_run_trains_the_labs_defaults_and_the_lab_shows_them(ahead_on):
    home = open_page("app.py").run(timeout=60)
    assert not exception_report(home)
    defaults = rnnviz.TrainingConfig()
    for _ in range(600):                             # at most 60 s; about a second on a quiet machine
        stored = runs.run_store().get(defaults)
        if stored is not None:
            break
        threading.Event().wait(0.1)
    assert stored is not None, "the default run was not trained ahead"
    lab = open_page("pages/5_Training_lab.py").run(timeout=60)
    assert not exception_report(lab)
    assert runs.run_store().get(defaults) is stored   # shown from the store, not trained again
    assert any(m.label.startswith("Held-out accuracy") or "accuracy" in m.label.lower() for m in lab.metric)
