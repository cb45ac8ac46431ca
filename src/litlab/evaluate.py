"""Re-test a past run: its checkpoint, rebuilt from the config saved inside it.

What was trained (data, task, model, ...) comes from the run; how to run now (trainer,
callbacks, loggers, paths) comes from the eval command. A key of the run given on the eval
command line (`data.data_dir=...`, `data=fashion_mnist`) replaces the saved value. The saved
config is data: it names only what the project declares (`litlab.registry.saved_config`).
"""

import logging
from dataclasses import dataclass
from pathlib import Path

import lightning as L
from omegaconf import DictConfig, OmegaConf

from litlab.build import build_datamodule, build_task, build_trainer, print_config_tree
from litlab.callbacks.progress import stage_line
from litlab.checkpoints import check_fits, checkpoint_config, load_checkpoint
from litlab.config import Job, apply_overrides
from litlab.errors import ConfigError
from litlab.rundir import BEST, CV_SUMMARY, METRICS, write_metrics
from litlab.tasks.base import BaseTask

log = logging.getLogger(__name__)

RUN_KEYS = ("seed", "data", "task", "model", "optimizer", "scheduler", "augment")


@dataclass(frozen=True)
class RestoredRun:
    """A past run rebuilt from its checkpoint, ready to test or predict with `ckpt`."""

    ckpt: Path
    config: DictConfig  # the run's saved config with this command's overrides
    datamodule: L.LightningDataModule
    task: BaseTask
    trainer: L.Trainer


def restore_run(cfg: DictConfig, job: Job) -> RestoredRun:
    """The run of `cfg.run_dir` (or `cfg.ckpt_path`), checked against its checkpoint."""
    ckpt = checkpoint_path(cfg)
    checkpoint = load_checkpoint(ckpt)
    saved = checkpoint_config(checkpoint, ckpt)
    run_cfg = run_config(cfg, saved, job.overridden())
    check_same_kind_of_data(saved, run_cfg, ckpt)
    if cfg.extras.print_config:
        print_config_tree(run_cfg)
    datamodule = build_datamodule(run_cfg)
    task = build_task(run_cfg)
    check_fits(checkpoint, ckpt, task)  # e.g. a model key overridden on this command
    return RestoredRun(ckpt, run_cfg, datamodule, task, build_trainer(run_cfg))


def evaluate(cfg: DictConfig, job: Job | None = None) -> dict[str, float]:
    """Test the checkpoint of `cfg.run_dir` (or `cfg.ckpt_path`); return the test metrics."""
    job = Job.of(cfg, job)
    run = restore_run(cfg, job)
    log.info("Evaluating %s", run.ckpt)
    results = run.trainer.test(
        run.task, datamodule=run.datamodule, ckpt_path=str(run.ckpt), weights_only=True,
        verbose=False,
    )  # fmt: skip
    metrics = {k: float(v) for k, v in results[0].items()}
    log.info("%s", stage_line("Test", results[0]))
    log.info("Run folder: %s", cfg.paths.output_dir)
    write_metrics(Path(cfg.paths.output_dir) / METRICS, metrics)
    return metrics


def check_same_kind_of_data(saved: DictConfig, run_cfg: DictConfig, ckpt: Path) -> None:
    """Raise ConfigError when the data of this command is not the kind the model was trained on
    (`data=boston` for a digits run): other input shapes, targets or number of classes."""

    def kind(data: DictConfig) -> tuple[list[int], str, int]:
        return list(data.input_shape), str(data.target_kind), len(data.class_names or [])

    (shape, target, classes), now = kind(saved.data), kind(run_cfg.data)
    if (shape, target, classes) != now:
        raise ConfigError(
            f"{ckpt} was trained on inputs of shape {shape} with {classes} {target} targets, but "
            f"the data given now has inputs {now[0]} with {now[2]} {now[1]} targets. A model can "
            "only be evaluated on data like its own: drop the data override, or evaluate a run "
            "trained on that data."
        )


def checkpoint_path(cfg: DictConfig) -> Path:
    if cfg.ckpt_path is not None:
        return Path(cfg.ckpt_path)
    if cfg.run_dir is None:
        raise ConfigError(
            "Say what to evaluate: run_dir=logs/train/runs/<stamp> or ckpt_path=<file>."
        )
    run_dir = Path(cfg.run_dir)
    if not (run_dir / BEST).is_file() and (run_dir / CV_SUMMARY).is_file():
        raise ConfigError(
            f"{run_dir} is a cross-validation: each fold has its own checkpoints; give one "
            f"fold, e.g. run_dir={run_dir / 'fold_0'}."
        )
    return run_dir / BEST


def run_config(cfg: DictConfig, saved: DictConfig, overridden: set[str]) -> DictConfig:
    """The eval config with the run's own `RUN_KEYS`, except those `overridden` on this command
    and those that follow an overridden key (`paths.data_dir=...` moves `data.data_dir`)."""
    run = OmegaConf.create({key: saved.get(key) for key in RUN_KEYS})
    keys = overridden | following(cfg, overridden)
    apply_overrides(run, cfg, [key for key in keys if key.split(".")[0] in RUN_KEYS])
    merged = cfg.copy()
    OmegaConf.set_struct(merged, False)
    for key in RUN_KEYS:
        merged[key] = run[key]
    return merged


def following(cfg: DictConfig, keys: set[str]) -> set[str]:
    """The run keys whose value in `cfg` is an interpolation of one of `keys`, such as
    `data.data_dir: ${paths.data_dir}` or `data.seed: ${seed}`."""
    found = set()
    for root in RUN_KEYS:
        node = cfg.get(root)
        if not isinstance(node, DictConfig):
            continue
        raw = OmegaConf.to_container(node, resolve=False)
        assert isinstance(raw, dict)
        for name, value in raw.items():
            if isinstance(value, str) and any(f"${{{key}}}" in value for key in keys):
                found.add(f"{root}.{name!s}")
    return found
