"""The flags of `cbow train` (shared with `cbow plan`) and the TrainConfig they make.

The flags are grouped as `cbow train --help` shows them: the basics first, then the model,
the objective, learning, corpus and vocabulary, output, long runs and insight.
"""

from __future__ import annotations

import argparse

from cbow.cli.args import (
    _fraction, add_reading_arguments, duration, finite_float, non_negative_float, non_negative_int, positive_float,
    positive_int, unit_interval, word_count,
)
from cbow.errors import ConfigError

HS_BATCH_SIZE = 256  # default batch of --hs (see --batch-size's help)
# Default --context-power of --hs: every path node's gradient reaches h, so HS's dL/dh is
# larger than NS's and the exact rule's small steps on W_in cost it more; 0.25 gives
# wide-window examples most of the classic rule's step (measured: docs/quality.md, "Why the
# defaults").
HS_CONTEXT_POWER = 0.25
# Default --sample of the built-in demo: its 852 words are all frequent, and 1e-4 drops most
# of the role words that carry its groups (paris's neighbours became its topic words);
# 1e-3, word2vec's default, keeps 63% of the tokens (docs/quality.md, "Why the defaults").
DEMO_SAMPLE = 1e-3


TRAIN_EXAMPLE = (
    "example:\n"
    "  cbow train                      # the built-in demo corpus: neighbours and analogies\n"
    "  cbow train corpus.txt.gz -o vectors.bin --size 100 --window 5 --negative 5 --epochs 5\n"
    "  cbow train big/ -o vectors.bin --checkpoint-every 10m   # then, after a crash or Ctrl-C:\n"
    "  cbow train --resume vectors.bin.ckpt\n"
    "  cbow train more.txt --init-from model.cbow --epochs 3 -o model2.cbow   # continue a saved model"
)


