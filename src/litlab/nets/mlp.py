"""A multi-layer perceptron: Keras' Flatten + Dense stack."""

import math
from collections.abc import Sequence

from torch import nn

from litlab.nets.layers import Init, check_rates, init_weights, make_activation


class MLP(nn.Sequential):
    """Flatten, then per hidden size: Linear -> [BatchNorm] -> activation -> [Dropout]; Linear.

    Args:
        input_shape: the shape of one input; it is flattened.
        num_outputs: size of the last Linear layer (logits or values).
        hidden: hidden layer sizes, e.g. [64, 32] for the book's MNIST MLP.
        activation: a name from `litlab.nets.layers.ACTIVATIONS`.
        dropout: dropout after each hidden layer (0 = none).
        batch_norm: batch normalisation after each hidden Linear.
        init: Keras' weight initialiser of every Linear (biases zero; see
            `litlab.nets.layers.init_weights`); default keeps torch's.
        negative_slope: leaky_relu's slope below zero.
    """

    def __init__(
        self,
        input_shape: Sequence[int],
        num_outputs: int,
        *,
        hidden: Sequence[int] = (256, 128),
        activation: str = "relu",
        dropout: float = 0.0,
        batch_norm: bool = False,
        init: Init = "default",
        negative_slope: float = 0.01,
    ) -> None:
        check_rates(dropout=dropout)
        layers: list[nn.Module] = [nn.Flatten()]
        width = math.prod(input_shape)
        for size in hidden:
            layers.append(nn.Linear(width, size, bias=not batch_norm))
            if batch_norm:
                layers.append(nn.BatchNorm1d(size))
            layers.append(make_activation(activation, negative_slope))
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
            width = size
        layers.append(nn.Linear(width, num_outputs))
        super().__init__(*layers)
        init_weights(self, init)
