"""Held-out loss: the exact cross-entropy of the model on sentences it never trained on.

Training losses are surrogates (negative sampling's depends on the noise draws) and are
measured on the examples being fitted. This module keeps a fraction of sentences out
(`split_holdout`) and scores them exactly (`heldout_loss`), per predicted word:

    h_i = (1/C_i) sum_{j in context(i)} W_in[j]          (the CBOW hidden layer)

    NS, softmax:  -log p(t_i | h_i) = logsumexp_w(u_w . h_i) - u_{t_i} . h_i
                  u_w = W_out[w]; the normalised softmax over ALL V output vectors
    HS:           -log p(t_i | h_i) = -sum_l log sigmoid((1 - 2 b_l) v_{n_l} . h_i)
                  over the Huffman path (n_l, b_l) of t_i; the leaf probabilities of the
                  tree sum to 1 by construction, so this is already normalised

    loss       = (1/N) sum_i -log p(t_i | h_i)      nats per predicted word
    perplexity = exp(loss)

For negative sampling the softmax over W_out h is the model the scores define, not what
NS fits (NS scores approximate log p(w | c) - log(K p_noise(w)), Levy & Goldberg 2014), so
its held-out loss compares runs of the same objective, or shows overfitting; it is not
the likelihood NS maximises.

Windows: the same windows as training, but deterministic: every target takes the FULL
window w on each side (training draws b ~ U{1..w}), within its sentence; targets with no
context word (one-word sentences) are not predicted. No subsampling: every held-out
token is a target. So the loss of a run is a fixed function of its weights.

Cost, N held-out targets, V words, d dims, B targets per batch, V_c words per chunk:

    NS, softmax  time O(N V d) (one GEMM per (batch, chunk)); memory O(B V_c) float64
                 for the scores plus O(V_c d) for a float64 chunk of W_out: chunking over V
                 with a running logsumexp keeps it bounded whatever V (B = 512,
                 V_c = 8192: 32 MB + 6.5 MB at d = 100)
    HS           time O(N L d), L the mean path length (~log2 V); memory O(B L d)

All arithmetic is float64 whatever the weights' dtype.

During training (`HeldoutMonitor`): after every epoch, and with `every` = N also every N
training words, by the run's global word counter (corpus words before subsampling): the
loop asks before each batch, and a score is due when the words trained so far have
passed the next multiple of N since the last score. So each point sits at the first
batch boundary at or after a multiple of N; a multiple passed in an epoch's last batch is
covered by that epoch's own score. Every score reads the same first `max_words` held-out
targets, so the points of one run form one curve. Cost per score as above (the cap
bounds it); scoring only reads the weights and draws no random numbers, so training,
checkpoints and resumes stay bit-identical with and without it.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from cbow.data.encode import EncodedCorpus
from cbow.errors import ConfigError
from cbow.numerics import log_sigmoid
from cbow.data.vocab import HuffmanTree

__all__ = ["HeldoutLoss", "HeldoutPoint", "HeldoutMonitor", "split_holdout", "heldout_examples", "heldout_loss",
           "parse_fraction"]


@dataclass(frozen=True)
class HeldoutLoss:
    """Exact cross-entropy on held-out text.

    Attributes
    ----------
    nats : mean -log p(target | context) per predicted word
    perplexity : exp(nats)
    n_predicted : number of held-out targets scored
    """

    nats: float
    perplexity: float
    n_predicted: int

    def to_dict(self) -> dict:
        """For the JSON-lines training log."""
        return {"heldout_nats": self.nats, "heldout_perplexity": self.perplexity,
                "heldout_words": self.n_predicted}


def parse_fraction(text: str) -> float:
    """'0.5%' -> 0.005, '0.01' -> 0.01 (the `--holdout` flag); must lie in (0, 0.5]."""
    stripped = text.strip()
    try:
        value = float(stripped[:-1]) / 100 if stripped.endswith("%") else float(stripped)
    except ValueError:
        raise ConfigError(f"--holdout {text}: expected a fraction such as 0.005 or 0.5%") from None
    if not (0 < value <= 0.5):
        raise ConfigError(f"--holdout {text}: must lie in (0, 50%]; e.g. --holdout 0.5%")
    return value


def _subset(corpus: EncodedCorpus, sentence_index: np.ndarray, n_raw_tokens: int) -> EncodedCorpus:
    """The sentences `sentence_index` (sorted) of `corpus`, in order, as a new EncodedCorpus."""
    offsets = corpus.sentence_offsets
    lengths = (offsets[1:] - offsets[:-1])[sentence_index]
    new_offsets = np.zeros(len(sentence_index) + 1, dtype=np.int64)
    np.cumsum(lengths, out=new_offsets[1:])
    # token positions of the chosen sentences: start of each sentence + 0..length-1
    starts = np.repeat(offsets[:-1][sentence_index], lengths)
    within = np.arange(new_offsets[-1], dtype=np.int64) - np.repeat(new_offsets[:-1], lengths)
    return EncodedCorpus(corpus.word_ids[starts + within], new_offsets, n_raw_tokens)


def split_holdout(corpus: EncodedCorpus, fraction: float, seed: int = 1) -> tuple[EncodedCorpus, EncodedCorpus]:
    """Split off a random fraction of whole sentences, deterministically from `seed`.

    Parameters
    ----------
    corpus : EncodedCorpus
        word_ids int32 (N,), sentence_offsets int64 (S+1,).
    fraction : float in (0, 1)
        Share of sentences held out: round(fraction * S), at least 1.
    seed : int
        The run's seed; the split uses its own stream (seed, 'holdout').

    Returns
    -------
    train, heldout : EncodedCorpus
        Disjoint, each in corpus order. `n_raw_tokens` (tokens before dropping OOV, which
        the encoded corpus no longer knows per sentence) is split in proportion to the
        in-vocabulary tokens of each part.

    Raises
    ------
    ConfigError
        Fewer than 2 sentences, or fraction outside (0, 1).
    """
    if not (0 < fraction < 1):
        raise ConfigError(f"--holdout must lie strictly between 0 and 1, got {fraction}")
    n_sentences = corpus.n_sentences
    if n_sentences < 2:
        raise ConfigError(f"--holdout needs at least 2 sentences, the corpus has {n_sentences}; "
                          "put one sentence per line or drop --holdout")
    n_heldout = min(n_sentences - 1, max(1, round(fraction * n_sentences)))
    rng = np.random.default_rng([seed, 0x401D])  # a stream of its own: training draws are unchanged
    is_heldout = np.zeros(n_sentences, dtype=bool)
    is_heldout[rng.choice(n_sentences, size=n_heldout, replace=False)] = True
    heldout_index = np.flatnonzero(is_heldout)
    train_index = np.flatnonzero(~is_heldout)
    offsets = corpus.sentence_offsets
    heldout_words = int(np.sum(offsets[heldout_index + 1] - offsets[heldout_index]))
    raw_heldout = round(corpus.n_raw_tokens * heldout_words / max(1, corpus.n_words))
    return (_subset(corpus, train_index, corpus.n_raw_tokens - raw_heldout),
            _subset(corpus, heldout_index, raw_heldout))


def heldout_examples(
    corpus: EncodedCorpus, window: int, batch_size: int = 512
) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Every target of `corpus` with its full-window context, in batches.

    Yields
    ------
    target_ids : (B,) int32
    context_ids : (B, 2w) int32, 0 where masked
    context_mask : (B, 2w) bool
        Context = the words at distance 1..w on each side within the same sentence;
        targets with no such word are skipped.
    """
    word_ids = corpus.word_ids
    n_words = len(word_ids)
    sentence_of = np.repeat(np.arange(corpus.n_sentences), np.diff(corpus.sentence_offsets))
    offsets = np.concatenate([np.arange(-window, 0), np.arange(1, window + 1)])
    for start in range(0, n_words, batch_size):
        target_pos = np.arange(start, min(n_words, start + batch_size))
        position = target_pos[:, None] + offsets[None, :]
        in_range = (position >= 0) & (position < n_words)
        np.clip(position, 0, n_words - 1, out=position)
        context_mask = in_range & (sentence_of[position] == sentence_of[target_pos][:, None])
        has_context = context_mask.any(axis=1)
        if not has_context.any():
            continue
        context_mask = context_mask[has_context]
        context_ids = np.where(context_mask, word_ids[position[has_context]], 0).astype(np.int32)
        yield word_ids[target_pos[has_context]], context_ids, context_mask


