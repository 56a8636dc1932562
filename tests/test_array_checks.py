"""Arrays entering from our own files are checked where they enter (issue 27, items 1 and 9).

cbow.data.array_checks is the one set of checks; these tests drive it directly and through
the readers of .cbow directories (vectors and whole models) and `cbow.train(init=...)`.
"""

from __future__ import annotations

import json
import os
from dataclasses import replace

import numpy as np
import pytest

from cbow.corpora import planted
from cbow.data.array_checks import ArrayProblem, check_finite, check_ids, check_matrix, check_offsets, check_vector
from cbow.errors import ConfigError, FormatError
from cbow.training.config import TrainConfig
from cbow.training.full_model import load_model
from cbow.training.loop import train
from cbow.vectors.keyed import KeyedVectors


@pytest.fixture(scope="module")
def lines():
    return list(planted.generate_lines(n_sentences=600, seed=6))


@pytest.fixture(scope="module")
def model(lines):
    return train(lines, TrainConfig(size=8, window=2, min_count=3, epochs=1, workers=1))


def test_check_matrix_refuses_what_the_kernels_cannot_take():
    good = np.zeros((4, 3), dtype=np.float32)
    check_matrix(good, "W_in", (4, 3))
    for matrix, fragment in [(good.astype(np.float64), "holds float64"), (good.astype(np.int32), "holds int32"),
                             (good.astype(">f4"), "holds big-endian float32"), (good[:3], "shape (3, 3)"),
                             (np.zeros((5, 3), np.float32), "shape (5, 3)"),
                             (np.asfortranarray(np.zeros((4, 3), np.float32)), "C (row-major) order")]:
        with pytest.raises(ArrayProblem, match=fragment.replace("(", r"\(").replace(")", r"\)")):
            check_matrix(matrix, "W_in", (4, 3))


def test_check_ids_and_offsets(monkeypatch):
    import cbow.data.array_checks as array_checks

    monkeypatch.setattr(array_checks, "CHUNK", 4)  # several chunks, and a fall across their boundary
    ids = np.array([0, 1, 2, 3, 4, 0, 1, 2, 3, 4], dtype=np.int32)
    check_ids(ids, 5)
    with pytest.raises(ArrayProblem, match="id 4 at position 4 is outside the vocabulary of 4 words"):
        check_ids(ids, 4)
    with pytest.raises(ArrayProblem, match="id -7 at position 9"):
        check_ids(np.array([*ids[:-1], -7], dtype=np.int32), 5)
    with pytest.raises(ArrayProblem, match="holds int64"):
        check_ids(ids.astype(np.int64), 5)
    check_offsets(np.array([0, 2, 2, 5, 7, 7, 10], dtype=np.int64), 10)  # empty sentences are no danger
    with pytest.raises(ArrayProblem, match="sentence 4 starts before the one before it"):
        check_offsets(np.array([0, 2, 3, 5, 4, 8, 10], dtype=np.int64), 10)
    with pytest.raises(ArrayProblem, match="run from 0 to 11, expected 0 to 10"):
        check_offsets(np.array([0, 5, 11], dtype=np.int64), 10)
    with pytest.raises(ArrayProblem, match="holds? int32"):
        check_offsets(np.array([0, 5, 10], dtype=np.int32), 10)


def test_check_vector_and_finite():
    check_vector(np.ones(3, dtype=np.int64), "counts", 3, "i")
    with pytest.raises(ArrayProblem, match="holds float64, not signed integers"):
        check_vector(np.ones(3), "counts", 3, "i")
    with pytest.raises(ArrayProblem, match=r"shape \(4,\), expected \(3,\)"):
        check_vector(np.ones(4, dtype=bool), "frozen_rows", 3, "b")
    matrix = np.zeros((6, 2), dtype=np.float32)
    matrix[4, 1] = np.inf
    with pytest.raises(ArrayProblem, match="the vector of 'e' holds NaN or inf"):
        check_finite(matrix, "W_in", list("abcdef"))


