"""Callbacks: the events of a run, the same whichever engine trains; stopping early; pauses."""

from __future__ import annotations

import numpy as np
import pytest

import cbow
from cbow import Callback, TrainConfig, train
from cbow.data.encode import read_and_encode
from cbow.errors import Diverged

ENGINES = {"in-process": 1, "two workers": 2}


@pytest.fixture(scope="module")
def corpus(planted_lines):
    return read_and_encode(planted_lines[:6000], min_count=3)


def config(**overrides) -> TrainConfig:
    settings = dict(size=16, window=3, min_count=3, sample=1e-3, epochs=3, batch_size=128, seed=2)
    return TrainConfig(**{**settings, **overrides})


class Recorder(Callback):
    """Keeps every event, with the run's position at that moment."""

    def __init__(self):
        self.events, self.reports, self.progress, self.heldout = [], [], [], []

    def on_train_begin(self, run):
        self.events.append(("train_begin", run.epoch, run.words_done))

    def on_epoch_begin(self, run):
        self.events.append(("epoch_begin", run.epoch, run.words_done))

    def on_progress(self, run):
        self.progress.append((run.epoch, run.words_done))

    def on_epoch_end(self, run, report):
        self.events.append(("epoch_end", report.epoch, report.words_done))
        self.reports.append(report)

    def on_heldout(self, run, point):
        self.heldout.append(point)

    def on_train_end(self, run):
        self.events.append(("train_end", run.epoch, run.words_done, run.completed))


@pytest.mark.parametrize("engine", ENGINES)
def test_the_events_of_a_run_in_order(corpus, engine):
    vocab, encoded = corpus
    recorder = Recorder()
    result = train(config=config(workers=ENGINES[engine]), vocab=vocab, encoded=encoded, callbacks=[recorder])
    words = len(encoded.word_ids)
    assert recorder.events == [
        ("train_begin", 0, 0),
        ("epoch_begin", 0, 0), ("epoch_end", 1, words),
        ("epoch_begin", 1, words), ("epoch_end", 2, 2 * words),
        ("epoch_begin", 2, 2 * words), ("epoch_end", 3, 3 * words),
        ("train_end", 3, 3 * words, True),
    ]
    assert recorder.reports == result.epochs
    assert recorder.progress, "on_progress was never called"
    seen = [words_done for _, words_done in recorder.progress]
    assert seen == sorted(seen) and 0 < seen[-1] <= 3 * words
    assert all(0 <= epoch < 3 for epoch, _ in recorder.progress)


def test_a_callback_sees_the_same_reports_from_either_engine(corpus):
    """Same events, same report fields and positions; only the measured numbers differ."""
    vocab, encoded = corpus
    seen = {}
    for engine, workers in ENGINES.items():
        recorder = Recorder()
        train(config=config(workers=workers, holdout=0.05), vocab=vocab, encoded=encoded, callbacks=[recorder])
        seen[engine] = recorder
    one, two = seen["in-process"], seen["two workers"]
    assert one.events == two.events
    assert [sorted(r.to_dict()) for r in one.reports] == [sorted(r.to_dict()) for r in two.reports]
    for a, b in zip(one.reports, two.reports):
        assert (a.epoch, a.words_done, a.lr_end) == (b.epoch, b.words_done, b.lr_end)
        assert a.heldout_nats is not None and b.heldout_nats is not None
        assert a.W_in is not None and b.W_in is not None
        assert abs(a.mean_loss - b.mean_loss) < 0.1 * a.mean_loss  # the same training, other interleaving
    assert [p.words_done for p in one.heldout] == [p.words_done for p in two.heldout]


class StopAfter(Callback):
    def __init__(self, epochs, by_flag=False):
        self.epochs, self.by_flag = epochs, by_flag

    def on_epoch_end(self, run, report):
        if report.epoch >= self.epochs:
            if self.by_flag:
                run.stop_training = True
                return None
            return True
        return "not True: goes on"  # only True itself stops


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("by_flag", [False, True], ids=["return-true", "stop-training-flag"])
def test_a_callback_stops_training_early(corpus, engine, by_flag):
    vocab, encoded = corpus
    recorder = Recorder()
    result = train(config=config(epochs=5, workers=ENGINES[engine]), vocab=vocab, encoded=encoded,
                   callbacks=[StopAfter(2, by_flag), recorder])
    assert [report.epoch for report in result.epochs] == [1, 2]
    assert recorder.events[-1] == ("train_end", 2, 2 * len(encoded.word_ids), True)
    assert "epoch_begin" not in [event[0] for event in recorder.events[-2:]]  # epoch 3 never began
    # the learning rate is that of a 5-epoch run stopped early, not of a 2-epoch run
    assert result.epochs[-1].lr_end == pytest.approx(0.05 * (1 - 2 / 5))


class PauseAt(Callback):
    """Asks for a pause at a word count and keeps what it saw there."""

    def __init__(self, words):
        self.words, self.seen = words, []

    def pause_at_words(self, run):
        return self.words if not self.seen else None

    def wants_pause(self, run):
        return not self.seen and run.words_done >= self.words

    def at_pause(self, run):
        self.seen.append((run.epoch, run.words_done, run.batches_done, run.keyed_vectors().vectors.copy()))


@pytest.mark.parametrize("engine", ENGINES)
def test_a_pause_at_a_word_count_lands_just_past_it(corpus, engine):
    vocab, encoded = corpus
    words = len(encoded.word_ids)
    pause = PauseAt(int(1.5 * words))
    train(config=config(workers=ENGINES[engine], batch_size=64), vocab=vocab, encoded=encoded, callbacks=[pause])
    assert len(pause.seen) == 1
    epoch, words_done, batches_done, vectors = pause.seen[0]
    assert epoch == 1 and pause.words <= words_done < 2 * words and batches_done > 0
    # every worker stopped at its first batch boundary past the point: within a batch each
    # (a batch of 64 examples covers at most a few hundred corpus words here)
    assert words_done - pause.words < 1000 * ENGINES[engine]
    assert np.isfinite(vectors).all()


def test_train_end_is_called_when_training_fails(corpus):
    vocab, encoded = corpus
    recorder = Recorder()
    with pytest.raises(Diverged):
        train(config=config(alpha=1e30, alpha_in=1e30), vocab=vocab, encoded=encoded, callbacks=[recorder])
    assert recorder.events[-1][0] == "train_end" and recorder.events[-1][3] is False


def test_the_package_face():
    assert cbow.Callback is Callback and cbow.train is train
    assert "Callback" in dir(cbow)


def test_every_epoch_ends_with_a_loss_point_when_its_last_words_gave_no_examples():
    """A worker pool's last poll can see all of an epoch's examples but not its last few words
    (they were subsampled away): the curve's last point still sits at the epoch's end."""
    from types import SimpleNamespace

    from cbow.training.progress import LossCurve
    from cbow.training.run import EpochReport

    run = SimpleNamespace(result=SimpleNamespace(loss_history=[]), words_done=98, next_record=50, record_every=50, epoch=0,
                          interval_loss=6.0, interval_examples=3, lr_out=0.02)
    curve = LossCurve()
    curve.on_progress(run)  # every example of epoch 1 is counted here, at word 98 of 100
    report = EpochReport(epoch=1, mean_loss=2.0, n_examples=3, seconds=1.0, words_per_second=100.0,
                         lr_end=0.01, words_done=100)
    curve.on_epoch_end(run, report)
    assert [(point.epoch, point.words_done, point.mean_loss, point.lr) for point in run.result.loss_history] \
        == [(1, 100, 2.0, 0.01)]
    assert run.next_record == 150
