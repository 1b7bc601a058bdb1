"""Read a recurrent weight matrix from the bytes of an uploaded ``.npy`` or ``.csv`` file.

Pure parsing: bytes in, a finite square float64 matrix out, or a ``ValueError`` whose message
says what was wrong and what is accepted. Nothing is ever unpickled (``allow_pickle=False``).
"""

from __future__ import annotations

import hashlib
import io
import math

import numpy as np

#: Largest accepted matrix side and file size.
MAX_UPLOAD_SIDE = 512
MAX_UPLOAD_BYTES = 5 * 1024 * 1024   # as server.maxUploadSize in .streamlit/config.toml
#: File name endings accepted.
UPLOAD_TYPES: tuple[str, ...] = ("npy", "csv")

_NPY_MAGIC = b"\x93NUMPY"
_ACCEPTED = (f"Upload one real n × n matrix (1 ≤ n ≤ {MAX_UPLOAD_SIDE}) as .npy (saved with np.save) "
             "or as .csv (comma-separated numbers, one row per line)")


def upload_digest(data: bytes, *, max_bytes: int = MAX_UPLOAD_BYTES) -> str:
    """A short, stable hash of the file's bytes: the cache key for an uploaded matrix.

    ``data`` must be the file's bytes (bytes, bytearray or memoryview) of at most ``max_bytes``
    (MAX_UPLOAD_BYTES; a checkpoint may be larger, see ``rnnviz.MAX_CHECKPOINT_BYTES``); anything
    else raises ``ValueError`` (``bytes(10**12)`` would allocate a terabyte of zeros).
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise ValueError(f"upload_digest needs the uploaded file's bytes (data); got {type(data).__name__}.")
    if memoryview(data).nbytes > max_bytes:
        raise ValueError(f"The upload (data) is {memoryview(data).nbytes / 2**20:.1f} MB; files up to "
                         f"{max_bytes // 2**20} MB are accepted.")
    return hashlib.sha256(bytes(data)).hexdigest()[:32]


def parse_matrix(data: bytes, filename: str) -> np.ndarray:
    """The matrix in an uploaded file, as a finite square float64 array.

    Raises ``ValueError`` for: an unknown extension, an empty or too large file, an ``.npy`` that is
    not a NumPy array file or that needs pickle (object arrays), text or other non-numbers, a shape
    that is not square or larger than 512 × 512, and NaN or infinite entries.
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise ValueError(f"The upload must be the file's bytes; got {type(data).__name__}.")
    data = bytes(data)
    name = str(filename or "")
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if ext not in UPLOAD_TYPES:
        raise ValueError(f"'{name}' is neither a .npy nor a .csv file. {_ACCEPTED}.")
    if len(data) == 0:
        raise ValueError(f"'{name}' is empty. {_ACCEPTED}.")
    if len(data) > MAX_UPLOAD_BYTES:
        raise ValueError(f"'{name}' is {len(data) / 2**20:.1f} MB; files up to "
                         f"{MAX_UPLOAD_BYTES // 2**20} MB are accepted. {_ACCEPTED}.")
    arr = _read_npy(data, name) if ext == "npy" else _read_csv(data, name)
    return _check_matrix(arr, name)


def _read_npy(data: bytes, name: str, check_shape=None) -> np.ndarray:
    """The array in an .npy file's bytes, never unpickled; ``check_shape(shape, name)`` (default: a
    square matrix) refuses a shape before the data is read."""
    if data[:2] == b"PK":
        raise ValueError(f"'{name}' is a zip archive (.npz?), not a single array; save one matrix with "
                         "np.save('W.npy', W).")
    if not data.startswith(_NPY_MAGIC):
        raise ValueError(f"'{name}' is not a NumPy .npy file (it lacks the .npy header); save the matrix "
                         "with np.save('W.npy', W), or upload it as .csv.")
    buf = io.BytesIO(data)
    try:
        version = np.lib.format.read_magic(buf)
        reader = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        shape, _fortran, dtype = reader(buf)
    except Exception as exc:  # a corrupt header is the user's file, not our bug
        raise ValueError(f"'{name}' has a damaged .npy header ({exc}).") from exc
    if dtype.hasobject:
        raise ValueError(f"'{name}' holds Python objects (dtype {dtype}), which could only be read by "
                         "unpickling, and uploads are never unpickled. Save a numeric array "
                         "(e.g. W.astype(float)).")
    (check_shape or _check_shape)(tuple(shape), name)
    if dtype.kind not in "iuf":
        what = {"c": "complex numbers", "b": "booleans", "U": "text", "S": "bytes", "V": "records"}
        raise ValueError(f"'{name}' holds {what.get(dtype.kind, f'values of dtype {dtype}')} (dtype {dtype}); "
                         "only real numbers (integer or float) are accepted.")
    try:
        arr = np.load(io.BytesIO(data), allow_pickle=False)
    except Exception as exc:
        raise ValueError(f"'{name}' could not be read as a .npy array ({exc}); is the file complete?") from exc
    return np.asarray(arr, dtype=np.float64)


