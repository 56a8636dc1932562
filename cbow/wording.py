"""Counts in messages: "1 time", "2 times", "12,000 words", so no message says "occurs 1 times"."""

from __future__ import annotations


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """`n` with thousands separators and `noun` in agreement with it.

    Parameters
    ----------
    n : int
        The count.
    noun : str
        The singular form ("time", "word").
    plural : str, optional
        The plural form when it is not `noun` + "s" ("entries").

    Returns
    -------
    str
        ``"1 time"``, ``"0 times"``, ``"12,000 words"``.
    """
    n = int(n)
    return f"{n:,} {noun if n == 1 else plural or noun + 's'}"
