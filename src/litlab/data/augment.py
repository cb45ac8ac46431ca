"""Train-time augmentation of whole float image batches, on the batch's device.

One module, `BatchAugment`, whose keyword arguments are the policy: Keras' ImageDataGenerator
set (rotation, width/height shift, shear, zoom, horizontal flip, fill mode) and the CIFAR
recipe's reflect-pad-and-crop. Every transform is drawn independently for each sample.
The affine part builds one (B, 2, 3) matrix per sample and resamples the batch with a single
`grid_sample`, so its cost does not depend on how many of the affine steps are on.
"""

from collections.abc import Callable, Sequence
from functools import partial
from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from litlab.errors import ConfigError

FillMode = Literal["nearest", "reflect", "constant"]
# Keras' fill modes and their grid_sample padding: edge pixels, mirror, zeros (Keras cval=0).
PADDING = {"nearest": "border", "reflect": "reflection", "constant": "zeros"}

Step = Callable[[Tensor], Tensor]


class BatchAugment(nn.Module):
    """Random per-sample augmentation of (B, C, H, W) float batches.

    Args:
        horizontal_flip: flip half of the images left-right.
        crop_padding: pad by this many pixels (reflect) and crop back at a random place,
            i.e. a random integer shift of up to `crop_padding` pixels (the CIFAR recipe).
        rotation_range: rotate by a random angle in [-r, r] degrees.
        width_shift_range, height_shift_range: shift by up to this fraction of the width /
            height (values >= 1 are pixels, as in Keras).
        shear_range: shear by a random angle in [-s, s] degrees.
        zoom_range: scale the sampling grid by a factor drawn per axis from [1 - z, 1 + z]
            (or from [low, high] if two values are given); as in Keras, > 1 zooms out.
        fill_mode: what fills the pixels the affine transform brings in from outside.
    """

    def __init__(
        self,
        *,
        horizontal_flip: bool = False,
        crop_padding: int = 0,
        rotation_range: float = 0.0,
        width_shift_range: float = 0.0,
        height_shift_range: float = 0.0,
        shear_range: float = 0.0,
        zoom_range: float | Sequence[float] = 0.0,
        fill_mode: FillMode = "nearest",
    ) -> None:
        super().__init__()
        if fill_mode not in PADDING:
            raise ConfigError(
                f"augment.fill_mode={fill_mode} is unknown; choose one of {', '.join(PADDING)}."
            )
        zoom = _zoom_bounds(zoom_range)
        steps: list[Step] = []
        if horizontal_flip:
            steps.append(random_hflip)
        if crop_padding > 0:
            steps.append(partial(random_pad_crop, padding=crop_padding))
        if rotation_range or width_shift_range or height_shift_range or shear_range or zoom_range:
            steps.append(
                partial(
                    random_affine,
                    rotation=rotation_range,
                    shift=(width_shift_range, height_shift_range),
                    shear=shear_range,
                    zoom=zoom,
                    padding_mode=PADDING[fill_mode],
                )
            )
        self.steps = steps

    def forward(self, x: Tensor) -> Tensor:
        for step in self.steps:
            x = step(x)
        return x


def _zoom_bounds(zoom_range: float | Sequence[float]) -> tuple[float, float]:
    """Keras' zoom_range: z means [1 - z, 1 + z]; a pair is [low, high]."""
    if isinstance(zoom_range, int | float):
        low, high = 1.0 - zoom_range, 1.0 + zoom_range
    else:
        low, high = (float(v) for v in zoom_range)
    if not 0.0 < low <= high:
        raise ConfigError(f"augment.zoom_range={zoom_range} must give 0 < low <= high factors.")
    return low, high


def _uniform(batch: int, bound: float, device: torch.device) -> Tensor:
    """(batch,) values uniform in [-bound, bound]."""
    return (torch.rand(batch, device=device) * 2 - 1) * bound


def _matrix(a: Tensor, b: Tensor, c: Tensor, d: Tensor) -> Tensor:
    """(B, 2, 2) matrices [[a, b], [c, d]] from four (B,) tensors."""
    return torch.stack([a, b, c, d], 1).view(-1, 2, 2)


def random_hflip(x: Tensor) -> Tensor:
    """Flip each image left-right with probability 1/2."""
    flip = torch.rand(len(x), device=x.device) < 0.5
    return torch.where(flip.view(-1, 1, 1, 1), x.flip(-1), x)


def random_pad_crop(x: Tensor, *, padding: int) -> Tensor:
    """Reflect-pad by `padding` and crop each image back to its size at a random offset."""
    batch, _, height, width = x.shape
    padded = F.pad(x, (padding,) * 4, mode="reflect")  # (B, C, H + 2p, W + 2p)
    top = torch.randint(0, 2 * padding + 1, (batch, 1, 1), device=x.device)
    left = torch.randint(0, 2 * padding + 1, (batch, 1, 1), device=x.device)
    rows = top + torch.arange(height, device=x.device).view(1, -1, 1)  # (B, H, 1)
    cols = left + torch.arange(width, device=x.device).view(1, 1, -1)  # (B, 1, W)
    samples = torch.arange(batch, device=x.device).view(-1, 1, 1)
    return padded.permute(0, 2, 3, 1)[samples, rows, cols].permute(0, 3, 1, 2)


def random_affine(
    x: Tensor,
    *,
    rotation: float,
    shift: tuple[float, float],
    shear: float,
    zoom: tuple[float, float],
    padding_mode: str,
) -> Tensor:
    """Keras' random affine transform, one draw per sample, by bilinear resampling.

    As in Keras (`apply_affine_transform`), an output pixel p (about the image centre) reads
    the input at R(theta) @ (S(shear) @ Z(zx, zy) @ p + t).
    """
    batch, _, height, width = x.shape
    device = x.device
    theta = torch.deg2rad(_uniform(batch, rotation, device))
    shear_angle = torch.deg2rad(_uniform(batch, shear, device))
    shift_x, shift_y = (
        s if s < 1 else s / size for s, size in zip(shift, (width, height), strict=True)
    )
    tx = _uniform(batch, shift_x, device) * width  # pixels
    ty = _uniform(batch, shift_y, device) * height
    zx, zy = (torch.empty(batch, device=device).uniform_(*zoom) for _ in range(2))
    zero, one = torch.zeros_like(theta), torch.ones_like(theta)
    rotate = _matrix(torch.cos(theta), -torch.sin(theta), torch.sin(theta), torch.cos(theta))
    shear_matrix = _matrix(torch.cos(shear_angle), zero, -torch.sin(shear_angle), one)
    linear = rotate @ shear_matrix @ _matrix(zx, zero, zero, zy)  # (B, 2, 2), in x-y order
    offset = rotate @ torch.stack([tx, ty], 1).unsqueeze(-1)  # (B, 2, 1)
    # affine_grid works in [-1, 1] coordinates: pixels = half * normalised, per axis.
    half = torch.tensor([width / 2, height / 2], device=device)
    linear = linear * half.view(1, 1, 2) / half.view(1, 2, 1)
    offset = offset / half.view(1, 2, 1)
    grid = F.affine_grid(torch.cat([linear, offset], 2), list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode=padding_mode, align_corners=False)
