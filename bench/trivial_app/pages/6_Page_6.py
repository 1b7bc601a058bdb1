import _trivial

_trivial.page("Page 6", 6)
