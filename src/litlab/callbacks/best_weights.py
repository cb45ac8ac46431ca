"""Export the best checkpoint's weights as a plain state-dict file when a fit ends."""

import logging
from pathlib import Path

import lightning as L
from lightning.pytorch.callbacks import ModelCheckpoint
from lightning.pytorch.utilities import rank_zero_only

from litlab.checkpoints import load_checkpoint
from litlab.errors import CheckpointError
from litlab.weights import export_weights

log = logging.getLogger(__name__)


class ExportBestWeights(L.Callback):
    """Write the best checkpoint's weights, model config and scaling to `dirpath/filename`.

    The file needs neither Lightning nor Hydra: see `litlab.weights.load_model`.

    Args:
        dirpath: the folder to write to (the run's checkpoints/).
        filename: the file name.
    """

    def __init__(self, dirpath: str, filename: str = "best_weights.pt") -> None:
        self.path = Path(dirpath) / filename

    @rank_zero_only
    def on_fit_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        callback = trainer.checkpoint_callback
        if not isinstance(callback, ModelCheckpoint) or not callback.best_model_path:
            log.warning("No best checkpoint was saved, so no %s was written.", self.path.name)
            return
        best = Path(callback.best_model_path)
        try:
            checkpoint = load_checkpoint(best)
            export_weights(checkpoint, self.path)
        except CheckpointError as err:  # the fit's results are safe; only the export is lost
            log.warning("The best weights were not exported: %s", err)
            return
        log.info("Best weights exported to %s", self.path)
