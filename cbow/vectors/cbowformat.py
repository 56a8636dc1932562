"""Our own vectors format: a directory that numpy can memory-map.

    vectors.cbow/
        vectors.npy     (V, d) float32, little-endian, C order: np.load(..., mmap_mode="r")
        vocab.json      {"format": "cbow-vectors", "version": 1, "n_words": V, "dim": d,
                         "words": [...], "counts": [...] or null, "config": {...}}

Vectors with n-grams (cbow.vectors.subword_keyed) add vectors_vocab.npy and
vectors_ngrams.npy and a "subwords" entry; vectors.npy holds the vocabulary's vectors.

A whole model (`cbow train -o NAME.cbow`, `--save-model`; cbow.training.full_model) adds
the output layer, so training can continue and the model can predict:

        W_out.npy       (V, d), or (V-1, d) for hierarchical softmax: float32, memory-mappable
        W_in.npy        only when vectors.npy is not W_in itself (--out-vector-weight)
        vocab.json      + "model": {"W_in": "vectors.npy" or "W_in.npy", "W_out": "W_out.npy",
                                    "objective": ..., "huffman_sha256": ... (HS)}

Readers that do not know "model" (this module's `load`, older cbow) read the vectors as
before and ignore the rest: the version stays 1, and a directory without "model" is a
vectors-only one.

Any Unicode word can be stored (JSON escapes it); counts and the training config travel
with the vectors, so `KeyedVectors.load(path, mmap="r")` gives the same object back
without reading the matrix into memory. The directory is written beside its target
under a temporary name and renamed into place: a reader never sees half of it. A symlink
named as the output is followed: its target is replaced and the link kept.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import stat
import tempfile
from pathlib import Path

import numpy as np

from cbow.atomic import check_writable, current_umask
from cbow.data.array_checks import ArrayProblem, check_finite, check_matrix, describe_dtype
from cbow.errors import FormatError, OutputError

logger = logging.getLogger(__name__)

FORMAT_NAME = "cbow-vectors"
VERSION = 1
MATRIX_FILE = "vectors.npy"
VOCAB_FILE = "vocab.json"


def is_cbow_dir(path: str | Path) -> bool:
    """True when `path` is a directory holding our vocab.json."""
    return Path(path).is_dir() and (Path(path) / VOCAB_FILE).is_file()


def save(path: str | Path, words: list[str], vectors: np.ndarray, counts: np.ndarray | None = None,
         config: dict | None = None, matrices: dict[str, np.ndarray] | None = None,
         model: dict | None = None, subwords: dict | None = None) -> None:
    """Write the directory `path` atomically (replacing an older cbow directory there).

    Parameters
    ----------
    path : directory to create (conventionally NAME.cbow)
    words : V distinct non-empty str
    vectors : (V, d) float array, stored as float32
    counts : (V,) int, optional
    config : JSON-serialisable training settings, optional
    matrices : more float32 matrices, file name -> (n, d) array (a model's W_out.npy,
        W_in.npy), written beside vectors.npy; each must be finite with d columns
    model : JSON-serialisable, stored as vocab.json's "model" (which names the matrices)
    subwords : JSON-serialisable, stored as vocab.json's "subwords": the n-gram settings and
        matrices of vectors with n-grams (cbow.vectors.subword_keyed)

    Raises
    ------
    FormatError : NaN/inf vectors, repeated or empty words, shapes that disagree
    OutputError : the parent directory is missing, or `path` is something else than ours
    """
    path = Path(path)
    vectors = np.ascontiguousarray(vectors, dtype="<f4")
    if vectors.ndim != 2 or vectors.shape[0] != len(words):
        raise FormatError(f"{path}: {len(words)} words but vectors of shape {vectors.shape}")
    if not np.isfinite(vectors).all():
        raise FormatError(f"{path}: the vectors hold NaN or inf; refusing to save them")
    if any(not word for word in words) or len(set(words)) != len(words):
        raise FormatError(f"{path}: the words must be non-empty and distinct")
    if counts is not None and len(counts) != len(words):
        raise FormatError(f"{path}: {len(words)} words but {len(counts)} counts")
    matrices = {name: np.ascontiguousarray(matrix, dtype="<f4") for name, matrix in (matrices or {}).items()}
    for name, matrix in matrices.items():
        if name in (MATRIX_FILE, VOCAB_FILE) or not name.endswith(".npy") or "/" in name:
            raise ValueError(f"matrix file name {name!r}: must be NAME.npy, not {MATRIX_FILE}")
        if matrix.ndim != 2 or matrix.shape[1] != vectors.shape[1]:
            raise FormatError(f"{path}: {name} has shape {matrix.shape}, the vectors {vectors.shape}")
        if not np.isfinite(matrix).all():
            raise FormatError(f"{path}: {name} holds NaN or inf; refusing to save it")
    target = check_writable(path, directory_ok=True)
    if target.stream:
        raise OutputError(f"{target.shown}: the cbow format is a directory and cannot be written to a stream; "
                          "give a NAME.cbow path")
    path = target.path  # through a symlink: its target directory is replaced, the link kept
    parent = path.parent
    if path.exists() and not (is_cbow_dir(path) or (path.is_dir() and not any(path.iterdir()))):
        raise OutputError(f"{path}: exists and is not a cbow vectors directory; remove it or choose another -o")
    meta = {
        "format": FORMAT_NAME, "version": VERSION, "n_words": len(words), "dim": int(vectors.shape[1]),
        "words": list(words), "counts": None if counts is None else [int(c) for c in counts],
        "config": config or {},
        **({"model": model} if model is not None else {}),
        **({"subwords": subwords} if subwords is not None else {}),
    }
    try:
        staging = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=parent))
    except OSError as exc:
        raise OutputError(f"{path}: cannot write here ({exc.strerror}); choose another -o") from exc
    try:
        # mkdtemp makes 0700: give the directory the mode it had, or what a plain mkdir would
        os.chmod(staging, stat.S_IMODE(path.stat().st_mode) if path.is_dir() else 0o777 & ~current_umask())
        np.save(staging / MATRIX_FILE, vectors)
        for name, matrix in matrices.items():
            np.save(staging / name, matrix)
        (staging / VOCAB_FILE).write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
        for name in (MATRIX_FILE, *matrices, VOCAB_FILE):
            with open(staging / name, "rb") as handle:
                os.fsync(handle.fileno())
        _swap_into_place(staging, path)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise OutputError(f"{path}: write failed ({exc.strerror or exc}); free space or choose another -o") from exc
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _swap_into_place(staging: Path, path: Path) -> None:
    """Rename `staging` to `path`; an old directory there is moved aside first, then removed."""
    if not path.exists():
        os.replace(staging, path)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".old", dir=path.parent))
    os.rmdir(old)
    os.replace(path, old)
    try:
        os.replace(staging, path)
    except OSError:
        os.replace(old, path)  # put the old vectors back
        raise
    shutil.rmtree(old, ignore_errors=True)


def load(path: str | Path, mmap: str | None = None) -> tuple[list[str], np.ndarray, np.ndarray | None, dict]:
    """Read a cbow directory: (words, vectors (V, d) float32, counts (V,) int64 or None, config).

    With mmap='r' the matrix is a read-only memory map; it is still checked for NaN/inf,
    block by block, so a corrupt file fails here rather than in a query. A whole model's
    other matrices are not read (`load_meta`, `load_matrix`).
    """
    path = Path(path)
    meta = load_meta(path)
    words, counts, config = _check_meta(path / VOCAB_FILE, meta)
    vectors = load_matrix(path, MATRIX_FILE, len(words), meta["dim"], mmap, row_names=words)
    if "subwords" in meta:
        logger.warning("%s: has n-gram vectors, which are left out here (the vocabulary's vectors only); "
                       "cbow.load(path) keeps them and answers for unseen words", path)
    return words, vectors, counts, config


def load_meta(path: str | Path) -> dict:
    """vocab.json of the cbow directory `path`, parsed but not checked (`load` checks it).

    Raises
    ------
    FormatError : no vocab.json, or not JSON
    """
    vocab_path = Path(path) / VOCAB_FILE
    try:
        return json.loads(vocab_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FormatError(f"{path}: no {VOCAB_FILE} inside; not a cbow vectors directory") from None
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise FormatError(f"{vocab_path}: unreadable or not JSON ({str(exc)[:80]}); the file is corrupt") from None


def load_matrix(path: str | Path, name: str, n_rows: int, dim: int, mmap: str | None = None,
                row_names: list[str] | None = None) -> np.ndarray:
    """The float32 matrix `name` of the cbow directory `path`, checked: a file of the
    directory itself (`name` comes from vocab.json: no other folder, no link out of it),
    shape (n_rows, dim), float32 little-endian in C order, finite (block by block, also when
    memory-mapped with mmap='r'; cbow.data.array_checks).

    Raises
    ------
    FormatError : a name that leaves the directory, missing, unreadable, another dtype,
        order or shape, NaN/inf (naming the row: its word when `row_names` are given)
    """
    matrix_path = _inside(Path(path), name)
    try:
        matrix = np.load(matrix_path, mmap_mode=mmap, allow_pickle=False)
    except FileNotFoundError:
        raise FormatError(f"{matrix_path}: missing; the cbow directory is incomplete") from None
    except (OSError, ValueError, EOFError) as exc:
        raise FormatError(f"{matrix_path}: not a readable .npy matrix ({str(exc)[:80]}); the file is corrupt") from None
    if not isinstance(matrix, np.ndarray) or matrix.dtype != np.dtype("<f4") or matrix.shape != (n_rows, dim):
        shown = f"{describe_dtype(matrix.dtype)} {matrix.shape}" if isinstance(matrix, np.ndarray) else "no array"
        raise FormatError(f"{matrix_path}: holds {shown}, but {VOCAB_FILE} announces "
                          f"float32 ({n_rows}, {dim}); the two files disagree")
    try:
        check_matrix(matrix, name, (n_rows, dim))
        check_finite(matrix, name, row_names)
    except ArrayProblem as problem:
        raise FormatError(f"{matrix_path}: {str(problem).removeprefix(name + ': ')}; the file is corrupt") from None
    return matrix


def _inside(directory: Path, name) -> Path:
    """directory / name, for a `name` read from vocab.json: a plain .npy file name whose file
    (links followed) lies in `directory`; a FormatError otherwise."""
    vocab_path = directory / VOCAB_FILE
    if (not isinstance(name, str) or not name.endswith(".npy") or Path(name).name != name
            or "\\" in name or "\0" in name):
        raise FormatError(f"{vocab_path}: names the matrix {str(name)[:60]!r}, not a .npy file of its own "
                          "directory; the file is corrupt or not ours")
    matrix_path = directory / name
    if matrix_path.resolve().parent != directory.resolve():
        raise FormatError(f"{matrix_path}: a link out of its directory; a cbow directory holds its matrices "
                          "itself (copy the file in instead of linking it)")
    return matrix_path


def check_meta(path: str | Path, meta: dict) -> tuple[list[str], np.ndarray | None, dict]:
    """(words, counts or None, config) of a parsed vocab.json, checked (FormatError otherwise)."""
    return _check_meta(Path(path) / VOCAB_FILE, meta)


def _check_meta(vocab_path: Path, meta) -> tuple[list[str], np.ndarray | None, dict]:
    def bad(what: str) -> FormatError:
        return FormatError(f"{vocab_path}: {what}; the file is corrupt or not ours")

    if not isinstance(meta, dict) or meta.get("format") != FORMAT_NAME:
        raise bad(f"no \"format\": \"{FORMAT_NAME}\" field")
    if meta.get("version") != VERSION:
        raise FormatError(f"{vocab_path}: format version {meta.get('version')!r}; this cbow reads version {VERSION}, "
                          "upgrade cbow")
    words, counts, dim = meta.get("words"), meta.get("counts"), meta.get("dim")
    if not isinstance(words, list) or not all(isinstance(w, str) and w for w in words):
        raise bad("\"words\" is not a list of non-empty strings")
    if len(set(words)) != len(words):
        raise bad("\"words\" repeats a word")
    if type(dim) is not int or dim < 1 or meta.get("n_words") != len(words):
        raise bad("\"dim\"/\"n_words\" disagree with the word list")
    if counts is not None:
        if (not isinstance(counts, list) or len(counts) != len(words)
                or not all(type(c) is int and 0 <= c < 2**63 for c in counts)):
            raise bad("\"counts\" is not one non-negative integer per word")
        counts = np.array(counts, dtype=np.int64)
    config = meta.get("config") or {}
    if not isinstance(config, dict):
        raise bad("\"config\" is not an object")
    logger.debug("%s: %d words, dim %d", vocab_path, len(words), dim)
    return words, counts, config
