"""cbow explore's JSON API, called in-process: answers equal the commands', bad requests are clear 4xx JSON."""

import json

import numpy as np
import pytest

from cbow.cli import main
from cbow.explore import layout
from cbow.explore.api import Api
from cbow.explore.completion import PrefixIndex
from cbow.explore.served import display_names, load_files
from cbow.training.training_log import TrainingLog
from cbow.vectors.keyed import KeyedVectors
from cbow.vectors.plot import pca_2d


@pytest.fixture(scope="module")
def trained(explore_trained):
    return explore_trained


@pytest.fixture(scope="module")
def api(trained, tmp_path_factory):
    from cbow.explore.layout_jobs import LayoutJobs

    served = Api(load_files(trained[:2]), jobs=LayoutJobs(tmp_path_factory.mktemp("maps")))
    yield served
    served.close()


def ask(api, endpoint, **params):
    """(status, JSON body) of GET /api/<endpoint>?params."""
    response = api.handle(f"/api/{endpoint}", {name: [str(value)] for name, value in params.items()})
    assert response.content_type.startswith("application/json")
    return response.status, json.loads(response.body)


def cli_json(capsys, *argv):
    assert main(list(argv)) == 0
    return json.loads(capsys.readouterr().out)


def test_neighbours_equal_cbow_similar(api, trained, capsys):
    status, answer = ask(api, "neighbours", file=0, word="paris", topn=7)
    expected = cli_json(capsys, "similar", str(trained[0]), "paris", "--topn", "7", "--json")["paris"]
    assert status == 200 and answer["source"] == "vocabulary"
    assert answer["neighbours"] == expected and len(expected) == 7
    status, other = ask(api, "neighbours", file=1, word="paris", topn=7)
    expected = cli_json(capsys, "similar", str(trained[1]), "paris", "--topn", "7", "--json")["paris"]
    assert other["neighbours"] == expected


def test_a_typed_spelling_is_found_and_said(api):
    status, answer = ask(api, "neighbours", word="Paris", topn=3)
    assert status == 200 and (answer["key"], answer["source"]) == ("paris", "spelling")


def test_unknown_word_is_a_404_with_suggestions(api):
    status, answer = ask(api, "neighbours", word="pariss")
    assert status == 404 and answer["error"]["code"] == "unknown_word"
    assert "paris" in answer["error"]["suggestions"] and "did you mean 'paris'" in answer["error"]["message"]
    status, answer = ask(api, "neighbours", word="zzzzqqq")
    assert status == 404 and answer["error"]["suggestions"] == [] and "check the spelling" in answer["error"]["message"]


@pytest.mark.parametrize("params, fragment", [
    ({"word": "paris", "topn": 10 ** 9}, "topn must be between 1 and 1,000"),
    ({"word": "paris", "topn": 0}, "topn must be between"),
    ({"word": "paris", "topn": "ten"}, "topn must be an integer"),
    ({"word": "x" * 5000}, "5,000 characters long"),
    ({"word": " "}, "needs word="),
    ({"word": "paris", "colour": "red"}, "does not take 'colour'"),
])
def test_bad_parameters_are_400s_naming_the_parameter(api, params, fragment):
    status, answer = ask(api, "neighbours", **params)
    assert status == 400 and answer["error"]["code"] == "bad_parameter" and fragment in answer["error"]["message"]


def test_a_repeated_parameter_is_refused(api):
    response = api.handle("/api/neighbours", {"word": ["paris", "rome"]})
    assert response.status == 400 and b"given 2 times" in response.body


@pytest.mark.parametrize("name", ["2", "../a.cbow", "/etc/passwd", "a.cbow", "0/../1", "-1"])
def test_a_file_not_named_on_the_command_line_is_unknown(api, name):
    status, answer = ask(api, "neighbours", file=name, word="paris")
    assert status == 404 and answer["error"]["code"] == "unknown_file"
    assert "it serves a.cbow (0), b.bin (1)" in answer["error"]["message"]


def test_path_like_words_are_only_words(api):
    for word in ("../../etc/passwd", "/etc/passwd", "a.cbow/vectors.npy", "..\\..\\boot.ini"):
        status, answer = ask(api, "neighbours", word=word)
        assert status == 404 and answer["error"]["code"] == "unknown_word"


