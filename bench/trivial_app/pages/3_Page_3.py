import _trivial

_trivial.page("Page 3", 3)
