"""cbow.vectors.spelling: typed words -> the vocabulary's spelling, strict unless asked; the commands use it."""

import numpy as np
import pytest

from cbow.cli import main
from cbow.vectors import formats
from cbow.vectors.keyed import KeyedVectors, UnknownWordError
from cbow.vectors.spelling import WordResolver, fallback_forms, resolve_word

WORDS = ["king", "queen", "man", "woman", "paris", "ing", "déjà"]
VECTORS = np.array([[1, 1, 0], [1, -1, 0], [0, 1, 0.1], [0, -1, 0.1], [0, 0, 1], [0.3, 0.3, 0.3], [0, 0.2, 1]],
                   dtype=np.float32)


def test_fallback_forms():
    assert fallback_forms("King") == ["king"]
    assert fallback_forms("Paris,") == ["paris,", "paris"]  # the default tokenizer drops the comma
    assert fallback_forms("DÉJÀ") == ["déjà"]
    assert fallback_forms("Straße") == ["straße", "strasse"]  # casefold last
    assert fallback_forms("king's") == []  # two tokens: no single form
    assert fallback_forms("Paris,", tokenizer="whitespace") == ["paris,"]


def test_exact_lookups_stay_strict_and_suggest_the_lowercase():
    kv = KeyedVectors(WORDS, VECTORS)
    with pytest.raises(UnknownWordError) as info:
        kv["King"]
    assert str(info.value) == "word 'King' is not in the vocabulary (7 words); did you mean 'king'?"  # not 'ing'
    assert kv.resolve_key("King") == "king" and kv.resolve_key("Paris,") == "paris"
    assert kv.resolve_key("king") == "king"
    with pytest.raises(UnknownWordError, match="'Kingg'"):
        kv.resolve_key("Kingg")


def test_the_stored_tokenizer_decides_the_tokenizer_form():
    kv = KeyedVectors(["paris", "paris,"], np.eye(2, dtype=np.float32), config={"tokenizer": "whitespace"})
    assert resolve_word(kv, "Paris,") == "paris,"
    kv = KeyedVectors(["paris"], np.eye(1, dtype=np.float32), config={"tokenizer": "whitespace"})
    assert resolve_word(kv, "Paris,") is None


def test_resolver_notes_each_substitution_once():
    resolver = WordResolver(KeyedVectors(WORDS, VECTORS))
    assert [resolver(w) for w in ["King", "king", "King", "nope"]] == ["king", "king", "king", "nope"]
    assert resolver.take_notices() == ["using 'king' for 'King'"]
    assert resolver("King") == "king" and resolver.take_notices() == []


@pytest.fixture
def vectors_file(tmp_path):
    path = tmp_path / "v.bin"
    formats.save_word2vec_format(path, WORDS, VECTORS)
    return path


def test_similar_and_analogy_use_the_lowercase_and_say_so(vectors_file, capsys):
    assert main(["similar", str(vectors_file), "king", "queen", "--topn", "2"]) == 0
    exact = capsys.readouterr().out.splitlines()
    assert main(["similar", str(vectors_file), "King", "Queen", "king", "--topn", "2"]) == 0
    captured = capsys.readouterr()
    lines = captured.out.splitlines()  # labelled with the words as typed
    assert [line.split("\t")[0] for line in lines] == ["King", "King", "Queen", "Queen", "king", "king"]
    assert [line.split("\t", 1)[1] for line in lines] == [line.split("\t", 1)[1] for line in exact + exact[:2]]
    assert captured.err.splitlines() == ["cbow similar: using 'king' for 'King'", "cbow similar: using 'queen' for 'Queen'"]
    assert main(["analogy", str(vectors_file), "Man", "King", "Woman", "--topn", "1"]) == 0
    captured = capsys.readouterr()
    assert captured.out.split("\t")[0] == "queen"
    assert captured.err.count("using 'king' for 'King'") == 1 and "using 'man' for 'Man'" in captured.err