def _hidden(W_in: np.ndarray, context_ids: np.ndarray, context_mask: np.ndarray) -> np.ndarray:
    """h = mean of the real context rows, in float64, shape (B, d)."""
    rows = W_in[context_ids].astype(np.float64)  # (B, 2w, d): small, B <= batch_size
    rows *= context_mask[..., None]
    return rows.sum(axis=1) / context_mask.sum(axis=1)[:, None]


def softmax_nll(h: np.ndarray, W_out: np.ndarray, target_ids: np.ndarray, vocab_chunk: int = 8192) -> np.ndarray:
    """-log softmax(W_out h)_t per example, exact, chunked over V with a running logsumexp.

    Parameters
    ----------
    h : (B, d) float64
    W_out : (V, d) any float dtype; read `vocab_chunk` rows at a time, cast to float64
    target_ids : (B,) int
    vocab_chunk : rows of W_out per chunk: memory O(B * vocab_chunk)

    Returns
    -------
    (B,) float64: logsumexp_w(u_w . h) - u_t . h
    """
    running_max = np.full(len(h), -np.inf)
    running_sum = np.zeros(len(h))  # sum exp(s - running_max) over the chunks so far
    for start in range(0, W_out.shape[0], vocab_chunk):
        scores = h @ W_out[start:start + vocab_chunk].astype(np.float64).T  # (B, V_c)
        new_max = np.maximum(running_max, scores.max(axis=1))
        running_sum *= np.exp(running_max - new_max)  # rescale the old sum to the new max
        scores -= new_max[:, None]
        running_sum += np.exp(scores, out=scores).sum(axis=1)
        running_max = new_max
    target_scores = np.einsum("bd,bd->b", h, W_out[target_ids].astype(np.float64))
    return running_max + np.log(running_sum) - target_scores


