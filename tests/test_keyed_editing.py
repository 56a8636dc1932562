"""KeyedVectors beyond gensim's own answers: the norms kept instead of a normalised copy, the
Word Mover's Distance against independent solutions, edits of mapped vectors, growth, limits."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment
from scipy.spatial.distance import cdist

from cbow.errors import CbowError, FormatError
from cbow.vectors.keyed import KeyedVectors
from cbow.vectors.wmd import transport_cost


@pytest.fixture
def kv():
    rng = np.random.default_rng(0)
    return KeyedVectors([f"w{i}" for i in range(50)], rng.standard_normal((50, 8)).astype(np.float32),
                        counts=np.arange(50, 0, -1))


def _arrays_held(kv: KeyedVectors) -> list[np.ndarray]:
    return [value for value in vars(kv).values() if isinstance(value, np.ndarray)]


def test_queries_keep_norms_not_a_normalised_copy(tmp_path, kv):
    """Issue 27 item 15: a query process holds the (V,) norms beside the mapped matrix, never
    a private (V, d) copy (the old lazy `_normed` matrix was one)."""
    kv.save(tmp_path / "v.cbow")
    mapped = KeyedVectors.load(tmp_path / "v.cbow", mmap="r")
    mapped.most_similar("w1")
    mapped.most_similar_cosmul(["w1", "w2"], ["w3"])
    mapped.evaluate_word_pairs  # noqa: B018 (the attribute exists; evaluation is tested elsewhere)
    big = [a for a in _arrays_held(mapped) if a.size >= mapped.vectors.size]
    assert len(big) == 1 and big[0] is mapped.vectors and isinstance(mapped.vectors, np.memmap)
    assert mapped.norms.shape == (50,)
    np.testing.assert_allclose(mapped.norms, np.linalg.norm(kv.vectors, axis=1), rtol=1e-6)


def test_norms_follow_every_change(kv):
    before = kv.most_similar("w1", topn=3)
    kv["w1"] = kv["w2"] * 3  # w1 now points where w2 does
    assert kv.most_similar("w1", topn=1)[0][0] == "w2" and kv.most_similar("w1", topn=1)[0][1] == pytest.approx(1)
    kv.vectors = kv.vectors.copy()
    kv.vectors[5] *= 10
    kv.norms = None  # gensim's idiom after changing vectors by hand
    assert kv.norms[5] == pytest.approx(np.linalg.norm(kv.vectors[5]), rel=1e-6)
    assert before != kv.most_similar("w1", topn=3)


@pytest.mark.parametrize("seed", range(5))
def test_wmd_equals_the_assignment_for_equal_bags(seed):
    """Two documents of n distinct words each, weights 1/n: the optimal transport is an
    assignment (Birkhoff), so the distance is the best matching's mean cost."""
    rng = np.random.default_rng(seed)
    points1, points2 = rng.standard_normal((5, 3)), rng.standard_normal((5, 3))
    costs = cdist(points1, points2)
    rows, cols = linear_sum_assignment(costs)
    weights = np.full(5, 0.2)
    assert transport_cost(points1, weights, points2, weights) == pytest.approx(costs[rows, cols].mean(), rel=1e-9)


def test_wmd_of_uneven_bags_by_brute_force():
    """Weights 2/4, 1/4, 1/4 against 1/2, 1/2: quarter units, every assignment of the four
    quarters tried."""
    rng = np.random.default_rng(9)
    points1, points2 = rng.standard_normal((3, 2)), rng.standard_normal((2, 2))
    costs = cdist(points1, points2)
    sources, sinks = [0, 0, 1, 2], [0, 0, 1, 1]
    best = min(sum(costs[s, t] for s, t in zip(sources, order)) / 4 for order in itertools.permutations(sinks))
    assert transport_cost(points1, np.array([0.5, 0.25, 0.25]), points2, np.array([0.5, 0.5])) == pytest.approx(best)


def test_wmdistance_on_documents(kv):
    assert kv.wmdistance(["w1", "w2"], ["w1", "w2"]) == pytest.approx(0, abs=1e-9)
    assert kv.wmdistance(["w1", "w1"], ["w1"]) == 0
    assert kv.wmdistance(["w1", "nothere"], ["nothere"]) == float("inf")
    one_way = kv.wmdistance(["w1", "w2", "w3"], ["w4", "w5"])
    assert one_way == pytest.approx(kv.wmdistance(["w4", "w5"], ["w1", "w2", "w3"]))
    units = np.vstack([kv.get_vector(w, norm=True) for w in ("w1", "w4")])
    assert kv.wmdistance(["w1"], ["w4"]) == pytest.approx(float(np.linalg.norm(units[0] - units[1])), rel=1e-6)
    raw = float(np.linalg.norm(kv["w1"] - kv["w4"]))
    assert kv.wmdistance(["w1"], ["w4"], norm=False) == pytest.approx(raw, rel=1e-6)


