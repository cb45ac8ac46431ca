"""A plain CNN: Keras' Conv2D / MaxPooling2D blocks, then Flatten and a Dense head."""

from collections.abc import Sequence

from litlab.nets.convnet import ConvNet, Padding, PoolKind, conv_stack, feature_size
from litlab.nets.layers import Init, check_rates
from litlab.nets.mlp import MLP


class CNN(ConvNet):
    """Conv blocks (see `conv_stack`), then Flatten -> Dense head (an `MLP`).

    Args:
        input_shape: (channels, height, width) of one image.
        num_outputs: size of the last Linear layer.
        channels: output channels of each block, e.g. [32, 64].
        kernel_size: convolution kernel size.
        convs_per_block: convolutions in each block.
        pool: 2x2 pooling after each block: max, avg or none.
        batch_norm: batch normalisation after each convolution.
        activation: a name from `litlab.nets.layers.ACTIVATIONS`.
        dropout: dropout after each block (0 = none).
        hidden: hidden sizes of the dense head.
        head_dropout: dropout after each hidden dense layer.
        channels_last: run in channels_last memory format.
        padding: each convolution's padding, as Keras' Conv2D: same (the size stays, for odd
            kernels) or valid (none: each convolution takes kernel_size - 1 pixels).
        stride: each convolution's stride (2 halves the size).
        init: Keras' weight initialiser of every Conv and Linear (biases zero; see
            `litlab.nets.layers.init_weights`); default keeps torch's.
        negative_slope: leaky_relu's slope below zero.
    """

    def __init__(
        self,
        input_shape: Sequence[int],
        num_outputs: int,
        *,
        channels: Sequence[int] = (32, 64),
        kernel_size: int = 3,
        convs_per_block: int = 1,
        pool: PoolKind = "max",
        batch_norm: bool = False,
        activation: str = "relu",
        dropout: float = 0.0,
        hidden: Sequence[int] = (128,),
        head_dropout: float = 0.0,
        channels_last: bool = True,
        padding: Padding = "same",
        stride: int = 1,
        init: Init = "default",
        negative_slope: float = 0.01,
    ) -> None:
        check_rates(dropout=dropout, head_dropout=head_dropout)
        features = conv_stack(
            input_shape[0],
            channels,
            kernel_size=kernel_size,
            convs_per_block=convs_per_block,
            pool=pool,
            batch_norm=batch_norm,
            activation=activation,
            dropout=dropout,
            stride=stride,
            padding=padding,
            negative_slope=negative_slope,
        )
        height, width = feature_size(
            "cnn",
            input_shape,
            len(channels),
            pool=pool != "none",
            convs_per_block=convs_per_block,
            kernel_size=kernel_size,
            stride=stride,
            padding=padding,
            fixes="use fewer blocks (model.channels), no pooling (model.pool=none), "
            "model.padding=same or model.stride=1",
        )
        flat = (channels[-1] if channels else input_shape[0], height, width)
        head = MLP(
            flat,
            num_outputs,
            hidden=hidden,
            activation=activation,
            dropout=head_dropout,
            negative_slope=negative_slope,
        )
        super().__init__(features, head, channels_last=channels_last, init=init)
