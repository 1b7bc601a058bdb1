"""Live training runs: trained in front of the viewer, paused, stopped, resumed, shared when done.

The training lab cannot go through :func:`rnnviz.ui.cached`: it trains live, with a progress bar,
a live chart and *Pause* / *Stop* buttons (keyboard-operable: WCAG 2.2.2 asks that anything that
moves for more than five seconds can be paused or stopped). :func:`train` is the whole protocol:

* a finished run comes from a small LRU store shared by all sessions (:func:`run_store`), keyed by
  its settings; sweeps likewise (:func:`sweep_store`, :func:`run_sweep`);
* a run the viewer paused or stopped is held in the session, with its iterator, until the viewer
  resumes it (:func:`resume_button`): it goes on from where it stood, not from the start;
  :func:`halted` says where it stands, :func:`partial` gives what it learned so far.

A lecture hall opening the app on a freshly started server would otherwise all wait for the
first training of the default settings, in one session, under the load of every other session
(the cold-start load benchmark measured a hall p95 of 13 s on the lab). So the first run of any
page starts :func:`train_ahead`: the default run trains once per server process in a background
thread, holding the same per-settings lock as the lab (:func:`rnnviz.ui.cache.flight_lock`), and
is stored by the time the hall reaches the lab. Set ``RNNVIZ_TRAIN_AHEAD=0`` to switch it off
(the page tests do, so that they see the lab train).
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field, replace

import streamlit as st

import rnnviz
from rnnviz.charts.training import CELL_LABELS, training_live_spec

from .cache import flight_lock, single_flight
from .export import accessible

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
    """The finished run of ``cfg``, for a view that shows it without training it live (the lecture
    tour): from :func:`run_store` (the lab's and train-ahead's runs), else trained now under a spinner
    and stored, one session per settings (the others wait for it), so it costs at most what the lab's
    own first run of ``cfg`` costs."""
    store = run_store()
    result = store.get(cfg)
    if result is not None:
        return result
    with single_flight(cfg, waiting=WAITING):
        result = store.get(cfg)
        if result is None:
            with st.spinner(f"Training the {CELL_LABELS[cfg.cell]} ({cfg.iterations} iterations) …"):
                result = _fit(cfg)
            store.put(cfg, result)
    return result


# ----------------------------------------------------------------------------- live training

#: Session state: settings → their run in progress, paused or stopped in this session.
_LIVE = "_rnnviz_live_runs"
#: What a session shows while another one trains the same settings.
WAITING = "Another viewer is training exactly these settings; its result appears here in a moment."
#: Seconds between two redraws of the progress bar and the live chart: at most 2.5 a second, under
#: the three flashes a second of WCAG 2.3.1 even if a browser blanks the chart while redrawing it.
REDRAW = 0.4


@dataclass
class Live:
    """A run of one session: its steps so far, the iterator that goes on from there, the seconds it
    trained, and its state: "running", "paused", "stopped" or "resumed" (asked to go on)."""

    steps: list
    iterator: Iterator
    state: str = "running"
    seconds: float = 0.0
    started: float = field(default_factory=time.perf_counter)


def _live() -> dict:
    return st.session_state.setdefault(_LIVE, {})


def halted(cfg) -> str | None:
    """"paused" or "stopped" when the viewer halted the run of ``cfg`` in this session, else None."""
    run = _live().get(cfg)
    return run.state if run is not None and run.state in ("paused", "stopped") else None


def partial(cfg) -> Result | None:
    """What a halted run of ``cfg`` learned so far (its training time unknown: NaN), or None."""
    run = _live().get(cfg)
    if run is None or not run.steps:
        return None
    return Result(rnnviz.summarize_training(cfg, list(run.steps)), math.nan)


def iterations_done(cfg) -> int:
    """How many iterations of ``cfg`` this session trained so far (0 when none is held)."""
    run = _live().get(cfg)
    return 0 if run is None else len(run.steps)


def keep_only(*cfgs) -> None:
    """Drop the session's held runs of other settings (a changed setting lapses them)."""
    live = _live()
    for cfg in [c for c in live if c not in cfgs]:
        del live[cfg]


def _set_state(cfg, state: str) -> None:
    run = _live().get(cfg)
    if run is not None:
        run.state = state


def resume_button(cfg, *, label: str, key: str, **kwargs) -> None:
    """A button that lets a paused or stopped run of ``cfg`` go on from where it stood."""
    st.button(label, key=key, icon=":material/play_arrow:", on_click=_set_state, args=(cfg, "resumed"),
              **kwargs)