def test_expressions_and_analogies_equal_cbow_analogy(api, trained, capsys):
    path = str(trained[0])
    for method, flags in (("3CosAdd", []), ("3CosMul", ["--cosmul"])):
        expected = cli_json(capsys, "analogy", path, "man", "king", "woman", "--topn", "5", "--json", *flags)
        for text in ("king - man + woman", "king-man+woman", "man : king :: woman", "man:king::woman:?"):
            status, answer = ask(api, "query", q=text, method=method, topn=5)
            assert status == 200 and answer["neighbours"] == expected, (method, text)
            assert (answer["positive"], answer["negative"]) == (["king", "woman"], ["man"])


@pytest.mark.parametrize("text, fragment", [
    ("king - - man", "two operators in a row"),
    ("king +", "ends with an operator"),
    ("+ - +", "two operators"),
    (" ".join(["king"] * 30), "at most 20"),
])
def test_malformed_expressions_say_how_to_write_one(api, text, fragment):
    status, answer = ask(api, "query", q=text)
    assert status == 400 and answer["error"]["code"] == "bad_expression" and fragment in answer["error"]["message"]


def test_an_expression_names_its_unknown_word(api):
    status, answer = ask(api, "query", q="king - mann + woman")
    assert status == 404 and answer["error"]["word"] == "mann" and "man" in answer["error"]["suggestions"]
    status, answer = ask(api, "query", q="- man", method="3CosMul")
    assert status == 400 and "3CosMul needs at least one word to add" in answer["error"]["message"]
    status, answer = ask(api, "query", q="king", method="4CosDiv")
    assert status == 400 and "must be one of 3CosAdd, 3CosMul" in answer["error"]["message"]


def test_compare_marks_what_each_file_lacks(api, trained):
    status, answer = ask(api, "compare", a=0, b=1, word="paris", k=10)
    kv_a, kv_b = KeyedVectors.load(trained[0]), KeyedVectors.load(trained[1])
    in_a = [w for w, _ in kv_a.most_similar("paris", topn=10)]
    in_b = [w for w, _ in kv_b.most_similar("paris", topn=10)]
    shared = set(in_a) & set(in_b)
    assert status == 200 and answer["shared"] == len(shared) and answer["overlap"] == len(shared) / 10
    assert answer["only_a"] == [w for w in in_a if w not in shared]
    assert answer["only_b"] == [w for w in in_b if w not in shared]
    for word, mark in zip(in_a, answer["a"]["marks"]):
        assert mark["shared"] == (word in shared)
        assert mark["rank_in_other"] == (in_b.index(word) + 1 if word in shared else None)
        assert mark["cosine_in_other"] == pytest.approx(kv_b.similarity("paris", word), abs=1e-6)
    status, answer = ask(api, "compare", a=0, b=0, word="paris")
    assert status == 400 and "the same file" in answer["error"]["message"]


def test_moved_words_rank_by_overlap(api, trained):
    status, answer = ask(api, "moved", a=0, b=1, sample=50, k=5)
    kv_a, kv_b = KeyedVectors.load(trained[0]), KeyedVectors.load(trained[1])
    words = kv_a.index_to_key[:50]
    overlaps = [len({w for w, _ in kv_a.most_similar(x, topn=5)} & {w for w, _ in kv_b.most_similar(x, topn=5)}) / 5
                for x in words]
    assert status == 200 and answer["sample"] == 50
    assert answer["mean_overlap"] == pytest.approx(np.mean(overlaps), abs=1e-6)
    listed = [row["overlap"] for row in answer["words"]]
    assert listed == sorted(listed) and listed[0] == min(overlaps)
    assert {row["word"]: row["overlap"] for row in answer["words"]} == {
        w: o for w, o in zip(words, overlaps) if w in {row["word"] for row in answer["words"]}}


def test_pca_map_of_the_top_words_matches_the_svd(api, trained):
    status, meta = ask(api, "map", file=0, n=200)
    kv = KeyedVectors.load(trained[0])
    assert status == 200 and meta["state"] == "done" and meta["words"] == kv.index_to_key[:200]
    coords = np.frombuffer(api.handle("/api/map.bin", {"file": ["0"], "n": ["200"]}).body, dtype="<f4").reshape(-1, 2)
    expected, explained = pca_2d(kv.get_normed_vectors()[:200])
    assert np.allclose(coords, expected, atol=2e-4)
    assert meta["explained"] == pytest.approx(explained.tolist(), abs=1e-5)
    status, meta = ask(api, "map", file=0, n="all")
    assert len(meta["words"]) == len(kv)


