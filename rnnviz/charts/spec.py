"""One place for "chart → cached Vega-Lite spec" and back to plain data. No Streamlit here.

Pages draw charts as Vega-Lite dicts with ``st.vega_lite_chart``: a dict is cheap to cache and
cheap to redraw. There is one way to make one:

* :func:`vega_spec` turns an Altair chart into such a dict, with every data frame as Arrow IPC
  bytes (Streamlit passes bytes straight to the browser); frames the chart names (its top-level
  ``datasets``) keep their names;
* :func:`template_spec` is the same for a chart whose Altair build is too slow to repeat for every
  new setting: its structure (no data) is built once per structural setting and its frames are
  filled in (:func:`template_chart` gives the Altair chart itself, for notebooks and tests).

A spec read back (exports) may also hold its datasets as pandas frames or lists of records.

For anything outside the browser (vl-convert's PNG/SVG, a CSV of the data) those datasets have
to be plain values again: :func:`inline_spec` and :func:`spec_frames`.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import json
import math
from collections.abc import Callable, Mapping

import altair as alt
import pandas as pd

#: Width given to charts that ask for their container's width ("container") when drawn off-page.
EXPORT_WIDTH = 640


def arrow_bytes(frame: pd.DataFrame) -> bytes:
    """A data frame as Arrow IPC stream bytes (what ``st.vega_lite_chart`` sends as is)."""
    import pyarrow as pa

    table = pa.Table.from_pandas(frame)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def _frame_digest(frame: pd.DataFrame) -> str:
    try:
        rows = pd.util.hash_pandas_object(frame, index=False).values.tobytes()
    except TypeError:  # unhashable cells (lists): fall back to the frame's text
        rows = frame.to_json().encode()
    return hashlib.md5(rows + repr(list(frame.columns)).encode()).hexdigest()


def split_spec(chart: alt.TopLevelMixin, *, arrow: bool = True) -> dict:
    """The chart as a Vega-Lite dict (not re-validated) whose data frames are named datasets.

    Every data frame of the chart, inline in a layer/concat part or in the chart's top-level
    ``datasets`` (charts that refer to their data by name), ends up in ``spec["datasets"]``: as Arrow
    IPC bytes if ``arrow`` (named by their content), else as the data frames themselves. The chart is
    not modified, and no global Altair state (data transformers) is used, so this is safe while
    other sessions draw charts.
    """
    datasets: dict[str, object] = {}
    swapped: list[tuple[object, str, object]] = []  # restored below: the chart is left as it was

    def store(frame: pd.DataFrame, name: str | None = None) -> str:
        if arrow:
            raw = arrow_bytes(frame)
            name = name or "data-" + hashlib.md5(raw).hexdigest()
            datasets[name] = raw
        else:
            name = name or "data-" + _frame_digest(frame)
            datasets[name] = frame
        return name

    def swap(node):
        data = getattr(node, "data", alt.Undefined)
        if isinstance(data, pd.DataFrame):
            swapped.append((node, "data", data))
            node.data = alt.NamedData(name=store(data))
        for attr in ("layer", "hconcat", "vconcat", "concat"):
            for sub in getattr(node, attr, None) or []:
                swap(sub)

    try:
        top = getattr(chart, "datasets", alt.Undefined)
        if isinstance(top, dict) and any(isinstance(v, pd.DataFrame) for v in top.values()):
            swapped.append((chart, "datasets", top))
            chart.datasets = alt.Undefined
            for name, frame in top.items():
                if isinstance(frame, pd.DataFrame):
                    store(frame, name)
                else:
                    datasets[name] = frame
        swap(chart)
        out = chart.to_dict(validate=False)
    finally:
        for node, attr, value in reversed(swapped):
            setattr(node, attr, value)
    if datasets:
        out["datasets"] = {**out.get("datasets", {}), **datasets}
    return out


def vega_spec(chart: alt.TopLevelMixin) -> dict:
    """The chart as a Vega-Lite dict whose data frames are Arrow IPC bytes, ready to cache.

    ``st.vega_lite_chart`` passes datasets that are already bytes straight to the browser, so a
    cached spec costs nothing to redraw; ``st.altair_chart`` would validate the spec and
    re-serialise every frame on every rerun (tens of ms per chart). The chart is not modified.
    Validation is the tests' job (``chart.to_dict()``).
    """
    out = split_spec(chart, arrow=True)
    out.setdefault("datasets", {})
    return out


@functools.lru_cache(maxsize=128)
def _template(builder: Callable, structure: tuple) -> str:
    """The JSON of ``builder(*structure)`` without its data, built once per builder and structure.

    Building an Altair chart costs 30-150 ms, far more than its data; a chart that keeps its data in
    named datasets is, for new numbers, this template plus new frames.
    """
    spec = split_spec(builder(*structure), arrow=False)
    spec.pop("datasets", None)
    return json.dumps(spec)


def template_spec(builder: Callable, structure: tuple, frames: Mapping[str, pd.DataFrame]) -> dict:
    """The spec of ``builder(*structure)`` (a chart whose layers read the named datasets ``frames``)
    with these frames as Arrow bytes, the Altair chart built only once per ``structure`` (hashable)."""
    spec = json.loads(_template(builder, tuple(structure)))
    spec["datasets"] = {name: arrow_bytes(frame) for name, frame in frames.items()}
    return spec


def template_chart(builder: Callable, structure: tuple, frames: Mapping[str, pd.DataFrame]) -> alt.TopLevelMixin:
    """The Altair chart of :func:`template_spec` itself (slow path, for notebooks and tests), its frames
    inlined as sanitised records so that ``st.altair_chart`` and ``chart.save`` work on it too."""
    from altair.utils.data import to_values

    chart = builder(*structure)
    chart.datasets = {name: to_values(frame)["values"] for name, frame in frames.items()}
    return chart


def as_spec(spec_or_chart) -> dict:
    """A Vega-Lite dict for a spec (returned as is) or an Altair chart (via :func:`vega_spec`)."""
    if isinstance(spec_or_chart, Mapping):
        return dict(spec_or_chart)
    if hasattr(spec_or_chart, "to_dict"):
        return vega_spec(spec_or_chart)
    raise ValueError(f"Expected a Vega-Lite spec (a dict) or an Altair chart; got {type(spec_or_chart).__name__}.")


def dataset_frame(data) -> pd.DataFrame:
    """One dataset of a spec (Arrow IPC bytes, a data frame or a list of records) as a data frame."""
    if isinstance(data, pd.DataFrame):
        return data
    if isinstance(data, (bytes, bytearray, memoryview)):
        import pyarrow as pa

        return pa.ipc.open_stream(bytes(data)).read_all().to_pandas()
    if isinstance(data, list):
        return pd.DataFrame.from_records(data)
    raise ValueError(f"A chart dataset must be Arrow bytes, a data frame or a list of records; got "
                     f"{type(data).__name__}.")


def _clean(value):
    """A JSON-safe scalar: NaN and ±inf become null (Vega skips them), numpy scalars plain Python."""
    if hasattr(value, "item") and not isinstance(value, (list, dict, str)):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if value is pd.NaT or value is pd.NA:
        return None
    return value


def records(frame: pd.DataFrame) -> list[dict]:
    """A data frame as JSON-safe records (the ``values`` of an inline Vega-Lite dataset)."""
    columns = [str(c) for c in frame.columns]
    return [{c: _clean(v) for c, v in zip(columns, row)} for row in frame.itertuples(index=False, name=None)]


def _inline_node(node):
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "data" and isinstance(value, dict) and isinstance(value.get("values"), pd.DataFrame):
                value = {**value, "values": records(value["values"])}
            elif key == "data" and isinstance(value, pd.DataFrame):
                value = {"values": records(value)}
            out[key] = _inline_node(value)
        return out
    if isinstance(node, list):
        return [_inline_node(v) for v in node]
    return node


def _fixed_width(node, width: int):
    if isinstance(node, dict):
        return {k: (width if k == "width" and v == "container" else _fixed_width(v, width)) for k, v in node.items()}
    if isinstance(node, list):
        return [_fixed_width(v, width) for v in node]
    return node


def inline_spec(spec_or_chart, *, width: int = EXPORT_WIDTH) -> dict:
    """A copy of the spec that any Vega-Lite renderer (vl-convert) can draw on its own.

    Datasets held as Arrow bytes or data frames become lists of JSON-safe records (NaN and ±inf
    become null); a width of "container" (there is no container off-page) becomes ``width`` pixels.
    The given spec is not modified.
    """
    spec = as_spec(spec_or_chart)
    datasets = spec.get("datasets") or {}
    out = _inline_node({k: v for k, v in spec.items() if k != "datasets"})
    if datasets:
        out["datasets"] = {name: (copy.deepcopy(data) if isinstance(data, list) else records(dataset_frame(data)))
                           for name, data in datasets.items()}
    return _fixed_width(out, width)


def spec_frames(spec_or_chart) -> dict[str, pd.DataFrame]:
    """Every data frame a spec draws: its named datasets, then inline ``data.values`` of the top
    level and of each layer/concat part (named ``layer-1``, ``layer-2``, ...), in that order."""
    spec = as_spec(spec_or_chart)
    frames = {name: dataset_frame(data) for name, data in (spec.get("datasets") or {}).items()}
    count = 0

    def walk(node):
        nonlocal count
        data = node.get("data")
        if isinstance(data, pd.DataFrame):
            data = {"values": data}
        if isinstance(data, dict) and isinstance(data.get("values"), (list, pd.DataFrame)):
            values = data["values"]
            if len(values):
                count += 1
                frames[f"layer-{count}"] = dataset_frame(values)
        for attr in ("layer", "hconcat", "vconcat", "concat"):
            for sub in node.get(attr) or []:
                if isinstance(sub, dict):
                    walk(sub)

    walk(spec)
    return frames


def spec_data(spec_or_chart) -> pd.DataFrame:
    """The data of a spec as one table: a single dataset as it is; several stacked, with a
    ``dataset`` column saying where each row comes from (hashed Arrow names shown as data-1, ...)."""
    frames = spec_frames(spec_or_chart)
    if not frames:
        return pd.DataFrame()
    if len(frames) == 1:
        return next(iter(frames.values())).reset_index(drop=True)
    parts, hashed = [], 0
    for name, frame in frames.items():
        if len(name) == 37 and name.startswith("data-"):  # "data-" + md5 from vega_spec
            hashed += 1
            name = f"data-{hashed}"
        parts.append(frame.assign(dataset=name))
    return pd.concat(parts, ignore_index=True, sort=False)
