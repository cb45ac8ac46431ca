"""From a config to the objects of a run: datamodule, task, trainer; checked before they exist.

Training, evaluation, prediction and each fold of a cross-validation build their run here, so
they build it the same way.
"""

import logging
from collections.abc import Mapping
from typing import Any

import lightning as L
from lightning.pytorch.utilities import rank_zero_only
from omegaconf import DictConfig, OmegaConf

from litlab.config import plain_config
from litlab.errors import ConfigError
from litlab.registry import instantiate, instantiate_group, locate
from litlab.tasks.base import BaseTask, check_num_outputs

log = logging.getLogger(__name__)


def check_compatible(cfg: DictConfig, choices: Mapping[str, str]) -> None:
    """Raise ConfigError naming the fix when `data`, `task` and `model` do not fit together.

    Args:
        cfg: the run's config.
        choices: the option chosen in each group, to name them as the user typed them.
    """
    data = choices.get("data", str(cfg.data._target_))
    task = choices.get("task", str(cfg.task._target_))
    model = choices.get("model", str(cfg.model._target_))
    data_kind = cfg.data.target_kind
    task_class: type[BaseTask] = locate(cfg.task._target_)
    if task_class.target_kind != data_kind:
        raise ConfigError(
            f"task={task} trains on {task_class.target_kind} targets but data={data} holds "
            f"{data_kind} targets; use task={data_kind} (data={data} chooses it when task is "
            "not given)."
        )
    needs = getattr(locate(cfg.model._target_), "input_ndim", None)
    shape = list(cfg.data.input_shape)
    if needs is not None and len(shape) != needs:
        raise ConfigError(
            f"model={model} needs image inputs (channels, height, width) but data={data} "
            f"gives inputs of shape {shape}; use model=mlp for tabular data."
        )
    check_num_outputs(task_class, cfg.task.num_outputs, cfg.task.class_names)
    head = cfg.model.get("num_outputs")
    if head is not None and head != cfg.task.num_outputs:
        raise ConfigError(
            f"model.num_outputs={head} but task={task} on data={data} needs "
            f"{cfg.task.num_outputs} outputs; leave model.num_outputs to the task (train.yaml "
            "sets it to ${task.num_outputs})."
        )


def check_monitors(cfg: DictConfig, task: BaseTask) -> None:
    """Raise ConfigError when a callback or the scheduler watches a metric the run never logs
    (found by Lightning only after the first epoch)."""
    logged = task.metric_names() | {f"lr-{str(cfg.optimizer._target_).rsplit('.', 1)[-1]}"}
    nodes = {f"callbacks.{name}": node for name, node in (cfg.get("callbacks") or {}).items()}
    nodes["scheduler"] = cfg.get("scheduler")
    watchers = {  # those that follow another (${...}) are named by the one they follow
        f"{key}.monitor": node.monitor
        for key, node in nodes.items()
        if isinstance(node, DictConfig)
        and node.get("monitor") is not None
        and not OmegaConf.is_interpolation(node, "monitor")
    }
    for key, metric in watchers.items():
        if metric not in logged:
            raise ConfigError(
                f"{key}={metric} is not a metric this run logs; it logs "
                f"{', '.join(sorted(logged))}. Choose one of those (val/... for held-out data)."
            )


def build_datamodule(cfg: DictConfig) -> L.LightningDataModule:
    """The datamodule of `cfg.data`, with the train-time augmentation of `cfg.augment`."""
    augment = instantiate(cfg.augment) if cfg.get("augment") else None
    return instantiate(cfg.data, augment=augment)


def build_task(cfg: DictConfig) -> BaseTask:
    """The task of `cfg.task` around the net of `cfg.model`, carrying the run's plain config."""
    # Plain lists and dicts in the optimizer and schedule: their settings (Adam's betas) are
    # saved in checkpoints, which load only plain data (Hydra 1.3.2 passes ListConfigs there).
    plain = {"_convert_": "all"}
    scheduler = instantiate(cfg.scheduler, **plain) if cfg.get("scheduler") else None
    optimizer = instantiate(cfg.optimizer, **plain)
    net = instantiate(cfg.model)
    if cfg.get("compile"):
        net.compile()  # in place: the weights keep their names in checkpoints
    task = instantiate(cfg.task, net=net, optimizer=optimizer, scheduler=scheduler)
    # Plain data that rebuilds this run: saved in every checkpoint and sent to the loggers.
    task.save_hyperparameters(plain_config(cfg))
    return task


