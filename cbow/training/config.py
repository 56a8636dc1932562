"""Every setting of a training run, in one frozen `TrainConfig` (CLI flags map one to one).

The measurements behind the defaults (bench-text8, analogy / wordsim353 / simlex999) are in
docs/quality.md, "Why the defaults"; the comments here name the choice and where it came from.
"""

from __future__ import annotations

import functools
import math
from dataclasses import asdict, dataclass

from cbow.errors import ConfigError
from cbow.model.step import CBOW_UPDATES
from cbow.wording import setting, setting_choice, setting_value

OBJECTIVE_NAMES = ("ns", "hs", "softmax")
# Mean update: W_in's rate is alpha * (MEAN_LR_IN_PER_WINDOW * window)^q, q = context_power.
# The exact gradient gives each context row (1/C) dL/dh, C ~ window + 1 on average, so W_in
# needs a larger rate than W_out for the same step per example. Larger factors scored no
# better and diverge sooner (docs/quality.md, "Why the defaults").
MEAN_LR_IN_PER_WINDOW = 1
# W_out's repeat guard (cbow.model.step) by objective when TrainConfig.repeat_guard_out is
# None. HS: the root of the Huffman tree is on every example's path, the nodes below it on
# half, a quarter, ...: summed over a batch their steps overshoot. NS stays unguarded: there
# the guard trades similarity for analogies (docs/quality.md, "The repeat guards").
OUT_GUARD_BY_OBJECTIVE = {"hs": 1.0}
AUTO_WORKERS = 0  # TrainConfig.workers: all cores, or one process for a small run (cbow.training.parallel.pool)


