"""Tables as a model sees them: columns read, target kinds inferred, text one-hot encoded.

Light on purpose (pandas is imported when a table is read; no torch, no Lightning): the config
learns a table's target kind, classes and feature columns from it while it is composed
(`litlab.data.peek`), and `litlab.data.table.TableDataModule` decodes the table with it.
The rules (which kind a target is, which feature is categorical) are those of
`litlab.data.table`'s docstring.
"""

import functools
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from litlab.errors import ConfigError, DataError

if TYPE_CHECKING:
    import pandas as pd

KINDS = ("regression", "binary", "classification", "multilabel")
MAX_CLASSES = 20  # whole-number targets with at most this many values are classes
PARQUET_SUFFIXES = (".parquet", ".pq")
# Each feature column, in order: None (a number) or its categories (one-hot encoded).
Columns = dict[str, list[str] | None]


def read_table(
    path: Path, *, text_columns: Sequence[str] = (), fix: str = "fix that line or place a good copy"
) -> "pd.DataFrame":
    """The table of a CSV (header row, commas) or Parquet file; `text_columns` are kept as text.

    Read once while the file is unchanged (size, modification time): callers must not modify
    the frame. `fix` ends the message of a CSV that cannot be parsed.
    """
    stat = path.stat()
    return _read(path, stat.st_size, stat.st_mtime_ns, tuple(text_columns), fix)


@functools.lru_cache(maxsize=8)
def _read(path: Path, size: int, mtime: int, text_columns: tuple[str, ...], fix: str) -> Any:
    import pandas as pd

    if path.suffix.lower() in PARQUET_SUFFIXES:
        try:
            return pd.read_parquet(path)
        except ImportError as err:
            raise DataError(
                f"{path}: reading Parquet needs pyarrow or fastparquet, which are not installed "
                "(pip install pyarrow); or give the table as a CSV."
            ) from err
        except (OSError, ValueError) as err:  # pyarrow's ArrowInvalid is a ValueError
            raise DataError(
                f"{path}: cannot read this Parquet file ({str(err).strip()}); place a good copy."
            ) from err
    try:
        return pd.read_csv(path, dtype=dict.fromkeys(text_columns, str) or None)
    except (OSError, ValueError) as err:  # pandas' ParserError is a ValueError
        raise DataError(
            f"{path}: cannot read this CSV ({str(err).strip()}). It must be comma-separated text "
            f"with a header row and the same number of values on every row; {fix}."
        ) from err


def file_row(path: Path, index: int) -> int:
    """The row of the file that holds row `index` of its table, as a user counts them (a CSV's
    header is row 1)."""
    return index + (1 if path.suffix.lower() in PARQUET_SUFFIXES else 2)


def check_columns(frame: Any, columns: Sequence[str], path: Path, fix: str) -> None:
    """Raise DataError naming the columns of `columns` that `frame` lacks, and its header."""
    absent = [c for c in columns if c not in frame.columns]
    if absent:
        raise DataError(
            f"{path}: no column {', '.join(absent)}; the header has "
            f"{', '.join(map(str, frame.columns))}. {fix}"
        )


def feature_names(frame: Any, targets: Sequence[str], features: Sequence[str] | None) -> list[str]:
    """`features`, or every column of `frame` that is not a target (in the file's order)."""
    if features is None:
        return [str(c) for c in frame.columns if c not in targets]
    both = [f for f in features if f in targets]
    if both:
        raise ConfigError(
            f"data.features names the target {', '.join(both)}: a column is a feature or a "
            "target, not both; drop it from data.features."
        )
    return list(features)


def texts(series: Any) -> Any:
    """Each cell as stripped text; None where it is blank or missing (NaN, infinite)."""
    return series.map(_text).astype(object)


def _text(value: object) -> str | None:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return None
    text = str(value).strip()
    return text if text and text.lower() != "nan" else None


def numbers(series: Any) -> Any:
    """The column as float numbers, or None if it is text: a column is numbers when more than
    half of its filled cells are (the others are then mistakes, reported as missing values)."""
    import pandas as pd

    if pd.api.types.is_numeric_dtype(series):  # booleans included
        return series.astype(float)
    values = pd.to_numeric(series, errors="coerce")
    filled = int(texts(series).notna().sum())
    return values.astype(float) if 2 * int(values.notna().sum()) > filled else None


def infer_kind(frame: Any, targets: Sequence[str], path: Path) -> str:
    """The kind of target `targets` hold, by the rule of `litlab.data.table`."""
    if len(targets) != 1:
        return "regression"
    (name,) = targets
    distinct = check_varies(frame, name, path)
    if len(distinct) == 2:
        return "binary"
    values = numbers(frame[name])
    if values is None:
        return "classification"
    values = values[np.isfinite(values)]
    if bool((values == values.round()).all()) and values.nunique() <= MAX_CLASSES:
        return "classification"
    return "regression"


def check_varies(frame: Any, column: str, path: Path) -> list[str]:
    """The distinct values of a target column; DataError if it holds fewer than two."""
    distinct = texts(frame[column]).dropna().unique().tolist()
    if len(distinct) < 2:
        held = f"only the value {distinct[0]}" if distinct else "no value"
        raise DataError(
            f"{path}: the target column {column} holds {held}: there is nothing to learn. "
            "Choose another data.target."
        )
    return distinct