def test_pca_in_blocks_equals_pca_in_one(trained, monkeypatch):
    kv = KeyedVectors.load(trained[0], mmap="r")
    rows = np.arange(len(kv))[::-1].copy()  # any order: coordinates come back in the order asked
    whole = layout.pca(kv.vectors, rows)
    monkeypatch.setattr(layout, "BLOCK_ROWS", 37)
    blocked = layout.pca(kv.vectors, rows)
    assert np.allclose(whole.coords, blocked.coords, atol=1e-5) and np.allclose(whole.explained, blocked.explained)


def test_neighbourhood_map_is_the_word_and_its_neighbours(api, trained):
    status, meta = ask(api, "map", file=0, word="paris", k=30)
    kv = KeyedVectors.load(trained[0])
    assert status == 200 and meta["words"] == ["paris"] + [w for w, _ in kv.most_similar("paris", topn=30)]
    assert meta["ranks"][0] == kv.key_to_index["paris"] + 1
    coords = api.handle("/api/map.bin", {"file": ["0"], "word": ["paris"], "k": ["30"]}).body
    assert len(coords) == 31 * 2 * 4
    status, answer = ask(api, "map", file=0, word="paris", n=10)
    assert status == 400 and "drop n and method" in answer["error"]["message"]


@pytest.mark.parametrize("params, fragment", [
    ({"n": 1}, "n must be between 2 and"),
    ({"n": 10 ** 7}, "n must be between 2 and"),
    ({"method": "mds"}, "method must be one of pca, tsne, umap"),
    ({"k": 5}, "k is for a neighbourhood map"),
    ({"word": "paris", "k": 10 ** 6}, "k must be between 2 and 2,000"),
])
def test_bad_map_requests(api, params, fragment):
    status, answer = ask(api, "map", **params)
    assert status == 400 and fragment in answer["error"]["message"]


def test_training_log_as_recorded(api, trained):
    status, answer = ask(api, "log", file=0)
    records = TrainingLog.read(f"{trained[0]}.log.jsonl")
    assert status == 200 and answer["records"] == records
    assert [r["epoch"] for r in records if r.get("kind") == "epoch"] == [1, 2, 3, 4, 5, 6]
    assert any(r.get("kind") == "heldout" for r in records) and "eval" in records[-1]


def test_missing_or_damaged_log(trained, tmp_path):
    copy = tmp_path / "v.bin"
    copy.write_bytes(trained[1].read_bytes())
    served = Api(load_files([copy]))
    try:
        status, answer = ask(served, "log", file=0)
        assert status == 404 and "no training log beside it (v.bin.log.jsonl)" in answer["error"]["message"]
        (tmp_path / "v.bin.log.jsonl").write_text('{"epoch": 1}\nnot json\n')
        served = Api(load_files([copy]))
        status, answer = ask(served, "log", file=0)
        assert status == 422 and "v.bin.log.jsonl:2: not a JSON object" in answer["error"]["message"]
    finally:
        served.close()


def test_evaluate_the_planted_analogies_as_cbow_evaluate(api, trained, capsys):
    status, answer = ask(api, "evaluate", file=1, set="planted-analogies")
    report = cli_json(capsys, "evaluate", str(trained[1]), "--analogies", str(trained[2]), "--json")
    expected = report["analogies"][str(trained[2])]["methods"]
    assert status == 200 and answer["methods"] == expected
    for method, scores in expected.items():
        assert len(answer["wrong"][method]) == scores["total"] - scores["correct"] > 0
    first_wrong = answer["wrong"]["3CosAdd"][0]
    assert first_wrong["answer"] != first_wrong["question"][3]
    status, answer = ask(api, "evaluate", file=0, set="/etc/passwd")
    assert status == 404 and "no evaluation set '/etc/passwd'" in answer["error"]["message"]


def test_evaluate_word_pairs_lists_the_worst_ranked_first(api, trained, tmp_path, monkeypatch):
    from cbow.vectors import datasets

    pairs = tmp_path / "wordsim353.tsv"
    words = KeyedVectors.load(trained[0]).index_to_key[:40]
    pairs.write_text("".join(f"{a}\t{b}\t{i % 10}\n" for i, (a, b) in enumerate(zip(words[::2], words[1::2]))))
    monkeypatch.setattr(datasets, "locate", lambda name: pairs if name == "wordsim353" else None)
    status, answer = ask(api, "evaluate", file=0, set="wordsim353")
    assert status == 200 and answer["pairs"] == 20
    gaps = [abs(item["human_rank"] - item["model_rank"]) for item in answer["items"]]
    assert gaps == sorted(gaps, reverse=True)
    status, answer = ask(api, "evaluate", file=0, set="simlex999")
    assert status == 404 and "run: cbow datasets fetch simlex999" in answer["error"]["message"]


