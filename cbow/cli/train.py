"""`cbow train`: its flags, the TrainConfig they make, a run, and `--resume`.

Running the corpus through checkpoints and writing the outputs is in `train_run`; the lines
a run prints and logs (epochs, held-out scores, --eval, the demo) are in `train_reports`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cbow.cli.args import (
    _check_output_dir, _fraction, duration, non_negative_float, non_negative_int, positive_float, positive_int,
    unit_interval, word_count,
)
from cbow.cli.train_reports import _epoch_evaluations, _run_reporters, _show_demo, _warn_if_not_separated
from cbow.cli.train_run import (
    _check_plot_loss, _corpus_cache_dir, _load_vocab, _plot_loss, _prepare_corpus, _run_with_checkpoints, _save_vectors,
)
from cbow.errors import ConfigError


HS_BATCH_SIZE = 256  # default batch of --hs (see --batch-size's help)
# Default --context-power of --hs. bench-text8, 5 epochs, 2 workers, batch 256 (analogy /
# ws353 / simlex): q = 0.25 scored 33.7% / 0.700 / 0.270 and 33.9% / 0.697 / 0.285 (seeds 1,
# 2), q = 0.75 (the NS default) 32.8% / 0.691 / 0.266, q = 0.5 32.8% / 0.701 / 0.265;
# gensim's HS 32.9% / 0.685 / 0.273 and 33.0% / 0.692 / 0.276. Every path node's gradient
# reaches h, so HS's dL/dh is larger than NS's and the exact rule's small steps on W_in
# cost it more; q = 0.25 gives wide-window examples most of the classic rule's step.
HS_CONTEXT_POWER = 0.25
# Default --sample of the built-in demo. Its 852 words all lie above the 1e-4 threshold (a
# planted word has frequency ~9e-4, a role word such as "city" or "she" more), so 1e-4
# keeps 27% of its 525k tokens and drops most role words, which carry the groups: after the
# default 5 epochs paris's nearest neighbours were its four planted topic words at cosine
# 0.93 and france fifth at 0.83. At 1e-3 (word2vec's default) 63% are kept and paris ->
# france 0.50, dublin, vienna, lima, warsaw; 636/636 planted analogies either way.
DEMO_SAMPLE = 1e-3


TRAIN_EXAMPLE = (
    "example:\n"
    "  cbow train                      # the built-in demo corpus: neighbours and analogies\n"
    "  cbow train corpus.txt.gz -o vectors.bin --size 100 --window 5 --negative 5 --epochs 5\n"
    "  cbow train big/ -o vectors.bin --checkpoint-every 10m   # then, after a crash or Ctrl-C:\n"
    "  cbow train --resume vectors.bin.ckpt"
)


def _add_train(subparsers) -> None:
    from cbow.training.loop import TrainConfig
    from cbow.training.parallel.pool import AUTO_MIN_TRAINING_WORDS, available_cores

    defaults = TrainConfig()
    parser = subparsers.add_parser(
        "train", help="train CBOW vectors on a corpus (or the built-in demo)",
        description="Train CBOW word vectors. Without CORPUS, trains on the built-in demo corpus "
                    "and prints neighbours and analogies.",
        epilog=TRAIN_EXAMPLE, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("corpus", nargs="?", help="text file, .gz, .bz2, directory, or - for stdin; "
                        "one sentence per line (default: the built-in demo corpus)")
    parser.add_argument("-o", "--output", help="vectors file to write: .bin = word2vec binary, "
                        ".txt/.vec = text (default: vectors.bin; the demo saves only with -o)")
    parser.add_argument("--size", "--vector-size", dest="size", type=positive_int, default=defaults.size,
                        help=f"vector size d (default {defaults.size})")
    parser.add_argument("--window", type=positive_int, default=defaults.window,
                        help=f"maximum context window w; each target draws b ~ U{{1..w}} (default {defaults.window})")
    objective = parser.add_mutually_exclusive_group()
    objective.add_argument("--hs", action="store_true", help="hierarchical softmax instead of negative sampling")
    objective.add_argument("--softmax", action="store_true", help="exact full softmax (slow for big vocabularies)")
    parser.add_argument("--negative", type=non_negative_int, default=None,
                        help=f"noise words per example for negative sampling (default {defaults.negative}; "
                             "0 with --hs)")
    parser.add_argument("--sample", type=non_negative_float, default=None,
                        help=f"subsampling threshold, 0 = off (default {defaults.sample:g}; {DEMO_SAMPLE:g} for the "
                             "built-in demo, whose 852 words are all frequent)")
    parser.add_argument("--min-count", type=positive_int, default=defaults.min_count,
                        help=f"ignore words rarer than this (default {defaults.min_count})")
    parser.add_argument("--max-vocab", type=positive_int, default=None,
                        help="keep only the N most frequent words (default: no limit)")
    parser.add_argument("--epochs", "--iter", dest="epochs", type=positive_int, default=defaults.epochs,
                        help=f"passes over the corpus (default {defaults.epochs})")
    parser.add_argument("--alpha", type=positive_float, default=defaults.alpha,
                        help=f"initial learning rate of W_out, decays linearly to alpha*1e-4 (default {defaults.alpha:g})")
    parser.add_argument("--alpha-in", type=positive_float, default=None,
                        help="initial learning rate of W_in (default: alpha*window^q with --cbow-update mean, "
                             "q = --context-power; alpha with word2vec)")
    parser.add_argument("--cbow-update", choices=["mean", "word2vec"], default=defaults.cbow_update,
                        help="mean: exact gradient through the average, (1/C) dL/dh per context word; "
                             "word2vec: the classic rule, full dL/dh to each (default mean)")
    parser.add_argument("--context-power", type=unit_interval, default=None, metavar="Q",
                        help="mean update: step each context row by alpha_in * C^(1-Q) * (1/C) dL/dh, the exact "
                             f"gradient with a rate growing as C^(1-Q); 1 = plain SGD on it (default {defaults.context_power:g}; "
                             f"{HS_CONTEXT_POWER:g} with --hs)")
    parser.add_argument("--out-vector-weight", type=non_negative_float, default=defaults.out_vector_weight,
                        metavar="BETA",
                        help="save W_in + BETA * W_out as the word vectors (\"w + c\"; W_out's rows are words with "
                             "negative sampling and --softmax, not with --hs); 0.5 scored ~2 points more analogies "
                             "on bench-text8, as the same sum does for gensim's vectors (default 0: W_in, as "
                             "word2vec and gensim)")
    parser.add_argument("--batch-size", type=positive_int, default=None,
                        help=f"examples per minibatch (default {defaults.batch_size}; {HS_BATCH_SIZE} with --hs, "
                             "whose Huffman-path buffers then stay in cache: measured fastest on bench-text8)")
    parser.add_argument("--seed", type=non_negative_int, default=defaults.seed,
                        help=f"random seed; the same seed reproduces a run bit for bit with --workers 1 (default {defaults.seed})")
    parser.add_argument("--clip-grad", type=positive_float, default=None,
                        help="clip each example's gradient to this L2 norm (default: off)")
    parser.add_argument("--repeat-guard", type=non_negative_float, default=defaults.repeat_guard, metavar="P",
                        help="W_in's per-row step size: a row occurring n times in a batch takes its summed "
                             "update times max(1, n)^-P (0 = off, the default; 1 = averaged), a guard for "
                             "high --alpha-in without subsampling")
    parser.add_argument("--repeat-guard-out", type=non_negative_float, default=None, metavar="Q",
                        help="the same for W_out, n = the row's output slots in the batch (default 1 with "
                             "--hs, whose root node is in every path; 0 otherwise)")
    parser.add_argument("--tokenizer", choices=["default", "whitespace"], default=defaults.tokenizer,
                        help="default: lowercase, split on non-letters; whitespace: split on whitespace only")
    parser.add_argument("--max-sentence-length", type=positive_int, default=defaults.max_sentence_length,
                        help=f"split longer lines into sentences of this many tokens (default {defaults.max_sentence_length})")
    parser.add_argument("--workers", "--threads", dest="workers", type=positive_int, default=None,
                        help="training processes on disjoint slices of the corpus, sharing the weights "
                             "lock-free like word2vec's threads (default: all cores, here "
                             f"{available_cores()}, or 1 for a run of under {AUTO_MIN_TRAINING_WORDS // 1_000_000}M "
                             "words x epochs, where starting workers costs more than it saves); --workers 1 "
                             "trains in one process, bit for bit reproducible for a --seed. With --resume: "
                             "the checkpoint's count unless given")
    parser.add_argument("--cache-dir", default=None,
                        help="where encoded corpora are cached so a re-run on the same file and settings "
                             "skips tokenizing (default: $CBOW_CACHE_DIR, else ~/.cache/cbow)")
    parser.add_argument("--no-cache", action="store_true", help="do not read or write the corpus cache")
    parser.add_argument("--binary", type=int, choices=[0, 1], default=None,
                        help="1: word2vec binary, 0: text (default: by the output's suffix)")
    parser.add_argument("--plot-loss", metavar="PNG", default=None,
                        help="draw the training loss curve to this image (.png/.svg/.pdf; needs the 'plot' extra)")
    parser.add_argument("--encoding-errors", choices=["strict", "replace"], default=defaults.encoding_errors,
                        help="bytes that are not UTF-8: strict stops naming the line, replace reads them as "
                             "U+FFFD (default strict)")
    parser.add_argument("--vocab", "--read-vocab", dest="vocab", metavar="VOCAB_TSV",
                        help="use this vocabulary (word<TAB>count, from `cbow vocab`) instead of counting")
    parser.add_argument("--checkpoint-every", type=duration, default=None, metavar="DURATION",
                        help="also save OUTPUT.ckpt every DURATION (30s, 10m, 1h); checkpoints are always "
                             "saved at the end of each epoch and on Ctrl-C or SIGTERM (default: no periodic saves)")
    parser.add_argument("--resume", metavar="CKPT", help="continue the run saved in CKPT (OUTPUT.ckpt); corpus, "
                        "output and settings come from the checkpoint")
    parser.add_argument("--low-memory", action="store_true",
                        help="count in bounded memory and keep the encoded corpus in a memory-mapped file "
                             "beside the output (automatic for corpora larger than a quarter of free memory)")
    parser.add_argument("--max-types-in-memory", type=positive_int, default=None,
                        help="with --low-memory: distinct words held while counting before rare ones are "
                             "pruned, as word2vec does (default 10,000,000)")
    parser.add_argument("--holdout", type=_fraction, default=0.0, metavar="FRACTION",
                        help="keep this fraction of sentences (e.g. 0.5%%) out of training and report the exact "
                             "full-softmax cross-entropy on them after every epoch (default: off)")
    parser.add_argument("--holdout-every", type=word_count, default=0, metavar="N",
                        help="with --holdout, also score the held-out text every N training words (500k, 2M, 1e6), "
                             "shown and logged as it goes (default: after every epoch only)")
    parser.add_argument("--plan", action="store_true",
                        help="dry run: print vocabulary, tokens kept, memory and an ETA, then stop "
                             "(the same as `cbow plan`)")
    parser.add_argument("--eval", dest="eval_analogies", nargs="+", action="extend", default=[], metavar="FILE",
                        help="analogy files (questions-words format) scored after every epoch: 3CosAdd "
                             "accuracy, case-insensitive, over the --eval-restrict-vocab most frequent words")
    parser.add_argument("--eval-pairs", nargs="+", action="extend", default=[], metavar="FILE",
                        help="word-pair files (word1 word2 score) scored after every epoch: Spearman of cosine "
                             "vs the human scores")
    parser.add_argument("--eval-restrict-vocab", type=positive_int, default=30000,
                        help="--eval analogies search only the N most frequent words (default 30000, as gensim)")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bar or per-epoch lines")
    parser.set_defaults(run=_cmd_train)


def _train_parser() -> argparse.ArgumentParser:
    """The parser of `cbow train` on its own: the parent of `cbow plan`'s, and the defaults
    `--resume` compares the given flags with."""
    scratch = argparse.ArgumentParser(add_help=False).add_subparsers()
    _add_train(scratch)
    return scratch.choices["train"]


def _train_config(args):
    from cbow.training.loop import TrainConfig
    from cbow.training.parallel.pool import AUTO

    objective = "hs" if args.hs else "softmax" if args.softmax else "ns"
    negative = args.negative
    if objective == "ns":
        negative = TrainConfig().negative if negative is None else negative
        if negative == 0:
            raise ConfigError("--negative 0 leaves no objective; use --hs or --softmax, or --negative >= 1")
    elif negative:
        raise ConfigError(f"--{objective} trains without negative sampling; drop --negative {negative} "
                          "(or use --negative 0)")
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
        tokenizer=args.tokenizer, max_sentence_length=args.max_sentence_length, holdout=args.holdout,
        holdout_every=args.holdout_every, out_vector_weight=args.out_vector_weight,
        encoding_errors=args.encoding_errors,
        workers=args.workers if args.workers is not None else AUTO,
    )


def _cmd_train(args) -> int:
    if getattr(args, "plan", False):
        from cbow.cli.plan import _cmd_plan  # here, not above: plan builds on this module's flags

        return _cmd_plan(args)
    if args.resume is not None:
        return _cmd_train_resume(args)
    config = _train_config(args)
    demo = args.corpus is None
    output = args.output if args.output is not None else (None if demo else "vectors.bin")
    if output is not None:
        _check_output_dir(output)
    _check_plot_loss(args)
    if demo:
        if args.vocab:
            raise ConfigError("--vocab needs a CORPUS; give the corpus the vocabulary was counted on")
        from cbow.corpora import planted

        source = planted.demo_lines()
        print(f"training on the built-in demo corpus ({len(source):,} generated sentences "
              "with planted capitals, genders, plurals and tenses)", file=sys.stderr)
    else:
        source = args.corpus
    show_progress = not args.quiet and sys.stderr.isatty()
    evaluations = _epoch_evaluations(args)
    log = None
    if output is not None:
        from cbow.training.training_log import TrainingLog, log_path_for

        log = TrainingLog(log_path_for(output))
    report_epoch, report_heldout = _run_reporters(args, config, log, evaluations)
    cache_dir = None if demo else _corpus_cache_dir(args)
    if demo:  # nothing to resume: no checkpoints
        from cbow.training.loop import train

        vocab = _load_vocab(args.vocab, config) if args.vocab and not demo else None
        encoded = None if vocab is None else _prepare_corpus(args, config, source, output, vocab)[1]
        result = train(source, config, vocab=vocab, encoded=encoded, progress=show_progress,
                       on_epoch_end=report_epoch, on_heldout=report_heldout, cache_dir=cache_dir)
    else:
        vocab = _load_vocab(args.vocab, config) if args.vocab else None
        result = _run_with_checkpoints(args, config, source, output, vocab, None, show_progress,
                                       report_epoch, cache_dir, report_heldout)
        if result is None:
            return 130
    _warn_if_not_separated(result)
    wv = result.wv
    if output is not None:
        _save_vectors(args, wv, output)
    _plot_loss(args, config, result)
    if demo:
        _show_demo(wv)
        if output is None:
            print("(vectors not saved; add -o vectors.bin to keep them)", file=sys.stderr)
    return 0


def _cmd_train_resume(args) -> int:
    """`cbow train --resume CKPT`: settings, corpus and output from the checkpoint."""
    from dataclasses import replace

    from cbow.training.checkpoint import NOT_MODEL_SETTINGS, CheckpointError, load_checkpoint
    from cbow.training.loop import TrainConfig

    checkpoint = load_checkpoint(args.resume)
    saved = TrainConfig(**checkpoint.config)  # a setting newer than the checkpoint takes its default
    given = _train_config(args).to_dict()
    # Defaults as they apply to this command line (with or without a CORPUS: the demo's differ).
    defaults = _train_config(_train_parser().parse_args([] if args.corpus is None else [args.corpus])).to_dict()
    for key, value in given.items():
        if key not in NOT_MODEL_SETTINGS and value != defaults[key] and value != saved.to_dict()[key]:
            flag = "--" + key.replace("_", "-")
            raise CheckpointError(
                f"{args.resume}: made with {flag} {saved.to_dict()[key]!r}, you gave {value!r}; "
                f"drop {flag} to resume, or start afresh without --resume"
            )
    if args.workers is not None:  # how many processes train does not change the model
        saved = replace(saved, workers=args.workers)
    source = args.corpus or checkpoint.corpus_path
    if source is None:
        raise CheckpointError(f"{args.resume}: the run read standard input; give it again: "
                              f"cbow train - --resume {args.resume} < CORPUS")
    if source != "-" and not Path(source).exists():
        raise CheckpointError(f"{args.resume}: its corpus {source} is gone; pass the corpus as "
                              f"cbow train CORPUS --resume {args.resume}")
    output = args.output or checkpoint.output
    _check_output_dir(output)
    if not args.quiet:
        where = (f"epoch {checkpoint.state.epoch + 1}/{saved.epochs}, batch {checkpoint.state.batches_done}"
                 if checkpoint.state.epoch < saved.epochs else "training was complete")
        print(f"resuming {args.resume}: {where}", file=sys.stderr)
    show_progress = not args.quiet and sys.stderr.isatty()
    _check_plot_loss(args)
    from cbow.training.training_log import TrainingLog, log_path_for

    # the log continues: records up to the checkpoint are kept, later ones are written again
    log = TrainingLog.resume(log_path_for(output), checkpoint.state.words_done)
    report_epoch, report_heldout = _run_reporters(args, saved, log, _epoch_evaluations(args))
    args.vocab = args.vocab or checkpoint.vocab_path
    result = _run_with_checkpoints(args, saved, source, output, checkpoint.vocab, checkpoint,
                                   show_progress, report_epoch, report_heldout=report_heldout)
    if result is None:
        return 130
    _warn_if_not_separated(result)
    _save_vectors(args, result.wv, output)
    _plot_loss(args, saved, result)
    return 0
