"""Image files decoded to uint8 tensors, and new inputs to predict on.

`decode_images` reads any files PIL opens (JPEG, PNG, ...), of any size, with DataLoader
workers, into one uint8 (N, 3, size, size) tensor; the image datasets decode once with it and
cache the result (`to_grey` makes them grey). `python src/predict.py run_dir=... inputs=<path>`
asks the run's datamodule to `read_inputs(path)`: image datasets take a folder (or one file) of
images (`ImageFolderInputs`), tables (Boston) a CSV with the feature columns, iceberg a JSON
list of records.
"""

from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple, Protocol, runtime_checkable

import numpy as np
import torch
from torch import Tensor
from torch.utils.data import DataLoader, Dataset

from litlab.data.layout import IMAGE_SUFFIXES
from litlab.errors import ConfigError, DataError

# ITU-R 601-2 luma, the weights of PIL's convert("L"): colour photos for grey-image models.
LUMA = (0.299, 0.587, 0.114)


class NewInputs(NamedTuple):
    """Inputs as the dataset's decoder gives them (uint8 pixels or float32 values), and what
    names each one in the predictions file: the column `key` (file or id) holding `ids`."""

    x: Tensor
    key: str
    ids: list[str]


@runtime_checkable
class ReadsInputs(Protocol):
    """A datamodule that reads new inputs in its dataset's format."""

    def read_inputs(self, path: Path) -> NewInputs: ...


class ImageFolderInputs:
    """For image datasets: every image file below a folder (or one file), decoded by
    `decode_images` and resized to the model's input size; grey for 1-channel models."""

    name: str
    input_shape: tuple[int, ...]
    num_workers: int = 0  # processes decoding the images

    def read_inputs(self, path: Path) -> NewInputs:
        channels, height, width = self.input_shape
        if height != width or channels not in (1, 3):
            raise ConfigError(
                f"{self.name}: images are read as square RGB or grey pictures, but the model "
                f"takes inputs of shape {list(self.input_shape)}."
            )
        files = [path] if path.is_file() else sorted(path.rglob("*"))
        files = [f for f in files if f.is_file() and f.suffix.lower() in IMAGE_SUFFIXES]
        if not files:
            raise DataError(
                f"No image ({', '.join(IMAGE_SUFFIXES)}) found at {path}; give a folder of "
                "images or one image file."
            )
        x = decode_images(files, height, self.num_workers)  # (N, 3, H, W) uint8
        if channels == 1:
            x = to_grey(x)
        base = path if path.is_dir() else path.parent
        return NewInputs(x, "file", [f.relative_to(base).as_posix() for f in files])


class _ImageFiles(Dataset):
    """Image files decoded to uint8 (3, size, size); a failure is returned as its message."""

    def __init__(self, files: Sequence[Path], size: int) -> None:
        self.files = files
        self.size = size

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, index: int) -> Tensor | str:
        from PIL import Image

        try:
            with Image.open(self.files[index]) as image:
                image.draft("RGB", (self.size, self.size))  # JPEG: decode at a reduced scale
                rgb = image.convert("RGB").resize((self.size, self.size), Image.Resampling.BILINEAR)
        except (
            OSError,
            ValueError,
            Image.DecompressionBombError,
        ) as err:  # Unidentified...: OSError
            return str(err)
        return torch.from_numpy(np.asarray(rgb).transpose(2, 0, 1).copy())  # (3, H, W)


def to_grey(x: Tensor) -> Tensor:
    """uint8 (N, 3, H, W) RGB -> uint8 (N, 1, H, W) luma, as PIL's convert("L") weighs it."""
    weights = torch.tensor(LUMA).view(1, 3, 1, 1)
    return (x * weights).sum(1, keepdim=True).round().to(torch.uint8)


def decode_images(files: Sequence[Path], size: int, num_workers: int) -> Tensor:
    """Decode and resize every file with `num_workers` processes: uint8 (N, 3, size, size)."""
    out = torch.empty((len(files), 3, size, size), dtype=torch.uint8)
    images = _ImageFiles(files, size)
    loader = DataLoader(images, batch_size=64, num_workers=num_workers, collate_fn=list)
    start = 0
    for batch in loader:
        for offset, image in enumerate(batch):
            if isinstance(image, str):
                raise DataError(
                    f"{files[start + offset]}: cannot read this image ({image}); "
                    "replace or remove it."
                )
            out[start + offset] = image
        start += len(batch)
    return out
