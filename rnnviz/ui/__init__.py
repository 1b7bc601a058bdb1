"""The only part of rnnviz that imports Streamlit: page frame, widgets, caching, page registry."""

from threadpoolctl import threadpool_limits

# One BLAS thread per server process. A hall of sessions already keeps every core busy, and
# multi-threaded BLAS on small matrices under that load was measured 3-17x slower (the
# training tests: 140 s with the default threads, 28 s with one). threadpoolctl does this
# after NumPy is loaded, which an environment variable cannot (Streamlit imports NumPy first).
threadpool_limits(limits=1, user_api="blas")

from .cache import cached
from .frame import guard, page_frame
from .registry import HOME, PAGES, PageInfo
from . import export, lecture, requests, urlstate, widgets
from .presets import Preset, preset_bar, preset_button

__all__ = [
    "HOME", "PAGES", "PageInfo", "Preset", "cached", "export", "guard", "lecture", "page_frame",
    "preset_bar", "preset_button", "requests", "urlstate", "widgets",
]
