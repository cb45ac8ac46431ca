"""Checks that the chosen data, task and model can work together, before anything is built."""

from hydra.utils import get_class
from omegaconf import DictConfig

from litlab.config import hydra_choices
from litlab.errors import ConfigError


def check_compatible(cfg: DictConfig) -> None:
    """Raise ConfigError naming the fix when `data`, `task` and `model` do not fit together."""
    choices = hydra_choices()
    data = choices.get("data", str(cfg.data._target_))
    task = choices.get("task", str(cfg.task._target_))
    model = choices.get("model", str(cfg.model._target_))
    data_kind = cfg.data.target_kind
    task_kind = get_class(cfg.task._target_).target_kind
    if task_kind != data_kind:
        raise ConfigError(
            f"task={task} trains on {task_kind} targets but data={data} holds {data_kind} "
            f"targets; use task={data_kind} (data={data} chooses it when task is not given)."
        )
    needs = getattr(get_class(cfg.model._target_), "input_ndim", None)
    shape = list(cfg.data.input_shape)
    if needs is not None and len(shape) != needs:
        raise ConfigError(
            f"model={model} needs image inputs (channels, height, width) but data={data} "
            f"gives inputs of shape {shape}; use model=mlp for tabular data."
        )
