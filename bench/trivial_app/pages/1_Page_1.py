import _trivial

_trivial.page("Page 1", 1)
