"""The run's own listeners: the loss curve and the progress bar."""

import io
from types import SimpleNamespace

from cbow.training.progress import ProgressBar


def test_a_resumed_runs_bar_counts_only_the_words_this_process_trains(monkeypatch):
    """After --resume the bar showed 18M words/s and a 1 s ETA: the checkpoint's words were
    counted as trained in no time. They are the bar's start (tqdm's `initial`) instead."""
    stream = io.StringIO()
    monkeypatch.setattr("sys.stderr", stream)
    run = SimpleNamespace(words_done=6_000_000, words_total=10_000_000, last_loss=float("nan"), lr_out=0.01)
    bar = ProgressBar()
    bar.on_train_begin(run)
    assert bar.bar.n == 6_000_000 and bar.bar.format_dict["initial"] == 6_000_000
    run.words_done = 6_500_000
    bar.on_progress(run)
    assert bar.bar.n == 6_500_000
    # tqdm's rate counts n - initial: the 500k words of this process, not 6.5M
    meter = bar.bar.format_dict
    assert meter["n"] - meter["initial"] == 500_000
    bar.on_train_end(run)
    assert bar.bar is None
