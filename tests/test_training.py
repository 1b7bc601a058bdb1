"""Training on the agreement task: gradients against finite differences, optimisers and clipping
against their definitions, the lab's three scenarios, determinism, divergence as content, the sweep."""

import math

import numpy as np
import pytest

import rnnviz
from rnnviz.training import ADAM_BETAS, ADAM_EPS


def _fd(fun, x, eps=1e-6):
    """Central finite differences of a scalar function of an array, entry by entry."""
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        x[idx] = old + eps
        up = fun()
        x[idx] = old - eps
        down = fun()
        x[idx] = old
        grad[idx] = (up - down) / (2 * eps)
    return grad


# --------------------------------------------------------------------------- the read-out

def test_readout_loss_and_accuracy_by_hand():
    V = np.array([[1.0, 0.0], [0.0, 2.0]])
    c = np.array([0.0, 0.5])
    h = np.array([[1.0, 0.0], [0.0, 1.0], [0.3, 0.1]])
    y = np.array([0, 1, 1])
    z = h @ V.T + c
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    ro = rnnviz.softmax_readout(V, c, h, y)
    assert ro.loss == pytest.approx(-np.mean(np.log(p[np.arange(3), y])), rel=1e-14)
    np.testing.assert_allclose(ro.probs, p, rtol=1e-14)
    assert ro.accuracy == pytest.approx(np.mean(z.argmax(axis=1) == y))


