"""scikit-learn's handwritten digits: 1,797 real 8x8 images shipped inside scikit-learn.

No download and no data root: the offline smoke test of the whole path.
"""

import importlib.util
from pathlib import Path

import numpy as np
import torch
from torch import Tensor

from litlab.data.base import TensorDataModule
from litlab.data.images import ImageFolderInputs
from litlab.errors import DataError

LEVELS = 16  # the images hold counts 0..16 (on pixels of 4x4 blocks of the 32x32 scans)


class DigitsDataModule(ImageFolderInputs, TensorDataModule):
    """8x8 grey digits, 10 classes; `test_split` of them held out with the seed. New inputs are
    image files (`ImageFolderInputs`), made grey and shrunk to 8x8.

    Pixels become uint8 0..255 (count * 255 / 16), so `minmax` is /255 as for every image set.
    """

    name = "digits"
    how_to_get = "The digits ship with scikit-learn: reinstall it (`pip install scikit-learn`)."

    def sources(self) -> list[Path]:
        spec = importlib.util.find_spec("sklearn")  # finds the files without importing sklearn
        folder = spec.submodule_search_locations if spec is not None else None
        path = Path(folder[0] if folder else "sklearn") / "datasets" / "data" / "digits.csv.gz"
        if not path.is_file():
            raise DataError(f"digits data not found: {path} does not exist. {self.how_to_get}")
        return [path]

    def decode(self) -> dict[str, Tensor]:
        from sklearn.datasets import load_digits

        try:
            images, labels = load_digits(return_X_y=True)
        except (OSError, ValueError) as err:
            message = f"{self.sources()[0]}: cannot read it ({err}). {self.how_to_get}"
            raise DataError(message) from err
        pixels = np.rint(images.reshape(-1, 1, 8, 8) * (255 / LEVELS)).astype(np.uint8)
        return {"train_x": torch.from_numpy(pixels), "train_y": torch.from_numpy(labels).long()}
