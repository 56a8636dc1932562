"""Errors the user can fix: each message names the place (file:line, word, flag) and the fix.

Library code raises these; `cbow.cli.main` prints them as one line and exits with status 2.
Any other exception is a bug in cbow and keeps its traceback.
"""

from __future__ import annotations


class CbowError(Exception):
    """Base class of every error whose message is meant for the user."""


class ConfigError(CbowError):
    """A setting is out of range or settings contradict each other."""


class CorpusError(CbowError):
    """The training text cannot be read or holds nothing to train on."""


class CorpusTypeError(CorpusError, TypeError):
    """An in-memory corpus holds something that is neither a line (str) nor a list of str
    tokens (a TypeError too, as Python code expects of a wrong type)."""


class VocabError(CbowError):
    """The vocabulary is empty, unusable, or a vocabulary file is malformed."""


class FormatError(CbowError):
    """A vectors file is malformed, truncated or of an unknown format."""


class OutputError(CbowError):
    """An output path cannot be written."""


class Diverged(CbowError):
    """Training produced a NaN or infinite loss or weight."""