@dataclass(frozen=True)
class TrainConfig:
    """Every setting of a training run (CLI flags map one to one).

    Attributes
    ----------
    size : vector size d (word2vec `-size`)
    window : maximum window w; each target draws b ~ U{1..w} (word2vec `-window`)
    shrink_windows : True (word2vec, gensim's default): each target draws its window b ~
        U{1..w}; False: every target takes the full window w (gensim's shrink_windows=False)
    objective : "ns" (negative sampling), "hs" (hierarchical softmax), "softmax" (exact)
    negative : noise words per example for NS (word2vec `-negative`)
    ns_exponent : power of the NS noise distribution, count^ns_exponent normalised (0.75 as
        word2vec.c; gensim's ns_exponent: 1 is the unigram, 0 uniform, < 0 favours rare words)
    sample : subsampling threshold; 0 disables (word2vec `-sample`). 1e-4 as fastText
        (word2vec.c and gensim: 1e-3), which scored better (docs/quality.md)
    min_count : drop words rarer than this (word2vec `-min-count`)
    max_vocab : keep only the most frequent words (None: all)
    keep_words : a file of words, one per line, kept in the vocabulary whenever they occur
        in the corpus at all, whatever `min_count` and `max_vocab` say (gensim's trim_rule
        returning RULE_KEEP; cbow.data.vocab.load_word_list); None: none
    epochs : passes over the corpus (word2vec `-iter`)
    alpha : initial learning rate of W_out (word2vec `-alpha`)
    alpha_in : initial learning rate of W_in; None picks `alpha * window^q` for the mean
        update, q = context_power (the exact gradient moves each context row C times less,
        DESIGN.md §3; MEAN_LR_IN_PER_WINDOW) and `alpha` for the word2vec update
    min_alpha : the rate W_out's schedule ends at: the rate falls linearly from alpha to
        min_alpha over the run, as gensim's min_alpha (cbow.training.schedule); W_in's
        ends at min_alpha * lr_in / alpha, the same ratio. None: alpha * 1e-4, word2vec.c's
        floor (MIN_LR_FRACTION)
    cbow_update : "mean" (exact gradient through the average) or "word2vec" (classic rule)
    batch_size : examples per minibatch (512: the fastest for NS, docs/performance.md)
    repeat_guard : power p of W_in's per-row step size: a row occurring n_r times in a
        batch (n_r = the sum of its 1/C weights) takes its summed update times
        max(1, n_r)^(-p); 0 = off, 1 = averaged over its occurrences (cbow.model.step)
    repeat_guard_out : the same power for W_out, whose row r's count is its number of
        output slots in the batch (NS target and noise slots, HS path nodes); None picks
        1 for HS and 0 otherwise (OUT_GUARD_BY_OBJECTIVE)
    context_power : q in [0, 1]: the mean update steps each context row by
        alpha_in * C^(1-q) * (1/C) dL/dh, the exact gradient with a rate growing as
        C^(1-q) (cbow.model.step, context power); 1 = plain SGD on the exact gradient.
        Ignored by the word2vec update. 0.75 scored best over all three sets
        (docs/quality.md); `cbow train --hs` uses 0.25 (cbow.cli.train_flags)
    seed : seed of every random generator of the run
    freeze_init : with `cbow.train(..., init=...)` (--init-from, --freeze-init): the W_in
        rows that came from the init are not trained (their updates are multiplied by 0,
        gensim's vectors_lockf); new words and W_out train (cbow.training.continuing)
    clip_grad : per-example L2 clip of dL/dh and W_out row gradients (None: off)
    tokenizer : "default" or "whitespace"
    phrases : a phrase table (`cbow phrases --save-table`): its phrases are joined ("new_york")
        after tokenizing, for counting and encoding alike (cbow.data.phrases); None: no phrases
    max_sentence_length : longer lines are split into sentences of this many tokens
    encoding_errors : "strict" stops at bytes that are not UTF-8 (naming the line);
        "replace" reads them as U+FFFD with a warning
    holdout : fraction of sentences kept out of training (seeded split); after every epoch
        the exact full-softmax cross-entropy on them is reported (cbow.training.heldout); 0 = off
    holdout_every : also score the held-out text every N training words (global word
        counter, before subsampling); 0 = at epoch ends only; needs holdout
    out_vector_weight : beta >= 0: the saved vectors (and `wv`, and the --eval scores) are
        W_in + beta * W_out (cbow.model.hidden.word_vectors); 0 = W_in, as word2vec and
        gensim save. Needs word rows in W_out: NS or the full softmax, not HS
    workers : training processes over shared weights (cbow.training.parallel); 1 trains
        in this process, bit-reproducible for a seed. Checkpoints, --eval and --holdout
        work with any number. 0 (AUTO_WORKERS, the CLI's default): all cores, or one
        process for a run of under 4M training words (resolved in `train`; checkpoints
        keep the count used). The library's default is 1 (multiprocessing needs the
        caller's `if __name__ == "__main__":` guard)
    """

    size: int = 100
    window: int = 5
    shrink_windows: bool = True
    objective: str = "ns"
    negative: int = 5
    ns_exponent: float = 0.75
    sample: float = 1e-4
    min_count: int = 5
    max_vocab: int | None = None
    keep_words: str | None = None
    epochs: int = 5
    alpha: float = 0.05
    alpha_in: float | None = None
    min_alpha: float | None = None
    cbow_update: str = "mean"
    batch_size: int = 512
    repeat_guard: float = 0.0
    repeat_guard_out: float | None = None
    context_power: float = 0.75
    seed: int = 1
    freeze_init: bool = False
    clip_grad: float | None = None
    tokenizer: str = "default"
    phrases: str | None = None
    max_sentence_length: int = 10000
    encoding_errors: str = "strict"
    holdout: float = 0.0
    holdout_every: int = 0
    out_vector_weight: float = 0.0
    workers: int = 1

    def __post_init__(self) -> None:
        n = setting  # each message names a setting as its caller does (cbow.wording)
        checks = [
            (self.size >= 1, f"{n('size')} must be >= 1, got {self.size}"),
            (self.window >= 1, f"{n('window')} must be >= 1, got {self.window}"),
            (self.objective in OBJECTIVE_NAMES, f"unknown objective {self.objective!r}; choose one of {', '.join(OBJECTIVE_NAMES)}"),
            (self.objective != "ns" or self.negative >= 1,
             f"negative sampling needs {n('negative')} >= 1, got {self.negative}"),
            (self.negative >= 0, f"{n('negative')} must be >= 0, got {self.negative}"),
            (math.isfinite(self.ns_exponent), f"{n('ns_exponent')} must be a finite number, got {self.ns_exponent}"),
            (self.sample >= 0, f"{n('sample')} must be >= 0, got {self.sample}"),
            (self.min_count >= 1, f"{n('min_count')} must be >= 1, got {self.min_count}"),
            (self.max_vocab is None or self.max_vocab >= 1, f"{n('max_vocab')} must be >= 1, got {self.max_vocab}"),
            (self.epochs >= 1, f"{n('epochs')} must be >= 1, got {self.epochs}"),
            (self.alpha > 0 and math.isfinite(self.alpha), f"{n('alpha')} must be > 0, got {self.alpha}"),
            (self.alpha_in is None or (self.alpha_in > 0 and math.isfinite(self.alpha_in)),
             f"{n('alpha_in')} must be > 0, got {self.alpha_in}"),
            (self.min_alpha is None or 0 <= self.min_alpha <= self.alpha,
             f"{n('min_alpha')} must lie in [0, {n('alpha')} {self.alpha:g}], got {self.min_alpha}"),
            (self.cbow_update in CBOW_UPDATES,
             f"unknown {n('cbow_update')} {self.cbow_update!r}; choose mean or word2vec"),
            (self.batch_size >= 1, f"{n('batch_size')} must be >= 1, got {self.batch_size}"),
            (self.repeat_guard >= 0 and math.isfinite(self.repeat_guard),
             f"{n('repeat_guard')} must be >= 0, got {self.repeat_guard}"),
            (self.repeat_guard_out is None or (self.repeat_guard_out >= 0 and math.isfinite(self.repeat_guard_out)),
             f"{n('repeat_guard_out')} must be >= 0, got {self.repeat_guard_out}"),
            (0 <= self.context_power <= 1, f"{n('context_power')} must lie in [0, 1], got {self.context_power}"),
            (self.clip_grad is None or self.clip_grad > 0, f"{n('clip_grad')} must be > 0, got {self.clip_grad}"),
            (self.max_sentence_length >= 1,
             f"{n('max_sentence_length')} must be >= 1, got {self.max_sentence_length}"),
            (self.encoding_errors in ("strict", "replace"),
             f"{n('encoding_errors')} must be strict or replace, got {self.encoding_errors!r}"),
            (self.out_vector_weight >= 0 and math.isfinite(self.out_vector_weight),
             f"{n('out_vector_weight')} must be >= 0, got {self.out_vector_weight}"),
            (self.out_vector_weight == 0 or self.objective != "hs",
             (f"{n('out_vector_weight')} adds W_out's word rows to the vectors, but with "
              f"{setting_choice('objective', 'hs')} W_out holds Huffman tree nodes, not words: drop it, or train "
              f"with negative sampling or {setting_choice('objective', 'softmax')}")),
            (self.workers >= 0, f"{n('workers')} must be >= 1 (or 0: automatic), got {self.workers}"),
            (0 <= self.holdout <= 0.5, f"{n('holdout')} must lie in [0, 50%], got {self.holdout}"),
            (self.holdout_every >= 0, f"{n('holdout_every')} must be >= 0 words, got {self.holdout_every}"),
            (self.holdout_every == 0 or self.holdout > 0,
             f"{n('holdout_every')} scores held-out text, which needs {n('holdout')} too: e.g. "
             f"{setting_value('holdout', '0.005')}"),
        ]
        for ok, message in checks:
            if not ok:
                raise ConfigError(message)

    @property
    def lr_in(self) -> float:
        """Initial learning rate of W_in (see `alpha_in`)."""
        if self.alpha_in is not None:
            return self.alpha_in
        if self.cbow_update != "mean":
            return self.alpha
        return self.alpha * (MEAN_LR_IN_PER_WINDOW * self.window) ** self.context_power

    @property
    def min_lr_in(self) -> float | None:
        """The rate W_in's schedule ends at with `min_alpha` (the same ratio to lr_in as
        min_alpha to alpha), None without it."""
        if self.min_alpha is None:
            return None
        return self.min_alpha * self.lr_in / self.alpha

    @property
    def out_guard_power(self) -> float:
        """W_out's repeat-guard power in effect (see `repeat_guard_out`)."""
        if self.repeat_guard_out is not None:
            return self.repeat_guard_out
        return OUT_GUARD_BY_OBJECTIVE.get(self.objective, 0.0)

    @property
    def vector_size(self) -> int:
        """`size` under gensim's name."""
        return self.size

    def to_dict(self) -> dict:
        return asdict(self)


#: gensim's spellings of TrainConfig's settings, accepted as keywords: TrainConfig(vector_size=50)
GENSIM_ALIASES = {"vector_size": "size", "max_final_vocab": "max_vocab"}
_dataclass_init = TrainConfig.__init__


@functools.wraps(_dataclass_init)
def _init_with_gensim_names(self, *args, **kwargs) -> None:
    for alias, name in GENSIM_ALIASES.items():
        if alias in kwargs:
            if name in kwargs:
                raise ConfigError(f"{alias} is gensim's name for {name}; give one of them")
            kwargs[name] = kwargs.pop(alias)
    _dataclass_init(self, *args, **kwargs)


TrainConfig.__init__ = _init_with_gensim_names
