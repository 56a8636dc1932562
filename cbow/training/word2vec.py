"""`cbow.Word2Vec`: gensim 4's Word2Vec class, a thin shell over `cbow.train` and TrainConfig.

A program written for gensim runs with its import line changed:

    from cbow import Word2Vec, KeyedVectors, CallbackAny2Vec      # was: from gensim.models ...
    model = Word2Vec(sentences, vector_size=100, window=5, min_count=5, workers=4)
    model.wv.most_similar("king"); model.save("word2vec.model"); Word2Vec.load("word2vec.model")
    model.build_vocab(more_sentences, update=True)
    model.train(more_sentences, total_examples=model.corpus_count, epochs=model.epochs)

Each `train` is one `cbow.train` run that starts from the model's current weights (`init=`,
cbow.training.continuing), its rate falling from alpha to min_alpha as gensim's train does;
build_vocab counts and encodes the corpus once (cbow.training.word2vec_vocab), and a train
on the same corpus object right after reuses those ids. Where gensim's arguments and cbow's
differ, cbow.training.word2vec_settings says how (and docs/usage.md); an argument cbow
cannot honour is refused in one line.

gensim's callbacks (CallbackAny2Vec, or any object with its method names) are called with
this model, whose `wv`, `syn1neg`/`syn1` and `get_latest_training_loss()` show the live
run; `cbow.Callback`s get cbow's richer events.

A later `FastText` is this class with the subword settings added: it overrides
`_settings` (min_n, max_n, bucket into TrainConfig) and `_new_keyed_vectors` (vectors that
compose an unseen word from its n-grams); build_vocab, train, callbacks, save and load stay.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from cbow.data.vocab import Vocab
from cbow.errors import ConfigError, FormatError
from cbow.training import word2vec_settings, word2vec_vocab
from cbow.training.callbacks import adapt
from cbow.training.config import AUTO_WORKERS, TrainConfig
from cbow.training.continuing import initial_weights
from cbow.training.full_model import Model, load_model
from cbow.training.loop import train as cbow_train
from cbow.training.memory import BYTES_PER_VOCAB_WORD
from cbow.training.word2vec_vocab import RULE_DEFAULT, RULE_DISCARD, RULE_KEEP  # noqa: F401 (gensim.utils' names)
from cbow.vectors.keyed import KeyedVectors

logger = logging.getLogger(__name__)

_DEFAULTS = TrainConfig()
PICKLE_MAGIC = b"\x80"  # every pickle protocol >= 2 starts so: gensim's .model and .kv files


class Word2Vec:
    """CBOW word vectors trained as gensim's Word2Vec is driven (module docstring).

    The arguments are gensim 4.4's, with cbow's defaults where they differ (alpha 0.05 and
    the exact update with its own W_in rate, min_alpha alpha * 1e-4, workers automatic;
    sample stays gensim's 1e-3, which small corpora need) and cbow's own settings as
    further keywords (`cbow_update`, `alpha_in`, `context_power`, `out_vector_weight`, ...:
    cbow.TrainConfig). sg=1, cbow_mean=0, hs=1 with negative > 0, null_word, sorted_vocab=0
    and hashfxn are refused in one line (cbow.training.word2vec_settings).
    """

    def __init__(self, sentences=None, corpus_file=None, vector_size: int = _DEFAULTS.size,
                 alpha: float = _DEFAULTS.alpha, window: int = _DEFAULTS.window, min_count: int = _DEFAULTS.min_count,
                 max_vocab_size: int | None = None, sample: float = 1e-3, seed: int = _DEFAULTS.seed,
                 workers: int = AUTO_WORKERS, min_alpha: float | None = None, sg: int = 0, hs: int = 0,
                 negative: int = _DEFAULTS.negative, ns_exponent: float = _DEFAULTS.ns_exponent, cbow_mean: int = 1,
                 hashfxn=hash, epochs: int = _DEFAULTS.epochs, null_word: int = 0, trim_rule=None,
                 sorted_vocab: int = 1, batch_words: int = 10000, compute_loss: bool = False, callbacks=(),
                 comment: str | None = None, max_final_vocab: int | None = None, shrink_windows: bool = True,
                 **cbow_settings) -> None:
        word2vec_settings.refuse_unsupported(sg, hs, negative, cbow_mean, null_word, sorted_vocab, hashfxn)
        self.vector_size, self.alpha, self.window, self.min_count = vector_size, alpha, window, min_count
        self.max_vocab_size, self.sample, self.seed, self.workers = max_vocab_size, sample, seed, workers
        self.min_alpha, self.sg, self.hs, self.negative = min_alpha, 0, int(hs), negative
        self.ns_exponent, self.cbow_mean, self.hashfxn, self.epochs = ns_exponent, 1, hashfxn, epochs
        self.null_word, self.sorted_vocab, self.batch_words = 0, 1, batch_words
        self.compute_loss, self.callbacks, self.comment = bool(compute_loss), tuple(callbacks), comment
        self.max_final_vocab, self.shrink_windows = max_final_vocab, shrink_windows
        self.cbow_settings = dict(cbow_settings)
        self._settings()  # every argument checked now, before any reading
        self.wv = self._new_keyed_vectors()
        self.vocab: Vocab | None = None  # the vocabulary with its counts (cbow's Vocab)
        self.W_out: np.ndarray | None = None
        self.corpus_count = self.corpus_total_words = 0
        self.effective_min_count = min_count
        self.raw_vocab: dict | None = None
        self.running_training_loss = 0.0
        self.train_count, self.total_train_time = 0, 0.0
        self.result = None  # the last train's cbow.TrainResult: epoch reports, loss curve
        self._prepared: tuple[object, object] | None = None  # (corpus, its ids) from build_vocab
        if sentences is not None or corpus_file is not None:
            self.build_vocab(sentences, corpus_file, trim_rule=trim_rule)
            self.train(sentences, corpus_file, total_examples=self.corpus_count, total_words=self.corpus_total_words,
                       epochs=self.epochs, compute_loss=compute_loss, callbacks=callbacks)

    # -- the settings ------------------------------------------------------------------
    def _settings(self, **overrides) -> TrainConfig:
        """The TrainConfig of the model's gensim attributes (as they are now) and cbow settings."""
        names = ("vector_size", "alpha", "window", "min_count", "sample", "seed", "workers", "min_alpha", "negative",
                 "ns_exponent", "epochs", "shrink_windows", "hs")
        settings = {name: getattr(self, name) for name in names}
        settings["negative"] = 0 if self.hs else settings["negative"]
        settings.update(overrides)
        return word2vec_settings.train_config(settings, self.cbow_settings)

    def _new_keyed_vectors(self) -> KeyedVectors:
        return KeyedVectors(self.vector_size)

    @property
    def layer1_size(self) -> int:
        return self.vector_size

    @property
    def syn1neg(self) -> np.ndarray:
        """W_out under gensim's name for negative sampling's output layer (V, d)."""
        if self.hs:
            raise AttributeError("syn1neg: this model trains hierarchical softmax; its output layer is syn1")
        return self._output_layer()

    @property
    def syn1(self) -> np.ndarray:
        """W_out under gensim's name for hierarchical softmax's inner nodes (V-1, d)."""
        if not self.hs:
            raise AttributeError("syn1: this model trains negative sampling; its output layer is syn1neg")
        return self._output_layer()

    def _output_layer(self) -> np.ndarray:
        if self.W_out is None:
            raise AttributeError("the model has no output layer yet; call build_vocab first")
        return self.W_out

    def __str__(self) -> str:
        return f"Word2Vec<vocab={len(self.wv)}, vector_size={self.vector_size}, alpha={self.alpha}>"

    __repr__ = __str__

    # -- vocabulary ----------------------------------------------------------------------
    def build_vocab(self, corpus_iterable=None, corpus_file=None, update: bool = False, progress_per: int = 10000,
                    keep_raw_vocab: bool = False, trim_rule=None, **kwargs) -> None:
        """Count the corpus and choose the vocabulary (gensim's rules: min_count,
        max_final_vocab, trim_rule; cbow.training.word2vec_vocab); with `update`, add the
        new words of `corpus_iterable` to the model's and add up the counts. The weights are
        made (update: grown, the known rows kept) so `wv` is usable at once.

        Raises
        ------
        RuntimeError : update=True on a model without a vocabulary (as gensim)
        VocabError, CorpusError, ConfigError : nothing to keep, an unreadable corpus, bad settings
        """
        if kwargs:
            raise TypeError(f"build_vocab() got unexpected keyword arguments {sorted(kwargs)}")
        source = self._source(corpus_iterable, corpus_file)
        if update and self.vocab is None:
            raise RuntimeError("cannot update the vocabulary of a model that has none; call build_vocab(corpus) "
                               "first, then build_vocab(more, update=True)")
        config = self._settings()
        built, new_id = word2vec_vocab.build_vocab(source, config, self.vocab if update else None, trim_rule,
                                                   self.max_final_vocab, self.max_vocab_size)
        old = self._model() if update else None
        n_out_rows = len(built.vocab) - 1 if config.objective == "hs" else len(built.vocab)
        start = initial_weights(built.vocab, config, n_out_rows, old)
        lockf = self._grown_lockf(built.vocab) if update else None
        self.vocab, self.W_out = built.vocab, start.W_out
        self.wv.replace_vectors(list(built.vocab.words), start.W_in, built.vocab.counts)
        self.wv.vectors_lockf = lockf
        self.corpus_count, self.corpus_total_words = built.corpus_count, built.corpus_total_words
        self.effective_min_count = built.effective_min_count
        self.raw_vocab = built.raw_counts if keep_raw_vocab else None
        self._prepared = (source, built.encoded) if built.encoded is not None else None
        logger.info("vocabulary of %d words (min_count %d) from %d sentences, %d words", len(built.vocab),
                    built.effective_min_count, built.corpus_count, built.corpus_total_words)

    def build_vocab_from_freq(self, word_freq: dict, keep_raw_vocab: bool = False, corpus_count: int | None = None,
                              trim_rule=None, update: bool = False) -> None:
        """The vocabulary from {word: count} instead of a corpus (gensim's build_vocab_from_freq)."""
        sentences = [[word] * int(count) for word, count in word_freq.items() if int(count) > 0]
        self.build_vocab(sentences, update=update, keep_raw_vocab=keep_raw_vocab, trim_rule=trim_rule)
        self.corpus_count = corpus_count or 0
        self._prepared = None  # those made-up sentences are not a corpus to train on

    def _grown_lockf(self, vocab: Vocab) -> np.ndarray | None:
        old = self.wv.vectors_lockf
        if old is None:
            return None
        grown = np.ones(len(vocab), dtype=np.float32)
        index = vocab.key_to_index
        for word, factor in zip(self.wv.index_to_key, old.tolist()):
            grown[index[word]] = factor
        return grown

    @staticmethod
    def _source(corpus_iterable, corpus_file):
        if (corpus_iterable is None) == (corpus_file is None):
            raise TypeError("give one corpus: corpus_iterable (sentences as lists of str) or corpus_file (a path)")
        return corpus_iterable if corpus_file is None else str(corpus_file)

    def _model(self) -> Model:
        """The model as cbow's Model: what a run continues from (lockf 0 rows frozen)."""
        frozen = None
        lockf = self.wv.vectors_lockf
        if lockf is not None:
            if not np.isin(lockf, (0.0, 1.0)).all():
                raise ConfigError("vectors_lockf holds factors other than 0.0 and 1.0; cbow keeps a row fixed (0.0) "
                                  "or trains it (1.0)")
            frozen = lockf == 0.0
        return Model(self.vocab, self.wv.vectors, self.W_out, self._settings(), frozen_rows=frozen)

    # -- training ------------------------------------------------------------------------
    def train(self, corpus_iterable=None, corpus_file=None, total_examples: int | None = None,
              total_words: int | None = None, epochs: int | None = None, start_alpha: float | None = None,
              end_alpha: float | None = None, word_count: int = 0, queue_factor: int = 2, report_delay: float = 1.0,
              compute_loss: bool = False, callbacks=(), **kwargs) -> tuple[int, int]:
        """Train on a corpus, from the model's current weights: one `cbow.train` run of
        `epochs` passes (default: the model's), the rate falling from `start_alpha`
        (alpha) to `end_alpha` (min_alpha).

        total_examples / total_words are not needed (cbow reads the corpus before training
        and knows its size); a count that disagrees is logged. queue_factor and report_delay
        tune gensim's threads and logging and have no counterpart.

        Returns
        -------
        (examples trained, after subsampling; raw words read over all epochs), as gensim's

        Raises
        ------
        RuntimeError : no vocabulary yet (call build_vocab first), as gensim
        ConfigError : word_count != 0 (a learning-rate position cbow does not take)
        """
        if kwargs:
            raise TypeError(f"train() got unexpected keyword arguments {sorted(kwargs)}")
        if self.vocab is None:
            raise RuntimeError("the model has no vocabulary; call build_vocab(corpus) before train")
        if word_count:
            raise ConfigError(f"word_count={word_count}: cbow starts each train at the top of its rate schedule; "
                              "give start_alpha for a lower starting rate")
        source = self._source(corpus_iterable, corpus_file)
        epochs = self.epochs if epochs is None else epochs
        overrides = dict(epochs=epochs)
        if start_alpha is not None:
            overrides["alpha"] = start_alpha
        if end_alpha is not None:
            overrides["min_alpha"] = end_alpha
        config = self._settings(**overrides)
        prepared = self._prepared
        encoded = prepared[1] if prepared is not None and _same_corpus(prepared[0], source) else None
        if total_examples is not None and encoded is not None and total_examples != encoded.n_sentences:
            logger.info("total_examples=%d, but the corpus holds %d sentences with words; cbow uses the corpus",
                        total_examples, encoded.n_sentences)
        adapted = [adapt(callback, self._live, gensim=True) for callback in callbacks]
        result = cbow_train(source, config, vocab=self.vocab, encoded=encoded, init=self._model(),
                            callbacks=adapted)
        self._prepared = None  # the ids are freed; another train reads the corpus again
        lockf = self.wv.vectors_lockf
        self.wv.replace_vectors(list(result.vocab.words), result.W_in, result.vocab.counts)
        self.wv.vectors_lockf = lockf
        self.W_out, self.epochs, self.result = result.W_out, epochs, result
        self.running_training_loss = sum(report.mean_loss * report.n_examples for report in result.epochs)
        self.train_count += 1
        self.total_train_time += result.train_seconds
        if not self.corpus_count:
            self.corpus_total_words = result.n_corpus_words
        trained = int(sum(report.n_examples for report in result.epochs))
        return trained, int(result.n_corpus_words) * len(result.epochs)

    def _live(self, run) -> "Word2Vec":
        """The model as a gensim callback sees it during a run: `wv`, the output layer and
        the loss are the run's, as they are now."""
        if self.wv.vectors is not run.W_in:
            lockf = self.wv.vectors_lockf
            self.wv.replace_vectors(list(run.vocab.words), run.W_in, run.vocab.counts)
            self.wv.vectors_lockf = lockf
        self.wv.forget_norms()  # the weights moved since the last event
        self.W_out = run.W_out
        self.running_training_loss = run.get_latest_training_loss()
        return self

    def get_latest_training_loss(self) -> float:
        """The summed loss of the examples of the latest (or current) train, as gensim's
        (cbow always tracks it, compute_loss or not)."""
        return float(self.running_training_loss)

    # -- using the model -----------------------------------------------------------------
    def predict_output_word(self, context_words_list, topn: int = 10) -> list[tuple[str, float]] | None:
        """The likeliest centre words of a context, with their probabilities (any objective;
        gensim's needs negative sampling). None, with a warning, when no context word is
        known (as gensim)."""
        known = [word for word in context_words_list if word in self.wv.key_to_index]
        if not known:
            logger.warning("predict_output_word: none of the context words is in the vocabulary")
            return None
        return self._model().predict_output_word(known, topn=topn)

    def score(self, sentences, total_sentences: int = int(1e6), chunksize: int = 100, queue_factor: int = 2,
              report_delay: float = 1) -> np.ndarray:
        """log p of each sentence (token lists) under the model (cbow.Model.score: any
        objective; gensim's needs hierarchical softmax). At most `total_sentences` are scored."""
        taken = (sentence for _, sentence in zip(range(int(total_sentences)), sentences))
        return self._model().score(taken).astype(np.float32)

    def estimate_memory(self, vocab_size: int | None = None, report: dict | None = None) -> dict[str, int]:
        """Bytes the model's arrays take (gensim's keys: vocab, vectors, syn1neg or syn1, total)."""
        vocab_size = vocab_size or len(self.wv)
        report = dict(report or {})
        report["vocab"] = vocab_size * BYTES_PER_VOCAB_WORD
        report["vectors"] = vocab_size * self.vector_size * 4
        report["syn1" if self.hs else "syn1neg"] = max(0, vocab_size - bool(self.hs)) * self.vector_size * 4
        report["total"] = sum(value for key, value in report.items() if key != "total")
        return report

    # -- files ---------------------------------------------------------------------------
    def save(self, fname: str | Path) -> None:
        """Write the whole model (vocabulary and counts, both weight matrices, settings) as
        cbow's directory at `fname`, whatever its name ("word2vec.model" too); never a
        pickle. `cbow.load(fname)` reads its vectors, `Word2Vec.load(fname)` all of it."""
        if self.vocab is None:
            raise ConfigError("the model has no vocabulary to save; build_vocab and train it first")
        self._model().save(fname, check_name=False)

    @classmethod
    def load(cls, fname: str | Path, mmap: str | bool | None = None) -> "Word2Vec":
        """Read a model saved by `save` (mmap 'r' or True maps its matrices read-only).

        Raises
        ------
        FormatError : not a saved cbow model (a gensim pickle is named, with the way out)
        """
        path = Path(fname)
        if path.is_file():
            with open(path, "rb") as handle:
                if handle.read(1) == PICKLE_MAGIC:
                    raise FormatError(f"{path}: a Python pickle (gensim's Word2Vec.save), which cbow never loads "
                                      "(a pickle can run code); in gensim, export the vectors with "
                                      "model.wv.save_word2vec_format('vectors.bin', binary=True) and load those")
        model = load_model(path, mmap="r" if mmap is True else (mmap or None))
        config = model.config
        word2vec = cls(vector_size=config.size, alpha=config.alpha, window=config.window, min_count=config.min_count,
                       sample=config.sample, seed=config.seed, workers=config.workers, min_alpha=config.min_alpha,
                       hs=int(config.objective == "hs"), negative=0 if config.objective == "hs" else config.negative,
                       ns_exponent=config.ns_exponent, epochs=config.epochs, shrink_windows=config.shrink_windows,
                       max_final_vocab=config.max_vocab,
                       **_cbow_only(config))
        word2vec.vocab, word2vec.W_out = model.vocab, model.W_out
        word2vec.wv.replace_vectors(list(model.vocab.words), model.W_in, model.vocab.counts)
        return word2vec


def _cbow_only(config: TrainConfig) -> dict:
    """The settings of `config` that Word2Vec's gensim arguments do not carry, where not defaults."""
    gensim_carried = {"size", "alpha", "window", "min_count", "sample", "seed", "workers", "min_alpha", "negative",
                      "ns_exponent", "epochs", "shrink_windows", "objective", "max_vocab"}
    defaults = _DEFAULTS.to_dict()
    return {name: value for name, value in config.to_dict().items()
            if name not in gensim_carried and value != defaults[name]}


def _same_corpus(prepared, source) -> bool:
    """The corpus build_vocab encoded: the same object, or the same file name."""
    return prepared is source or (isinstance(source, str) and prepared == source)
