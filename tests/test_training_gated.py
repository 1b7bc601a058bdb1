"""The training lab with gated cells (issue 9): GRU/LSTM training through rnnviz.training."""

import numpy as np
import pytest

import rnnviz
from rnnviz import agreement

# Fast settings where the plain RNN fails and the GRU learns (gap 40, 150 Adam steps, n = 16).
LONG = rnnviz.TrainingConfig(gap=40, hidden=16, batch=32, iterations=150, optimizer="adam",
                             learning_rate=0.02, eval_batch=400, seed=0)


def _fd_check(cfg, eps=1e-6):
    params = rnnviz.init_params(cfg)
    tokens, labels = agreement.sample_tokens(cfg.gap, cfg.batch, np.random.default_rng(5))
    xs = agreement.encode(tokens, encoding=cfg.encoding)
    lg = rnnviz.loss_and_gradients(params, xs, labels)
    flat = [a.copy() for a in params.as_tuple()]
    grads = lg.grads.as_tuple()
    assert len(grads) == len(flat)
    rng = np.random.default_rng(1)
    for a, g in zip(flat, grads):
        assert g.shape == a.shape
        # A few random entries of every array (all of the small ones).
        idx = range(a.size) if a.size <= 12 else rng.choice(a.size, 12, replace=False)
        for i in idx:
            old = a.flat[i]
            a.flat[i] = old + eps
            up = rnnviz.loss_and_gradients(params.from_flat(flat), xs, labels).loss
            a.flat[i] = old - eps
            down = rnnviz.loss_and_gradients(params.from_flat(flat), xs, labels).loss
            a.flat[i] = old
            fd = (up - down) / (2 * eps)
            assert g.flat[i] == pytest.approx(fd, rel=1e-5, abs=1e-9)


@pytest.mark.parametrize("cell", ["gru", "lstm"])
def test_gated_gradient_matches_finite_differences(cell):
    cfg = rnnviz.TrainingConfig(gap=4, hidden=3, batch=5, cell=cell, gate_bias=0.7, init_scale=1.3, seed=2)
    _fd_check(cfg)


def test_gated_gradient_matches_finite_differences_with_embedding():
    _fd_check(rnnviz.TrainingConfig(gap=3, hidden=4, batch=3, cell="gru", encoding="embedding", seed=7))


def test_gated_models_start_from_the_plain_rnns_w_and_readout():
    base = rnnviz.TrainingConfig(hidden=8, init_scale=1.4, seed=3)
    plain = rnnviz.init_params(base)
    gru = rnnviz.init_params(base.replace(cell="gru", gate_bias=2.0))
    lstm = rnnviz.init_params(base.replace(cell="lstm", gate_bias=-1.0))
    assert isinstance(plain, rnnviz.RNNParams) and isinstance(gru, rnnviz.GatedParams)
    np.testing.assert_array_equal(gru.cell.W_hn, plain.W)
    np.testing.assert_array_equal(lstm.cell.W_hg, plain.W)
    np.testing.assert_array_equal(gru.V, plain.V)
    np.testing.assert_array_equal(gru.cell.b_z, np.full(8, 2.0))
    np.testing.assert_array_equal(lstm.cell.b_f, np.full(8, -1.0))
    # from_flat round-trips
    again = gru.from_flat(gru.as_tuple())
    for a, b in zip(again.as_tuple(), gru.as_tuple()):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("cell", ["gru", "lstm"])
def test_gated_training_reduces_the_loss(cell):
    cfg = rnnviz.TrainingConfig(gap=5, hidden=8, batch=32, iterations=60, optimizer="adam",
                                learning_rate=0.03, cell=cell, eval_batch=200)
    run = rnnviz.train(cfg)
    assert run.completed and run.diverged_at is None
    assert run.loss[:5].mean() > 0.6                     # starts at a coin toss (log 2)
    assert run.loss[-5:].mean() < 0.5 * run.loss[:5].mean()
    assert run.test_accuracy > 0.9
    assert run.dh_norm.shape == (60, cfg.T)
    assert np.all(np.isfinite(run.dh_norm))