def _read_csv(data: bytes, name: str) -> np.ndarray:
    if data.startswith(_NPY_MAGIC):
        raise ValueError(f"'{name}' is a binary .npy file with a .csv name; rename it to .npy.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(f"'{name}' is not a text file (byte {exc.start} is not UTF-8); "
                         f"a .csv must be plain text. {_ACCEPTED}.") from exc
    rows: list[list[float]] = []
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if "," in line:
            cells = [c.strip() for c in line.split(",")]
            if cells and cells[-1] == "":
                cells = cells[:-1]  # a trailing comma
        elif ";" in line:
            cells = [c.strip() for c in line.split(";")]
        else:
            cells = line.split()
        values = []
        for col, cell in enumerate(cells, start=1):
            try:
                values.append(float(cell))
            except ValueError:
                shown = cell if len(cell) <= 20 else cell[:20] + "…"
                raise ValueError(f"'{name}' line {lineno}, column {col} holds {shown!r}, which is not a "
                                 "number; the .csv must hold only numbers (no header row, no labels)."
                                 ) from None
        if rows and len(values) != len(rows[0]):
            raise ValueError(f"'{name}' line {lineno} has {len(values)} number{'' if len(values) == 1 else 's'} but the first row has "
                             f"{len(rows[0])}; every row of the matrix needs the same length.")
        rows.append(values)
        if len(rows) > MAX_UPLOAD_SIDE or len(values) > MAX_UPLOAD_SIDE:
            raise ValueError(f"'{name}' has more than {MAX_UPLOAD_SIDE} rows or columns; at most "
                             f"{MAX_UPLOAD_SIDE} × {MAX_UPLOAD_SIDE} is accepted.")
    if not rows:
        raise ValueError(f"'{name}' holds no numbers. {_ACCEPTED}.")
    return np.array(rows, dtype=np.float64)


def _check_shape(shape: tuple[int, ...], name: str) -> None:
    if len(shape) != 2:
        raise ValueError(f"'{name}' holds an array of shape {shape}; a recurrent matrix is 2-D (n × n).")
    r, c = shape
    if r == 0 or c == 0:
        raise ValueError(f"'{name}' holds an empty {r} × {c} array. {_ACCEPTED}.")
    if r != c:
        raise ValueError(f"'{name}' is {r} × {c}, which is not square; the recurrent matrix W maps the "
                         f"hidden state to itself, so it must be n × n.")
    if r > MAX_UPLOAD_SIDE:
        raise ValueError(f"'{name}' is {r} × {c}; at most {MAX_UPLOAD_SIDE} × {MAX_UPLOAD_SIDE} is accepted.")


def _check_matrix(arr: np.ndarray, name: str) -> np.ndarray:
    _check_shape(arr.shape, name)
    finite = np.isfinite(arr)
    if not finite.all():
        bad = np.argwhere(~finite)
        i, j = (int(v) for v in bad[0])
        kind = "NaN" if math.isnan(arr[i, j]) else "infinite"
        raise ValueError(f"'{name}' holds {len(bad)} NaN or infinite entr{'y' if len(bad) == 1 else 'ies'} "
                         f"(the first, row {i + 1} column {j + 1}, is {kind}); only finite numbers are accepted.")
    return np.ascontiguousarray(arr, dtype=np.float64)
