"""Phrase tables: saved and read back exactly; a damaged file is a FormatError naming its line."""

import pytest

from cbow.data.phrase_table import HEADER, Phrase, PhraseTable, load_phrase_table, phrase_token, save_phrase_table
from cbow.data.phrases import PhraseSettings, apply_phrases, learn_phrases
from cbow.errors import FormatError
from test_phrases import planted_trigram_lines


def test_a_learned_table_round_trips_bit_for_bit(tmp_path):
    lines = planted_trigram_lines(n_sentences=2000, seed=3)
    table = learn_phrases(lines, PhraseSettings((50.0, 50.0), min_count=3))
    assert len(table.passes[1]) >= 1
    path = tmp_path / "phrases.tsv"
    save_phrase_table(table, path)
    loaded = load_phrase_table(path)
    assert loaded == table  # same pairs, counts and scores (repr keeps every bit) per pass
    assert loaded.description.startswith("passes=2 threshold=50,50 min_count=3")
    sentences = [line.split() for line in lines]
    assert [apply_phrases(s, loaded) for s in sentences] == [apply_phrases(s, table) for s in sentences]


def test_rows_are_by_pass_then_score():
    table = PhraseTable(({"a b": Phrase(5, 120.0), "c d": Phrase(9, 300.0)}, {"a_b c": Phrase(6, 150.0)}))
    assert [(pass_no, pair) for pass_no, pair, _ in table.rows()] == [(1, "c d"), (1, "a b"), (2, "a_b c")]
    assert len(table) == 3 and phrase_token("a_b c") == "a_b_c"


def test_a_hand_written_table_without_comment_reads(tmp_path):
    path = tmp_path / "t.tsv"
    path.write_text(f"{HEADER}\r\nnew york\t12\t150.5\t1\r\n\r\nnew_york times\t6\t101\t2\r\n", encoding="utf-8")
    table = load_phrase_table(path)
    assert table.passes == ({"new york": Phrase(12, 150.5)}, {"new_york times": Phrase(6, 101.0)})
    # a pass that found nothing stays in place
    path.write_text("a b\t5\t120\t2\n", encoding="utf-8")
    assert load_phrase_table(path).passes == ({}, {"a b": Phrase(5, 120.0)})


@pytest.mark.parametrize("row, message", [
    ("new york\t12\t150", r"t\.tsv:3: expected 'phrase<TAB>count<TAB>score<TAB>pass'"),
    ("new york city\t12\t150\t1", r"t\.tsv:3: phrase 'new york city' is not two tokens"),
    ("newyork\t12\t150\t1", r"t\.tsv:3: phrase 'newyork' is not two tokens"),
    ("new  york\t12\t150\t1", r"t\.tsv:3: phrase 'new  york' is not two tokens"),
    ("new york\t-3\t150\t1", r"t\.tsv:3: count '-3'"),
    ("new york\t12\tnan\t1", r"t\.tsv:3: score 'nan'"),
    ("new york\t12\tbig\t1", r"t\.tsv:3: score 'big'"),
    ("new york\t12\t150\t0", r"t\.tsv:3: pass '0'"),
    ("new york\t12\t150\t99", r"t\.tsv:3: pass '99'"),
    ("a b\t5\t120\t1", r"t\.tsv:3: phrase 'a b' of pass 1 is listed again \(first on line 2\)"),
])
def test_a_bad_row_names_its_line(tmp_path, row, message):
    path = tmp_path / "t.tsv"
    path.write_text(f"{HEADER}\na b\t5\t120\t1\n{row}\n", encoding="utf-8")
    with pytest.raises(FormatError, match=message) as error:
        load_phrase_table(path)
    assert "\n" not in str(error.value) and "cbow phrases" in str(error.value)


def test_unreadable_files_are_format_errors(tmp_path):
    with pytest.raises(FormatError, match="no such file"):
        load_phrase_table(tmp_path / "missing.tsv")
    path = tmp_path / "t.tsv"
    path.write_bytes(HEADER.encode() + b"\na b\t5\t1\t1\ncaf\xe9 x\t1\t1\t1\n")  # Latin-1, not UTF-8
    with pytest.raises(FormatError, match=r"t\.tsv:3: not UTF-8"):
        load_phrase_table(path)
    path.write_text("\n\n", encoding="utf-8")
    with pytest.raises(FormatError, match="holds neither a header nor phrases"):
        load_phrase_table(path)


def test_a_table_that_found_nothing_reads_back_empty(tmp_path):
    path = tmp_path / "t.tsv"
    save_phrase_table(PhraseTable(({},), "threshold=1e9"), path)
    table = load_phrase_table(path)
    assert len(table) == 0 and apply_phrases(["a", "b"], table) == ["a", "b"]
