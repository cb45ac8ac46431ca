"""Images listed in a table: `data=dataframe data.file=<csv> data.label_columns=[...]`.

Keras' `flow_from_dataframe`: a CSV with a column of image paths (`data.image_column`) and
label columns. One label column is single-label classification, its classes the column's
distinct values, sorted; several columns of 0/1 are multi-label, one label per column. Image
paths are relative to the CSV's folder, or to `data.image_dir`, written with `/` or Windows'
`\\`. `data.file` may also be a folder of split CSVs, `train*.csv` with optional `val*.csv`
and `test*.csv` (the apparel exercise's layout), used as given; the splits a folder lacks are
cut from the train table with the seed. The images (any size, PNG, JPEG, ... mixed) are decoded
once by DataLoader workers, resized to `image_size` squares and cached as uint8.
"""

from collections.abc import Sequence
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any, ClassVar

import numpy as np
import torch
from torch import Tensor

from litlab.data.base import TensorDataModule
from litlab.data.images import ImageFolderInputs, decode_images, to_grey
from litlab.data.layout import split_tables
from litlab.data.tabular import (
    check_columns,
    check_missing,
    encode_targets,
    file_row,
    read_table,
    texts,
)
from litlab.errors import ConfigError, DataError

Frame = tuple[list[Path], np.ndarray]  # image files and their labels, in the task's layout
KINDS = ("classification", "multilabel")


class DataFrameDataModule(ImageFolderInputs, TensorDataModule):
    """Images named by a table: uint8 (N, C, image_size, image_size) inputs; int64 class
    indices (one label column) or float32 (N, L) 0/1 labels (several); new inputs are image
    files (`ImageFolderInputs`).

    Args:
        file: the CSV, or a folder of split CSVs (`train*.csv`, `val*.csv`, `test*.csv`); a
            relative path is relative to the folder you run in.
        image_column: the column of image paths.
        label_columns: the label column, or several 0/1 label columns.
        image_dir: the folder image paths are relative to; None: the CSV's folder.
        image_size: images are resized to image_size x image_size.
        grayscale: one grey channel instead of three (RGB).
        num_workers: processes decoding the images (once; later runs read the cache).
        **kwargs: the `TensorDataModule` options; `class_names` are the classes (one label
            column) or the label columns.
    """

    name = "dataframe"
    label_option: ClassVar[str] = "data.label_columns"  # the option naming the label columns

    def __init__(
        self,
        *,
        file: str | None = None,
        image_column: str = "image",
        label_columns: Sequence[str] | None = None,
        image_dir: str | None = None,
        image_size: int = 64,
        grayscale: bool = False,
        num_workers: int = 2,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if file is None or not label_columns:
            raise ConfigError(
                "data=dataframe reads a table of images and labels: give data.file=<CSV, or a "
                "folder of train/val/test CSVs> and data.label_columns=[<column>, ...] "
                "(data.image_column names the column of image paths)."
            )
        if isinstance(label_columns, str):
            raise ConfigError(
                f"{self.label_option}={label_columns} must be a list: "
                f"{self.label_option}=[{label_columns}]."
            )
        if self.target_kind not in KINDS:
            raise ConfigError(
                f"data.target_kind={self.target_kind}: images listed in a table are "
                f"{' or '.join(KINDS)} (one label column, or several)."
            )
        self.file = Path(file)
        self.image_column = image_column
        self.label_columns = [str(c) for c in label_columns]
        self.image_dir = Path(image_dir) if image_dir is not None else None
        self.image_size = image_size
        self.grayscale = grayscale
        self.num_workers = num_workers
        if not self.class_names:  # the config found no classes in the CSVs: say why, now
            self.frames()
            raise ConfigError(
                f"data.class_names is empty; leave it to the values of {self.label_option}."
            )

    def tables(self) -> dict[str, Path]:
        """The CSV of each split the file gives (a train table at least)."""
        tables = split_tables(self.file)
        if "train" in tables:
            return tables
        if not self.file.exists():
            raise DataError(
                f"{self.name} data not found: {self.file.resolve()} does not exist (data.file). "
                "Give a CSV with a column of image paths and label columns, or a folder of split "
                f"CSVs train*.csv (val*.csv, test*.csv), relative to {Path.cwd()} or absolute."
            )
        raise DataError(
            f"{self.file}: no train*.csv in this folder (it has "
            f"{', '.join(sorted(p.name for p in self.file.glob('*.csv'))) or 'no CSV'}); give "
            "data.file=<a CSV>, or name the split CSVs train*.csv, val*.csv, test*.csv."
        )

    def frames(self) -> dict[str, Frame]:
        """The image files and labels of each split table."""
        return {split: self.read_frame(path) for split, path in self.tables().items()}

    def sources(self) -> list[Path]:
        frames = self.frames()
        return [*self.tables().values(), *(f for files, _ in frames.values() for f in files)]

    def decode_options(self) -> dict[str, object]:
        return {"size": self.image_size, "grey": self.grayscale, "file": str(self.file),
                "columns": [self.image_column, *self.label_columns], "classes": self.class_names,
                "kind": self.target_kind}  # fmt: skip

    def decode(self) -> dict[str, Tensor]:
        tensors = {}
        for split, (files, labels) in self.frames().items():
            x = decode_images(files, self.image_size, self.num_workers)  # (N, 3, H, W) uint8
            tensors[f"{split}_x"] = to_grey(x) if self.grayscale else x
            tensors[f"{split}_y"] = torch.from_numpy(labels)
        return tensors

    def read_frame(self, path: Path) -> Frame:
        """The images one CSV lists and their labels, checked: columns, labels, image files."""
        fix = "restore it, or fix that line"
        frame = read_table(path, text_columns=(self.image_column,), fix=fix)
        check_columns(frame, [self.image_column, *self.label_columns], path,
                      f"The label columns are {self.label_option}.")  # fmt: skip
        if self.target_kind == "classification":
            check_missing(frame, dict.fromkeys(self.label_columns, False), path)
        labels = encode_targets(
            frame, self.label_columns, self.target_kind, self.class_names or [], path
        )
        empty = np.flatnonzero(texts(frame[self.image_column]).isna().to_numpy())
        if len(empty):
            raise DataError(
                f"{path}: {len(empty)} rows (first: row {file_row(path, int(empty[0]))} of the "
                f"file) have no image path in the {self.image_column} column; fill or remove them."
            )
        base = self.image_dir if self.image_dir is not None else path.parent
        files = [image_path(base, str(p).strip()) for p in frame[self.image_column]]
        absent = [str(f) for f in files if not f.is_file()]
        if absent:
            raise DataError(
                f"{path} lists {len(absent)} images that do not exist, e.g. {absent[0]}; restore "
                "them or use CSVs that match the image folder."
            )
        return files, labels


def image_path(base: Path, text: str) -> Path:
    """The file a table's path names: absolute, or relative to `base` with / or \\ separators
    (published CSVs hold paths such as `./clothes_dataset\\red_pants\\x.jpg`)."""
    if PurePosixPath(text).is_absolute():
        return Path(text)
    return base.joinpath(*PureWindowsPath(text).parts)
