"""Boston housing: a CSV with a header, `<data_dir>/boston/boston_housing.csv`.

A configuration of the table reader (`litlab.data.table`): regression of the target columns
on the feature columns, every one of them a number. With `data.test_set=keras` (the config's
default) the test rows are the 102 that Keras's `boston_housing.load_data()` tests on, so that
scores compare with the course's.
"""

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor

from litlab.data.table import TableDataModule
from litlab.errors import ConfigError, DataError

FILE = Path("boston") / "boston_housing.csv"
TEST_SETS = ("keras", "seeded")
ROWS = 506  # the original file's rows, in the order Keras's split is cut from
KERAS_SEED, KERAS_TRAIN = 113, 404  # load_data(test_split=0.2, seed=113): the last 102 are test


def keras_split(num_rows: int) -> tuple[Tensor, Tensor]:
    """(train, test) row indices as `keras.datasets.boston_housing.load_data()` cuts them from
    the 506 rows in the original order: shuffled with NumPy's seed 113, the first 404 train."""
    order = np.arange(num_rows)
    np.random.RandomState(KERAS_SEED).shuffle(order)
    rows = torch.from_numpy(order)
    return rows[:KERAS_TRAIN], rows[KERAS_TRAIN:]


class BostonDataModule(TableDataModule):
    """506 suburbs of Boston: 13 features -> median home value MEDV (in $1000s).

    The file ships no test set. `test_set="keras"` (conf/data/boston.yaml's choice) tests on
    the rows Keras's `load_data()` holds out (the course's test set; the file must have the
    original 506 rows in order); `"seeded"`: `test_split` of the rows, held out with the seed,
    the default here, so that a run saved before `test_set` existed is rebuilt with its own
    rows. New inputs to predict on are rows of a CSV with the same feature columns
    (`read_inputs`).

    Args:
        targets: the target columns, in order (float32 (N, T)).
        features: the feature columns, in order; None: every column that is not a target.
        test_set: `keras` or `seeded`, as above.
        **kwargs: the `TensorDataModule` options.
    """

    name = "Boston housing"
    categorical = False
    target_option = "data.targets"
    how_to_get = (
        "Place the CSV (header CRIM,...,LSTAT,MEDV; e.g. the one scikit-learn 1.1 shipped as "
        "boston_house_prices.csv, without its first line) at that path."
    )

    def __init__(
        self,
        *,
        targets: Sequence[str] = ("MEDV",),
        features: Sequence[str] | None = None,
        test_set: str = "seeded",
        **kwargs: Any,
    ) -> None:
        if test_set not in TEST_SETS:
            raise ConfigError(
                f"data.test_set={test_set} is unknown; choose one of {', '.join(TEST_SETS)}."
            )
        self.test_set = test_set
        for key, value in (("targets", targets), ("features", features)):
            if isinstance(value, str):
                raise ConfigError(f"data.{key}={value} must be a list: data.{key}=[{value}].")
        path = Path(kwargs["data_dir"]) / FILE
        super().__init__(file=str(path), target=list(targets), features=features, **kwargs)

    def sources(self) -> list[Path]:
        if not self.file.is_file():
            raise self.missing(self.file.parent, [self.file.name])
        return [self.file]

    def decode_options(self) -> dict[str, object]:
        return super().decode_options() | {"test_set": self.test_set}

    def decode(self) -> dict[str, Tensor]:
        tensors = super().decode()
        x, y = tensors["train_x"], tensors["train_y"]
        if self.test_set == "seeded" or len(x) == 0:  # no rows: the base class says so
            return tensors
        if len(x) != ROWS:
            raise DataError(
                f"{self.file} has {len(x)} rows, but data.test_set=keras tests on the rows Keras's "
                f"boston_housing.load_data() holds out of the original {ROWS}, in their order. "
                "Give that file, or use data.test_set=seeded (data.test_split of the rows, held "
                "out with the seed)."
            )
        train, test = keras_split(len(x))
        return {"train_x": x[train], "train_y": y[train], "test_x": x[test], "test_y": y[test]}
