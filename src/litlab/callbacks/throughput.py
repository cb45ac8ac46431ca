"""Training speed: samples per second, seconds per epoch, and from process start to step 1."""

import json
import time
from pathlib import Path
from typing import Any

import lightning as L

from litlab.machine import seconds_since_process_start


class Throughput(L.Callback):
    """Training speed: `perf/train_samples_per_s` logged each epoch, and `perf.json` in the run
    folder when the fit ends, with the seconds from process start to the first step, every
    epoch's wall seconds (training, validation, epoch end and checkpoints: what a user waits
    for) and its steady-state samples per second.

    Args:
        dirpath: the run folder, where `perf.json` goes.
        warmup_steps: training steps (calls, with several optimizer steps per call) at the start
            of each epoch left out of the rate (allocations, caches): the steady-state speed.
    """

    def __init__(self, dirpath: str, warmup_steps: int = 5) -> None:
        self.dirpath = Path(dirpath)
        self.warmup_steps = warmup_steps
        self.first_step_s: float | None = None
        self.samples_per_s: list[float] = []  # per epoch
        self.epoch_s: list[float] = []  # per epoch
        self._epoch_start: float | None = None
        self._epoch_end: float | None = None
        self._start = self._end = 0.0
        self._samples = 0

    def on_train_epoch_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._close_epoch()
        self._epoch_start = time.perf_counter()

    def on_train_batch_start(
        self, trainer: L.Trainer, pl_module: L.LightningModule, batch: Any, batch_idx: int
    ) -> None:
        if self.first_step_s is None:
            self.first_step_s = seconds_since_process_start()
        if batch_idx == self.warmup_steps:
            self._start, self._samples = time.perf_counter(), 0

    def on_train_batch_end(
        self, trainer: L.Trainer, pl_module: L.LightningModule, outputs: Any, batch: Any,
        batch_idx: int,
    ) -> None:  # fmt: skip
        if batch_idx >= self.warmup_steps:
            self._samples += len(batch[0])
            self._end = time.perf_counter()

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if self._samples and self._end > self._start:
            # Every rank runs the same number of steps: the global rate is world_size times this.
            rate = self._samples * trainer.world_size / (self._end - self._start)
            self.samples_per_s.append(rate)
            pl_module.log("perf/train_samples_per_s", rate, rank_zero_only=True)
        self._samples = 0
        self._epoch_end = time.perf_counter()

    def on_train_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        # The last epoch ends with its own hooks, not with the fit's closing work (plots,
        # exported weights), which other callbacks may do before this one.
        self._close_epoch(self._epoch_end)
        if not trainer.is_global_zero:
            return
        import torch

        content = {
            "first_step_s": self.first_step_s,
            "epoch_s": self.epoch_s,
            "train_samples_per_s": self.samples_per_s,
            "threads": torch.get_num_threads(),
            "steps_per_call": getattr(pl_module, "steps_per_call", 1),
        }
        self.dirpath.mkdir(parents=True, exist_ok=True)
        (self.dirpath / "perf.json").write_text(json.dumps(content, indent=2) + "\n")

    def _close_epoch(self, at: float | None = None) -> None:
        """Record the wall time of the epoch that ran from its start to `at`, or to now if `at`
        is not a time of this epoch (a fit stopped inside it)."""
        if self._epoch_start is not None:
            end = at if at is not None and at > self._epoch_start else time.perf_counter()
            self.epoch_s.append(end - self._epoch_start)
            self._epoch_start = None
