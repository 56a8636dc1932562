"""A fastText .bin as vocabulary vectors: what the vectors-only readers and writers make of one.

`KeyedVectors.load` holds one vector per word and no n-grams, so of a fastText model it
reads what fastText's .vec holds: each vocabulary word's v(w), the mean of its own row and
its n-gram rows (cbow.data.subwords), and says on the log that the n-gram vectors are left
out (`cbow.load` keeps them: cbow.vectors.subword_keyed). Written as a .bin by a vectors-only
caller (`--to fasttext-bin`), vectors without n-grams become a fastText model of words
only (maxn 0, no buckets, a zero output layer), which fastText and gensim load.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from cbow.data.subwords import SubwordSpec, word_rows
from cbow.vectors.fasttext_args import args_for, config_of
from cbow.vectors.fasttext_bin import FastTextModel, read_fasttext_bin, write_fasttext_bin

logger = logging.getLogger(__name__)


def load_vocabulary(path: str | Path, mmap: str | None = None) -> tuple[list[str], np.ndarray, np.ndarray, dict]:
    """(words, v(w) (V, d) float32, counts (V,) int64, config) of a fastText .bin."""
    model = read_fasttext_bin(path, mmap=mmap)
    args, n_words = model.args, len(model.words)
    spec = SubwordSpec(args.minn, args.maxn, args.bucket)
    if spec.enabled:
        logger.warning("%s: a fastText model with n-gram vectors, which are left out here (the vocabulary's "
                       "vectors only); cbow.load(path) keeps them and answers for unseen words", path)
    vectors = word_rows(model.words, spec).mean_vectors(model.input_matrix[:n_words], model.input_matrix[n_words:])
    return model.words, vectors, model.counts, config_of(args, model.version)


def save_words_only(path: str | Path, words: list[str], vectors: np.ndarray, counts: np.ndarray | None,
                    config: dict | None, compressed: bool = False) -> None:
    """Write vectors without n-grams as a fastText .bin of words only (gzipped when `compressed`)."""
    vectors = np.asarray(vectors, dtype=np.float32)
    counts = np.arange(len(words), 0, -1) if counts is None else np.asarray(counts)  # most frequent first
    args = args_for(config or {}, vectors.shape[1], 0, 0, 0)
    model = FastTextModel(args, list(words), np.asarray(counts, dtype=np.int64), int(np.sum(counts)), vectors,
                          np.zeros_like(vectors))
    write_fasttext_bin(path, model, compressed=compressed)
