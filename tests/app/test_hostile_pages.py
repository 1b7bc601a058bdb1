"""Hostile links: every page opened with garbage in every query parameter it binds.

A shared link is user input: a student can edit it, a chat client can mangle it. Every control
lives in the URL (``bind="query-params"``), so each page is opened with every one of its keys set
to hostile text (NaN, overflowing numbers, markup, 400 digits, emoji, nested brackets) plus
parameters no page knows. The page must not raise: no exception element, its title drawn, and
its charts still there (a rejected value falls back to the control's default).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from page_driver import open_page
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 60
pytestmark = pytest.mark.timeout(240)

WIDGET_KINDS = ("slider", "select_slider", "number_input", "selectbox", "radio", "toggle", "checkbox",
                "multiselect", "text_input", "text_area", "date_input", "color_picker")

#: Three rounds; in each, key i gets HOSTILE[(i + round) % len(HOSTILE)], so every key meets several values.
HOSTILE = ["nan", "1e400", "-inf", "", "<script>alert(1)</script>", "9" * 400, "💥🙂", "[[1, 2], [3",
           "None", "-0", "0x1F", "%00", "true", "../../etc/passwd"]
ROUNDS = 3
UNKNOWN = {"__proto__": "1", "page": "../../secrets.toml", "x" * 300: "y", "embed": "true&amp;"}


def _open(page_path: str) -> AppTest:
    at = open_page(page_path)
    at.default_timeout = TIMEOUT
    return at


def _keys(at: AppTest) -> list[str]:
    keys = []
    for kind in WIDGET_KINDS:
        for w in at.get(kind):
            key = getattr(w, "key", None)
            if key and not key.startswith("$$") and key not in keys:
                keys.append(key)
    return keys


#: Values that become float infinity; an *integer* st.number_input bound to the URL crashes on them.
OVERFLOWING = {"1e400", "-inf", "inf", "9" * 400}
#: Streamlit 1.67: an integer st.number_input with bind='query-params' raises OverflowError ('cannot
#: convert float infinity to integer', streamlit/elements/widgets/number_input.py:88 deserialize) for
#: ?key=1e400, inf, -inf or 400 digits and the whole page fails; rnnviz/ui/widgets.py must drop such
#: values before creating the widget. test_int_number_inputs_survive_overflowing_links guards that.


def _int_number_keys(at: AppTest) -> list[str]:
    from streamlit.proto.NumberInput_pb2 import NumberInput
    return [w.key for w in at.get("number_input")
            if getattr(w, "key", None) and w.proto.data_type == NumberInput.INT]


def _problems(at: AppTest) -> list[str]:
    return [f"{e.proto.type or 'Exception'}: {e.message}" for e in at.exception]


def test_hostile_query_params(page_path):
    base = _open(page_path)
    base.run()
    assert not _problems(base), f"{page_path} fails at its defaults: {_problems(base)}"
    keys = _keys(base)
    ints = set(_int_number_keys(base))
    safe = [v for v in HOSTILE if v not in OVERFLOWING]
    charts = len(base.get("vega_lite_chart")) + len(base.get("arrow_vega_lite_chart"))
    titles = [t.value for t in base.title]
    failures = []
    for r in range(ROUNDS):
        at = _open(page_path)
        params = {k: safe[(i + r) % len(safe)] if k in ints else HOSTILE[(i + r) % len(HOSTILE)]
                  for i, k in enumerate(keys)}
        if r == 0:
            params.update(UNKNOWN)
        for k, v in params.items():
            at.query_params[k] = v
        at.run()
        got = _problems(at)
        if got:
            failures.append(f"round {r} {params}: {got}")
            continue
        if titles and [t.value for t in at.title][:1] != titles[:1]:
            failures.append(f"round {r}: title changed to {[t.value for t in at.title][:1]}")
        n_charts = len(at.get("vega_lite_chart")) + len(at.get("arrow_vega_lite_chart"))
        if charts and n_charts == 0:
            failures.append(f"round {r} {params}: no chart drawn (defaults draw {charts})")
    assert not failures, f"{page_path} with hostile query parameters ({len(keys)} keys):\n" + "\n".join(failures)


def test_int_number_inputs_survive_overflowing_links(page_path):
    """?seed=1e400 and friends on every integer number input (the one crash found by the test above)."""
    base = _open(page_path)
    base.run()
    ints = _int_number_keys(base)
    if not ints:
        pytest.skip(f"{page_path} has no integer number input bound to the URL")
    failures = []
    values = sorted(OVERFLOWING)
    for r in range(2):  # two runs; the values rotate over the keys
        at = _open(page_path)
        params = {k: values[(i + 2 * r) % len(values)] for i, k in enumerate(ints)}
        for k, v in params.items():
            at.query_params[k] = v
        at.run()
        if _problems(at):
            failures.append(f"{', '.join(f'{k}={v[:12]}' for k, v in params.items())}: {_problems(at)}")
    assert not failures, f"{page_path}:\n" + "\n".join(failures)


def _two_uploads_script():
    import numpy as np
    import streamlit as st

    from rnnviz.ui.cache import cached

    @cached
    def total(a):
        return float(np.asarray(a).sum())

    # Two "uploads" that differ in one entry out of 600,000 (Streamlit alone hashes arrays this large
    # by sampling 100,000 entries, so they could share a cache entry: one student's result for another's file).
    a = np.zeros(600_000)
    b = a.copy()
    b[123_457] = 1.0
    st.write(f"{total(a)} {total(b)}")


def test_cached_results_of_different_large_arrays_are_not_shared():
    at = AppTest.from_function(_two_uploads_script, default_timeout=TIMEOUT)
    at.run()
    assert not at.exception
    assert at.markdown[0].value == "0.0 1.0"
