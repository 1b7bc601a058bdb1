"""The lecture tour under AppTest: every step opens, shows its chart and its evidence; links and keys."""

from __future__ import annotations

import pytest
from page_driver import CHART, exception_report, open_page

from rnnviz.ui import tour

PAGE = "pages/0_Lecture.py"
pytestmark = pytest.mark.timeout(300)


def _open(step: str | None = None):
    at = open_page(PAGE)
    if step is not None:
        at.query_params[tour.KEY] = step
    return at.run()


def _shown(at, k: int) -> None:
    """``at`` shows step ``k``: no exception or error, its title, its chart(s), its number and its check."""
    assert not exception_report(at), exception_report(at)
    assert not at.error, [e.value for e in at.error]
    step = tour.STEPS[k - 1]
    assert [h.value for h in at.header] == [f"{k} · {step.title}"]
    assert len(at.get(CHART)) >= 1, f"step {k}: no chart"
    label, value = step.number(step.evidence())
    assert [(m.label, m.value) for m in at.metric] == [(label, value)]
    assert [s.value for s in at.success] == ["The evidence bears the claim out."], f"step {k}"
    assert at.query_params[tour.KEY] == [str(k)] or at.query_params[tour.KEY] == str(k)
    box = [c.value for c in at.sidebar.code]   # the sidebar's "Link to this view" holds the step's link
    assert box and box[0].endswith(f"{tour.KEY}={k}"), box


def test_next_walks_every_step_and_previous_goes_back():
    at = _open("1")
    count = len(tour.STEPS)
    for k in range(1, count + 1):
        _shown(at, k)
        assert at.get("progress")[0].proto.text == f"Step {k} of {count}"
        assert at.button(key="tour_next").disabled == (k == count)
        if k < count:
            at.button(key="tour_next").click().run()
    at.button(key="tour_prev").click().run()
    _shown(at, count - 1)
    at.button(key="tour_first").click().run()
    _shown(at, 1)
    at.button(key="tour_last").click().run()
    _shown(at, count)


@pytest.mark.parametrize("raw", ["0", "99", "seven", "-3", ""])
def test_a_step_that_does_not_exist_opens_step_1_with_a_note(raw):
    at = _open(raw)
    _shown(at, 1)
    assert any("opens at step 1" in w.value for w in at.warning), [w.value for w in at.warning]


def test_a_deep_link_opens_its_step_with_the_explore_link_and_the_qr_code():
    at = _open("7")
    _shown(at, 7)
    step = tour.STEPS[6]
    link = next(el for el in at.get("page_link") if el.proto.label.startswith("Explore this"))
    assert link.proto.label == f"Explore this on the {step.page_info.title} page"
    assert link.proto.page.endswith(step.page_info.path.split("_", 1)[1].removesuffix(".py"))
    qr = [m.value for m in at.markdown if 'alt="QR code of the link to step 7' in m.value]
    assert len(qr) == 1 and "data:image/png;base64," in qr[0]   # the QR code, with its text alternative
    assert not at.warning


def test_requested_reads_only_existing_steps():
    assert tour.requested(None, 14) == (1, None)
    assert tour.requested(" 14 ", 14) == (14, None)
    for raw in ("15", "0", "1.5", "x", "1e3"):
        k, note = tour.requested(raw, 14)
        assert k == 1 and "steps 1 to 14" in note


def test_home_page_starts_the_lecture_and_the_lecture_comes_first():
    home = open_page("app.py").run()
    assert not exception_report(home)
    start = [link for link in home.get("page_link") if "Start the lecture" in link.proto.label]
    assert start and start[0].proto.page.endswith("Lecture"), [link.proto.label for link in home.get("page_link")]
    navigation = [link.proto.label for link in home.sidebar.get("page_link")]
    assert navigation[:2] == ["Home", "The lecture"], navigation
