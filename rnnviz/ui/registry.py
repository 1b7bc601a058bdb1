"""The app's pages, in navigation order: one place for paths, titles and icons."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

#: The folder holding app.py; page paths below are relative to it.
APP_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class PageInfo:
    path: str   # relative to app.py, as st.page_link wants it
    title: str  # the navigation label, the browser tab's title and (unless ``heading``) the page's heading
    icon: str
    blurb: str
    heading: str = ""  # the page's heading when it differs from its navigation label (the home page)

    @property
    def header(self) -> str:
        """What the page shows as its heading."""
        return self.heading or self.title


HOME = PageInfo("app.py", "Home", ":material/home:", "What rnnviz shows and where to start.",
                heading="Vanishing and exploding gradients, live")

PAGES: tuple[PageInfo, ...] = (
    PageInfo("pages/1_Scalar_intuition.py", "Scalar intuition", ":material/trending_down:",
             "One hidden unit: the gradient is a product of numbers, so it shrinks or grows exponentially."),
    PageInfo("pages/2_Nonlinearity_derivatives.py", "Nonlinearity derivatives", ":material/functions:",
             "Why sigmoid and tanh shrink gradients: their derivatives are small almost everywhere."),
    PageInfo("pages/3_Spectral_norms.py", "Jacobians and spectral norms", ":material/grid_on:",
             "Many hidden units: singular values, not eigenvalues, decide vanishing and exploding."),
    PageInfo("pages/4_Gradient_clipping.py", "Gradient clipping", ":material/content_cut:",
             "The cure for exploding gradients: clip by norm or by value, and what each framework does."),
    PageInfo("pages/5_Training_lab.py", "Training lab", ":material/model_training:",
             "Train an RNN on 'cat … was / cats … were' and watch gradients explode and vanish."),
)


def _order(name: str) -> tuple[float, str]:
    number = re.match(r"[0-9]*", name).group()
    return (float(number) if number else math.inf, name.lower())


def page_files(root: Path = APP_ROOT) -> list[str]:
    """The page scripts Streamlit serves from ``pages/``, in its order, relative to ``root``.

    Same rule as Streamlit's own page discovery: every ``*.py`` except hidden files and
    ``__init__.py``, ordered by the leading number of the file name.
    """
    folder = root / "pages"
    if not folder.is_dir():
        return []
    names = [p.name for p in folder.glob("*.py") if not p.name.startswith(".") and p.name != "__init__.py"]
    return [f"pages/{name}" for name in sorted(names, key=_order)]


def _untitled(path: str) -> PageInfo:
    stem = Path(path).stem.lstrip("0123456789_- ")
    return PageInfo(path, stem.replace("_", " ") or Path(path).stem, ":material/article:", "")


def page_info(file: str, root: Path = APP_ROOT) -> PageInfo:
    """The registry entry of the script ``file`` (a page passes its ``__file__``): its path relative
    to app.py, title and icon. An unregistered script gets a title made from its file name."""
    path = Path(file).resolve()
    try:
        relative = path.relative_to(root.resolve()).as_posix()
    except ValueError:  # a script outside the app (a test's temporary page): match it by its place
        relative = path.name if path.parent.name != "pages" else f"pages/{path.name}"
    return next((p for p in (HOME, *PAGES) if p.path == relative), None) or _untitled(relative)


def available_pages(root: Path = APP_ROOT) -> tuple[PageInfo, ...]:
    """The registered pages whose script exists, then any unregistered page script.

    A registered page whose file is not written yet is left out (``st.page_link`` refuses a
    missing script); an unregistered script still gets a link, titled from its file name.
    """
    files = page_files(root)
    known = {p.path for p in PAGES}
    present = set(files)
    return (*(p for p in PAGES if p.path in present),
            *(_untitled(f) for f in files if f not in known))
