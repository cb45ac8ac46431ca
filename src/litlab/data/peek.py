"""What a config learns from the data files while it is composed: the resolvers' answers.

Hydra composes the whole config, the task's `num_outputs` and the model's `input_shape`
included, before any datamodule exists. A data config that leaves its classes, target kind or
input width to the files interpolates them from these functions (registered as resolvers by
`litlab.resolvers`): `class_names: ${folder_classes:${.root}}`. Each reads as little as it
can (folder names; a table's columns), once while the file is unchanged, and none raises for
the data: what it cannot read it describes as empty (no classes, no features), and the
datamodule, built next, says what is wrong with the files in one message.
"""

import functools
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from litlab.data import layout, tabular
from litlab.errors import LitlabError

Unreadable = (LitlabError, OSError)


def folder_classes(root: str | None) -> list[str]:
    """The class folders of an image folder (of its `train/` if it has one), sorted."""
    if root is None:
        return []
    try:
        return layout.folder_classes(Path(root))
    except Unreadable:
        return []


def image_channels(grayscale: bool) -> int:
    """Colour channels of the decoded images: 1 grey, or 3 (RGB)."""
    return 1 if grayscale else 3


def targets_of(target: str | Sequence[str] | None) -> list[str]:
    """`data.target` as a list of columns."""
    if target is None:
        return []
    return [target] if isinstance(target, str) else [str(t) for t in target]


def table_kind(file: str | None, target: str | Sequence[str] | None, task_kind: str | None) -> str:
    """The kind of target `target` holds (the rule of `litlab.data.table`), or `task_kind`,
    that of a task the command chose; regression when the table cannot be read."""
    if task_kind is not None:
        return task_kind
    targets = targets_of(target)
    if file is None or not targets:
        return "regression"
    try:
        return _kind(_stamp(file), tuple(targets))
    except Unreadable:
        return "regression"


def table_classes(file: str | None, target: str | Sequence[str] | None, kind: str) -> list[str]:
    """The classes of a binary or classification target (its sorted values), or the target
    columns (regression); none when the table cannot be read."""
    targets = targets_of(target)
    if kind in ("regression", "multilabel"):
        return targets
    if file is None or not targets:
        return []
    try:
        return _classes(_stamp(file), tuple(targets), kind)
    except Unreadable:
        return []


def table_columns(
    file: str | None,
    target: str | Sequence[str] | None,
    features: Sequence[str] | None,
    split: Sequence[Any],
) -> tabular.Columns:
    """Each feature column of the table in order: None (a number) or the categories its train
    split holds, the split `[seed, test_split, val_split, folds, fold]` cut; none when the
    table cannot be read."""
    targets = targets_of(target)
    if file is None or not targets:
        return {}
    try:
        chosen = None if features is None else tuple(str(f) for f in features)
        return _columns(_stamp(file), tuple(targets), chosen, tuple(split))
    except Unreadable:
        return {}


def table_width(columns: Mapping[str, Sequence[str] | None]) -> list[int]:
    """The input shape `[width]` of a table encoded as `columns` describes."""
    return [tabular.width(columns)]


def frame_kind(label_columns: Sequence[str] | None) -> str:
    """Images listed in a table: one label column is classification, several multilabel."""
    several = label_columns is not None and len(label_columns) > 1
    return "multilabel" if several else "classification"


def frame_classes(
    file: str | None, image_column: str, label_columns: Sequence[str] | None
) -> list[str]:
    """The classes of images listed in a table: the sorted values of its one label column (in
    every split CSV), or its label columns; none when the CSVs cannot be read."""
    labels = [str(c) for c in label_columns or []]
    if len(labels) != 1 or file is None:
        return labels
    try:
        tables = layout.split_tables(Path(file))
        values: set[str] = set()
        for path in tables.values():
            frame = tabular.read_table(path, text_columns=(image_column,))
            tabular.check_columns(frame, labels, path, "")
            values |= set(tabular.class_names(frame, labels, "classification"))
    except Unreadable:
        return []
    return sorted(values, key=tabular.label_order)


# -- read once per version of a file ------------------------------------------------------------

Stamp = tuple[Path, int, int]  # a file, its size and its modification time


def _stamp(file: str) -> Stamp:
    """The file as the answers below are cached: a new version is read again."""
    path = Path(file)
    stat = path.stat()
    return path, stat.st_size, stat.st_mtime_ns


def _table(stamp: Stamp, targets: Sequence[str]) -> Any:
    path = stamp[0]
    frame = tabular.read_table(path)
    tabular.check_columns(frame, targets, path, "")
    return frame


@functools.lru_cache(maxsize=32)
def _kind(stamp: Stamp, targets: tuple[str, ...]) -> str:
    return tabular.infer_kind(_table(stamp, targets), targets, stamp[0])


@functools.lru_cache(maxsize=32)
def _classes(stamp: Stamp, targets: tuple[str, ...], kind: str) -> list[str]:
    return tabular.class_names(_table(stamp, targets), targets, kind)


@functools.lru_cache(maxsize=32)
def _columns(
    stamp: Stamp, targets: tuple[str, ...], features: tuple[str, ...] | None, split: tuple
) -> tabular.Columns:
    from litlab.data.splits import train_rows

    frame = _table(stamp, targets)
    names = tabular.feature_names(frame, targets, features)
    tabular.check_columns(frame, names, stamp[0], "")
    seed, test_split, val_split, folds, fold = split
    rows = train_rows(
        len(frame), seed=seed, test_split=test_split, val_split=val_split, folds=folds, fold=fold
    )
    return tabular.infer_columns(frame, names, rows.tolist())
