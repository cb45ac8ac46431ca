"""Re-test a past run: its checkpoint, rebuilt from the config saved inside it.

What was trained (data, task, model, ...) comes from the run; how to run now (trainer,
callbacks, loggers, paths) comes from the eval command. A key of the run given on the eval
command line (`data.data_dir=...`, `data=fashion_mnist`) replaces the saved value.
"""

import logging
from dataclasses import dataclass
from pathlib import Path

import lightning as L
from omegaconf import DictConfig, OmegaConf

from litlab.checkpoints import check_fits, load_checkpoint, saved_config
from litlab.errors import ConfigError
from litlab.extras import print_config_tree
from litlab.outputs import as_float, write_metrics
from litlab.run import build_datamodule, build_task, build_trainer

log = logging.getLogger(__name__)

RUN_KEYS = ("seed", "data", "task", "model", "optimizer", "scheduler", "augment")


@dataclass(frozen=True)
class RestoredRun:
    """A past run rebuilt from its checkpoint, ready to test or predict with `ckpt`."""

    ckpt: Path
    config: DictConfig  # the run's saved config with this command's overrides
    datamodule: L.LightningDataModule
    task: L.LightningModule
    trainer: L.Trainer


def restore_run(cfg: DictConfig) -> RestoredRun:
    """The run of `cfg.run_dir` (or `cfg.ckpt_path`), checked against its checkpoint."""
    ckpt = checkpoint_path(cfg)
    checkpoint = load_checkpoint(ckpt)
    run_cfg = run_config(cfg, saved_config(checkpoint, ckpt))
    if cfg.extras.print_config:
        print_config_tree(run_cfg)
    datamodule = build_datamodule(run_cfg)
    task = build_task(run_cfg)
    check_fits(checkpoint, ckpt, task)  # e.g. a model key overridden on this command
    return RestoredRun(ckpt, run_cfg, datamodule, task, build_trainer(run_cfg))


def evaluate(cfg: DictConfig) -> dict[str, float]:
    """Test the checkpoint of `cfg.run_dir` (or `cfg.ckpt_path`); return the test metrics."""
    run = restore_run(cfg)
    log.info("Evaluating %s", run.ckpt)
    results = run.trainer.test(
        run.task, datamodule=run.datamodule, ckpt_path=str(run.ckpt), weights_only=True
    )
    metrics = {k: as_float(v) for k, v in results[0].items()}
    write_metrics(Path(cfg.paths.output_dir) / "metrics.json", metrics)
    return metrics


def checkpoint_path(cfg: DictConfig) -> Path:
    if cfg.ckpt_path is not None:
        return Path(cfg.ckpt_path)
    if cfg.run_dir is None:
        raise ConfigError(
            "Say what to evaluate: run_dir=logs/train/runs/<stamp> or ckpt_path=<file>."
        )
    run_dir = Path(cfg.run_dir)
    if not best_checkpoint(run_dir).is_file() and (run_dir / "cv_summary.json").is_file():
        raise ConfigError(
            f"{run_dir} is a cross-validation: each fold has its own checkpoints; give one "
            f"fold, e.g. run_dir={run_dir / 'fold_0'}."
        )
    return best_checkpoint(run_dir)


def best_checkpoint(run_dir: Path) -> Path:
    """Where a training run keeps its best checkpoint, the one its test used."""
    return run_dir / "checkpoints" / "best.ckpt"


def run_config(cfg: DictConfig, saved: dict) -> DictConfig:
    """The eval config with the run's own `RUN_KEYS`, except those overridden on this command
    and those that follow an overridden key (`paths.data_dir=...` moves `data.data_dir`)."""
    from hydra.core.hydra_config import HydraConfig

    overridden = {
        item.split("=", 1)[0].lstrip("+~")
        for item in (HydraConfig.get().overrides.task if HydraConfig.initialized() else [])
    }
    run = OmegaConf.create({key: saved.get(key) for key in RUN_KEYS})
    for key in overridden | following(cfg, overridden):
        if key.split(".")[0] in RUN_KEYS:
            OmegaConf.update(run, key, OmegaConf.select(cfg, key), merge=False)
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
