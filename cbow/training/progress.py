"""The run's own listeners: the loss curve it returns, and the progress bar on stderr."""

from __future__ import annotations

import dataclasses
import math
import sys
from typing import TYPE_CHECKING

from cbow.training.callbacks import Callback
from cbow.training.run import LossPoint

if TYPE_CHECKING:
    from cbow.training.run import EpochReport, Run


class LossCurve(Callback):
    """Appends a LossPoint to `run.result.loss_history` every 1/200 of the run's words and
    at every epoch's end: the mean training loss of the examples since the previous point."""

    def on_progress(self, run: Run) -> None:
        if run.words_done >= run.next_record and run.interval_examples:
            self._record(run, run.epoch + 1, run.words_done, run.lr_out)

    def on_epoch_end(self, run: Run, report: EpochReport) -> None:
        history = run.result.loss_history
        if run.interval_examples:  # the epoch's last interval
            self._record(run, report.epoch, report.words_done, report.lr_end)
        elif history and history[-1].epoch == report.epoch and history[-1].words_done < report.words_done:
            # a worker's last poll saw every example but not the last words (they gave none):
            # the same interval, so its point moves to the epoch's end, where every epoch has one
            history[-1] = dataclasses.replace(history[-1], words_done=report.words_done, lr=report.lr_end)
        run.next_record = report.words_done + run.record_every

    @staticmethod
    def _record(run: Run, epoch: int, words_done: int, lr: float) -> None:
        run.result.loss_history.append(LossPoint(epoch, words_done, run.interval_loss / run.interval_examples, lr))
        run.interval_loss, run.interval_examples = 0.0, 0
        run.next_record = words_done + run.record_every


class ProgressBar(Callback):
    """A tqdm bar on stderr counting corpus words (before subsampling), with loss and lr.

    A resumed run's bar starts at the checkpoint's words (tqdm's `initial`), so its rate
    and ETA count only the words this process trains.
    """

    def __init__(self) -> None:
        self.bar = None
        self.shown = 0

    def on_train_begin(self, run: Run) -> None:
        from tqdm import tqdm

        self.shown = run.words_done
        self.bar = tqdm(total=run.words_total, initial=run.words_done, unit="w", unit_scale=True,
                        desc="training", dynamic_ncols=True, mininterval=0.5, file=sys.stderr)

    def on_progress(self, run: Run) -> None:
        self._show(run.words_done)
        if self.bar is not None and math.isfinite(run.last_loss):
            self.bar.set_postfix(loss=f"{run.last_loss:.3f}", lr=f"{run.lr_out:.2e}", refresh=False)

    def on_epoch_end(self, run: Run, report: EpochReport) -> None:
        self._show(report.words_done)

    def on_train_end(self, run: Run) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None

    def _show(self, words_done: int) -> None:
        if self.bar is not None and words_done > self.shown:
            self.bar.update(words_done - self.shown)
            self.shown = words_done
