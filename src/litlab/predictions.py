"""`predictions.csv`: what a model predicts for each input, in words a user reads.

One row per input: its file or id, the prediction (`pred`: a class, or the labels above the
threshold separated by spaces; `pred_<target>` values for regression), the true target when
known (the test split), then the probability of each class or label (`prob_<name>`; for a
binary task, of the positive class).
"""

import csv
from collections.abc import Sequence
from pathlib import Path

from torch import Tensor

Columns = dict[str, list[object]]


def decide(kind: str, outputs: Tensor, threshold: float) -> Tensor:
    """Task outputs (probabilities or values) -> class indices, yes/no per label, or values."""
    if kind == "classification":
        return outputs.argmax(1)
    if kind in ("binary", "multilabel"):
        return outputs > threshold  # binary: (N, 1)
    return outputs


def readable(kind: str, values: Tensor, names: Sequence[str], prefix: str) -> Columns:
    """Decided predictions or true targets as columns: class names, label lists or values."""
    if kind in ("classification", "binary"):
        return {prefix: [names[int(v)] for v in values.reshape(-1).tolist()]}
    if kind == "multilabel":
        rows = (values > 0.5).tolist()  # decided predictions are bools, targets 0.0 / 1.0
        return {prefix: [" ".join(n for n, on in zip(names, r, strict=True) if on) for r in rows]}
    return {f"{prefix}_{name}": values[:, i].tolist() for i, name in enumerate(names)}


def probabilities(kind: str, outputs: Tensor, names: Sequence[str]) -> Columns:
    """`prob_<name>` per class or label; binary: of the positive class; regression: none."""
    if kind == "binary":
        return {f"prob_{names[1]}": outputs.reshape(-1).tolist()}
    if kind in ("classification", "multilabel"):
        return {f"prob_{name}": outputs[:, i].tolist() for i, name in enumerate(names)}
    return {}


def prediction_columns(
    kind: str,
    outputs: Tensor,
    names: Sequence[str],
    *,
    threshold: float = 0.5,
    targets: Tensor | None = None,
) -> Columns:
    """The columns of `predictions.csv` after the id: prediction, target (if given), probabilities.

    Args:
        kind: the task's target kind (classification, binary, multilabel, regression).
        outputs: the task's `predict_outputs`, (N, C), (N, 1), (N, L) or (N, T).
        names: class, label or target-column names.
        threshold: the probability above which a binary or multilabel prediction is positive.
        targets: the true targets as the datamodule holds them, if known.
    """
    columns = readable(kind, decide(kind, outputs, threshold), names, "pred")
    if targets is not None:
        columns |= readable(kind, targets, names, "target")
    return columns | probabilities(kind, outputs, names)


def write_predictions(path: Path, key: str, ids: Sequence[object], columns: Columns) -> None:
    """Write one row per id: `key` (file or id), then `columns` in order; numbers to 6
    significant digits (the outputs are float32: more digits would be noise)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow([key, *columns])
        for row in zip(ids, *columns.values(), strict=True):
            writer.writerow([f"{v:.6g}" if isinstance(v, float) else v for v in row])
