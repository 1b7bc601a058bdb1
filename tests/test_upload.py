"""Parsing uploaded recurrent matrices: every rejection has its own clear message; good files load exactly."""

from __future__ import annotations

import io
import pickle

import numpy as np
import pytest

from rnnviz.upload import MAX_UPLOAD_BYTES, MAX_UPLOAD_SIDE, parse_matrix, upload_digest


def npy(arr, **kw) -> bytes:
    buf = io.BytesIO()
    np.save(buf, arr, **kw)
    return buf.getvalue()


# ----------------------------------------------------------------------------- acceptances


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64, np.int8, np.uint16])
def test_npy_numeric_dtypes_load_exactly(dtype):
    W = (np.arange(16).reshape(4, 4) - 5).astype(dtype) if np.dtype(dtype).kind != "u" else \
        np.arange(16, dtype=dtype).reshape(4, 4)
    out = parse_matrix(npy(W), "W.npy")
    assert out.dtype == np.float64 and out.shape == (4, 4)
    np.testing.assert_array_equal(out, W.astype(np.float64))


def test_npy_fortran_order_and_case_insensitive_extension():
    W = np.asfortranarray(np.random.default_rng(0).standard_normal((5, 5)))
    np.testing.assert_array_equal(parse_matrix(npy(W), "MY.NPY"), W)


def test_npy_largest_accepted_side():
    W = np.eye(MAX_UPLOAD_SIDE)
    assert parse_matrix(npy(W), "big.npy").shape == (MAX_UPLOAD_SIDE, MAX_UPLOAD_SIDE)


def test_csv_roundtrip_full_precision():
    W = np.random.default_rng(1).standard_normal((6, 6))
    buf = io.StringIO()
    np.savetxt(buf, W, delimiter=",", fmt="%.17g")
    np.testing.assert_array_equal(parse_matrix(buf.getvalue().encode(), "W.csv"), W)


@pytest.mark.parametrize("text", [
    "1,2\n3,4\n",
    "1, 2\r\n3, 4\r\n",          # Windows line ends, spaces
    "# my matrix\n1,2\n\n3,4",  # comment and blank lines
    "1;2\n3;4",                 # semicolons
    "1 2\n3 4",                 # whitespace
    "1,2,\n3,4,\n",             # trailing commas
    "\ufeff1,2\n3,4",           # UTF-8 byte-order mark (Excel)
])
def test_csv_dialects(text):
    np.testing.assert_array_equal(parse_matrix(text.encode("utf-8"), "W.csv"), [[1, 2], [3, 4]])


def test_one_by_one_is_a_matrix():
    np.testing.assert_array_equal(parse_matrix(b"0.5\n", "w.csv"), [[0.5]])


def test_digest_is_a_short_stable_string_that_tells_files_apart():
    a, b = npy(np.eye(3)), npy(2 * np.eye(3))
    assert isinstance(upload_digest(a), str) and len(upload_digest(a)) == 32
    assert upload_digest(a) == upload_digest(bytes(a))
    assert upload_digest(a) != upload_digest(b)


# ----------------------------------------------------------------------------- rejections


def reject(data, name, *fragments):
    with pytest.raises(ValueError) as info:
        parse_matrix(data, name)
    msg = str(info.value)
    for frag in fragments:
        assert frag in msg, msg
    return msg


def test_reject_not_square_npy_and_csv():
    reject(npy(np.ones((3, 4))), "W.npy", "3 × 4", "not square")
    reject(b"1,2,3\n4,5,6\n", "W.csv", "2 × 3", "not square")


def test_reject_wrong_dimension():
    reject(npy(np.ones(5)), "v.npy", "shape (5,)", "2-D")
    reject(npy(np.ones((2, 2, 2))), "t.npy", "(2, 2, 2)", "2-D")
    reject(npy(np.ones((0, 0))), "e.npy", "empty")


def test_reject_too_large_shape_without_reading_the_data():
    # Header says 513 x 513; the check happens before the array is loaded.
    reject(npy(np.zeros((MAX_UPLOAD_SIDE + 1, MAX_UPLOAD_SIDE + 1), dtype=np.int8)), "big.npy",
           f"{MAX_UPLOAD_SIDE + 1} × {MAX_UPLOAD_SIDE + 1}", f"at most {MAX_UPLOAD_SIDE}")
    rows = "\n".join(",".join(["0"] * 3) for _ in range(MAX_UPLOAD_SIDE + 1))
    reject(rows.encode(), "tall.csv", f"more than {MAX_UPLOAD_SIDE}")


