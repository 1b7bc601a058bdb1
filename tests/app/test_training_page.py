"""The training lab under AppTest: defaults, every control at its extremes, the three scenarios,
the stop button's state, the sweep. Iterations are kept small so the whole file stays fast."""

from __future__ import annotations

import time

import pytest
import streamlit as st
from page_driver import CHART, exception_report, open_page

import rnnviz

PAGE = "pages/5_Training_lab.py"
FEW = 20  # iterations for the tests that do not need a trained network


def _fresh(**state) -> object:
    st.cache_resource.clear()
    at = open_page(PAGE)
    at.session_state["its"] = FEW
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    _ok(at)
    return at


def _ok(at, what: str = "") -> None:
    errors = exception_report(at)
    assert not errors, f"{PAGE} {what} raised:\n" + "\n".join(errors)


def _texts(at) -> str:
    parts = [e.value for kind in ("markdown", "caption", "warning", "info", "success", "error")
             for e in at.get(kind)]
    return "\n".join(str(p) for p in parts)


def test_defaults_train_and_rerun_from_the_store():
    at = _fresh()
    assert len(at.get(CHART)) == 3  # loss/accuracy, gradient norm, heat map (the sweep waits for a click)
    labels = [m.label for m in at.metric]
    assert labels == ["Held-out accuracy", "Last training loss", "Iterations run", "Training time"]
    assert at.metric[2].value == f"{FEW} of {FEW}"
    assert not at.error
    # A rerun finds the run in the store: nothing is retrained (the training time shown is unchanged).
    shown = at.metric[3].value
    start = time.perf_counter()
    at.run()
    rerun = time.perf_counter() - start
    _ok(at, "on a rerun")
    assert at.metric[3].value == shown
    print(f"warm rerun under AppTest: {rerun * 1000:.0f} ms")


def test_sample_sentences_shown_as_words():
    at = _fresh(L=3)
    text = _texts(at)
    assert "What the network reads" in text
    lines = [line for line in text.splitlines() if line.startswith("- **cat")]
    assert len(lines) == 4
    for line in lines:
        assert line.endswith("→ **was**") or line.endswith("→ **were**")
        assert ("**cats**" in line) == line.endswith("**were**")


# Each control to its extremes, one at a time from the small-iteration defaults.
EXTREMES = {
    "L": (1, 100),
    "f": tuple(rnnviz.NONLINEARITIES),
    "n": (2, 128),
    "scale": (0.1, 3.0),
    "opt": ("SGD", "Adam"),
    "lr": (0.0001, 3.0),
    "its": (20, 1000),
    "B": (8, 256),
    "clip": ("none", "by norm", "by value"),
    "c": (0.01, 100.0),
    "mom": (0.0, 0.99),
    "enc": ("one-hot", "embedding"),
    "seed": (0, 9999),
    "rel": (True, False),
    "seeds": (1, 3),
}


@pytest.mark.parametrize("key", list(EXTREMES))
def test_controls_at_extremes(key):
    at = _fresh()
    for value in EXTREMES[key]:
        at.session_state[key] = value
        at.run()
        _ok(at, f"with {key} = {value!r}")
        assert at.session_state[key] == value
        charts = len(at.get(CHART))
        diverged = "Training stopped at iteration" in _texts(at)
        assert charts == 3 or diverged, f"{key} = {value!r}: {charts} charts"


SCENARIO_LABELS = {"explode": "1 · Explodes to NaN", "clipped": "2 · Same, clipped",
                   "long_gap": "3 · Long gap: stays at chance"}


def _click_scenario(name: str):
    st.cache_resource.clear()
    at = open_page(PAGE)
    at.run()
    _ok(at)
    button = next(b for b in at.button if b.label == SCENARIO_LABELS[name])
    button.click().run()
    _ok(at, f"after scenario {name}")
    cfg = rnnviz.TRAINING_SCENARIOS[name]
    assert at.session_state["L"] == cfg.gap and at.session_state["lr"] == cfg.learning_rate
    return at


def test_scenario_explode_says_where_it_stopped():
    at = _click_scenario("explode")
    warnings = [w.value for w in at.warning]
    assert any("Training stopped at iteration" in w and "inf/NaN" in w for w in warnings), warnings
    assert at.metric[0].value == "—"
    assert len(at.get(CHART)) == 3  # the charts still show what happened up to the blow-up


def test_scenario_clipped_trains():
    at = _click_scenario("clipped")
    assert not at.warning
    assert any("learned the agreement" in s.value for s in at.success)
    assert "Clipping by global norm acted" in _texts(at)


def test_scenario_long_gap_stays_at_chance():
    at = _click_scenario("long_gap")
    assert any("coin toss" in i.value for i in at.info), [i.value for i in at.info]
    assert float(at.metric[0].value.rstrip("%")) < 60


class _Counted:
    """An iterator that counts what it hands out (to see a resumed run go on, not start again)."""

    def __init__(self, it) -> None:
        self.it, self.count = it, 0

    def __iter__(self):
        return self

    def __next__(self):
        item = next(self.it)
        self.count += 1
        return item


@pytest.mark.parametrize("state,button", [("stopped", "Train to the end"), ("paused", "Resume")])
def test_halted_training_shows_the_partial_run_and_goes_on_from_there(state, button):
    from rnnviz.ui import runs

    st.cache_resource.clear()
    at = open_page(PAGE)
    at.session_state["its"] = FEW
    at.session_state["seed"] = 11
    cfg = rnnviz.TrainingConfig(iterations=FEW, seed=11)
    steps, iterator = [], _Counted(rnnviz.iterate_training(cfg))
    for step in iterator:
        steps.append(step)
        if step.iteration == 7:
            break
    # what the Stop / Pause button's callback leaves in the session
    at.session_state[runs._LIVE] = {cfg: runs.Live(steps=steps, iterator=iterator, state=state)}
    at.run()
    _ok(at, f"after a {state} halt")
    assert any(f"{state} by you after 7 of 20" in i.value for i in at.info), [i.value for i in at.info]
    assert at.metric[2].value == "7 of 20"
    assert len(at.get(CHART)) == 3
    next(b for b in at.button if b.label == button).click().run()
    _ok(at, "after resuming")
    assert at.metric[2].value == "20 of 20"
    assert iterator.count == 20  # the held run went on from iteration 7
    assert at.metric[0].value == f"{rnnviz.train(cfg).test_accuracy:.1%}"  # the same run as one in one go


def test_sweep_runs_on_click_and_is_kept():
    at = _fresh()
    button = next(b for b in at.button if b.label.startswith("Run the sweep"))
    button.click().run()
    _ok(at, "after the sweep")
    assert len(at.get(CHART)) == 4
    at.run()
    _ok(at, "on a rerun after the sweep")
    assert len(at.get(CHART)) == 4
    assert not any(b.label.startswith("Run the sweep") for b in at.button)


def test_url_values_that_cannot_be_used_fall_back():
    st.cache_resource.clear()
    at = open_page(PAGE)
    at.query_params["L"] = "100000"
    at.query_params["its"] = "20"
    at.query_params["clip"] = "sometimes"
    at.run()
    _ok(at, "with nonsense in the URL")
