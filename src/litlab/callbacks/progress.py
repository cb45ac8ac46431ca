"""What a fit says while it runs, as Keras' `fit` says it: one line per epoch, and the events.

    Epoch 3/20 - 4.1s - loss 0.2113 - acc 0.9370 - val_loss 0.1720 - val_acc 0.9485

Each line is logged (so it reaches the console and the run's train.log alike) from the
metrics of the epoch it names, the values `history.json` holds: epochs count from 1, train
metrics by their name, validation ones with Keras' `val_` prefix, 4 significant digits. On a
terminal a live bar shows the epoch's progress and is replaced by that line; without one (a
log file, a pipe, SLURM) only the lines are written. A resumed fit says where it resumes, and
early stopping says when it stopped and which epoch's weights are tested.
"""

import logging
import math
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import lightning as L
from lightning.pytorch.callbacks import EarlyStopping, ModelCheckpoint
from lightning.pytorch.callbacks.progress import ProgressBar

from litlab.checkpoints import load_plain

log = logging.getLogger(__name__)

WIDTH = 30  # characters of the live bar


def value_text(value: float, digits: int = 4) -> str:
    """A metric as the console shows it: `digits` significant digits, trailing zeros kept."""
    return f"{value:#.{digits}g}".rstrip(".") if math.isfinite(value) else str(value)


def epoch_line(
    epoch: int, max_epochs: int | None, seconds: float, metrics: dict[str, float]
) -> str:
    """`Epoch 3/20 - 4.1s - loss 0.2113 - ... - val_loss 0.1720 - ...` (train, then val)."""
    of = f"/{max_epochs}" if max_epochs is not None and max_epochs > 0 else ""
    parts = [f"Epoch {epoch}{of}", f"{seconds:.1f}s"]
    for stage, prefix in (("train/", ""), ("val/", "val_")):
        names = sorted(
            (n for n in metrics if n.startswith(stage) and not n.endswith("_best")),
            key=lambda n: (not n.endswith("/loss"), n),
        )
        parts += [f"{prefix}{n.removeprefix(stage)} {value_text(metrics[n])}" for n in names]
    return " - ".join(parts)


def stage_line(title: str, metrics: Mapping[str, Any], digits: int = 4) -> str:
    """`Test - loss 0.0812 - acc 0.9762 - f1_macro 0.9761`: a stage's metrics, loss first."""
    names = sorted(metrics, key=lambda n: (not n.endswith("/loss"), n))
    return " - ".join([title, *(f"{n.split('/', 1)[-1]} {value_text(float(metrics[n]), digits)}"
                                for n in names)])  # fmt: skip


class KerasProgress(ProgressBar):
    """One line per epoch in the console and train.log, a live bar on a terminal, and what
    happened: resumed, stopped early, which weights are tested.

    Args:
        refresh_rate: batches between two redraws of the live bar (a terminal only).
        digits: significant digits of the metrics shown.
    """

    def __init__(self, refresh_rate: int = 20, digits: int = 4) -> None:
        super().__init__()
        self.refresh_rate = refresh_rate
        self.digits = digits
        self._enabled = True
        self._live = sys.stdout.isatty()
        self._started = 0.0  # when the current epoch began
        self._shown = 0  # epochs whose line has been written

    # -- ProgressBar's interface ---------------------------------------------------------------

    def disable(self) -> None:
        self._enabled = False

    def enable(self) -> None:
        self._enabled = True

    @property
    def is_enabled(self) -> bool:
        return self._enabled and self.trainer.is_global_zero

    # -- the fit ---------------------------------------------------------------------------------

    def on_train_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._shown = trainer.current_epoch
        if self.is_enabled and trainer.current_epoch > 0:
            log.info(
                "Resuming at epoch %d%s from %s",
                trainer.current_epoch + 1,
                f"/{trainer.max_epochs}" if trainer.max_epochs else "",
                trainer.ckpt_path,
            )

    def on_train_epoch_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        # The task logs an epoch's train metrics after the callbacks' epoch end: the line of an
        # epoch is written when the next one starts (or the fit ends), from its final values.
        self._write_line(trainer)
        self._started = time.perf_counter()

    def on_train_batch_end(
        self, trainer: L.Trainer, pl_module: L.LightningModule, outputs: Any, batch: Any,
        batch_idx: int,
    ) -> None:  # fmt: skip
        done = batch_idx + 1
        if not (self._live and self.is_enabled) or done % self.refresh_rate:
            return
        total = self.total_train_batches
        share = done / total if isinstance(total, int | float) and math.isfinite(total) else 0.0
        bar = ("=" * int(WIDTH * share)).ljust(WIDTH, ".")
        loss = outputs.get("loss") if isinstance(outputs, dict) else outputs
        last = float(loss.reshape(-1)[-1]) if loss is not None else None  # of the call's steps
        shown = f" - loss {value_text(last, self.digits)}" if last is not None else ""
        seconds = time.perf_counter() - self._started
        sys.stdout.write(f"\r{done}/{total:.0f} [{bar}] - {seconds:.1f}s{shown}  ")
        sys.stdout.flush()

    def on_train_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._write_line(trainer)
        if not self.is_enabled:
            return
        callbacks = getattr(trainer, "callbacks", [])
        stopper = next((c for c in callbacks if isinstance(c, EarlyStopping)), None)
        if stopper is not None and stopper.stopped_epoch > 0:
            log.info(
                "Early stopping at epoch %d: %s has not improved for %d epochs; %s",
                stopper.stopped_epoch + 1, stopper.monitor, stopper.wait_count,
                self._best_weights(trainer),
            )  # fmt: skip

    # -- the lines -------------------------------------------------------------------------------

    def _write_line(self, trainer: L.Trainer) -> None:
        """The line of the epoch that ended last, once."""
        epoch = trainer.current_epoch
        if not self.is_enabled or epoch <= self._shown or trainer.sanity_checking:
            return
        self._shown = epoch
        metrics = {k: float(v) for k, v in trainer.callback_metrics.items()}
        if self._live:
            sys.stdout.write("\r" + " " * (WIDTH + 40) + "\r")  # the live bar gives way
        seconds = time.perf_counter() - self._started
        log.info("%s", epoch_line(epoch, trainer.max_epochs, seconds, metrics))

    def _best_weights(self, trainer: L.Trainer) -> str:
        callback = trainer.checkpoint_callback
        if not isinstance(callback, ModelCheckpoint) or not callback.best_model_path:
            return "testing the last weights (no checkpoint was saved)"
        epoch = load_plain(Path(callback.best_model_path), mmap=True)["epoch"] + 1
        score = callback.best_model_score
        shown = f" ({callback.monitor} {value_text(float(score))})" if score is not None else ""
        return f"testing the best weights, epoch {epoch}{shown}"
