"""Checks that the chosen data, task and model can work together, before anything is built."""

from hydra.utils import get_class
from omegaconf import DictConfig

from litlab.config import hydra_choices
from litlab.errors import ConfigError
from litlab.tasks.base import BaseTask, check_num_outputs


def check_compatible(cfg: DictConfig) -> None:
    """Raise ConfigError naming the fix when `data`, `task` and `model` do not fit together."""
    choices = hydra_choices()
    data = choices.get("data", str(cfg.data._target_))
    task = choices.get("task", str(cfg.task._target_))
    model = choices.get("model", str(cfg.model._target_))
    data_kind = cfg.data.target_kind
    task_class: type[BaseTask] = get_class(cfg.task._target_)
    if task_class.target_kind != data_kind:
        raise ConfigError(
            f"task={task} trains on {task_class.target_kind} targets but data={data} holds "
            f"{data_kind} targets; use task={data_kind} (data={data} chooses it when task is "
            "not given)."
        )
    needs = getattr(get_class(cfg.model._target_), "input_ndim", None)
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
