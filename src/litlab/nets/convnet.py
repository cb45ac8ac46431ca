"""What every convolutional net shares: image inputs, channels_last, Keras' initialisers, the
sizes its convolutions and poolings leave."""

from collections.abc import Callable, Sequence
from typing import ClassVar, Literal

import torch
from torch import Tensor, nn

from litlab.errors import ConfigError
from litlab.nets.layers import Init, init_weights, make_activation


class ConvNet(nn.Module):
    """`features` then `head`, with inputs and weights in channels_last memory format if asked,
    Linear and Conv weights initialised as Keras' `init` does (`litlab.nets.layers.init_weights`).

    channels_last runs small CNNs 1.45-1.56x faster on CPU here and suits
    tensor cores on GPUs.
    """

    # The number of dimensions of one input: `litlab.build.check_compatible` refuses tables.
    input_ndim: ClassVar[int] = 3

    def __init__(
        self, features: nn.Module, head: nn.Module, *, channels_last: bool, init: Init = "default"
    ) -> None:
        super().__init__()
        self.features = features
        self.head = head
        init_weights(self, init)
        self.memory_format = torch.channels_last if channels_last else torch.contiguous_format
        self.to(memory_format=self.memory_format)

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.features(x.contiguous(memory_format=self.memory_format)))


Padding = Literal["same", "valid"]
# Pixels added on each side for a kernel size: "same" keeps the size at stride 1 (odd kernels),
# "valid" adds none.
PADDINGS: dict[str, Callable[[int], int]] = {"same": lambda k: k // 2, "valid": lambda k: 0}


def conv_output(size: int, *, kernel_size: int, stride: int, padding: Padding) -> int:
    """The length a Conv2d with this kernel, stride and padding gives for `size` pixels: as
    Keras' Conv2D for odd kernels, ceil(size / stride) with "same", ceil((size - kernel + 1) /
    stride) with "valid"."""
    return (size + 2 * PADDINGS[padding](kernel_size) - kernel_size) // stride + 1


def conv_bn_act(
    in_channels: int,
    out_channels: int,
    *,
    kernel_size: int = 3,
    stride: int = 1,
    padding: Padding = "same",
    batch_norm: bool = True,
    activation: str | None = "relu",
    negative_slope: float = 0.01,
) -> nn.Sequential:
    """Conv2d -> [BatchNorm2d] -> [activation]; see `conv_output` for the padding."""
    layers: list[nn.Module] = [
        nn.Conv2d(
            in_channels,
            out_channels,
            kernel_size,
            stride=stride,
            padding=PADDINGS[padding](kernel_size),
            bias=not batch_norm,
        )
    ]
    if batch_norm:
        layers.append(nn.BatchNorm2d(out_channels))
    if activation is not None:
        layers.append(make_activation(activation, negative_slope))
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
    stride: int = 1,
    padding: Padding = "same",
    negative_slope: float = 0.01,
) -> nn.Sequential:
    """One block per width in `channels`: (Conv -> [BN] -> act) x convs_per_block ->
    [2x2 pool] -> [Dropout]; every convolution with this stride and padding."""
    if pool != "none" and pool not in POOLS:
        raise ConfigError(f"model.pool={pool} is unknown; choose one of max, avg, none.")
    if padding not in PADDINGS:
        raise ConfigError(f"model.padding={padding} is unknown; choose one of same, valid.")
    if stride < 1:
        raise ConfigError(f"model.stride={stride} must be a whole number of at least 1.")
    blocks: list[nn.Module] = []
    for width in channels:
        layers: list[nn.Module] = []
        for _ in range(convs_per_block):
            layers.append(
                conv_bn_act(
                    in_channels,
                    width,
                    kernel_size=kernel_size,
                    stride=stride,
                    padding=padding,
                    batch_norm=batch_norm,
                    activation=activation,
                    negative_slope=negative_slope,
                )
            )
            in_channels = width
        if pool != "none":
            layers.append(POOLS[pool](2))
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
        blocks.append(nn.Sequential(*layers))
    return nn.Sequential(*blocks)


def feature_size(
    model: str,
    input_shape: Sequence[int],
    blocks: int,
    *,
    pool: bool = True,
    convs_per_block: int = 0,
    kernel_size: int = 3,
    stride: int = 1,
    padding: Padding = "same",
    fixes: str = "use fewer blocks (model.channels)",
) -> tuple[int, int]:
    """(height, width) of the feature map after `blocks` blocks, each of `convs_per_block`
    convolutions (see `conv_output`) then a 2x2 pooling if `pool`; ConfigError naming the sizes
    and `fixes` if a block would leave less than one pixel."""
    height, width = input_shape[-2:]
    sizes = [f"{height}x{width}"]
    for _ in range(blocks):
        for _ in range(convs_per_block):
            height, width = (
                conv_output(n, kernel_size=kernel_size, stride=stride, padding=padding)
                for n in (height, width)
            )
        if pool:
            height, width = height // 2, width // 2
        sizes.append(f"{max(height, 0)}x{max(width, 0)}")
        if min(height, width) < 1:
            raise ConfigError(
                f"model={model}: its {blocks} blocks shrink the {sizes[0]} input below one "
                f"pixel ({' -> '.join(sizes)}); at most {len(sizes) - 2} fit: {fixes}."
            )
    return height, width