def test_files_listing(api, trained):
    _, answer = ask(api, "files")
    first, second = answer["files"]
    assert (first["name"], first["mapped"], first["counts"], first["log"]) == ("a.cbow", True, True, True)
    assert (second["name"], second["mapped"], second["counts"]) == ("b.bin", False, False)
    assert answer["maps"]["pca"]["available"] and answer["maps"]["tsne"]["available"]  # scikit-learn: test extra
    assert answer["sets"][0]["name"] == "planted-analogies"


def test_completion_by_prefix_and_frequency():
    words = ["the", "Paris", "pa", "park", "parade", "pamphlet", "zebra"]
    index = PrefixIndex(words)
    assert index.complete("pa", limit=3) == ["pa", "Paris", "park"]   # the exact word first, then by row
    assert index.complete("PAR") == ["Paris", "park", "parade"]
    assert index.complete("q") == [] and index.complete("") == []
    assert "park" in index.did_you_mean("parj") and "park" in index.did_you_mean("prak")
    assert index.did_you_mean("zzzz") == []


def test_completion_endpoint(api):
    status, answer = ask(api, "complete", file=0, q="pa", limit=5)
    assert status == 200 and "paris" in answer["words"] and all(w.lower().startswith("pa") for w in answer["words"])
    status, answer = ask(api, "complete", file=0, q="parsi")
    assert answer["words"] == [] and "paris" in answer["did_you_mean"]


def test_an_unseen_word_of_a_subword_model_is_answered_from_its_ngrams(trained, tmp_path, capsys):
    """A .cbow with n-gram rows is opened as SubwordKeyedVectors (cbow.load): an unseen word's
    neighbours are cbow similar's, from the mean of its n-gram rows, and said so."""
    from cbow.data.subwords import SubwordSpec
    from cbow.vectors.subword_keyed import SubwordKeyedVectors

    plain = KeyedVectors.load(trained[0])
    spec = SubwordSpec(3, 6, 4000)
    ngrams = np.random.default_rng(0).standard_normal((spec.buckets, plain.vector_size)).astype(np.float32)
    path = tmp_path / "sub.cbow"
    SubwordKeyedVectors(plain.index_to_key, np.array(plain.vectors), ngrams, spec, counts=plain.counts).save(path)
    served = Api(load_files([path]))
    try:
        status, answer = ask(served, "neighbours", word="parisian", topn=5)
        expected = cli_json(capsys, "similar", str(path), "parisian", "--topn", "5", "--json")["parisian"]
        assert status == 200 and answer["source"] == "ngrams" and answer["neighbours"] == expected
        assert answer["notices"] == [
            "'parisian' is not in the vocabulary: its vector is the mean of its 26 n-gram vectors"]
        status, answer = ask(served, "neighbours", word="paris", topn=5)
        assert answer["source"] == "vocabulary" and "notices" not in answer
        status, answer = ask(served, "query", q="parisian - paris + rome", topn=3)
        assert status == 200 and any("'parisian' is not in the vocabulary" in text for text in answer["notices"])
        status, meta = ask(served, "map", word="parisian", k=10)
        assert status == 200 and meta["words"][0] == "parisian" and meta["ranks"][0] == 0
    finally:
        served.close()


def test_display_names_tell_files_apart(tmp_path):
    assert display_names([tmp_path / "x" / "v.bin", tmp_path / "y" / "v.bin"]) == ["x/v.bin", "y/v.bin"]
    assert display_names([tmp_path / "v.bin", tmp_path / "v.bin"]) == ["v.bin", "v.bin (2)"]


def test_unknown_endpoint(api):
    response = api.handle("/api/../../etc/passwd", {})
    assert response.status == 404 and b"no API endpoint" in response.body


