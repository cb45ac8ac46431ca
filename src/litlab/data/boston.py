"""Boston housing: a CSV with a header, `<data_dir>/boston/boston_housing.csv`.

A configuration of the table reader (`litlab.data.table`): regression of the target columns
on the feature columns, every one of them a number.
"""

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from litlab.data.table import TableDataModule
from litlab.errors import ConfigError

FILE = Path("boston") / "boston_housing.csv"


class BostonDataModule(TableDataModule):
    """506 suburbs of Boston: 13 features -> median home value MEDV (in $1000s).

    The file ships no test set: `test_split` of the rows is held out with the seed. New inputs
    to predict on are rows of a CSV with the same feature columns (`read_inputs`).

    Args:
        targets: the target columns, in order (float32 (N, T)).
        features: the feature columns, in order; None: every column that is not a target.
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
        **kwargs: Any,
    ) -> None:
        for key, value in (("targets", targets), ("features", features)):
            if isinstance(value, str):
                raise ConfigError(f"data.{key}={value} must be a list: data.{key}=[{value}].")
        path = Path(kwargs["data_dir"]) / FILE
        super().__init__(file=str(path), target=list(targets), features=features, **kwargs)

    def sources(self) -> list[Path]:
        if not self.file.is_file():
            raise self.missing(self.file.parent, [self.file.name])
        return [self.file]
