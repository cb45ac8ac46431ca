"""MNIST and Fashion-MNIST: IDX files in torchvision's layout, `<data_dir>/<folder>/raw/`."""

import logging
from pathlib import Path
from typing import ClassVar

from torch import Tensor

from litlab.data.base import TensorDataModule
from litlab.data.idx import read_idx
from litlab.data.images import ImageFolderInputs
from litlab.errors import DataError

log = logging.getLogger(__name__)


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
