import _trivial

_trivial.page("Page 5", 5)
