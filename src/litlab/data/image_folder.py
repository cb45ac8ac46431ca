"""Images sorted into one folder per class: `data=image_folder data.root=<folder>`.

The layout of Keras' `flow_from_directory` and torchvision's `ImageFolder`:
`<root>/<class>/*.jpg` (split with the seed), or `<root>/train/<class>/...` with optional
`val/` and `test/` beside `train/` (used as given). Class names are the train folder's
sub-folders, sorted (hidden ones aside); images may be of any size and format PIL reads
(JPEG, PNG, ... mixed), at any depth below their class folder. They are decoded once by
DataLoader workers, resized to `image_size` squares and cached as uint8.
"""

from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from litlab.data.base import TensorDataModule
from litlab.data.images import ImageFolderInputs, decode_images, to_grey
from litlab.data.layout import (
    FOLDER_LAYOUT,
    IMAGE_SUFFIXES,
    folder_classes,
    image_files,
    split_folders,
    subfolders,
)
from litlab.errors import ConfigError, DataError


class ImageFolderDataModule(ImageFolderInputs, TensorDataModule):
    """Class-folder images: uint8 (N, C, image_size, image_size) inputs, int64 class indices;
    new inputs are image files (`ImageFolderInputs`).

    Args:
        root: the image folder; a relative path is relative to the folder you run in.
        image_size: images are resized to image_size x image_size.
        grayscale: one grey channel instead of three (RGB).
        num_workers: processes decoding the images (once; later runs read the cache).
        **kwargs: the `TensorDataModule` options; `class_names` are the class folders.
    """

    name = "image folder"

    def __init__(
        self,
        *,
        root: str | None = None,
        image_size: int = 64,
        grayscale: bool = False,
        num_workers: int = 2,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if root is None:
            raise ConfigError(
                f"data=image_folder reads a folder: give data.root=<folder>, which holds "
                f"{FOLDER_LAYOUT}."
            )
        self.root = Path(root)
        self.image_size = image_size
        self.grayscale = grayscale
        self.num_workers = num_workers
        if not self.class_names:  # the config found no class folders: say why, now
            folder_classes(self.root)
            raise ConfigError(
                f"data.class_names is empty; leave it to the class folders of {self.root}."
            )

    def sources(self) -> list[Path]:
        return [file for files, _ in self._files().values() for file in files]

    def decode_options(self) -> dict[str, object]:
        return {"size": self.image_size, "grey": self.grayscale, "classes": self.class_names}

    def decode(self) -> dict[str, Tensor]:
        tensors = {}
        for split, (files, labels) in self._files().items():
            x = decode_images(files, self.image_size, self.num_workers)  # (N, 3, H, W) uint8
            tensors[f"{split}_x"] = to_grey(x) if self.grayscale else x
            tensors[f"{split}_y"] = torch.tensor(labels, dtype=torch.int64)
        return tensors

    def _files(self) -> dict[str, tuple[list[Path], list[int]]]:
        """The image files of each split and their class indices, checked against the classes."""
        classes = folder_classes(self.root)
        if classes != self.class_names:
            raise ConfigError(
                f"{self.root}: the class folders are {', '.join(classes)}, but data.class_names "
                f"is {self.class_names}; leave data.class_names to the folders (its default)."
            )
        found = {}
        for split, folder in split_folders(self.root).items():
            files, labels = [], []
            for class_dir in subfolders(folder):
                if class_dir.name not in classes:
                    raise DataError(
                        f"{class_dir}: {split}/ has the class folder {class_dir.name}, which "
                        f"{self.root / 'train'} lacks; add it there or remove it here."
                    )
                images = image_files(class_dir)
                if not images:
                    raise DataError(
                        f"{class_dir}: this class folder holds no image "
                        f"({', '.join(IMAGE_SUFFIXES)}); add its images or remove the folder."
                    )
                files += images
                labels += [classes.index(class_dir.name)] * len(images)
            found[split] = (files, labels)
        return found
