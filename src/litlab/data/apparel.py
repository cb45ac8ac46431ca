"""Apparel photos with two labels each (a colour and an item): `<data_dir>/apparel/`.

A configuration of the table-of-images reader (`litlab.data.dataframe`) with the layout as
published: `clothes_dataset/<color>_<item>/*.jpg` and the split CSVs
`csv_data/nocolorinfo/{train,val,test}.csv` (an `image` column of relative paths written with
Windows separators, then one 0/1 column per label). Without CSVs the labels come from the
folder names and the splits are made with the seed.
"""

import logging
from pathlib import Path
from typing import Any

import numpy as np

from litlab.data.dataframe import DataFrameDataModule, Frame
from litlab.data.layout import IMAGE_SUFFIXES, split_tables
from litlab.errors import DataError

log = logging.getLogger(__name__)

FOLDER = "apparel"
IMAGES = "clothes_dataset"
IMAGE_COLUMN = "image"


class ApparelDataModule(DataFrameDataModule):
    """Multi-label photos: float32 targets (N, L), one column per name in `class_names`; new
    inputs are image files.

    Args:
        image_size: images are resized to image_size x image_size.
        split_csvs: the folder (below `apparel/`) holding `train*.csv`, `val*.csv`,
            `test*.csv`; None, or a folder without them: labels from folder names.
        num_workers: processes decoding the JPEGs (once; later runs read the cache).
        **kwargs: the `TensorDataModule` options; `class_names` are the label columns.
    """

    name = "apparel"
    label_option = "data.class_names"
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
        root = Path(kwargs["data_dir"]) / FOLDER
        self.root = root  # before the base's checks, which read the tables
        self.split_csvs = split_csvs
        super().__init__(
            file=str(root / split_csvs) if split_csvs is not None else str(root),
            image_column=IMAGE_COLUMN,
            label_columns=list(kwargs.get("class_names") or []),
            image_dir=str(root),
            image_size=image_size,
            num_workers=num_workers,
            **kwargs,
        )

    def tables(self) -> dict[str, Path]:
        return {} if self.split_csvs is None else split_tables(self.root / self.split_csvs)

    def frames(self) -> dict[str, Frame]:
        if "train" in self.tables():
            return super().frames()
        log.info("%s: no split CSVs; labels from folder names, splits with the seed", self.name)
        return {"train": self._folder_frame()}

    def sources(self) -> list[Path]:
        images = self.root / IMAGES
        if not images.is_dir():
            raise self.missing(self.root, [f"{IMAGES}/<color>_<item>/*.jpg"])
        files = sorted(p for p in images.glob("*/*") if p.suffix.lower() in IMAGE_SUFFIXES)
        if not files:
            raise self.missing(images, ["<color>_<item>/*.jpg"])
        return [*self.tables().values(), *files]

    def _folder_frame(self) -> Frame:
        """Every image of `clothes_dataset/<color>_<item>/`, labelled by its folder's words."""
        labels = self.label_columns
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
