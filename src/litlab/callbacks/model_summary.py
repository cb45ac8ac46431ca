"""A model summary like Keras' `model.summary()`: layers, output shapes, parameter counts."""

import logging
from collections.abc import Callable
from pathlib import Path

import lightning as L
import torch
from lightning.pytorch.callbacks import ModelSummary
from lightning.pytorch.utilities import rank_zero_only
from torch import Tensor, nn

from litlab.callbacks.publish import publish_text
from litlab.tasks.base import BaseTask

log = logging.getLogger(__name__)


def _rows(net: nn.Module, max_depth: int) -> list[tuple[str, nn.Module]]:
    """(name, module) of the leaves of `net`'s module tree cut at `max_depth` (-1: uncut)."""
    rows = []
    for name, module in net.named_modules():
        depth = name.count(".") + 1 if name else 0
        is_leaf = next(module.children(), None) is None
        if depth > 0 and (depth == max_depth or (is_leaf and (max_depth < 0 or depth < max_depth))):
            rows.append((name, module))
    return rows


def _shape(output: object) -> str:
    if isinstance(output, Tensor):
        return "(" + ", ".join(["None", *map(str, output.shape[1:])]) + ")"
    return type(output).__name__


@torch.no_grad()
def summarize(net: nn.Module, example: Tensor, max_depth: int = -1) -> str:
    """The Keras-style table of `net`, with output shapes from one pass over `example`."""
    rows = _rows(net, max_depth)
    shapes: dict[str, str] = {}

    def record(name: str) -> Callable[[nn.Module, object, object], None]:
        def hook(module: nn.Module, inputs: object, output: object) -> None:
            shapes.setdefault(name, _shape(output))  # a hook returning a value replaces output

        return hook

    hooks = [module.register_forward_hook(record(name)) for name, module in rows]
    was_training = net.training
    try:
        net.eval().forward(example)  # not net(...): a compiled net would compile for this
    finally:
        net.train(was_training)
        for hook in hooks:
            hook.remove()
    table = [("Layer (type)", "Output Shape", "Param #")]
    table += [
        (
            f"{name} ({type(module).__name__})",
            shapes.get(name, "-"),
            f"{sum(p.numel() for p in module.parameters()):,}",
        )
        for name, module in rows
    ]
    widths = [max(len(row[i]) for row in table) + 3 for i in range(3)]
    rule = "_" * sum(widths)

    def line(row: tuple[str, str, str]) -> str:
        return "".join(f"{cell:<{w}}" for cell, w in zip(row, widths, strict=True)).rstrip()

    total = sum(p.numel() for p in net.parameters())
    trainable = sum(p.numel() for p in net.parameters() if p.requires_grad)
    size = sum(p.numel() * p.element_size() for p in net.parameters()) / 2**20
    return "\n".join(
        [
            f'Model: "{type(net).__name__}"',
            f"Input shape: {_shape(example)}",
            rule,
            line(table[0]),
            "=" * sum(widths),
            *map(line, table[1:]),
            "=" * sum(widths),
            f"Total params: {total:,} ({size:.2f} MB)",
            f"Trainable params: {trainable:,}",
            f"Non-trainable params: {total - trainable:,}",
            rule,
        ]
    )


class KerasModelSummary(ModelSummary):
    """Print the net's Keras-style summary when a fit starts, write `model_summary.txt` and
    send it to every active logger.

    Replaces Lightning's summary, which also lists the metric modules. A ModelSummary
    subclass, so Lightning adds no default summary of its own.

    Args:
        dirpath: the run directory.
        max_depth: how deep to list nested modules (-1: every layer).
    """

    def __init__(self, dirpath: str, max_depth: int = -1) -> None:
        super().__init__(max_depth=max_depth)
        self.dirpath = Path(dirpath)

    @rank_zero_only
    def on_fit_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        net = pl_module.net if isinstance(pl_module, BaseTask) else pl_module
        example = torch.as_tensor(pl_module.example_input_array, device=pl_module.device)
        text = summarize(net, example, self._max_depth)
        log.info("Model summary:\n%s", text)
        publish_text(trainer, self.dirpath, "model_summary.txt", text + "\n")
