"""One training run, top to bottom: seed -> data -> task -> callbacks/loggers -> trainer ->
fit -> test on the best weights -> metrics.json (with the best epoch and its value)."""

import logging
import os
from pathlib import Path
from typing import Any

import lightning as L
import torch
from lightning.pytorch.callbacks import ModelCheckpoint
from omegaconf import DictConfig

from litlab.checkpoints import check_checkpoint, load_plain
from litlab.compat import check_compatible
from litlab.config import plain_config
from litlab.errors import ConfigError
from litlab.extras import print_config_tree
from litlab.instantiate import check_targets, instantiate, instantiate_group
from litlab.outputs import as_float, write_metrics
from litlab.resume import resumed_config, resuming

log = logging.getLogger(__name__)


def train(cfg: DictConfig) -> dict[str, float]:
    """Train and test the model `cfg` describes; return every final metric by name.

    With `cv.folds=k`, a K-fold cross-validation (`litlab.cv`), which calls this once per fold.
    """
    if cfg.get("cv") and cfg.cv.folds is not None:
        from litlab.cv import cross_validate

        return cross_validate(cfg)
    if resuming(cfg):
        cfg = resumed_config(cfg)
    if cfg.extras.print_config:
        print_config_tree(cfg)
    check_targets(cfg)
    check_compatible(cfg)
    if not isinstance(cfg.seed, int):
        raise ConfigError(f"seed={cfg.seed!r} is not a whole number; give one, e.g. seed=777.")
    L.seed_everything(cfg.seed, workers=True)
    log.info("Seed: %d", cfg.seed)

    datamodule = build_datamodule(cfg)
    task = build_task(cfg)
    if cfg.ckpt_path is not None:  # missing, corrupt or another model's: one message, now
        check_checkpoint(Path(cfg.ckpt_path), task, fit=cfg.train)
    trainer = build_trainer(cfg)
    set_threads(cfg.threads, processes=trainer.num_devices)

    metrics: dict[str, float] = {}
    if cfg.train:
        trainer.fit(task, datamodule=datamodule, ckpt_path=cfg.ckpt_path, weights_only=True)
        metrics |= {k: as_float(v) for k, v in trainer.callback_metrics.items()}
        metrics["epochs"] = trainer.current_epoch
        metrics |= best_of_fit(trainer)
    if cfg.test:
        ckpt_path = checkpoint_to_test(cfg, trainer)
        results = trainer.test(task, datamodule=datamodule, ckpt_path=ckpt_path, weights_only=True)
        metrics |= {k: as_float(v) for k, v in results[0].items()}
    write_metrics(Path(cfg.paths.output_dir) / "metrics.json", metrics)
    return metrics


def build_datamodule(cfg: DictConfig) -> L.LightningDataModule:
    augment = instantiate(cfg.augment) if cfg.get("augment") else None
    return instantiate(cfg.data, augment=augment)


def build_task(cfg: DictConfig) -> L.LightningModule:
    scheduler = instantiate(cfg.scheduler) if cfg.get("scheduler") else None
    net = instantiate(cfg.model)
    if cfg.get("compile"):
        net.compile()  # in place: the weights keep their names in checkpoints
    task = instantiate(
        cfg.task,
        net=net,
        optimizer=instantiate(cfg.optimizer),
        scheduler=scheduler,
    )
    # Plain data that rebuilds this run: saved in every checkpoint and sent to the loggers.
    task.save_hyperparameters(plain_config(cfg))
    return task


def build_trainer(cfg: DictConfig, **overrides: Any) -> L.Trainer:
    callbacks = instantiate_group(cfg.get("callbacks"))
    loggers = instantiate_group(cfg.get("logger"))
    return instantiate(cfg.trainer, callbacks=callbacks, logger=loggers or False, **overrides)


def checkpoint_to_test(cfg: DictConfig, trainer: L.Trainer) -> str | None:
    """The best checkpoint of this fit (Keras' restore_best_weights), or the one given."""
    if not cfg.train:
        if cfg.ckpt_path is None:
            raise ConfigError(
                "train=false test=true needs the checkpoint to test: ckpt_path=<file>."
            )
        return str(cfg.ckpt_path)
    callback = trainer.checkpoint_callback
    best = getattr(callback, "best_model_path", "") if callback is not None else ""
    if not best:
        log.warning("No best checkpoint was saved (no ModelCheckpoint or no epoch ended): "
                    "testing the weights of the last step.")  # fmt: skip
        return None
    log.info("Testing the best checkpoint %s", best)
    return best


def best_of_fit(trainer: L.Trainer) -> dict[str, float]:
    """`best_epoch` (from 1, as `epochs` counts) and `<monitor>_best` of the best checkpoint."""
    callback = trainer.checkpoint_callback
    if not isinstance(callback, ModelCheckpoint) or callback.best_model_score is None:
        return {}  # no checkpoint, or one that keeps the latest weights without a monitor
    # mmap: only the small "epoch" entry is read from the file.
    checkpoint = load_plain(Path(callback.best_model_path), mmap=True)
    return {
        "best_epoch": checkpoint["epoch"] + 1,
        f"{callback.monitor}_best": as_float(callback.best_model_score),
    }


def set_threads(threads: int | None, *, processes: int) -> None:
    """Give each of this node's `processes` its share of the CPU cores (or `threads` if set)."""
    if threads is None:
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
        threads = max(1, (cores or 1) // max(1, processes))
    torch.set_num_threads(threads)