def huffman_nll(h: np.ndarray, W_out: np.ndarray, target_ids: np.ndarray, huffman: HuffmanTree) -> np.ndarray:
    """-log p(t | h) of hierarchical softmax: -sum_l log sigmoid((1 - 2 b_l) v_{n_l} . h).

    Parameters
    ----------
    h : (B, d) float64
    W_out : (V-1, d) inner-node vectors, any float dtype
    target_ids : (B,) int
    huffman : the vocabulary's HuffmanTree (codes, points, lengths)

    Returns
    -------
    (B,) float64
    """
    lengths = huffman.lengths[target_ids]
    depth = int(lengths.max())
    path_mask = np.arange(depth) < lengths[:, None]
    path_nodes = np.where(path_mask, huffman.points[target_ids, :depth], 0)
    signs = np.where(huffman.codes[target_ids, :depth] != 0, -1.0, 1.0)
    node_rows = W_out[path_nodes].astype(np.float64)  # (B, L, d)
    x = np.einsum("bld,bd->bl", node_rows, h)
    return -np.sum(np.where(path_mask, log_sigmoid(signs * x), 0.0), axis=1)


def heldout_loss(
    W_in: np.ndarray,
    W_out: np.ndarray,
    objective: str,
    heldout: EncodedCorpus,
    window: int,
    huffman: HuffmanTree | None = None,
    batch_size: int = 512,
    vocab_chunk: int = 8192,
    max_words: int | None = None,
) -> HeldoutLoss:
    """Exact cross-entropy per predicted word on held-out sentences (module docstring).

    Parameters
    ----------
    W_in : (V, d) float32 or float64
    W_out : (V, d) for "ns"/"softmax", (V-1, d) for "hs"
    objective : "ns", "softmax" or "hs"
    heldout : EncodedCorpus of held-out sentences (`split_holdout`)
    window : w; every target takes its full window (deterministic)
    huffman : the HuffmanTree, required for "hs"
    batch_size : targets per batch
    vocab_chunk : W_out rows per chunk of the softmax (bounds memory at B * vocab_chunk)
    max_words : score only the first `max_words` targets (None: all). The softmax costs
        2 N V d flops: 85k held-out words x 71k words x d 100 (0.5% of text8) is 1.2e12,
        tens of seconds per evaluation on 2 cores, so a run evaluating often caps N; the
        first targets of a fixed split keep the number comparable across evaluations

    Returns
    -------
    HeldoutLoss (nats nan and perplexity nan when no held-out word has a context)
    """
    if objective == "hs" and huffman is None:
        raise ValueError("heldout_loss with objective 'hs' needs the Huffman tree")
    if objective not in ("ns", "softmax", "hs"):
        raise ValueError(f"unknown objective {objective!r}")
    total, n_predicted = 0.0, 0
    for target_ids, context_ids, context_mask in heldout_examples(heldout, window, batch_size):
        if max_words is not None:
            if n_predicted >= max_words:
                break
            keep = slice(0, max_words - n_predicted)
            target_ids, context_ids, context_mask = target_ids[keep], context_ids[keep], context_mask[keep]
        h = _hidden(W_in, context_ids, context_mask)
        if objective == "hs":
            nll = huffman_nll(h, W_out, target_ids, huffman)
        else:
            nll = softmax_nll(h, W_out, target_ids, vocab_chunk)
        total += float(nll.sum())
        n_predicted += len(target_ids)
    if n_predicted == 0:
        return HeldoutLoss(math.nan, math.nan, 0)
    nats = total / n_predicted
    return HeldoutLoss(nats, math.exp(min(nats, 700.0)), n_predicted)


