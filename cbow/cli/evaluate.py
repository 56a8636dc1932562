"""`cbow evaluate` (analogy accuracy, word-pair correlations) and `cbow compare` (a vs b, tested)."""

from __future__ import annotations

import argparse
import contextlib
import sys

from cbow.cli.args import _add_vectors_argument, _load_vectors, _open_unit_interval, non_negative_int, positive_int
from cbow.errors import ConfigError


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
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bar (there is none in a pipe either)")
    parser.set_defaults(run=_cmd_evaluate)


def _cmd_evaluate(args) -> int:
    import json

    from cbow.vectors.datasets import resolve
    from cbow.vectors.evaluate import evaluate_word_analogies, evaluate_word_pairs
    from cbow.vectors.stats import accuracy_ci, spearman_ci

    if not args.analogies and not args.pairs:
        raise ConfigError("nothing to evaluate; give --analogies FILE and/or --pairs FILE")
    analogy_paths = [resolve(p) for p in args.analogies]
    pair_paths = [resolve(p) for p in args.pairs]
    kv = _load_vectors(args)
    report = {"vectors": args.vectors, "analogies": {}, "pairs": {}}
    with _question_bar(args, analogy_paths, 1) as progress:
        analogy_results = [evaluate_word_analogies(kv, path, restrict_vocab=args.restrict_vocab,
                                                   case_insensitive=not args.case_sensitive, progress=progress)
                           for path in analogy_paths]
    for name, result in zip(args.analogies, analogy_results):
        report["analogies"][name] = result.to_dict()
        if args.ci and len(result.outcomes["3CosAdd"]):  # none answered (all OOV): no interval
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
                     f"({_skipped_words(analogies['restrict_vocab'], analogies['vocab_size'])})")
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


def _skipped_words(restrict_vocab: int | None, vocab_size: int) -> str:
    """Why a question was skipped: its words are outside the top N searched, or simply unknown."""
    if restrict_vocab is None or restrict_vocab >= vocab_size:  # every word is searched
        return f"words not in the vocabulary of {vocab_size:,}"
    return f"words outside the top {restrict_vocab:,} of {vocab_size:,}"


def _coverage(answered: int, skipped: int, what: str) -> str:
    """'636/640 questions (99.4%), 4 skipped as OOV'."""
    total = answered + skipped
    return f"{answered:,}/{total:,} {what} ({100 * answered / max(1, total):.1f}%), {skipped:,} skipped as OOV"


def _interval(ci: dict, percent: bool) -> str:
    scale, unit = (100, "%") if percent else (1, "")
    method = ci.get("method", "bootstrap")
    text = (f"{100 * ci['confidence']:.0f}% {method} interval [{scale * ci['low']:.{2 if percent else 3}f}{unit}, "
            f"{scale * ci['high']:.{2 if percent else 3}f}{unit}] over {ci['n']:,}")
    if method == "wilson":
        text += " (every answer the same: no resample could differ, so the Wilson score interval)"
    elif ci["low"] == ci["high"]:  # e.g. constant similarity scores: no resample can differ
        text += " (no spread: every resample scores the same)"
    return text


def _cell(counts: dict) -> str:
    """'  77.1%      185/240': 20 characters, so the percent signs of a column line up."""
    fraction = f"{counts['correct']}/{counts['total']}"
    return f"{100 * counts['accuracy']:6.1f}% {fraction:>12s}"


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
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bar (there is none in a pipe either)")
    parser.set_defaults(run=_cmd_compare)


def _cmd_compare(args) -> int:
    import json

    from cbow.vectors.compare import compare_vectors, format_table
    from cbow.vectors.datasets import resolve
    from cbow.vectors.keyed import KeyedVectors

    if not args.analogies and not args.pairs:
        raise ConfigError("nothing to compare on; give --analogies FILE and/or --pairs FILE")
    analogy_paths = [resolve(p) for p in args.analogies]
    pair_paths = [resolve(p) for p in args.pairs]
    kv_a = KeyedVectors.load(args.vectors_a, mmap="r")
    kv_b = KeyedVectors.load(args.vectors_b, mmap="r")
    method = "3CosMul" if args.cosmul else "3CosAdd"
    with _question_bar(args, analogy_paths, 2) as progress:  # each question is scored by a, then by b
        comparisons = compare_vectors(kv_a, kv_b, analogy_paths, pair_paths, restrict_vocab=args.restrict_vocab,
                                      case_insensitive=not args.case_sensitive, n_boot=args.n_boot,
                                      confidence=args.confidence, seed=args.seed, method=method,
                                      pairs_restrict_vocab=args.pairs_restrict_vocab, progress=progress)
    if args.json:
        print(json.dumps({"a": args.vectors_a, "b": args.vectors_b,
                          "comparisons": [c.to_dict() for c in comparisons]}, indent=2))
    else:
        for line in format_table(comparisons, args.vectors_a, args.vectors_b, args.restrict_vocab,
                                 not args.case_sensitive):
            print(line)
    return 0


@contextlib.contextmanager
def _question_bar(args, analogy_paths, passes: int):
    """A tqdm bar over the analogy questions on stderr, yielding its update function; None
    (no bar) with --quiet, when stderr is not a terminal, or without analogy files."""
    if args.quiet or not analogy_paths or not sys.stderr.isatty():
        yield None
        return
    from tqdm import tqdm

    from cbow.vectors.evaluate import read_analogies

    total = passes * sum(len(questions) for path in analogy_paths for _, questions in read_analogies(path))
    with tqdm(total=total, unit=" questions", file=sys.stderr, leave=False, dynamic_ncols=True) as bar:
        yield bar.update
