"""The `cbow` command line: argparse in, library calls, results out.

Each command is a pair: `_add_<cmd>(subparsers)` declares its arguments and
`_cmd_<cmd>(args) -> int` calls the library and prints. The pairs live in one module per
command group, registered in `build_parser()` here:

    args.py           argument types (positive_int, word_count, ...), the one-line-error
                      parser, the output-directory check, the VECTORS argument
    train.py          train: a run, --resume
    train_flags.py    train's (and plan's) flags, in groups, and the TrainConfig they make
    train_run.py      the corpus in memory or memory-mapped, checkpoints, saving the outputs
    train_reports.py  the run's callbacks: epoch and held-out lines, --eval; the demo's neighbours
    plan.py           plan (= train --plan)
    vectors.py        similar, analogy, query (the prompt), convert
    model.py          predict, score: what a whole model (.cbow with W_out) says of contexts and sentences
    evaluate.py       evaluate, compare
    explore.py        explore: the local web page (cbow.explore)
    plot.py, datasets.py, vocab.py, phrases.py, gradcheck.py   one command each

Only this package prints: results to stdout (tab-separated, pipe-friendly), progress and
logs to stderr. A `CbowError` becomes one line `cbow <cmd>: error: <message>` and exit
status 2; any other exception is a bug and keeps its traceback.
"""

from __future__ import annotations

import argparse
import logging
import sys

from cbow.cli.args import (
    PROG, WrappedHelpFormatter, _Parser, duration, non_negative_float, non_negative_int, normalize_flag_spelling,
    positive_float, positive_int, unrecognized_error, word_count,
)
from cbow.cli.datasets import _add_datasets
from cbow.cli.evaluate import _add_compare, _add_evaluate
from cbow.cli.explore import _add_explore
from cbow.cli.gradcheck import _add_gradcheck
from cbow.cli.model import _add_predict, _add_score
from cbow.cli.phrases import _add_phrases
from cbow.cli.plan import _add_plan
from cbow.cli.plot import _add_plot
from cbow.cli.train import _add_train
from cbow.cli.vectors import _add_analogy, _add_convert, _add_query, _add_similar
from cbow.cli.vocab import _add_vocab
from cbow.errors import CbowError
from cbow.interrupts import sigterm_raises_interrupt
from cbow.wording import flag_names

__all__ = [
    "PROG", "build_parser", "duration", "main", "non_negative_float", "non_negative_int", "positive_float",
    "positive_int", "word_count",
]


def build_parser() -> argparse.ArgumentParser:
    """The `cbow` parser with every command registered (one `_add_<cmd>` call each)."""
    parser = _Parser(prog=PROG, allow_abbrev=False,
                     description="CBOW word vectors with hand-derived gradients (numpy/scipy).",
                     epilog="run 'cbow COMMAND --help' for the options of a command")
    from cbow import __version__

    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for add in (_add_train, _add_similar, _add_analogy, _add_evaluate, _add_query, _add_convert, _add_plot,
                _add_datasets, _add_vocab, _add_phrases, _add_gradcheck, _add_compare, _add_plan, _add_predict,
                _add_score, _add_explore):
        add(subparsers)
    for subparser in subparsers.choices.values():
        subparser.allow_abbrev = False
    _wrap_help(parser)
    return parser


def _wrap_help(parser: argparse.ArgumentParser) -> None:
    """`parser` and every parser below it format their help with WrappedHelpFormatter."""
    parser.formatter_class = WrappedHelpFormatter
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for subparser in action.choices.values():
                _wrap_help(subparser)


def main(argv: list[str] | None = None) -> int:
    """Entry point of `cbow` and `python -m cbow`; returns the exit status."""
    parser = build_parser()
    argv = normalize_flag_spelling(sys.argv[1:] if argv is None else list(argv))
    args, extras = parser.parse_known_args(argv)
    if extras:  # one line naming the command, with the closest flag it knows
        commands = next(action for action in parser._actions if isinstance(action, argparse._SubParsersAction))
        command_parser = commands.choices.get(getattr(args, "command", None), parser)
        print(unrecognized_error(command_parser, extras), file=sys.stderr)
        return 2
    if not getattr(args, "run", None):
        parser.print_help(sys.stderr)
        return 2
    logging.basicConfig(level=logging.WARNING, format=f"{PROG} {args.command}: %(message)s")
    restore_sigterm = sigterm_raises_interrupt()  # kill / timeout / a scheduler: as Ctrl-C, cleaned up
    try:
        with flag_names():  # messages name settings by their flags (cbow.wording)
            return args.run(args)
    except CbowError as exc:
        print(f"{PROG} {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{PROG} {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `cbow similar ... | head`
        return 0
    finally:
        restore_sigterm()