def test_tsne_progress_is_read_from_its_iteration_lines(monkeypatch):
    """The t-SNE adapter with a stand-in for scikit-learn's TSNE that prints its iterations as
    TSNE(verbose=2) does; the real one runs in test_layout_jobs_compute_once_and_cache_per_file."""
    import io
    import sys
    import types

    from cbow.explore import layout_child

    class StandInTSNE:
        def __init__(self, **kwargs):
            self.kwargs = kwargs

        def fit_transform(self, data):
            print("[t-SNE] Computing 31 nearest neighbors...")
            for iteration in range(50, self.kwargs["max_iter"] + 1, 50):
                print(f"[t-SNE] Iteration {iteration}: error = 1.0, gradient norm = 0.1 (50 iterations in 0.01s)")
            return data[:, :2]

    monkeypatch.setitem(sys.modules, "sklearn.manifold", types.SimpleNamespace(TSNE=StandInTSNE))
    stream = io.StringIO()
    data = np.random.default_rng(1).standard_normal((30, 6)).astype(np.float32)
    coords = layout_child.tsne(data, layout_child._Reporter(stream))
    messages = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert np.array_equal(coords, data[:, :2]) and messages[0]["progress"] == 0.0
    assert {"progress": 0.55, "message": "t-SNE iteration 500 of 1000"} in messages
    assert messages[-1] == {"progress": 1.0, "message": "t-SNE iteration 1000 of 1000"}
    assert [m["progress"] for m in messages] == sorted(m["progress"] for m in messages)


def test_umap_progress_is_read_from_its_epoch_bar(monkeypatch):
    """The UMAP adapter with a stand-in for umap-learn (not in the test extra) that reports its
    epochs through the tqdm arguments it is given, as umap-learn's optimise loop does."""
    import io
    import sys
    import types

    from tqdm import tqdm

    from cbow.explore import layout_child

    class StandInUMAP:
        def __init__(self, **kwargs):
            self.kwargs = kwargs

        def fit_transform(self, data):
            for _ in tqdm(range(self.kwargs["n_epochs"]), **self.kwargs["tqdm_kwds"]):
                pass
            return data[:, :2] * 2

    monkeypatch.setitem(sys.modules, "umap", types.SimpleNamespace(UMAP=StandInUMAP))
    stream = io.StringIO()
    data = np.random.default_rng(1).standard_normal((30, 6)).astype(np.float32)
    coords = layout_child.umap(data, layout_child._Reporter(stream))
    messages = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert np.array_equal(coords, data[:, :2] * 2)
    assert messages[-1] == {"progress": 1.0, "message": "UMAP epoch 200 of 200"}
    assert [m["progress"] for m in messages] == sorted(m["progress"] for m in messages)


def test_layout_jobs_compute_once_and_cache_per_file(trained, tmp_path):
    import os
    import time

    from cbow.explore.layout_jobs import LayoutJobs

    copy = tmp_path / "v.bin"
    copy.write_bytes(trained[1].read_bytes())
    served = load_files([copy])[0]

    def finished(job):
        deadline = time.monotonic() + 300  # waits for the child; nothing races it
        while job.state not in ("done", "failed") and time.monotonic() < deadline:
            time.sleep(0.05)
        return job

    jobs = LayoutJobs(tmp_path / "maps")
    try:
        job = jobs.request(served, "tsne", 50)
        assert jobs.request(served, "tsne", 50) is job  # asked again while running: the same job
        assert finished(job).state == "done", job.error
        first = job.layout.coords
    finally:
        jobs.close()
    jobs = LayoutJobs(tmp_path / "maps")  # a later session on the same file
    try:
        job = jobs.request(served, "tsne", 50)
        assert (job.state, job.message) == ("done", "from the cache") and np.array_equal(job.layout.coords, first)
    finally:
        jobs.close()
    later = copy.stat().st_mtime_ns + 10 ** 9
    os.utime(copy, ns=(later, later))  # the file changed: a session on it is not shown the old map
    jobs = LayoutJobs(tmp_path / "maps")
    try:
        job = jobs.request(load_files([copy])[0], "tsne", 50)
        assert job.state in ("queued", "running") and job.message != "from the cache"
    finally:
        jobs.close()  # stops the child it started


def test_the_planted_set_lives_in_a_held_scratch_directory(trained, tmp_path, monkeypatch):
    """Written once into a directory the session holds, removed at close; one a killed session
    left behind (its lock held by no process) is swept when the next session makes its own."""
    import tempfile

    from cbow.explore.evaluation import SCRATCH_PREFIX, EvaluationSets

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    left = tmp_path / f"{SCRATCH_PREFIX}99999.abcd1234"
    left.mkdir()
    (left / ".cbow-lock").touch()
    (left / "planted-questions.txt").write_text(": capital\n")
    sets = EvaluationSets()
    served = load_files([trained[0]])[0]
    assert sets.run(served, "planted-analogies")["questions"] == 636
    (mine,) = [p for p in tmp_path.iterdir() if p.name.startswith(SCRATCH_PREFIX)]
    assert not left.exists() and (mine / "planted-questions.txt").is_file()
    sets.close()
    assert not mine.exists()