def add_train_arguments(parser: argparse.ArgumentParser) -> None:
    """Every flag of `cbow train`, in its groups."""
    from cbow.training.config import TrainConfig
    from cbow.training.parallel.pool import AUTO_MIN_TRAINING_WORDS, available_cores

    defaults = TrainConfig()
    parser._optionals.title = "basics"  # argparse's own group: corpus, -o, epochs, workers, seed, -q
    parser.add_argument("corpus", nargs="?", help="text file, .gz, .bz2, directory, or - for stdin; "
                        "one sentence per line (default: the built-in demo corpus)")
    parser.add_argument("-o", "--output", help="vectors file to write, its format from the name: .bin = word2vec "
                        "binary, .txt/.vec = text, .glove = GloVe, .cbow = our directory format (memory-mappable), "
                        ".tsv = TensorFlow Projector; + .gz compresses; - = standard output (default: vectors.bin; "
                        "the demo saves only with -o)")
    parser.add_argument("--epochs", "--iter", dest="epochs", type=positive_int, default=defaults.epochs,
                        help=f"passes over the corpus (default {defaults.epochs})")
    parser.add_argument("--workers", "--threads", dest="workers", type=positive_int, default=None,
                        help="training processes on disjoint slices of the corpus, sharing the weights "
                             "lock-free like word2vec's threads (default: all cores, here "
                             f"{available_cores()}, or 1 for a run of under {AUTO_MIN_TRAINING_WORDS // 1_000_000}M "
                             "words x epochs, where starting workers costs more than it saves); --workers 1 "
                             "trains in one process, bit for bit reproducible for a --seed. With --resume: "
                             "the checkpoint's count unless given")
    parser.add_argument("--seed", type=non_negative_int, default=defaults.seed,
                        help=f"random seed; the same seed reproduces a run bit for bit with --workers 1 (default {defaults.seed})")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bar or per-epoch lines")
    parser.add_argument("--plan", action="store_true",
                        help="dry run: print vocabulary, tokens kept, memory and an ETA, then stop "
                             "(the same as `cbow plan`)")
    model = parser.add_argument_group('model', "the CBOW model: vectors, window, how the context's gradient is applied")
    model.add_argument("--size", "--vector-size", dest="size", type=positive_int, default=defaults.size,
                        help=f"vector size d (default {defaults.size})")
    model.add_argument("--window", type=positive_int, default=defaults.window,
                        help=f"maximum context window w; each target draws b ~ U{{1..w}} (default {defaults.window})")
    model.add_argument("--no-shrink-windows", dest="shrink_windows", action="store_false",
                        help="every target takes the full window w instead of drawing b ~ U{1..w} "
                             "(gensim's shrink_windows=False)")
    model.add_argument("--cbow-update", choices=["mean", "word2vec"], default=defaults.cbow_update,
                        help="mean: exact gradient through the average, (1/C) dL/dh per context word; "
                             "word2vec: the classic rule, full dL/dh to each (default mean)")
    model.add_argument("--context-power", type=unit_interval, default=None, metavar="Q",
                        help="mean update: step each context row by alpha_in * C^(1-Q) * (1/C) dL/dh, the exact "
                             f"gradient with a rate growing as C^(1-Q); 1 = plain SGD on it (default {defaults.context_power:g}; "
                             f"{HS_CONTEXT_POWER:g} with --hs)")
    model.add_argument("--out-vector-weight", type=non_negative_float, default=defaults.out_vector_weight,
                        metavar="BETA",
                        help="save W_in + BETA * W_out as the word vectors (\"w + c\"; W_out's rows are words with "
                             "negative sampling and --softmax, not with --hs); 0.5 gains analogies and costs simlex "
                             "on bench-text8, as the same sum does for gensim's vectors (default 0: W_in, as "
                             "word2vec and gensim)")
    objective_group = parser.add_argument_group("objective", "negative sampling (the default), hierarchical "
                                                "softmax or the exact softmax")
    objective = objective_group.add_mutually_exclusive_group()
    objective.add_argument("--hs", action="store_true", help="hierarchical softmax instead of negative sampling")
    objective.add_argument("--softmax", action="store_true", help="exact full softmax (slow for big vocabularies)")
    objective_group.add_argument("--negative", type=non_negative_int, default=None,
                        help=f"noise words per example for negative sampling (default {defaults.negative}; "
                             "0 with --hs)")
    objective_group.add_argument("--ns-exponent", type=finite_float, default=defaults.ns_exponent, metavar="POWER",
                        help="noise words are drawn in proportion to count^POWER: 1 = unigram, 0 = uniform, "
                             f"< 0 favours rare words (default {defaults.ns_exponent:g}, as word2vec)")
    learning = parser.add_argument_group('learning', 'learning rates, batches and the guards against divergence')
    learning.add_argument("--alpha", type=positive_float, default=defaults.alpha,
                        help=f"initial learning rate of W_out, decays linearly to alpha*1e-4 (default {defaults.alpha:g})")
    learning.add_argument("--alpha-in", type=positive_float, default=None,
                        help="initial learning rate of W_in (default: alpha*window^q with --cbow-update mean, "
                             "q = --context-power; alpha with word2vec)")
    learning.add_argument("--min-alpha", type=non_negative_float, default=None,
                        help="the rate W_out's schedule ends at: it falls linearly from --alpha to this over the "
                             "run, as gensim's min_alpha; W_in's keeps the same ratio (default: alpha*1e-4, "
                             "word2vec's floor)")
    learning.add_argument("--batch-size", type=positive_int, default=None,
                        help=f"examples per minibatch (default {defaults.batch_size}; {HS_BATCH_SIZE} with --hs, "
                             "whose Huffman-path buffers then stay in cache: measured fastest on bench-text8)")
    learning.add_argument("--clip-grad", type=positive_float, default=None,
                        help="clip each example's gradient to this L2 norm (default: off)")
    learning.add_argument("--repeat-guard", type=non_negative_float, default=defaults.repeat_guard, metavar="P",
                        help="W_in's per-row step size: a row occurring n times in a batch takes its summed "
                             "update times max(1, n)^-P (0 = off, the default; 1 = averaged), a guard for "
                             "high --alpha-in without subsampling")
    learning.add_argument("--repeat-guard-out", type=non_negative_float, default=None, metavar="Q",
                        help="the same for W_out, n = the row's output slots in the batch (default 1 with "
                             "--hs, whose root node is in every path; otherwise 0, or 1 with a warning where "
                             "a batch would repeat rows too often: a small vocabulary, a dominant word)")
    corpus_and_vocabulary = parser.add_argument_group('corpus and vocabulary', 'how the text is read, counted and cached')
    corpus_and_vocabulary.add_argument("--min-count", type=positive_int, default=defaults.min_count,
                        help=f"ignore words rarer than this (default {defaults.min_count})")
    corpus_and_vocabulary.add_argument("--max-vocab", "--max-final-vocab", dest="max_vocab", type=positive_int, default=None,
                        help="keep only the N most frequent words (default: no limit)")
    corpus_and_vocabulary.add_argument("--keep-words", metavar="FILE", default=None,
                        help="words (one per line, spelt as the tokenizer makes them) kept in the vocabulary "
                             "whenever they occur, whatever --min-count and --max-vocab say (gensim's trim_rule "
                             "use case; default: none)")
    corpus_and_vocabulary.add_argument("--sample", type=non_negative_float, default=None,
                        help=f"subsampling threshold, 0 = off (default {defaults.sample:g}; {DEMO_SAMPLE:g} for the "
                             "built-in demo, whose 852 words are all frequent)")
    add_reading_arguments(corpus_and_vocabulary, "with --low-memory: distinct words held while counting before "
                                                 "rare ones are pruned, as word2vec does (default 10,000,000)")
    corpus_and_vocabulary.add_argument("--phrases", metavar="TABLE", default=None,
                                       help="join the phrases of this table (from `cbow phrases --save-table`) "
                                            "after tokenizing, e.g. new york -> new_york (default: none)")
    corpus_and_vocabulary.add_argument("--max-sentence-length", type=positive_int, default=defaults.max_sentence_length,
                        help=f"split longer lines into sentences of this many tokens (default {defaults.max_sentence_length})")
    corpus_and_vocabulary.add_argument("--vocab", "--read-vocab", dest="vocab", metavar="VOCAB_TSV",
                        help="use this vocabulary (word<TAB>count, from `cbow vocab`) instead of counting")
    corpus_and_vocabulary.add_argument("--cache-dir", default=None,
                        help="where encoded corpora are cached so a re-run on the same file and settings "
                             "skips tokenizing (default: $CBOW_CACHE_DIR, else ~/.cache/cbow)")
    corpus_and_vocabulary.add_argument("--no-cache", action="store_true", help="do not read or write the corpus cache")
    corpus_and_vocabulary.add_argument("--low-memory", action="store_true",
                        help="count in bounded memory and keep the encoded corpus in a memory-mapped file "
                             "beside the output (automatic for corpora larger than a quarter of free memory)")
    output = parser.add_argument_group('output')
    output.add_argument("--binary", type=int, choices=[0, 1], default=None,
                        help="1: word2vec binary, 0: text (default: by the output's suffix)")
    output.add_argument("--save-model", metavar="DIR.cbow", default=None,
                        help="also save the whole model (vectors, W_out, vocabulary with counts, settings) as a .cbow "
                             "directory, to continue training it (--init-from) or ask it (cbow predict, cbow score); "
                             "an -o NAME.cbow output is always the whole model")
    continuing = parser.add_argument_group('continuing', "start from a trained model or from pretrained vectors")
    continuing.add_argument("--init-from", metavar="MODEL_OR_VECTORS", default=None,
                        help="a whole model (.cbow with W_out): continue it on CORPUS, the vocabulary growing by its "
                             "new words (counts add up; old words keep their rows); or any vectors file: W_in starts "
                             "from them for the words they share with CORPUS, W_out at zero. Unless given, --size "
                             "and the objective are the model's. The rate falls from --alpha again over --epochs")
    continuing.add_argument("--freeze-init", action="store_true",
                        help="with --init-from: do not train the W_in rows it gives (new words and W_out train)")
    long_runs = parser.add_argument_group('long runs', "checkpoints (also saved at every epoch's end and on Ctrl-C or SIGTERM)")
    long_runs.add_argument("--checkpoint-every", type=duration, default=None, metavar="DURATION",
                        help="also save OUTPUT.ckpt every DURATION (30s, 10m, 1h); checkpoints are always "
                             "saved at the end of each epoch and on Ctrl-C or SIGTERM (default: no periodic saves)")
    long_runs.add_argument("--keep-checkpoint", action="store_true",
                        help="keep OUTPUT.ckpt when the run finishes (by default it is deleted), so that "
                             "--resume OUTPUT.ckpt --epochs N can lengthen the run later")
    long_runs.add_argument("--resume", metavar="CKPT", help="continue the run saved in CKPT (OUTPUT.ckpt); corpus and "
                        "settings come from the checkpoint, the vectors go beside it (or to -o)")
    cluster = parser.add_argument_group('cluster', "data-parallel training on Dask workers, merged every "
                                        "--sync-every words (needs pip install '.[cluster]' in cbow's folder)")
    cluster.add_argument("--cluster", metavar="SPEC", default=None,
                         help="train on a Dask cluster: local:N starts N worker processes here, tcp://HOST:PORT "
                              "(or tls://) joins a running scheduler; the corpus path must be readable on every "
                              "node; --workers is then the processes per node (default: its Dask threads). "
                              "With --resume: the checkpoint's cluster unless given")
    cluster.add_argument("--sync-every", type=sync_interval, default=None, metavar="N|epoch|auto",
                         help="merge the nodes' models every N words (10M, 500k), every epoch, or auto: the "
                              "smallest interval whose exchange takes under 10%% of a round, measured on the "
                              "first, and at least 10 merges an epoch (default auto; a number reproduces a run "
                              "bit for bit with --workers 1)")
    insight = parser.add_argument_group('insight', 'scores and curves while training')
    insight.add_argument("--holdout", type=_fraction, default=0.0, metavar="FRACTION",
                        help="keep this fraction of sentences (e.g. 0.5%%) out of training and report the exact "
                             "full-softmax cross-entropy on them after every epoch (default: off)")
    insight.add_argument("--holdout-every", type=word_count, default=0, metavar="N",
                        help="with --holdout, also score the held-out text every N training words (500k, 2M, 1e6), "
                             "shown and logged as it goes (default: after every epoch only)")
    insight.add_argument("--eval", dest="eval_analogies", nargs="+", action="extend", default=[], metavar="FILE",
                        help="analogy files (questions-words format) scored after every epoch: 3CosAdd "
                             "accuracy, case-insensitive, over the --eval-restrict-vocab most frequent words")
    insight.add_argument("--eval-pairs", nargs="+", action="extend", default=[], metavar="FILE",
                        help="word-pair files (word1 word2 score) scored after every epoch: Spearman of cosine "
                             "vs the human scores")
    insight.add_argument("--eval-restrict-vocab", type=positive_int, default=30000,
                        help="--eval analogies search only the N most frequent words (default 30000, as gensim)")
    insight.add_argument("--plot-loss", metavar="PNG", default=None,
                        help="draw the training loss curve to this image (.png/.svg/.pdf; needs the 'plot' extra)")


