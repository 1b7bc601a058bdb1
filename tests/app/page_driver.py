"""Drive a page under Streamlit's AppTest: open it, list its controls, push each to its extremes.

Used by test_all_pages.py (every real page) and test_page_driver.py (the driver itself, on small
scripts whose outcome is known). Not a test module.

A push sends the widget state the browser would send when a user drags a slider to its end,
picks the first or last option, flips a toggle or types into a text box (formatted option labels, raw
slider numbers), so it needs no knowledge of a page's ``format_func`` or option objects. The
states go through ``AppTest._run`` (AppTest's own path for widget states; streamlit is pinned).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from streamlit.proto.WidgetStates_pb2 import WidgetState, WidgetStates
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]
#: Seconds one script run may take under AppTest (its own default, 3 s, is too short for numerics).
TIMEOUT = 60
#: The element type ``st.altair_chart`` / ``st.vega_lite_chart`` become in AppTest's tree (1.67).
CHART = "vega_lite_chart"
#: Text a text box is pushed to besides the empty string: not a number, not a matrix.
NONSENSE = "not a number ✗ [[1, 2], [3"
#: Widget kinds, in the order pushes are tried. Buttons are left out: a click is an action (a
#: preset, a long training run), not a setting with extremes; pages test their own buttons.
KINDS = ("slider", "select_slider", "number_input", "selectbox", "radio", "toggle", "checkbox",
         "multiselect", "button_group", "text_input", "text_area")


def open_page(page_path: str, *, root: Path = ROOT) -> AppTest:
    """An AppTest of the app with ``page_path`` (``app.py`` or ``pages/...``) selected, not yet run."""
    at = AppTest.from_file(root / "app.py", default_timeout=TIMEOUT)
    if page_path != "app.py":
        at.switch_page(page_path)
    return at


def run_page(page_path: str, *, timeout: float = TIMEOUT, **state) -> AppTest:
    """``page_path`` opened through app.py with ``state`` set in session state, run once."""
    at = open_page(page_path)
    at.default_timeout = timeout
    for key, value in state.items():
        at.session_state[key] = value
    return at.run(timeout=timeout)


def clean_metrics(at: AppTest, *, charts: int, headlines: tuple[str, ...] = ()) -> dict[str, str]:
    """Assert a page ran with no exception and no st.error, drew ``charts`` charts and shows the
    ``headlines`` metrics; return its metrics (label -> value)."""
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    metrics = {m.label: m.value for m in at.metric}
    assert set(headlines) <= set(metrics), metrics
    assert len(at.get("vega_lite_chart")) == charts
    return metrics


def timed_run(at: AppTest) -> float:
    """Run (or rerun) ``at`` at its current widget states; seconds taken."""
    start = time.perf_counter()
    at.run()
    return time.perf_counter() - start


def exception_report(at: AppTest) -> list[str]:
    """One line per exception element: its type and message, and where it was raised."""
    lines = []
    for exc in at.exception:
        kind = exc.proto.type or "Exception"
        where = exc.stack_trace[-1].strip().replace("\n", " | ") if exc.stack_trace else ""
        lines.append(f"{kind}: {exc.message}" + (f"  [{where}]" if where else ""))
    return lines


@dataclass(frozen=True)
class Push:
    """One control set to one extreme: which control, which setting, and the state to send."""

    widget_id: str
    widget: str     # e.g. "slider 'Steps T' (key=steps)"
    setting: str    # e.g. "max = 200"
    state: WidgetState

    def __str__(self) -> str:
        return f"{self.widget} → {self.setting}"


def _describe(node) -> str:
    label = getattr(node.proto, "label", "") or "(no label)"
    key = f" (key={node.key})" if node.key else ""
    return f"{node.type} {label!r}{key}"


def _num(x: float) -> str:
    return f"{x:g}"


def _settings(node) -> Iterator[tuple[str, WidgetState]]:
    """(setting, state) for each extreme of ``node``; the state's ``id`` is filled in by the caller."""
    proto = node.proto
    kind = node.type

    def state(**fields) -> WidgetState:
        ws = WidgetState()
        for name, value in fields.items():
            if name.endswith("_array_value"):
                getattr(ws, name).data[:] = value
            else:
                setattr(ws, name, value)
        return ws

    if kind == "slider":
        lo, hi = proto.min, proto.max
        if len(proto.default) == 2:
            yield f"range = full ({_num(lo)}, {_num(hi)})", state(double_array_value=[lo, hi])
            yield f"range = at min ({_num(lo)}, {_num(lo)})", state(double_array_value=[lo, lo])
            yield f"range = at max ({_num(hi)}, {_num(hi)})", state(double_array_value=[hi, hi])
        else:
            yield f"min = {_num(lo)}", state(double_array_value=[lo])
            yield f"max = {_num(hi)}", state(double_array_value=[hi])
    elif kind == "select_slider":
        first, last = proto.options[0], proto.options[-1]
        if len(proto.default) == 2:
            yield f"range = full ({first}, {last})", state(string_array_value=[first, last])
            yield f"range = at first ({first}, {first})", state(string_array_value=[first, first])
            yield f"range = at last ({last}, {last})", state(string_array_value=[last, last])
        else:
            yield f"first = {first}", state(string_array_value=[first])
            yield f"last = {last}", state(string_array_value=[last])
    elif kind == "number_input":
        if proto.has_min:
            yield f"min = {_num(proto.min)}", state(double_value=proto.min)
        if proto.has_max:
            yield f"max = {_num(proto.max)}", state(double_value=proto.max)
    elif kind in ("selectbox", "radio"):
        if proto.options:
            yield f"first = {proto.options[0]}", state(string_value=proto.options[0])
            yield f"last = {proto.options[-1]}", state(string_value=proto.options[-1])
    elif kind in ("toggle", "checkbox"):
        yield "on", state(bool_value=True)
        yield "off", state(bool_value=False)
    elif kind == "multiselect":
        options = list(proto.options)
        if proto.max_selections:
            options = options[:proto.max_selections]
        yield "none selected", state(string_array_value=[])
        yield f"all selected ({len(options)})", state(string_array_value=options)
    elif kind == "button_group":
        options = [opt.content for opt in proto.options]
        if options:
            yield f"first = {options[0]}", state(string_array_value=[options[0]])
            yield f"last = {options[-1]}", state(string_array_value=[options[-1]])
    elif kind in ("text_input", "text_area"):
        yield "empty", state(string_value="")
        yield f"nonsense = {NONSENSE!r}", state(string_value=NONSENSE)


