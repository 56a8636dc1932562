"""cbow.Word2Vec as gensim's: a gensim tutorial program runs with its import line changed and
scores at least as well; the constructor's refusals; vocabulary rules; callbacks; save/load."""

from __future__ import annotations

import re

import numpy as np
import pytest

import cbow
from cbow import CallbackAny2Vec, Word2Vec
from cbow.corpora import planted
from cbow.errors import ConfigError, FormatError

TUTORIAL = '''
{import_line}


class LossLogger(CallbackAny2Vec):
    """Prints the loss of each epoch (gensim's loss is cumulative within one train call)."""

    def __init__(self):
        self.epoch, self.previous, self.losses = 0, 0.0, []

    def on_train_begin(self, model):
        self.previous = 0.0

    def on_epoch_end(self, model):
        loss = model.get_latest_training_loss()
        self.losses.append(loss - self.previous)
        self.previous = loss
        self.epoch += 1
        print(f"epoch {{self.epoch}}: loss {{self.losses[-1]:.1f}}")


logger = LossLogger()
model = Word2Vec(sentences=sentences, vector_size=50, window=5, min_count=5, workers=1, epochs=5,
                 compute_loss=True, callbacks=[logger])
neighbours = model.wv.most_similar("paris", topn=5)
score, sections = model.wv.evaluate_word_analogies(analogies)
model.save(model_path)
model = Word2Vec.load(model_path)
model.build_vocab(more_sentences, update=True)
model.train(more_sentences, total_examples=model.corpus_count, epochs=model.epochs, compute_loss=True,
            callbacks=[logger])
score_after, sections_after = model.wv.evaluate_word_analogies(analogies)
model.wv.save(vectors_path)
wv = KeyedVectors.load(vectors_path, mmap="r")
answer = wv.most_similar(positive=["berlin", "france"], negative=["paris"], topn=1)
'''
CBOW_IMPORT = "from cbow import Word2Vec, KeyedVectors, CallbackAny2Vec"
GENSIM_IMPORT = ("from gensim.models import Word2Vec, KeyedVectors\n"
                 "from gensim.models.callbacks import CallbackAny2Vec")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    directory = tmp_path_factory.mktemp("tutorial")
    return dict(sentences=[line.split() for line in planted.generate_lines(n_sentences=12_000, seed=3)],
                more_sentences=[line.split() + ["brandnew"] * (i % 2)
                                for i, line in enumerate(planted.generate_lines(n_sentences=3000, seed=4))],
                analogies=str(planted.write_analogies(directory / "questions.txt")), directory=directory)


def _run_tutorial(import_line: str, corpus: dict, name: str) -> dict:
    namespace = {key: corpus[key] for key in ("sentences", "more_sentences", "analogies")}
    namespace["model_path"] = str(corpus["directory"] / f"{name}-word2vec.model")
    namespace["vectors_path"] = str(corpus["directory"] / f"{name}-vectors.kv")
    exec(TUTORIAL.format(import_line=import_line), namespace)  # noqa: S102 (the tutorial program itself)
    return namespace


def test_the_gensim_tutorial_runs_with_only_its_import_line_changed(corpus, capsys):
    ours = _run_tutorial(CBOW_IMPORT, corpus, "cbow")
    printed = capsys.readouterr().out
    theirs = _run_tutorial(GENSIM_IMPORT, corpus, "gensim")
    assert len(re.findall(r"epoch \d+: loss [0-9.]+", printed)) == 10  # the loss callback, both trains
    assert all(loss > 0 for loss in ours["logger"].losses)
    assert ours["logger"].losses[4] < ours["logger"].losses[0]  # the loss falls over the first train
    assert isinstance(ours["model"], cbow.Word2Vec) and "brandnew" in ours["model"].wv
    assert ours["sections"][-1]["section"] == theirs["sections"][-1]["section"] == "Total accuracy"
    assert [s["section"] for s in ours["sections"]] == [s["section"] for s in theirs["sections"]]
    assert ours["score"] >= theirs["score"] and ours["score_after"] >= theirs["score_after"] - 0.02
    assert ours["score"] > 0.5 and ours["answer"][0][0] == "germany"
    assert isinstance(ours["wv"].vectors, np.memmap)


@pytest.fixture(scope="module")
def sentences():
    return [line.split() for line in planted.generate_lines(n_sentences=3000, seed=5)]