def test_mapped_vectors_are_never_written(tmp_path, kv):
    kv.save(tmp_path / "v.cbow")
    mapped = KeyedVectors.load(tmp_path / "v.cbow", mmap=True)
    with pytest.raises(CbowError, match="mmap='c'") as error:
        mapped["w1"] = np.zeros(8)
    assert isinstance(error.value, ValueError) and "\n" not in str(error.value)
    mapped.add_vector("new", np.ones(8))  # new rows: a new matrix in memory, the file untouched
    assert "new" in mapped and KeyedVectors.load(tmp_path / "v.cbow").vectors.shape == (50, 8)
    copy_on_write = KeyedVectors.load(tmp_path / "v.cbow", mmap="c")
    copy_on_write["w1"] = np.zeros(8)
    np.testing.assert_array_equal(KeyedVectors.load(tmp_path / "v.cbow")["w1"], kv["w1"])
    for mode in ("r+", "w+"):
        with pytest.raises(FormatError, match="in place"):
            KeyedVectors.load(tmp_path / "v.cbow", mmap=mode)


def test_add_vector_grows_geometrically(kv):
    matrices = set()
    for i in range(1000):
        kv.add_vector(f"n{i}", np.full(8, i, dtype=np.float32))
        matrices.add(id(kv._spare))
    assert len(kv) == 1050 and kv["n999"][0] == 999 and kv.get_vecattr("n5", "count") == 0
    assert len(matrices) < 20  # reallocated ~log(1000) times, not 1000
    assert kv.most_similar("n500", topn=1)[0][1] == pytest.approx(1)


def test_limit_reads_only_the_first_vectors(tmp_path, kv):
    for name in ("v.bin", "v.txt"):
        kv.save_word2vec_format(tmp_path / name)
        first = KeyedVectors.load_word2vec_format(tmp_path / name, limit=7)
        assert first.index_to_key == kv.index_to_key[:7]
        np.testing.assert_allclose(first.vectors, kv.vectors[:7], rtol=1e-5)
        assert len(KeyedVectors.load_word2vec_format(tmp_path / name, limit=500)) == 50


def test_iteration_and_rows(kv):
    assert list(kv)[:3] == ["w0", "w1", "w2"] and len(list(kv)) == len(kv)
    np.testing.assert_array_equal(kv[3], kv["w3"])
    with pytest.raises(KeyError, match="out of range"):
        kv[50]


def test_keyed_vectors_and_the_evaluation_do_not_import_each_other():
    """Issue 30's circle keyed <-> evaluate is gone, counting TYPE_CHECKING and function-level
    imports: the evaluation reads any vectors through its protocol."""
    import ast

    import cbow.vectors.evaluate as evaluate_module
    import cbow.vectors.evaluation_results as results_module

    for module in (evaluate_module, results_module):
        tree = ast.parse(open(module.__file__, encoding="utf-8").read())
        imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
        imported |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
        assert not any(name and name.startswith("cbow.vectors.keyed") for name in imported), module.__name__


def test_batched_search_over_row_blocks_equals_one_query_at_a_time(monkeypatch, kv):
    from cbow.vectors import neighbours

    monkeypatch.setattr(neighbours, "ROW_BLOCK", 7)  # 50 rows in 8 blocks, the last one short
    words = ["w1", "w17", "w49", "w3"]
    for topn in (1, 5, 60):
        batched = kv.most_similar_many(words, topn=topn, restrict_vocab=45)
        single = [kv.most_similar(word, topn=topn, restrict_vocab=45) for word in words]
        assert [[w for w, _ in row] for row in batched] == [[w for w, _ in row] for row in single]
        for got, want in zip(batched, single):
            np.testing.assert_allclose([s for _, s in got], [s for _, s in want], rtol=1e-6, atol=1e-6)


def test_cbow_load_takes_mmap_true(tmp_path, kv):
    """Issue 28: `cbow.load(p, mmap=True)` said 'bool' is not iterable; True is 'r', as gensim's."""
    import cbow

    kv.save(tmp_path / "v.cbow")
    loaded = cbow.load(tmp_path / "v.cbow", mmap=True)
    assert isinstance(loaded.vectors, np.memmap) and not loaded.vectors.flags.writeable
