"""Ctrl-C or SIGTERM during training: finish the batch, save the run's last checkpoint, stop."""

import logging
import signal
import threading
from pathlib import Path
from types import FrameType
from typing import Any

import lightning as L
import torch

from litlab.errors import RunInterruptedError, signal_name
from litlab.rundir import LAST

log = logging.getLogger(__name__)

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class InterruptCheckpoint(L.Callback):
    """Turn SIGINT (Ctrl-C) and SIGTERM during training into a checkpoint and a clean stop.

    The signal only sets a flag; at the end of the current training batch (or epoch) the
    state is saved to the run's `checkpoints/last.ckpt`, the checkpoint `resume=<run dir>`
    continues from, and RunInterruptedError ends the run with the signal's exit code. Saving at a
    batch boundary keeps the weights, optimizer and loop counters consistent. A second Ctrl-C
    stops at once, without a checkpoint. Under DDP every rank stops at the same batch: the
    ranks agree on the signal every `ddp_check_every` batches and at the end of each epoch
    (a collective every step would make each step wait for the device).

    Args:
        run_dir: the run directory.
        ddp_check_every: batches between two agreements of the ranks under DDP.
    """

    def __init__(self, run_dir: str, ddp_check_every: int = 50) -> None:
        self.run_dir = Path(run_dir)
        self.ddp_check_every = ddp_check_every
        self._received: int | None = None
        self._previous: dict[int, Any] = {}

    def on_train_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        # After Lightning's own SIGTERM handler is set (it only stops, without a checkpoint).
        self._received = None
        if threading.current_thread() is threading.main_thread():
            self._previous = {signum: signal.signal(signum, self._on_signal) for signum in SIGNALS}

    def on_train_batch_end(self, trainer: L.Trainer, *args: Any) -> None:
        if trainer.world_size == 1 or trainer.global_step % self.ddp_check_every == 0:
            self._stop_if_asked(trainer)

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._stop_if_asked(trainer)

    def on_train_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._restore_handlers()

    def on_exception(
        self, trainer: L.Trainer, pl_module: L.LightningModule, exception: BaseException
    ) -> None:
        self._restore_handlers()

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        if self._received == signal.SIGINT and signum == signal.SIGINT:
            raise KeyboardInterrupt  # Ctrl-C twice: stop now
        self._received = signum
        log.warning(
            "%s: stopping after this batch with a checkpoint (Ctrl-C again stops at once, "
            "without one).",
            signal_name(signum),
        )

    def _stop_if_asked(self, trainer: L.Trainer) -> None:
        signum = self._received or 0
        if trainer.world_size > 1:  # a signal seen by one rank stops them all, together
            seen = torch.tensor(signum, device=trainer.strategy.root_device)
            signum = int(trainer.strategy.reduce(seen, reduce_op="max"))
        if not signum:
            return
        path = self.run_dir / LAST
        trainer.save_checkpoint(path, weights_only=False)
        raise RunInterruptedError(  # the entry point adds how to resume
            f"Stopped by {signal_name(signum)} at epoch {trainer.current_epoch}, step "
            f"{trainer.global_step}; the run's state is saved in {path}.",
            signum,
        )

    def _restore_handlers(self) -> None:
        for signum, handler in self._previous.items():
            if handler is not None:  # None: set outside Python, cannot be put back
                signal.signal(signum, handler)
        self._previous = {}