@pytest.mark.parametrize("kwargs, match", [
    (dict(sg=1), "İrsoy"), (dict(hs=1), "negative=0"), (dict(hs=0, negative=0), "nothing to train"),
    (dict(cbow_mean=0), "averages"), (dict(null_word=1), "pads"), (dict(sorted_vocab=0), "sorted"),
    (dict(hashfxn=lambda word: 1), "seed"), (dict(alpha=-1), "alpha"),
])
def test_arguments_cbow_cannot_honour_are_refused_in_one_line(kwargs, match):
    with pytest.raises(ConfigError, match=match) as error:
        Word2Vec(**kwargs)
    assert "\n" not in str(error.value)


def test_unknown_keywords_are_type_errors_with_a_suggestion():
    with pytest.raises(TypeError, match="vector_size"):
        Word2Vec(vectorsize=10)
    model = Word2Vec(vector_size=12, cbow_update="word2vec", alpha_in=0.02)  # cbow's own settings pass through
    assert model._settings().cbow_update == "word2vec" and model._settings().size == 12


def test_train_needs_a_vocabulary_and_update_needs_one(sentences):
    model = Word2Vec(vector_size=8, min_count=2)
    with pytest.raises(RuntimeError, match="build_vocab"):
        model.train(sentences, total_examples=len(sentences), epochs=1)
    with pytest.raises(RuntimeError, match="build_vocab"):
        model.build_vocab(sentences, update=True)
    with pytest.raises(ConfigError, match="word_count"):
        model.build_vocab(sentences)
        model.train(sentences, epochs=1, word_count=5)


def test_vocabulary_rules_are_gensims(sentences):
    from gensim.models import Word2Vec as GensimWord2Vec

    def trim(word, count, min_count):
        return cbow.RULE_KEEP if word.startswith("z") else (cbow.RULE_DISCARD if word == "the" else cbow.RULE_DEFAULT)

    for kwargs in (dict(min_count=3), dict(min_count=1, max_final_vocab=300), dict(min_count=2, max_final_vocab=50)):
        ours, theirs = Word2Vec(vector_size=8, **kwargs), GensimWord2Vec(vector_size=8, **kwargs)
        for model in (ours, theirs):
            model.build_vocab(sentences, trim_rule=trim)
        assert set(ours.wv.index_to_key) == set(theirs.wv.index_to_key)
        assert ours.effective_min_count == theirs.effective_min_count
        assert all(ours.wv.get_vecattr(w, "count") == theirs.wv.get_vecattr(w, "count") for w in ours.wv.index_to_key)
        assert (ours.corpus_count, ours.corpus_total_words) == (theirs.corpus_count, theirs.corpus_total_words)
    bounded = Word2Vec(vector_size=8, min_count=1, max_vocab_size=200)
    bounded.build_vocab(sentences)
    assert len(bounded.wv) <= 200


def test_an_update_adds_words_and_keeps_rows(sentences):
    model = Word2Vec(sentences, vector_size=10, min_count=2, epochs=1, sample=1e-3)
    before = {word: model.wv[word].copy() for word in ("paris", "king")}
    counts = {word: model.wv.get_vecattr(word, "count") for word in ("paris", "king")}
    more = [["paris", "novel", "king", "queen", "city"]] * 3 + [["rare1"]]
    model.build_vocab(more, update=True)
    assert "novel" in model.wv and "rare1" not in model.wv  # min_count 2 in the new text
    assert model.wv.get_vecattr("paris", "count") == counts["paris"] + 3
    for word, vector in before.items():
        np.testing.assert_array_equal(model.wv[word], vector)
    model.train(more, total_examples=4, epochs=1)  # cbow needs 5 distinct words in a corpus
    assert not np.array_equal(model.wv["paris"], before["paris"])


def test_gensim_callbacks_see_the_live_model_and_partial_classes_work(sentences):
    events = []

    class Partial:  # not derived from anything, only two of gensim's methods
        def on_epoch_begin(self, model):
            events.append(("begin", len(model.wv), model.get_latest_training_loss()))

        def on_train_end(self, model):
            events.append(("end", model.wv.most_similar("paris", topn=1)[0][0]))

    class Rich(cbow.Callback):
        def on_epoch_end(self, run, report):
            events.append(("report", report.epoch))

    model = Word2Vec(sentences, vector_size=10, min_count=2, epochs=2, callbacks=[Partial(), Rich()])
    assert [event[0] for event in events] == ["begin", "report", "begin", "report", "end"]
    assert events[0][2] == 0 and events[2][2] > 0  # the cumulative loss, live
    assert events[0][1] == len(model.wv)


