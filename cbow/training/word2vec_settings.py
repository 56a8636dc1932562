"""gensim's Word2Vec arguments -> cbow's TrainConfig: what maps, what differs, what is refused.

    gensim argument       cbow                                   note
    vector_size           size
    alpha                 alpha (W_out's rate)                   default 0.05 (gensim 0.025)
    min_alpha             min_alpha                              default alpha * 1e-4 (gensim 0.0001)
    sample                sample                                 default 1e-3, gensim's (`cbow train`: 1e-4,
                                                                 better on large corpora; small ones
                                                                 lose most of their words to it)
    workers               workers                                default 0: all cores, one process
                                                                 for small runs (gensim 3 threads)
    window, min_count, seed, negative, ns_exponent, epochs, shrink_windows: the same
    hs=1                  objective "hs"                         needs negative=0 (gensim trains both)
    max_final_vocab       gensim's rule (cbow.training.word2vec_vocab)
    max_vocab_size        pruned while counting, as gensim
    trim_rule             applied in build_vocab, as gensim
    sg=1                  refused: cbow trains CBOW
    cbow_mean=0           refused: cbow averages the context
    null_word=1, sorted_vocab=0, a hashfxn other than hash: refused
    compute_loss          the loss is always tracked (it costs nothing): get_latest_training_loss reports it
    batch_words           gensim's unit of work for its threads: cbow's workers split the corpus
                          by sentences, and minibatches are `batch_size` examples; no effect
    corpus_file           read with the whitespace tokenizer (gensim's LineSentence), not cbow's
                          default (tokenizer="default" asks for it)

Any other keyword is one of TrainConfig's own (cbow_update, alpha_in, context_power,
batch_size, repeat_guard, out_vector_weight, ...), passed through. docs/usage.md has the
same table for users.
"""

from __future__ import annotations

import builtins
import difflib
from dataclasses import fields

from cbow.errors import ConfigError
from cbow.training.config import TrainConfig

IRSOY = ("cbow trains CBOW only, and its exact-gradient CBOW matches skip-gram's quality (İrsoy, Benton and "
         "Stratos 2021, 'Corrected CBOW Performs as Well as Skip-gram')")


def refuse_unsupported(sg: int, hs: int, negative: int, cbow_mean: int, null_word: int, sorted_vocab: int,
                       hashfxn) -> None:
    """One line for each gensim argument cbow cannot honour (module docstring).

    Raises
    ------
    ConfigError
    """
    if sg:
        raise ConfigError(f"sg={sg} asks for skip-gram; {IRSOY}: drop sg")
    if hs and negative:
        raise ConfigError(f"hs={hs} with negative={negative} trains two output layers at once in gensim; cbow trains "
                          "one: give negative=0 for hierarchical softmax (or hs=0 for negative sampling)")
    if not hs and not negative:
        raise ConfigError("hs=0 and negative=0 leave nothing to train; give negative=5 (or hs=1)")
    if not cbow_mean:
        raise ConfigError("cbow_mean=0 sums the context vectors; cbow averages them (cbow_mean=1) and applies the "
                          "exact gradient of the mean: drop cbow_mean=0")
    if null_word:
        raise ConfigError(f"null_word={null_word} adds a padding word for gensim's concatenating models; cbow never "
                          "pads a window: drop null_word")
    if not sorted_vocab:
        raise ConfigError("sorted_vocab=0: cbow's vocabulary is always sorted by count (restrict_vocab, "
                          "subsampling and hierarchical softmax rely on it): drop sorted_vocab")
    if hashfxn is not builtins.hash:
        raise ConfigError("hashfxn: cbow draws every initial vector from seed alone; drop hashfxn (give seed)")


def train_config(settings: dict, cbow_settings: dict) -> TrainConfig:
    """The TrainConfig of gensim-named `settings` (vector_size, alpha, ..., hs, negative)
    and cbow's own `cbow_settings`.

    Raises
    ------
    TypeError : a keyword neither gensim nor cbow knows (with the closest names)
    ConfigError : a value out of range (TrainConfig's checks)
    """
    known = {item.name for item in fields(TrainConfig)}
    unknown = sorted(set(cbow_settings) - known)
    if unknown:
        choices = sorted(known | set(settings))
        close = difflib.get_close_matches(unknown[0], choices, n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise TypeError(f"Word2Vec() got an unexpected keyword argument {unknown[0]!r}{hint}")
    mapped = dict(size=settings["vector_size"], alpha=settings["alpha"], window=settings["window"],
                  min_count=settings["min_count"], sample=settings["sample"], seed=settings["seed"],
                  workers=settings["workers"], min_alpha=settings["min_alpha"], negative=settings["negative"],
                  ns_exponent=settings["ns_exponent"], epochs=settings["epochs"],
                  shrink_windows=bool(settings["shrink_windows"]),
                  objective="hs" if settings["hs"] else "ns")
    mapped["tokenizer"] = "whitespace"  # gensim's LineSentence; token lists are taken as they are anyway
    clash = sorted(set(mapped) & set(cbow_settings) - {"tokenizer"})
    if clash:
        raise ConfigError(f"{clash[0]} is set by Word2Vec's own argument (gensim's name); give it once")
    return TrainConfig(**{**mapped, **cbow_settings})
