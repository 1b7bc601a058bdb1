"""The lectures' agreement task: "The cat … was full" versus "The cats … were full".

A sequence is a subject ("cat" or "cats"), then ``gap`` filler tokens drawn uniformly from a small
vocabulary of words taken from the lecture's sentence, and the network must answer "was" (singular)
or "were" (plural) after reading the last filler. The fillers carry no information about the answer:
the only way to be right more than half of the time is to remember the first token for ``gap`` steps.

Inputs are one-hot vectors over the input vocabulary, or a fixed random embedding of it. Everything
is seeded: the same arguments give the same batch.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._validate import as_array, check_choice, check_int

#: The subjects, in label order: label 0 is singular, label 1 plural.
SUBJECTS: tuple[str, ...] = ("cat", "cats")
#: The verbs the network must predict, in label order.
VERBS: tuple[str, ...] = ("was", "were")
#: Filler words, from the lecture's "which already ate a bunch of food that was delicious, and apples…".
FILLERS: tuple[str, ...] = (
    "which", "already", "ate", "and", "maybe", "a", "bunch", "of",
    "food", "that", "delicious", "apples", "pears", "so", "on", "the",
)
#: The input vocabulary: token id i is ``INPUT_WORDS[i]`` (subjects first, then fillers).
INPUT_WORDS: tuple[str, ...] = SUBJECTS + FILLERS
#: Accepted input encodings.
ENCODINGS: tuple[str, ...] = ("one_hot", "embedding")
#: Longest gap the task accepts (the page offers 1..100).
MAX_GAP = 1000
#: Largest batch a single call accepts.
MAX_BATCH = 100_000
#: Longest rendering a caller may ask for (words).
MAX_WORDS = 10_000


def _token_ids(tokens, *, ndim: int) -> np.ndarray:
    """``tokens`` as an int64 array of ``ndim`` dimensions holding ids into :data:`INPUT_WORDS`."""
    what = f"tokens must be a {ndim}-D array of integer ids in 0..{len(INPUT_WORDS) - 1}"
    if isinstance(tokens, np.ndarray) and np.issubdtype(tokens.dtype, np.integer):
        tok = tokens
    else:
        try:
            tok = as_array(tokens, "tokens", allow_empty=True)
        except ValueError as exc:
            raise ValueError(f"{what}; {exc}" if "tokens" in str(exc) else f"{what}; got {type(tokens).__name__} "
                             f"that is not a rectangular array of numbers.") from exc
        if np.any(tok != np.round(tok)):
            raise ValueError(f"{what}; got non-integer values.")
    if tok.ndim != ndim:
        raise ValueError(f"{what}; got shape {tok.shape}.")
    if tok.size and (tok.min() < 0 or tok.max() >= len(INPUT_WORDS)):
        raise ValueError(f"{what}; got {tok.min()}..{tok.max()}.")
    return tok.astype(np.int64)


@dataclass(frozen=True)
class AgreementBatch:
    """A batch of agreement sequences.

    ``tokens`` (B, T) integer ids into :data:`INPUT_WORDS` with T = gap + 1 (column 0 is the subject);
    ``labels`` (B,) 0 for "was", 1 for "were"; ``xs`` (T, B, m) the encoded inputs, time first, as
    :func:`rnnviz.forward` takes them.
    """

    tokens: np.ndarray
    labels: np.ndarray
    xs: np.ndarray

    @property
    def gap(self) -> int:
        """Number of filler tokens between the subject and the verb."""
        return int(self.tokens.shape[1] - 1)

    @property
    def size(self) -> int:
        """Number of sequences B."""
        return int(self.tokens.shape[0])


def input_size(*, encoding: str = "one_hot", embedding_dim: int = 8) -> int:
    """The input width m for an encoding: the vocabulary size for one-hot, else ``embedding_dim``."""
    encoding = check_choice(encoding, "encoding", ENCODINGS)
    if encoding == "one_hot":
        return len(INPUT_WORDS)
    return check_int(embedding_dim, "embedding_dim", low=1, high=1024)


def embedding_matrix(*, embedding_dim: int = 8, seed: int = 0) -> np.ndarray:
    """A fixed random embedding, shape (vocabulary, embedding_dim), entries N(0, 1/embedding_dim)."""
    embedding_dim = check_int(embedding_dim, "embedding_dim", low=1, high=1024)
    seed = check_int(seed, "embedding seed", low=0)
    rng = np.random.default_rng([seed, 7919])
    return rng.standard_normal((len(INPUT_WORDS), embedding_dim)) / np.sqrt(embedding_dim)


def encode(tokens, *, encoding: str = "one_hot", embedding_dim: int = 8, embedding_seed: int = 0) -> np.ndarray:
    """Token ids (B, T) to network inputs (T, B, m), time first."""
    encoding = check_choice(encoding, "encoding", ENCODINGS)
    tok = np.asarray(tokens) if isinstance(tokens, np.ndarray) else None
    if tok is None or tok.ndim != 2 or not np.issubdtype(tok.dtype, np.integer):
        try:
            tok = np.asarray(tokens)
        except ValueError as exc:  # ragged lists: numpy's message names nothing
            raise ValueError("tokens must be a 2-D array of integer ids (B, T) with rows of equal length; "
                             f"got {type(tokens).__name__} that is not.") from exc
        if tok.ndim != 2 or not np.issubdtype(tok.dtype, np.integer):
            raise ValueError(
                f"tokens must be a 2-D array of integer ids (B, T); got shape {tok.shape}, dtype {tok.dtype}.")
    if tok.size and (tok.min() < 0 or tok.max() >= len(INPUT_WORDS)):
        raise ValueError(f"token ids must lie in 0..{len(INPUT_WORDS) - 1}; got {tok.min()}..{tok.max()}.")
    if tok.size > MAX_BATCH * (MAX_GAP + 1):
        raise ValueError(f"tokens has {tok.size} entries; at most {MAX_BATCH * (MAX_GAP + 1)} are accepted.")
    if encoding == "one_hot":
        table = np.eye(len(INPUT_WORDS))
    else:
        table = embedding_matrix(embedding_dim=embedding_dim, seed=embedding_seed)
    return np.ascontiguousarray(table[tok.T])


def sample_tokens(gap: int, batch: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Token ids (B, gap+1) and labels (B,), drawn from ``rng``.

    Classes are balanced: exactly ``batch // 2`` of one class and the rest of the other (which one
    gets the odd sequence is random), in random order.
    """
    gap = check_int(gap, "gap L (number of filler words)", low=1, high=MAX_GAP)
    batch = check_int(batch, "batch size", low=1, high=MAX_BATCH)
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng must be a numpy Generator (np.random.default_rng(seed)); got {type(rng).__name__}.")
    labels = (np.arange(batch) + int(rng.integers(2))) % 2
    labels = rng.permutation(labels).astype(np.int64)
    tokens = np.empty((batch, gap + 1), dtype=np.int64)
    tokens[:, 0] = labels  # subject id equals the label: 0 = "cat", 1 = "cats"
    tokens[:, 1:] = len(SUBJECTS) + rng.integers(len(FILLERS), size=(batch, gap))
    return tokens, labels


