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


def _number(text: str, kind):
    try:
        return kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {'an integer' if kind is int else 'a number'}, got {text!r}") from None


# -- train ---------------------------------------------------------------------------------
TRAIN_EXAMPLE = (
    "example:\n"
    "  cbow train                      # the built-in demo corpus: neighbours and analogies\n"
    "  cbow train corpus.txt.gz -o vectors.bin --size 100 --window 5 --negative 5 --epochs 5"
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
    parser.add_argument("--batch-size", type=positive_int, default=defaults.batch_size,
                        help=f"examples per minibatch (default {defaults.batch_size})")
    parser.add_argument("--seed", type=non_negative_int, default=defaults.seed,
                        help=f"random seed; the same seed reproduces a run bit for bit (default {defaults.seed})")
    parser.add_argument("--clip-grad", type=positive_float, default=None,
                        help="clip each example's gradient to this L2 norm (default: off)")
    parser.add_argument("--tokenizer", choices=["default", "whitespace"], default=defaults.tokenizer,
                        help="default: lowercase, split on non-letters; whitespace: split on whitespace only")
    parser.add_argument("--max-sentence-length", type=positive_int, default=defaults.max_sentence_length,
                        help=f"split longer lines into sentences of this many tokens (default {defaults.max_sentence_length})")
    parser.add_argument("--binary", type=int, choices=[0, 1], default=None,
                        help="1: word2vec binary, 0: text (default: by the output's suffix)")
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
        batch_size=args.batch_size, seed=args.seed, clip_grad=args.clip_grad,
        tokenizer=args.tokenizer, max_sentence_length=args.max_sentence_length,
    )


def _cmd_train(args) -> int:
    from cbow.train import train

    config = _train_config(args)
    demo = args.corpus is None
    output = args.output if args.output is not None else (None if demo else "vectors.bin")
    if output is not None:
        _check_output_dir(output)
    if demo:
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
        from cbow.training_log import TrainingLog, log_path_for

        log = TrainingLog(log_path_for(output))

    def report_epoch(report) -> None:
        from cbow.training_log import add_scores, epoch_record

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
            scores_text = "".join(f"; {text}" for text in shown)
            print(f"epoch {report.epoch}/{config.epochs}: mean loss {report.mean_loss:.4f}, "
                  f"{report.words_per_second:,.0f} words/s, {report.seconds:.1f} s{scores_text}", file=sys.stderr)

    result = train(source, config, progress=show_progress, on_epoch_end=report_epoch)
    wv = result.wv
    if output is not None:
        binary = None if args.binary is None else bool(args.binary)
        wv.save_word2vec_format(output, binary=binary)
        print(f"saved {len(wv):,} vectors of size {wv.vector_size} to {output}", file=sys.stderr)
    if demo:
        _show_demo(wv)
        if output is None:
            print("(vectors not saved; add -o vectors.bin to keep them)", file=sys.stderr)
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


# -- similar -------------------------------------------------------------------------------
def _add_similar(subparsers) -> None:
    parser = subparsers.add_parser(
        "similar", help="nearest neighbours of words by cosine similarity",
        epilog="example:\n  cbow similar vectors.bin king queen --topn 10",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("vectors", help="vectors file (word2vec binary or text)")
    parser.add_argument("words", nargs="+", help="query words")
    parser.add_argument("--topn", type=positive_int, default=10, help="neighbours per word (default 10)")
    parser.set_defaults(run=_cmd_similar)


def _cmd_similar(args) -> int:
    from cbow.vectors import KeyedVectors

    kv = KeyedVectors.load(args.vectors)
    for word in args.words:
        for neighbour, score in kv.most_similar(word, topn=args.topn):
            print(f"{word}\t{neighbour}\t{score:.4f}")
    return 0


# -- evaluate ------------------------------------------------------------------------------
def _add_evaluate(subparsers) -> None:
    parser = subparsers.add_parser(
        "evaluate", help="analogy accuracy and word-pair correlations",
        epilog="example:\n  cbow evaluate vectors.bin --analogies questions-words.txt --pairs wordsim353.tsv",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("vectors", help="vectors file (word2vec binary or text)")
    parser.add_argument("--analogies", nargs="*", default=[], help="analogy files (questions-words format)")
    parser.add_argument("--pairs", nargs="*", default=[], help="word-pair files (word1 word2 score)")
    parser.add_argument("--restrict-vocab", type=positive_int, default=30000,
                        help="analogies: search only the N most frequent words (default 30000)")
    parser.set_defaults(run=_cmd_evaluate)


def _cmd_evaluate(args) -> int:
    from cbow.evaluate import evaluate_word_analogies, evaluate_word_pairs
    from cbow.vectors import KeyedVectors

    if not args.analogies and not args.pairs:
        raise ConfigError("nothing to evaluate; give --analogies FILE and/or --pairs FILE")
    kv = KeyedVectors.load(args.vectors)
    for path in args.analogies:
        result = evaluate_word_analogies(kv, path, restrict_vocab=args.restrict_vocab)
        for section in result.sections:
            print(f"{path}\t{section.name}\t{section.accuracy:.4f}\t{section.correct}/{section.total}\tskipped {section.skipped}")
        print(f"{path}\ttotal\t{result.accuracy:.4f}\t{result.correct}/{result.total}\tskipped {result.skipped}")
    for path in args.pairs:
        pairs = evaluate_word_pairs(kv, path)
        print(f"{path}\tspearman {pairs.spearman:.4f}\tpearson {pairs.pearson:.4f}\t"
              f"oov {100 * pairs.oov_ratio:.1f}%")
    return 0


# -- main ----------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=PROG, allow_abbrev=False,
                     description="CBOW word vectors with hand-derived gradients (numpy/scipy).",
                     epilog="run 'cbow COMMAND --help' for the options of a command")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for add in (_add_train, _add_similar, _add_evaluate):
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
