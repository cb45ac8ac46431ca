"""Boston housing: a CSV with a header, `<data_dir>/boston/boston_housing.csv`."""

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor

from litlab.data.base import TensorDataModule
from litlab.data.images import NewInputs
from litlab.errors import ConfigError, DataError

FILE = Path("boston") / "boston_housing.csv"


class BostonDataModule(TensorDataModule):
    """506 suburbs of Boston: 13 features -> median home value MEDV (in $1000s).

    The file ships no test set: `test_split` of the rows is held out with the seed. New inputs
    to predict on are rows of a CSV with the same feature columns (`read_inputs`).

    Args:
        targets: the target columns, in order (float32 (N, T)).
        features: the feature columns, in order; None: every column that is not a target.
        **kwargs: the `TensorDataModule` options.
    """

    name = "Boston housing"
    how_to_get = (
        "Place the CSV (header CRIM,...,LSTAT,MEDV; e.g. the one scikit-learn 1.1 shipped as "
        "boston_house_prices.csv, without its first line) at that path."
    )

    def __init__(
        self,
        *,
        targets: Sequence[str] = ("MEDV",),
        features: Sequence[str] | None = None,
        **kwargs: Any,
    ) -> None:
        for key, value in (("targets", targets), ("features", features)):
            if isinstance(value, str):
                raise ConfigError(f"data.{key}={value} must be a list: data.{key}=[{value}].")
        super().__init__(**kwargs)
        self.targets = list(targets)
        self.features = list(features) if features is not None else None

    def sources(self) -> list[Path]:
        path = self.data_dir / FILE
        if not path.is_file():
            raise self.missing(path.parent, [path.name])
        return [path]

    def decode_options(self) -> dict[str, object]:
        return {"targets": self.targets, "features": self.features}

    def decode(self) -> dict[str, Tensor]:
        (path,) = self.sources()
        frame = _read_csv(path)
        features = self._feature_columns(frame)
        _check_columns(frame, [*self.targets, *features], path, "Fix data.targets / data.features.")
        values = _numeric(frame, [*features, *self.targets], path)
        return {"train_x": values[:, : len(features)], "train_y": values[:, len(features) :]}

    def read_inputs(self, path: Path) -> NewInputs:
        """New rows to predict: a CSV with the feature columns (target columns are ignored)."""
        frame = _read_csv(path)
        features = self._feature_columns(frame)
        _check_columns(frame, features, path, "Give the columns the model was trained on.")
        if [len(features)] != list(self.input_shape):
            raise DataError(
                f"{path}: {len(features)} feature columns ({', '.join(features)}) but the model "
                f"takes {self.input_shape[0]}; give the columns it was trained on."
            )
        values = _numeric(frame, features, path)
        return NewInputs(values, "id", [str(i) for i in range(len(values))])

    def _feature_columns(self, frame: Any) -> list[str]:
        return self.features or [str(c) for c in frame.columns if c not in self.targets]


def _read_csv(path: Path) -> Any:
    import pandas as pd

    try:
        return pd.read_csv(path)
    except (OSError, ValueError) as err:  # pandas' ParserError is a ValueError
        raise DataError(
            f"{path}: cannot read this CSV ({str(err).strip()}). It must be comma-separated text "
            "with a header row and the same number of values on every row; fix that line or "
            "place a good copy."
        ) from err


def _check_columns(frame: Any, columns: list[str], path: Path, fix: str) -> None:
    absent = [c for c in columns if c not in frame.columns]
    if absent:
        raise DataError(
            f"{path}: no column {', '.join(absent)}; the header has "
            f"{', '.join(map(str, frame.columns))}. {fix}"
        )


def _numeric(frame: Any, columns: list[str], path: Path) -> Tensor:
    """The columns as float32 (N, len(columns)); any blank or non-number is an error."""
    import pandas as pd

    values = frame[columns].apply(pd.to_numeric, errors="coerce")
    bad_cells = values.isna() | values.isin([np.inf, -np.inf])
    bad = bad_cells.any()
    if bad.any():
        rows = bad_cells.any(axis=1)
        raise DataError(
            f"{path}: {int(rows.sum())} rows (first: row {int(rows.argmax()) + 2} of the file) "
            f"have a blank, non-numeric or infinite value in {', '.join(bad[bad].index)}; fix or "
            "remove those rows."
        )
    return torch.from_numpy(values.to_numpy(dtype=np.float32, copy=True))
