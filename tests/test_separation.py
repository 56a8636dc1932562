"""The "vectors have not separated" check behind cbow train's warning."""

import numpy as np
import pytest

from cbow.separation import SEPARATED_BELOW, mean_cosine, separation_advice


def test_mean_cosine_equals_the_pairwise_definition():
    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((50, 7)) + 0.5
    vectors[3] = 0  # an all-zero row has no direction: left out
    units = vectors[np.arange(50) != 3]
    units = units / np.linalg.norm(units, axis=1, keepdims=True)
    gram = units @ units.T
    expected = (gram.sum() - len(units)) / (len(units) * (len(units) - 1))
    assert mean_cosine(vectors) == pytest.approx(expected, rel=1e-12)
    assert mean_cosine(vectors, top=10) == pytest.approx(mean_cosine(vectors[:10]), rel=1e-12)
    assert np.isnan(mean_cosine(vectors[:1]))


def test_advice_only_for_vectors_sharing_one_direction():
    rng = np.random.default_rng(1)
    spread = rng.standard_normal((300, 20)).astype(np.float32)
    assert separation_advice(spread, corpus_words=10_000_000, epochs=5) is None
    collapsed = np.ones((300, 20), dtype=np.float32) + 0.01 * spread
    assert mean_cosine(collapsed) > SEPARATED_BELOW
    advice = separation_advice(collapsed, corpus_words=224_029, epochs=5)
    assert "0.99" in advice or "1.00" in advice
    assert "--epochs 23" in advice  # ceil(5M / 224,029)
    assert separation_advice(collapsed, corpus_words=50_000_000, epochs=5).count("--epochs 10") == 1  # at least 2x
