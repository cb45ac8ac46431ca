"""Tiny in-memory datamodules and a net with known outputs, for task and report tests."""

from collections.abc import Sequence
from functools import partial

import lightning as L
import torch
from torch import Tensor, nn
from torch.utils.data import DataLoader, TensorDataset

from litlab.nets.mlp import MLP
from litlab.tasks.base import BaseTask


class TinyData(L.LightningDataModule):
    """The same (x, y) tensors for every stage, with the statistics litlab datamodules give."""

    name = "tiny data"

    def __init__(
        self,
        x: Tensor,
        y: Tensor,
        *,
        input_stats: tuple[Tensor, Tensor] | None = None,
        target_stats: tuple[Tensor, Tensor] | None = None,
        batch_size: int = 4,
    ) -> None:
        super().__init__()
        self.x, self.y, self.batch_size = x, y, batch_size
        channels = x.shape[1]
        self._input_stats = input_stats or (torch.zeros(channels), torch.ones(channels))
        targets = y.reshape(len(y), -1).shape[1]
        self._target_stats = target_stats or (torch.zeros(targets), torch.ones(targets))

    def all_targets(self) -> Tensor:
        return self.y

    def describe(self) -> str:
        return self.name

    def input_stats(self) -> tuple[Tensor, Tensor]:
        return self._input_stats

    def target_stats(self) -> tuple[Tensor, Tensor]:
        return self._target_stats

    def _loader(self) -> DataLoader:
        return DataLoader(TensorDataset(self.x, self.y), batch_size=self.batch_size)

    train_dataloader = val_dataloader = test_dataloader = _loader


class KnownOutputs(nn.Module):
    """Returns `table[i]` for an input whose first feature is the row index `i`."""

    def __init__(self, table: Tensor) -> None:
        super().__init__()
        self.register_buffer("table", table.float())
        self.zero = nn.Parameter(torch.zeros(()))  # gives a fit something to (not) train

    def forward(self, x: Tensor) -> Tensor:
        return self.table[x[:, 0].long()] + self.zero


def make_task(
    task_class: type[BaseTask], net: nn.Module, class_names: Sequence[str], **kwargs: object
) -> BaseTask:
    """A task of `task_class` on (N, 1) inputs, SGD, with the outputs `class_names` need."""
    return task_class(
        net,
        partial(torch.optim.SGD, lr=0.0),
        input_shape=(1,),
        num_outputs=task_class.outputs_for(class_names),
        class_names=class_names,
        **kwargs,
    )


def known_run(
    task_class: type[BaseTask],
    outputs: Tensor,
    targets: Tensor,
    class_names: Sequence[str],
    **kwargs: object,
) -> tuple[BaseTask, TinyData]:
    """A task whose net gives `outputs[i]` for sample `i`, and data holding `targets`."""
    x = torch.arange(len(targets), dtype=torch.float32).unsqueeze(1)  # (N, 1): the row index
    task = make_task(task_class, KnownOutputs(outputs), class_names, **kwargs)
    return task, TinyData(x, targets)


def quiet_trainer(**kwargs: object) -> L.Trainer:
    """A CPU trainer with no checkpoints, progress bar, summary or loggers unless given."""
    options: dict[str, object] = {
        "accelerator": "cpu",
        "devices": 1,
        "logger": False,
        "enable_checkpointing": False,
        "enable_progress_bar": False,
        "enable_model_summary": False,
    }
    return L.Trainer(**(options | kwargs))


class TrustedMLP(MLP):
    """An MLP defined outside the package: a saved config may name it once it is trusted."""
