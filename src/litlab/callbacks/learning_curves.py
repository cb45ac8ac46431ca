"""Keras' History: every epoch's train and val metrics, plotted when the fit ends."""

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import lightning as L
from lightning.pytorch.callbacks import ModelCheckpoint
from lightning.pytorch.utilities import rank_zero_only

from litlab.callbacks.publish import publish_figure
from litlab.checkpoints import load_plain
from litlab.tasks.base import BaseTask
from litlab.tasks.report import new_figure

if TYPE_CHECKING:
    from matplotlib.figure import Figure


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
            name: float(value)
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
        figure = learning_curves_figure(self.history, names, best_epoch(trainer))
        publish_figure(trainer, self.dirpath, "plots/learning_curves.png", figure)


def best_epoch(trainer: L.Trainer) -> int | None:
    """The epoch (from 1) of the best checkpoint, whose weights the test uses."""
    callback = trainer.checkpoint_callback
    if not isinstance(callback, ModelCheckpoint) or not callback.best_model_path:
        return None
    return int(load_plain(Path(callback.best_model_path), mmap=True)["epoch"]) + 1


def learning_curves_figure(
    history: Sequence[Mapping[str, float]], metrics: Sequence[str], best: int | None = None
) -> "Figure":
    """Keras' History plot: one panel per metric name, train and val per epoch (from 1); a
    dashed line marks the `best` epoch, the one restored for the test."""
    figure = new_figure(5.0 * len(metrics), 3.6)
    axes = figure.subplots(1, len(metrics), squeeze=False)[0]
    for ax, name in zip(axes, metrics, strict=True):
        for stage in ("train", "val"):
            points = [
                (row["epoch"], row[f"{stage}/{name}"])
                for row in history
                if f"{stage}/{name}" in row
            ]
            if points:
                epochs, values = zip(*points, strict=True)
                ax.plot(epochs, values, marker="o", markersize=3, label=stage)
        if best is not None:
            ax.axvline(best, linestyle="--", color="gray", linewidth=1, label=f"best ({best})")
        ax.set(title=name, xlabel="epoch")
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.grid(alpha=0.3)
        ax.legend()
    return figure
