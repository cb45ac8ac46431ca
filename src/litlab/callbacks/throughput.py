"""Training speed as a metric: samples per second, and seconds from process start to step 1."""

import os
import time
from pathlib import Path
from typing import Any

import lightning as L

_IMPORTED_AT = time.time()


def seconds_since_process_start() -> float:
    """Wall seconds since this process started (Linux /proc), else since litlab was imported."""
    try:
        # Field 22 of /proc/self/stat is the start time in clock ticks after boot; fields
        # after the parenthesised command name start at field 3.
        ticks = int(Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()[19])
        uptime = float(Path("/proc/uptime").read_text().split()[0])
        return uptime - ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return time.time() - _IMPORTED_AT


class Throughput(L.Callback):
    """Log `perf/train_samples_per_s` each epoch and `perf/first_step_s` once.

    Args:
        warmup_steps: steps at the start of each epoch left out of the rate (allocations,
            caches), so the figure is the steady-state speed.
    """

    def __init__(self, warmup_steps: int = 5) -> None:
        self.warmup_steps = warmup_steps
        self.first_step_s: float | None = None
        self.samples_per_s: float | None = None  # of the last epoch
        self._start = self._end = 0.0
        self._samples = 0

    def on_train_batch_start(
        self, trainer: L.Trainer, pl_module: L.LightningModule, batch: Any, batch_idx: int
    ) -> None:
        if self.first_step_s is None:
            self.first_step_s = seconds_since_process_start()
        if batch_idx == self.warmup_steps:
            self._start, self._samples = time.perf_counter(), 0

    def on_train_batch_end(
        self,
        trainer: L.Trainer,
        pl_module: L.LightningModule,
        outputs: Any,
        batch: Any,
        batch_idx: int,
    ) -> None:
        if batch_idx >= self.warmup_steps:
            self._samples += len(batch[0])
            self._end = time.perf_counter()

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if self._samples and self._end > self._start:
            # Every rank runs the same number of steps: the global rate is world_size times this.
            self.samples_per_s = self._samples * trainer.world_size / (self._end - self._start)
            pl_module.log("perf/train_samples_per_s", self.samples_per_s, rank_zero_only=True)
        self._samples = 0
        if trainer.current_epoch == 0 and self.first_step_s is not None:
            pl_module.log("perf/first_step_s", self.first_step_s, rank_zero_only=True)
