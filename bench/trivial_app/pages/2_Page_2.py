import _trivial

_trivial.page("Page 2", 2)
