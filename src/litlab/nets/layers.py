"""Small building blocks shared by the networks."""

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


def make_activation(name: str) -> nn.Module:
    """The activation layer called `name` (Keras' names: relu, swish, tanh, ...)."""
    if name not in ACTIVATIONS:
        raise ConfigError(
            f"activation '{name}' is unknown; choose one of {', '.join(ACTIVATIONS)}."
        )
    return ACTIVATIONS[name]()
