"""Held-out loss: the exact cross-entropy of the model on sentences it never trained on.

Training losses are surrogates (negative sampling's depends on the noise draws) and are
measured on the examples being fitted. This module keeps a fraction of sentences out
(cbow.data.split) and scores them exactly (`heldout_loss`), per predicted word:

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

All arithmetic is float64 whatever the weights' dtype. The probabilities themselves live
in cbow.model.likelihood, which `predict_output_word` and `score` share.

During training (`HeldoutMonitor`): after every epoch, and with `every` = N also every N
training words, by the run's global word counter (corpus words before subsampling): it
asks the run to pause at the next multiple of N since the last score, so each point sits
at the first batch boundary at or after that multiple (with worker processes, where every
worker stops at its first boundary past it); a multiple passed in an epoch's last batches
is covered by that epoch's own score. Every score reads the same first `max_words` held-out
targets, so the points of one run form one curve. Cost per score as above (the cap
bounds it); scoring only reads the weights and draws no random numbers, so training,
checkpoints and resumes stay bit-identical with and without it.
"""

from __future__ import annotations

import math
import time
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from cbow.data.encode import EncodedCorpus
from cbow.data.split import heldout_examples
from cbow.data.huffman import HuffmanTree
from cbow.model.likelihood import hidden_mean, huffman_nll, softmax_nll, target_nll  # noqa: F401 (re-exported)
from cbow.wording import counted
from cbow.training.callbacks import Callback
from cbow.training.run import EpochReport, HeldoutPoint

if TYPE_CHECKING:
    from cbow.training.run import Run

logger = logging.getLogger(__name__)

HOLDOUT_MAX_SCORES = 1000  # more held-out scores than this in one run (--holdout-every): warn
HOLDOUT_MAX_WORDS = 20_000  # held-out targets per score (epoch end, every N words): the exact softmax costs 2 N V d


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
        h = hidden_mean(W_in, context_ids, context_mask)
        nll = target_nll(h, W_out, target_ids, objective, huffman, vocab_chunk)
        total += float(nll.sum())
        n_predicted += len(target_ids)
    if n_predicted == 0:
        return HeldoutLoss(math.nan, math.nan, 0)
    nats = total / n_predicted
    return HeldoutLoss(nats, math.exp(min(nats, 700.0)), n_predicted)


class HeldoutMonitor(Callback):
    """Scores the live weights on held-out text after every epoch and every `every` words.

    A callback (cbow.training.callbacks): `on_epoch_end` scores the epoch's weights and puts
    the numbers in its report; within epochs it asks for a pause at the next multiple of
    `every` words (`pause_at_words`) and scores there (`at_pause`), unless that multiple
    fell in the epoch's last batches, which the epoch's own score covers. Each point is
    appended to the run's `heldout_history` and sent to the callbacks' `on_heldout`. The
    schedule is read from that history (restored from a checkpoint on resume), so a resumed
    run scores at the same word counts as an uninterrupted one.

    Parameters
    ----------
    heldout : the held-out sentences (cbow.data.split.split_holdout)
    every : training words between scores within an epoch; 0 scores at epoch ends only
    max_words : as in `heldout_loss`: score only the first `max_words` targets
    """

    def __init__(self, heldout: EncodedCorpus, every: int, max_words: int | None = HOLDOUT_MAX_WORDS) -> None:
        if every < 0:
            raise ValueError(f"every must be >= 0, got {every}")
        self.heldout, self.every, self.max_words = heldout, every, max_words
        self.history: list[HeldoutPoint] = []

    def on_train_begin(self, run: Run) -> None:
        self.W_in, self.W_out = run.W_in, run.W_out
        self.objective, self.window, self.huffman = run.config.objective, run.config.window, run.output.huffman
        self.words_per_epoch = max(1, run.words_per_epoch)
        self.history = run.result.heldout_history
        if self.every and run.words_total > HOLDOUT_MAX_SCORES * self.every:
            logger.warning("--holdout-every %d scores the held-out text about %s in this run of %s words, "
                           "each taking as long as training some 100k words; raise N to train faster",
                           self.every, counted(run.words_total // self.every, "time"), f"{run.words_total:,}")

    def next_due(self) -> int | None:
        """Word count at or after which the next in-epoch score is due (None: never)."""
        if not self.every:
            return None
        last = self.history[-1].words_done if self.history else 0
        return (last // self.every + 1) * self.every

    def pause_at_words(self, run: Run) -> int | None:
        return self.next_due()

    def wants_pause(self, run: Run) -> bool:
        due = self.next_due()
        # a multiple passed in an epoch's last batches is covered by the epoch's own score
        return due is not None and due <= run.words_done < run.epoch_end_words

    def at_pause(self, run: Run) -> None:
        point = self._score(run.words_done, run.lr_out, run.epoch_mean_loss, epoch_end=False)
        if run.callbacks is not None:
            run.callbacks.on_heldout(run, point)

    def on_epoch_end(self, run: Run, report: EpochReport) -> None:
        point = self._score(report.words_done, report.lr_end, report.mean_loss, epoch_end=True)
        report.heldout_nats, report.heldout_perplexity = point.nats, point.perplexity
        if run.callbacks is not None:
            run.callbacks.on_heldout(run, point)

    def _score(self, words_done: int, lr: float, train_loss: float, epoch_end: bool) -> HeldoutPoint:
        started = time.perf_counter()
        scored = heldout_loss(self.W_in, self.W_out, self.objective, self.heldout, self.window,
                              huffman=self.huffman, max_words=self.max_words)
        point = HeldoutPoint(words_done / self.words_per_epoch, words_done, lr, train_loss, scored.nats,
                             scored.perplexity, scored.n_predicted, time.perf_counter() - started, epoch_end)
        self.history.append(point)
        return point
