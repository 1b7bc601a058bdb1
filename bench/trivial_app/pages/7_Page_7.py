import _trivial

_trivial.page("Page 7", 7)