def train(cfg, *, key: str) -> Result | None:
    """The finished run of ``cfg``: from the shared store, else trained live here (progress bar,
    live chart, Pause and Stop buttons keyed ``key_pause`` and ``key``) and stored. None while the
    viewer has it paused or stopped (see :func:`halted`, :func:`partial`).

    A hall on a cold server: one session trains these settings, the others wait for its result.
    """
    result = run_store().get(cfg)
    if result is not None or halted(cfg) is not None:
        return result
    with single_flight(cfg, waiting=WAITING):
        return run_store().get(cfg) or _train_live(cfg, key)


def _progress_text(cfg, step=None) -> str:
    text = f"Training the {CELL_LABELS[cfg.cell]} …"
    if step is None:
        return text
    return (f"{text} iteration {step.iteration} of {cfg.iterations} · loss {step.loss:.3g} · "
            f"accuracy {step.accuracy:.0%}")


def _train_live(cfg, key: str) -> Result:
    live = _live()
    run = live.get(cfg)
    if run is None:   # a fresh start; otherwise a resumed (or rerun-interrupted) run goes on
        run = live[cfg] = Live(steps=[], iterator=rnnviz.iterate_training(cfg))
    run.state, run.started = "running", time.perf_counter()
    spent = run.seconds
    bar = st.progress(len(run.steps) / cfg.iterations, text=_progress_text(cfg))
    buttons = st.container(horizontal=True, gap="small")
    buttons.button("Pause", key=f"{key}_pause", icon=":material/pause_circle:", on_click=_set_state,
                   args=(cfg, "paused"), help="Pause training here; resume it later from the same iteration.")
    buttons.button("Stop training", key=key, icon=":material/stop_circle:", on_click=_set_state,
                   args=(cfg, "stopped"), help="Stop training and show what the network has learned so far.")
    chart = st.empty()
    last = 0.0
    for step in run.iterator:
        if run.steps:   # only the last step's parameters are summarised: keep the session's memory flat
            run.steps[-1] = replace(run.steps[-1], params=None)
        run.steps.append(step)   # before any st call: a halt (a rerun) never loses a step
        now = time.perf_counter()
        run.seconds = spent + now - run.started
        if now - last > REDRAW or step.nonfinite is not None:
            last = now
            bar.progress(step.iteration / cfg.iterations, text=_progress_text(cfg, step))
            spec = training_live_spec([s.loss for s in run.steps], [s.accuracy for s in run.steps],
                                      iterations=cfg.iterations)
            chart.vega_lite_chart(accessible(spec, name="Training so far",
                                             notice=_progress_text(cfg, step)), width="stretch")
    result = Result(rnnviz.summarize_training(cfg, run.steps), spent + time.perf_counter() - run.started)
    run_store().put(cfg, result)
    live.pop(cfg, None)
    bar.empty()
    buttons.empty()
    chart.empty()
    return result


# ----------------------------------------------------------------------------- the gap sweep

def sweep_key(cfg, cells: tuple[str, ...], seeds: int) -> tuple:
    """The store key of a sweep: every setting but the gap and the cell, the cells, gaps and seeds."""
    return (cfg.replace(gap=1, cell="rnn"), tuple(cells), rnnviz.DEFAULT_SWEEP_GAPS, int(seeds))


def stored_sweep(cfg, cells: tuple[str, ...], seeds: int) -> Result | None:
    """A finished sweep of these settings, if any session ran it."""
    return sweep_store().get(sweep_key(cfg, cells, seeds))


def run_sweep(cfg, cells: tuple[str, ...], seeds: int) -> Result:
    """Train ``cfg`` at every default gap for each cell and seed (:func:`rnnviz.compare_gap_sweeps`)
    with a progress bar, and store it. Its ``run`` is the :class:`rnnviz.GapSweep` of a single cell,
    or ``{cell: GapSweep}`` for several."""
    bar = st.progress(0.0, text="Sweeping …")

    def progress(done, total, cell, gap, seed):
        bar.progress(done / total, text=f"Sweeping … {CELL_LABELS[cell]}, L = {gap}, seed {seed} "
                                         f"({done} of {total})")

    by_cell = rnnviz.compare_gap_sweeps(cfg, rnnviz.DEFAULT_SWEEP_GAPS, cells=cells, seeds=int(seeds),
                                        progress=progress)
    sweep = Result(by_cell[cells[0]] if len(cells) == 1 else by_cell, 0.0)
    sweep_store().put(sweep_key(cfg, cells, seeds), sweep)
    bar.empty()
    return sweep
