"""MNIST and Fashion-MNIST: IDX files in torchvision's layout, `<data_dir>/<folder>/raw/`.

The published files are known by their MD5 sums, so a file of the other dataset (both use the
same file names) is named as such instead of training silently on the wrong images.
"""

import hashlib
import logging
from pathlib import Path
from typing import ClassVar

from torch import Tensor

from litlab.data.base import TensorDataModule
from litlab.data.idx import read_idx
from litlab.data.images import ImageFolderInputs
from litlab.errors import DataError

log = logging.getLogger(__name__)

# MD5 of each published file, .gz (torchvision's list) and unpacked -> (folder, file name).
PUBLISHED = {
    "f68b3c2dcbeaaa9fbdd348bbdeb94873": ("MNIST", "train-images-idx3-ubyte"),
    "d53e105ee54ea40749a09fcbcd1e9432": ("MNIST", "train-labels-idx1-ubyte"),
    "9fb629c4189551a2d022fa330f9573f3": ("MNIST", "t10k-images-idx3-ubyte"),
    "ec29112dd5afa0611ce80d1b7f02629c": ("MNIST", "t10k-labels-idx1-ubyte"),
    "6bbc9ace898e44ae57da46a324031adb": ("MNIST", "train-images-idx3-ubyte"),
    "a25bea736e30d166cdddb491f175f624": ("MNIST", "train-labels-idx1-ubyte"),
    "2646ac647ad5339dbf082846283269ea": ("MNIST", "t10k-images-idx3-ubyte"),
    "27ae3e4e09519cfbb04c329615203637": ("MNIST", "t10k-labels-idx1-ubyte"),
    "8d4fb7e6c68d591d4c3dfef9ec88bf0d": ("FashionMNIST", "train-images-idx3-ubyte"),
    "25c81989df183df01b3e8a0aad5dffbe": ("FashionMNIST", "train-labels-idx1-ubyte"),
    "bef4ecab320f06d8554ea6380940ec79": ("FashionMNIST", "t10k-images-idx3-ubyte"),
    "bb300cfdad3c16e7a12a480ee83cd310": ("FashionMNIST", "t10k-labels-idx1-ubyte"),
    "f4a8712d7a061bf5bd6d2ca38dc4d50a": ("FashionMNIST", "train-images-idx3-ubyte"),
    "9018921c3c673c538a1fc5bad174d6f9": ("FashionMNIST", "train-labels-idx1-ubyte"),
    "8181f5470baa50b63fa0f6fddb340f0a": ("FashionMNIST", "t10k-images-idx3-ubyte"),
    "15d484375f8d13e6eb1aabb0c3f46965": ("FashionMNIST", "t10k-labels-idx1-ubyte"),
}


class MNISTDataModule(ImageFolderInputs, TensorDataModule):
    """28x28 grey digits, 60,000 training and 10,000 test images, 10 classes; new inputs are
    image files (`ImageFolderInputs`)."""

    name = "MNIST"
    folder: ClassVar[str] = "MNIST"  # also the torchvision dataset class that downloads it
    files: ClassVar[dict[str, str]] = {
        "train_x": "train-images-idx3-ubyte",
        "train_y": "train-labels-idx1-ubyte",
        "test_x": "t10k-images-idx3-ubyte",
        "test_y": "t10k-labels-idx1-ubyte",
    }
    how_to_get = (
        "With a network, torchvision downloads it there by itself. Otherwise copy the four IDX "
        "files (plain or .gz, e.g. from a torchvision download elsewhere) into that folder."
    )

    @property
    def raw_dir(self) -> Path:
        return self.data_dir / self.folder / "raw"

    def sources(self) -> list[Path]:
        found, missing = [], []
        for name in self.files.values():
            candidates = [self.raw_dir / name, self.raw_dir / f"{name}.gz"]
            present = [path for path in candidates if path.is_file()]
            if present:
                found.append(present[0])
            else:
                missing.append(f"{name}[.gz]")
        if missing:
            raise self.missing(self.raw_dir, missing)
        return found

    def decode(self) -> dict[str, Tensor]:
        paths = dict(zip(self.files, self.sources(), strict=True))
        self._check_published(paths)
        tensors = {key: read_idx(path) for key, path in paths.items()}
        for split in ("train", "test"):
            images, labels = tensors[f"{split}_x"], tensors[f"{split}_y"]
            if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
                raise DataError(
                    f"{paths[f'{split}_x']} and {paths[f'{split}_y']} do not pair up: images "
                    f"{list(images.shape)}, labels {list(labels.shape)}; download them again."
                )
            tensors[f"{split}_x"] = images.unsqueeze(1)  # (N, 1, H, W)
            tensors[f"{split}_y"] = labels.long()
        return tensors

    def _check_published(self, paths: dict[str, Path]) -> None:
        """Raise DataError for a published file of another dataset or another role."""
        for key, path in paths.items():
            digest = hashlib.md5(path.read_bytes(), usedforsecurity=False).hexdigest()
            known = PUBLISHED.get(digest)
            if known is None:  # a subset, a re-export or a synthetic file: read as it is
                log.debug("%s is not a published %s file", path, self.name)
            elif known != (self.folder, self.files[key]):
                folder, name = known
                raise DataError(
                    f"{path} is the published {folder}/raw/{name}, not {self.name}'s "
                    f"{self.files[key]}: put {self.name}'s own files in {self.raw_dir} (the "
                    f"{folder} files belong in {self.data_dir / folder / 'raw'})."
                )

    def fetch(self) -> None:
        from torchvision import datasets

        log.info("Downloading %s into %s", self.name, self.raw_dir)
        try:
            for train in (True, False):
                getattr(datasets, self.folder)(str(self.data_dir), train=train, download=True)
        except Exception as err:  # no network, proxy, mirror down: all end in the same advice
            names = [f"{name}[.gz]" for name in self.files.values()]
            raise self.missing(self.raw_dir, names, f"\nThe download failed: {err}") from err


class FashionMNISTDataModule(MNISTDataModule):
    """28x28 grey photos of clothing (Zalando), same sizes and format as MNIST, 10 classes."""

    name = "Fashion-MNIST"
    folder = "FashionMNIST"
