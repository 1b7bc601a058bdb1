"""The page registry: one entry per page script, in Streamlit's order, with unique titles and URLs."""

from __future__ import annotations

import re
from pathlib import Path

from streamlit.source_util import page_icon_and_name

from rnnviz.ui.registry import APP_ROOT, HOME, PAGES, PageInfo, available_pages, page_files, page_info

ICON = re.compile(r"^:material/[a-z0-9_]+:$")


def test_entries_are_well_formed_and_unique():
    for page in (HOME, *PAGES):
        assert ICON.match(page.icon), f"{page.path}: icon {page.icon!r} is not ':material/<name>:'"
        assert page.title.strip() and page.blurb.strip(), page
    assert HOME.path == "app.py"
    for page in PAGES:
        assert re.fullmatch(r"pages/[0-9]+_[A-Za-z0-9_]+\.py", page.path), page.path
    for field in ("path", "title"):
        values = [getattr(p, field) for p in (HOME, *PAGES)]
        assert len(set(values)) == len(values), f"duplicate {field}: {values}"


def test_urls_are_unique_and_order_matches_streamlit():
    # A page's URL is derived by Streamlit from its file name; two equal ones would shadow each other.
    urls = [page_icon_and_name(Path(p.path))[1] for p in PAGES]
    assert len(set(urls)) == len(urls), urls
    numbers = [int(Path(p.path).name.split("_")[0]) for p in PAGES]
    assert numbers == sorted(numbers), "PAGES must be in the order Streamlit sorts the files (by number)"


def test_every_page_script_is_registered():
    registered = {p.path for p in PAGES}
    missing = [f for f in page_files(APP_ROOT) if f not in registered]
    assert not missing, (f"page scripts without an entry in rnnviz/ui/registry.py (so the navigation "
                         f"shows a title made from the file name): {missing}")


def _touch(root: Path, *names: str) -> None:
    (root / "pages").mkdir(exist_ok=True)
    for name in names:
        (root / "pages" / name).write_text("")


def test_page_files_follow_streamlits_rules(tmp_path):
    assert page_files(tmp_path) == []
    _touch(tmp_path, "10_Late.py", "2_Early.py", "Unnumbered.py", ".hidden.py", "__init__.py", "notes.txt")
    assert page_files(tmp_path) == ["pages/2_Early.py", "pages/10_Late.py", "pages/Unnumbered.py"]


def test_available_pages_skip_unwritten_and_keep_unregistered(tmp_path):
    first = PAGES[0]
    _touch(tmp_path, Path(first.path).name, "7_Extra_stuff.py")
    assert available_pages(tmp_path) == (
        first, PageInfo("pages/7_Extra_stuff.py", "Extra stuff", ":material/article:", ""))



def test_a_page_finds_its_entry_from_its_file(tmp_path):
    root = Path(__file__).resolve().parents[1]
    for page in (HOME, *PAGES):
        assert page_info(str(root / page.path)) == page
    assert page_info(str(root / "app.py")).header != HOME.title  # the home page's heading is its own
    assert all(p.header == p.title for p in PAGES)  # every page's heading is its registered title
    assert all(len(p.title) <= 28 for p in PAGES), [p.title for p in PAGES if len(p.title) > 28]
    # an unregistered script (a test's temporary page) is titled from its file name
    assert page_info(str(tmp_path / "pages" / "9_New_thing.py")).title == "New thing"
