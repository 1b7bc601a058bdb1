"""Every claim of the lecture tour is checked on the numbers the core computes at the step's settings.

A step's ``check`` is what its claim says about its evidence (the claims mechanism of
rnnviz.presets: a predicate on the core's result); here it is evaluated on the evidence, a
perturbed evidence shows it can fail, and for the steps on a page with a view the evidence is the
view's own result at the step's link values, so the explore link opens the very numbers shown.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from rnnviz.presets import meanfield as edge_views
from rnnviz.presets import nonlinearity as nl_views
from rnnviz.presets import scalar as scalar_views
from rnnviz.presets import spectral as spectral_views
from rnnviz.presets import training as lab_views
from rnnviz.ui import computed, tour
from rnnviz.ui.registry import PAGES

STEPS = [pytest.param(step, id=f"{k} {step.title}") for k, step in enumerate(tour.STEPS, 1)]
VIEWS = {tour.SCALAR: scalar_views.VIEW, tour.NONLINEARITY: nl_views.VIEW, tour.SPECTRAL: spectral_views.VIEW,
         tour.LAB: lab_views.VIEW, tour.EDGE: edge_views.VIEW}
#: The link keys each page without a view reads (its controls).



@pytest.mark.parametrize("step", STEPS)
def test_every_claim_holds_on_its_evidence(step):
    evidence = step.evidence()
    assert step.check(evidence), f"{step.title}: {step.claim}\nevidence: {dict(evidence)}"
    label, value = step.number(evidence)
    assert label and value and "nan" not in value.lower(), (label, value)


@pytest.mark.parametrize("step", STEPS)
def test_a_check_can_fail(step):
    """Each check reads its evidence: moving the numbers the claim is about makes it false."""
    evidence = dict(step.evidence())
    failing = [name for name, value in evidence.items()
               if isinstance(value, (int, float)) and math.isfinite(value)
               and not step.check({**evidence, name: -value * 3 - 7})]
    assert failing, f"{step.title}: no number of {sorted(evidence)} can make the check fail"


@pytest.mark.parametrize("step", STEPS)
def test_the_explore_link_opens_the_steps_settings(step):
    assert step.page in {p.path for p in PAGES}
    params = step.link_params()
    assert params and all(isinstance(v, str) for v in params.values())
    VIEWS[step.page].settings(step.settings)   # every key is a control of the page (raises otherwise)


def test_the_tour_computes_what_the_page_computes_at_the_link():
    """computed.arguments: the tour's cached call is the view's computation at the link's values."""
    for values in (tour.TANH, tour.OVERFLOW, tour.LINEAR_DOWN):
        shown = computed.scalar_run(*computed.arguments(scalar_views.VIEW, values))
        np.testing.assert_array_equal(shown.log10_abs_grad, scalar_views.VIEW.evaluate(values).log10_abs_grad)
    for values in (tour.QUARTER, tour.SATURATED, tour.DEAD):
        shown = computed.saturation_run(*computed.arguments(nl_views.VIEW, values)).stats
        assert shown.saturated_fraction == nl_views.VIEW.evaluate(values).stats.saturated_fraction
    # a slider's float: a link's w = 1 is the page's 1.0 (one cache entry)
    args = computed.arguments(scalar_views.VIEW, {"w": 1, "T": 50})
    assert isinstance(args[0], float) and isinstance(args[7], int)


#: The issue's fourteen steps (lecture order) and the page of each; other steps may stand between them.
LECTURE_ORDER = (
    ("cat … was", tour.LAB), ("Back-propagation", tour.SCALAR), ("One hidden unit", tour.SCALAR),
    ("Factors above 1", tour.SCALAR), ("Many units", tour.SPECTRAL), ("J_t = diag", tour.NONLINEARITY),
    ("sigmoid and tanh", tour.NONLINEARITY), ("ReLU", tour.NONLINEARITY), ("The norm of W", tour.SPECTRAL),
    ("Eigenvalues are not enough", tour.SPECTRAL), ("Exploding gradients in training", tour.LAB),
    ("Gradient clipping", tour.LAB), ("Clipping does nothing", tour.LAB), ("What comes next", tour.LAB),
)


def test_steps_are_a_plain_ordered_tuple_in_the_lectures_order():
    assert isinstance(tour.STEPS, tuple)
    titles = [s.title for s in tour.STEPS]
    assert len(set(titles)) == len(titles)
    found = iter(tour.STEPS)
    for start, page in LECTURE_ORDER:   # a subsequence: each next one after the one before
        step = next((s for s in found if s.title.startswith(start)), None)
        assert step is not None, f"step {start!r} missing or out of the lecture's order"
        assert step.page == page, (start, step.page)
