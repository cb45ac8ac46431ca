"""Predict with a past run: `predictions.csv` for its test split or for new inputs.

The run is rebuilt as for evaluation (`litlab.evaluate`: its checkpoint and saved config,
overrides of run keys replace saved values). Without `inputs` the rows are the test split's,
with their true targets; with `inputs=<path>` the run's dataset reads that path in its own
format (`litlab.data.inputs`).
"""

import logging
from pathlib import Path
from typing import cast

import torch
from omegaconf import DictConfig
from torch import Tensor

from litlab.data.base import TensorDataModule
from litlab.data.inputs import NewInputs, ReadsInputs
from litlab.data.loader import EpochOrder, TensorLoader
from litlab.errors import ConfigError
from litlab.evaluate import restore_run
from litlab.predictions import prediction_columns, write_predictions

log = logging.getLogger(__name__)


def predict(cfg: DictConfig) -> dict[str, float]:
    """Write `<output dir>/predictions.csv`; return the number of rows as `predictions`."""
    run = restore_run(cfg)
    datamodule = cast(TensorDataModule, run.datamodule)
    ckpt, targets = str(run.ckpt), None
    if cfg.inputs is None:
        log.info("Predicting the test split with %s", ckpt)
        batches = run.trainer.predict(
            run.task, datamodule=datamodule, ckpt_path=ckpt, weights_only=True
        )
        targets = datamodule.splits["test"][1]
        key, ids = "id", [str(i) for i in range(len(targets))]
    else:
        inputs = read_inputs(datamodule, Path(cfg.inputs))
        log.info("Predicting %d inputs from %s with %s", len(inputs.ids), cfg.inputs, ckpt)
        loader = TensorLoader(
            (inputs.x.float(),),
            batch_size=datamodule.eval_batch_size,
            sampler=EpochOrder(len(inputs.x), shuffle=False, seed=0),
        )
        batches = run.trainer.predict(
            run.task, dataloaders=loader, ckpt_path=ckpt, weights_only=True
        )
        key, ids = inputs.key, inputs.ids
    outputs = torch.cat(cast(list[Tensor], batches)).cpu()  # one (B, outputs) tensor per batch
    columns = prediction_columns(
        run.config.data.target_kind,
        outputs,
        list(run.config.task.class_names),
        threshold=run.config.task.get("threshold", 0.5),
        targets=targets,
    )
    path = Path(cfg.paths.output_dir) / "predictions.csv"
    write_predictions(path, key, ids, columns)
    log.info("Predictions of %d inputs written to %s", len(ids), path)
    return {"predictions": float(len(ids))}


def read_inputs(datamodule: object, path: Path) -> NewInputs:
    """The new inputs at `path`, read by the run's dataset."""
    if not path.exists():
        raise ConfigError(f"inputs={path}: no such file or folder.")
    if not isinstance(datamodule, ReadsInputs):
        raise ConfigError(
            f"{type(datamodule).__name__} reads no new inputs; predict its test split "
            "(leave inputs out)."
        )
    return datamodule.read_inputs(path)
