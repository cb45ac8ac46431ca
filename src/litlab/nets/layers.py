"""Small building blocks shared by the networks: activations, weight initialisation, checks."""

import math
from typing import Literal, get_args

import torch
from torch import nn

from litlab.errors import ConfigError

ACTIVATIONS: dict[str, type[nn.Module]] = {
    "relu": nn.ReLU,
    "swish": nn.SiLU,
    "silu": nn.SiLU,
    "leaky_relu": nn.LeakyReLU,
    "gelu": nn.GELU,
    "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid,
    "elu": nn.ELU,
}


def make_activation(name: str, negative_slope: float = 0.01) -> nn.Module:
    """The activation layer called `name` (Keras' names: relu, swish, tanh, ...);
    `negative_slope` is leaky_relu's slope below zero (torch's 0.01; Keras' LeakyReLU: 0.3)."""
    if name not in ACTIVATIONS:
        raise ConfigError(
            f"activation '{name}' is unknown; choose one of {', '.join(ACTIVATIONS)}."
        )
    if name == "leaky_relu":
        return nn.LeakyReLU(negative_slope)
    return ACTIVATIONS[name]()


Init = Literal[
    "default", "he_normal", "he_uniform", "glorot_uniform", "glorot_normal", "lecun_normal"
]
# Keras' VarianceScaling initialisers (keras/src/initializers/random_initializers.py):
# (scale, fan, distribution); each weight's variance is scale / fan, fan_avg = (in + out) / 2.
VARIANCE_SCALING: dict[str, tuple[float, str, str]] = {
    "he_normal": (2.0, "fan_in", "truncated_normal"),
    "he_uniform": (2.0, "fan_in", "uniform"),
    "glorot_uniform": (1.0, "fan_avg", "uniform"),
    "glorot_normal": (1.0, "fan_avg", "truncated_normal"),
    "lecun_normal": (1.0, "fan_in", "truncated_normal"),
}
# The standard deviation of a unit normal truncated to [-2, 2], which Keras divides by so that
# the truncated weights keep the variance asked for.
TRUNCATED_STD = 0.87962566103423978
# The layers with a Keras kernel: Dense and Conv (their weights and biases).
LAYERS_WITH_KERNELS = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d)


def init_weights(net: nn.Module, init: Init) -> None:
    """Initialise the weights of every Linear and Conv layer of `net` as Keras' `init` does
    (`kernel_initializer`), and their biases to zero (Keras' `bias_initializer="zeros"`);
    normalisation layers keep theirs. `default` leaves torch's initialisation as it is."""
    if init == "default":
        return
    if init not in VARIANCE_SCALING:
        choices = ", ".join(get_args(Init))
        raise ConfigError(f"model.init={init} is unknown; choose one of {choices}.")
    scale, mode, distribution = VARIANCE_SCALING[init]
    for module in net.modules():
        if not isinstance(module, LAYERS_WITH_KERNELS):
            continue
        weight = module.weight  # (out, in, *kernel); Keras' kernel has the same fans
        receptive = math.prod(weight.shape[2:])
        fan_in, fan_out = weight.shape[1] * receptive, weight.shape[0] * receptive
        fan = fan_in if mode == "fan_in" else (fan_in + fan_out) / 2
        std = math.sqrt(scale / fan)
        with torch.no_grad():
            if distribution == "uniform":
                limit = math.sqrt(3.0) * std  # the uniform on [-limit, limit] has this std
                weight.uniform_(-limit, limit)
            else:
                std /= TRUNCATED_STD
                nn.init.trunc_normal_(weight, std=std, a=-2 * std, b=2 * std)
            if module.bias is not None:
                module.bias.zero_()


def check_rates(**rates: float) -> None:
    """Raise ConfigError naming `model.<name>` unless each dropout rate is in [0, 1)."""
    for name, rate in rates.items():
        if not 0.0 <= rate < 1.0:
            raise ConfigError(
                f"model.{name}={rate} must be a fraction in [0, 1): the share of units dropped "
                "in training (0.2 to 0.5 are usual; 0 turns it off)."
            )
