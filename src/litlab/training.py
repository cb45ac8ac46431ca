"""One training run, top to bottom: config -> checks -> seed -> data -> task -> trainer ->
fit -> test on the best weights -> metrics.json (with the best epoch and its value).

A K-fold cross-validation (`litlab.cv`) runs this once per fold.
"""

import logging
from pathlib import Path
from typing import Any

import lightning as L
from lightning.pytorch.callbacks import ModelCheckpoint
from omegaconf import DictConfig

from litlab.build import (
    build_datamodule,
    build_task,
    build_trainer,
    check_compatible,
    check_monitors,
    print_config_tree,
    steps_per_call,
)
from litlab.callbacks.progress import stage_line
from litlab.checkpoints import check_checkpoint, load_plain
from litlab.config import Job
from litlab.data.base import TensorDataModule
from litlab.errors import ConfigError
from litlab.machine import processes_on_node, set_threads, skip_nvml_probe_without_gpu
from litlab.registry import trust
from litlab.rundir import METRICS, resumed_config, resuming, write_metrics
from litlab.tasks.base import BaseTask

log = logging.getLogger(__name__)


def train(cfg: DictConfig, job: Job | None = None) -> dict[str, float]:
    """Train and test the model `cfg` describes; return every final metric by name."""
    job = Job.of(cfg, job)
    if resuming(cfg):
        cfg = resumed_config(cfg, job)
    if cfg.extras.print_config:
        print_config_tree(cfg)
    check_compatible(cfg, job.choices)
    if isinstance(cfg.seed, bool) or not isinstance(cfg.seed, int):
        raise ConfigError(f"seed={cfg.seed!r} is not a whole number; give one, e.g. seed=777.")
    trust(cfg)  # eval, predict and resume of this run may rebuild what it names
    L.seed_everything(cfg.seed, workers=True)
    log.info("Seed: %d", cfg.seed)

    datamodule = build_datamodule(cfg)
    task = build_task(cfg)
    check_monitors(cfg, task)
    if cfg.ckpt_path is not None:  # missing, corrupt or another model's: one message, now
        check_checkpoint(
            Path(cfg.ckpt_path), task, fit=cfg.train, max_epochs=cfg.trainer.get("max_epochs")
        )
    set_threads(cfg.threads, processes=processes_on_node(cfg.trainer))
    skip_nvml_probe_without_gpu()  # after `import lightning`, which asks for the probe
    trainer = build_trainer(cfg, **run_in_calls(cfg, task, datamodule))

    metrics: dict[str, float] = {}
    if cfg.train:
        trainer.fit(task, datamodule=datamodule, ckpt_path=cfg.ckpt_path, weights_only=True)
        metrics |= {k: float(v) for k, v in trainer.callback_metrics.items()}
        metrics["epochs"] = trainer.current_epoch
        metrics |= best_of_fit(trainer)
        warn_if_nothing_learned(cfg, task, datamodule, metrics)
    if cfg.test:
        ckpt_path = checkpoint_to_test(cfg, trainer)
        results = trainer.test(
            task, datamodule=datamodule, ckpt_path=ckpt_path, weights_only=True, verbose=False
        )
        metrics |= {k: float(v) for k, v in results[0].items()}
        log.info("%s", stage_line("Test", results[0]))
    write_metrics(Path(cfg.paths.output_dir) / METRICS, metrics)
    log.info("Run folder: %s", cfg.paths.output_dir)
    return metrics


def run_in_calls(
    cfg: DictConfig, task: BaseTask, datamodule: L.LightningDataModule
) -> dict[str, Any]:
    """Give the task and the data the steps per call this run takes (`steps_per_call`); the
    trainer options that change with them (clipping moves from the trainer to the task)."""
    steps = steps_per_call(cfg, task)
    if steps == 1:
        return {}
    clip = cfg.trainer.get("gradient_clip_val")
    algorithm = cfg.trainer.get("gradient_clip_algorithm") or "norm"
    task.run_in_calls(steps, int(cfg.data.batch_size), (clip, algorithm) if clip else None)
    if isinstance(datamodule, TensorDataModule):
        datamodule.steps_per_execution = steps
    log.info("Steps per execution: %d optimizer steps per call", steps)
    return {"gradient_clip_val": None, "gradient_clip_algorithm": None}


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
    log.debug("Testing the best checkpoint %s", best)
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
        f"{callback.monitor}_best": float(callback.best_model_score),
    }


def warn_if_nothing_learned(
    cfg: DictConfig, task: BaseTask, datamodule: L.LightningDataModule, metrics: dict[str, float]
) -> None:
    """Say so when the best validation score is no better than guessing (a diverged or frozen
    fit, such as Adam with optimizer.lr=1e6): the run ends normally but has learned nothing."""
    best = metrics.get(f"val/{task.main_metric}_best")
    splits = getattr(datamodule, "splits", {})
    if best is None or "val" not in splits:
        return
    chance = task.chance_level(splits["train"][1], splits["val"][1])
    # A tenth of the way from guessing to perfect (or a tenth below the guess's error) is the
    # least a fit that learned anything reaches.
    if task.main_mode == "max":
        learned = best > chance + 0.1 * (1.0 - chance)
    else:
        learned = best < 0.9 * chance
    if not learned:
        log.warning(
            "The model learned (next to) nothing: its best val/%s, %.4g, is no better than always "
            "guessing the most common %s (%.4g). Check the learning rate (optimizer.lr=%s; 1e-3 "
            "suits Adam), the data and the labels, or train longer.",
            task.main_metric, best, "value" if task.main_mode == "min" else "answer", chance,
            cfg.optimizer.get("lr"),
        )  # fmt: skip
