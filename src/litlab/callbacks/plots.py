"""The figures of a run: learning curves, confusion matrix, per-label bars (matplotlib, Agg)."""

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from litlab.callbacks.publish import new_figure
from litlab.tasks.report import Report

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def learning_curves(history: Sequence[Mapping[str, float]], metrics: Sequence[str]) -> "Figure":
    """Keras' History plot: one panel per metric name, train and val per epoch (from 1)."""
    figure = new_figure(5.0 * len(metrics), 3.6)
    axes = figure.subplots(1, len(metrics), squeeze=False)[0]
    for ax, name in zip(axes, metrics, strict=True):
        for stage in ("train", "val"):
            points = [
                (row["epoch"], row[f"{stage}/{name}"])
                for row in history
                if f"{stage}/{name}" in row
            ]
            if points:
                epochs, values = zip(*points, strict=True)
                ax.plot(epochs, values, marker="o", markersize=3, label=stage)
        ax.set(title=name, xlabel="epoch")
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.grid(alpha=0.3)
        ax.legend()
    return figure


def confusion_matrix(report: Report) -> "Figure":
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


def label_bars(report: Report) -> "Figure":
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
