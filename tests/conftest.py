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
