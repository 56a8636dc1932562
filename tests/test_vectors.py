"""KeyedVectors queries agree with gensim 4.4's on the same vectors; batched equals single."""

import numpy as np
import pytest
from gensim.models import KeyedVectors as GensimKeyedVectors

from cbow.errors import CbowError
from cbow.vectors.keyed import KeyedVectors, UnknownWordError


@pytest.fixture(scope="module")
def pair():
    rng = np.random.default_rng(7)
    words = [f"w{i}" for i in range(2000)]
    vectors = rng.standard_normal((2000, 32)).astype(np.float32)
    theirs = GensimKeyedVectors(32)
    theirs.add_vectors(words, vectors)
    return KeyedVectors(words, vectors), theirs


def names(result):
    return [word for word, _ in result]


def test_most_similar_top10_equals_gensim(pair):
    ours, theirs = pair
    for query in [dict(positive="w5"), dict(positive=["w1", "w2"], negative=["w3"]), dict(negative="w9"),
                  dict(positive=["w10"], restrict_vocab=500)]:
        expected = theirs.most_similar(topn=10, **query)
        got = ours.most_similar(topn=10, **query)
        assert names(got) == names(expected)
        np.testing.assert_allclose([s for _, s in got], [s for _, s in expected], atol=1e-5)


def test_cosmul_and_pairwise_equal_gensim(pair):
    ours, theirs = pair
    assert names(ours.most_similar_cosmul(positive=["w1", "w2"], negative=["w3"])) == names(
        theirs.most_similar_cosmul(positive=["w1", "w2"], negative=["w3"]))
    assert ours.n_similarity(["w1", "w2"], ["w3", "w4", "w5"]) == pytest.approx(
        theirs.n_similarity(["w1", "w2"], ["w3", "w4", "w5"]), abs=1e-6)
    assert ours.doesnt_match(["w1", "w2", "w3", "w4"]) == theirs.doesnt_match(["w1", "w2", "w3", "w4"])
    for other in ["w2", "w700", "w1999"]:
        assert ours.rank("w1", other) == theirs.rank("w1", other)
    assert ours.similarity("w1", "w2") == pytest.approx(float(theirs.similarity("w1", "w2")), abs=1e-6)


def test_batched_queries_equal_single_ones(pair):
    ours, _ = pair
    words = ["w0", "w17", "w1999"]
    def same(batched, singles):  # GEMM and GEMV round differently in the last float32 bit
        assert [names(b) for b in batched] == [names(s) for s in singles]
        np.testing.assert_allclose([[x for _, x in b] for b in batched], [[x for _, x in s] for s in singles], atol=1e-6)

    same(ours.most_similar_many(words, topn=7), [ours.most_similar(w, topn=7) for w in words])
    vectors = ours.vectors[[3, 4]]
    batched = ours.similar_by_vectors(vectors, topn=4)
    same(batched, [ours.similar_by_vector(v, topn=4) for v in vectors])
    assert batched[0][0][0] == "w3"  # a word's own vector finds the word


def test_small_vocabularies_and_lookups():
    kv = KeyedVectors(["a", "b", "c"], np.eye(3, dtype=np.float32))
    assert names(kv.most_similar("a", topn=10)) in (["b", "c"], ["c", "b"])
    assert kv.most_similar("a", topn=10, restrict_vocab=1) == []
    assert kv["a"].tolist() == [1, 0, 0] and kv[["a", "b"]].shape == (2, 3)
    assert kv.get_vector("b", norm=True).tolist() == [0, 1, 0]
    with pytest.raises(UnknownWordError) as error:
        kv.most_similar("d")
    assert isinstance(error.value, KeyError) and isinstance(error.value, CbowError)
    assert kv.doesnt_match(["a", "b", "zzz"]) in ("a", "b")