def test_gensim_callbacks_in_cbow_train_get_the_run(sentences):
    seen = []

    class GensimStyle(CallbackAny2Vec):
        def on_epoch_end(self, model):
            seen.append(model.get_latest_training_loss())

    class CbowStyleNotDerived:
        def on_epoch_end(self, run, report):
            seen.append(report.epoch)

    cbow.train(sentences, cbow.TrainConfig(size=8, min_count=2, epochs=2, sample=1e-3),
               callbacks=[GensimStyle(), CbowStyleNotDerived()])
    assert seen[1] == 1 and seen[3] == 2 and 0 < seen[0] < seen[2]


def test_locked_rows_stay_fixed(tmp_path, sentences):
    model = Word2Vec(vector_size=10, min_count=2, epochs=1)
    model.build_vocab(sentences)
    pretrained = cbow.KeyedVectors(["paris", "king", "notinthecorpus"], np.ones((3, 10), dtype=np.float32))
    pretrained.save_word2vec_format(tmp_path / "pre.txt")
    assert model.wv.intersect_word2vec_format(tmp_path / "pre.txt", lockf=0.0) == 2
    untouched = model.wv["city"].copy()
    model.train(sentences, total_examples=model.corpus_count, epochs=1)
    np.testing.assert_array_equal(model.wv["paris"], np.ones(10))
    assert not np.array_equal(model.wv["city"], untouched)
    model.wv.vectors_lockf[:] = 0.5
    with pytest.raises(ConfigError, match="0.0 and 1.0"):
        model.train(sentences, epochs=1)


def test_save_load_predict_score_and_views(tmp_path, sentences):
    model = Word2Vec(sentences, vector_size=10, min_count=2, epochs=1, hs=1, negative=0)
    assert model.syn1.shape == (len(model.wv) - 1, 10)
    with pytest.raises(AttributeError, match="syn1"):
        model.syn1neg
    model.save(tmp_path / "w2v.model")
    loaded = Word2Vec.load(tmp_path / "w2v.model")
    np.testing.assert_array_equal(loaded.wv.vectors, model.wv.vectors)
    np.testing.assert_array_equal(loaded.syn1, model.syn1)
    assert loaded.hs == 1 and loaded.negative == 0 and str(loaded).startswith("Word2Vec<vocab=")
    assert cbow.load(tmp_path / "w2v.model").index_to_key == model.wv.index_to_key
    words = [word for word, _ in model.predict_output_word(["paris", "city"], topn=3)]
    assert len(words) == 3 and model.predict_output_word(["nothere"]) is None
    scores = model.score(sentences[:4])
    assert scores.shape == (4,) and (scores < 0).all()
    (tmp_path / "gensim.model").write_bytes(b"\x80\x04\x95 a pickle")
    with pytest.raises(FormatError, match="pickle"):
        Word2Vec.load(tmp_path / "gensim.model")
    assert set(model.estimate_memory()) == {"vocab", "vectors", "syn1", "total"}


def test_train_config_takes_gensims_names():
    config = cbow.TrainConfig(vector_size=50, max_final_vocab=1000)
    assert (config.size, config.vector_size, config.max_vocab) == (50, 50, 1000)
    with pytest.raises(ConfigError, match="give one"):
        cbow.TrainConfig(vector_size=50, size=60)


def test_corpus_file_with_worker_processes(tmp_path, sentences):
    """corpus_file is read as gensim's LineSentence (split on whitespace, case kept); the
    gensim callback sees the live model with two worker processes too."""
    path = tmp_path / "corpus.txt"
    path.write_text("\n".join(" ".join(sentence) for sentence in sentences) + "\nParis PARIS paris\n")
    seen = []

    class Epochs(CallbackAny2Vec):
        def on_epoch_end(self, model):
            seen.append(float(np.abs(model.wv.vectors).sum()))

    model = Word2Vec(corpus_file=str(path), vector_size=10, min_count=1, epochs=2, workers=2, callbacks=[Epochs()])
    assert "PARIS" in model.wv and "Paris" in model.wv  # no lowercasing, as LineSentence
    assert model.result.config.workers == 2 and len(seen) == 2 and seen[0] != seen[1]
    assert model.corpus_total_words == sum(map(len, sentences)) + 3
