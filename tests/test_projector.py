"""Export for the TensorFlow Embedding Projector: two aligned TSV tables (issue 18, item 6)."""

import gzip
import io

import numpy as np
import pytest

from cbow import atomic
from cbow.cli import main
from cbow.errors import FormatError, OutputError
from cbow.vectors.keyed import KeyedVectors

WORDS = ["the", "paris", "déjà", "日本", "naïve", "x", "king", "queen"]


@pytest.fixture
def source(tmp_path):
    vectors = np.random.default_rng(3).standard_normal((len(WORDS), 5)).astype(np.float32)
    path = tmp_path / "v.bin"
    KeyedVectors(WORDS, vectors).save(path)
    return path, vectors


def _tables(vectors_bytes: bytes, metadata_bytes: bytes):
    """The two files as the Projector reads them: a float table and one word per row."""
    table = np.loadtxt(io.StringIO(vectors_bytes.decode("utf-8")), delimiter="\t", dtype=np.float64, ndmin=2)
    words = metadata_bytes.decode("utf-8").split("\n")
    assert words[-1] == ""  # each row ends in a newline, no header
    return table, words[:-1]


@pytest.mark.parametrize("limit", [None, 3])
def test_convert_to_tsv_writes_two_aligned_tables(tmp_path, source, capsys, limit):
    path, vectors = source
    argv = ["convert", str(path), str(tmp_path / "out.tsv")] + ([] if limit is None else ["--limit", str(limit)])
    assert main(argv) == 0
    assert "out.metadata.tsv" in capsys.readouterr().err
    table, words = _tables((tmp_path / "out.tsv").read_bytes(), (tmp_path / "out.metadata.tsv").read_bytes())
    n_rows = len(WORDS) if limit is None else limit
    assert table.shape == (n_rows, 5) and len(words) == n_rows
    assert words == WORDS[:n_rows]  # word i on row i
    np.testing.assert_allclose(table, vectors[:n_rows], rtol=1e-5, atol=1e-6)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.metadata.tsv", "out.tsv", "v.bin"]


def test_gzipped_tables_and_save_by_name(tmp_path, source):
    path, vectors = source
    kv = KeyedVectors.load(path)
    assert str(kv.save(tmp_path / "p.tsv.gz")) == "tsv, gzipped"
    table, words = _tables(gzip.decompress((tmp_path / "p.tsv.gz").read_bytes()),
                           gzip.decompress((tmp_path / "p.metadata.tsv.gz").read_bytes()))
    assert words == WORDS and table.shape == vectors.shape


def test_tsv_cannot_go_to_standard_output(source, capsys):
    path, _ = source
    assert main(["convert", str(path), "-", "--to", "tsv"]) == 2
    assert "two files" in capsys.readouterr().err


def test_a_failed_export_replaces_neither_table(tmp_path, source, monkeypatch):
    path, vectors = source
    kv = KeyedVectors.load(path)
    kv.save(tmp_path / "out.tsv")
    before = {name: (tmp_path / name).read_bytes() for name in ("out.tsv", "out.metadata.tsv")}

    def full_disk(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomic.os, "fsync", full_disk)
    with pytest.raises(OutputError, match="No space left"):
        KeyedVectors(WORDS, vectors * 2).save(tmp_path / "out.tsv")
    assert {name: (tmp_path / name).read_bytes() for name in before} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.metadata.tsv", "out.tsv", "v.bin"]


def test_metadata_name_beside_the_vectors(tmp_path):
    from cbow.vectors.projector import metadata_path_for, save_projector_tsv

    assert str(metadata_path_for("runs/out.tsv")) == "runs/out.metadata.tsv"
    assert str(metadata_path_for("out.TSV.gz")) == "out.metadata.tsv.gz"
    with pytest.raises(FormatError, match="holds whitespace"):
        save_projector_tsv(tmp_path / "never.tsv", ["a b"], np.zeros((1, 2)))
    assert not list(tmp_path.iterdir())
