"""Concurrent neighbour queries of a file are answered by one product, each answer as if alone."""

import threading
import time

import numpy as np
import pytest

from cbow.explore.batching import NeighbourBatcher
from cbow.explore.served import ServedFile
from cbow.vectors.keyed import KeyedVectors


class HeldVectors(KeyedVectors):
    """KeyedVectors whose first most_similar_many waits until the test lets it go, recording every call."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.calls, self.release, self.entered = [], threading.Event(), threading.Event()

    def most_similar_many(self, words, topn=10, restrict_vocab=None):
        self.calls.append((list(words), topn))
        if len(self.calls) == 1:
            self.entered.set()
            self.release.wait(timeout=60)
        if "boom" in words:
            raise RuntimeError("broken")
        return super().most_similar_many(words, topn=topn, restrict_vocab=restrict_vocab)


@pytest.fixture
def held():
    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(300)] + ["boom"]
    kv = HeldVectors(words, rng.standard_normal((len(words), 12)).astype(np.float32))
    return ServedFile("0", "v", None, kv), KeyedVectors(words, kv.vectors)


def ask_in_threads(batcher, served, keys, topn):
    answers, threads = {}, []
    for key in keys:
        def ask(key=key):
            try:
                answers[key] = batcher.most_similar(served, key, topn)
            except RuntimeError as error:
                answers[key] = error
        threads.append(threading.Thread(target=ask))
        threads[-1].start()
    return answers, threads


def wait_queued(batcher, n, group):
    deadline = time.monotonic() + 60  # waits for threads to queue; the computation is held meanwhile
    while len(batcher._waiting.get(group, (None, []))[1]) < n and time.monotonic() < deadline:
        time.sleep(0.01)


def test_queries_that_arrive_during_a_computation_form_one_batch(held):
    served, plain = held
    batcher = NeighbourBatcher()
    try:
        first, first_threads = ask_in_threads(batcher, served, ["w0"], 5)
        assert served.kv.entered.wait(60)  # w0 is being computed (held)
        keys = [f"w{i}" for i in range(1, 9)]
        rest, threads = ask_in_threads(batcher, served, keys, 5)
        other, other_threads = ask_in_threads(batcher, served, ["w9"], 3)  # another topn: its own batch
        wait_queued(batcher, 8, ("0", 5))
        wait_queued(batcher, 1, ("0", 3))
        served.kv.release.set()
        for thread in first_threads + threads + other_threads:
            thread.join(60)
        assert served.kv.calls[0] == (["w0"], 5)
        assert {(tuple(sorted(words)), topn) for words, topn in served.kv.calls[1:]} == {(tuple(sorted(keys)), 5),
                                                                                         (("w9",), 3)}
        assert len(served.kv.calls) == 3  # 10 queries, 3 products

        def same(found, alone):  # a batch's product sums in another order: equal to float32 rounding
            return [w for w, _ in found] == [w for w, _ in alone] and np.allclose(
                [s for _, s in found], [s for _, s in alone], rtol=0, atol=1e-6)

        for key, found in {**first, **rest}.items():
            assert same(found, plain.most_similar_many([key], topn=5)[0]), key
        assert same(other["w9"], plain.most_similar_many(["w9"], topn=3)[0])
    finally:
        served.kv.release.set()
        batcher.close()


def test_an_error_reaches_every_query_of_its_batch(held):
    served, _ = held
    batcher = NeighbourBatcher()
    try:
        first, first_threads = ask_in_threads(batcher, served, ["w0"], 4)
        assert served.kv.entered.wait(60)
        rest, threads = ask_in_threads(batcher, served, ["boom", "w1"], 4)
        wait_queued(batcher, 2, ("0", 4))
        served.kv.release.set()
        for thread in first_threads + threads:
            thread.join(60)
        assert isinstance(rest["boom"], RuntimeError) and isinstance(rest["w1"], RuntimeError)
        assert isinstance(first["w0"], list)
        assert batcher.most_similar(served, "w2", 4)  # the computing thread goes on
    finally:
        batcher.close()


def test_warming_answers_one_query_in_the_background(held):
    served, _ = held
    batcher = NeighbourBatcher()
    try:
        batcher.warm(served)
        assert served.kv.entered.wait(60)  # the first query runs before anyone asked one
        assert served.kv.calls == [(["w0"], 1)]
        served.kv.release.set()
        assert batcher.most_similar(served, "w3", 2) and served.kv.calls[-1] == (["w3"], 2)
    finally:
        served.kv.release.set()
        batcher.close()
