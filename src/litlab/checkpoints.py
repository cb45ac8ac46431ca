"""Reading litlab checkpoints safely: plain data only, never code; checked before use."""

import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
from omegaconf import DictConfig
from torch import nn

from litlab.errors import CheckpointError
from litlab.registry import saved_config
from litlab.rundir import CONFIG


def load_plain(path: Path, *, mmap: bool = False) -> Any:
    """`torch.load(path, weights_only=True)`: tensors and plain data only, so loading never
    runs code; a missing or unreadable file is a CheckpointError naming it.

    `mmap`: map the tensors instead of reading them (cheap when only shapes are needed).
    """
    if not path.is_file():
        raise CheckpointError(missing_checkpoint(path))
    mmap = mmap and zipfile.is_zipfile(path)  # else torch.load's complaint would be about mmap
    try:
        return torch.load(path, map_location="cpu", mmap=mmap, weights_only=True)
    except Exception as err:
        raise CheckpointError(
            f"{path} cannot be read as a checkpoint: {_load_failure(err)}. It may be truncated "
            "or not a litlab checkpoint; use another checkpoint of the run (best.ckpt, "
            "last.ckpt) or train again."
        ) from err


def load_checkpoint(path: Path, *, mmap: bool = False) -> dict[str, Any]:
    """A training checkpoint (`load_plain`) with the weights and layout Lightning needs."""
    checkpoint = load_plain(path, mmap=mmap)
    if not isinstance(checkpoint, dict) or "state_dict" not in checkpoint:
        raise CheckpointError(
            f"{path} holds no model weights (no state_dict); it is not a checkpoint."
        )
    if "pytorch-lightning_version" not in checkpoint:
        raise CheckpointError(
            f"{path} holds weights but is not a training checkpoint: give a .ckpt file of a "
            "run's checkpoints/ (a best_weights.pt loads with litlab.weights.load_model)."
        )
    return checkpoint


def missing_checkpoint(path: Path) -> str:
    """Why there is no checkpoint at `path`, for `<run dir>/checkpoints/<file>` paths too."""
    run_dir = path.parent.parent
    if path.parent.name != "checkpoints" or path.parent.is_dir():
        found = sorted(p.name for p in path.parent.glob("*.ckpt")) if path.parent.is_dir() else []
        others = f" (it has {', '.join(found)})" if found else ""
        return f"No checkpoint at {path}{others}; check the path."
    if not run_dir.is_dir():
        return f"{run_dir} does not exist; give a run directory such as logs/train/runs/<stamp>."
    if not (run_dir / CONFIG).is_file():
        return (
            f"{run_dir} is not a litlab run (it has no {CONFIG} and no checkpoints/); give "
            "a run directory such as logs/train/runs/<stamp>."
        )
    return (
        f"{run_dir} has no checkpoints/: its fit saved none (stopped before its first epoch "
        "ended, or ran with callbacks=none). Train it again, or resume it if it has begun."
    )


def checkpoint_config(checkpoint: dict[str, Any], path: Path) -> DictConfig:
    """The resolved run config litlab stores in each checkpoint's hyper-parameters, checked as
    data (`litlab.registry.saved_config`)."""
    config = checkpoint.get("hyper_parameters")
    if not isinstance(config, dict) or not {"data", "task", "model"} <= config.keys():
        raise CheckpointError(
            f"{path} holds no litlab run config (data, task, model), so its run cannot be "
            "rebuilt; evaluate a checkpoint written by src/train.py."
        )
    return saved_config(config, path)


