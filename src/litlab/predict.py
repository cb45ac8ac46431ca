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

from litlab.checkpoints import check_fits, load_checkpoint, saved_config
from litlab.data.base import TensorDataModule
from litlab.data.inputs import NewInputs, ReadsInputs
from litlab.data.loader import EpochOrder, TensorLoader
from litlab.errors import ConfigError
from litlab.evaluate import checkpoint_path, run_config
from litlab.extras import print_config_tree
from litlab.predictions import prediction_columns, write_predictions
from litlab.run import build_datamodule, build_task, build_trainer

log = logging.getLogger(__name__)


def predict(cfg: DictConfig) -> dict[str, float]:
    """Write `<output dir>/predictions.csv`; return the number of rows as `predictions`."""
    ckpt = checkpoint_path(cfg)
    checkpoint = load_checkpoint(ckpt)
    run_cfg = run_config(cfg, saved_config(checkpoint, ckpt))
    if cfg.extras.print_config:
        print_config_tree(run_cfg)
    datamodule = cast(TensorDataModule, build_datamodule(run_cfg))
    task = build_task(run_cfg)
    check_fits(checkpoint, ckpt, task)  # e.g. a model key overridden on this command
    trainer = build_trainer(run_cfg)
    targets = None
    if cfg.inputs is None:
        log.info("Predicting the test split with %s", ckpt)
        batches = trainer.predict(
            task, datamodule=datamodule, ckpt_path=str(ckpt), weights_only=True
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
        batches = trainer.predict(task, dataloaders=loader, ckpt_path=str(ckpt), weights_only=True)
        key, ids = inputs.key, inputs.ids
    outputs = torch.cat(cast(list[Tensor], batches)).cpu()  # one (B, outputs) tensor per batch
    columns = prediction_columns(
        run_cfg.data.target_kind,
        outputs,
        list(run_cfg.task.class_names),
        threshold=run_cfg.task.get("threshold", 0.5),
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