def class_names(frame: Any, targets: Sequence[str], kind: str) -> list[str]:
    """The classes of a binary or classification target (its distinct values as text, numbers
    in numeric order); the target columns themselves for regression and multilabel."""
    if kind not in KINDS:
        raise ConfigError(f"data.target_kind={kind} is unknown; choose one of {', '.join(KINDS)}.")
    if kind in ("regression", "multilabel"):
        return list(targets)
    if len(targets) != 1:
        raise ConfigError(
            f"task={kind} predicts one target column, but data.target names {len(targets)} "
            f"({', '.join(targets)}); give one, or use task=regression."
        )
    return sorted(texts(frame[targets[0]]).dropna().unique().tolist(), key=label_order)


def label_order(text: str) -> tuple[int, float, str]:
    """Sort key of class names: numbers in numeric order, then text."""
    try:
        return 0, float(text), text
    except ValueError:
        return 1, 0.0, text


def infer_columns(
    frame: Any, features: Sequence[str], rows: Sequence[int], *, categorical: bool = True
) -> Columns:
    """Each feature: None for numbers, or the sorted categories its `rows` (the train split's)
    hold for text; `categorical=False`: every feature is a number."""
    columns: Columns = {}
    for name in features:
        if not categorical or numbers(frame[name]) is not None:
            columns[name] = None
        else:
            seen = texts(frame[name].iloc[list(rows)]).dropna().unique().tolist()
            columns[name] = sorted(seen)
    return columns


def width(columns: Mapping[str, Sequence[str] | None]) -> int:
    """The number of model inputs the encoded `columns` give."""
    return sum(1 if categories is None else len(categories) for categories in columns.values())


def check_missing(frame: Any, numeric: Mapping[str, bool], path: Path) -> None:
    """Raise DataError naming the rows and columns of `numeric` (column -> whether it holds
    numbers) that have a blank cell, or one that is not a finite number in a numeric column."""
    import pandas as pd

    bad = {}
    for name, is_number in numeric.items():
        if is_number:
            values = pd.to_numeric(frame[name], errors="coerce").astype(float)
            bad[name] = ~np.isfinite(values.to_numpy())
        else:
            bad[name] = texts(frame[name]).isna().to_numpy()
    cells = pd.DataFrame(bad, index=frame.index)
    rows = np.flatnonzero(cells.any(axis=1).to_numpy())
    if len(rows):
        where = cells.any()
        lines = [str(file_row(path, int(i))) for i in rows]
        shown = ", ".join(lines[:10]) + (", ..." if len(lines) > 10 else "")
        raise DataError(
            f"{path}: {len(rows)} rows (first: row {lines[0]} of the file) have a blank, "
            f"non-numeric or infinite value in {', '.join(map(str, where[where].index))}; fix or "
            f"remove those rows: {shown}."
        )


def encode_features(
    frame: Any, columns: Mapping[str, Sequence[str] | None]
) -> tuple[np.ndarray, dict[str, list[str]]]:
    """float32 (N, width) inputs: numbers as they are, categories one-hot; and, per column, the
    values that are none of its categories (encoded as all zeros)."""
    import pandas as pd

    parts, unseen = [], {}
    for name, categories in columns.items():
        if categories is None:
            parts.append(pd.to_numeric(frame[name], errors="coerce").to_numpy(np.float64)[:, None])
            continue
        text = texts(frame[name])
        codes = pd.Index(list(categories)).get_indexer(text)  # -1: none of them
        onehot = np.zeros((len(frame), len(categories)))
        hit = codes >= 0
        onehot[np.flatnonzero(hit), codes[hit]] = 1.0
        parts.append(onehot)
        other = text[~hit].dropna()
        if len(other):
            unseen[name] = sorted(set(other))
    x = np.concatenate(parts, axis=1) if parts else np.zeros((len(frame), 0))
    return x.astype(np.float32), unseen


def encode_targets(
    frame: Any, targets: Sequence[str], kind: str, names: Sequence[str], path: Path
) -> np.ndarray:
    """The targets in a task's layout: float32 (N, T) values or 0/1 labels (regression,
    multilabel), float32 (N,) 0/1 (binary), int64 (N,) class indices (classification)."""
    import pandas as pd

    if kind in ("regression", "multilabel"):
        values = frame[list(targets)].apply(pd.to_numeric, errors="coerce")
        y = values.to_numpy(dtype=np.float32, copy=True)
        bad = np.flatnonzero(~np.isin(y, (0.0, 1.0)).all(axis=1))
        if kind == "multilabel" and len(bad):
            raise DataError(
                f"{path}: {len(bad)} rows (first: row {file_row(path, int(bad[0]))} of the file) "
                f"have a label that is not 0 or 1 in {', '.join(targets)}; fix those rows."
            )
        return y
    (name,) = targets
    text = texts(frame[name])
    codes = pd.Index(list(names)).get_indexer(text)
    unknown = np.flatnonzero(codes < 0)
    if len(unknown):
        raise DataError(
            f"{path}: {len(unknown)} rows (first: row {file_row(path, int(unknown[0]))} of the "
            f"file) have a {name} value that is none of data.class_names ({', '.join(names)}), "
            f"e.g. {text.iloc[int(unknown[0])]!r}; leave data.class_names to the file (its "
            "default) or fix those rows."
        )
    return codes.astype(np.float32 if kind == "binary" else np.int64)
