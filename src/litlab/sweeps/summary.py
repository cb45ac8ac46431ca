"""The sweep summary: every job's overrides and final metrics, best first.

Written to `summary.csv` in the sweep folder and printed as a table when a multirun ends.
"""

import csv
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from rich.table import Table

from litlab.sweeps.jobs import JobOutcome, job_dirs, read_job

Mode = Literal["min", "max"]

# Metric names that fall as the model improves; others (acc, f1, auroc, ...) rise.
_FALLING = ("loss", "mae", "mse", "rmse", "error")
# Completed jobs with a value of the metric first, then completed ones without, pruned, failed.
_STATUS_ORDER = {"valued": 0, "completed": 1, "pruned": 2, "failed": 3}


def guess_mode(metric: str) -> Mode:
    """`min` for losses and errors, `max` for scores."""
    return "min" if any(word in metric.rsplit("/", 1)[-1] for word in _FALLING) else "max"


def rank_jobs(outcomes: Sequence[JobOutcome], metric: str, mode: Mode) -> list[JobOutcome]:
    """Completed jobs best first by `metric`, then the others (in job order within each)."""

    def key(outcome: JobOutcome) -> tuple[int, float]:
        value = outcome.metrics.get(metric, math.nan)
        if outcome.status != "completed" or math.isnan(value):
            return _STATUS_ORDER[outcome.status], 0.0
        return _STATUS_ORDER["valued"], value if mode == "min" else -value

    return sorted(outcomes, key=key)  # sorted() is stable: ties keep job order


def summarize(sweep_dir: Path, metric: str, mode: Mode) -> list[JobOutcome]:
    """Read every job of the sweep in `sweep_dir` and rank them."""
    return rank_jobs([read_job(d, metric) for d in job_dirs(sweep_dir)], metric, mode)


def varying_overrides(outcomes: Sequence[JobOutcome]) -> list[str]:
    """The override keys whose values differ between jobs."""
    per_job = [_split(outcome.overrides) for outcome in outcomes]
    keys = dict.fromkeys(key for overrides in per_job for key in overrides)
    return [key for key in keys if len({overrides.get(key) for overrides in per_job}) > 1]


def write_summary_csv(path: Path, outcomes: Sequence[JobOutcome], metric: str) -> None:
    """One row per job: job, status, all its overrides, the varying ones one per column,
    `metric`, the other metrics, and why it failed."""
    keys = varying_overrides(outcomes)
    names = sorted({name for o in outcomes for name in o.metrics} - {metric})
    with path.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["job", "status", "overrides", *keys, metric, *names, "message"])
        for o in outcomes:
            overrides = _split(o.overrides)
            writer.writerow([
                o.job,
                o.status,
                " ".join(o.overrides),
                *(overrides.get(k, "") for k in keys),
                *(_cell(o.metrics.get(name)) for name in (metric, *names)),
                o.message,
            ])  # fmt: skip


def summary_table(outcomes: Sequence[JobOutcome], metric: str, mode: Mode) -> Table:
    """The summary for the console: overrides, `metric` and the test metrics of each job."""
    keys = varying_overrides(outcomes)
    tests = sorted({n for o in outcomes for n in o.metrics if n.startswith("test/")} - {metric})
    messages = any(o.message for o in outcomes)
    title = f"{len(outcomes)} jobs, best first by {metric} ({mode})"
    table = Table(title=title, title_justify="left")
    for column in ("job", "status", *keys):
        table.add_column(column)
    for column in (metric, *tests):
        table.add_column(column, justify="right")
    if messages:
        table.add_column("message", overflow="fold")
    for o in outcomes:
        overrides = _split(o.overrides)
        cells = [_cell(o.metrics.get(name), digits=4) for name in (metric, *tests)]
        row = [o.job, o.status, *(_short(overrides.get(k, "")) for k in keys), *cells]
        table.add_row(*row, *([o.message] if messages else []))
    return table


def _split(overrides: Sequence[str]) -> dict[str, str]:
    """`["+model.dropout=0.1", ...]` as `{"model.dropout": "0.1", ...}`."""
    pairs = (item.split("=", 1) for item in overrides if "=" in item)
    return {key.lstrip("+~"): value for key, value in pairs}


def _short(text: str) -> str:
    """An override value for the table: long floats (Optuna's) to 4 significant digits."""
    try:
        return f"{float(text):.4g}" if len(text) > 8 else text
    except ValueError:
        return text


def _cell(value: float | None, digits: int | None = None) -> str:
    if value is None or math.isnan(value):
        return ""
    return f"{value:.{digits}g}" if digits is not None else repr(value)
