"""What every `cbow` command shares: argument types, the parser, output and vectors arguments.

Argument types validate at the edge and name the problem (argparse prefixes the flag);
`_Parser` makes usage errors one line; `_check_output_dir` fails before any work when an
output cannot be written; `_add_vectors_argument` / `_load_vectors` are the VECTORS
positional and its --format of the commands that read vectors.
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import math
import re
import sys
import textwrap
from typing import TYPE_CHECKING

from cbow.errors import CbowError, ConfigError

if TYPE_CHECKING:
    from collections.abc import Iterator

    from cbow.vectors.format_names import OutputFormat

PROG = "cbow"
_DURATION_RE = re.compile(r"\s*([0-9]*\.?[0-9]+)\s*(s|sec|m|min|h|hr)?\s*", re.IGNORECASE)
_UNIT_SECONDS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "hr": 3600}


class _Parser(argparse.ArgumentParser):
    """ArgumentParser whose usage errors are one line (exit status 2, as argparse), with a
    "did you mean" for a mistyped choice."""

    def error(self, message: str) -> None:  # type: ignore[override]
        sys.stderr.write(f"{self.prog}: error: {message}{_choice_hint(message)} (see {self.prog} --help)\n")
        raise SystemExit(2)


class WrappedHelpFormatter(argparse.HelpFormatter):
    """Help whose prose wraps to the terminal's width, as argparse wraps each option's help,
    while indented lines (examples, formulas, the query prompt's commands) stay as written
    and blank lines still part paragraphs. Every command's parser uses it (`build_parser`)."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        lines: list[str] = []
        prose: list[str] = []

        def flush() -> None:
            if prose:
                lines.append(textwrap.fill(" ".join(prose), max(width, 20), initial_indent=indent,
                                           subsequent_indent=indent))
                prose.clear()

        for line in text.splitlines():
            if not line.strip() or line[0].isspace():
                flush()
                lines.append(indent + line if line.strip() else "")
            else:
                prose.append(line.strip())
        flush()
        return "\n".join(lines)


@contextlib.contextmanager
def noting_overwrite(command: str, path) -> Iterator[None]:
    """Around the writing of an output: once it is written, say on stderr when it replaced
    an existing file ("cbow vocab: overwrote vocab.tsv"), as every command does."""
    from cbow.atomic import replaces_existing

    overwriting = replaces_existing(path)
    yield
    if overwriting:
        print(f"{PROG} {command}: overwrote {path}", file=sys.stderr)


def _choice_hint(message: str) -> str:
    """'; did you mean 'train'?' for argparse's "invalid choice: 'trian' (choose from ...)"."""
    match = re.search(r"invalid choice: '([^']*)' \(choose from (.*)\)", message)
    if not match:
        return ""
    choices = re.findall(r"'([^']*)'", match.group(2))
    close = difflib.get_close_matches(match.group(1), choices, n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


def normalize_flag_spelling(argv: list[str]) -> list[str]:
    """gensim's spellings of our flags: '--min_count 3' is '--min-count 3' ('--vector_size',
    '--max_final_vocab', ...). No flag of ours has an underscore, so the rewrite is safe;
    values, and anything after '--', are left alone."""
    normalized = []
    for index, token in enumerate(argv):
        if token == "--":
            return normalized + argv[index:]
        if token.startswith("--") and "_" in token.split("=", 1)[0]:
            name, equals, value = token.partition("=")
            token = name.replace("_", "-") + equals + value
        normalized.append(token)
    return normalized


def unrecognized_error(command_parser: argparse.ArgumentParser, extras: list[str]) -> str:
    """The one line for flags a command does not know, with the closest one it does."""
    primary = {option: action.option_strings[0] for action in command_parser._actions
               for option in action.option_strings}  # an alias suggests the flag's own name
    hints = []
    for token in extras:
        if token.startswith("-"):
            close = difflib.get_close_matches(token.split("=", 1)[0], list(primary), n=1, cutoff=0.6)
            if close:
                hints.append(f"did you mean {primary[close[0]]}?")
    word = "argument" if len(extras) == 1 else "arguments"
    return (f"{command_parser.prog}: error: unrecognized {word}: {' '.join(extras)}"
            f"{'; ' + ' '.join(hints) if hints else ''} (see {command_parser.prog} --help)")


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


def finite_float(text: str) -> float:
    value = _number(text, float)
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a finite number, got {text}")
    return value


def parse_duration(text: str) -> float:
    """Seconds in '30s', '10m', '1h', '90' (seconds) or '0' (off).

    Raises
    ------
    ValueError : not a duration; the message says what is accepted
    """
    match = _DURATION_RE.fullmatch(text)
    if not match:
        raise ValueError(f"expected a duration such as 30s, 10m or 1h, got {text!r}")
    value, unit = float(match.group(1)), (match.group(2) or "s").lower()
    return value * _UNIT_SECONDS[unit]


def duration(text: str) -> float:
    try:
        return parse_duration(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def parse_fraction(text: str) -> float:
    """'0.5%' -> 0.005, '0.01' -> 0.01 (the `--holdout` flag); must lie in (0, 0.5]."""
    stripped = text.strip()
    try:
        value = float(stripped[:-1]) / 100 if stripped.endswith("%") else float(stripped)
    except ValueError:
        raise ConfigError(f"--holdout {text}: expected a fraction such as 0.005 or 0.5%") from None
    if not (0 < value <= 0.5):
        raise ConfigError(f"--holdout {text}: must lie in (0, 50%]; e.g. --holdout 0.5%")
    return value


def _fraction(text: str) -> float:
    """'0.5%' or '0.005' (--holdout)."""
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


def unit_interval(text: str) -> float:
    value = _number(text, float)
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"must lie in [0, 1], got {text}")
    return value


def _open_unit_interval(text: str) -> float:
    value = _number(text, float)
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"must lie strictly between 0 and 1, got {text}")
    return value


def _number(text: str, kind):
    try:
        return kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {'an integer' if kind is int else 'a number'}, got {text!r}") from None


def _check_output_dir(output: str) -> None:
    """Fail before training, not after, when the output cannot be written (missing directory,
    a directory where a file goes; a .cbow output may replace an existing cbow directory).
    Symlinks are checked at their target; "-", devices and FIFOs are written straight."""
    from cbow.atomic import check_writable
    from cbow.vectors import cbowformat

    check_writable(output, directory_ok=output.lower().endswith(".cbow") or cbowformat.is_cbow_dir(output))


def check_train_output(output: str, binary: int | None = None) -> OutputFormat:
    """`cbow train -o OUTPUT [--binary 0|1]`: the OutputFormat to write, checked before training.

    The format comes from OUTPUT's name (cbow.vectors.format_names: .bin, .txt/.vec, .glove,
    .cbow, .tsv, + .gz; "-" = standard output), or --binary for word2vec binary/text; an
    unknown name, a contradiction (.cbow with --binary) or an unwritable path fails here, in
    one line, instead of after the run.
    """
    from cbow.vectors.formats import check_output_format

    return check_output_format(output, binary=None if binary is None else bool(binary),
                               naming="--binary 1 (word2vec binary) or --binary 0 (text)")


def add_reading_arguments(parser, max_types_help: str) -> None:
    """How the commands that read a corpus (train, vocab, phrases) read it: --tokenizer,
    --encoding-errors and --max-types-in-memory (`max_types_help`: what is held, and when)."""
    parser.add_argument("--tokenizer", choices=["default", "whitespace"], default="default",
                        help="default: lowercase, split on non-letters; whitespace: split on whitespace only")
    parser.add_argument("--encoding-errors", choices=["strict", "replace"], default="strict",
                        help="bytes that are not UTF-8: strict stops naming the line, replace reads them as "
                             "U+FFFD (default strict)")
    parser.add_argument("--max-types-in-memory", type=positive_int, default=None, help=max_types_help)


def _add_vectors_argument(parser) -> None:
    parser.add_argument("vectors", help="vectors file: word2vec binary/text, fastText .bin (any word: n-grams) "
                                        "or .vec, GloVe .txt, or .cbow directory")
    parser.add_argument("--format", dest="vectors_format", default=None,
                        help="force the input format: word2vec, word2vec-text, glove, cbow, fasttext-bin "
                             "(default: detected)")


def _load_vectors(args):
    """The VECTORS argument loaded (memory-mapped where the format allows): SubwordKeyedVectors
    for a file with n-gram vectors (a fastText .bin), else KeyedVectors."""
    from cbow.vectors.subword_keyed import load

    return load(args.vectors, mmap="r", format=args.vectors_format)
