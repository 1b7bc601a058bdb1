"""Every sentence the app states about a fixed view is checked against the computation it describes.

Each preset of every page carries ``expect``, a check of what its caption promises; each
:class:`rnnviz.presets.Claim` (a lead or a Notice about a fixed view) carries one too. Here every
one of them is evaluated on the core result the page shows at those control values (defaults for
the rest, as the preset's button and link do). Sentences that depend on the controls are computed
live by the pages; their builders are tested here on views where the answer is known.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

import rnnviz
from rnnviz.presets import Claim, Preset, View, all_views
from rnnviz.presets import clipping as clip_views
from rnnviz.presets import checkpoint as checkpoint_views
from rnnviz.presets import nonlinearity as nl_views
from rnnviz.presets import scalar as scalar_views

EXAMPLE_DIR = Path(__file__).resolve().parents[1] / "rnnviz" / "ui" / "examples"


def example_bytes(ex: str) -> bytes:
    """The "Your network" page's bundled example files, read here: the core only parses bytes."""
    return (EXAMPLE_DIR / checkpoint_views.EXAMPLES[ex][0]).read_bytes()


VIEWS = all_views(example_bytes)


@pytest.fixture(scope="module", autouse=True)
def one_blas_thread():
    """One BLAS thread, as the app runs (rnnviz.ui): the training and spectral checks are several
    times slower with threads competing for a loaded machine's cores."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        yield
PRESETS = [pytest.param(v, p, id=f"{v.name}: {p.label}") for v in VIEWS for p in v.presets]
CLAIMS = [pytest.param(v, c, id=f"{v.name}: {c.where}") for v in VIEWS for c in v.claims]


@pytest.mark.parametrize(("view", "preset"), PRESETS)
def test_every_preset_caption_holds(view: View, preset: Preset):
    assert preset.expect is not None, f"{preset.label!r} has no check of its caption"
    assert preset.expect(view.evaluate(preset.values)), f"{view.name}: {preset.label!r} — {preset.caption}"


@pytest.mark.parametrize(("view", "claim"), CLAIMS)
def test_every_claim_holds(view: View, claim: Claim):
    assert claim.expect(view.evaluate(claim.values)), f"{view.name}, {claim.where}: {claim.text}"


def test_views_have_unique_names_and_labels():
    names = [v.name for v in VIEWS]
    assert len(names) == len(set(names))
    for view in VIEWS:
        labels = [p.label for p in view.presets]
        assert len(labels) == len(set(labels)), view.name


def test_a_check_can_fail():
    """The mechanism reports a false caption (a check is evaluated, not assumed)."""
    knife = scalar_views.VIEW.preset("Knife's edge")
    assert not knife.expect(scalar_views.VIEW.evaluate({**knife.values, "w": 1.01}))
    saturated = nl_views.VIEW.preset("Saturated sigmoid")
    assert not saturated.expect(nl_views.VIEW.evaluate({**saturated.values, "bias": 0.0}))  # the old 49.8 %


def test_view_rejects_an_unknown_control_and_fills_defaults():
    with pytest.raises(ValueError, match="no control"):
        View("x", {"a": 1}, lambda a: a, (Preset("p", "c", {"b": 2}, expect=bool),))
    view = View("x", {"a": 1, "b": 2}, lambda a: a * 10)
    assert view.evaluate({"b": 5}) == 10 and view.settings({"a": 3}) == {"a": 3, "b": 2}
    with pytest.raises(KeyError):
        view.preset("nope")


# ----------------------------------------------------------------------------- live sentences

def test_factor_notice_says_lambda_decides_not_the_majority():
    """Issue 14 #2: leaky ReLU, w = −1.2, b = 0.6 — 79.5 % of the factors are 1.2, λ = −0.762."""
    tr = scalar_views.VIEW.evaluate({"w": -1.2, "b": 0.6, "f": "leaky_relu"})
    text = scalar_views.factor_notice(tr)
    assert "79.5% of the factors are above 1" in text and "λ = -0.762" in text and "vanishes" in text
    assert tr.log10_abs_grad[0] < -60
    up = scalar_views.factor_notice(scalar_views.VIEW.evaluate({"w": 1.5, "b": 0.5, "f": "relu"}))
    assert "100.0%" in up and "explodes" in up


def test_bound_notice_is_computed():
    """Issue 14 #4: at the defaults the per-step bound equals γ·σ_max (0.00 decades), not 'far below'."""
    stats = nl_views.VIEW.evaluate().stats
    assert stats.bound_gap_decades < 0.005 and "coincide" in nl_views.bound_notice(stats)
    sat = nl_views.VIEW.evaluate({"f": "sigmoid", "in_scale": 3.0, "bias": -5.0}).stats
    assert 0.005 < sat.bound_gap_decades < 0.05


