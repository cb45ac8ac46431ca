"""The best weights as a plain file: the net's tensors, its config and the scaling it needs.

`checkpoints/best_weights.pt` loads with `torch.load(path, weights_only=True)` and rebuilds,
without Lightning or Hydra, into a module that maps raw inputs to outputs:

    model = litlab.weights.load_model("logs/train/runs/<stamp>/checkpoints/best_weights.pt")
    logits = model(images.float())  # (B, C, H, W) pixels 0..255 as the data gives them
"""

import os
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from litlab.checkpoints import load_plain
from litlab.data.scaling import ChannelScaler
from litlab.errors import CheckpointError
from litlab.registry import instantiate, saved_config

FORMAT = "litlab-weights/1"
MODEL_PARTS = ("net", "input_scaler", "target_scaler")  # of a task's state dict: the model


def export_weights(checkpoint: dict[str, Any], path: Path) -> None:
    """Write the weights of a litlab checkpoint (a task's state dict) with what rebuilds them.

    Args:
        checkpoint: a loaded Lightning checkpoint of a litlab task, with its run config.
        path: the file to write.
    """
    config = checkpoint["hyper_parameters"]
    data = config["data"]
    content = {
        "format": FORMAT,
        "state_dict": {
            name: tensor
            for name, tensor in checkpoint["state_dict"].items()
            if name.split(".")[0] in MODEL_PARTS
        },
        "model": config["model"],
        "target_kind": data["target_kind"],
        "class_names": list(data.get("class_names") or []),
        "best_epoch": checkpoint["epoch"] + 1,  # from 1, as metrics.json counts
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")  # a killed export leaves no broken file
    torch.save(content, partial)
    os.replace(partial, path)


class ExportedModel(nn.Module):
    """Raw inputs -> the run's input scaling -> net -> outputs in the task's units.

    Outputs are logits for classification, binary and multilabel tasks (apply softmax or
    sigmoid for probabilities) and values in the targets' own units for regression.
    """

    def __init__(self, net: nn.Module, channels: int, targets: int | None) -> None:
        super().__init__()
        self.input_scaler = ChannelScaler(channels)
        self.net = net
        self.target_scaler = ChannelScaler(targets) if targets is not None else None

    def forward(self, x: Tensor) -> Tensor:
        output = self.net(self.input_scaler(x))
        return output if self.target_scaler is None else self.target_scaler.inverse(output)


def load_model(path: str | Path) -> ExportedModel:
    """Rebuild the model of a `best_weights.pt` file, in eval mode, on the CPU.

    The model config in the file is data: it may only name nets this project declares
    (`litlab.registry.saved_config`).
    """
    content = load_plain(Path(path))
    if not isinstance(content, dict) or content.get("format") != FORMAT:
        raise CheckpointError(f"{path} is not a litlab weights file ({FORMAT}).")
    model_cfg = saved_config({"model": content["model"]}, Path(path)).model
    state = content["state_dict"]
    targets = int(state["target_scaler.shift"].numel()) if "target_scaler.shift" in state else None
    model = ExportedModel(instantiate(model_cfg), int(model_cfg.input_shape[0]), targets)
    model.load_state_dict(state)
    return model.eval()