def test_gru_learns_a_long_gap_where_the_plain_rnn_does_not():
    runs = rnnviz.compare_cells(LONG)
    plain, gru = runs["rnn"], runs["gru"]
    assert plain.config.cell == "rnn" and gru.config.cell == "gru"
    assert abs(plain.test_accuracy - 0.5) < 0.06       # chance
    assert gru.test_accuracy > 0.95
    # And the reason: by the end of training the gradient reaching 'cat' (relative to the last word)
    # has vanished in the plain RNN and not in the GRU.
    reach = {k: r.dh_norm[-1, 0] / r.dh_norm[-1, -1] for k, r in runs.items()}
    assert reach["rnn"] < 1e-15
    assert reach["gru"] > 1e-3


def test_update_gate_bias_controls_the_reach():
    cfg = rnnviz.TrainingConfig(gap=30, hidden=16, batch=16, iterations=1, cell="gru")
    reach = [rnnviz.train(cfg.replace(gate_bias=b)).dh_norm[0] for b in (-3.0, 0.0, 3.0)]
    ratios = [r[0] / r[-1] for r in reach]
    assert ratios[0] < ratios[1] < ratios[2]
    assert ratios[2] > 0.1        # z ≈ 0.95: J ≈ I, most of the gradient arrives 30 steps back
    assert ratios[0] < 1e-6       # z ≈ 0.05: the GRU is nearly the plain tanh RNN


def test_gated_training_is_deterministic():
    cfg = rnnviz.TrainingConfig(gap=6, hidden=6, batch=8, iterations=15, optimizer="adam",
                                learning_rate=0.01, cell="gru", seed=11, eval_batch=50)
    a, b = rnnviz.train(cfg), rnnviz.train(cfg)
    np.testing.assert_array_equal(a.loss, b.loss)
    np.testing.assert_array_equal(a.dh_norm, b.dh_norm)
    for x, y in zip(a.params.as_tuple(), b.params.as_tuple()):
        np.testing.assert_array_equal(x, y)
    assert a.test_accuracy == b.test_accuracy
    other = rnnviz.train(cfg.replace(seed=12))
    assert not np.array_equal(a.loss, other.loss)


def test_gated_divergence_is_content_not_a_crash():
    cfg = rnnviz.TrainingConfig(gap=5, hidden=8, batch=16, iterations=30, optimizer="sgd",
                                learning_rate=1e6, init_scale=3.0, cell="gru")
    run = rnnviz.train(cfg)
    # A GRU's state is bounded, so the loss stays finite; the weights thrown far may or may not
    # overflow, but either way the run ends with a finite record or a named divergence.
    if run.diverged_at is not None:
        assert run.diverged_what in rnnviz.training.NONFINITE_WHAT
    else:
        assert np.all(np.isfinite(run.loss))


def test_cell_settings_are_validated():
    with pytest.raises(ValueError, match="cell"):
        rnnviz.TrainingConfig(cell="transformer")
    with pytest.raises(ValueError, match="gate bias"):
        rnnviz.TrainingConfig(gate_bias=100.0)
    with pytest.raises(ValueError, match="cell"):
        rnnviz.compare_cells(rnnviz.TrainingConfig(), cells=("rnn", "xyz"))
    assert rnnviz.TrainingConfig(cell="gru", gate_bias=np.float64(2)).gate_bias == 2.0
    assert hash(rnnviz.TrainingConfig(cell="gru")) == hash(rnnviz.TrainingConfig(cell="gru"))


def test_gru_cure_scenario_is_the_long_gap_with_adam_and_a_gru():
    cure, long_gap = rnnviz.TRAINING_SCENARIOS["gru_cure"], rnnviz.TRAINING_SCENARIOS["long_gap"]
    assert cure.cell == "gru" and cure.gap == long_gap.gap == 60
    assert cure.optimizer == "adam"


