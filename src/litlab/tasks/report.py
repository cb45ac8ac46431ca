"""The test report of a task: per-class (label, target) rows from test-set counts, as text
and figures.

Tasks build a `Report` from metrics synced over every DDP rank; the report callback writes
it. The per-class table is what scikit-learn's `classification_report` prints; figures are
drawn with matplotlib on the Agg canvas (no pyplot, no GUI backend, nothing global).
"""

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import torch
from torch import Tensor

if TYPE_CHECKING:
    from matplotlib.figure import Figure


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


# -- as text ------------------------------------------------------------------------------------


def _cell(value: float | None, digits: int) -> str:
    if value is None:
        return ""
    return str(value) if isinstance(value, int) else f"{value:.{digits}f}"


def report_table(report: Report, digits: int = 4) -> str:
    """Rows, a blank line, then the summary rows; summary rows may leave cells blank."""
    names = [*report.rows, *report.summary]
    first = max(len(name) for name in names)
    width = max(10, digits + 6, *(len(c) + 1 for c in report.columns))
    header = " " * first + "".join(f"{c:>{width}}" for c in report.columns)

    def line(name: str, row: Mapping[str, float]) -> str:
        cells = "".join(f"{_cell(row.get(c), digits):>{width}}" for c in report.columns)
        return f"{name:>{first}}{cells}"

    lines = [header, ""]
    lines += [line(name, row) for name, row in report.rows.items()]
    if report.summary:
        lines.append("")
        lines += [line(name, row) for name, row in report.summary.items()]
    return "\n".join(lines)


def confusion_table(matrix: Sequence[Sequence[int]], names: Sequence[str]) -> str:
    """The confusion matrix with class names: rows are true classes, columns predictions."""
    corner = "true \\ pred"
    first = max(len(name) for name in [*names, corner])
    width = max(len(text) for text in [*names, *(str(c) for row in matrix for c in row)]) + 2
    lines = [f"{corner:>{first}}" + "".join(f"{n:>{width}}" for n in names)]
    for name, counts in zip(names, matrix, strict=True):
        lines.append(f"{name:>{first}}" + "".join(f"{c:>{width}}" for c in counts))
    return "\n".join(lines)


def report_text(report: Report, metrics: Mapping[str, float], checkpoint: str | None) -> str:
    """The whole `report.txt`: what was tested, the metrics, the table, the confusion matrix."""
    parts = [f"Test report of {checkpoint or 'the current weights'}", ""]
    width = max((len(name) for name in metrics), default=0)
    parts += [f"{name:<{width}}  {value:.4f}" for name, value in sorted(metrics.items())]
    parts += ["", report_table(report)]
    if report.confusion_matrix is not None:
        parts += [
            "",
            "Confusion matrix (rows: true class, columns: predicted class)",
            confusion_table(report.confusion_matrix, list(report.rows)),
        ]
    return "\n".join(parts) + "\n"


# -- as figures ---------------------------------------------------------------------------------


def new_figure(width: float, height: float) -> "Figure":
    """A matplotlib figure on the Agg canvas: no pyplot, no GUI backend, nothing global."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def confusion_matrix_figure(report: Report) -> "Figure":
    """Counts coloured by their share of the true class (each row sums to 1)."""
    import numpy as np

    counts = np.asarray(report.confusion_matrix)
    names = list(report.rows)
    shares = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    size = 2.5 + 0.45 * len(names)
    figure = new_figure(size + 1.0, size)
    ax = figure.subplots()
    image = ax.imshow(shares, cmap="Blues", vmin=0.0, vmax=1.0)
    figure.colorbar(image, ax=ax, label="share of the true class")
    ticks = range(len(names))
    ax.set_xticks(ticks, names, rotation=45, ha="right")
    ax.set_yticks(ticks, names)
    ax.set(xlabel="predicted", ylabel="true", title="confusion matrix (test)")
    if len(names) <= 20:  # beyond that the numbers no longer fit in the cells
        for (row, col), count in np.ndenumerate(counts):
            colour = "white" if shares[row, col] > 0.5 else "black"
            ax.text(col, row, str(count), ha="center", va="center", color=colour, fontsize=8)
    return figure


def label_bars_figure(report: Report) -> "Figure":
    """Precision, recall and F1 of each label side by side; support under each name."""
    import numpy as np

    names = list(report.rows)
    positions = np.arange(len(names))
    figure = new_figure(2.0 + 0.7 * len(names), 4.0)
    ax = figure.subplots()
    for i, column in enumerate(("precision", "recall", "f1")):
        values = [report.rows[name][column] for name in names]
        ax.bar(positions + (i - 1) * 0.27, values, width=0.27, label=column)
    labels: list[Any] = [f"{name}\n(n={report.rows[name]['support']})" for name in names]
    ax.set_xticks(positions, labels, rotation=45, ha="right")
    ax.set(ylim=(0.0, 1.0), title="per-label scores (test)")
    ax.grid(axis="y", alpha=0.3)
    figure.legend(loc="outside right upper")
    return figure