def check_checkpoint(
    path: Path, task: nn.Module, *, fit: bool, max_epochs: int | None = None
) -> None:
    """Raise CheckpointError unless `path` is a readable checkpoint whose weights fit `task`
    and, to continue a fit from it (`fit`), whose optimizer is the one configured now and
    whose epochs do not pass `max_epochs`."""
    checkpoint = load_checkpoint(path, mmap=True)
    check_fits(checkpoint, path, task)
    if not fit:
        return
    _check_optimizer(checkpoint, path, _hparams(task))
    done = int(checkpoint.get("epoch", 0))
    if max_epochs is not None and max_epochs >= 0 and done > max_epochs:
        raise CheckpointError(
            f"{path} continues a fit that is at epoch {done}, past trainer.max_epochs="
            f"{max_epochs}. Give trainer.max_epochs above {done} to train it longer, or test it "
            f"as it is: python src/eval.py ckpt_path={path}"
        )


def check_fits(checkpoint: dict[str, Any], path: Path, task: nn.Module) -> None:
    """Raise CheckpointError naming the differences unless the checkpoint's weights fit `task`."""
    saved = {k: tuple(v.shape) for k, v in checkpoint["state_dict"].items()}
    wanted = {k: tuple(v.shape) for k, v in task.state_dict().items()}
    if saved == wanted:
        return
    problems = [
        _listed("only in the checkpoint", sorted(saved.keys() - wanted.keys())),
        _listed("only in this model", sorted(wanted.keys() - saved.keys())),
        _listed(
            "of other shapes",
            [
                f"{k} {list(saved[k])} there, {list(wanted[k])} here"
                for k in sorted(saved.keys() & wanted.keys())
                if saved[k] != wanted[k]
            ],
        ),
    ]
    config = checkpoint.get("hyper_parameters")
    saved_model = config.get("model") if isinstance(config, dict) else None
    differences = _differences(saved_model, _hparams(task).get("model"), "model")
    settings = (
        f"It was trained with {'; '.join(differences)}: use those settings"
        if differences
        else "Use the settings it was trained with"
    )
    raise CheckpointError(
        f"{path} holds the weights of another model: tensors {'; '.join(p for p in problems if p)}"
        f". {settings}, or a checkpoint of this model."
    )


def _check_optimizer(checkpoint: dict[str, Any], path: Path, hparams: Mapping) -> None:
    config = checkpoint.get("hyper_parameters") or {}
    saved = (config.get("optimizer") or {}).get("_target_")
    wanted = (hparams.get("optimizer") or {}).get("_target_")
    if saved and wanted and saved != wanted:
        raise CheckpointError(
            f"{path} continues a fit whose optimizer is {saved}, but this run configures "
            f"{wanted}, which cannot take over its state; continue with the checkpoint's "
            "optimizer (drop the optimizer override)."
        )


def _hparams(task: nn.Module) -> Mapping[str, Any]:
    return getattr(task, "hparams", None) or {}


def _listed(what: str, items: list[str], most: int = 3) -> str:
    if not items:
        return ""
    more = f", ... ({len(items)} in all)" if len(items) > most else ""
    return f"{what}: {', '.join(items[:most])}{more}"


def _differences(saved: Any, wanted: Any, key: str) -> list[str]:
    """`key.sub=value` for each setting of `saved` that `wanted` does not share."""
    if isinstance(saved, Mapping) and isinstance(wanted, Mapping):
        keys = sorted(saved.keys() | wanted.keys(), key=lambda k: (k != "_target_", str(k)))
        return [d for k in keys for d in _differences(saved.get(k), wanted.get(k), f"{key}.{k}")]
    return [] if saved == wanted or saved is None else [f"{key}={saved}"]


def _load_failure(err: Exception) -> str:
    """torch.load's reason in one line (its weights-only message is a page long)."""
    text = str(err).strip()
    if "WeightsUnpickler error:" in text:
        detail = text.split("WeightsUnpickler error:", 1)[1].strip().splitlines()[0]
        return (
            f"it holds something other than tensors and plain data ({detail}); litlab loads "
            "nothing else, as that could run code"
        )
    if "PytorchStreamReader" in text or "inline_container" in text:  # torch's C++ reader
        return "it is not a file torch.save wrote (a zip archive of something else, or damaged)"
    first = text.splitlines()[0] if text else type(err).__name__
    return first.split(". ")[0]
