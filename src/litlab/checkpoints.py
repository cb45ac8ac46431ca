"""Reading litlab checkpoints safely: plain data only, never code."""

from pathlib import Path
from typing import Any

import torch

from litlab.errors import CheckpointError


def load_checkpoint(path: Path) -> dict[str, Any]:
    """Load a checkpoint with `weights_only=True`; a clear CheckpointError if that fails."""
    if not path.is_file():
        raise CheckpointError(
            f"No checkpoint at {path}; check the path (or the run's checkpoints/)."
        )
    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:
        raise CheckpointError(
            f"{path} cannot be read as a checkpoint ({type(err).__name__}: {err}). It may be "
            "truncated or not a litlab checkpoint; try the run's other checkpoint (last.ckpt) "
            "or train again."
        ) from err
    if not isinstance(checkpoint, dict) or "state_dict" not in checkpoint:
        raise CheckpointError(
            f"{path} holds no model weights (no state_dict); it is not a checkpoint."
        )
    return checkpoint


def saved_config(checkpoint: dict[str, Any], path: Path) -> dict[str, Any]:
    """The resolved run config litlab stores in each checkpoint's hyper-parameters."""
    config = checkpoint.get("hyper_parameters")
    if not isinstance(config, dict) or not {"data", "task", "model"} <= config.keys():
        raise CheckpointError(
            f"{path} holds no litlab run config (data, task, model), so its run cannot be "
            "rebuilt; evaluate a checkpoint written by src/train.py."
        )
    return config
