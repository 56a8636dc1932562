"""Every command's --help fits the terminal: prose wraps to its width, examples stay as written."""

import argparse

import pytest

from cbow.cli import build_parser


def _parsers():
    parser = build_parser()
    commands = next(action for action in parser._actions if isinstance(action, argparse._SubParsersAction))
    return [("cbow", parser), *commands.choices.items()]


@pytest.mark.parametrize("columns", [60, 100])
def test_help_wraps_its_prose_to_the_terminal_width(monkeypatch, columns):
    """Descriptions and epilogs (lines of 432 characters before); argparse wraps the rest."""
    monkeypatch.setenv("COLUMNS", str(columns))
    for name, parser in _parsers():
        verbatim = {line for text in (parser.description, parser.epilog) if text
                    for line in text.splitlines() if line[:1].isspace()}
        for text in (parser.description, parser.epilog):
            if not text:
                continue
            formatter = parser._get_formatter()
            formatter.add_text(text)
            block = formatter.format_help().strip("\n")
            assert block in parser.format_help()  # what --help shows
            for line in block.splitlines():
                assert len(line) <= columns - 2 or line in verbatim, (name, line)


def test_indented_lines_and_paragraphs_are_kept():
    from cbow.cli.args import WrappedHelpFormatter

    formatter = WrappedHelpFormatter("cbow", width=40)
    text = "A first paragraph that is long enough to need\nmore than one line here.\n\n    score = a / b\n\nexample:\n  cbow x"
    filled = formatter._fill_text(text, 40, "")
    assert filled.splitlines() == ["A first paragraph that is long enough to", "need more than one line here.", "",
                                   "    score = a / b", "", "example:", "  cbow x"]
