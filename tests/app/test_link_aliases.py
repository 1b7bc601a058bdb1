"""One link vocabulary: a page's former link keys still open the same view (links from past lectures).

Every alias in rnnviz.ui.urlstate.ALIASES has its own test: a link written with the old key opens the
page with the control of the new key set to that value, with no "the link asked for" note, the same
controls as the link written with the new key, and the "link to this view" box written in new keys.
"""

from __future__ import annotations

import pytest
from page_driver import open_page
from test_sharing import _run, _values

from rnnviz.ui.urlstate import ALIASES

pytestmark = pytest.mark.timeout(300)

#: (page, old key, new key, a non-default value, other parameters of the link).
CASES = [
    ("pages/2_Nonlinearity_derivatives.py", "nl", "f", "relu", {}),
    ("pages/2_Nonlinearity_derivatives.py", "steps", "T", "500", {}),
    ("pages/3_Spectral_norms.py", "input", "in_scale", "1.5", {"n": "8"}),
    ("pages/4_Gradient_clipping.py", "it", "its", "300", {}),
    ("pages/5_Training_lab.py", "g", "scale", "1.5", {"its": "20", "B": "8", "L": "3"}),
]


def _opened(page: str, params: dict[str, str]):
    at = open_page(page)
    for key, raw in params.items():
        at.query_params[key] = raw
    return _run(at)


def test_every_alias_has_a_case():
    assert {(page, old, new) for page, old, new, *_ in CASES} == {
        (page, old, new) for page, aliases in ALIASES.items() for old, new in aliases.items()}


@pytest.mark.parametrize("page,old,new,raw,extra", CASES, ids=[f"{c[1]}->{c[2]}" for c in CASES])
def test_old_key_opens_the_same_view(page, old, new, raw, extra):
    by_old = _opened(page, {old: raw, **extra})
    values = _values(by_old)
    assert old not in values, f"{page} still has a control keyed {old!r}"
    assert str(values[new]) == raw or float(values[new]) == float(raw), (
        f"?{old}={raw} opened {page} with {new} = {values[new]!r}")
    notes = [c.value for c in by_old.caption if ":material/link_off:" in c.value]
    assert not notes, notes
    box = by_old.sidebar.code[0].value
    assert f"{new}={raw}" in box and f"{old}=" not in box, box
    assert _values(_opened(page, {new: raw, **extra})) == values


def test_the_new_key_wins_over_its_alias():
    at = _opened("pages/2_Nonlinearity_derivatives.py", {"nl": "relu", "f": "sigmoid"})
    assert _values(at)["f"] == "sigmoid"
