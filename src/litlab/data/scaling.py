"""Input and target scaling: statistics from the training split, applied as a module.

The statistics live in `ChannelScaler` buffers, so they are saved with every checkpoint and
evaluation or prediction applies exactly what training used.
"""

from typing import Literal

import numpy as np
import torch
from torch import Tensor, nn

ScalingMethod = Literal["minmax", "standard", "robust", "none"]
SCALING_METHODS: tuple[str, ...] = ("minmax", "standard", "robust", "none")


def _per_channel(x: Tensor) -> np.ndarray:
    """(N, C, ...) -> (C, N * ...) as float64 numpy, one row per channel or feature."""
    return x.transpose(0, 1).reshape(x.shape[1], -1).double().numpy()


def fit_scaling(x: Tensor, method: str) -> tuple[Tensor, Tensor]:
    """Return per-channel `(shift, scale)` so that `(x - shift) / scale` is scaled by `method`.

    Args:
        x: training inputs, (N, C, H, W) images or (N, F) features.
        method: `minmax` (uint8 images: /255, the fixed pixel range; otherwise the train
            min and max), `standard` (mean, std), `robust` (median, interquartile range), `none`.
    """
    if method not in SCALING_METHODS:
        raise ValueError(f"Unknown scaling '{method}'; choose one of {', '.join(SCALING_METHODS)}.")
    channels = x.shape[1]
    if method == "none":
        return torch.zeros(channels), torch.ones(channels)
    if method == "minmax" and x.dtype == torch.uint8:
        return torch.zeros(channels), torch.full((channels,), 255.0)
    values = _per_channel(x)
    if method == "minmax":
        shift, scale = values.min(axis=1), np.ptp(values, axis=1)
    elif method == "standard":
        shift, scale = values.mean(axis=1), values.std(axis=1)
    else:
        q25, shift, q75 = np.percentile(values, [25, 50, 75], axis=1)
        scale = q75 - q25
    scale = np.where(scale > 0, scale, 1.0)  # a constant channel is shifted, not divided by 0
    return torch.as_tensor(shift, dtype=torch.float32), torch.as_tensor(scale, dtype=torch.float32)


class ChannelScaler(nn.Module):
    """`(x - shift) / scale` along dim 1; identity until `set_stats` is called."""

    shift: Tensor
    scale: Tensor

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.register_buffer("shift", torch.zeros(channels))
        self.register_buffer("scale", torch.ones(channels))

    def set_stats(self, shift: Tensor, scale: Tensor) -> None:
        self.shift.copy_(shift)
        self.scale.copy_(scale)

    def _view(self, stat: Tensor, x: Tensor) -> Tensor:
        return stat.view(1, -1, *([1] * (x.ndim - 2)))  # broadcast over (B, C, ...)

    def forward(self, x: Tensor) -> Tensor:
        # x / scale - shift / scale in one fused op (a tenth of a small MLP's forward pass).
        inverse = self._view(self.scale, x).reciprocal()
        return torch.addcmul(-self._view(self.shift, x) * inverse, x, inverse)

    def inverse(self, y: Tensor) -> Tensor:
        return y * self._view(self.scale, y) + self._view(self.shift, y)
