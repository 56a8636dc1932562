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

    def report_epoch(report) -> None:
        if not args.quiet:
            print(f"epoch {report.epoch}/{config.epochs}: mean loss {report.mean_loss:.4f}, "
                  f"{report.words_per_second:,.0f} words/s, {report.seconds:.1f} s", file=sys.stderr)

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
    parser.add_argument("vectors_a", help="first vectors file (word2vec binary or text)")
    parser.add_argument("vectors_b", help="second vectors file")
    parser.add_argument("--analogies", nargs="*", default=[], help="analogy files (questions-words format)")
    parser.add_argument("--pairs", nargs="*", default=[], help="word-pair files (word1 word2 score)")
    parser.add_argument("--restrict-vocab", type=positive_int, default=30000,
                        help="analogies: search only the N most frequent words of each model (default 30000)")
    parser.add_argument("--n-boot", "--bootstrap", dest="n_boot", type=positive_int, default=2000,
                        help="bootstrap resamples and permutations (default 2000)")
    parser.add_argument("--confidence", type=_open_unit_interval, default=0.95,
                        help="level of the interval of a - b (default 0.95)")
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
    from cbow.vectors import KeyedVectors

    if not args.analogies and not args.pairs:
        raise ConfigError("nothing to compare on; give --analogies FILE and/or --pairs FILE")
    kv_a = KeyedVectors.load(args.vectors_a)
    kv_b = KeyedVectors.load(args.vectors_b)
    comparisons = compare_vectors(kv_a, kv_b, args.analogies, args.pairs, restrict_vocab=args.restrict_vocab,
                                  n_boot=args.n_boot, confidence=args.confidence, seed=args.seed)
    if args.json:
        print(json.dumps({"a": args.vectors_a, "b": args.vectors_b,
                          "comparisons": [c.to_dict() for c in comparisons]}, indent=2))
    else:
        for line in format_table(comparisons, args.vectors_a, args.vectors_b):
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


def _cmd_plan(args) -> int:
    import json

    from cbow.plan import format_plan, make_plan

    if args.corpus is None:
        raise ConfigError("no corpus to plan for; give CORPUS (a file, directory, or - for stdin)")
    config = _train_config(args)
    # getattr: `cbow train --plan` calls this with train's namespace, which lacks plan's own flags
    plan = make_plan(args.corpus, config, probe_seconds=getattr(args, "probe_seconds", 1.5),
                     progress=not args.quiet and sys.stderr.isatty())
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
    for add in (_add_train, _add_similar, _add_evaluate, _add_gradcheck, _add_compare, _add_plan):
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
