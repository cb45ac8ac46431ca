"""What became of each job of a sweep, read from the files it left in its folder.

A job folder holds `.hydra/overrides.yaml`, then `metrics.json` when it finished or `error.txt`
when it failed (see `litlab.entry.run_entry`). Reading the folders, not the launcher's return
values, works for every launcher (local, joblib, SLURM) and after the sweep process is gone.
"""

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import yaml

Status = Literal["completed", "pruned", "failed"]

# The first line of error.txt of a trial stopped by the Optuna pruner.
PRUNED_ERROR = "TrialPruned"


@dataclass(frozen=True)
class JobOutcome:
    """One job: its folder name, command-line overrides, status, final metrics and why it failed."""

    job: str
    overrides: list[str]
    status: Status
    metrics: dict[str, float] = field(default_factory=dict)
    message: str = ""


def job_dirs(sweep_dir: Path) -> list[Path]:
    """The job folders of a sweep, in job-number order."""
    dirs = [p for p in sweep_dir.iterdir() if (p / ".hydra" / "overrides.yaml").is_file()]
    return sorted(
        dirs, key=lambda p: (not p.name.isdigit(), int(p.name) if p.name.isdigit() else 0, p.name)
    )


def read_job(job_dir: Path, metric: str | None) -> JobOutcome:
    """The outcome of the job in `job_dir`; a NaN or missing `metric` counts as a failure."""
    overrides = [
        str(o) for o in yaml.safe_load((job_dir / ".hydra" / "overrides.yaml").read_text()) or []
    ]
    error_file, metrics_file = job_dir / "error.txt", job_dir / "metrics.json"
    metrics = _read_metrics(metrics_file) if metrics_file.is_file() else {}
    if error_file.is_file():
        message = error_file.read_text().partition("\n")[0]
        status: Status = "pruned" if message.startswith(PRUNED_ERROR) else "failed"
        return JobOutcome(job_dir.name, overrides, status, metrics, message)
    if not metrics_file.is_file():
        message = "no metrics.json: the job was stopped or is still running"
        return JobOutcome(job_dir.name, overrides, "failed", metrics, message)
    if metric is not None and math.isnan(metrics.get(metric, math.nan)):
        message = f"{metric} is NaN" if metric in metrics else f"{metric} was not logged"
        return JobOutcome(job_dir.name, overrides, "failed", metrics, message)
    return JobOutcome(job_dir.name, overrides, "completed", metrics)


def _read_metrics(path: Path) -> dict[str, float]:
    """metrics.json as floats (it stores NaN as null)."""
    return {k: math.nan if v is None else float(v) for k, v in json.loads(path.read_text()).items()}
