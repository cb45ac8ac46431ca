"""Files a run leaves in its directory."""

import json
import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from lightning.pytorch.utilities import rank_zero_only

# The sub-folder of a cross-validation run that holds the fit of one fold (`litlab.cv`).
_FOLD_DIR = re.compile(r"fold_\d+")


def as_float(value: Any) -> float:
    """A logged metric (tensor or number) as a plain float."""
    return float(value.item() if hasattr(value, "item") else value)


@rank_zero_only
def write_metrics(path: Path, metrics: Mapping[str, float]) -> None:
    """Write `metrics.json`: a flat, sorted map of metric name -> number (NaN as null)."""
    clean = {k: (None if math.isnan(v) else v) for k, v in sorted(metrics.items())}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(clean, indent=2) + "\n")


def fold_dir(run_dir: Path, fold: int) -> Path:
    """The folder of fold `fold`'s fit in the cross-validation run `run_dir`."""
    return run_dir / f"fold_{fold}"


def is_fold_dir(path: Path) -> bool:
    """Whether `path` is named as `fold_dir` names the fits of a cross-validation."""
    return _FOLD_DIR.fullmatch(path.name) is not None