def sync_interval(text: str) -> str:
    """--sync-every: a number of words (10M, 500k, 1e6), epoch or auto."""
    from cbow.training.cluster.engine import parse_sync_every

    try:
        parse_sync_every(text)
    except ConfigError as error:
        raise argparse.ArgumentTypeError(str(error).split(": ", 1)[-1]) from None
    return text


def _train_parser() -> argparse.ArgumentParser:
    """The parser of `cbow train` on its own: the parent of `cbow plan`'s, and the defaults
    `--resume` compares the given flags with."""
    parser = argparse.ArgumentParser(prog="cbow train", add_help=False)
    add_train_arguments(parser)
    return parser


def _train_config(args):
    """The TrainConfig of a parsed `cbow train` (or `cbow plan`) command line."""
    from cbow.training.config import AUTO_WORKERS, TrainConfig

    objective = "hs" if args.hs else "softmax" if args.softmax else "ns"
    negative = args.negative
    if objective == "ns":
        negative = TrainConfig().negative if negative is None else negative
        if negative == 0:
            raise ConfigError("--negative 0 leaves no objective; use --hs or --softmax, or --negative >= 1")
    elif negative:
        raise ConfigError(f"--{objective} trains without negative sampling; drop --negative {negative} "
                          "(or use --negative 0)")
    if objective != "ns" and args.ns_exponent != TrainConfig().ns_exponent:
        raise ConfigError(f"--ns-exponent shapes negative sampling's noise words; --{objective} draws none: "
                          "drop --ns-exponent, or train with negative sampling")
    if args.context_power is not None and args.cbow_update == "word2vec":
        raise ConfigError("--context-power sizes the mean update's steps; --cbow-update word2vec gives every "
                          "context row the full dL/dh: drop --context-power, or use --cbow-update mean")
    return TrainConfig(
        size=args.size, window=args.window, objective=objective, negative=negative or 0,
        sample=args.sample if args.sample is not None else (
            DEMO_SAMPLE if args.corpus is None else TrainConfig().sample),
        min_count=args.min_count, max_vocab=args.max_vocab, epochs=args.epochs,
        alpha=args.alpha, alpha_in=args.alpha_in, cbow_update=args.cbow_update,
        batch_size=args.batch_size or (HS_BATCH_SIZE if objective == "hs" else TrainConfig().batch_size),
        seed=args.seed, clip_grad=args.clip_grad, repeat_guard=args.repeat_guard,
        repeat_guard_out=args.repeat_guard_out,
        context_power=args.context_power if args.context_power is not None else (
            HS_CONTEXT_POWER if objective == "hs" else TrainConfig().context_power),
        tokenizer=args.tokenizer, phrases=_absolute(args.phrases), max_sentence_length=args.max_sentence_length, holdout=args.holdout,
        holdout_every=args.holdout_every, out_vector_weight=args.out_vector_weight,
        encoding_errors=args.encoding_errors,
        workers=args.workers if args.workers is not None else AUTO_WORKERS,
        ns_exponent=args.ns_exponent, min_alpha=args.min_alpha, shrink_windows=args.shrink_windows,
        keep_words=_absolute(args.keep_words), freeze_init=getattr(args, "freeze_init", False),
    )


def _absolute(path: str | None) -> str | None:
    """A path as the config keeps it: absolute, so a checkpoint resumes from anywhere."""
    from pathlib import Path

    return None if path is None else str(Path(path).resolve())
