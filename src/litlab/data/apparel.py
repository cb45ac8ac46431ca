"""Apparel photos with two labels each (a colour and an item): `<data_dir>/apparel/`.

Layout as published: `clothes_dataset/<color>_<item>/*.jpg` and the split CSVs
`csv_data/nocolorinfo/{train,val,test}.csv` (an `image` column of relative paths written with
Windows separators, then one 0/1 column per label). Without CSVs the labels come from the
folder names and the splits are made with the seed. The JPEGs (any size) are decoded once by
DataLoader workers and cached resized, as uint8.
"""

import logging
from pathlib import Path, PureWindowsPath
from typing import Any

import numpy as np
import torch
from torch import Tensor

from litlab.data.base import TensorDataModule
from litlab.data.images import IMAGE_SUFFIXES, ImageFolderInputs, decode_images
from litlab.errors import DataError

log = logging.getLogger(__name__)

FOLDER = "apparel"
IMAGES = "clothes_dataset"
IMAGE_COLUMN = "image"
SPLITS = ("train", "val", "test")

Frame = tuple[list[Path], np.ndarray]  # image files and their float32 (n, L) labels


class ApparelDataModule(ImageFolderInputs, TensorDataModule):
    """Multi-label photos: float32 targets (N, L), one column per name in `class_names`; new
    inputs are image files (`ImageFolderInputs`).

    Args:
        image_size: images are resized to image_size x image_size.
        split_csvs: the folder (below `apparel/`) holding `train*.csv`, `val*.csv`,
            `test*.csv`; None, or a folder without them: labels from folder names.
        num_workers: processes decoding the JPEGs (once; later runs read the cache).
        **kwargs: the `TensorDataModule` options; `class_names` are the label columns.
    """

    name = "apparel"
    how_to_get = (
        "Get the clothes_dataset folder (and csv_data, for the published splits) of the apparel "
        "exercise, e.g. from github.com/airplane2230/Roadbook_DeepLearning, into that folder."
    )

    def __init__(
        self,
        *,
        image_size: int = 112,
        split_csvs: str | None = "csv_data/nocolorinfo",
        num_workers: int = 2,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.image_size = image_size
        self.split_csvs = split_csvs
        self.num_workers = num_workers

    @property
    def root(self) -> Path:
        return self.data_dir / FOLDER

    def sources(self) -> list[Path]:
        images = self.root / IMAGES
        if not images.is_dir():
            raise self.missing(self.root, [f"{IMAGES}/<color>_<item>/*.jpg"])
        files = sorted(p for p in images.glob("*/*") if p.suffix.lower() in IMAGE_SUFFIXES)
        if not files:
            raise self.missing(images, ["<color>_<item>/*.jpg"])
        return [*self._split_files().values(), *files]

    def decode_options(self) -> dict[str, object]:
        return {"size": self.image_size, "csvs": self.split_csvs, "labels": self.class_names}

    def decode(self) -> dict[str, Tensor]:
        csvs = self._split_files()
        if "train" in csvs:
            frames = {split: self._read_csv(path) for split, path in csvs.items()}
        else:
            log.info("%s: no split CSVs; labels from folder names, splits with the seed", self.name)
            frames = {"train": self._folder_frame()}
        tensors = {}
        for split, (files, labels) in frames.items():
            tensors[f"{split}_x"] = decode_images(files, self.image_size, self.num_workers)
            tensors[f"{split}_y"] = torch.from_numpy(labels)
        return tensors

    def _split_files(self) -> dict[str, Path]:
        """The split CSVs present, by split; a split may match one file at most."""
        if self.split_csvs is None:
            return {}
        found = {}
        for split in SPLITS:
            matches = sorted((self.root / self.split_csvs).glob(f"{split}*.csv"))
            if len(matches) > 1:
                raise DataError(
                    f"{self.root / self.split_csvs}: several {split} CSVs "
                    f"({', '.join(p.name for p in matches)}); keep one per split."
                )
            if matches:
                found[split] = matches[0]
        return found

    def _read_csv(self, path: Path) -> Frame:
        import pandas as pd

        try:
            frame = pd.read_csv(path, dtype={IMAGE_COLUMN: str})
        except (OSError, ValueError) as err:  # pandas' ParserError is a ValueError
            raise DataError(
                f"{path}: cannot read this CSV ({str(err).strip()}). It must be comma-separated "
                f"text with a header row ({IMAGE_COLUMN}, then one 0/1 column per label); restore "
                "it from the dataset, or delete the split CSVs to label images by folder."
            ) from err
        labels = list(self.class_names or [])
        absent = [c for c in [IMAGE_COLUMN, *labels] if c not in frame.columns]
        if absent:
            raise DataError(
                f"{path}: no column {', '.join(absent)}; the header has "
                f"{', '.join(map(str, frame.columns))}. The label columns are data.class_names."
            )
        values = frame[labels].apply(pd.to_numeric, errors="coerce").to_numpy(np.float32, copy=True)
        bad = ~np.isin(values, (0.0, 1.0)).all(axis=1)
        if bad.any():
            raise DataError(
                f"{path}: {int(bad.sum())} rows (first: row {int(bad.argmax()) + 2} of the file) "
                "have a label that is not 0 or 1; fix those rows."
            )
        empty = frame[IMAGE_COLUMN].isna() | (frame[IMAGE_COLUMN].str.strip() == "")
        if empty.any():
            raise DataError(
                f"{path}: {int(empty.sum())} rows (first: row {int(empty.argmax()) + 2} of the "
                f"file) have no image path in the {IMAGE_COLUMN} column; fill or remove them."
            )
        # Published paths look like ./clothes_dataset\red_pants\x.jpg: split on either separator.
        files = [self.root.joinpath(*PureWindowsPath(p).parts) for p in frame[IMAGE_COLUMN]]
        absent_files = [str(f) for f in files if not f.is_file()]
        if absent_files:
            raise DataError(
                f"{path} lists {len(absent_files)} images that do not exist, e.g. "
                f"{absent_files[0]}; restore them or use CSVs that match the image folder."
            )
        return files, values

    def _folder_frame(self) -> Frame:
        """Every image of `clothes_dataset/<color>_<item>/`, labelled by its folder's words."""
        labels = list(self.class_names or [])
        files, rows = [], []
        for folder in sorted(p for p in (self.root / IMAGES).iterdir() if p.is_dir()):
            row = [float(label in folder.name.split("_")) for label in labels]
            if not any(row):
                raise DataError(
                    f"{folder}: the folder name holds none of the labels {labels}; name "
                    "folders <color>_<item>, or list them in data.class_names."
                )
            images = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
            files += images
            rows += [row] * len(images)
        return files, np.asarray(rows, dtype=np.float32).reshape(len(files), len(labels))
