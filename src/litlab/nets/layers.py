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


def check_rates(**rates: float) -> None:
    """Raise ConfigError naming `model.<name>` unless each dropout rate is in [0, 1)."""
    for name, rate in rates.items():
        if not 0.0 <= rate < 1.0:
            raise ConfigError(
                f"model.{name}={rate} must be a fraction in [0, 1): the share of units dropped "
                "in training (0.2 to 0.5 are usual; 0 turns it off)."
            )
