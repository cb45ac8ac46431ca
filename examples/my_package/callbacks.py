"""Your own Lightning callback, added from the command line:
`+callbacks.epoch_timer._target_=my_package.callbacks.EpochTimer`."""

import time
from typing import Any

import lightning as L


class EpochTimer(L.Callback):
    """Log each epoch's wall seconds as `perf/epoch_s` (in metrics.csv, history.json, W&B)."""

    def on_train_epoch_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self.started = time.perf_counter()

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        pl_module.log("perf/epoch_s", time.perf_counter() - self.started)

    def state_dict(self) -> dict[str, Any]:
        return {}
