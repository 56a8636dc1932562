"""`cbow plot`: a labelled 2-D PCA map of words (needs the 'plot' extra)."""

from __future__ import annotations

import argparse
import sys

from cbow.cli.args import _add_vectors_argument, _check_output_dir, _load_vectors, noting_overwrite, positive_int
from cbow.errors import ConfigError


def _add_plot(subparsers) -> None:
    parser = subparsers.add_parser(
        "plot", help="draw a labelled 2-D PCA map of words (needs the 'plot' extra)",
        epilog="example:\n  cbow plot vectors.bin paris france berlin germany -o map.png --pairs\n"
               "  cbow plot vectors.bin --top 60 -o top.png",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_vectors_argument(parser)
    parser.add_argument("words", nargs="*", help="words to draw")
    parser.add_argument("--topn", "--top", dest="top", type=positive_int, default=None, help="also draw the N most frequent words")
    parser.add_argument("--pairs", action="store_true", help="draw arrows from word 1 to 2, 3 to 4, ...")
    parser.add_argument("-o", "--output", default="words.png", help="image file: .png, .svg or .pdf (default words.png)")
    parser.add_argument("--title", default=None, help="figure title")
    parser.set_defaults(run=_cmd_plot)


def _cmd_plot(args) -> int:
    from cbow.vectors.plot import _figure_module, plot_words

    _figure_module()  # fail before loading vectors when matplotlib is missing
    _check_output_dir(args.output)
    kv = _load_vectors(args)
    words = list(dict.fromkeys(args.words + (kv.index_to_key[: args.top] if args.top else [])))
    if not words:
        raise ConfigError("nothing to draw; name words or give --top N")
    with noting_overwrite("plot", args.output):
        plot_words(words, kv[words], args.output, pairs=args.pairs, title=args.title)
    print(f"drew {len(words)} words to {args.output}", file=sys.stderr)
    return 0