def _edit_vocab_json(directory, change) -> None:
    path = directory / "vocab.json"
    meta = json.loads(path.read_text(encoding="utf-8"))
    change(meta)
    path.write_text(json.dumps(meta), encoding="utf-8")


@pytest.mark.parametrize("name", ["../W_out.npy", "/tmp/W_out.npy", "sub/W_out.npy", "W_out.txt", 7])
def test_a_model_naming_a_matrix_outside_its_directory_is_refused(model, tmp_path, name):
    """vocab.json names W_out: an absolute path or ../ must not read a file elsewhere."""
    model.save(tmp_path / "m.cbow")
    np.save(tmp_path / "W_out.npy", np.asarray(model.W_out))  # what ../W_out.npy would find
    _edit_vocab_json(tmp_path / "m.cbow", lambda meta: meta["model"].__setitem__("W_out", name))
    with pytest.raises(FormatError, match="not a .npy file of its own directory" if name != 7 else "disagrees"):
        load_model(tmp_path / "m.cbow")


def test_a_matrix_linked_from_outside_the_directory_is_refused(model, tmp_path):
    model.save(tmp_path / "m.cbow")
    outside = tmp_path / "elsewhere.npy"
    os.replace(tmp_path / "m.cbow" / "W_out.npy", outside)
    os.symlink(outside, tmp_path / "m.cbow" / "W_out.npy")
    with pytest.raises(FormatError, match="a link out of its directory"):
        load_model(tmp_path / "m.cbow")


@pytest.mark.parametrize("mmap", [None, "r"])
def test_a_fortran_order_matrix_is_refused(model, tmp_path, mmap):
    """np.load gives back a matrix saved in Fortran order as it is: the kernels need C order."""
    model.wv.save(tmp_path / "v.cbow")
    np.save(tmp_path / "v.cbow" / "vectors.npy", np.asfortranarray(model.wv.vectors))
    with pytest.raises(FormatError, match=r"vectors.npy: vectors.npy is not stored in C \(row-major\) order"):
        KeyedVectors.load(tmp_path / "v.cbow", mmap=mmap)


def test_a_model_whose_config_size_is_not_its_matrices_is_refused(model, tmp_path):
    model.save(tmp_path / "m.cbow")
    _edit_vocab_json(tmp_path / "m.cbow", lambda meta: meta["config"].__setitem__("size", 9))
    with pytest.raises(FormatError, match="its config has size 9, its matrices 8 columns"):
        load_model(tmp_path / "m.cbow")


def test_a_model_with_a_zero_count_names_its_file(model, tmp_path):
    model.save(tmp_path / "m.cbow")
    _edit_vocab_json(tmp_path / "m.cbow", lambda meta: meta["counts"].__setitem__(-1, 0))
    with pytest.raises(FormatError, match="vocab.json: word .*: count 0"):
        load_model(tmp_path / "m.cbow")


@pytest.mark.parametrize("damage", ["W_out short", "W_out extra", "W_in columns", "W_in ints", "W_out nan"])
def test_init_with_a_hand_built_model_of_bad_arrays_is_one_config_error(model, lines, damage):
    """`cbow.train(init=Model(...))`: a Model built in Python enters training through its arrays."""
    W_in, W_out = np.array(model.W_in), np.array(model.W_out)
    bad = {"W_out short": lambda: replace(model, W_out=W_out[:-5]),
           "W_out extra": lambda: replace(model, W_out=np.vstack([W_out, W_out[:2]])),
           "W_in columns": lambda: replace(model, W_in=W_in[:, :6]),
           "W_in ints": lambda: replace(model, W_in=W_in.astype(np.int32)),
           "W_out nan": lambda: replace(model, W_out=np.where(np.arange(len(W_out))[:, None] == 3, np.nan, W_out))}
    with pytest.raises(ConfigError, match="init: (the model's W_(in|out) is|the model's W_out: row 3 holds NaN)"):
        train(lines, TrainConfig(size=8, window=2, min_count=3, epochs=1, workers=1), init=bad[damage]())
