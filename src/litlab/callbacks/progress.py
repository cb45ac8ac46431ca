"""A rich progress bar that does its work every `refresh_rate` batches, not every batch."""

from collections.abc import Callable
from typing import Any

import lightning as L
from lightning.pytorch.callbacks import RichProgressBar
from lightning.pytorch.callbacks.progress.rich_progress import RichProgressBarTheme
from typing_extensions import override


class ProgressBar(RichProgressBar):
    """Lightning's rich progress bar, updated every `refresh_rate` batches and at the last.

    Lightning's bar updates rich and re-reads every progress-bar metric after each batch,
    whatever `refresh_rate` says: about 0.5 ms per step here, a fifth of a small MLP's step.
    What it shows is the same; it is only drawn less often.
    """

    def __init__(
        self,
        refresh_rate: int = 20,
        leave: bool = False,
        theme: dict[str, Any] | None = None,
        console_kwargs: dict[str, Any] | None = None,
    ) -> None:
        """Args: as Lightning's RichProgressBar; `theme` as a mapping of its theme's fields."""
        super().__init__(
            refresh_rate=refresh_rate,
            leave=leave,
            theme=RichProgressBarTheme(**(theme or {})),
            console_kwargs=console_kwargs,
        )

    def _due(self, batch_idx: int, total: Callable[[], float]) -> bool:
        """Draw after this batch? `total` is only asked of an enabled bar (rank 0)."""
        if self.is_disabled:
            return False
        done = batch_idx + 1
        return done % self.refresh_rate == 0 or done >= total()

    @override
    def on_train_batch_end(
        self, trainer: L.Trainer, pl_module: L.LightningModule, outputs: Any, batch: Any,
        batch_idx: int,
    ) -> None:  # fmt: skip
        if self._due(batch_idx, lambda: self.total_train_batches):
            super().on_train_batch_end(trainer, pl_module, outputs, batch, batch_idx)

    @override
    def on_validation_batch_end(
        self, trainer: L.Trainer, pl_module: L.LightningModule, outputs: Any, batch: Any,
        batch_idx: int, dataloader_idx: int = 0,
    ) -> None:  # fmt: skip
        if self._due(batch_idx, lambda: self.total_val_batches_current_dataloader):
            super().on_validation_batch_end(
                trainer, pl_module, outputs, batch, batch_idx, dataloader_idx
            )

    @override
    def on_test_batch_end(
        self, trainer: L.Trainer, pl_module: L.LightningModule, outputs: Any, batch: Any,
        batch_idx: int, dataloader_idx: int = 0,
    ) -> None:  # fmt: skip
        if self._due(batch_idx, lambda: self.total_test_batches_current_dataloader):
            super().on_test_batch_end(trainer, pl_module, outputs, batch, batch_idx, dataloader_idx)

    @override
    def on_predict_batch_end(
        self, trainer: L.Trainer, pl_module: L.LightningModule, outputs: Any, batch: Any,
        batch_idx: int, dataloader_idx: int = 0,
    ) -> None:  # fmt: skip
        if self._due(batch_idx, lambda: self.total_predict_batches_current_dataloader):
            super().on_predict_batch_end(
                trainer, pl_module, outputs, batch, batch_idx, dataloader_idx
            )