def widget_states(at: AppTest) -> dict[str, bytes]:
    """Widget id → its serialised state, for every widget on the page as last run."""
    return {ws.id: ws.SerializeToString() for ws in at._tree.get_widget_states().widgets}


def pushes(at: AppTest) -> list[Push]:
    """Every extreme of every enabled control of the page as last run, except the default itself."""
    defaults = widget_states(at)
    out = []
    for kind in KINDS:
        for node in at.get(kind):
            if getattr(node.proto, "disabled", False):
                continue
            for setting, ws in _settings(node):
                ws.id = node.id
                if ws.SerializeToString() != defaults.get(node.id):
                    out.append(Push(node.id, _describe(node), setting, ws))
    return out


def run_with(at: AppTest, overrides: dict[str, WidgetState], *, timeout: float = TIMEOUT) -> None:
    """Rerun ``at`` with every widget as it is, except the given ones set to the given states."""
    states = WidgetStates()
    for ws in at._tree.get_widget_states().widgets:
        states.widgets.append(overrides.get(ws.id, ws))
    for widget_id, ws in overrides.items():
        if widget_id not in {w.id for w in states.widgets}:
            states.widgets.append(ws)
    at._run(states, timeout=timeout)


@dataclass
class Outcome:
    push: Push
    exceptions: list[str]
    seconds: float


