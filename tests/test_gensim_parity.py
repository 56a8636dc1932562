"""The same call on gensim 4.4's KeyedVectors and on cbow's, over the same vectors, gives the
same result (floats to 1e-5, ties aside), and the same kind of error.

Each test builds both tables from one seeded matrix (`pair`): 60 words in 12 dimensions with
counts, plus a zero row, so the zero-norm paths are exercised too. Methods whose gensim
side needs the POT package (wmdistance) are checked against an independent solution in
tests/test_keyed_editing.py instead.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from gensim.models import KeyedVectors as GensimKeyedVectors

from cbow.vectors.keyed import KeyedVectors

N_WORDS, DIM = 60, 12
TOL = dict(rtol=1e-5, atol=1e-5)


def _tables(seed: int = 0, zero_row: bool = False):
    rng = np.random.default_rng(seed)
    words = [f"w{i}" for i in range(N_WORDS)]
    vectors = rng.standard_normal((N_WORDS, DIM)).astype(np.float32)
    if zero_row:
        vectors[7] = 0
    counts = np.arange(N_WORDS, 0, -1) * 10
    ours = KeyedVectors(words, vectors.copy(), counts=counts)
    theirs = GensimKeyedVectors(DIM)
    theirs.add_vectors(words, vectors.copy())
    for word, count in zip(words, counts.tolist()):
        theirs.set_vecattr(word, "count", count)
    return ours, theirs


@pytest.fixture
def pair():
    return _tables()


def _same_neighbours(ours, theirs):
    assert [w for w, _ in ours] == [w for w, _ in theirs]
    np.testing.assert_allclose([s for _, s in ours], [s for _, s in theirs], **TOL)


def _both(pair, method: str, *args, **kwargs):
    ours, theirs = pair
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # gensim's own deprecations (init_sims in most_similar_cosmul)
        return getattr(ours, method)(*args, **kwargs), getattr(theirs, method)(*args, **kwargs)


@pytest.mark.parametrize("kwargs", [
    dict(positive=["w1"]),
    dict(positive="w1", topn=5),
    dict(positive=["w1", "w2"], negative=["w3"]),
    dict(negative=["w4"]),
    dict(positive=[("w1", 1.0), ("w2", 0.5)], negative=[("w3", -2.0)]),  # weights as given, also in negative
    dict(positive=[3, "w5"]),  # an int is a row
    dict(positive=["w1"], restrict_vocab=20),
    dict(positive=["w1"], clip_start=10, clip_end=40),
    dict(positive=["w15"], clip_start=10),
    dict(positive=["w1"], topn=0),
    dict(positive=["w1"], topn=N_WORDS + 5),
])
def test_most_similar(pair, kwargs):
    _same_neighbours(*_both(pair, "most_similar", **kwargs))


def test_most_similar_with_vectors_and_all_scores(pair):
    ours, theirs = pair
    vector = np.arange(DIM, dtype=np.float32) - 3
    _same_neighbours(*_both(pair, "most_similar", positive=[vector, "w2"], negative=["w9"]))
    _same_neighbours(*_both(pair, "most_similar", positive=[(vector, 0.3), "w2"]))
    _same_neighbours(*_both(pair, "similar_by_vector", vector, topn=7))
    for kwargs in (dict(positive=["w1"], topn=None), dict(positive=["w1"], topn=None, restrict_vocab=30)):
        mine, gensims = _both(pair, "most_similar", **kwargs)
        np.testing.assert_allclose(mine, gensims, **TOL)


@pytest.mark.parametrize("kwargs", [dict(positive=["w1", "w2"], negative=["w3"]), dict(positive=["w1"]),
                                    dict(positive=["w1", "w2"], negative=["w3", "w4"], topn=3)])
def test_most_similar_cosmul(pair, kwargs):
    _same_neighbours(*_both(pair, "most_similar_cosmul", **kwargs))
    mine, gensims = _both(pair, "most_similar_cosmul", topn=None, **{k: v for k, v in kwargs.items() if k != "topn"})
    np.testing.assert_allclose(mine, gensims, **TOL)


def test_similar_by_key_word_and_the_indexer(pair):
    _same_neighbours(*_both(pair, "similar_by_key", "w6", topn=4))
    _same_neighbours(*_both(pair, "similar_by_word", "w6", topn=4, restrict_vocab=25))

    class Indexer:  # gensim's AnnoyIndexer protocol: asked with the unit query vector
        def most_similar(self, vector, topn):
            return [("asked", float(np.linalg.norm(vector))), ("topn", topn)]

    mine, gensims = _both(pair, "most_similar", positive=["w1", "w2"], topn=3, indexer=Indexer())
    assert mine[1] == gensims[1] and mine[0][1] == pytest.approx(gensims[0][1], abs=1e-6)


@pytest.mark.parametrize("method, args", [
    ("similarity", ("w1", "w2")), ("distance", ("w1", "w2")), ("n_similarity", (["w1", "w2"], ["w3", "w4", "w5"])),
    ("n_similarity", (["w1", "unknown"], ["w3"])), ("rank", ("w1", "w2")), ("rank", ("w3", "w40")),
    ("most_similar_to_given", ("w1", ["w2", "w3", "w4"])), ("doesnt_match", (["w1", "w2", "w3", "w30"],)),
    ("doesnt_match", (["w1", "w2", "nothere", "w30"],)), ("relative_cosine_similarity", ("w1", "w2")),
    ("relative_cosine_similarity", ("w1", "w2", 3)),
])
def test_pairwise_numbers(pair, method, args):
    mine, gensims = _both(pair, method, *args)
    if isinstance(gensims, str):
        assert mine == gensims
    else:
        assert mine == pytest.approx(float(gensims), rel=1e-5, abs=1e-6)


def test_distances_closer_than_centrality_and_means(pair):
    ours, theirs = pair
    for args in (("w1",), ("w1", ["w2", "w3"]), (ours["w4"],)):
        mine, gensims = _both(pair, "distances", *args)
        np.testing.assert_allclose(mine, gensims, **TOL)
    assert _both(pair, "closer_than", "w1", "w2")[0] == _both(pair, "closer_than", "w1", "w2")[1]
    assert ours.words_closer_than("w5", "w6") == theirs.closer_than("w5", "w6")
    for use_norm in (True, False):
        mine, gensims = _both(pair, "rank_by_centrality", ["w1", "w2", "w3", "w4"], use_norm=use_norm)
        assert [w for _, w in mine] == [w for _, w in gensims]
        np.testing.assert_allclose([s for s, _ in mine], [s for s, _ in gensims], **TOL)
    for kwargs in (dict(), dict(pre_normalize=False), dict(post_normalize=True),
                   dict(weights=[1.0, -0.5, 2.0]), dict(ignore_missing=True)):
        keys = ["w1", "w2", "w3"] if "weights" in kwargs else ["w1", "w2", "missing", 4]
        mine, gensims = _both(pair, "get_mean_vector", keys, **kwargs)
        np.testing.assert_allclose(mine, gensims, **TOL)
    np.testing.assert_allclose(KeyedVectors.cosine_similarities(ours["w1"], ours[["w2", "w3"]]),
                               GensimKeyedVectors.cosine_similarities(theirs["w1"], theirs[["w2", "w3"]]), **TOL)


def test_lookups_by_key_and_row(pair):
    ours, theirs = pair
    np.testing.assert_array_equal(ours[0], theirs[0])
    np.testing.assert_array_equal(ours[np.int64(5)], theirs[np.int64(5)])
    np.testing.assert_array_equal(ours[["w3", 4]], theirs[["w3", 4]])
    np.testing.assert_allclose(ours.get_vector("w2", norm=True), theirs.get_vector("w2", norm=True), **TOL)
    assert (0 in ours, N_WORDS in ours, "w1" in ours, "x" in ours) == (0 in theirs, N_WORDS in theirs,
                                                                       "w1" in theirs, "x" in theirs)
    assert ours.get_index("w9") == theirs.get_index("w9") and ours.get_index("x", -1) == theirs.get_index("x", -1)
    assert list(ours) == theirs.index_to_key  # cbow iterates the keys, as a dict (gensim's iteration fails)
    assert ours.get_vecattr("w3", "count") == theirs.get_vecattr("w3", "count")
    np.testing.assert_allclose(ours.norms, (theirs.fill_norms(), theirs.norms)[1], **TOL)
    np.testing.assert_allclose(ours.get_normed_vectors(), theirs.get_normed_vectors(), **TOL)


@pytest.mark.parametrize("call", [
    lambda kv: kv["nothere"], lambda kv: kv[N_WORDS], lambda kv: kv.get_index("nothere"),
    lambda kv: kv.most_similar("nothere"), lambda kv: kv.most_similar(["w1"], negative=["nothere"]),
    lambda kv: kv.most_similar_cosmul(["nothere"]), lambda kv: kv.similarity("w1", "nothere"),
    lambda kv: kv.distance("nothere", "w1"), lambda kv: kv.rank("w1", "nothere"), lambda kv: kv.closer_than("x", "w1"),
    lambda kv: kv.distances("w1", ["w2", "nothere"]), lambda kv: kv.similar_by_key("nothere"),
    lambda kv: kv.get_vecattr("nothere", "count"), lambda kv: kv.relative_cosine_similarity("w1", "nothere"),
    lambda kv: kv.get_mean_vector(["w1", "nothere"], ignore_missing=False),
    lambda kv: kv.most_similar_to_given("w1", ["w2", "nothere"]),
])
def test_unknown_words_are_key_errors_on_both(pair, call):
    ours, theirs = pair
    with pytest.raises(KeyError):
        call(theirs)
    with pytest.raises(KeyError) as error:
        call(ours)
    assert "\n" not in str(error.value) and ("vocabulary" in str(error.value) or "out of range" in str(error.value))


@pytest.mark.parametrize("call, error_type", [
    (lambda kv: kv.most_similar_cosmul(negative=["w1"]), ValueError),
    (lambda kv: kv.n_similarity([], ["w1"]), ZeroDivisionError),
    (lambda kv: kv.doesnt_match(["nothere", "neither"]), ValueError),
    (lambda kv: kv.rank_by_centrality([]), ValueError),
    (lambda kv: kv.get_mean_vector([]), ValueError),
    (lambda kv: kv.get_mean_vector(["w1", "w2"], weights=[1.0]), ValueError),
    (lambda kv: kv.relative_cosine_similarity("w1", "w2", topn=0), ValueError),
])
def test_other_errors_have_gensims_types(pair, call, error_type):
    ours, theirs = pair
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(error_type):
            call(theirs)
    with pytest.raises(error_type):
        call(ours)


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")  # gensim divides by a zero norm
def test_zero_rows_score_zero_where_gensim_says_nan():
    ours, theirs = _tables(zero_row=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gensims = theirs.most_similar("w1", topn=None)
    mine = ours.most_similar("w1", topn=None)
    assert np.isnan(gensims[7]) and mine[7] == 0
    keep = np.arange(N_WORDS) != 7
    np.testing.assert_allclose(mine[keep], gensims[keep], **TOL)
    _same_neighbours(ours.most_similar("w1", topn=10), [p for p in theirs.most_similar("w1", topn=11) if p[0] != "w7"][:10])


@pytest.mark.filterwarnings("ignore:Adding single vectors:UserWarning")  # gensim's, on add_vector
def test_editing_gives_the_same_tables(pair):
    ours, theirs = pair
    rng = np.random.default_rng(3)
    new = rng.standard_normal((3, DIM)).astype(np.float32)
    for kv in pair:
        kv.add_vectors(["n1", "n2", "w1"], new)  # w1 exists: kept (replace=False)
        kv.add_vector("n3", new[1] * 2)
        kv["w2"] = new[2]
        kv[["n4", "w3"]] = new[:2]
        kv.set_vecattr("n1", "count", 1000)
        kv.set_vecattr("n2", "count", 5)
        kv.set_vecattr("w2", "count", 5)  # a tie with n2: gensim puts the later row first
    assert ours.index_to_key == theirs.index_to_key
    np.testing.assert_array_equal(ours.vectors, theirs.vectors)
    _same_neighbours(ours.most_similar("n1"), theirs.most_similar("n1"))
    ours.sort_by_descending_frequency()
    theirs.sort_by_descending_frequency()
    theirs.fill_norms(force=True)  # gensim 4.4 keeps the norms of the old order here (its queries go wrong)
    assert ours.index_to_key == theirs.index_to_key and ours.key_to_index == theirs.key_to_index
    np.testing.assert_array_equal(ours.vectors, theirs.vectors)
    _same_neighbours(ours.most_similar("w5"), theirs.most_similar("w5"))
    for kv in pair:
        kv.index_to_key.extend(["r1", "r2"])
        kv.resize_vectors(seed=4)
    np.testing.assert_array_equal(ours.vectors, theirs.vectors)
    for kv in pair:
        kv.unit_normalize_all()
    np.testing.assert_allclose(ours.vectors, theirs.vectors, **TOL)
    np.testing.assert_allclose(ours.norms, theirs.norms, **TOL)


def test_empty_table_filled_the_gensim_way():
    ours, theirs = KeyedVectors(DIM), GensimKeyedVectors(DIM)
    assert len(ours) == len(theirs) == 0 and ours.vector_size == theirs.vector_size == DIM
    vectors = np.random.default_rng(5).standard_normal((20, DIM)).astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # gensim warns that growing by one is costly; cbow grows geometrically
        for i, vector in enumerate(vectors):
            assert ours.add_vector(f"k{i}", vector) == theirs.add_vector(f"k{i}", vector) == i
    np.testing.assert_array_equal(ours.vectors, theirs.vectors)
    _same_neighbours(ours.most_similar("k3"), theirs.most_similar("k3"))
    assert str(ours) == str(theirs)


def test_word2vec_files_with_gensims_keywords(tmp_path, pair):
    ours, theirs = pair
    for binary in (True, False):
        for kwargs in (dict(), dict(prefix="p_"), dict(write_header=False), dict(total_vec=N_WORDS + 3)):
            if binary and not kwargs.get("write_header", True):
                continue
            mine, gensims = tmp_path / f"ours-{binary}.w2v", tmp_path / f"theirs-{binary}.w2v"
            ours.save_word2vec_format(mine, fvocab=tmp_path / "ours.vocab", binary=binary, **kwargs)
            theirs.save_word2vec_format(str(gensims), fvocab=str(tmp_path / "theirs.vocab"), binary=binary, **kwargs)
            assert (tmp_path / "ours.vocab").read_text() == (tmp_path / "theirs.vocab").read_text()
            if not kwargs:  # read back: each library's file by the other, every keyword of the reader
                for limit in (None, 10):
                    a = KeyedVectors.load_word2vec_format(gensims, fvocab=tmp_path / "theirs.vocab", binary=binary,
                                                          limit=limit, datatype=np.float16)
                    b = GensimKeyedVectors.load_word2vec_format(str(mine), fvocab=str(tmp_path / "ours.vocab"),
                                                                binary=binary, limit=limit, datatype=np.float16)
                    assert a.index_to_key == b.index_to_key and a.vectors.dtype == b.vectors.dtype == np.float16
                    np.testing.assert_allclose(a.vectors.astype(np.float32), b.vectors.astype(np.float32),
                                               rtol=2e-3)  # float16: text parsed to it directly or via float32
                    assert [a.get_vecattr(w, "count") for w in a.index_to_key] == [
                        b.get_vecattr(w, "count") for w in b.index_to_key]
            if not binary and not kwargs.get("write_header", True):
                a = KeyedVectors.load_word2vec_format(gensims, no_header=True)
                b = GensimKeyedVectors.load_word2vec_format(str(mine), no_header=True)
                np.testing.assert_allclose(a.vectors, b.vectors, **TOL)
    ours.save_word2vec_format(tmp_path / "append.txt", binary=False)
    ours.save_word2vec_format(tmp_path / "append.txt", binary=False, append=True, write_header=False, prefix="x")
    theirs.save_word2vec_format(str(tmp_path / "gappend.txt"), binary=False)
    theirs.save_word2vec_format(str(tmp_path / "gappend.txt"), binary=False, append=True, write_header=False,
                                prefix="x")
    ours_lines = (tmp_path / "append.txt").read_text().splitlines()
    assert len(ours_lines) == len((tmp_path / "gappend.txt").read_text().splitlines()) == 2 * N_WORDS + 1
    assert ours_lines[N_WORDS + 1].startswith("xw0 ")


def test_unicode_errors_and_sort_attr(tmp_path, pair):
    ours, theirs = pair
    path = tmp_path / "cut.bin"
    vector = np.ones(DIM, dtype="<f4").tobytes()
    path.write_bytes(b"2 %d\n" % DIM + "caf\u00e9".encode()[:-1] + b" " + vector + b"\nok " + vector + b"\n")
    for errors in ("ignore", "replace"):
        a = KeyedVectors.load_word2vec_format(path, binary=True, unicode_errors=errors)
        b = GensimKeyedVectors.load_word2vec_format(str(path), binary=True, unicode_errors=errors)
        assert a.index_to_key == b.index_to_key
    for kv in pair:
        kv.set_vecattr("w9", "count", 10_000)
    ours.save_word2vec_format(tmp_path / "sorted.txt", binary=False)
    theirs.save_word2vec_format(str(tmp_path / "gsorted.txt"), binary=False)
    assert [line.split()[0] for line in (tmp_path / "sorted.txt").read_text().splitlines()] == [
        line.split()[0] for line in (tmp_path / "gsorted.txt").read_text().splitlines()]


def test_intersect_word2vec_format(tmp_path, pair):
    ours, theirs = pair
    rng = np.random.default_rng(8)
    other = KeyedVectors(["w2", "zz", "w10"], rng.standard_normal((3, DIM)).astype(np.float32))
    other.save_word2vec_format(tmp_path / "other.txt", binary=False)
    theirs.vectors_lockf = np.ones(len(theirs), dtype=np.float32)  # gensim 4 needs this done by hand
    ours.intersect_word2vec_format(tmp_path / "other.txt", lockf=0.0, binary=False)
    theirs.intersect_word2vec_format(str(tmp_path / "other.txt"), lockf=0.0, binary=False)
    np.testing.assert_allclose(ours.vectors, theirs.vectors, **TOL)
    np.testing.assert_array_equal(ours.vectors_lockf, theirs.vectors_lockf)
    assert ours.index_to_key == theirs.index_to_key


def test_analogies_unpack_as_gensims_tuple(tmp_path, pair):
    ours, theirs = pair
    questions = tmp_path / "q.txt"
    rows = [f"w{a} w{b} w{c} w{d}" for a, b, c, d in np.random.default_rng(2).integers(0, N_WORDS, (40, 4))]
    questions.write_text(": first\n" + "\n".join(rows[:20]) + "\n: second\n" + "\n".join(rows[20:])
                         + "\nw1 w2 nothere w3\n: empty\n")
    for kwargs in (dict(), dict(restrict_vocab=30), dict(dummy4unknown=True), dict(case_insensitive=False)):
        score, sections = ours.evaluate_word_analogies(questions, **kwargs)
        gscore, gsections = theirs.evaluate_word_analogies(str(questions), **kwargs)
        assert score == pytest.approx(gscore) and sections == gsections
    result = ours.evaluate_word_analogies(questions)
    assert result[0] == result.accuracy and result[1][-1]["section"] == "Total accuracy" and len(result) == 2


def test_word_pairs_unpack_as_gensims_tuple(tmp_path, pair):
    ours, theirs = pair
    path = tmp_path / "pairs.tsv"
    rng = np.random.default_rng(6)
    lines = [f"w{a}\tw{b}\t{s:.2f}" for (a, b), s in zip(rng.integers(0, N_WORDS, (30, 2)), rng.random(30) * 10)]
    path.write_text("# comment\n" + "\n".join(lines + ["w1\tnothere\t3.0", "W2\tw5\t7.5"]) + "\n")
    for kwargs in (dict(), dict(dummy4unknown=True), dict(restrict_vocab=20), dict(case_insensitive=False)):
        (r, p_r), (rho, p_rho), oov = ours.evaluate_word_pairs(path, **kwargs)
        (gr, gp_r), (grho, gp_rho), goov = theirs.evaluate_word_pairs(str(path), **kwargs)
        assert (r, p_r, rho, p_rho, oov) == pytest.approx((gr, gp_r, grho, gp_rho, goov), rel=1e-5, abs=1e-7)
    result = ours.evaluate_word_pairs(path)
    assert result[1].statistic == result.spearman and result[2] == pytest.approx(100 * result.oov_ratio)
    path.write_text("nothere\talso\t1.0\n")
    for kv in pair:
        with pytest.raises(ValueError):
            kv.evaluate_word_pairs(str(path))


def test_mmap_true_and_gensims_save_names(tmp_path, pair):
    ours, _ = pair
    ours.save(tmp_path / "vectors.kv")  # gensim's name for its native file: cbow's directory here
    loaded = KeyedVectors.load(tmp_path / "vectors.kv", mmap=True)
    assert isinstance(loaded.vectors, np.memmap) and not loaded.vectors.flags.writeable
    _same_neighbours(loaded.most_similar("w1"), ours.most_similar("w1"))
    assert loaded.get_vecattr("w4", "count") == ours.get_vecattr("w4", "count")
