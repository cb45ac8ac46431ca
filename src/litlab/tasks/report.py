"""The test report of a task: per-class (label, target) rows computed from test-set counts.

Tasks build a `Report` from metrics synced over every DDP rank; the report callback writes
and plots it. The per-class table is what scikit-learn's `classification_report` prints.
"""

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import torch
from torch import Tensor


@dataclass
class Report:
    """A table of one row per class, label or target column, plus summary rows.

    Args:
        columns: the value columns of every row, in print order.
        rows: row name -> column -> value, one row per class / label / target.
        summary: rows printed under the table (`accuracy`, `macro avg`, ...); a summary row
            may leave columns out, as sklearn's `accuracy` row does.
        confusion_matrix: counts [true class][predicted class] for single-label tasks.
    """

    columns: list[str]
    rows: dict[str, dict[str, float]]
    summary: dict[str, dict[str, float]] = field(default_factory=dict)
    confusion_matrix: list[list[int]] | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _ratio(num: Tensor, den: Tensor) -> Tensor:
    """num / den with 0 where den is 0 (sklearn's zero_division=0)."""
    return torch.where(den > 0, num / den.clamp(min=1), torch.zeros_like(num))


def precision_recall_f1(
    tp: Tensor, fp: Tensor, fn: Tensor, names: Sequence[str]
) -> tuple[dict[str, dict[str, float]], dict[str, dict[str, float]]]:
    """Per-row precision, recall, F1 and support (tp + fn), with macro and weighted averages."""
    tp, fp, fn = tp.double(), fp.double(), fn.double()
    support = tp + fn
    precision, recall = _ratio(tp, tp + fp), _ratio(tp, support)
    f1 = _ratio(2 * tp, 2 * tp + fp + fn)
    table = torch.stack([precision, recall, f1], dim=1)  # (rows, 3)
    keys = ("precision", "recall", "f1")
    rows = {
        str(name): {**dict(zip(keys, values.tolist(), strict=True)), "support": int(count)}
        for name, values, count in zip(names, table, support.tolist(), strict=True)
    }
    total = support.sum()
    weights = support / total if total > 0 else torch.zeros_like(support)
    summary = {
        "macro avg": {
            **dict(zip(keys, table.mean(0).tolist(), strict=True)),
            "support": int(total),
        },
        "weighted avg": {
            **dict(zip(keys, (weights @ table).tolist(), strict=True)),
            "support": int(total),
        },
    }
    return rows, summary


def confusion_report(confmat: Tensor, names: Sequence[str]) -> Report:
    """Single-label report from a confusion matrix (rows: true class, columns: predicted)."""
    confmat = confmat.long().cpu()
    tp = confmat.diag()
    rows, averages = precision_recall_f1(tp, confmat.sum(0) - tp, confmat.sum(1) - tp, names)
    total = int(confmat.sum())
    accuracy = float(tp.sum()) / total if total else 0.0
    summary = {"accuracy": {"f1": accuracy, "support": total}, **averages}
    return Report(["precision", "recall", "f1", "support"], rows, summary, confmat.tolist())


def label_report(stats: Tensor, names: Sequence[str]) -> Report:
    """Multi-label report from per-label counts (L, 5): tp, fp, tn, fn, support."""
    stats = stats.long().cpu()
    tp, fp, fn = stats[:, 0], stats[:, 1], stats[:, 3]
    rows, averages = precision_recall_f1(tp, fp, fn, names)
    micro, _ = precision_recall_f1(
        tp.sum(0, keepdim=True), fp.sum(0, keepdim=True), fn.sum(0, keepdim=True), ["micro avg"]
    )
    return Report(["precision", "recall", "f1", "support"], rows, {**micro, **averages})
