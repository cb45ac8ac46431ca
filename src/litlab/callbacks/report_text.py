"""The test report as text, laid out as scikit-learn's `classification_report` prints it."""

from collections.abc import Mapping, Sequence

from litlab.tasks.report import Report


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
