"""The agreement task's data: shapes, labels, encodings, balance, determinism and rendering."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rnnviz
from rnnviz import agreement


def test_shapes_and_labels_one_hot():
    batch = rnnviz.make_batch(5, 10, seed=3)
    assert batch.tokens.shape == (10, 6)
    assert batch.labels.shape == (10,)
    assert batch.xs.shape == (6, 10, len(rnnviz.INPUT_WORDS))
    assert batch.gap == 5 and batch.size == 10
    # The first word is the subject and decides the label: cat -> was (0), cats -> were (1).
    words = [[rnnviz.INPUT_WORDS[t] for t in row] for row in batch.tokens]
    for row, label in zip(words, batch.labels):
        assert row[0] == ("cat" if label == 0 else "cats")
        assert all(w in rnnviz.FILLERS for w in row[1:])
    # One-hot: exactly one 1 per step and sequence, at the token's id, time first.
    assert np.all(batch.xs.sum(axis=-1) == 1.0)
    assert np.array_equal(batch.xs.argmax(axis=-1), batch.tokens.T)


def test_vocabulary_is_the_lectures():
    assert rnnviz.SUBJECTS == ("cat", "cats")
    assert rnnviz.VERBS == ("was", "were")
    assert not set(rnnviz.VERBS) & set(rnnviz.INPUT_WORDS), "the answers must not be inputs"
    assert len(set(rnnviz.INPUT_WORDS)) == len(rnnviz.INPUT_WORDS)


def test_embedding_encoding_is_fixed_table_lookup():
    batch = rnnviz.make_batch(4, 7, seed=1, encoding="embedding", embedding_dim=5)
    table = rnnviz.embedding_matrix(embedding_dim=5)
    assert batch.xs.shape == (5, 7, 5)
    np.testing.assert_array_equal(batch.xs, table[batch.tokens.T])
    # The table does not depend on the data seed.
    other = rnnviz.make_batch(4, 7, seed=2, encoding="embedding", embedding_dim=5)
    np.testing.assert_array_equal(other.xs, table[other.tokens.T])
    assert rnnviz.input_size(encoding="embedding", embedding_dim=5) == 5
    assert rnnviz.input_size(encoding="one_hot") == 18


def test_deterministic_for_a_seed_and_different_across_seeds():
    a = rnnviz.make_batch(12, 64, seed=7)
    b = rnnviz.make_batch(12, 64, seed=7)
    c = rnnviz.make_batch(12, 64, seed=8)
    np.testing.assert_array_equal(a.tokens, b.tokens)
    np.testing.assert_array_equal(a.labels, b.labels)
    np.testing.assert_array_equal(a.xs, b.xs)
    assert not np.array_equal(a.tokens, c.tokens)


def test_generator_argument_advances():
    rng = np.random.default_rng(0)
    first = rnnviz.make_batch(3, 16, seed=rng)
    second = rnnviz.make_batch(3, 16, seed=rng)
    assert not np.array_equal(first.tokens, second.tokens)


@settings(max_examples=60, deadline=None)
@given(gap=st.integers(1, 40), batch=st.integers(1, 300), seed=st.integers(0, 2**31))
def test_classes_balanced(gap, batch, seed):
    b = rnnviz.make_batch(gap, batch, seed=seed)
    ones = int(b.labels.sum())
    assert ones in (batch // 2, (batch + 1) // 2)
    assert np.array_equal(b.tokens[:, 0], b.labels)


def test_balanced_order_is_shuffled_and_odd_class_varies():
    b = rnnviz.make_batch(2, 1000, seed=0)
    assert 0 < b.labels[:500].sum() < 500  # not sorted
    odd = {int(rnnviz.make_batch(1, 1, seed=s).labels[0]) for s in range(20)}
    assert odd == {0, 1}


def test_fillers_uniform():
    b = rnnviz.make_batch(50, 2000, seed=0)
    counts = np.bincount(b.tokens[:, 1:].ravel(), minlength=len(rnnviz.INPUT_WORDS))
    assert counts[:2].sum() == 0
    fill = counts[2:]
    expected = fill.sum() / len(rnnviz.FILLERS)
    # 100,000 draws over 16 words: each count within 5 % of its expectation (about 8 sigma).
    assert np.all(np.abs(fill - expected) < 0.05 * expected)


def test_render():
    tokens = np.array([1, 2 + rnnviz.FILLERS.index("which"), 2 + rnnviz.FILLERS.index("ate")])
    assert rnnviz.render_sequence(tokens, 1) == "cats which ate → were"
    assert rnnviz.render_sequence(np.array([0]), 0) == "cat → was"
    long = np.array([0] + [2] * 30)
    text = rnnviz.render_sequence(long, 0, max_words=8)
    assert text.startswith("cat which which") and "(24 more)" in text and text.endswith("which → was")
    assert rnnviz.render_sequence(tokens, 1, emphasize=True) == "**cats** which ate → **were**"
    samples = rnnviz.render_samples(rnnviz.make_batch(3, 10, seed=0), 4)
    assert len(samples) == 4 and all("→" in s for s in samples)
    assert len(rnnviz.render_samples(rnnviz.make_batch(3, 2, seed=0), 4)) == 2


@pytest.mark.parametrize("kwargs, match", [
    ({"gap": 0, "batch": 4}, "gap"),
    ({"gap": 3, "batch": 0}, "batch"),
    ({"gap": 2.5, "batch": 4}, "whole number"),
    ({"gap": 3, "batch": 4, "encoding": "bag"}, "encoding"),
    ({"gap": 3, "batch": 4, "seed": -1}, "seed"),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        rnnviz.make_batch(**kwargs)


def test_encode_rejects_bad_tokens():
    with pytest.raises(ValueError, match="token ids"):
        rnnviz.encode(np.array([[0, 99]]))
    with pytest.raises(ValueError, match="2-D"):
        rnnviz.encode(np.array([0, 1]))
    with pytest.raises(ValueError, match="Generator"):
        agreement.sample_tokens(3, 4, 0)


@pytest.mark.parametrize("kwargs, match", [
    ({"tokens": [[0, 1], [2]]}, "tokens"),                    # ragged
    ({"tokens": "x"}, "tokens"),
    ({"tokens": None}, "tokens"),
    ({"tokens": [0.0, np.nan]}, "tokens"),
    ({"tokens": [0.5, 1.0]}, "integer ids"),
    ({"tokens": [[0, 1], [1, 2]]}, "1-D"),
    ({"tokens": [0, 99]}, "0..17"),
    ({"tokens": [0, 2], "label": 2}, "label"),
    ({"tokens": [0, 2], "label": 1e308}, "label"),
    ({"tokens": [0, 2], "label": "x"}, "label"),
    ({"tokens": [0, 2], "max_words": 10**12}, "max_words"),
])
def test_render_sequence_names_the_bad_argument(kwargs, match):
    with pytest.raises(ValueError, match=match):
        rnnviz.render_sequence(**kwargs)


def test_render_sequence_accepts_lists_and_whole_float_labels():
    assert rnnviz.render_sequence([1, 2, 4], 1.0) == rnnviz.render_sequence(np.array([1, 2, 4]), 1)


def test_render_samples_and_encode_name_the_bad_argument():
    with pytest.raises(ValueError, match="AgreementBatch"):
        rnnviz.render_samples([[0, 1]], 2)
    with pytest.raises(ValueError, match="count"):
        rnnviz.render_samples(rnnviz.make_batch(3, 2, seed=0), 10**12)
    with pytest.raises(ValueError, match="tokens"):
        rnnviz.encode([[0, 1], [2]])