def make_batch(
    gap: int,
    batch: int,
    *,
    seed: int | np.random.Generator = 0,
    encoding: str = "one_hot",
    embedding_dim: int = 8,
    embedding_seed: int = 0,
) -> AgreementBatch:
    """A balanced batch of ``batch`` sequences with ``gap`` fillers, reproducible from ``seed``.

    ``seed`` may be an integer or a ``np.random.Generator`` (which is advanced).
    """
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(
        check_int(seed, "seed", low=0))
    tokens, labels = sample_tokens(gap, batch, rng)
    xs = encode(tokens, encoding=encoding, embedding_dim=embedding_dim, embedding_seed=embedding_seed)
    return AgreementBatch(tokens=tokens, labels=labels, xs=xs)


def render_sequence(tokens, label: int | None = None, *, max_words: int = 12, emphasize: bool = False) -> str:
    """One sequence as words, e.g. ``"cats which ate … food → were"``.

    Long middles are elided to keep ``max_words`` words (the count of hidden words is shown).
    ``emphasize`` wraps the subject and the answer in Markdown bold.
    """
    tok = [int(t) for t in _token_ids(tokens, ndim=1)]
    max_words = check_int(max_words, "max_words", low=3, high=MAX_WORDS)
    if label is not None:
        if isinstance(label, (float, np.floating)) and float(label).is_integer():
            label = int(label)
        label = check_int(label, "label", low=0, high=len(VERBS) - 1)
    words = [INPUT_WORDS[t] for t in tok]
    if emphasize and words:
        words[0] = f"**{words[0]}**"
    if len(words) > max_words:
        head = max_words - 2
        hidden = len(words) - head - 1
        words = words[:head] + [f"… ({hidden} more) …", words[-1]]
    text = " ".join(words)
    if label is not None:
        verb = VERBS[int(label)]
        text += f" → **{verb}**" if emphasize else f" → {verb}"
    return text


def render_samples(batch: AgreementBatch, count: int = 4, *, max_words: int = 12,
                   emphasize: bool = False) -> tuple[str, ...]:
    """The first ``count`` sequences of a batch as words with their answers."""
    if not isinstance(batch, AgreementBatch):
        raise ValueError(f"batch must be an AgreementBatch (from make_batch); got {type(batch).__name__}.")
    count = check_int(count, "count", low=0, high=MAX_BATCH)
    return tuple(render_sequence(batch.tokens[i], batch.labels[i], max_words=max_words, emphasize=emphasize)
                 for i in range(min(count, batch.size)))
