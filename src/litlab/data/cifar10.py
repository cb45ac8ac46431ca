"""CIFAR-10: the python pickle batches in `<data_dir>/cifar-10-batches-py/`.

The batches are read with an unpickler that only builds numpy arrays (never arbitrary
objects), and their structure is checked: re-packed batches of any size are accepted.
"""

import codecs
import logging
import pickle
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor

from litlab.data.base import TensorDataModule
from litlab.data.images import ImageFolderInputs
from litlab.errors import DataError

log = logging.getLogger(__name__)

FOLDER = "cifar-10-batches-py"
TRAIN_BATCHES = tuple(f"data_batch_{i}" for i in range(1, 6))
IMAGE_SHAPE = (3, 32, 32)  # each row of `data` is 1024 red, then 1024 green, then 1024 blue

# The only callables a batch may name. numpy pickles arrays through `_reconstruct` (under
# numpy.core before numpy 2, numpy._core since); Python 3 pickles bytes with protocol 2 as
# `_codecs.encode(text, "latin1")`.
_RECONSTRUCT = np.ndarray(0).__reduce__()[0]
_ALLOWED: dict[tuple[str, str], Any] = {
    ("numpy.core.multiarray", "_reconstruct"): _RECONSTRUCT,
    ("numpy._core.multiarray", "_reconstruct"): _RECONSTRUCT,
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
    ("_codecs", "encode"): codecs.encode,
}


class _ArrayUnpickler(pickle.Unpickler):
    """Builds dicts, lists, numbers, strings and numpy arrays; refuses every other class."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in _ALLOWED:
            raise pickle.UnpicklingError(f"refusing to build {module}.{name}")
        return _ALLOWED[(module, name)]


def _text(value: object) -> object:
    return value.decode("latin1") if isinstance(value, bytes) else value


def read_pickle(path: Path) -> dict[str, Any]:
    """Load one batch file as a dict with str keys (Python 2 and 3 pickles alike)."""
    try:
        with open(path, "rb") as f:
            content = _ArrayUnpickler(f, encoding="latin1").load()
    except Exception as err:  # truncated, not a pickle, or a forbidden object
        raise DataError(
            f"{path}: cannot read this CIFAR-10 batch ({err}); download the dataset again."
        ) from err
    if not isinstance(content, dict):
        raise DataError(f"{path}: holds a {type(content).__name__}, not a CIFAR-10 batch dict.")
    return {str(_text(key)): value for key, value in content.items()}


def read_batch(path: Path) -> tuple[Tensor, Tensor]:
    """One batch file -> uint8 images (N, 3, 32, 32) and int64 labels (N,)."""
    batch = read_pickle(path)
    if "data" not in batch or "labels" not in batch:
        raise DataError(
            f"{path}: a CIFAR-10 batch needs keys 'data' and 'labels' but has "
            f"{sorted(batch)}; download the dataset again."
        )
    data, labels = batch["data"], np.asarray(batch["labels"])
    size = int(np.prod(IMAGE_SHAPE))
    if not isinstance(data, np.ndarray) or data.dtype != np.uint8 or data.size % size:
        kind = f"{data.dtype} array" if isinstance(data, np.ndarray) else type(data).__name__
        raise DataError(
            f"{path}: 'data' must be uint8 rows of {size} pixels but is a {kind}; "
            "download the dataset again."
        )
    images = data.reshape(-1, *IMAGE_SHAPE)
    if labels.ndim != 1 or len(labels) != len(images) or labels.dtype.kind not in "iu":
        raise DataError(
            f"{path}: {len(images)} images but labels of shape {list(labels.shape)} "
            f"({labels.dtype}); download the dataset again."
        )
    return torch.from_numpy(images.copy()), torch.from_numpy(labels.astype(np.int64))


class CIFAR10DataModule(ImageFolderInputs, TensorDataModule):
    """32x32 colour photos, 50,000 training and 10,000 test images, 10 classes; new inputs are
    image files (`ImageFolderInputs`)."""

    name = "CIFAR-10"
    how_to_get = (
        "With a network, torchvision downloads it there by itself. Otherwise unpack "
        "cifar-10-python.tar.gz (https://www.cs.toronto.edu/~kriz/cifar.html) into the data root."
    )

    @property
    def folder(self) -> Path:
        return self.data_dir / FOLDER

    def sources(self) -> list[Path]:
        names = [*TRAIN_BATCHES, "test_batch", "batches.meta"]
        if not all((self.folder / name).is_file() for name in names):
            raise self.missing(self.folder, [n for n in names if not (self.folder / n).is_file()])
        return [self.folder / name for name in names]

    def decode(self) -> dict[str, Tensor]:
        *train, test, meta = self.sources()
        images, labels = zip(*(read_batch(path) for path in train), strict=True)
        test_x, test_y = read_batch(test)
        self._check_label_names(meta)
        return {
            "train_x": torch.cat(images),
            "train_y": torch.cat(labels),
            "test_x": test_x,
            "test_y": test_y,
        }

    def _check_label_names(self, meta: Path) -> None:
        """`batches.meta` names the classes; they must be the config's, in the same order."""
        names = [_text(name) for name in read_pickle(meta).get("label_names", [])]
        if names != self.class_names:
            raise DataError(
                f"{meta}: label_names {names} differ from data.class_names "
                f"{self.class_names}; download the dataset again or fix data.class_names."
            )

    def fetch(self) -> None:
        from torchvision import datasets

        log.info("Downloading %s into %s", self.name, self.data_dir)
        try:
            datasets.CIFAR10(str(self.data_dir), train=True, download=True)
        except Exception as err:  # no network, proxy, mirror down: all end in the same advice
            names = [*TRAIN_BATCHES, "test_batch", "batches.meta"]
            raise self.missing(self.folder, names, f"\nThe download failed: {err}") from err
