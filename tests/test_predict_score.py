"""CBOW's own output (issue 18, item 3): predict_output_word and score, under all three objectives.

Checked against direct numpy computations (the Huffman leaf probabilities by a loop over
each word's path) and against the held-out loss code, whose windows and terms score()
shares: sum of log p(sentence) = -(held-out nats per word) x (words predicted).
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from cbow.cli import main
from cbow.corpora import planted
from cbow.data.encode import EncodedCorpus
from cbow.data.vocab import Vocab
from cbow.errors import FormatError
from cbow.training.config import TrainConfig
from cbow.training.full_model import Model, load_model
from cbow.training.heldout import heldout_loss
from cbow.training.loop import train
from cbow.vectors.keyed import KeyedVectors, UnknownWordError

V, D = 11, 5
WORDS = ["the", "cat", "sat", "on", "mat", "a", "dog", "ran", "to", "park", "in"]


def _model(objective: str, seed: int = 0, window: int = 2) -> Model:
    """A model with random weights large enough to make the distribution far from uniform."""
    rng = np.random.default_rng(seed)
    counts = np.sort(rng.integers(1, 200, size=V))[::-1]
    n_out = V - 1 if objective == "hs" else V
    W_in = rng.normal(size=(V, D)).astype(np.float32)
    W_out = (2 * rng.normal(size=(n_out, D))).astype(np.float32)
    config = TrainConfig(objective=objective, negative=5 if objective == "ns" else 0, window=window,
                         size=D, tokenizer="whitespace")
    return Model(Vocab(WORDS, counts), W_in, W_out, config)


def _direct_probs(model: Model, context: list[str]) -> np.ndarray:
    """p(w | context) of every word, straight from the definitions (loops over HS paths)."""
    h = model.W_in[[model.vocab.key_to_index[w] for w in context]].astype(np.float64).mean(axis=0)
    W_out = model.W_out.astype(np.float64)
    if model.config.objective != "hs":
        scores = W_out @ h
        return np.exp(scores - scores.max()) / np.exp(scores - scores.max()).sum()
    tree = model.vocab.huffman()
    probs = np.ones(V)
    for word in range(V):
        for depth in range(tree.lengths[word]):
            sigmoid = 1 / (1 + np.exp(-(W_out[tree.points[word, depth]] @ h)))
            probs[word] *= sigmoid if tree.codes[word, depth] == 0 else 1 - sigmoid
    return probs


@pytest.mark.parametrize("objective", ["ns", "softmax", "hs"])
def test_predict_output_word_is_the_models_distribution(objective):
    model = _model(objective)
    context = ["the", "cat", "on", "the"]  # "the" twice: it counts twice in the mean
    found = model.predict_output_word(context, topn=None)
    probs = dict(found)
    assert len(found) == V and sum(probs.values()) == pytest.approx(1.0, abs=1e-12)
    direct = _direct_probs(model, context)
    assert np.allclose([probs[w] for w in WORDS], direct, rtol=1e-9, atol=0)
    assert [p for _, p in found] == sorted(probs.values(), reverse=True)
    assert model.predict_output_word(context, topn=3) == found[:3]
    assert max(direct) > 3 / V  # far from uniform: the comparison means something


def test_a_str_context_is_split_by_the_models_tokenizer(caplog):
    model = _model("hs")
    assert model.predict_output_word("the cat on the") == model.predict_output_word(["the", "cat", "on", "the"])
    with caplog.at_level("WARNING"):
        assert model.predict_output_word(["the", "zebra", "cat"]) == model.predict_output_word(["the", "cat"])
    assert "left out 1 context word not in the vocabulary: 'zebra'" in caplog.text
    with pytest.raises(UnknownWordError, match="no context word is in the vocabulary: word 'cta'.*'cat'"):
        model.predict_output_word(["cta"])


def _sentences():
    rng = np.random.default_rng(3)
    sentences = [[WORDS[i] for i in rng.integers(0, V, size=n)] for n in (6, 1, 9, 3, 12, 2)]
    sentences.insert(2, ["the", "unicorn", "cat"])  # an unknown word is dropped, as training does
    sentences.insert(4, ["unicorn"])  # nothing left: log p = 0, no word predicted
    return sentences


@pytest.mark.parametrize("objective", ["ns", "softmax", "hs"])
@pytest.mark.parametrize("window", [1, 3])
def test_score_is_minus_the_heldout_loss(objective, window):
    model = _model(objective, seed=1, window=window)
    sentences = _sentences()
    scores = model.sentence_scores(sentences)
    index = model.vocab.key_to_index
    ids = [[index[w] for w in s if w in index] for s in sentences]
    kept = [s for s in ids if s]
    corpus = EncodedCorpus(np.array([i for s in kept for i in s], dtype=np.int32),
                           np.cumsum([0] + [len(s) for s in kept]).astype(np.int64), 0)
    loss = heldout_loss(model.W_in, model.W_out, objective, corpus, window, huffman=model.vocab.huffman(),
                        batch_size=4, vocab_chunk=3)
    assert scores.n_predicted.sum() == loss.n_predicted
    assert scores.log_probs.sum() == pytest.approx(-loss.nats * loss.n_predicted, rel=1e-12)
    assert scores.log_probs[4] == 0 and scores.n_predicted[4] == 0
    alone = [model.sentence_scores([sentence]) for sentence in sentences]  # each sentence its own
    assert scores.log_probs.tolist() == pytest.approx([one.log_probs[0] for one in alone], rel=1e-12)
    assert scores.n_predicted.tolist() == [one.n_predicted[0] for one in alone]
    assert np.array_equal(model.score(sentences), scores.log_probs)


@pytest.mark.parametrize("objective", ["ns", "hs"])
def test_score_of_one_sentence_is_the_sum_of_its_words_log_probabilities(objective):
    model = _model(objective, seed=2, window=2)
    sentence = ["a", "dog", "ran", "to", "the", "park"]
    expected = 0.0
    for i, target in enumerate(sentence):
        context = sentence[max(0, i - 2):i] + sentence[i + 1:i + 3]
        expected += np.log(_direct_probs(model, context)[model.vocab.key_to_index[target]])
    assert model.score([sentence])[0] == pytest.approx(expected, rel=1e-10)
    assert model.score([" ".join(sentence)])[0] == model.score([sentence])[0]  # lines are split
    assert model.score((s for s in [sentence]))[0] == model.score([sentence])[0]  # a generator will do


@pytest.fixture(scope="module")
def trained():
    lines = list(planted.generate_lines(n_sentences=1500, seed=4))
    return train(lines, TrainConfig(size=12, window=3, min_count=3, epochs=2, batch_size=64, seed=1, workers=1,
                                    objective="hs", negative=0, out_vector_weight=0.0))


def test_a_saved_model_loads_back_and_predicts_the_same(trained, tmp_path):
    trained.save(tmp_path / "model.cbow")
    loaded = load_model(tmp_path / "model.cbow", mmap="r")
    assert loaded.vocab == trained.vocab and loaded.config == trained.config
    assert np.array_equal(loaded.W_in, trained.W_in) and np.array_equal(loaded.W_out, trained.W_out)
    context = ["paris", "is", "the", "of"]
    assert loaded.predict_output_word(context) == trained.predict_output_word(context)
    kv = KeyedVectors.load(tmp_path / "model.cbow")  # a model directory is a vectors directory too
    assert np.array_equal(kv.vectors, trained.W_in)


def test_out_vector_weight_keeps_w_in_apart(tmp_path):
    lines = list(planted.generate_lines(n_sentences=600, seed=4))
    result = train(lines, TrainConfig(size=8, window=2, min_count=3, epochs=1, workers=1, out_vector_weight=0.5))
    result.save(tmp_path / "m.cbow")
    loaded = load_model(tmp_path / "m.cbow")
    assert np.array_equal(loaded.W_in, result.W_in) and np.array_equal(loaded.W_out, result.W_out)
    assert np.array_equal(KeyedVectors.load(tmp_path / "m.cbow").vectors, result.wv.vectors)
    assert (tmp_path / "m.cbow" / "W_in.npy").exists()


def test_vectors_only_and_damaged_models_are_refused(trained, tmp_path):
    trained.wv.save(tmp_path / "vectors.cbow")
    with pytest.raises(FormatError, match="holds word vectors only, not a whole model"):
        load_model(tmp_path / "vectors.cbow")
    trained.wv.save(tmp_path / "vectors.bin")
    with pytest.raises(FormatError, match="a vectors file, not a whole model"):
        load_model(tmp_path / "vectors.bin")
    trained.save(tmp_path / "model.cbow")
    meta_path = tmp_path / "model.cbow" / "vocab.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta["counts"][-1] += 1000  # the rare word becomes frequent: another Huffman tree
    meta_path.write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(FormatError, match="the Huffman tree rebuilt from the counts is not the one"):
        load_model(tmp_path / "model.cbow")


def test_cbow_predict_and_score(trained, tmp_path, capsys):
    trained.save(tmp_path / "model.cbow")
    assert main(["predict", str(tmp_path / "model.cbow"), "Paris is the of", "--topn", "3"]) == 0
    printed = [line.split("\t") for line in capsys.readouterr().out.splitlines()]
    expected = trained.predict_output_word(["paris", "is", "the", "of"], topn=3)
    assert [(word, float(p)) for word, p in printed] == [(w, pytest.approx(p, rel=1e-5)) for w, p in expected]
    text = tmp_path / "text.txt"
    text.write_text("paris is the capital of france\n\nberlin\nthe the the\n", encoding="utf-8")
    assert main(["score", str(tmp_path / "model.cbow"), str(text)]) == 0
    out, err = capsys.readouterr()
    rows = [line.split("\t") for line in out.splitlines()]
    expected = trained.sentence_scores(text.read_text(encoding="utf-8").splitlines())
    assert len(rows) == 4 and [int(n) for _, n in rows] == expected.n_predicted.tolist()
    assert [float(s) for s, _ in rows] == pytest.approx(expected.log_probs.tolist(), abs=1e-6)
    assert f"4 sentences, {expected.n_predicted.sum()} words predicted: {expected.nats:.4f} nats per word" in err
    trained.wv.save(tmp_path / "v.bin")
    assert main(["predict", str(tmp_path / "v.bin"), "paris"]) == 2
    assert "a vectors file, not a whole model" in capsys.readouterr().err