@dataclass(frozen=True)
class HeldoutPoint:
    """One held-out score during a run: a point of the held-out curve.

    Attributes
    ----------
    epoch : progress in epochs, words_done / words per epoch (2.0: the end of epoch 2)
    words_done : corpus words (before subsampling) trained on since the run started
    lr : learning rate of W_out at that moment
    train_loss : mean training loss per example of the current epoch so far
    nats, perplexity, n_predicted : the HeldoutLoss of the weights at that moment
    seconds : time the scoring took
    epoch_end : True for the score after an epoch, False for one every N words
    """

    epoch: float
    words_done: int
    lr: float
    train_loss: float
    nats: float
    perplexity: float
    n_predicted: int
    seconds: float
    epoch_end: bool


class HeldoutMonitor:
    """Scores the live weights on held-out text after every epoch and every `every` words.

    The training loop calls `before_batch` before it applies each batch and `at_epoch_end`
    after each epoch (schedule in the module docstring). The schedule is read from
    `history`, the points so far (restored from a checkpoint on resume), so a resumed run
    scores at the same word counts as an uninterrupted one.

    Parameters
    ----------
    W_in, W_out : the live weights (read at each score, never written)
    heldout : the held-out sentences (`split_holdout`)
    objective, window, huffman, max_words : as in `heldout_loss`
    every : training words between scores within an epoch; 0 scores at epoch ends only
    words_per_epoch : corpus words of one epoch (turns words into fractional epochs)
    history : list the points are appended to (`TrainResult.heldout_history`)
    on_point : called with each new HeldoutPoint (None: nothing)
    """

    def __init__(self, W_in: np.ndarray, W_out: np.ndarray, heldout: EncodedCorpus, objective: str,
                 window: int, huffman: HuffmanTree | None, every: int, max_words: int | None,
                 words_per_epoch: int, history: list[HeldoutPoint],
                 on_point: Callable[[HeldoutPoint], None] | None = None) -> None:
        if every < 0:
            raise ValueError(f"every must be >= 0, got {every}")
        self.W_in, self.W_out = W_in, W_out
        self.heldout, self.objective, self.window, self.huffman = heldout, objective, window, huffman
        self.every, self.max_words = every, max_words
        self.words_per_epoch = max(1, words_per_epoch)
        self.history = history
        self.on_point = on_point

    def next_due(self) -> int | None:
        """Word count at or after which the next in-epoch score is due (None: never)."""
        if not self.every:
            return None
        last = self.history[-1].words_done if self.history else 0
        return (last // self.every + 1) * self.every

    def before_batch(self, words_done: int, lr: float, train_loss: float) -> float:
        """Score now if `words_done` has reached the next multiple of `every`.

        Returns the seconds spent (0.0 when no score was due), so the loop can leave
        them out of its words/s.
        """
        due = self.next_due()
        if due is None or words_done < due:
            return 0.0
        return self._score(words_done, lr, train_loss, epoch_end=False).seconds

    def at_epoch_end(self, words_done: int, lr: float, train_loss: float) -> HeldoutPoint:
        """Score the weights at the end of an epoch."""
        return self._score(words_done, lr, train_loss, epoch_end=True)

    def _score(self, words_done: int, lr: float, train_loss: float, epoch_end: bool) -> HeldoutPoint:
        started = time.perf_counter()
        scored = heldout_loss(self.W_in, self.W_out, self.objective, self.heldout, self.window,
                              huffman=self.huffman, max_words=self.max_words)
        point = HeldoutPoint(words_done / self.words_per_epoch, words_done, lr, train_loss, scored.nats,
                             scored.perplexity, scored.n_predicted, time.perf_counter() - started, epoch_end)
        self.history.append(point)
        if self.on_point is not None:
            self.on_point(point)
        return point
