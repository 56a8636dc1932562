"""`cbow vocab`: count a corpus once, in bounded memory, and write its vocabulary."""

from __future__ import annotations

import argparse
import sys

from cbow.cli.args import _check_output_dir, add_reading_arguments, noting_overwrite, positive_int


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
    add_reading_arguments(parser, "distinct words held while counting before rare ones are pruned, as word2vec "
                                  "does (default 10,000,000)")
    parser.set_defaults(run=_cmd_vocab)


def _cmd_vocab(args) -> int:
    from cbow.data.counting import DEFAULT_MAX_TYPES, build_vocab_bounded

    _check_output_dir(args.output)
    vocab = build_vocab_bounded(args.corpus, args.tokenizer, args.min_count, args.max_vocab,
                                args.max_types_in_memory or DEFAULT_MAX_TYPES, args.encoding_errors)
    with noting_overwrite("vocab", args.output):
        vocab.save(args.output)
    print(f"saved {len(vocab):,} words ({vocab.total_words:,} tokens) to {args.output}", file=sys.stderr)
    return 0
