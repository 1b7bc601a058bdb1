"""Shared test plumbing: page discovery for the per-page tests, and the timing tables.

Any test that takes a ``page_path`` argument runs once per page of the app: ``app.py`` and every
script in ``pages/`` (found by globbing, so a new page is covered without editing a test).

Tests record durations with the ``timings`` fixture; a table per topic is printed at the end of
the run (``-s`` is not needed) and written to ``artifacts/timings.json``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "artifacts"
_TIMINGS = pytest.StashKey[dict]()


def discover_pages(root: Path = ROOT) -> list[str]:
    """``app.py`` then every page script Streamlit would serve from ``pages/`` (by file name)."""
    pages = sorted(p.name for p in (root / "pages").glob("*.py")
                   if not p.name.startswith(".") and p.name != "__init__.py")
    return ["app.py", *(f"pages/{name}" for name in pages)]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "page_path" in metafunc.fixturenames:
        pages = discover_pages()
        metafunc.parametrize("page_path", pages, ids=pages)


class Timings:
    """Tables of durations in seconds (floats) and counts (ints): ``record(table, row, column, value)``."""

    def __init__(self, store: dict):
        self._store = store

    def record(self, table: str, row: str, column: str, value: float | int) -> None:
        self._store.setdefault(table, {}).setdefault(row, {})[column] = value


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_TIMINGS] = {}


@pytest.fixture(scope="session")
def timings(pytestconfig: pytest.Config) -> Timings:
    return Timings(pytestconfig.stash[_TIMINGS])


def _format(value) -> str:
    """Seconds (float) as milliseconds; counts (int) as they are."""
    if value is None:
        return "—"
    return str(value) if isinstance(value, int) else f"{value * 1000:.0f} ms"


def pytest_terminal_summary(terminalreporter, exitstatus, config: pytest.Config) -> None:
    store = config.stash.get(_TIMINGS, {})
    if not store:
        return
    for table, rows in store.items():
        columns = list(dict.fromkeys(col for cells in rows.values() for col in cells))
        first = max(len("page"), *map(len, rows)) + 2
        widths = [max(len(c), 8) + 3 for c in columns]
        terminalreporter.write_sep("-", f"timings: {table}")
        terminalreporter.write_line(
            f"{'page':<{first}}" + "".join(f"{c:>{w}}" for c, w in zip(columns, widths)))
        for row, cells in rows.items():
            terminalreporter.write_line(
                f"{row:<{first}}" + "".join(f"{_format(cells.get(c)):>{w}}" for c, w in zip(columns, widths)))
    try:
        ARTIFACTS.mkdir(exist_ok=True)
        (ARTIFACTS / "timings.json").write_text(json.dumps(store, indent=2))
    except OSError:  # a read-only checkout still gets the printed tables
        pass
