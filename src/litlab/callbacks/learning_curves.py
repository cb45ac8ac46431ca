"""Keras' History: every epoch's train and val metrics, plotted when the fit ends."""

import json
from pathlib import Path

import lightning as L
from lightning.pytorch.utilities import rank_zero_only

from litlab.callbacks import plots
from litlab.callbacks.publish import publish_figure
from litlab.outputs import as_float
from litlab.tasks.base import BaseTask


class LearningCurves(L.Callback):
    """Record each epoch's `train/*` and `val/*` values; write `plots/learning_curves.png`
    (loss and the task's main metric, train and val per epoch) and `history.json`.

    Values are read once per epoch from what the task already logged: no work per step.

    Args:
        dirpath: the run directory.
    """

    def __init__(self, dirpath: str) -> None:
        self.dirpath = Path(dirpath)
        self.history: list[dict[str, float]] = []
        self._done_before = 0  # epochs a resumed fit had already run

    def on_train_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self.history = []
        self._done_before = trainer.current_epoch

    def on_train_epoch_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        # An epoch's metrics are all logged once it has ended, i.e. when the next one starts
        # (the task logs train metrics in its own `on_train_epoch_end`, after callbacks').
        self._record(trainer)

    def on_train_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._record(trainer)
        self._write(trainer, pl_module)

    def _record(self, trainer: L.Trainer) -> None:
        """Record the epoch that ended last (numbered from 1), once."""
        epoch = trainer.current_epoch
        if epoch <= self._done_before or (self.history and self.history[-1]["epoch"] == epoch):
            return
        values = {
            name: as_float(value)
            for name, value in trainer.callback_metrics.items()
            if name.startswith(("train/", "val/"))
        }
        self.history.append({"epoch": epoch, **values})

    @rank_zero_only
    def _write(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if not self.history:
            return
        self.dirpath.mkdir(parents=True, exist_ok=True)
        (self.dirpath / "history.json").write_text(json.dumps(self.history, indent=2) + "\n")
        names = ["loss"]
        if isinstance(pl_module, BaseTask):
            names.append(pl_module.main_metric)
        figure = plots.learning_curves(self.history, names)
        publish_figure(trainer, self.dirpath, "plots/learning_curves.png", figure)
