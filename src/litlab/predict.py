"""Predict with a past run: `predictions.csv` for its test split or for new inputs.

The run is rebuilt as for evaluation (`litlab.evaluate`: its checkpoint and saved config,
overrides of run keys replace saved values). Without `inputs` the rows are the test split's,
with their true targets; with `inputs=<path>` the run's dataset reads that path in its own
format (`read_inputs` of its datamodule). The task turns outputs into columns: the decision
(`pred`: the class, the labels above `task.threshold`, or `pred_<target>` values), the true
`target` when known, then the probability of each class or label (`prob_<name>`).
"""

import csv
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import cast

import torch
from omegaconf import DictConfig
from torch import Tensor

from litlab.config import Job
from litlab.data.base import TensorDataModule
from litlab.data.images import NewInputs, ReadsInputs
from litlab.data.loader import EpochOrder, TensorLoader
from litlab.errors import ConfigError
from litlab.evaluate import restore_run
from litlab.tasks.base import Columns

log = logging.getLogger(__name__)


def predict(cfg: DictConfig, job: Job | None = None) -> dict[str, float]:
    """Write `<output dir>/predictions.csv`; return the number of rows as `predictions`."""
    job = Job.of(cfg, job)
    run = restore_run(cfg, job)
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
    columns = run.task.prediction_columns(outputs, targets)
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


def write_predictions(path: Path, key: str, ids: Sequence[object], columns: Columns) -> None:
    """Write one row per id: `key` (file or id), then `columns` in order; numbers to 6
    significant digits (the outputs are float32: more digits would be noise)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow([key, *columns])
        for row in zip(ids, *columns.values(), strict=True):
            writer.writerow([f"{v:.6g}" if isinstance(v, float) else v for v in row])