def push_each(page_path: str, *, root: Path = ROOT, on_run=None,
              timeout: float = TIMEOUT) -> tuple[list[Outcome], int]:
    """Push every control of the page to each extreme, one at a time from the defaults.

    One AppTest serves many pushes: a push's run also puts the previous control back to its
    default state. When a push leaves the page anywhere else than "defaults but this control"
    (a callback set other controls, a control appeared or vanished), the next push starts
    from a fresh AppTest at defaults. ``on_run(push, at)``, if given, sees the page after each
    push. A run that takes longer than ``timeout`` seconds is a failed push too. Returns the
    outcomes and the number of script runs.
    """
    def fresh() -> tuple[AppTest, dict[str, bytes]]:
        at = open_page(page_path, root=root)
        at.run(timeout=timeout)
        return at, widget_states(at)

    at, defaults = fresh()
    runs = 1
    if at.exception:
        return [], runs  # the defaults test reports this page; nothing to push from
    todo = pushes(at)
    outcomes: list[Outcome] = []
    previous: Push | None = None
    for push in todo:
        overrides = {push.widget_id: push.state}
        if previous is not None and previous.widget_id != push.widget_id:
            restore = WidgetState()
            restore.ParseFromString(defaults[previous.widget_id])
            overrides[previous.widget_id] = restore
        start = time.perf_counter()
        try:
            run_with(at, overrides, timeout=timeout)
        except RuntimeError as exc:  # AppTest's timeout; the runner has been stopped
            if "timed out" not in str(exc):
                raise
            outcomes.append(Outcome(push, [f"the script did not finish within {timeout:g} s"],
                                    time.perf_counter() - start))
            runs += 1
            at, defaults = fresh()
            runs += 1
            previous = None
            continue
        runs += 1
        outcomes.append(Outcome(push, exception_report(at), time.perf_counter() - start))
        if on_run is not None:
            on_run(push, at)
        now = widget_states(at)
        others_default = (now.keys() == defaults.keys()
                          and all(now[k] == v for k, v in defaults.items() if k != push.widget_id))
        if at.exception or not others_default:
            at, defaults = fresh()
            runs += 1
            previous = None
        else:
            previous = push
    return outcomes, runs


#: Channels that tell lines apart without colour (WCAG 1.4.1: colour is never the only cue).
_NON_COLOUR_CUES = ("strokeDash", "strokeWidth", "shape", "text")


def _cues(node: dict) -> set[str]:
    """The fields a node (and its layers) encode with a channel other than colour."""
    enc = node.get("encoding") or {}
    found = {(enc.get(c) or {}).get("field") for c in _NON_COLOUR_CUES} - {None}
    for sub in node.get("layer") or []:
        if isinstance(sub, dict):
            found |= _cues(sub)
    return found


def _colour_only(node: dict, where: str, cues: frozenset = frozenset()) -> list[str]:
    """Line and rule marks whose series differ by colour alone: a layered chart counts as one
    figure (a vector drawn as a rule plus a head shaped by the same field is told apart)."""
    found = []
    cues = cues | _cues(node) if node.get("layer") else cues
    mark = node.get("mark")
    mark = mark.get("type") if isinstance(mark, dict) else mark
    enc = node.get("encoding") or {}
    colour = enc.get("color") or {}
    if mark in ("line", "rule", "trail") and colour.get("type") == "nominal" and colour.get("field"):
        if colour["field"] not in cues | _cues(node):
            found.append(f"{where}: {mark} marks told apart by the colour of {colour['field']!r} only")
    for attr in ("layer", "hconcat", "vconcat", "concat"):
        for i, sub in enumerate(node.get(attr) or []):
            if isinstance(sub, dict):
                found += _colour_only(sub, f"{where} {attr}[{i}]", cues if attr == "layer" else frozenset())
    return found


def accessibility_report(at: AppTest) -> list[str]:
    """What a screen reader or a colour-blind viewer would miss in the charts on the page: every
    chart needs a description (its text alternative, Vega's aria-label) and its data as a table in
    an expander, and lines that differ by colour must also differ by dash, width, shape or label."""
    import json

    found = []
    charts = at.get(CHART)
    for i, chart in enumerate(charts, 1):
        spec = json.loads(chart.proto.spec)
        title = spec.get("title")
        where = f"chart {i}" + (f" ({title.get('text') if isinstance(title, dict) else title})" if title else "")
        if not str(spec.get("description", "")).startswith("Chart:"):
            found.append(f"{where}: no description (text alternative)")
        found += _colour_only(spec, where)
    tables = [e for e in at.expander if e.label.startswith("Data of")]
    if len(tables) < len(charts):
        found.append(f"{len(charts)} charts but {len(tables)} data tables")
    return found