def test_clipnorm_notice_names_the_cut_tensors():
    """Issue 14, page 4: at the defaults dU (3 > c = 1) is cut by ⅓ as well as dW."""
    outcomes = clip_views.TENSORS.evaluate().values()
    per = next(o for o in outcomes if o.convention == "keras_clipnorm")
    assert per.scales[1] == pytest.approx(1 / 3) and per.scales[2] == 1
    assert "dW and dU are cut to the threshold while db keeps its size" in clip_views.clipnorm_notice(outcomes)
    small = clip_views.TENSORS.evaluate({"nW": 0.1, "nU": 0.1, "nb": 0.1}).values()
    assert "nothing is clipped" in clip_views.clipnorm_notice(small)


# ----------------------------------------------------------------------------- fixed sentences

def test_scalar_page_powers_text():
    """Page 1, next to the r^k chart: 0.95^100 keeps 0.6 %, 1.05^100 is about 130-fold."""
    assert f"{0.95 ** 100:.1%}" == "0.6%"
    assert round(1.05 ** 100, -1) == 130
    r = 0.9  # the horizon formula, for 0 < r < 1 as the page now says
    k = 8 * math.log(10) / -math.log(r)
    assert r ** math.floor(k) >= 1e-8 > r ** math.ceil(k)


def test_home_page_notices():
    """Home: 0.9 after 60 steps leaves 0.2 %; 1.1 grows it about 300-fold; |a| above 3 → factor almost 0."""
    assert f"{0.9 ** 60:.1%}" == "0.2%" and round(1.1 ** 60, -2) == 300
    for name in ("tanh", "sigmoid"):
        nl = rnnviz.get_nonlinearity(name)
        assert float(nl.df(np.array([3.0]))[0]) < 0.05
    assert float(rnnviz.get_nonlinearity("sigmoid").df(np.array([0.0]))[0]) == 0.25


def test_nilpotent_counterexample_sentence():
    """Page 2: a nilpotent W (ρ = 0) can still have σ_max = 16."""
    W = np.array([[8.0, 8.0], [-8.0, -8.0]])
    assert rnnviz.spectral_radius(W) == pytest.approx(0, abs=1e-6)
    assert rnnviz.spectral_norm(W) == pytest.approx(16)


def test_nilpotent_jacobian_and_pascanus_form():
    """Page 3 (issue 14 #5): J = diag(1, ¾) W = [[8, 8], [−6, −6]]; Pascanu et al.'s Wᵀ diag(f′) is
    [[8, −6], [8, −6]] = Jᵀ, with the same eigenvalues 0 and 2 and the same norm √200."""
    from rnnviz.spectral import nilpotent_example

    ex = nilpotent_example()
    fprime = 1 - ex.h_star ** 2
    assert np.array_equal(ex.J, [[8, 8], [-6, -6]]) and np.allclose(ex.J @ ex.J, 2 * ex.J)
    pascanu = ex.W.T @ np.diag(fprime)
    assert np.array_equal(pascanu, [[8, -6], [8, -6]]) and np.array_equal(pascanu, ex.J.T)
    assert np.allclose(sorted(np.linalg.eigvals(pascanu).real), [0, 2], atol=1e-12)
    assert rnnviz.spectral_norm(pascanu) == pytest.approx(math.sqrt(200))


def test_heat_map_notice_when_the_loss_is_exactly_zero():
    """Issue 14, page 5: in "Same, clipped" the last row is 0/0 (the loss is exactly 0); the Notice read
    "… and not a finite number × at the last one"."""
    from rnnviz.charts.training import reach_phrase

    run = rnnviz.train(rnnviz.TRAINING_SCENARIOS["clipped"])
    assert run.loss[-1] == 0 and run.dh_norm[-1, 0] == run.dh_norm[-1, -1] == 0
    assert reach_phrase(run, -1) == "nothing: the gradient is exactly 0 at every word (the loss is 0)"
    assert reach_phrase(run, 0).endswith("× the gradient at the last word")
    assert run.loss[0] != pytest.approx(math.log(2), abs=0.1)  # why the loss Notice is computed live


def test_training_presets_are_the_core_scenarios():
    """One definition: each training preset's values give back the core's scenario configuration."""
    from rnnviz.presets import training as lab

    for name, preset in zip(("explode", "clipped", "long_gap", "gru_cure"), lab.VIEW.presets):
        settings = lab.VIEW.settings(preset.values)
        for control in ("cmp", "rel", "seeds"):  # side by side, and what is drawn: not the configuration
            settings.pop(control)
        assert lab.config(**settings) == rnnviz.TRAINING_SCENARIOS[name]


def test_the_core_reads_no_files():
    """The core parses bytes it is handed: no module outside rnnviz/ui opens or reads a file (the bundled
    example checkpoints are read by rnnviz.ui.bundled, or by this test)."""
    import re

    root = Path(rnnviz.__file__).resolve().parent
    io = re.compile(r"\.(read|write)_(bytes|text)\(|(?<![\w.])open\(")
    found = [f"{path.relative_to(root)}:{n}" for path in root.rglob("*.py") if "ui" not in path.relative_to(root).parts
             for n, line in enumerate(path.read_text().splitlines(), 1) if io.search(line)]
    assert not found, "file I/O in the core: " + ", ".join(found)
