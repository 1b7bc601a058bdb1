import _trivial

_trivial.page("Page 8", 8)
