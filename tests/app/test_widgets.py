"""The URL-bound widget helpers, driven in AppTest without a page around them."""

from streamlit.testing.v1 import AppTest


def _script():
    import streamlit as st

    from rnnviz.ui import widgets

    kind = widgets.select("Kind", ["a", "b"], key="kind", format_func=str.upper)
    pick = widgets.radio("Pick", [1, 2], key="pick", format_func=lambda v: f"#{v}")
    seed = widgets.number("Seed", key="seed", min_value=0, max_value=100, value=0)
    w = widgets.slider("w", key="w", min_value=0.0, max_value=2.0, value=1.0)
    st.write(f"{kind}|{pick}|{seed}|{w}")


def _run(**params):
    at = AppTest.from_function(_script)
    for k, v in params.items():
        at.query_params[k] = v
    return at.run(timeout=30)


def test_formatted_options_come_from_links():
    at = _run(kind="B", pick="#2")
    assert not at.exception
    assert at.selectbox(key="kind").value == "b"
    assert at.radio(key="pick").value == 2
    assert not [c for c in at.caption if "link_off" in c.value]


def test_valid_links_set_values_without_notes():
    at = _run(seed="42", w="1.5")
    assert (at.number_input(key="seed").value, at.slider(key="w").value) == (42, 1.5)
    assert not [c for c in at.caption if "link_off" in c.value]


def test_rejected_values_fall_back_with_a_note():
    at = _run(seed="1e400", w="abc", kind="nope")
    assert not at.exception
    assert at.number_input(key="seed").value == 0
    assert at.slider(key="w").value == 1.0
    assert at.selectbox(key="kind").value == "a"
    notes = " ".join(c.value for c in at.caption if "link_off" in c.value)
    for shown in ("seed=1e400", "w=abc", "kind=nope"):
        assert shown in notes
