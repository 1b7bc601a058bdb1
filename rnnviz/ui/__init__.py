"""The only part of rnnviz that imports Streamlit: page frame, widgets, caching, page registry."""

from .cache import cached
from .frame import guard, page_frame
from .registry import HOME, PAGES, PageInfo
from . import widgets

__all__ = ["HOME", "PAGES", "PageInfo", "cached", "guard", "page_frame", "widgets"]
