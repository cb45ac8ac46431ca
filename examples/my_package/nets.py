"""Your own network, as litlab builds it: `model=custom model._target_=my_package.nets.TinyCNN`.

litlab calls it with the keyword arguments every litlab net takes, `input_shape` (one input's
shape, e.g. [1, 8, 8]) and `num_outputs` (the logits or values the task needs), plus any other
key you give as `+model.<name>=<value>`. It maps a batch (B, *input_shape) of scaled inputs to
(B, num_outputs).
"""

from collections.abc import Sequence

from torch import Tensor, nn


class TinyCNN(nn.Module):
    """One 3x3 convolution, global average pooling and a linear head."""

    def __init__(self, input_shape: Sequence[int], num_outputs: int, width: int = 16) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(input_shape[0], width, kernel_size=3, padding=1),
            nn.ReLU(),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
        )
        self.head = nn.Linear(width, num_outputs)

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.features(x))
