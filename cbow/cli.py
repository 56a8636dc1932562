"""The `cbow` command line: argparse in, library calls, results out.

Each command is a pair: `_add_<cmd>(subparsers)` declares its arguments and
`_cmd_<cmd>(args) -> int` calls the library and prints. Only this module prints:
results to stdout (tab-separated, pipe-friendly), progress and logs to stderr.
A `CbowError` becomes one line `cbow <cmd>: error: <message>` and exit status 2; any
other exception is a bug and keeps its traceback.
"""

from __future__ import annotations

import argparse
import logging
import math
import sys
from pathlib import Path

from cbow.errors import CbowError, ConfigError

PROG = "cbow"


class _Parser(argparse.ArgumentParser):
    """ArgumentParser whose usage errors are one line (exit status 2, as argparse)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        sys.stderr.write(f"{self.prog}: error: {message} (see {self.prog} --help)\n")
        raise SystemExit(2)


# -- argument types: validate at the edge, name the flag ----------------------------------
def positive_int(text: str) -> int:
    value = _number(text, int)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be an integer >= 1, got {text}")
    return value


def non_negative_int(text: str) -> int:
    value = _number(text, int)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be an integer >= 0, got {text}")
    return value


def positive_float(text: str) -> float:
    value = _number(text, float)
    if not (value > 0 and math.isfinite(value)):
        raise argparse.ArgumentTypeError(f"must be a number > 0, got {text}")
    return value


def non_negative_float(text: str) -> float:
    value = _number(text, float)
    if not (value >= 0 and math.isfinite(value)):
        raise argparse.ArgumentTypeError(f"must be a number >= 0, got {text}")
    return value


def duration(text: str) -> float:
    from cbow.checkpoint import parse_duration

    try:
        return parse_duration(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _fraction(text: str) -> float:
    """'0.5%' or '0.005' (--holdout)."""
    from cbow.holdout import parse_fraction

    try:
        return parse_fraction(text)
    except CbowError as exc:
        raise argparse.ArgumentTypeError(str(exc).split(": ", 1)[-1]) from None


def word_count(text: str) -> int:
    """A count of words >= 1: '1000000', '1e6', '500k', '2M', '1.5G' (--holdout-every)."""
    stripped = text.strip()
    scale = {"k": 10**3, "m": 10**6, "g": 10**9}.get(stripped[-1:].lower(), 1)
    number = stripped[:-1] if scale > 1 else stripped
    try:
        value = float(number) * scale
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of words such as 500k, 2M or 1e6, got {text!r}") from None
    if not (math.isfinite(value) and value >= 1):
        raise argparse.ArgumentTypeError(f"must be at least 1 word, got {text}")
    return round(value)


def _number(text: str, kind):
    try:
        return kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {'an integer' if kind is int else 'a number'}, got {text!r}") from None


HS_BATCH_SIZE = 256  # default batch of --hs (see --batch-size's help)


# -- train ---------------------------------------------------------------------------------
TRAIN_EXAMPLE = (
    "example:\n"
    "  cbow train                      # the built-in demo corpus: neighbours and analogies\n"
    "  cbow train corpus.txt.gz -o vectors.bin --size 100 --window 5 --negative 5 --epochs 5\n"
    "  cbow train big/ -o vectors.bin --checkpoint-every 10m   # then, after a crash or Ctrl-C:\n"
    "  cbow train --resume vectors.bin.ckpt"
)


def _add_train(subparsers) -> None:
    from cbow.train import TrainConfig

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
    parser.add_argument("--sample", type=non_negative_float, default=defaults.sample,
                        help=f"subsampling threshold, 0 = off (default {defaults.sample:g})")
    parser.add_argument("--min-count", type=positive_int, default=defaults.min_count,
                        help=f"ignore words rarer than this (default {defaults.min_count})")
    parser.add_argument("--max-vocab", type=positive_int, default=None,
                        help="keep only the N most frequent words (default: no limit)")
    parser.add_argument("--epochs", "--iter", dest="epochs", type=positive_int, default=defaults.epochs,
                        help=f"passes over the corpus (default {defaults.epochs})")
    parser.add_argument("--alpha", type=positive_float, default=defaults.alpha,
                        help=f"initial learning rate of W_out, decays linearly to alpha*1e-4 (default {defaults.alpha:g})")
    parser.add_argument("--alpha-in", type=positive_float, default=None,
                        help="initial learning rate of W_in (default: alpha*window with --cbow-update mean, "
                             "alpha with word2vec)")
    parser.add_argument("--cbow-update", choices=["mean", "word2vec"], default=defaults.cbow_update,
                        help="mean: exact gradient through the average, (1/C) dL/dh per context word; "
                             "word2vec: the classic rule, full dL/dh to each (default mean)")
    parser.add_argument("--batch-size", type=positive_int, default=None,
                        help=f"examples per minibatch (default {defaults.batch_size}; {HS_BATCH_SIZE} with --hs, "
                             "whose root node is in every example's path: its summed update diverged "
                             "at 1024 on bench-text8)")
    parser.add_argument("--seed", type=non_negative_int, default=defaults.seed,
                        help=f"random seed; the same seed reproduces a run bit for bit (default {defaults.seed})")
    parser.add_argument("--clip-grad", type=positive_float, default=None,
                        help="clip each example's gradient to this L2 norm (default: off)")
    parser.add_argument("--tokenizer", choices=["default", "whitespace"], default=defaults.tokenizer,
                        help="default: lowercase, split on non-letters; whitespace: split on whitespace only")
    parser.add_argument("--max-sentence-length", type=positive_int, default=defaults.max_sentence_length,
                        help=f"split longer lines into sentences of this many tokens (default {defaults.max_sentence_length})")
    parser.add_argument("--workers", "--threads", dest="workers", type=positive_int, default=None,
                        help="training processes sharing the weights, lock-free like word2vec's threads "
                             "(default 1: bit-reproducible for a seed, checkpointed; 2 workers measured "
                             "no faster than 1 yet, and runs with several workers save no checkpoints)")
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
                             "saved at the end of each epoch and on Ctrl-C (default: no periodic saves)")
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


def _train_config(args):
    from cbow.train import TrainConfig

    objective = "hs" if args.hs else "softmax" if args.softmax else "ns"
    negative = args.negative
    if objective == "ns":
        negative = TrainConfig().negative if negative is None else negative
        if negative == 0:
            raise ConfigError("--negative 0 leaves no objective; use --hs or --softmax, or --negative >= 1")
    elif negative:
        raise ConfigError(f"--{objective} trains without negative sampling; drop --negative {negative} "
                          "(or use --negative 0)")
    return TrainConfig(
        size=args.size, window=args.window, objective=objective, negative=negative or 0,
        sample=args.sample, min_count=args.min_count, max_vocab=args.max_vocab, epochs=args.epochs,
        alpha=args.alpha, alpha_in=args.alpha_in, cbow_update=args.cbow_update,
        batch_size=args.batch_size or (HS_BATCH_SIZE if objective == "hs" else TrainConfig().batch_size),
        seed=args.seed, clip_grad=args.clip_grad,
        tokenizer=args.tokenizer, max_sentence_length=args.max_sentence_length, holdout=args.holdout,
        holdout_every=args.holdout_every,
        encoding_errors=args.encoding_errors,
        workers=args.workers if args.workers is not None else 1,
    )


def _cmd_train(args) -> int:
    if getattr(args, "plan", False):
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
    if evaluations and config.workers > 1:
        raise ConfigError("--eval/--eval-pairs score the live model between epochs, which needs --workers 1")
    log = None
    if output is not None:
        from cbow.training_log import TrainingLog, log_path_for

        log = TrainingLog(log_path_for(output))
    report_epoch, report_heldout = _run_reporters(args, config, log, evaluations)
    cache_dir = None if demo else _corpus_cache_dir(args)
    if demo or config.workers > 1:
        # worker processes keep no consistent point to resume from: no checkpoints
        from cbow.train import train

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
    wv = result.wv
    if output is not None:
        _save_vectors(args, wv, output)
    _plot_loss(args, config, result)
    if demo:
        _show_demo(wv)
        if output is None:
            print("(vectors not saved; add -o vectors.bin to keep them)", file=sys.stderr)
    return 0


def _run_reporters(args, config, log, evaluations):
    """(report_epoch, report_heldout): the callbacks that print progress lines and write `log`.

    report_epoch(EpochReport) runs the --eval/--eval-pairs evaluations, appends the epoch's
    record and prints its line; report_heldout(HeldoutPoint) does the same for a held-out
    score within an epoch (--holdout-every; the epoch-end score is in the epoch's line).
    """
    from cbow.training_log import add_scores, epoch_record, heldout_record

    def report_epoch(report) -> None:
        record = epoch_record(report)
        shown = []
        if evaluations:
            kv = report.keyed_vectors()
            for name, evaluate, summary in evaluations:
                scores = evaluate(kv)
                add_scores(record, name, scores)
                shown.append(f"{name} {summary(scores)}")
        if log is not None:
            log.append(record)
        if not args.quiet:
            if report.heldout_nats is not None:
                shown.insert(0, f"held-out {report.heldout_nats:.4f} nats (perplexity {report.heldout_perplexity:,.1f})")
            scores_text = "".join(f"; {text}" for text in shown)
            _progress_line(f"epoch {report.epoch}/{config.epochs}: mean loss {report.mean_loss:.4f}, "
                           f"{report.words_per_second:,.0f} words/s, {report.seconds:.1f} s{scores_text}")

    def report_heldout(point) -> None:
        if point.epoch_end:
            return
        if log is not None:
            log.append(heldout_record(point))
        if not args.quiet:
            _progress_line(f"  {point.words_done:,} words (epoch {point.epoch:.2f}): held-out {point.nats:.4f} nats "
                           f"(perplexity {point.perplexity:,.1f}); loss so far {point.train_loss:.4f}, "
                           f"lr {point.lr:.3g}; scored in {point.seconds:.1f} s")

    return report_epoch, report_heldout


def _progress_line(text: str) -> None:
    """A line on stderr that leaves the progress bar intact below it."""
    from tqdm import tqdm

    tqdm.write(text, file=sys.stderr)


def _check_plot_loss(args) -> None:
    """--plot-loss without matplotlib, or into a missing directory, fails now, not after training."""
    if args.plot_loss is not None:
        from cbow.plot import _figure_module

        _figure_module()
        _check_output_dir(args.plot_loss)


def _plot_loss(args, config, result) -> None:
    """--plot-loss: the training loss, learning rate and held-out scores of the run."""
    if args.plot_loss is None:
        return
    from cbow.plot import plot_loss

    curves = "training and held-out loss" if result.heldout_history else "training loss"
    plot_loss(result.loss_history, args.plot_loss, heldout_history=result.heldout_history,
              title=f"{curves} ({config.objective}, {config.epochs} epochs)")
    print(f"drew the loss curve to {args.plot_loss}", file=sys.stderr)


def _save_vectors(args, wv, output: str) -> None:
    from cbow.checkpoint import checkpoint_path_for

    binary = None if args.binary is None else bool(args.binary)
    wv.save_word2vec_format(output, binary=binary)
    print(f"saved {len(wv):,} vectors of size {wv.vector_size} to {output}", file=sys.stderr)
    checkpoint = checkpoint_path_for(output)
    if checkpoint.exists():  # the run is complete: its checkpoint is no longer needed
        checkpoint.unlink()


def _load_vocab(path: str, config):
    from cbow.vocab import Vocab

    loaded = Vocab.load(path)
    return Vocab.from_counts(loaded.words, loaded.counts, config.min_count, config.max_vocab, name=path)


def _use_low_memory(args, source) -> bool:
    """--low-memory, or a corpus file bigger than a quarter of the free memory (compressed x 3)."""
    from cbow.corpus import total_size
    from cbow.memory import available_memory

    if args.low_memory:
        return True
    if source == "-":
        return False
    size = total_size(source)
    available = available_memory()
    if size is None or available is None:
        return False
    compressed = str(source).endswith((".gz", ".bz2", ".xz"))
    return size * (3 if compressed else 1) > available / 4


def _prepare_corpus(args, config, source, output: str, vocab, cache_dir=None):
    """(vocab, encoded, ids_path or None): in memory (or from the cache), or counted in bounded
    memory and memory-mapped."""
    from cbow.encode import encode_with_vocab
    from cbow.train import prepare

    if not _use_low_memory(args, source):
        if vocab is None:
            vocab, encoded = prepare(source, config, progress=not args.quiet and sys.stderr.isatty(),
                                     cache_dir=cache_dir)
        else:
            encoded = encode_with_vocab(source, vocab, config.tokenizer, config.max_sentence_length,
                                        encoding_errors=config.encoding_errors)
        return vocab, encoded, None
    import os

    from cbow.counting import DEFAULT_MAX_TYPES, build_vocab_bounded, encode_to_file

    if vocab is None:
        vocab = build_vocab_bounded(source, config.tokenizer, config.min_count, config.max_vocab,
                                    args.max_types_in_memory or DEFAULT_MAX_TYPES, config.encoding_errors)
    ids_path = Path(output).parent / f".{Path(output).name}.ids.{os.getpid()}.tmp"
    encoded = encode_to_file(source, vocab, ids_path, config.tokenizer, config.max_sentence_length,
                             config.encoding_errors)
    return vocab, encoded, ids_path


def _run_with_checkpoints(args, config, source, output: str, vocab, resume, show_progress, report_epoch,
                          cache_dir=None, report_heldout=None):
    """Train with OUTPUT.ckpt checkpoints; None when Ctrl-C stopped it (after saying how to resume)."""
    from cbow.checkpoint import Checkpointer, TrainingInterrupted, checkpoint_path_for
    from cbow.train import train

    vocab, encoded, ids_path = _prepare_corpus(args, config, source, output, vocab, cache_dir)
    checkpointer = Checkpointer(
        checkpoint_path_for(output), args.checkpoint_every,
        corpus_path=None if source == "-" else str(Path(source).resolve()),
        output=str(Path(output).resolve()),
        vocab_path=None if not args.vocab else str(Path(args.vocab).resolve()),
    )
    try:
        with checkpointer.catch_interrupts():
            return train(config=config, vocab=vocab, encoded=encoded, progress=show_progress,
                         on_epoch_end=report_epoch, on_heldout=report_heldout, checkpointer=checkpointer,
                         resume=resume)
    except TrainingInterrupted as stop:
        print(f"{PROG} train: interrupted; checkpoint saved to {stop.checkpoint_path}; resume with: "
              f"{PROG} train --resume {stop.checkpoint_path}", file=sys.stderr)
        return None
    finally:
        if ids_path is not None:
            del encoded
            ids_path.unlink(missing_ok=True)


def _cmd_train_resume(args) -> int:
    """`cbow train --resume CKPT`: settings, corpus and output from the checkpoint."""
    from cbow.checkpoint import CheckpointError, load_checkpoint
    from cbow.train import TrainConfig

    checkpoint = load_checkpoint(args.resume)
    saved = TrainConfig(**checkpoint.config)
    given = _train_config(args)
    defaults = _train_config(build_parser().parse_args(["train"]))
    for key, value in given.to_dict().items():
        if value != defaults.to_dict()[key] and value != checkpoint.config.get(key):
            flag = "--" + key.replace("_", "-")
            raise CheckpointError(
                f"{args.resume}: made with {flag} {checkpoint.config.get(key)!r}, you gave {value!r}; "
                f"drop {flag} to resume, or start afresh without --resume"
            )
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
    from cbow.training_log import TrainingLog, log_path_for

    # the log continues: records up to the checkpoint are kept, later ones are written again
    log = TrainingLog.resume(log_path_for(output), checkpoint.state.words_done)
    report_epoch, report_heldout = _run_reporters(args, saved, log, _epoch_evaluations(args))
    args.vocab = args.vocab or checkpoint.vocab_path
    result = _run_with_checkpoints(args, saved, source, output, checkpoint.vocab, checkpoint,
                                   show_progress, report_epoch, report_heldout=report_heldout)
    if result is None:
        return 130
    _save_vectors(args, result.wv, output)
    _plot_loss(args, saved, result)
    return 0


def _epoch_evaluations(args) -> list:
    """(name, kv -> scores dict, scores -> short text) for each --eval / --eval-pairs file.

    The files are parsed here, before training, so a typo fails in a second, not after
    an epoch.
    """
    from cbow.evaluate import evaluate_word_analogies, evaluate_word_pairs, read_analogies, read_word_pairs

    paths = [("analogies", path) for path in args.eval_analogies] + [("pairs", path) for path in args.eval_pairs]
    names = [Path(path).name for _, path in paths]
    evaluations = []
    for (kind, path), name in zip(paths, names):
        if names.count(name) > 1:  # two files of the same name in different directories
            name = str(path)
        if kind == "analogies":
            read_analogies(path)

            def evaluate(kv, path=path):
                result = evaluate_word_analogies(kv, path, restrict_vocab=args.eval_restrict_vocab)
                return {"accuracy": result.accuracy, "correct": result.correct, "total": result.total,
                        "skipped": result.skipped}

            def summary(scores):
                return f"{100 * scores['accuracy']:.2f}% of {scores['total']:,}"
        else:
            read_word_pairs(path)

            def evaluate(kv, path=path):
                result = evaluate_word_pairs(kv, path)
                return {"spearman": result.spearman, "pearson": result.pearson, "pairs": result.n_pairs,
                        "oov_ratio": result.oov_ratio}

            def summary(scores):
                return f"spearman {scores['spearman']:.3f}"
        evaluations.append((name, evaluate, summary))
    return evaluations


def _check_output_dir(output: str) -> None:
    """Fail before training, not after, when the output cannot be written."""
    from cbow.errors import OutputError

    directory = Path(output).parent
    if not directory.is_dir():
        raise OutputError(f"{output}: directory {directory} does not exist; create it or choose another -o")
    if Path(output).is_dir():
        raise OutputError(f"{output}: is a directory; give a file name such as {Path(output) / 'vectors.bin'}")


def _show_demo(wv) -> None:
    """Neighbours and planted analogies of the demo corpus, for people."""
    from cbow.corpora import planted

    print("nearest neighbours:")
    for word in ["paris", "king", "cats", "walked"]:
        neighbours = ", ".join(f"{w} {s:.2f}" for w, s in wv.most_similar(word, topn=5))
        print(f"  {word:8s} {neighbours}")
    print("analogies (a : b :: c : ?):")
    for a, b, c, expected in [("paris", "france", "berlin", "germany"), ("king", "queen", "man", "woman"),
                              ("cat", "cats", "dog", "dogs"), ("walk", "walked", "jump", "jumped")]:
        answer, score = wv.most_similar(positive=[b, c], negative=[a], topn=1)[0]
        mark = "ok" if answer == expected else f"expected {expected}"
        print(f"  {a} : {b} :: {c} : {answer}  ({score:.2f}, {mark})")
    questions = list(planted.analogy_questions())
    correct = sum(
        wv.most_similar(positive=[b, c], negative=[a], topn=1)[0][0] == d for _, (a, b, c, d) in questions
    )
    print(f"planted analogies solved: {correct}/{len(questions)} ({100 * correct / len(questions):.1f}%)")


# -- similar ---------------------------------------------------------------------------------
def _add_vectors_argument(parser) -> None:
    parser.add_argument("vectors", help="vectors file: word2vec binary/text, fastText .vec, GloVe .txt, or .cbow directory")
    parser.add_argument("--format", dest="vectors_format", default=None,
                        help="force the input format: word2vec, word2vec-text, glove, cbow (default: detected)")


def _load_vectors(args):
    from cbow.vectors import KeyedVectors

    return KeyedVectors.load(args.vectors, mmap="r", format=args.vectors_format)


def _add_similar(subparsers) -> None:
    parser = subparsers.add_parser(
        "similar", help="nearest neighbours of words by cosine similarity",
        epilog="example:\n  cbow similar vectors.bin paris king --topn 10\n"
               "  cbow similar vectors.bin paris --json | jq .",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_vectors_argument(parser)
    parser.add_argument("words", nargs="+", help="query words (answered together, as one matrix product)")
    parser.add_argument("--topn", type=positive_int, default=10, help="neighbours per word (default 10)")
    parser.add_argument("--restrict-vocab", type=positive_int, default=None,
                        help="search only the N most frequent words (default: all)")
    parser.add_argument("--json", action="store_true", help="print one JSON object {word: [[neighbour, cosine], ...]}")
    parser.set_defaults(run=_cmd_similar)


def _cmd_similar(args) -> int:
    import json

    kv = _load_vectors(args)
    results = kv.most_similar_many(args.words, topn=args.topn, restrict_vocab=args.restrict_vocab)
    if args.json:
        print(json.dumps({word: [[w, round(s, 6)] for w, s in found] for word, found in zip(args.words, results)},
                         ensure_ascii=False))
        return 0
    for word, found in zip(args.words, results):
        for neighbour, score in found:
            print(f"{word}\t{neighbour}\t{score:.4f}")
    return 0


# -- analogy -------------------------------------------------------------------------------
def _add_analogy(subparsers) -> None:
    parser = subparsers.add_parser(
        "analogy", help="solve a : b :: c : ? (3CosAdd, or 3CosMul with --cosmul)",
        epilog="example:\n  cbow analogy vectors.bin man king woman      # man : king :: woman : ? -> queen",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_vectors_argument(parser)
    parser.add_argument("a")
    parser.add_argument("b")
    parser.add_argument("c")
    parser.add_argument("--topn", type=positive_int, default=5, help="answers to show (default 5)")
    parser.add_argument("--cosmul", action="store_true", help="3CosMul (Levy & Goldberg) instead of 3CosAdd")
    parser.add_argument("--restrict-vocab", type=positive_int, default=None,
                        help="answer only with the N most frequent words (default: all)")
    parser.add_argument("--json", action="store_true", help="print [[answer, score], ...] as JSON")
    parser.set_defaults(run=_cmd_analogy)


def _cmd_analogy(args) -> int:
    import json

    kv = _load_vectors(args)
    method = kv.most_similar_cosmul if args.cosmul else kv.most_similar
    answers = method(positive=[args.b, args.c], negative=[args.a], topn=args.topn, restrict_vocab=args.restrict_vocab)
    if args.json:
        print(json.dumps([[w, round(s, 6)] for w, s in answers], ensure_ascii=False))
    else:
        for answer, score in answers:
            print(f"{answer}\t{score:.4f}")
    return 0


# -- evaluate ------------------------------------------------------------------------------
def _add_evaluate(subparsers) -> None:
    parser = subparsers.add_parser(
        "evaluate", help="analogy accuracy (3CosAdd, 3CosMul) and word-pair correlations",
        description="Evaluate vectors as gensim's evaluate_word_analogies / evaluate_word_pairs do "
                    "(same numbers). FILE may be a path or a dataset name from 'cbow datasets list' "
                    "(found in the cache or in gensim's bundled test data).",
        epilog="example:\n  cbow evaluate vectors.bin --analogies questions-words.txt --pairs wordsim353.tsv simlex999.txt\n"
               "  cbow evaluate vectors.bin --analogies questions-words --pairs wordsim353 simlex999 --json",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_vectors_argument(parser)
    parser.add_argument("--analogies", nargs="*", default=[], metavar="FILE", help="analogy files (questions-words format)")
    parser.add_argument("--pairs", nargs="*", default=[], metavar="FILE", help="word-pair files (word1 word2 score)")
    parser.add_argument("--restrict-vocab", type=positive_int, default=30000,
                        help="analogies: use only the N most frequent words (default 30000)")
    parser.add_argument("--pairs-restrict-vocab", type=positive_int, default=300000,
                        help="word pairs: use only the N most frequent words (default 300000, as gensim)")
    parser.add_argument("--ci", action="store_true",
                        help="add percentile-bootstrap 95%% intervals (2,000 resamples of the questions / "
                             "pairs, seeded) to 3CosAdd accuracy and Spearman")
    parser.add_argument("--case-sensitive", action="store_true",
                        help="match words exactly (default: upper-case both sides, as gensim)")
    parser.add_argument("--sections", action="store_true", help="show every analogy section, not only the total")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    parser.set_defaults(run=_cmd_evaluate)


def _cmd_evaluate(args) -> int:
    import json

    from cbow.datasets import resolve
    from cbow.evaluate import evaluate_word_analogies, evaluate_word_pairs
    from cbow.stats import accuracy_ci, spearman_ci

    if not args.analogies and not args.pairs:
        raise ConfigError("nothing to evaluate; give --analogies FILE and/or --pairs FILE")
    analogy_paths = [resolve(p) for p in args.analogies]
    pair_paths = [resolve(p) for p in args.pairs]
    kv = _load_vectors(args)
    report = {"vectors": args.vectors, "analogies": {}, "pairs": {}}
    for name, path in zip(args.analogies, analogy_paths):
        result = evaluate_word_analogies(kv, path, restrict_vocab=args.restrict_vocab,
                                         case_insensitive=not args.case_sensitive)
        report["analogies"][name] = result.to_dict()
        if args.ci:
            report["analogies"][name]["ci"] = accuracy_ci(result.outcomes["3CosAdd"]).to_dict()
    for name, path in zip(args.pairs, pair_paths):
        result = evaluate_word_pairs(kv, path, restrict_vocab=args.pairs_restrict_vocab,
                                     case_insensitive=not args.case_sensitive)
        report["pairs"][name] = result.to_dict()
        if args.ci and len(result.human) >= 3:
            report["pairs"][name]["ci"] = spearman_ci(result.human, result.model).to_dict()
    if args.json:
        print(json.dumps(report, ensure_ascii=False))
        return 0
    for line in _evaluation_table(report, args.sections):
        print(line)
    return 0


def _evaluation_table(report: dict, show_sections: bool) -> list[str]:
    """Aligned lines for people: analogies per method (and section), then word-pair correlations."""
    lines = []
    for name, analogies in report["analogies"].items():
        add, mul = analogies["methods"]["3CosAdd"], analogies["methods"]["3CosMul"]
        lines.append(f"{name}  coverage {_coverage(add['total'], analogies['skipped'], 'questions')} "
                     f"(words outside the top {analogies['restrict_vocab']})")
        lines.append(f"  {'section':32s} {'3CosAdd':>20s} {'3CosMul':>20s} {'skipped':>8s}")
        rows = list(zip(add["sections"], mul["sections"])) if show_sections else []
        for section_add, section_mul in rows:
            lines.append(f"  {section_add['section'][:32]:32s} {_cell(section_add)} {_cell(section_mul)} "
                         f"{section_add['skipped']:8d}")
        lines.append(f"  {'total':32s} {_cell(add)} {_cell(mul)} {analogies['skipped']:8d}")
        if "ci" in analogies:
            lines.append(f"  3CosAdd {_interval(analogies['ci'], percent=True)}")
    for name, pairs in report["pairs"].items():
        spearman = "n/a" if pairs["spearman"] is None else f"{pairs['spearman']:.4f}"
        pearson = "n/a" if pairs["pearson"] is None else f"{pairs['pearson']:.4f}"
        lines.append(f"{name}  spearman {spearman}  pearson {pearson}  "
                     f"coverage {_coverage(pairs['pairs'], pairs['skipped'], 'pairs')}")
        if "ci" in pairs:
            lines.append(f"  spearman {_interval(pairs['ci'], percent=False)}")
    return lines


def _coverage(answered: int, skipped: int, what: str) -> str:
    """'636/640 questions (99.4%), 4 skipped as OOV'."""
    total = answered + skipped
    return f"{answered:,}/{total:,} {what} ({100 * answered / max(1, total):.1f}%), {skipped:,} skipped as OOV"


def _interval(ci: dict, percent: bool) -> str:
    scale, unit = (100, "%") if percent else (1, "")
    text = (f"{100 * ci['confidence']:.0f}% bootstrap interval [{scale * ci['low']:.{2 if percent else 3}f}{unit}, "
            f"{scale * ci['high']:.{2 if percent else 3}f}{unit}] over {ci['n']:,}")
    if ci["low"] == ci["high"]:  # e.g. every question right: no resample can differ
        text += " (no spread: every resample scores the same)"
    return text


def _cell(counts: dict) -> str:
    """'  77.1%      185/240': 20 characters, so the percent signs of a column line up."""
    fraction = f"{counts['correct']}/{counts['total']}"
    return f"{100 * counts['accuracy']:6.1f}% {fraction:>12s}"


# -- query ---------------------------------------------------------------------------------
def _add_query(subparsers) -> None:
    from cbow.query import HELP

    parser = subparsers.add_parser(
        "query", help="interactive prompt: neighbours, expressions, :sim, :odd",
        description="An interactive prompt over the vectors. From a pipe, answers one line per input line.\n\n" + HELP,
        epilog="example:\n  cbow query vectors.bin\n  printf 'paris\\nking - man + woman\\n' | cbow query vectors.bin",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_vectors_argument(parser)
    parser.add_argument("--topn", type=positive_int, default=10, help="neighbours per answer (default 10)")
    parser.add_argument("--restrict-vocab", type=positive_int, default=None,
                        help="search only the N most frequent words (default: all)")
    parser.add_argument("--history", default=None,
                        help="readline history file (default: ~/.cache/cbow/query_history; not written if unwritable)")
    parser.set_defaults(run=_cmd_query)


def _cmd_query(args) -> int:
    import contextlib

    from cbow.query import Session, readline_history

    kv = _load_vectors(args)
    session = Session(kv, topn=args.topn, restrict_vocab=args.restrict_vocab)
    interactive = sys.stdin.isatty()
    if interactive:
        print(f"{len(kv):,} words, dim {kv.vector_size}. Type a word, 'king - man + woman', :sim a b, "
              ":odd a b c, :help; Ctrl-D to leave.", file=sys.stderr)
    history = readline_history(Path(args.history) if args.history else None) if interactive else contextlib.nullcontext()
    with history:
        try:
            return _query_loop(session, interactive)
        except KeyboardInterrupt:  # Ctrl-C between two prompts, too, leaves cleanly
            if interactive:
                print(file=sys.stderr)
            return 0


def _query_loop(session, interactive: bool) -> int:
    """Answer lines until EOF, Ctrl-C or :quit; one answer per line when piped."""
    from cbow.query import QueryError
    from cbow.vectors import UnknownWordError

    while True:
        try:
            line = input("cbow> ") if interactive else sys.stdin.readline()
        except EOFError:
            if interactive:
                print(file=sys.stderr)
            return 0
        if not interactive and line == "":
            return 0
        try:
            answer = session.answer(line)
        except (QueryError, UnknownWordError, ValueError) as exc:
            print(f"error: {exc}", flush=True)
            continue
        if answer.kind == "quit":
            return 0
        if interactive and answer.kind == "neighbours":
            for word, score in answer.items:
                print(f"  {score:7.4f}  {word}")
        elif interactive and answer.kind == "empty":
            continue
        else:
            print(answer.one_line() if not interactive else answer.text or answer.one_line(), flush=True)


# -- convert -------------------------------------------------------------------------------
def _add_convert(subparsers) -> None:
    parser = subparsers.add_parser(
        "convert", help="convert vectors between word2vec binary/text, fastText .vec, GloVe and .cbow",
        description="Read vectors in any supported format and write them in another. The output format "
                    "follows OUTPUT's name (.bin binary, .txt/.vec text, .glove GloVe, .cbow our directory) "
                    "unless --to says otherwise.",
        epilog="example:\n  cbow convert vectors.bin vectors.txt\n  cbow convert glove.6B.100d.txt glove.cbow --from glove",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("input", help="vectors to read (format detected)")
    parser.add_argument("output", help="vectors to write")
    parser.add_argument("--from", dest="from_format", default=None,
                        help="input format: word2vec, word2vec-text (fasttext, vec), glove, cbow (default: detected)")
    parser.add_argument("--to", dest="to_format", default=None,
                        help="output format: word2vec, word2vec-text, glove, cbow (default: by OUTPUT's name)")
    parser.set_defaults(run=_cmd_convert)


def _cmd_convert(args) -> int:
    from cbow.vectors import KeyedVectors

    kv = KeyedVectors.load(args.input, format=args.from_format)
    written = kv.save(args.output, format=args.to_format)
    print(f"wrote {len(kv):,} vectors of size {kv.vector_size} to {args.output} ({written})", file=sys.stderr)
    return 0


# -- plot ----------------------------------------------------------------------------------
def _add_plot(subparsers) -> None:
    parser = subparsers.add_parser(
        "plot", help="draw a labelled 2-D PCA map of words (needs the 'plot' extra)",
        epilog="example:\n  cbow plot vectors.bin paris france berlin germany -o map.png --pairs\n"
               "  cbow plot vectors.bin --top 60 -o top.png",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_vectors_argument(parser)
    parser.add_argument("words", nargs="*", help="words to draw")
    parser.add_argument("--top", type=positive_int, default=None, help="also draw the N most frequent words")
    parser.add_argument("--pairs", action="store_true", help="draw arrows from word 1 to 2, 3 to 4, ...")
    parser.add_argument("-o", "--output", default="words.png", help="image file: .png, .svg or .pdf (default words.png)")
    parser.add_argument("--title", default=None, help="figure title")
    parser.set_defaults(run=_cmd_plot)


def _cmd_plot(args) -> int:
    from cbow.plot import _figure_module, plot_words

    _figure_module()  # fail before loading vectors when matplotlib is missing
    _check_output_dir(args.output)
    kv = _load_vectors(args)
    words = list(dict.fromkeys(args.words + (kv.index_to_key[: args.top] if args.top else [])))
    if not words:
        raise ConfigError("nothing to draw; name words or give --top N")
    plot_words(words, kv[words], args.output, pairs=args.pairs, title=args.title)
    print(f"drew {len(words)} words to {args.output}", file=sys.stderr)
    return 0


# -- datasets ------------------------------------------------------------------------------
def _add_datasets(subparsers) -> None:
    parser = subparsers.add_parser(
        "datasets", help="list, fetch or locate public evaluation sets and corpora",
        description="Standard evaluation sets and corpora are not shipped; this downloads them into a cache "
                    "($CBOW_DATA, else ~/.cache/cbow/datasets) with checksums, never leaving a partial file.",
        epilog="example:\n  cbow datasets list\n  cbow datasets fetch questions-words wordsim353 simlex999\n"
               "  cbow datasets path questions-words",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("action", choices=["list", "fetch", "path"], help="list | fetch NAME... | path NAME...")
    parser.add_argument("names", nargs="*", help="dataset names (see 'cbow datasets list')")
    parser.add_argument("--force", action="store_true", help="fetch: download again even if cached")
    parser.add_argument("--cache-dir", default=None, help="cache directory (default: $CBOW_DATA or ~/.cache/cbow/datasets)")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    parser.set_defaults(run=_cmd_datasets)


def _cmd_datasets(args) -> int:
    from cbow import datasets

    cache = Path(args.cache_dir) if args.cache_dir else datasets.cache_dir()
    if args.action == "list":
        pins = datasets.read_pins(cache)
        print(f"# cache: {cache}")
        for dataset in datasets.REGISTRY.values():
            where = (cache / dataset.filename)
            status = "cached" if where.is_file() else "gensim" if datasets.gensim_copy(dataset) else "-"
            checksum = "sha256 shipped" if dataset.sha256 else "sha256 pinned" if dataset.name in pins else "no sha256 yet"
            print(f"{dataset.name}\t{dataset.kind}\t{status}\t{checksum}\t{dataset.description}\t{dataset.url}")
        return 0
    if not args.names:
        raise ConfigError(f"'cbow datasets {args.action}' needs dataset names; see 'cbow datasets list'")
    for name in args.names:
        datasets.get(name)  # unknown names fail before any download
    for name in args.names:
        if args.action == "path":
            found = datasets.locate(name, cache)
            if found is None:
                raise ConfigError(f"dataset {name!r} is not downloaded yet; run: cbow datasets fetch {name}")
            print(found)
            continue
        result = datasets.fetch(name, cache=cache, force=args.force, progress=not args.quiet and sys.stderr.isatty())
        if result.pinned_now:
            print(f"{name}: first download, sha256 {result.sha256} pinned in {cache / 'pins.json'}", file=sys.stderr)
        print(result.path)
    return 0


# -- vocab -------------------------------------------------------------------------------
def _add_vocab(subparsers) -> None:
    parser = subparsers.add_parser(
        "vocab", help="count a corpus once and write its vocabulary (word<TAB>count)",
        description="Count the words of a corpus in bounded memory and write the vocabulary, most "
                    "frequent first, for later runs: cbow train CORPUS --vocab vocab.tsv.",
        epilog="example:\n  cbow vocab big/ --min-count 5 -o vocab.tsv\n  cbow train big/ --vocab vocab.tsv -o vectors.bin",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("corpus", help="text file, .gz, .bz2, directory, or - for stdin")
    parser.add_argument("-o", "--output", "--save-vocab", dest="output", default="vocab.tsv",
                        help="vocabulary file to write (default vocab.tsv)")
    parser.add_argument("--min-count", type=positive_int, default=5, help="drop words rarer than this (default 5)")
    parser.add_argument("--max-vocab", type=positive_int, default=None, help="keep only the N most frequent words")
    parser.add_argument("--tokenizer", choices=["default", "whitespace"], default="default",
                        help="default: lowercase, split on non-letters; whitespace: split on whitespace only")
    parser.add_argument("--encoding-errors", choices=["strict", "replace"], default="strict",
                        help="bytes that are not UTF-8: strict stops naming the line, replace reads them as U+FFFD")
    parser.add_argument("--max-types-in-memory", type=positive_int, default=None,
                        help="distinct words held while counting before rare ones are pruned, as word2vec "
                             "does (default 10,000,000)")
    parser.set_defaults(run=_cmd_vocab)


def _cmd_vocab(args) -> int:
    from cbow.counting import DEFAULT_MAX_TYPES, build_vocab_bounded

    _check_output_dir(args.output)
    vocab = build_vocab_bounded(args.corpus, args.tokenizer, args.min_count, args.max_vocab,
                                args.max_types_in_memory or DEFAULT_MAX_TYPES, args.encoding_errors)
    vocab.save(args.output)
    print(f"saved {len(vocab):,} words ({vocab.total_words:,} tokens) to {args.output}", file=sys.stderr)
    return 0


# -- gradcheck -----------------------------------------------------------------------------
def _add_gradcheck(subparsers) -> None:
    from cbow.gradcheck import GradcheckSettings

    defaults = GradcheckSettings()
    parser = subparsers.add_parser(
        "gradcheck", help="check every gradient against central differences on a tiny model",
        description="Build a tiny random float64 model with these settings, compare the analytic "
                    "gradients of h, W_out and W_in (through the mean) and the update the trainer "
                    "applies with central differences, print the max relative error per matrix. "
                    "Exit status 0 when all pass, 1 otherwise.",
        epilog="example:\n  cbow gradcheck --objective ns --cbow-update mean --negative 5 --window 5",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--objective", choices=["ns", "hs", "softmax"], default=defaults.objective,
                        help=f"objective to check (default {defaults.objective})")
    parser.add_argument("--cbow-update", choices=["mean", "word2vec"], default=defaults.cbow_update,
                        help="update rule of W_in the trainer applies (default mean)")
    parser.add_argument("--negative", type=positive_int, default=defaults.negative,
                        help=f"noise words per example for ns (default {defaults.negative})")
    parser.add_argument("--window", type=positive_int, default=defaults.window,
                        help=f"maximum window w (default {defaults.window})")
    parser.add_argument("--size", "--vector-size", dest="size", type=positive_int, default=defaults.size,
                        help=f"vector size d of the tiny model (default {defaults.size})")
    parser.add_argument("--vocab-size", type=positive_int, default=defaults.vocab_size,
                        help=f"vocabulary size V of the tiny model, >= 3 (default {defaults.vocab_size})")
    parser.add_argument("--examples", type=positive_int, default=defaults.n_examples,
                        help=f"examples in the batch, >= 2 (default {defaults.n_examples})")
    parser.add_argument("--max-entries", type=positive_int, default=defaults.max_entries,
                        help=f"check at most this many entries per matrix, a seeded sample (default {defaults.max_entries})")
    parser.add_argument("--tolerance", type=positive_float, default=defaults.tolerance,
                        help=f"largest relative error that passes (default {defaults.tolerance:g})")
    parser.add_argument("--seed", type=non_negative_int, default=defaults.seed,
                        help=f"seed of the tiny model (default {defaults.seed})")
    parser.set_defaults(run=_cmd_gradcheck)


def _cmd_gradcheck(args) -> int:
    from cbow.gradcheck import GradcheckSettings, format_report, run_gradcheck

    settings = GradcheckSettings(
        objective=args.objective, cbow_update=args.cbow_update, negative=args.negative,
        window=args.window, size=args.size, vocab_size=args.vocab_size, n_examples=args.examples,
        seed=args.seed, max_entries=args.max_entries, tolerance=args.tolerance,
    )
    report = run_gradcheck(settings)
    for line in format_report(report):
        print(line)
    return 0 if report.passed else 1


# -- compare -------------------------------------------------------------------------------
def _add_compare(subparsers) -> None:
    parser = subparsers.add_parser(
        "compare", help="is a better than b? paired test on the same questions and pairs",
        description="Score two vector files on the questions and word pairs BOTH can answer, and "
                    "test the difference: paired bootstrap interval and paired permutation p-value. "
                    "Coverage of each model is always shown.",
        epilog="example:\n  cbow compare a.bin b.bin --analogies questions-words.txt --pairs wordsim353.tsv",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("vectors_a", help="first vectors file (word2vec binary/text, .vec, GloVe, .cbow)")
    parser.add_argument("vectors_b", help="second vectors file")
    parser.add_argument("--analogies", nargs="*", default=[], metavar="FILE",
                        help="analogy files (questions-words format) or dataset names")
    parser.add_argument("--pairs", nargs="*", default=[], metavar="FILE",
                        help="word-pair files (word1 word2 score) or dataset names")
    parser.add_argument("--restrict-vocab", type=positive_int, default=30000, metavar="N",
                        help="analogies: search only the N most frequent words of each model (default 30000)")
    parser.add_argument("--pairs-restrict-vocab", type=positive_int, default=300000, metavar="N",
                        help="word pairs: use only the N most frequent words of each model (default 300000, as gensim)")
    parser.add_argument("--cosmul", action="store_true", help="compare 3CosMul accuracy instead of 3CosAdd")
    parser.add_argument("--case-sensitive", action="store_true",
                        help="match words exactly (default: upper-case both sides, as gensim)")
    parser.add_argument("--n-boot", "--bootstrap", dest="n_boot", type=positive_int, default=2000, metavar="N",
                        help="bootstrap resamples and permutations (default 2000)")
    parser.add_argument("--confidence", type=_open_unit_interval, default=0.95, metavar="LEVEL",
                        help="level of the interval of a - b; the verdict uses p < 1 - level (default 0.95)")
    parser.add_argument("--seed", type=non_negative_int, default=0, help="seed of the resampling (default 0)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    parser.set_defaults(run=_cmd_compare)


def _open_unit_interval(text: str) -> float:
    value = _number(text, float)
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"must lie strictly between 0 and 1, got {text}")
    return value


def _cmd_compare(args) -> int:
    import json

    from cbow.compare import compare_vectors, format_table
    from cbow.datasets import resolve
    from cbow.vectors import KeyedVectors

    if not args.analogies and not args.pairs:
        raise ConfigError("nothing to compare on; give --analogies FILE and/or --pairs FILE")
    analogy_paths = [resolve(p) for p in args.analogies]
    pair_paths = [resolve(p) for p in args.pairs]
    kv_a = KeyedVectors.load(args.vectors_a, mmap="r")
    kv_b = KeyedVectors.load(args.vectors_b, mmap="r")
    method = "3CosMul" if args.cosmul else "3CosAdd"
    comparisons = compare_vectors(kv_a, kv_b, analogy_paths, pair_paths, restrict_vocab=args.restrict_vocab,
                                  case_insensitive=not args.case_sensitive, n_boot=args.n_boot,
                                  confidence=args.confidence, seed=args.seed, method=method,
                                  pairs_restrict_vocab=args.pairs_restrict_vocab)
    if args.json:
        print(json.dumps({"a": args.vectors_a, "b": args.vectors_b,
                          "comparisons": [c.to_dict() for c in comparisons]}, indent=2))
    else:
        for line in format_table(comparisons, args.vectors_a, args.vectors_b, args.restrict_vocab,
                                 not args.case_sensitive):
            print(line)
    return 0


# -- plan ----------------------------------------------------------------------------------
def _add_plan(subparsers) -> None:
    # the flags of `cbow train`, taken from its parser so the two never drift apart
    scratch = argparse.ArgumentParser(add_help=False).add_subparsers()
    _add_train(scratch)
    train_parser = scratch.choices["train"]
    parser = subparsers.add_parser(
        "plan", parents=[train_parser], conflict_handler="resolve",
        help="dry run: vocabulary, tokens kept, memory and estimated time of a training run",
        description="Read the corpus once and report what `cbow train` with the same flags would do: "
                    "vocabulary size, tokens after min-count and after subsampling, memory by component, "
                    "and an ETA from a short timed probe. Allocates nothing big.",
        epilog="example:\n  cbow plan corpus.txt.gz --size 300 --window 5 --epochs 5",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--probe-seconds", type=non_negative_float, default=1.5,
                        help="about how long the timed speed probe trains; 0 = no probe (default 1.5)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of lines")
    parser.set_defaults(run=_cmd_plan)


def _corpus_cache_dir(args):
    """The encoded-corpus cache of train/plan: --cache-dir, the default one, or None (--no-cache)."""
    if args.no_cache:
        return None
    from cbow.cache import default_cache_dir

    return args.cache_dir if args.cache_dir is not None else default_cache_dir()


def _cmd_plan(args) -> int:
    import json

    from cbow.plan import format_plan, make_plan

    if args.corpus is None:
        raise ConfigError("no corpus to plan for; give CORPUS (a file, directory, or - for stdin)")
    config = _train_config(args)
    # getattr: `cbow train --plan` calls this with train's namespace, which lacks plan's own flags
    plan = make_plan(args.corpus, config, probe_seconds=getattr(args, "probe_seconds", 1.5),
                     progress=not args.quiet and sys.stderr.isatty(), cache_dir=_corpus_cache_dir(args))
    if getattr(args, "json", False):
        print(json.dumps(plan.to_dict(), indent=2))
    else:
        for line in format_plan(plan, args.corpus):
            print(line)
    return 0


# -- main ----------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=PROG, allow_abbrev=False,
                     description="CBOW word vectors with hand-derived gradients (numpy/scipy).",
                     epilog="run 'cbow COMMAND --help' for the options of a command")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for add in (_add_train, _add_similar, _add_analogy, _add_evaluate, _add_query, _add_convert, _add_plot,
                _add_datasets, _add_vocab, _add_gradcheck, _add_compare, _add_plan):
        add(subparsers)
    for subparser in subparsers.choices.values():
        subparser.allow_abbrev = False
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of `cbow` and `python -m cbow`; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help(sys.stderr)
        return 2
    logging.basicConfig(level=logging.WARNING, format=f"{PROG} {args.command}: %(message)s")
    try:
        return args.run(args)
    except CbowError as exc:
        print(f"{PROG} {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{PROG} {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `cbow similar ... | head`
        return 0
