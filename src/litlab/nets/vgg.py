"""A VGG-style net for small images: stacked 3x3 convolutions, max-pools, global pooling."""

from collections.abc import Sequence
from typing import Literal

from torch import nn

from litlab.errors import ConfigError
from litlab.nets.convnet import ConvNet, conv_bn_act, conv_output, conv_stack, feature_size
from litlab.nets.layers import Init, check_rates
from litlab.nets.mlp import MLP

GLOBAL_POOLS: dict[str, type[nn.Module]] = {
    "max": nn.AdaptiveMaxPool2d,
    "avg": nn.AdaptiveAvgPool2d,
}


class VGG(ConvNet):
    """Stem conv, then per width in `channels` (Conv -> BN -> act) x convs_per_stage -> 2x2
    max-pool, then global pooling -> Dense head.

    The defaults follow a 7-conv net measured on CIFAR-10 (widths 32-64-128,
    BN + GELU, three max-pools, global max-pool, linear head), which reached 0.90 test accuracy
    in 10 epochs with its training recipe (SGD, one-cycle, label smoothing, flip + crop).

    Args:
        input_shape: (channels, height, width) of one image.
        num_outputs: size of the last Linear layer.
        stem: width of one convolution before the stages (None: no stem).
        channels: width of each stage; each stage ends with a 2x2 max-pool.
        convs_per_stage: convolutions in each stage.
        kernel_size: convolution kernel size ("same" padding).
        batch_norm: batch normalisation after each convolution.
        activation: a name from `litlab.nets.layers.ACTIVATIONS`.
        dropout: dropout after each stage (0 = none).
        global_pool: max or avg over the remaining pixels; none flattens them instead.
        hidden: hidden sizes of the dense head (empty: one Linear layer).
        head_dropout: dropout after each hidden dense layer.
        channels_last: run in channels_last memory format.
        init: Keras' weight initialiser of every Conv and Linear (biases zero; see
            `litlab.nets.layers.init_weights`); default keeps torch's.
        negative_slope: leaky_relu's slope below zero.
    """

    def __init__(
        self,
        input_shape: Sequence[int],
        num_outputs: int,
        *,
        stem: int | None = 32,
        channels: Sequence[int] = (32, 64, 128),
        convs_per_stage: int = 2,
        kernel_size: int = 3,
        batch_norm: bool = True,
        activation: str = "gelu",
        dropout: float = 0.0,
        global_pool: Literal["max", "avg", "none"] = "max",
        hidden: Sequence[int] = (),
        head_dropout: float = 0.0,
        channels_last: bool = True,
        init: Init = "default",
        negative_slope: float = 0.01,
    ) -> None:
        check_rates(dropout=dropout, head_dropout=head_dropout)
        if global_pool != "none" and global_pool not in GLOBAL_POOLS:
            raise ConfigError(
                f"model.global_pool={global_pool} is unknown; choose one of max, avg, none."
            )
        layers: list[nn.Module] = []
        in_channels, *size = input_shape
        if stem is not None:
            size = [conv_output(n, kernel_size=kernel_size, stride=1, padding="same") for n in size]
            layers.append(
                conv_bn_act(
                    in_channels,
                    stem,
                    kernel_size=kernel_size,
                    batch_norm=batch_norm,
                    activation=activation,
                    negative_slope=negative_slope,
                )
            )
            in_channels = stem
        height, width = feature_size(
            "vgg",
            size,
            len(channels),
            convs_per_block=convs_per_stage,
            kernel_size=kernel_size,
            fixes="use fewer stages (model.channels)",
        )
        layers.extend(
            conv_stack(
                in_channels,
                channels,
                kernel_size=kernel_size,
                convs_per_block=convs_per_stage,
                pool="max",
                batch_norm=batch_norm,
                activation=activation,
                dropout=dropout,
                negative_slope=negative_slope,
            )
        )
        out_channels = channels[-1] if channels else in_channels
        if global_pool != "none":
            layers.append(GLOBAL_POOLS[global_pool](1))
            height = width = 1
        head = MLP(
            (out_channels, height, width),
            num_outputs,
            hidden=hidden,
            activation=activation,
            dropout=head_dropout,
            negative_slope=negative_slope,
        )
        super().__init__(nn.Sequential(*layers), head, channels_last=channels_last, init=init)
