"""Any table, CSV or Parquet: `data=table data.file=<file> data.target=<column>`.

The features are every other column (or `data.features`). A feature column is a number when
more than half of its filled cells are numbers (its other cells are then reported as mistakes);
otherwise it is categorical and one-hot encoded over the categories of the train split only:
a category the train split lacks becomes all zeros, with one warning. A blank, NaN or infinite
cell is an error that names its rows and columns: it is never trained on.

The task follows the target column (blank, NaN and infinite cells aside):
- exactly two distinct values: binary (0/1, no/yes, ...; the second in sorted order, numbers in
  numeric order, is the positive class);
- text, or whole numbers with at most 20 distinct values (`litlab.data.tabular.MAX_CLASSES`):
  classification, one class per value, sorted;
- any other numbers: regression (several target columns: always regression).
`data.target_kind=<kind>` overrides the rule, and so does a task given on the command line
(`task=regression`): the data then follows the task.

The config learns the kind, the classes and the encoded columns from the file while it is
composed (`litlab.data.peek`), so `input_shape`, the task and its outputs follow them; they
are saved with the run, so new rows to predict (`read_inputs`) are encoded exactly as the
training rows were, without the training file.
"""

import logging
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

import torch
from torch import Tensor

from litlab.data.base import TensorDataModule
from litlab.data.images import NewInputs
from litlab.data.splits import train_rows
from litlab.data.tabular import (
    KINDS,
    Columns,
    check_columns,
    check_missing,
    check_varies,
    class_names,
    encode_features,
    encode_targets,
    feature_names,
    infer_columns,
    read_table,
)
from litlab.errors import ConfigError, DataError

log = logging.getLogger(__name__)


