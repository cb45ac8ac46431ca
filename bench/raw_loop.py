"""The yardstick of bench/bench.py: a hand-written PyTorch loop, in a process of its own.

    python -m bench.raw_loop <spec.json> <result.json>

Lightning is never imported here. The spec, written by bench.py from litlab's composed config,
names litlab's decoded data (its cache file), the split, the net, the optimizer, the batch size
and the epochs; this loop does by hand what a litlab fit does: seeded split, scaling, shuffled
batches indexed from the in-memory tensors, augmentation, forward, loss, backward, step, then
a validation pass each epoch. It writes the wall seconds of every epoch (training and
validation), the steady-state samples per second, and the seconds from process start to the
first step.
"""

import json
import math
import sys
import time
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor

from litlab.machine import seconds_since_process_start


def seeded_holdout(num: int, fraction: float, seed: int) -> tuple[Tensor, Tensor]:
    """(kept, held out) indices as litlab's `holdout` cuts them."""
    order = torch.randperm(num, generator=torch.Generator().manual_seed(seed))
    held = round(num * fraction)
    return order[held:].sort().values, order[:held].sort().values


def build(spec: dict[str, Any]) -> tuple[torch.nn.Module, Any, Any]:
    """The net, the optimizer and the augmentation the spec names."""
    import importlib

    module, _, name = spec["model"]["_target_"].rpartition(".")
    kwargs = {k: v for k, v in spec["model"].items() if not k.startswith("_")}
    net = getattr(importlib.import_module(module), name)(**kwargs)
    module, _, name = spec["optimizer"]["_target_"].rpartition(".")
    options = {k: v for k, v in spec["optimizer"].items() if not k.startswith("_")}
    optimizer = getattr(importlib.import_module(module), name)(net.parameters(), **options)
    augment = None
    if spec.get("augment"):
        from litlab.data.augment import BatchAugment

        augment = BatchAugment(**{k: v for k, v in spec["augment"].items() if k[0] != "_"})
    return net, optimizer, augment


def main(spec_path: str, result_path: str) -> None:
    spec = json.loads(Path(spec_path).read_text())
    torch.set_num_threads(spec["threads"])
    torch.manual_seed(spec["seed"])
    tensors = torch.load(spec["cache"], weights_only=True)
    train_idx, val_idx = seeded_holdout(len(tensors["train_y"]), spec["val_split"], spec["seed"])
    x_train, y_train = tensors["train_x"][train_idx], tensors["train_y"][train_idx]
    x_val, y_val = tensors["train_x"][val_idx], tensors["train_y"][val_idx]
    scale = 255.0  # minmax scaling of 8-bit pixels, as litlab's default
    net, optimizer, augment = build(spec)
    batch, smoothing = spec["batch_size"], spec.get("label_smoothing", 0.0)
    result: dict[str, Any] = {"epoch_s": [], "train_samples_per_s": [], "val_acc": []}
    for epoch in range(spec["epochs"]):
        started = time.perf_counter()
        net.train()
        order = torch.randperm(
            len(y_train), generator=torch.Generator().manual_seed(spec["seed"] + epoch)
        )
        steps = len(order) // batch if len(order) % batch == 1 else math.ceil(len(order) / batch)
        timed_from, timed = None, 0
        for step in range(steps):
            if step == spec["warmup_steps"]:
                timed_from, timed = time.perf_counter(), 0
            index = order[step * batch : (step + 1) * batch]
            x = x_train[index].float() / scale
            if augment is not None:
                x = augment(x)
            loss = F.cross_entropy(net(x), y_train[index], label_smoothing=smoothing)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            if "first_step_s" not in result:
                result["first_step_s"] = seconds_since_process_start()
            timed += len(index)
        if timed_from is not None:
            result["train_samples_per_s"].append(timed / (time.perf_counter() - timed_from))
        net.eval()
        correct = 0
        with torch.no_grad():
            for start in range(0, len(y_val), batch):
                out = net(x_val[start : start + batch].float() / scale)
                correct += int((out.argmax(1) == y_val[start : start + batch]).sum())
        result["val_acc"].append(correct / max(1, len(y_val)))
        result["epoch_s"].append(time.perf_counter() - started)
    Path(result_path).write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main(*sys.argv[1:3])
