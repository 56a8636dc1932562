"""The "vectors have not separated" check behind cbow train's warning."""

import numpy as np
import pytest

from cbow.check.separation import SEPARATED_BELOW, mean_cosine, separation_advice


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


def test_cli_warns_after_a_run_too_short_and_never_in_plan_probes(tmp_path):
    """One epoch over 45k words of unstructured Zipfian text leaves every vector near one
    direction: `cbow train` says so once, with the epochs to try; `cbow plan`'s speed probes
    (short runs themselves) do not."""
    import string

    from cli_helpers import run_cbow

    def name(i: int) -> str:
        letters, i = "", i + 26
        while i:
            letters, i = string.ascii_lowercase[i % 26] + letters, i // 26
        return letters

    rng = np.random.default_rng(0)
    probs = 1 / np.arange(1, 501) ** 1.1
    words = [name(i) for i in range(500)]
    corpus = tmp_path / "zipf.txt"
    corpus.write_text("".join(" ".join(words[i] for i in rng.choice(500, 15, p=probs / probs.sum())) + "\n"
                              for _ in range(3000)))
    trained = run_cbow("train", corpus, "--epochs", "1", "--workers", "1", "-q", "--no-cache", "-o", tmp_path / "v.bin")
    assert trained.returncode == 0, trained.stderr
    warnings = [line for line in trained.stderr.splitlines() if "have not separated" in line]
    assert len(warnings) == 1 and "try --epochs 112" in warnings[0], trained.stderr
    planned = run_cbow("train", "--plan", corpus, "--no-cache")
    assert planned.returncode == 0 and "separated" not in planned.stderr + planned.stdout, planned.stderr
