"""New inputs to predict on, read by each dataset in its own format.

`python src/predict.py run_dir=... inputs=<path>` asks the run's datamodule to read `path`:
image datasets take a folder (or one file) of images, decoded and resized by the apparel
reader; Boston a CSV with the feature columns; iceberg a JSON list of Kaggle's records.
"""

from pathlib import Path
from typing import NamedTuple, Protocol, runtime_checkable

import torch
from torch import Tensor

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
    """For image datasets: every image file below a folder (or one file), decoded as the
    apparel photos are and resized to the model's input size; grey for 1-channel models."""

    name: str
    input_shape: tuple[int, ...]
    num_workers: int = 0  # processes decoding the images

    def read_inputs(self, path: Path) -> NewInputs:
        from litlab.data.apparel import IMAGE_SUFFIXES, decode_images

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
            weights = torch.tensor(LUMA).view(1, 3, 1, 1)
            x = (x * weights).sum(1, keepdim=True).round().to(torch.uint8)
        base = path if path.is_dir() else path.parent
        return NewInputs(x, "file", [f.relative_to(base).as_posix() for f in files])
