"""Sharing a view: links reproduce it, bad links fall back with a note, presets are buttons and links.

Runs on every page (discovered: app.py and pages/*.py), so a new page is held to the same rules:

* every control is drawn through rnnviz.ui.widgets (a key, bound to the URL; no bare st.slider);
* a link carrying a non-default value for every control opens the page with exactly those values,
  and the "link to this view" box in the sidebar holds them again;
* a link whose every value is unacceptable opens the page at its defaults, with a visible note
  next to each control saying what the link asked for;
* each preset button sets the values its link carries, and opening the link gives the same view.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from urllib.parse import parse_qsl

import pytest
from page_driver import exception_report, open_page

from rnnviz.ui.urlstate import url_value

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.timeout(300)

#: Widget kinds whose value lives in the URL.
BOUND_KINDS = ("slider", "select_slider", "number_input", "selectbox", "radio", "toggle", "checkbox",
               "multiselect", "text_input", "text_area")
#: Streamlit calls a page may not make directly: every control goes through rnnviz.ui.widgets.
DIRECT_WIDGET = re.compile(r"\bst\.(slider|select_slider|number_input|selectbox|radio|toggle|checkbox|"
                           r"multiselect|text_input|text_area|pills|segmented_control)\(")
#: Controls of the viewer rather than of the view (lecture mode is in the link only if set).
PERSONAL = {"lecture"}


def _run(at):
    at.run()
    errors = exception_report(at)
    assert not errors, "\n".join(errors)
    return at


def _controls(at) -> dict[str, object]:
    """Key → the node of every URL-bound control drawn (Streamlit's internal "$$" ids skipped)."""
    out = {}
    for kind in BOUND_KINDS:
        for node in at.get(kind):
            key = getattr(node, "key", None)
            if key and not key.startswith("$$"):
                out[key] = node
    return out


def _values(at) -> dict[str, object]:
    return {k: node.value for k, node in _controls(at).items()}


def _same(raw: str, value) -> bool:
    """Whether a link value denotes a widget value (numbers compared as numbers)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return raw == url_value(value) or raw == str(value)
    try:
        return math.isclose(float(raw), float(value), rel_tol=1e-9, abs_tol=1e-12)
    except ValueError:
        return False


def _other_value(node):
    """A valid value of the control other than its current one, as a link would write it."""
    proto = node.proto
    if node.type == "slider":
        lo, hi, value = proto.min, proto.max, node.value
        target = hi if value == lo else lo
        return url_value(int(target) if proto.data_type in (0, 1) and float(target).is_integer() else target)
    if node.type == "number_input":
        value = node.value
        if proto.has_min and value != proto.min:
            target = proto.min
        elif proto.has_max:
            target = proto.max
        else:
            target = value + 1
        return url_value(int(target) if isinstance(value, int) else float(target))
    if node.type in ("selectbox", "radio", "select_slider"):
        options = list(proto.options)
        current = options.index(node.format_func(node.value)) if hasattr(node, "format_func") else None
        if current is None:
            current = next((i for i, o in enumerate(options) if o == str(node.value)), 0)
        return options[1] if current == 0 and len(options) > 1 else options[0]
    if node.type in ("toggle", "checkbox"):
        return url_value(not node.value)
    return None


def _presets(at) -> list[tuple[str, dict[str, str]]]:
    """(button label, the parameters of its link) of every preset, in order."""
    buttons = [b for b in at.button if b.key and b.key.startswith("preset_")]
    links = [link for link in at.get("page_link") if link.proto.label == "link" and link.proto.query_string]
    assert len(buttons) == len(links), f"{len(buttons)} preset buttons but {len(links)} preset links"
    return [(b.proto.label, dict(parse_qsl(link.proto.query_string))) for b, link in zip(buttons, links)]


def _link_box(at) -> str:
    codes = [c.value for c in at.sidebar.code]
    return codes[0] if codes else ""


def _mismatches(at, params: dict[str, str]) -> list[str]:
    values = _values(at)
    out = []
    for key, raw in params.items():
        if key not in values:
            out.append(f"{key}: no such control on the page")
        elif not _same(raw, values[key]) and not _same(raw, _shown(_controls(at)[key])):
            out.append(f"{key}: link says {raw!r}, control shows {values[key]!r}")
    return out


def _shown(node):
    """A choice control's value as its label (what a link carries for formatted options)."""
    fmt = getattr(node, "format_func", None)
    try:
        return fmt(node.value) if fmt is not None else node.value
    except Exception:
        return node.value


# ---- every control through the helpers ------------------------------------------------------

def test_no_control_bypasses_the_url_helpers(page_path):
    source = (ROOT / page_path).read_text()
    found = [m.group(0) for m in DIRECT_WIDGET.finditer(source)]
    assert not found, (f"{page_path} draws controls without rnnviz.ui.widgets (no key / not in the URL): "
                       f"{found}")


# ---- a link reproduces the view ---------------------------------------------------------------

def test_link_with_every_control_changed_reproduces_the_view(page_path):
    base = _run(open_page(page_path))
    controls = _controls(base)
    params = {k: v for k, node in controls.items() if k not in PERSONAL and (v := _other_value(node)) is not None}
    if not params:
        pytest.skip(f"{page_path} has no controls")
    at = open_page(page_path)
    for key, raw in params.items():
        at.query_params[key] = raw
    _run(at)
    problems = _mismatches(at, params)
    notes = [c.value for c in at.caption if ":material/link_off:" in c.value]
    assert not problems and not notes, f"{page_path} opened with {params}:\n" + "\n".join(problems + notes)
    box = _link_box(at)
    missing = [f"{k}={v}" for k, v in params.items() if f"{k}=" not in box]
    assert not missing, f"the 'link to this view' box ({box!r}) lacks {missing}"


def test_bad_link_values_fall_back_to_defaults_with_a_note(page_path):
    base = _run(open_page(page_path))
    defaults = _values(base)
    if not defaults:
        pytest.skip(f"{page_path} has no controls")
    bad = {}
    for key, node in _controls(base).items():
        if node.type in ("slider", "number_input"):
            bad[key] = "1e9" if node.proto.max < 1e9 else "not-a-number"
        elif node.type in ("selectbox", "radio", "select_slider"):
            bad[key] = "no-such-option"
        elif node.type in ("toggle", "checkbox"):
            bad[key] = "maybe"
    at = open_page(page_path)
    for key, raw in bad.items():
        at.query_params[key] = raw
    _run(at)
    values = _values(at)
    changed = [f"{k}: {values.get(k)!r} instead of its default {v!r}" for k, v in defaults.items()
               if k in bad and values.get(k) != v]
    notes = " ".join(c.value for c in at.caption if ":material/link_off:" in c.value)
    unnoted = [k for k in bad if f"`{k}={bad[k]}`" not in notes]
    assert not changed, f"{page_path} did not fall back to its defaults:\n" + "\n".join(changed)
    assert not unnoted, f"{page_path}: no note next to {unnoted} for the rejected link values"
    assert at.title and at.get("vega_lite_chart"), f"{page_path} lost its title or charts"


# ---- presets ----------------------------------------------------------------------------------

@pytest.mark.slow  # runs every preset of the page once (heavy presets take seconds each)
def test_every_preset_is_a_button_and_a_link_that_agree(page_path):
    at = _run(open_page(page_path))
    presets = _presets(at)
    if page_path == "app.py" and not presets:
        pytest.skip("the home page has no controls, so no presets")
    if page_path == "pages/0_Lecture.py" and not presets:
        pytest.skip("the lecture's steps are its presets (tests/app/test_lecture_page.py)")
    assert presets, f"{page_path} has no presets (rnnviz.ui.preset_bar)"
    problems = []
    for label, params in presets:
        assert params, f"preset {label!r} has an empty link"
        next(b for b in at.button if b.proto.label == label and b.key.startswith("preset_")).click()
        _run(at)
        problems += [f"button {label!r}: {p}" for p in _mismatches(at, params)]
        info = [i.value for i in at.info if i.value.startswith(f"**{label}:**")]
        if not info:
            problems.append(f"button {label!r}: no caption saying what it demonstrates")
        link = open_page(page_path)
        for key, raw in params.items():
            link.query_params[key] = raw
        _run(link)
        problems += [f"link of {label!r}: {p}" for p in _mismatches(link, params)]
        # The same view: the button's run and the link's run end with the same controls.
        if _values(link) != {**_values(at), **{k: v for k, v in _values(link).items() if k in PERSONAL}}:
            problems.append(f"{label!r}: button view {_values(at)} differs from link view {_values(link)}")
    assert not problems, f"{page_path}:\n" + "\n".join(problems)


# ---- exports ----------------------------------------------------------------------------------

def test_every_chart_has_its_downloads(page_path):
    """Each chart drawn through rnnviz.ui.export.show: one PNG, one SVG button per chart."""
    at = _run(open_page(page_path))
    charts = len(at.get("vega_lite_chart"))
    keys = [b.key or "" for b in at.get("download_button")]
    png = [k for k in keys if k.startswith("dl_png_")]
    svg = [k for k in keys if k.startswith("dl_svg_")]
    assert len(png) == len(svg) == charts, (
        f"{page_path} draws {charts} charts but has {len(png)} PNG and {len(svg)} SVG download buttons: "
        "draw every chart with rnnviz.ui.export.show(spec, name=...)")
    assert len(set(png)) == len(png), f"{page_path}: two charts share a download key: {png}"


FIGURE_SCRIPT = """
import altair as alt
import pandas as pd

from rnnviz.ui import export

chart = alt.Chart(pd.DataFrame({"x": [1, 2], "y": [3, 4]})).mark_line().encode(x="x:Q", y="y:Q")
export.figure(chart, name="A line", notice="it rises.", formulas=["y = x + 2", "x > 0"])
export.figure(chart, name="A line", notice="the same line, drawn again.")
"""


def test_figure_draws_its_formulas_the_chart_and_a_notice():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_string(FIGURE_SCRIPT, default_timeout=30).run()
    assert not at.exception, [e.message for e in at.exception]
    assert [x.value.strip("$\n") for x in at.get("latex")] == ["y = x + 2", "x > 0"]
    assert len(at.get("vega_lite_chart")) == 2
    assert [c.value for c in at.caption] == ["**Notice:** it rises.", "**Notice:** the same line, drawn again."]
    keys = [b.key for b in at.get("download_button") if b.key.startswith("dl_png_")]
    assert keys == ["dl_png_a-line", "dl_png_a-line-2"]  # two charts of one name: two sets of buttons


FORMATTED_PRESET_SCRIPT = """
import streamlit as st

from rnnviz.ui import Preset, preset_bar, urlstate, widgets

urlstate.begin_page(st.sidebar.container())
preset_bar([Preset("Big", "a big norm", {"nW": 1e6, "T": 5})], page="t", path="pages/1_T.py")
widgets.select_slider("norm", (0.1, 30.0, 1e6), key="nW", value=30.0, format_func=lambda x: f"{x:g}")
widgets.slider("T", key="T", min_value=1, max_value=10, value=3)
"""


def test_preset_link_carries_formatted_option_labels_from_the_first_run(tmp_path):
    from streamlit.testing.v1 import AppTest

    (tmp_path / "main.py").write_text("import streamlit as st\nst.write('home')\n")
    (tmp_path / "pages").mkdir()
    (tmp_path / "pages" / "1_T.py").write_text(FORMATTED_PRESET_SCRIPT)

    def opened(params=None):
        at = AppTest.from_file(str(tmp_path / "main.py"), default_timeout=30)
        at.switch_page("pages/1_T.py")
        for key, raw in (params or {}).items():
            at.query_params[key] = raw
        return _run(at)

    links = [dict(parse_qsl(link.proto.query_string)) for link in opened().get("page_link")]
    assert links == [{"nW": "1e+06", "T": "5"}]  # the option's label, as the control reads links
    at = opened(links[0])
    assert at.select_slider(key="nW").value == 1e6 and at.slider(key="T").value == 5


# ---- presentation: the dark theme reads as well as the light one ------------------------------

def _contrast(a: str, b: str) -> float:
    def lum(h: str) -> float:
        c = [int(h[i:i + 2], 16) / 255 for i in (1, 3, 5)]
        c = [x / 12.92 if x <= 0.03928 else ((x + 0.055) / 1.055) ** 2.4 for x in c]
        return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]

    hi, lo = sorted((lum(a), lum(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_dark_theme_is_readable_and_presets_warn_nothing():
    import tomllib

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    dark = config["theme"]["dark"]
    for background in ("backgroundColor", "secondaryBackgroundColor"):
        assert _contrast(dark["textColor"], dark[background]) >= 7, background
        assert _contrast(dark["primaryColor"], dark[background]) >= 7, background
    assert dark["primaryColor"] == dark["linkColor"]
    # presets write widget values through st.session_state: intended, so no stack trace per click
    assert config["global"]["disableWidgetStateDuplicationWarning"] is True
