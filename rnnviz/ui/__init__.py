"""The only part of rnnviz that imports Streamlit: page frame, widgets, caching, page registry."""

from .cache import cached
from .frame import guard, page_frame
from .registry import HOME, PAGES, PageInfo
from . import export, lecture, urlstate, widgets
from .presets import Preset, preset_bar

__all__ = [
    "HOME", "PAGES", "PageInfo", "Preset", "cached", "export", "guard", "lecture", "page_frame",
    "preset_bar", "urlstate", "widgets",
]