def test_readout_gradient_matches_finite_differences():
    rng = np.random.default_rng(0)
    V = rng.standard_normal((2, 5))
    c = rng.standard_normal(2)
    h = rng.standard_normal((7, 5))
    y = rng.integers(2, size=7)
    ro = rnnviz.softmax_readout(V, c, h, y)
    loss = lambda: rnnviz.softmax_readout(V, c, h, y).loss  # noqa: E731
    np.testing.assert_allclose(ro.V, _fd(loss, V), rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(ro.c, _fd(loss, c), rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(ro.h, _fd(loss, h), rtol=1e-6, atol=1e-9)


def test_readout_survives_huge_logits_and_reports_nonfinite():
    V = np.array([[1e3, 0.0], [-1e3, 0.0]])
    ro = rnnviz.softmax_readout(V, np.zeros(2), np.array([[1.0, 0.0]]), np.array([1]))
    assert ro.loss == pytest.approx(2e3)  # log-sum-exp, not exp overflow
    bad = rnnviz.softmax_readout(V, np.zeros(2), np.array([[np.inf, 0.0]]), np.array([0]))
    assert not math.isfinite(bad.loss) and bad.accuracy == 0.0


# --------------------------------------------------------------------------- the whole loss through BPTT

@pytest.mark.parametrize("nonlinearity", ["tanh", "sigmoid", "linear"])
def test_whole_loss_gradient_through_bptt_matches_finite_differences(nonlinearity):
    cfg = rnnviz.TrainingConfig(gap=4, hidden=3, nonlinearity=nonlinearity, init_scale=1.3, seed=5)
    p = rnnviz.init_params(cfg)
    rng = np.random.default_rng(1)
    params = rnnviz.RNNParams(W=p.W, U=p.U, b=0.3 * rng.standard_normal(3), V=p.V, c=np.array([0.2, -0.1]))
    batch = rnnviz.make_batch(cfg.gap, 5, seed=2)
    lg = rnnviz.loss_and_gradients(params, batch.xs, batch.labels, nonlinearity=nonlinearity)
    loss = lambda: rnnviz.loss_and_gradients(params, batch.xs, batch.labels,  # noqa: E731
                                             nonlinearity=nonlinearity).loss
    for name in ("W", "U", "b", "V", "c"):
        np.testing.assert_allclose(getattr(lg.grads, name), _fd(loss, getattr(params, name)),
                                   rtol=1e-5, atol=1e-9, err_msg=f"dL/d{name} ({nonlinearity})")
    assert lg.dh.shape == (cfg.gap + 2, 5, 3)


def test_dh_last_row_is_the_readout_gradient():
    cfg = rnnviz.TrainingConfig(gap=6, hidden=4)
    params = rnnviz.init_params(cfg)
    batch = rnnviz.make_batch(cfg.gap, 8, seed=0)
    lg = rnnviz.loss_and_gradients(params, batch.xs, batch.labels)
    traj = rnnviz.forward(params.W, batch.xs, U=params.U, b=params.b)
    ro = rnnviz.softmax_readout(params.V, params.c, traj.h[-1], batch.labels)
    np.testing.assert_allclose(lg.dh[-1], ro.h, rtol=1e-14)
    # One step back: dL/dh_{T-1} = W^T (f'(a_T) * dL/dh_T), per sequence.
    back = (rnnviz.get_nonlinearity("tanh").df(traj.a[-1]) * ro.h) @ params.W
    np.testing.assert_allclose(lg.dh[-2], back, rtol=1e-12)


# --------------------------------------------------------------------------- optimisers and clipping

def _first_update(**changes):
    cfg = rnnviz.TrainingConfig(gap=5, hidden=8, iterations=2, **changes)
    init = rnnviz.init_params(cfg)
    steps = list(rnnviz.iterate_training(cfg))
    batch_rng = np.random.default_rng([cfg.seed, 1])
    tokens, labels = rnnviz.sample_tokens(cfg.gap, cfg.batch, batch_rng)
    lg = rnnviz.loss_and_gradients(init, rnnviz.encode(tokens), labels, nonlinearity=cfg.nonlinearity)
    delta = [a - b for a, b in zip(steps[0].params.as_tuple(), init.as_tuple())]
    return cfg, steps, lg, delta


def test_sgd_first_step_is_minus_lr_times_gradient_and_records_match():
    cfg, steps, lg, delta = _first_update(optimizer="sgd", learning_rate=0.05, momentum=0.9)
    for d, g in zip(delta, lg.grads.as_tuple()):
        np.testing.assert_allclose(d, -0.05 * g, rtol=1e-12, atol=1e-15)
    assert steps[0].loss == pytest.approx(lg.loss, rel=1e-14)
    assert steps[0].grad_norm == pytest.approx(rnnviz.total_norm(list(lg.grads.as_tuple())), rel=1e-14)
    np.testing.assert_allclose(steps[0].dh_norm, np.linalg.norm(lg.dh[1:], axis=-1).mean(axis=1) * cfg.batch)


def test_sgd_momentum_second_step():
    cfg = rnnviz.TrainingConfig(gap=3, hidden=5, iterations=2, optimizer="sgd", learning_rate=0.1, momentum=0.5)
    steps = list(rnnviz.iterate_training(cfg))
    rng = np.random.default_rng([cfg.seed, 1])
    p0 = rnnviz.init_params(cfg)
    t1, y1 = rnnviz.sample_tokens(cfg.gap, cfg.batch, rng)
    g1 = rnnviz.loss_and_gradients(p0, rnnviz.encode(t1), y1).grads.as_tuple()
    p1 = steps[0].params
    t2, y2 = rnnviz.sample_tokens(cfg.gap, cfg.batch, rng)
    g2 = rnnviz.loss_and_gradients(p1, rnnviz.encode(t2), y2).grads.as_tuple()
    for a, b, x1, x2 in zip(steps[1].params.as_tuple(), p1.as_tuple(), g1, g2):
        np.testing.assert_allclose(a, b - 0.1 * (0.5 * x1 + x2), rtol=1e-12, atol=1e-15)


def test_adam_first_step_moves_each_weight_by_the_learning_rate():
    _, _, lg, delta = _first_update(optimizer="adam", learning_rate=0.01)
    b1, b2 = ADAM_BETAS
    for d, g in zip(delta, lg.grads.as_tuple()):
        # Bias-corrected first step: -lr * g / (|g| + eps).
        np.testing.assert_allclose(d, -0.01 * g / (np.abs(g) + ADAM_EPS), rtol=1e-9, atol=1e-15)


def test_norm_clipping_bounds_the_step_and_is_recorded():
    cfg, steps, lg, delta = _first_update(optimizer="sgd", learning_rate=1.0, clipping="norm", threshold=1e-3)
    total = rnnviz.total_norm(list(lg.grads.as_tuple()))
    assert total > 1e-3 and steps[0].clipped
    assert steps[0].grad_norm == pytest.approx(total)  # recorded before clipping
    step_norm = math.sqrt(sum(float(np.sum(d * d)) for d in delta))
    assert step_norm == pytest.approx(1e-3 * total / (total + 1e-6), rel=1e-9)  # lr = 1
    for d, g in zip(delta, lg.grads.as_tuple()):  # the direction is kept
        np.testing.assert_allclose(d, -g * (1e-3 / (total + 1e-6)), rtol=1e-9, atol=1e-18)


def test_value_clipping_cuts_each_entry():
    cfg, steps, lg, delta = _first_update(optimizer="sgd", learning_rate=1.0, clipping="value", threshold=1e-3)
    assert steps[0].clipped
    for d, g in zip(delta, lg.grads.as_tuple()):
        np.testing.assert_allclose(d, -np.clip(g, -1e-3, 1e-3), rtol=1e-12, atol=1e-18)


def test_threshold_above_the_norm_does_not_clip():
    _, steps, lg, delta = _first_update(optimizer="sgd", learning_rate=0.1, clipping="norm", threshold=1e6)
    assert not steps[0].clipped
    for d, g in zip(delta, lg.grads.as_tuple()):
        np.testing.assert_allclose(d, -0.1 * g, rtol=1e-12, atol=1e-15)


# --------------------------------------------------------------------------- training runs

def test_short_run_learns_a_small_gap():
    run = rnnviz.train(rnnviz.TrainingConfig(gap=3, hidden=16, iterations=120, batch=32))
    assert run.completed and run.diverged_at is None
    assert run.test_accuracy >= 0.95
    assert run.loss[-10:].mean() < 0.1 < math.log(2) - 0.05 < run.loss[0] + 0.2
    assert run.loss.shape == run.accuracy.shape == run.grad_norm.shape == (120,)
    assert run.dh_norm.shape == (120, 4)


def test_deterministic_for_a_seed():
    cfg = rnnviz.TrainingConfig(gap=4, hidden=8, iterations=30, batch=16, optimizer="adam", learning_rate=0.01)
    a, b = rnnviz.train(cfg), rnnviz.train(cfg)
    np.testing.assert_array_equal(a.loss, b.loss)
    np.testing.assert_array_equal(a.dh_norm, b.dh_norm)
    np.testing.assert_array_equal(a.params.W, b.params.W)
    c = rnnviz.train(cfg.replace(seed=1))
    assert not np.array_equal(a.loss, c.loss)


def test_generator_yields_one_record_per_iteration_and_can_be_stopped():
    cfg = rnnviz.TrainingConfig(gap=2, hidden=4, iterations=25, batch=8)
    steps = list(rnnviz.iterate_training(cfg))
    assert [s.iteration for s in steps] == list(range(1, 26))
    assert all(s.nonfinite is None for s in steps)
    early = []
    for s in rnnviz.iterate_training(cfg):
        early.append(s)
        if s.iteration == 10:
            break
    partial = rnnviz.summarize_training(cfg, early)
    assert partial.iterations_run == 10 and not partial.completed and partial.diverged_at is None
    np.testing.assert_array_equal(partial.loss, [s.loss for s in steps[:10]])
    assert 0.0 <= partial.test_accuracy <= 1.0


def test_scenario_explode_reports_nan_without_raising():
    cfg = rnnviz.TRAINING_SCENARIOS["explode"]
    assert cfg.clipping == "none"
    run = rnnviz.train(cfg)  # RuntimeWarnings from rnnviz are errors under pytest: none may escape
    assert run.diverged_at is not None and run.diverged_at <= 20
    assert run.diverged_what in rnnviz.training.NONFINITE_WHAT
    assert run.iterations_run == run.diverged_at and not run.completed
    last_loss, last_norm = run.loss[-1], run.grad_norm[-1]
    assert not (math.isfinite(last_loss) and math.isfinite(last_norm)) or run.diverged_what == "parameters"
    assert math.isnan(run.test_accuracy)
    # Before it broke, the gradient norm grew by many orders of magnitude.
    finite = run.grad_norm[np.isfinite(run.grad_norm)]
    assert finite.max() / finite[0] > 1e10


def test_scenario_clipped_trains_where_the_unclipped_blew_up():
    explode, clipped = rnnviz.TRAINING_SCENARIOS["explode"], rnnviz.TRAINING_SCENARIOS["clipped"]
    assert clipped.replace(clipping="none") == explode  # the same run, only clipping differs
    run = rnnviz.train(clipped)
    assert run.completed and run.diverged_at is None
    assert run.test_accuracy >= 0.95
    assert run.clipped.any() and run.grad_norm.max() > clipped.threshold
    # What the page says: the first gradient is the same and far above the threshold; clipped, the
    # gradient never explodes (unclipped it grew past 1e10 before the NaN).
    unclipped = rnnviz.train(explode)
    assert run.grad_norm[0] == unclipped.grad_norm[0] > 10 * clipped.threshold
    assert run.grad_norm.max() < 100 < 1e10 < np.nanmax(unclipped.grad_norm[np.isfinite(unclipped.grad_norm)])
    assert run.loss[-1] == 0.0 and str(run.loss[-1]) == "0.0"  # not "-0.0"


def test_scenario_explode_with_tanh_is_ruined_without_overflow_and_saved_by_clipping():
    # What scenario 1's caption promises for f = tanh.
    cfg = rnnviz.TRAINING_SCENARIOS["explode"].replace(nonlinearity="tanh")
    ruined = rnnviz.train(cfg)
    assert ruined.completed and ruined.diverged_at is None and ruined.test_accuracy < 0.7
    assert np.max(ruined.grad_norm) > 100
    saved = rnnviz.train(cfg.replace(clipping="norm"))
    assert saved.completed and saved.test_accuracy >= 0.95


def test_scenario_long_gap_stays_at_chance_with_a_vanished_gradient():
    cfg = rnnviz.TRAINING_SCENARIOS["long_gap"]
    assert cfg.replace(gap=10) == rnnviz.TrainingConfig()  # the defaults, only the gap differs
    run = rnnviz.train(cfg)
    assert run.completed and run.diverged_at is None
    assert 0.42 <= run.test_accuracy <= 0.58
    assert abs(run.loss[-50:].mean() - math.log(2)) < 0.02
    # The dark left side: what reaches 'cat' is a vanishing fraction of the gradient at the last word.
    ratio = run.dh_norm[:, 0] / run.dh_norm[:, -1]
    assert ratio[0] < 1e-2 and np.median(ratio) < 1e-6 and ratio[-1] < 1e-10


def test_defaults_learn():
    run = rnnviz.train(rnnviz.TrainingConfig())
    assert run.completed and run.test_accuracy >= 0.95


def test_nonfinite_parameters_are_caught_before_the_forward_pass_rejects_them():
    # A learning rate of 1e6 with SGD: the step itself overflows no state, but the weights become huge;
    # whatever stops first is reported, never raised.
    cfg = rnnviz.TrainingConfig(gap=5, hidden=8, iterations=50, nonlinearity="linear", optimizer="sgd",
                                learning_rate=1e6, init_scale=3.0)
    run = rnnviz.train(cfg)
    assert run.diverged_at is not None


# --------------------------------------------------------------------------- the sweep

def test_sweep_shape_and_contents():
    cfg = rnnviz.TrainingConfig(hidden=8, iterations=40, batch=16)
    sweep = rnnviz.gap_sweep(cfg, gaps=(1, 3, 6), seeds=2)
    assert sweep.gaps.tolist() == [1, 3, 6]
    assert sweep.seeds.tolist() == [0, 1]
    assert sweep.test_accuracy.shape == sweep.final_loss.shape == sweep.diverged.shape == (3, 2)
    assert sweep.mean_accuracy.shape == (3,)
    one = rnnviz.train(cfg.replace(gap=3, seed=1))
    assert sweep.test_accuracy[1, 1] == one.test_accuracy
    assert np.all((sweep.test_accuracy >= 0) & (sweep.test_accuracy <= 1))


def test_sweep_counts_diverged_runs_as_chance():
    cfg = rnnviz.TRAINING_SCENARIOS["explode"]
    sweep = rnnviz.gap_sweep(cfg, gaps=(10,), seeds=1)
    assert sweep.diverged.tolist() == [[True]]
    assert sweep.mean_accuracy.tolist() == [0.5]


# --------------------------------------------------------------------------- bad settings

@pytest.mark.parametrize("changes, match", [
    ({"gap": 0}, "gap"),
    ({"hidden": 0}, "hidden"),
    ({"nonlinearity": "softsign"}, "nonlinearity"),
    ({"optimizer": "rmsprop"}, "optimizer"),
    ({"learning_rate": 0.0}, "learning rate"),
    ({"learning_rate": float("nan")}, "learning rate"),
    ({"momentum": 1.0}, "momentum"),
    ({"init_scale": -1.0}, "scale"),
    ({"iterations": 0}, "iterations"),
    ({"batch": 0}, "batch"),
    ({"clipping": "both"}, "clipping"),
    ({"threshold": 0.0}, "threshold"),
    ({"encoding": "bag"}, "encoding"),
    ({"seed": -1}, "seed"),
    ({"colour": 1}, "Unknown"),
])
def test_bad_settings_raise_value_error(changes, match):
    with pytest.raises(ValueError, match=match):
        rnnviz.TrainingConfig().replace(**changes)


def test_config_normalises_types_for_hashing():
    a = rnnviz.TrainingConfig(gap=np.int64(5), learning_rate=np.float64(0.1))
    b = rnnviz.TrainingConfig(gap=5, learning_rate=0.1)
    assert a == b and hash(a) == hash(b) and type(a.gap) is int


def test_run_carries_the_numbers_the_lab_shows():
    run = rnnviz.train(rnnviz.TrainingConfig(hidden=4, batch=8, iterations=6, eval_batch=20, clipping="norm",
                                             threshold=1e-3))
    assert run.clipped_share == pytest.approx(run.clipped.mean())
    assert run.peak_grad_norm == pytest.approx(run.grad_norm.max())
    assert run.zero_gradient_iterations == (None, 0)
    blown = rnnviz.train(rnnviz.TRAINING_SCENARIOS["explode"])
    assert blown.diverged_at is not None
    before = blown.grad_norm[: blown.diverged_at - 1]
    assert blown.peak_grad_norm == (float(before.max()) if before.size else None)


def test_sweep_rejects_bad_gaps():
    with pytest.raises(ValueError, match="at least one gap"):
        rnnviz.gap_sweep(rnnviz.TrainingConfig(), gaps=())
    with pytest.raises(ValueError, match="seeds"):
        rnnviz.gap_sweep(rnnviz.TrainingConfig(), gaps=(1,), seeds=0)


# --------------------------------------------------------------------------- the lab's charts

from rnnviz.charts import training as charts  # noqa: E402
from rnnviz.charts.spec import dataset_frame  # noqa: E402


@pytest.fixture(scope="module")
def small_run():
    return rnnviz.train(rnnviz.TrainingConfig(gap=6, hidden=8, iterations=40, batch=16, clipping="norm",
                                              threshold=0.05))


@pytest.fixture(scope="module")
def exploded_run():
    return rnnviz.train(rnnviz.TRAINING_SCENARIOS["explode"])


def test_history_frame_matches_the_run(small_run):
    frame = charts.history_frame(small_run)
    assert len(frame) == 40 and frame["iteration"].tolist() == list(range(1, 41))
    np.testing.assert_array_equal(frame["loss"], small_run.loss)
    assert (frame["clipped"] == "yes").sum() == small_run.clipped.sum() > 0


def test_dh_frame_relative_rows_end_at_one_and_are_bounded(small_run):
    frame = charts.dh_frame(small_run, relative=True)
    last = frame[frame["k"] == small_run.config.T]
    np.testing.assert_allclose(last["shown"], 1.0)
    np.testing.assert_allclose(last["log10"], 0.0, atol=1e-12)
    raw = charts.dh_frame(small_run)
    first = raw[(raw["iteration"] == 1)].sort_values("k")
    np.testing.assert_allclose(first["norm"], small_run.dh_norm[0])
    long = rnnviz.train(rnnviz.TrainingConfig(gap=99, hidden=4, iterations=200, batch=8))
    assert len(charts.dh_frame(long)) <= charts.MAX_CELLS


def test_specs_carry_their_data_as_named_frames(small_run):
    for spec in (charts.loss_accuracy_spec(small_run), charts.grad_norm_spec(small_run),
                 charts.dh_heatmap_spec(small_run, relative=True)):
        assert spec["datasets"] and all(isinstance(f, bytes) for f in spec["datasets"].values())  # Arrow
    grad = charts.grad_norm_spec(small_run)
    assert dataset_frame(grad["datasets"]["threshold"])["y"].tolist() == [0.05]  # the threshold line when clipping by norm


def test_gradient_axis_keeps_the_threshold_and_floors_zeros():
    run = rnnviz.train(rnnviz.TRAINING_SCENARIOS["clipped"])
    lo, hi = charts.grad_axis_range(run)
    assert lo <= 0.01 and hi >= run.grad_norm.max() and hi / lo <= 10.0 ** (charts.GRAD_DECADES + 2)
    data = dataset_frame(charts.grad_norm_spec(run)["datasets"]["grad"])
    assert len(data) == run.iterations_run  # zero gradients are drawn (on the floor), not dropped
    assert data["grad_norm_plot"].min() >= lo


def test_heatmap_draws_zero_gradients_and_drops_only_overflow():
    run = rnnviz.train(rnnviz.TRAINING_SCENARIOS["clipped"])
    assert (run.dh_norm == 0).any()  # a certain network: nothing flows back
    for relative in (False, True):
        frame = charts.dh_frame(run, relative=relative)
        data = charts.dh_heatmap_spec(run, relative=relative)["datasets"]
        cells, zeros = dataset_frame(data["cells"]), dataset_frame(data["zero_cells"])
        assert len(cells) + len(zeros) == len(frame)  # every cell drawn: exact zeros in grey
        assert np.isfinite(cells["log10"]).all() and (zeros["norm"] == 0).any()


def test_divergence_is_marked_and_the_axis_ends_near_it(exploded_run):
    assert charts.divergence_text(exploded_run) == "the loss became inf/NaN"
    spec = charts.loss_accuracy_spec(exploded_run)
    assert dataset_frame(spec["datasets"]["divergence"])["iteration"].tolist() == [exploded_run.diverged_at]
    assert charts.iteration_span(exploded_run) < 20
    frame = charts.history_frame(exploded_run)
    assert frame["loss"].isna().iloc[-1] or frame["grad_norm_plot"].isna().iloc[-1]
    charts.dh_heatmap(exploded_run).to_dict()  # non-finite cells are dropped, not drawn
    with np.errstate(all="ignore"):
        r = exploded_run.dh_norm[-1, 0] / exploded_run.dh_norm[-1, -1]
    expected = "not a finite number" if not np.isfinite(r) else (f"{r:.2g}" if r >= 1e-3 else f"{r:.1e}")
    assert charts.reach_ratio(exploded_run, -1) == expected
    assert charts.reach_ratio(exploded_run, 0) == f"{exploded_run.dh_norm[0, 0] / exploded_run.dh_norm[0, -1]:.2g}"


def test_sweep_frames_and_summary():
    sweep = rnnviz.GapSweep(
        config=rnnviz.TrainingConfig(), gaps=np.array([1, 10, 50]), seeds=np.array([0, 1]),
        test_accuracy=np.array([[1.0, 1.0], [1.0, np.nan], [0.5, 0.52]]),
        final_loss=np.array([[0.01, 0.01], [0.02, np.nan], [0.69, 0.69]]),
        diverged=np.array([[False, False], [False, True], [False, False]]))
    np.testing.assert_allclose(sweep.mean_accuracy, [1.0, 0.75, 0.51])
    frame = charts.sweep_frame(sweep)
    assert len(frame) == 6 and frame["shown"].isna().sum() == 0
    text = charts.sweep_summary(sweep)
    assert "L = 1." in text or "L = 1;" in text
    assert "chance at L = 50" in text and "inf/NaN at L = 10" in text
    charts.sweep_chart(sweep).to_dict()


def test_live_spec_is_plain_json():
    import json
    spec = charts.training_live_spec([0.7, float("nan"), 0.5], [0.5, 0.5, 0.75], iterations=10)
    json.dumps(spec, allow_nan=False)
    assert len(spec["data"]["values"]) == 5  # the NaN loss is left out


def test_public_functions_name_a_bad_argument():
    cfg = rnnviz.TrainingConfig(gap=2, hidden=3, iterations=1, batch=2, eval_batch=2)
    params = rnnviz.init_params(cfg)
    batch = rnnviz.make_batch(2, 2, seed=0)
    with pytest.raises(ValueError, match="params must be"):
        rnnviz.loss_and_gradients(None, batch.xs, batch.labels)
    with pytest.raises(ValueError, match="xs"):
        rnnviz.loss_and_gradients(params, "x", batch.labels)
    with pytest.raises(ValueError, match="xs"):
        rnnviz.loss_and_gradients(params, [[1.0, 2.0], [3.0]], batch.labels)
    with pytest.raises(ValueError, match="labels"):
        rnnviz.loss_and_gradients(params, batch.xs, [0, 2])
    with pytest.raises(ValueError, match="params must be"):
        rnnviz.held_out_accuracy(1e308, cfg)
    with pytest.raises(ValueError, match="config must be a TrainingConfig"):
        rnnviz.held_out_accuracy(params, {"gap": 2})
    with pytest.raises(ValueError, match="config must be a TrainingConfig"):
        rnnviz.sweep_seeds(None, 2)
    V, c, h = np.full((2, 3), 0.1), np.zeros(2), np.ones((2, 3))
    for kw, name in (({"V": "x"}, "V"), ({"c": [[1.0], [2.0, 3.0]]}, "^c "), ({"h_last": None}, "h_last"),
                     ({"labels": [0.5, 1.0]}, "labels")):
        args = {"V": V, "c": c, "h_last": h, "labels": [0, 1], **kw}
        with pytest.raises(ValueError, match=name):
            rnnviz.softmax_readout(**args)


def test_the_training_loop_computes_what_the_public_function_does():
    # The loop skips the per-iteration checks (its inputs were checked when the config was built):
    # its first step must still be exactly loss_and_gradients on the same batch.
    from rnnviz import agreement
    from rnnviz.training import _data_rng

    for cfg in (rnnviz.TrainingConfig(hidden=6, batch=8, iterations=1, nonlinearity="relu"),
                rnnviz.TrainingConfig(hidden=6, batch=8, iterations=1, cell="lstm")):
        tokens, labels = agreement.sample_tokens(cfg.gap, cfg.batch, _data_rng(cfg))
        lg = rnnviz.loss_and_gradients(rnnviz.init_params(cfg), agreement.encode(tokens, encoding=cfg.encoding),
                                       labels, nonlinearity=cfg.nonlinearity)
        step = next(rnnviz.iterate_training(cfg))
        assert step.loss == lg.loss and step.grad_norm == rnnviz.total_norm(list(lg.grads.as_tuple()))