def test_compare_gap_sweeps_per_cell():
    cfg = rnnviz.TrainingConfig(hidden=8, batch=16, iterations=40, optimizer="adam", learning_rate=0.03,
                                eval_batch=100)
    sweeps = rnnviz.compare_gap_sweeps(cfg, (2, 4))
    assert set(sweeps) == {"rnn", "gru"}
    for cell, sw in sweeps.items():
        assert sw.config.cell == cell
        assert sw.test_accuracy.shape == (2, 1)
    # Same gaps and seeds, so they are comparable row by row.
    np.testing.assert_array_equal(sweeps["rnn"].gaps, sweeps["gru"].gaps)


def test_compare_gap_sweeps_reports_progress_and_matches_gap_sweep():
    cfg = rnnviz.TrainingConfig(hidden=4, batch=8, iterations=5, eval_batch=20)
    calls = []
    sweeps = rnnviz.compare_gap_sweeps(cfg, (2, 3), cells=("rnn", "lstm"), seeds=2,
                                       progress=lambda *a: calls.append(a))
    assert calls == [(i + 1, 8, c, g, s) for i, (c, g, s) in enumerate(
        (c, g, s) for c in ("rnn", "lstm") for g in (2, 3) for s in (0, 1))]
    alone = rnnviz.gap_sweep(cfg.replace(cell="lstm"), (2, 3), seeds=2)
    np.testing.assert_array_equal(sweeps["lstm"].test_accuracy, alone.test_accuracy)


def test_comparison_pair_and_sweep_estimate():
    assert rnnviz.comparison_cells("rnn") == ("rnn", "gru")
    assert rnnviz.comparison_cells("lstm") == ("rnn", "lstm")
    cfg = rnnviz.TrainingConfig(gap=9)
    assert cfg.partner == cfg.replace(cell="gru") and cfg.replace(cell="gru").partner == cfg
    assert rnnviz.sweep_runs((1, 2, 3), seeds=2, cells=2) == 12
    # a run of T = 10 steps took 2 s: gaps 1 and 4 (2 + 5 steps), 3 seeds, 2 cells: 2 * 7 * 6 / 10
    assert rnnviz.sweep_seconds(2.0, cfg, (1, 4), seeds=3, cells=2) == pytest.approx(8.4)
    with pytest.raises(ValueError, match="seeds"):
        rnnviz.sweep_runs(seeds=0)


# --------------------------------------------------------------------------- charts of the comparison

def test_comparison_charts():
    from rnnviz.charts import training as charts

    cfg = rnnviz.TrainingConfig(gap=6, hidden=6, batch=8, iterations=12, optimizer="adam",
                                learning_rate=0.01, eval_batch=50)
    runs = rnnviz.compare_cells(cfg)
    lo, hi = charts.shared_log_range(runs.values(), relative=True)
    for r in runs.values():
        a, b = charts.dh_log_range(r, relative=True)
        assert lo <= a + 1e-12 and b <= hi + 1e-12
    spec = charts.dh_heatmap_spec(runs["gru"], relative=True, color_range=(lo, hi), title="GRU: reach")
    assert spec["title"] == "GRU: reach"
    assert spec["layer"][0]["encoding"]["color"]["scale"]["domain"] == [lo, hi]
    assert charts.reach_value(runs["rnn"], -1) == pytest.approx(
        runs["rnn"].dh_norm[-1, 0] / runs["rnn"].dh_norm[-1, -1])

    sweeps = rnnviz.compare_gap_sweeps(cfg, (2, 3))
    frame = charts.sweep_compare_frame(sweeps)
    assert sorted(frame["cell"].unique()) == ["GRU", "plain RNN"]
    assert len(frame) == 4
    spec = charts.sweep_compare_spec(sweeps)
    assert "plain RNN vs GRU" in spec["title"]
    text = charts.sweep_compare_summary(sweeps)
    assert text.startswith("The plain RNN") and "GRU" in text