class TableDataModule(TensorDataModule):
    """Rows of a table -> its target column(s): float32 (N, width) inputs.

    Args:
        file: the CSV (header row, commas) or Parquet file; a relative path is relative to the
            folder you run in.
        target: the column to predict, or several numeric columns (regression).
        features: the feature columns, in order; None: every column that is not a target.
        columns: each feature column in order, None (a number) or its categories (one-hot);
            None: found in the file, with the categories of the train split.
        **kwargs: the `TensorDataModule` options; `class_names` are the classes (binary,
            classification) or the target columns (regression).
    """

    name = "table"
    categorical: ClassVar[bool] = True  # False: every feature must be a number
    target_option: ClassVar[str] = "data.target"  # the option naming the targets, for messages

    def __init__(
        self,
        *,
        file: str | None = None,
        target: str | Sequence[str] | None = None,
        features: Sequence[str] | None = None,
        columns: Mapping[str, Sequence[str] | None] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if file is None or target is None:
            raise ConfigError(
                "data=table reads one table: give data.file=<CSV or Parquet file> and "
                "data.target=<the column to predict>."
            )
        if isinstance(features, str):
            raise ConfigError(
                f"data.features={features} must be a list: data.features=[{features}]."
            )
        if self.target_kind not in KINDS:
            raise ConfigError(
                f"data.target_kind={self.target_kind} is unknown; choose one of {', '.join(KINDS)}."
            )
        self.file = Path(file)
        self.targets = [target] if isinstance(target, str) else [str(t) for t in target]
        self.features = [str(f) for f in features] if features is not None else None
        self.columns: Columns | None = (
            {str(k): None if v is None else [str(c) for c in v] for k, v in columns.items()}
            if columns is not None
            else None
        )
        if not self.class_names or not math.prod(self.input_shape):
            self._explain_empty()  # the config found nothing in the file: say why, now

    def sources(self) -> list[Path]:
        if not self.file.is_file():
            raise DataError(
                f"{self.name} data not found: {self.file.resolve()} does not exist (data.file). "
                "Give a CSV (a header row, then one row per sample) or a Parquet file, by its "
                f"absolute path or relative to the folder you run in ({Path.cwd()})."
            )
        return [self.file]

    def decode_options(self) -> dict[str, object]:
        options: dict[str, object] = {
            "targets": self.targets,
            "features": self.features,
            "columns": self.columns,
            "kind": self.target_kind,
            "classes": self.class_names,
        }
        if self.columns is None:  # found from the train split, which these settings cut
            options |= {"seed": self.seed, "splits": (self.test_split, self.val_split)}
            options |= {"folds": (self.folds, self.fold)}
        return options

    def decode(self) -> dict[str, Tensor]:
        (path,) = self.sources()
        frame = read_table(path)
        columns = self._encoding(frame, path)
        numeric = {name: categories is None for name, categories in columns.items()}
        numeric |= dict.fromkeys(self.targets, self.target_kind in ("regression", "multilabel"))
        check_missing(frame, numeric, path)
        if len(frame) and len(self.targets) == 1:
            check_varies(frame, self.targets[0], path)
        x, unseen = encode_features(frame, columns)
        warn_unseen(path, unseen)
        names = self.class_names or class_names(frame, self.targets, self.target_kind)
        y = encode_targets(frame, self.targets, self.target_kind, names, path)
        return {"train_x": torch.from_numpy(x), "train_y": torch.from_numpy(y)}

    def read_inputs(self, path: Path) -> NewInputs:
        """New rows to predict: a table with the feature columns (targets and other columns are
        ignored), encoded as the training rows were."""
        frame = read_table(path)
        if self.columns is not None:
            columns = self.columns
            check_columns(frame, list(columns), path, "Give the columns the model was trained on.")
        else:  # every feature a number, in the order of this file
            features = self.features or [str(c) for c in frame.columns if c not in self.targets]
            check_columns(frame, features, path, "Give the columns the model was trained on.")
            columns = dict.fromkeys(features)
        shape = [sum(1 if c is None else len(c) for c in columns.values())]
        if shape != list(self.input_shape):
            raise DataError(
                f"{path}: {len(columns)} feature columns ({', '.join(columns)}) but the model "
                f"takes {self.input_shape[0]}; give the columns it was trained on."
            )
        check_missing(frame, {name: c is None for name, c in columns.items()}, path)
        x, unseen = encode_features(frame, columns)
        warn_unseen(path, unseen)
        return NewInputs(torch.from_numpy(x), "id", [str(i) for i in range(len(x))])

    def _encoding(self, frame: Any, path: Path) -> Columns:
        """The encoded feature columns: those of the config, or found from the train split."""
        fix = f"Fix {self.target_option} / data.features."
        check_columns(frame, self.targets, path, fix)
        if self.columns is not None:
            check_columns(frame, list(self.columns), path, fix)
            return self.columns
        names = feature_names(frame, self.targets, self.features)
        check_columns(frame, names, path, fix)
        if not self.categorical:
            return dict.fromkeys(names)
        rows = train_rows(len(frame), seed=self.seed, test_split=self.test_split,
                          val_split=self.val_split, folds=self.folds, fold=self.fold)  # fmt: skip
        return infer_columns(frame, names, rows.tolist())

    def _explain_empty(self) -> None:
        """Raise the reason the config found no classes or no inputs in the table."""
        (path,) = self.sources()
        frame = read_table(path)
        columns = self._encoding(frame, path)
        if self.target_kind in ("binary", "classification"):
            class_names(frame, self.targets, self.target_kind)  # one target column
            check_varies(frame, self.targets[0], path)  # of two values at least
        raise ConfigError(
            f"{path}: data.class_names={self.class_names} and data.input_shape="
            f"{list(self.input_shape)} leave the model nothing to predict or nothing to read "
            f"({len(columns)} feature columns); leave them to the file (their defaults in "
            "data=table), or fix data.features / data.target."
        )


def warn_unseen(path: Path, unseen: Mapping[str, Sequence[str]]) -> None:
    """One warning for the categories of `path` that the train split did not have."""
    if unseen:
        shown = "; ".join(f"{name}: {', '.join(values)}" for name, values in unseen.items())
        log.warning(
            "%s: categories that no row of the train split has are encoded as all zeros (%s).",
            path,
            shown,
        )