CALL_SECONDS = 0.010  # what one call of several steps should take, in compute


def steps_per_call(cfg: DictConfig, task: BaseTask) -> int:
    """How many optimizer steps one Lightning step runs (`steps_per_execution`, as in Keras).

    Lightning's own work around a step (hooks, closure, logging) is about 0.7 ms here: a tenth of
    a small MLP's whole step. `auto` measures this net's forward and backward pass on a batch
    and runs enough steps per call to fill `CALL_SECONDS` (at most 32), on one CPU device; it
    keeps one step per call on accelerators (their work is asynchronous), under DDP, with
    gradient accumulation, and where the trainer counts batches (`limit_train_batches`,
    `val_check_interval` or `max_steps` given as numbers of batches, fast_dev_run,
    overfit_batches), whose meaning would change. A number is taken as it is.
    """
    asked = cfg.get("steps_per_execution", "auto")
    trainer = cfg.trainer
    if asked != "auto":
        if isinstance(asked, bool) or not isinstance(asked, int) or asked < 1:
            raise ConfigError(f"steps_per_execution={asked}: give a whole number >= 1, or auto.")
        if asked > 1 and trainer.get("accumulate_grad_batches", 1) != 1:
            raise ConfigError(
                f"steps_per_execution={asked} runs one optimizer step per batch, but "
                f"trainer.accumulate_grad_batches={trainer.accumulate_grad_batches} steps once "
                "per several: use one of them."
            )
        return int(asked)
    counted = [
        isinstance(trainer.get(key), int) and not isinstance(trainer.get(key), bool)
        for key in ("limit_train_batches", "val_check_interval")
    ]
    if (
        any(counted)
        or trainer.get("max_steps", -1) not in (-1, None)
        or trainer.get("fast_dev_run")
        or trainer.get("overfit_batches")
        or trainer.get("accumulate_grad_batches", 1) != 1
        or trainer.get("devices", 1) not in (1, "1")
        or not _on_cpu(str(trainer.get("accelerator", "auto")))
    ):
        return 1
    seconds = _step_seconds(task, int(cfg.data.batch_size), list(cfg.data.input_shape))
    return max(1, min(32, round(CALL_SECONDS / seconds))) if seconds > 0 else 1


def _on_cpu(accelerator: str) -> bool:
    import torch

    if accelerator == "cpu":
        return True
    return (
        accelerator == "auto"
        and not torch.cuda.is_available()
        and not (torch.backends.mps.is_available())
    )


def _step_seconds(task: BaseTask, batch_size: int, input_shape: list[int]) -> float:
    """The seconds of one forward and backward pass of a copy of the net on a batch of zeros
    (a copy in eval mode: the net's own weights, statistics and the random streams stay)."""
    import copy
    import time

    import torch

    if sum(p.numel() for p in task.net.parameters()) > 5_000_000:
        return 1.0  # a large net: its steps hide Lightning's work anyway
    net = copy.deepcopy(task.net).eval()
    x = torch.zeros(batch_size, *input_shape)
    timings = []
    for _ in range(4):
        started = time.perf_counter()
        net(x).sum().backward()
        timings.append(time.perf_counter() - started)
    return min(timings[1:])


def build_trainer(cfg: DictConfig, **overrides: Any) -> L.Trainer:
    """The Trainer of `cfg.trainer` with the run's callbacks and loggers (`overrides` win)."""
    callbacks = instantiate_group(cfg.get("callbacks"))
    loggers = instantiate_group(cfg.get("logger"))
    return instantiate(cfg.trainer, callbacks=callbacks, logger=loggers or False, **overrides)


@rank_zero_only
def print_config_tree(cfg: DictConfig) -> None:
    """Print each top-level group of `cfg` as a branch of a rich tree (resolved YAML)."""
    from rich import print as rich_print
    from rich.syntax import Syntax
    from rich.tree import Tree

    tree = Tree("config", guide_style="dim")
    for key, value in cfg.items():
        text = (
            OmegaConf.to_yaml(value, resolve=True) if isinstance(value, DictConfig) else str(value)
        )
        tree.add(str(key)).add(Syntax(text.rstrip(), "yaml"))
    rich_print(tree)
