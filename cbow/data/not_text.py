"""Refuse inputs that are not running text: a vectors file given as the corpus, or a vocabulary too small to train.

`cbow train vectors.txt` used to "train" on a word2vec file (its numbers are no words for
the default tokenizer) and save one vector with loss 0. Two checks stop such runs with one
line naming the file and the fix:

- `check_not_vectors` looks at the first bytes of each corpus file (`cbow.data.corpus` calls
  it on the first block it reads, so every reader and every training entry point has it):
  a word2vec header "V d" followed by binary data or by a line "word x1 ... xd", or lines
  that all hold a word and the same number of values (GloVe, fastText .vec without header).
  Values must include a non-integer, so a corpus of integer ids (item2vec-style sessions
  under the whitespace tokenizer) never looks like vectors.
- `check_vocab_size` refuses a vocabulary of fewer than MIN_VOCAB_SIZE words made from a
  corpus (`read_and_encode`, `build_vocab_bounded`): a word list, a table or a mislabelled
  file, or a min_count too high for the text. Neighbours among so few words mean nothing.
  The bar is 5, not 10: what it exists for (a file the tokenizer reduces to one to three
  repeated tokens, such as the 'e' of '1e-05') sits far below either, and the smoke tests'
  toy corpora ("the cat sat on the mat") have 5 to 9 words. Library callers testing the
  reading machinery on smaller toys pass `min_vocab_size=1`.
"""

from __future__ import annotations

import re
from typing import Sequence

from cbow.errors import CorpusError, VocabError
from cbow.wording import counted

MIN_VOCAB_SIZE = 5  # fewer kept words than this is not a corpus worth training on (see above)
_LINES_LOOKED_AT = 5
_NUMBER = re.compile(rb"[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?|[-+]?(?:nan|inf)", re.IGNORECASE)
_FIX = "train on running text (vectors are what training writes; cbow similar, query and convert read them)"


def _values(fields: Sequence[bytes]) -> bool:
    """True when every field is a number and at least one is not an integer (a vector's values)."""
    return all(_NUMBER.fullmatch(field) for field in fields) and any(not field.lstrip(b"+-").isdigit()
                                                                     for field in fields)


def _is_binary(body: bytes, dim: int) -> bool:
    """True when the first record after a header holds a NUL or bytes that are not UTF-8 (float32 data)."""
    record = body[: 4096 + 4 * dim]
    if b"\0" in record:
        return True
    try:
        record.decode("utf-8")
    except UnicodeDecodeError as error:
        return error.start < len(record) - 3  # not merely a character cut at the end
    return False


def describe_vectors(head: bytes) -> str | None:
    """What kind of vectors file `head` (the first whole lines of a file) looks like, or None for text.

    Parameters
    ----------
    head : bytes
        The start of the file, whole lines (a final line without newline is taken as whole).

    Returns
    -------
    str or None
        A description for a message, e.g. "a word2vec text vectors file (header '3 100',
        then a word and 100 values a line)"; None when it may well be text.
    """
    first_end = head.find(b"\n")
    if first_end < 0:
        return None  # one line: nothing to compare; the vocabulary check has the last word
    header = head[:first_end].split()
    if len(header) == 2 and all(part.isdigit() for part in header) and int(header[1]) >= 1:
        shown, dim = f"{int(header[0])} {int(header[1])}", int(header[1])
        body = head[first_end + 1:]
        if _is_binary(body, dim):
            return f"a word2vec binary vectors file (header '{shown}', then binary data)"
        record = body.split(b"\n", 1)[0].split()
        if len(record) == dim + 1 and _values(record[1:]):
            return f"a word2vec text vectors file (header '{shown}', then a word and {dim} values a line)"
        return None
    lines = [line.split() for line in head.split(b"\n", _LINES_LOOKED_AT)[:_LINES_LOOKED_AT] if line.strip()]
    widths = {len(fields) for fields in lines}
    if len(lines) >= 2 and len(widths) == 1 and widths.pop() >= 3 and all(_values(fields[1:]) for fields in lines):
        return f"a vectors file without header (GloVe text: a word and {len(lines[0]) - 1} values a line)"
    return None


def check_not_vectors(head: bytes, name: str) -> None:
    """Raise CorpusError when the corpus file `name`, starting with `head`, looks like a vectors file."""
    kind = describe_vectors(head)
    if kind is not None:
        raise CorpusError(f"{name}:1: looks like {kind}, not a text corpus; {_FIX}")


def check_vocab_size(
    kept_words: Sequence[str],
    n_distinct: int,
    name: str,
    min_count: int,
    max_vocab: int | None = None,
    min_vocab_size: int = MIN_VOCAB_SIZE,
) -> None:
    """Raise VocabError when a corpus yields fewer than `min_vocab_size` vocabulary words.

    Parameters
    ----------
    kept_words : sequence of str
        The vocabulary made from the corpus, most frequent first.
    n_distinct : int
        Distinct tokens in the corpus, before `min_count` and `max_vocab`.
    name : str
        The corpus, put first in the message.
    min_count, max_vocab
        The settings the vocabulary was made with; a `max_vocab` below `min_vocab_size` is
        the user's choice and lowers the bar to it.
    min_vocab_size : int, default MIN_VOCAB_SIZE
        The bar; 1 turns the check off (tests of the reading machinery on toy corpora).

    Raises
    ------
    VocabError
        Too few words: says whether the text has too few distinct words (not a corpus) or
        `min_count` dropped them.
    """
    needed = min(min_vocab_size, max_vocab) if max_vocab is not None else min_vocab_size
    if len(kept_words) >= needed:
        return
    shown = ", ".join(repr(word) for word in kept_words[:5]) + (", ..." if len(kept_words) > 5 else "")
    if n_distinct < needed:
        raise VocabError(
            f"{name}: only {counted(n_distinct, 'distinct word')} ({shown}); word vectors need at least "
            f"{needed}: train on running text, not a word list, a table or a vectors file"
        )
    raise VocabError(
        f"{name}: only {counted(len(kept_words), 'word')} of {n_distinct:,} occur at least "
        f"{counted(min_count, 'time')} ({shown}); word vectors need at least {needed}: lower --min-count "
        "or train on more text"
    )