def test_reject_too_many_bytes():
    reject(b"0," * (MAX_UPLOAD_BYTES // 2 + 1), "huge.csv", "MB", f"{MAX_UPLOAD_BYTES // 2**20} MB")


@pytest.mark.parametrize("bad,kind", [(np.nan, "NaN"), (np.inf, "infinite"), (-np.inf, "infinite")])
def test_reject_nonfinite_npy(bad, kind):
    W = np.eye(3)
    W[1, 2] = bad
    reject(npy(W), "W.npy", "row 2 column 3", kind, "finite")


def test_reject_nonfinite_csv():
    reject(b"1,2\nnan,4\n", "W.csv", "NaN", "row 2 column 1")
    reject(b"1,inf\n3,4\n", "W.csv", "infinite")


def test_reject_text_in_csv():
    reject(b"a,b\n1,2\n", "W.csv", "line 1, column 1", "'a'", "not a number")
    reject(b"1,2\n3,four\n", "W.csv", "line 2, column 2", "'four'")


def test_reject_binary_as_csv():
    reject(b"\xff\xd8\xff\xe0 jpeg", "photo.csv", "not a text file")
    reject(npy(np.eye(2)), "W.csv", "rename it to .npy")


def test_reject_ragged_csv():
    reject(b"1,2\n3\n", "W.csv", "line 2 has 1 number but the first row has 2")


def test_reject_empty_files():
    reject(b"", "W.npy", "empty")
    reject(b"# only a comment\n\n", "W.csv", "no numbers")


def test_reject_pickled_object_array_without_unpickling(monkeypatch):
    obj = np.empty((2, 2), dtype=object)
    obj[:] = [[1.0, 2.0], [3.0, 4.0]]
    data = npy(obj, allow_pickle=True)
    # If anything tried to unpickle, this would fail the test.
    monkeypatch.setattr(pickle, "loads", lambda *a, **k: pytest.fail("unpickled an upload"))
    monkeypatch.setattr(pickle, "load", lambda *a, **k: pytest.fail("unpickled an upload"))
    reject(data, "obj.npy", "Python objects", "never unpickled")


def test_reject_plain_pickle_and_npz_and_garbage():
    reject(pickle.dumps(np.eye(2)), "W.npy", "not a NumPy .npy file")
    buf = io.BytesIO()
    np.savez(buf, W=np.eye(2))
    reject(buf.getvalue(), "W.npy", "zip archive")
    reject(b"hello world", "W.npy", "not a NumPy .npy file")


@pytest.mark.parametrize("arr,what", [
    (np.eye(2) * (1 + 1j), "complex"),
    (np.eye(2, dtype=bool), "booleans"),
    (np.array([["a", "b"], ["c", "d"]]), "text"),
    (np.zeros((2, 2), dtype=[("x", "f8")]), "records"),
])
def test_reject_non_real_dtypes(arr, what):
    reject(npy(arr), "W.npy", what, "only real numbers")


def test_reject_truncated_npy():
    data = npy(np.eye(8))
    reject(data[:-10], "W.npy", "could not be read", "complete")


@pytest.mark.parametrize("name", ["W.txt", "W", "W.npz", "W.json", ""])
def test_reject_unknown_extension(name):
    reject(npy(np.eye(2)), name, "neither a .npy nor a .csv")


def test_reject_non_bytes():
    reject("1,2\n3,4", "W.csv", "bytes")


@pytest.mark.parametrize("data", [None, "1,0\n0,1", 10**12, -1, 2.5, float("nan"), [1.0], 1j])
def test_digest_refuses_non_bytes(data):
    with pytest.raises(ValueError, match=r"bytes \(data\)"):
        upload_digest(data)


def test_digest_refuses_oversized_bytes():
    with pytest.raises(ValueError, match="MB are accepted"):
        upload_digest(b"\0" * (MAX_UPLOAD_BYTES + 1))
    assert len(upload_digest(bytearray(b"\0" * MAX_UPLOAD_BYTES))) == 32
