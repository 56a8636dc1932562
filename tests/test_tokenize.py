"""Tests of cbow.data.tokenize: the default and whitespace tokenizers and the name lookup."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cbow.errors import ConfigError
from cbow.data.tokenize import (
    TOKENIZERS,
    _tokenize_regex,
    ascii_token_spans,
    get_tokenizer,
    tokenize_default,
    tokenize_whitespace,
)


def test_default_example_from_the_design() -> None:
    assert tokenize_default("Déjà-vu 42 don't") == ["déjà", "vu", "don", "t"]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("The Cat SAT.", ["the", "cat", "sat"]),
        ("", []),
        ("   \t  ", []),
        ("1984 2001: 3.14", []),
        ("route66 a1b2c3", ["route", "a", "b", "c"]),  # digits separate tokens
        ("x² Ⅻ ½ ①y", ["x", "y"]),  # so do other numerals (categories No, Nl)
        ("snake_case", ["snake", "case"]),  # so does the underscore
        ("rock'n'roll o’clock", ["rock", "n", "roll", "o", "clock"]),  # both apostrophes
        ("naïve café ÉCOLE", ["naïve", "café", "école"]),  # accented letters, lowercased
        ("Straße", ["straße"]),
        ("ΣΟΦΙΑ Москва", ["σοφια", "москва"]),  # Greek, Cyrillic
        ("東京 タワー", ["東京", "タワー"]),  # CJK letters (no word segmentation)
        ("a\u00a0b\u2003c", ["a", "b", "c"]),  # non-ASCII spaces
        ("end of line\n", ["end", "of", "line"]),
    ],
)
def test_default_cases(line: str, expected: list[str]) -> None:
    assert tokenize_default(line) == expected


def test_default_keeps_combining_marks_inside_words() -> None:
    # Devanagari vowel signs and virama are marks (Mn/Mc): the words stay whole.
    assert tokenize_default("हिन्दी भाषा") == ["हिन्दी", "भाषा"]
    # Decomposed accents (e + U+0301) stay in the word.
    assert tokenize_default("de\u0301ja\u0300 vu") == ["de\u0301ja\u0300", "vu"]
    # A mark with no letter before it is not a token.
    assert tokenize_default("\u0301 x") == ["x"]


def test_whitespace_keeps_tokens_as_they_are() -> None:
    assert tokenize_whitespace("The  cat,\tsat 42 don't\n") == ["The", "cat,", "sat", "42", "don't"]
    assert tokenize_whitespace("") == []


_TEXT = st.text(
    alphabet=st.one_of(
        st.sampled_from("aZq \t\n\r\x0b\x0c\x1c\x1f'-_.,0123456789"),
        st.characters(codec="ascii"),
        st.sampled_from("éÉßİıΣσςЖж東\u0301\u0915\u093f\u00a0\u2003\u2028ǅⅫ²"),
        st.characters(),
    ),
    max_size=60,
)


@settings(max_examples=500, deadline=None)
@given(_TEXT)
def test_fast_path_equals_regex_path(line: str) -> None:
    assert tokenize_default(line) == _tokenize_regex(line)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="ascii"), max_size=80))
def test_ascii_lines_split_on_every_non_letter(line: str) -> None:
    # Independent statement of the rule for ASCII: maximal runs of [A-Za-z], lowercased.
    expected = "".join(c.lower() if c.isalpha() else " " for c in line).split()
    assert tokenize_default(line) == expected


@settings(max_examples=300, deadline=None)
@given(_TEXT)
def test_tokens_are_maximal_runs_of_letters_and_marks(line: str) -> None:
    lowered = line.lower()
    position = 0
    for token in tokenize_default(line):
        assert token[0].isalpha()
        assert all(c.isalpha() or unicodedata.category(c).startswith("M") for c in token)
        start = lowered.index(token, position)
        # Maximal: the characters around it are not part of a word.
        assert start == 0 or not lowered[start - 1].isalpha()
        end = start + len(token)
        assert end == len(lowered) or not (
            lowered[end].isalpha() or unicodedata.category(lowered[end]).startswith("M")
        )
        position = end
    # Nothing alphabetic is lost between the tokens.
    assert sum(c.isalpha() for c in "".join(tokenize_default(line))) == sum(
        c.isalpha() for c in lowered
    )


def test_get_tokenizer_by_name_and_callable() -> None:
    assert set(TOKENIZERS) == {"default", "whitespace"}
    assert get_tokenizer("default") is tokenize_default
    assert get_tokenizer("whitespace") is tokenize_whitespace

    def custom(line: str) -> list[str]:
        return line.split(",")

    assert get_tokenizer(custom) is custom


def test_get_tokenizer_unknown_name_lists_the_choices() -> None:
    with pytest.raises(ConfigError) as info:
        get_tokenizer("spacy")
    message = str(info.value)
    assert "'spacy'" in message and "'default'" in message and "'whitespace'" in message
    assert "\n" not in message


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from("abcXYZ \t\n\r09_'.-\x00\x7f@[`{"), max_size=120))
def test_ascii_token_spans_equal_the_default_tokenizer(text: str) -> None:
    data = text.encode("ascii")
    starts, ends, line_lengths = ascii_token_spans(data)
    lines = text.split("\n")
    expected = [tokenize_default(line) for line in lines]
    assert [data[a:b].decode().lower() for a, b in zip(starts, ends)] == [
        token for tokens in expected for token in tokens
    ]
    assert line_lengths.tolist() == [len(tokens) for tokens in expected]
