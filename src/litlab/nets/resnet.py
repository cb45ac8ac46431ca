"""A residual network for small images (He et al. 2016, the CIFAR variant)."""

from collections.abc import Sequence

from torch import Tensor, nn

from litlab.errors import ConfigError
from litlab.nets.convnet import ConvNet, conv_bn_act
from litlab.nets.layers import Init, check_rates, make_activation
from litlab.nets.mlp import MLP


class BasicBlock(nn.Module):
    """Two 3x3 convolutions plus the input (a 1x1 projection when the shape changes)."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        *,
        stride: int,
        activation: str,
        negative_slope: float = 0.01,
    ):
        super().__init__()
        self.body = nn.Sequential(
            conv_bn_act(
                in_channels,
                out_channels,
                stride=stride,
                activation=activation,
                negative_slope=negative_slope,
            ),
            conv_bn_act(out_channels, out_channels, activation=None),
        )
        self.shortcut: nn.Module = nn.Identity()
        if stride != 1 or in_channels != out_channels:
            self.shortcut = conv_bn_act(
                in_channels, out_channels, kernel_size=1, stride=stride, activation=None
            )
        self.act = make_activation(activation, negative_slope)

    def forward(self, x: Tensor) -> Tensor:
        return self.act(self.body(x) + self.shortcut(x))


class ResNet(ConvNet):
    """3x3 stem (no stride, no max-pool: small images keep their pixels), residual stages,
    global average pooling, Linear head.

    Every stage after the first halves the resolution with a stride-2 convolution, which
    never goes below one pixel, so any image size fits. The defaults are ResNet-20 (widths
    16-32-64, three blocks each, 0.27M parameters); widths [64,128,256,512] with blocks
    [2,2,2,2] give the ResNet-18 layout with a small-image stem.

    Args:
        input_shape: (channels, height, width) of one image.
        num_outputs: size of the Linear head.
        widths: channels of each stage; the stem has the first width.
        blocks: residual blocks in each stage (one number per width).
        activation: a name from `litlab.nets.layers.ACTIVATIONS`.
        dropout: dropout before the Linear head.
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
        widths: Sequence[int] = (16, 32, 64),
        blocks: Sequence[int] = (3, 3, 3),
        activation: str = "relu",
        dropout: float = 0.0,
        channels_last: bool = True,
        init: Init = "default",
        negative_slope: float = 0.01,
    ) -> None:
        check_rates(dropout=dropout)
        if len(widths) != len(blocks) or not widths:
            raise ConfigError(
                f"model.widths {list(widths)} and model.blocks {list(blocks)} must be non-empty "
                "and of the same length: one number of blocks per stage."
            )
        stem = conv_bn_act(
            input_shape[0], widths[0], activation=activation, negative_slope=negative_slope
        )
        layers: list[nn.Module] = [stem]
        in_channels = widths[0]
        for stage, (width, count) in enumerate(zip(widths, blocks, strict=True)):
            for i in range(count):
                stride = 2 if stage > 0 and i == 0 else 1
                block = BasicBlock(
                    in_channels,
                    width,
                    stride=stride,
                    activation=activation,
                    negative_slope=negative_slope,
                )
                layers.append(block)
                in_channels = width
        layers.append(nn.AdaptiveAvgPool2d(1))
        head: nn.Module = MLP((in_channels, 1, 1), num_outputs, hidden=())
        if dropout > 0:
            head = nn.Sequential(nn.Dropout(dropout), head)
        super().__init__(nn.Sequential(*layers), head, channels_last=channels_last, init=init)
