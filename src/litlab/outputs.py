"""Files a run leaves in its directory."""

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from lightning.pytorch.utilities import rank_zero_only


def as_float(value: Any) -> float:
    """A logged metric (tensor or number) as a plain float."""
    return float(value.item() if hasattr(value, "item") else value)


@rank_zero_only
def write_metrics(path: Path, metrics: Mapping[str, float]) -> None:
    """Write `metrics.json`: a flat, sorted map of metric name -> number (NaN as null)."""
    clean = {k: (None if math.isnan(v) else v) for k, v in sorted(metrics.items())}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(clean, indent=2) + "\n")
