import _trivial

_trivial.page("Page 4", 4)
