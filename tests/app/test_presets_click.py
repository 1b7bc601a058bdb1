"""Click every preset of every page under AppTest: no exception, no error, its caption and charts shown.

The buttons are found in the page's own element tree (keys ``preset_<page>_<label>``), so a page
or preset added later is clicked without editing this file. What each caption promises is checked
on the core in tests/test_claims.py; here the page itself is run with the preset applied.
"""

from __future__ import annotations

import pytest
from page_driver import CHART, exception_report, open_page

from rnnviz.presets import all_views
from rnnviz.ui.bundled import example_bytes

#: Button key (``preset_<view name>_<label>``, as rnnviz.ui.presets draws it) → the caption defined for it.
CAPTIONS = {f"preset_{v.name}_{p.label}": p.caption for v in all_views(example_bytes) for p in v.presets}


def _preset_buttons(at) -> list:
    return [b for b in at.button if str(b.key).startswith("preset_")]


def test_click_every_preset(page_path, apptest_warmed_up):
    """``page_path``: every page (tests/conftest.py discovers them); one without presets is skipped."""
    at = open_page(page_path).run()
    keys = [b.key for b in _preset_buttons(at)]
    if not keys:
        pytest.skip(f"{page_path} has no presets")
    for key in keys:
        button = next(b for b in _preset_buttons(at) if b.key == key)
        label = button.label
        at = button.click().run()
        errors = exception_report(at)
        assert not errors, f"{page_path}, preset {label!r}:\n" + "\n".join(errors)
        assert not at.error, (label, [e.value for e in at.error])
        assert at.get(CHART), f"{page_path}, preset {label!r} shows no chart"
        shown = [i.value for i in at.info if i.value.startswith(f"**{label}:**")]
        assert shown, f"{page_path}, preset {label!r}: its caption is not shown"
        if key in CAPTIONS:  # defined in rnnviz.presets: the page shows that very caption
            assert shown[0] == f"**{label}:** {CAPTIONS[key]}"
