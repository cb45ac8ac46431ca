"""Statoil/C-CORE iceberg-vs-ship radar images: Kaggle's `<data_dir>/iceberg/train.json`."""

import json
from pathlib import Path

import numpy as np
import torch
from torch import Tensor

from litlab.data.base import TensorDataModule
from litlab.data.images import NewInputs
from litlab.errors import DataError

FILE = Path("iceberg") / "train.json"
SIDE = 75  # each band is 75 x 75 backscatter values in dB, flattened row by row
BANDS = ("band_1", "band_2")  # HH and HV polarisation


class IcebergDataModule(TensorDataModule):
    """1,604 labelled radar images, ship (0) or iceberg (1); `test_split` held out with the seed.

    Inputs are float32 (N, 3, 75, 75): band_1, band_2 and their mean, as the book stacks them.
    `inc_angle` (a number, or "na" where unknown) is not an input, so records without it stay.
    New inputs to predict on are records of the same kind without labels (`read_inputs`).
    """

    name = "iceberg"
    how_to_get = (
        "Download train.json.7z from Kaggle's Statoil/C-CORE Iceberg Classifier Challenge "
        "(a Kaggle account is needed) and extract train.json into that folder."
    )

    def sources(self) -> list[Path]:
        path = self.data_dir / FILE
        if not path.is_file():
            raise self.missing(path.parent, [path.name])
        return [path]

    def decode(self) -> dict[str, Tensor]:
        (path,) = self.sources()
        records = _read_records(path, labelled=True)
        labels = np.asarray([r["is_iceberg"] for r in records], dtype=np.float32)
        return {"train_x": _images(records, path), "train_y": torch.from_numpy(labels)}

    def read_inputs(self, path: Path) -> NewInputs:
        """New images to predict: a JSON list of records as Kaggle's test.json (no labels)."""
        records = _read_records(path, labelled=False)
        ids = [str(r.get("id", i)) for i, r in enumerate(records)]
        return NewInputs(_images(records, path), "id", ids)


def _read_records(path: Path, *, labelled: bool) -> list[dict]:
    """The checked records of a JSON file; `labelled`: each must have its 0/1 is_iceberg."""
    try:
        with open(path, encoding="utf-8") as f:
            records = json.load(f)
    except (OSError, ValueError) as err:  # JSONDecodeError and UnicodeDecodeError included
        raise DataError(
            f"{path}: cannot read this JSON file ({err}); it is truncated or not JSON: place a "
            "complete copy (extract it again from its .7z archive)."
        ) from err
    if not isinstance(records, list) or not records:
        raise DataError(f"{path}: expected a non-empty list of records.")
    for index, record in enumerate(records):
        _check_record(record, index, path, labelled=labelled)
    return records


def _images(records: list[dict], path: Path) -> Tensor:
    """float32 (N, 3, 75, 75): band_1, band_2 and their mean."""
    try:
        bands = [np.asarray([r[band] for r in records], dtype=np.float32) for band in BANDS]
    except (TypeError, ValueError) as err:
        raise DataError(f"{path}: a band holds a value that is not a number ({err}).") from err
    images = np.stack([*bands, (bands[0] + bands[1]) / 2], axis=1)  # (N, 3, 5625)
    return torch.from_numpy(images.reshape(-1, 3, SIDE, SIDE))


def _check_record(record: object, index: int, path: Path, *, labelled: bool) -> None:
    """Each record has two bands of 75 x 75 numbers (and a 0/1 label if `labelled`); else name
    what is wrong."""
    where = f"{path}: record {index}"
    if not isinstance(record, dict):
        raise DataError(f"{where} is a {type(record).__name__}, not an object.")
    required = (*BANDS, "is_iceberg") if labelled else BANDS
    absent = [key for key in required if key not in record]
    if absent:
        raise DataError(f"{where} (id {record.get('id')}) has no {', '.join(absent)}.")
    for band in BANDS:
        values = record[band]
        if not isinstance(values, list) or len(values) != SIDE * SIDE:
            size = len(values) if isinstance(values, list) else type(values).__name__
            raise DataError(
                f"{where} (id {record.get('id')}): {band} must be {SIDE * SIDE} numbers, "
                f"found {size}."
            )
    if labelled and record["is_iceberg"] not in (0, 1):
        raise DataError(
            f"{where} (id {record.get('id')}): is_iceberg is {record['is_iceberg']!r}, not 0 or 1."
        )
