"""Shared fixtures: small planted corpora (generated, never committed)."""

import pytest

from cbow.corpora import planted


@pytest.fixture(scope="session")
def planted_lines():
    """A planted corpus of 20,000 sentences (~210k tokens) as a list of lines."""
    return list(planted.generate_lines(n_sentences=20_000, seed=0))


@pytest.fixture(scope="session")
def planted_corpus_file(tmp_path_factory, planted_lines):
    """The same planted corpus written to a text file."""
    path = tmp_path_factory.mktemp("corpus") / "planted.txt"
    path.write_text("\n".join(planted_lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def planted_analogy_file(tmp_path_factory):
    """The planted analogies in the questions-words format."""
    return planted.write_analogies(tmp_path_factory.mktemp("eval") / "planted-questions.txt")


@pytest.fixture(autouse=True, scope="session")
def _private_corpus_cache(tmp_path_factory):
    """CLI runs in tests cache encoded corpora in a temporary directory, not ~/.cache."""
    import os

    saved = os.environ.get("CBOW_CACHE_DIR")
    os.environ["CBOW_CACHE_DIR"] = str(tmp_path_factory.mktemp("cbow-cache"))
    yield
    if saved is None:
        os.environ.pop("CBOW_CACHE_DIR", None)
    else:
        os.environ["CBOW_CACHE_DIR"] = saved


@pytest.fixture(scope="session")
def explore_trained(tmp_path_factory):
    """(a.cbow, b.bin, planted analogies) for the cbow explore tests (tests/explore_fixtures.py)."""
    from explore_fixtures import train_pair

    return train_pair(tmp_path_factory.mktemp("explore"))
