"""The page driver itself, on a small app whose every outcome is known.

Proves that the harness in test_all_pages.py can fail: each push really reaches its extreme, only
one control is off its default at a time, an exception is reported with the control that caused
it, and an ``st.error`` is not mistaken for one.
"""

from __future__ import annotations

import ast

from page_driver import exception_report, open_page, push_each

APP = '''
import streamlit as st

n = st.slider("Steps", 1, 10, 5, key="n", bind="query-params")
x = st.slider("Scale", 0.1, 2.0, 1.0, key="x")
rng = st.slider("Window", 0, 100, (20, 80), key="rng")
lvl = st.select_slider("Level", options=[1, 2, 3, 4], value=2, format_func=lambda v: f"L{v}", key="lvl")
seed = st.number_input("Seed", min_value=0, max_value=99, value=7, key="seed")
c = st.selectbox("Nonlinearity", ["tanh", "sigmoid", "relu"], index=1, format_func=str.upper, key="c")
norm = st.radio("Norm", ["l2", "inf"], key="norm")
log = st.toggle("Log axis", key="log")
many = st.multiselect("Show", ["a", "b", "c"], default=["a"], key="many")
txt = st.text_input("Matrix", "1 0; 0 1", key="txt")
st.checkbox("Snap steps to 9", key="snap", on_change=lambda: st.session_state.update(n=9))
st.button("Train", key="train")
st.text(repr((n, x, rng, lvl, seed, c, norm, log, many, txt)))
if txt and not txt.replace(" ", "").replace(";", "").isdigit():
    st.error("The matrix must be numbers separated by spaces and semicolons.")
if n == 10:
    raise RuntimeError("steps at max")
'''

DEFAULT = (5, 1.0, (20, 80), 2, 7, "sigmoid", "l2", False, ["a"], "1 0; 0 1")
FIELD = {"n": 0, "x": 1, "rng": 2, "lvl": 3, "seed": 4, "c": 5, "norm": 6, "log": 7, "many": 8, "txt": 9}
EXPECTED = {  # (key, setting up to " =" or " (") -> value the page must see
    ("n", "min"): 1, ("n", "max"): 10, ("x", "min"): 0.1, ("x", "max"): 2.0,
    ("rng", "range"): None,  # three settings, checked below
    ("lvl", "first"): 1, ("lvl", "last"): 4, ("seed", "min"): 0, ("seed", "max"): 99,
    ("c", "first"): "tanh", ("c", "last"): "relu", ("norm", "last"): "inf", ("log", "on"): True,
    ("many", "none selected"): [], ("many", "all selected"): ["a", "b", "c"],
    ("txt", "empty"): "", ("txt", "nonsense"): None,
}


def _write_app(tmp_path, source: str):
    (tmp_path / "app.py").write_text(source)
    return tmp_path


def test_every_push_reaches_its_extreme_alone(tmp_path):
    root = _write_app(tmp_path, APP)
    seen = {}

    def observe(push, at):
        seen[str(push)] = (push, ast.literal_eval(at.text[-1].value), [e.value for e in at.error])

    outcomes, runs = push_each("app.py", root=root, on_run=observe)

    keys = [o.push.widget.split("key=")[1].rstrip(")") for o in outcomes]
    # Every control but the button (an action, not a setting), each extreme except its default.
    assert sorted(set(keys)) == sorted([*FIELD, "snap"]) and len(outcomes) == 20, [str(o.push) for o in outcomes]
    for push, state, _ in seen.values():
        key = push.widget.split("key=")[1].rstrip(")")
        if key == "snap":  # its callback moves another control: the page shows it, and no error
            assert state[0] == 9
            continue
        changed = [name for name, i in FIELD.items() if state[i] != DEFAULT[i]]
        assert changed == [key], f"{push}: controls off their default: {changed}"
        word = push.setting.split(" =")[0].split(" (")[0]
        want = EXPECTED[(key, word)]
        if want is not None:
            assert state[FIELD[key]] == want, f"{push}: the page saw {state[FIELD[key]]!r}"
    ranges = {p.setting: s[FIELD["rng"]] for p, s, _ in seen.values() if p.widget.endswith("(key=rng)")}
    assert sorted(ranges.values()) == [(0, 0), (0, 100), (100, 100)]

    failing = [o for o in outcomes if o.exceptions]
    assert [str(o.push) for o in failing] == ["slider 'Steps' (key=n) → max = 10"]
    assert "RuntimeError" in failing[0].exceptions[0] and "steps at max" in failing[0].exceptions[0]
    nonsense = next(errors for p, _, errors in seen.values() if p.setting.startswith("nonsense"))
    assert nonsense, "the nonsense text should have produced the page's st.error"
    # One run at defaults, one per push, and a fresh start after the exception and after the
    # callback's side effect: every other push also puts the previous control back in its run.
    assert runs == 1 + len(outcomes) + 2


def test_an_exception_at_defaults_is_reported(tmp_path):
    root = _write_app(tmp_path, "import streamlit as st\nst.slider('a', 0, 1, key='a')\n1 / 0\n")
    at = open_page("app.py", root=root)
    at.run()
    report = exception_report(at)
    assert len(report) == 1 and "ZeroDivisionError" in report[0]
    assert push_each("app.py", root=root) == ([], 1)


def test_a_run_that_times_out_names_the_push(tmp_path):
    root = _write_app(tmp_path, "import time\nimport streamlit as st\n"
                                "if st.slider('Steps', 1, 9, 5, key='n') == 9:\n    time.sleep(5)\n"
                                "st.write('done')\n")
    outcomes, runs = push_each("app.py", root=root, timeout=3)
    failing = [(str(o.push), o.exceptions) for o in outcomes if o.exceptions]
    assert failing == [("slider 'Steps' (key=n) → max = 9", ["the script did not finish within 3 s"])]
    assert runs == 1 + 2 + 1  # defaults, two pushes, a fresh start after the timeout
