"""What every convolutional net shares: image inputs, channels_last, a pooling budget."""

from collections.abc import Sequence
from typing import ClassVar, Literal

import torch
from torch import Tensor, nn

from litlab.errors import ConfigError
from litlab.nets.layers import make_activation


class ConvNet(nn.Module):
    """`features` then `head`, with inputs and weights in channels_last memory format if asked.

    channels_last runs small CNNs 1.45-1.56x faster on CPU here and suits
    tensor cores on GPUs.
    """

    # The number of dimensions of one input: `litlab.build.check_compatible` refuses tables.
    input_ndim: ClassVar[int] = 3

    def __init__(self, features: nn.Module, head: nn.Module, *, channels_last: bool) -> None:
        super().__init__()
        self.features = features
        self.head = head
        self.memory_format = torch.channels_last if channels_last else torch.contiguous_format
        self.to(memory_format=self.memory_format)

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.features(x.contiguous(memory_format=self.memory_format)))


def conv_bn_act(
    in_channels: int,
    out_channels: int,
    *,
    kernel_size: int = 3,
    stride: int = 1,
    batch_norm: bool = True,
    activation: str | None = "relu",
) -> nn.Sequential:
    """Conv2d with "same" padding -> [BatchNorm2d] -> [activation]."""
    layers: list[nn.Module] = [
        nn.Conv2d(
            in_channels,
            out_channels,
            kernel_size,
            stride=stride,
            padding=kernel_size // 2,
            bias=not batch_norm,
        )
    ]
    if batch_norm:
        layers.append(nn.BatchNorm2d(out_channels))
    if activation is not None:
        layers.append(make_activation(activation))
    return nn.Sequential(*layers)


PoolKind = Literal["max", "avg", "none"]
POOLS: dict[str, type[nn.Module]] = {"max": nn.MaxPool2d, "avg": nn.AvgPool2d}


def conv_stack(
    in_channels: int,
    channels: Sequence[int],
    *,
    kernel_size: int,
    convs_per_block: int,
    pool: PoolKind,
    batch_norm: bool,
    activation: str,
    dropout: float,
) -> nn.Sequential:
    """One block per width in `channels`: (Conv -> [BN] -> act) x convs_per_block ->
    [2x2 pool] -> [Dropout]."""
    if pool != "none" and pool not in POOLS:
        raise ConfigError(f"model.pool={pool} is unknown; choose one of max, avg, none.")
    blocks: list[nn.Module] = []
    for width in channels:
        layers: list[nn.Module] = []
        for _ in range(convs_per_block):
            layers.append(
                conv_bn_act(
                    in_channels,
                    width,
                    kernel_size=kernel_size,
                    batch_norm=batch_norm,
                    activation=activation,
                )
            )
            in_channels = width
        if pool != "none":
            layers.append(POOLS[pool](2))
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
        blocks.append(nn.Sequential(*layers))
    return nn.Sequential(*blocks)


def pooled_size(model: str, input_shape: Sequence[int], pools: int) -> tuple[int, int]:
    """(height, width) after `pools` 2x2 poolings; ConfigError if one would reach 0 pixels."""
    height, width = input_shape[-2:]
    sizes = [f"{height}x{width}"]
    for _ in range(pools):
        height, width = height // 2, width // 2
        sizes.append(f"{height}x{width}")
        if min(height, width) == 0:
            fits = len(sizes) - 2
            raise ConfigError(
                f"model={model}: {pools} 2x2 poolings shrink the {sizes[0]} input below one "
                f"pixel ({' -> '.join(sizes)}); at most {fits} fit: use fewer blocks "
                f"(model.channels) or no pooling (model.pool=none)."
            )
    return height, width
