"""What this machine has: the devices a trainer config asks for, and the CPU threads a run uses.

Imports torch only when asked, so the entry points can check the hardware before anything heavy.
"""

import os

from omegaconf import DictConfig

from litlab.errors import ConfigError


def check_hardware(trainer: DictConfig, choice: str | None = None) -> None:
    """Raise ConfigError when `trainer` asks for devices this machine does not have.

    Checked before anything is built, so `trainer=gpu` on a laptop is one message naming the
    fix, not Lightning's exception after the config tree and the data.

    Args:
        trainer: the `trainer` config node.
        choice: the trainer option as typed (`gpu`, `ddp`), to name it.
    """
    import torch

    accelerator = str(trainer.get("accelerator", "auto"))
    asked = f"trainer={choice}" if choice else f"trainer.accelerator={accelerator}"
    fix = (
        "Use trainer=cpu, or leave trainer out: the default (accelerator=auto) takes a GPU "
        "when there is one and the CPU otherwise."
    )
    if accelerator in ("gpu", "cuda"):
        found = torch.cuda.device_count()
        if found == 0:
            raise ConfigError(
                f"{asked} asks for a GPU, but this machine has none (torch finds no CUDA "
                f"device). {fix}"
            )
        wanted = trainer.get("devices", 1)
        if isinstance(wanted, int) and wanted > found:
            raise ConfigError(
                f"{asked} asks for {wanted} GPUs (trainer.devices={wanted}), but this machine "
                f"has {found}. Give trainer.devices={found} (or -1: all of them)."
            )
    elif accelerator == "mps" and not torch.backends.mps.is_available():
        raise ConfigError(
            f"{asked} asks for an Apple-silicon GPU (MPS), which this machine does not have. {fix}"
        )


def set_threads(threads: int | None, *, processes: int) -> None:
    """Give each of this node's `processes` its share of the CPU cores (or `threads` if set)."""
    import torch

    if threads is None:
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
        threads = max(1, (cores or 1) // max(1, processes))
    torch.set_num_threads(threads)
