"""Stop a fit whose training loss became NaN or infinite before a checkpoint keeps its weights."""

import itertools
from collections.abc import Mapping
from typing import Any

import lightning as L
import torch
from torch import Tensor

from litlab.errors import ConfigError, DivergedError


class StopOnNonFiniteLoss(L.Callback):
    """Raise DivergedError, naming the step, when a training loss is NaN or infinite.

    The losses stay on their device between checks, so steps never wait for the device: they
    are checked together (one device-to-host sync) every `check_every` steps, before each
    validation, at the end of each epoch and before any checkpoint is written. A checkpoint
    therefore never holds the weights of a diverged fit; those saved before it are kept.

    Args:
        check_every: the most training steps between two checks.
    """

    def __init__(self, check_every: int = 100) -> None:
        if check_every < 1:
            raise ConfigError(f"nonfinite_loss.check_every={check_every} must be at least 1.")
        self.check_every = check_every
        self._losses: list[Tensor] = []  # each call's losses, one per optimizer step
        self._where: list[tuple[int, int, int]] = []  # (global step, epoch, call) of each call

    def on_train_batch_end(
        self,
        trainer: L.Trainer,
        pl_module: L.LightningModule,
        outputs: Any,
        batch: Any,
        batch_idx: int,
    ) -> None:
        loss = outputs.get("loss") if isinstance(outputs, Mapping) else outputs
        if not isinstance(loss, Tensor):  # e.g. a step that returned None to skip the batch
            return
        losses = loss.detach().reshape(-1)  # several when a call runs several steps
        self._losses.append(losses)
        self._where.append((trainer.global_step, trainer.current_epoch, batch_idx))
        if len(self._losses) >= self.check_every:
            self._check(trainer)

    def on_validation_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._check(trainer)

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._check(trainer)

    def on_save_checkpoint(
        self, trainer: L.Trainer, pl_module: L.LightningModule, checkpoint: dict[str, Any]
    ) -> None:
        self._check(trainer)  # raising here stops the file from being written

    def _check(self, trainer: L.Trainer) -> None:
        if not self._losses:
            return
        losses = torch.cat(self._losses)
        bad = ~torch.isfinite(losses)
        if trainer.world_size > 1:  # every rank stops at the same step, or none does
            bad = trainer.strategy.reduce(bad.float(), reduce_op="sum") > 0
        where, counts = self._where, [len(call) for call in self._losses]
        self._losses, self._where = [], []
        if not bad.any():  # the one sync with the device
            return
        first = int(bad.float().argmax())
        call = next(i for i, end in enumerate(itertools.accumulate(counts)) if end > first)
        later = sum(counts[: call + 1]) - 1 - first  # steps of that call after the bad one
        step, epoch, batch = where[call]
        steps = counts[call]
        raise DivergedError(
            self._message(
                trainer, losses[first], step - later, epoch, batch * steps + steps - 1 - later
            )
        )

    @staticmethod
    def _message(trainer: L.Trainer, loss: Tensor, step: int, epoch: int, batch: int) -> str:
        checkpoint = trainer.checkpoint_callback
        last = getattr(checkpoint, "last_model_path", "") or getattr(
            checkpoint, "best_model_path", ""
        )
        kept = (
            f"The last checkpoint saved before it is kept: {last}."
            if last
            else "No checkpoint had been saved yet."
        )
        lr = trainer.optimizers[0].param_groups[0]["lr"]
        return (
            f"The training loss became {loss.item()} at step {step} (epoch {epoch}, batch "
            f"{batch}), so the fit was stopped. {kept} Try a lower optimizer.lr (the learning "
            f"rate was {lr:.3g} then), gradient clipping (trainer.gradient_clip_val=1.0), or "
            "check the data for NaN or infinite values."
        )
