"""What this machine has: the devices a trainer config asks for, and the CPU threads a run uses.

Imports torch only when asked, so the entry points can check the hardware before anything heavy.
"""

import logging
import os
import time
from pathlib import Path

from omegaconf import DictConfig

from litlab.errors import ConfigError

log = logging.getLogger(__name__)


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


def set_threads(threads: int | None, *, processes: int) -> int:
    """Set torch's CPU threads for this process and say once where the number comes from.

    The first of: `threads` (the config's `threads=`); `OMP_NUM_THREADS`; a count the user
    already gave `torch.set_num_threads` (in a notebook); else the CPUs this process may use
    (`available_cpus`) shared among this node's `processes` (its DDP ranks). Two processes
    that each take every core run slower than one: on a loaded 2-core machine a step with two
    threads was 14-19 times slower than with one.
    """
    import torch

    cpus = available_cpus()
    if threads is not None:
        chosen, why = threads, "threads="
    elif os.environ.get("OMP_NUM_THREADS", "").isdigit():
        chosen, why = int(os.environ["OMP_NUM_THREADS"]), "OMP_NUM_THREADS"
    elif torch.get_num_threads() not in (cpus, os.cpu_count()):  # torch's own default is either
        chosen, why = torch.get_num_threads(), "torch.set_num_threads, set before litlab"
    else:
        chosen = max(1, cpus // max(1, processes))
        why = f"{cpus} CPUs for this process" + (
            f", shared by {processes}" if processes > 1 else ""
        )
    chosen = max(1, chosen)
    if (chosen, why) not in _ANNOUNCED:  # once per process, not once per fold
        log.info("Threads: %d (%s)", chosen, why)
        _ANNOUNCED.add((chosen, why))
    torch.set_num_threads(chosen)
    return chosen


_ANNOUNCED: set[tuple[int, str]] = set()


def processes_on_node(trainer: DictConfig) -> int:
    """The processes a trainer config starts on this node: its devices (one DDP rank each)."""
    devices = trainer.get("devices", 1)
    if isinstance(devices, int) and devices > 0:
        return devices
    if str(trainer.get("accelerator")) in ("gpu", "cuda") and devices in (-1, "auto"):
        import torch

        return max(1, torch.cuda.device_count())
    return 1


def available_cpus() -> int:
    """The CPUs this process may use: its affinity, capped by a cgroup CPU quota (containers)
    and SLURM's cpus-per-task."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    limits = [cpus or 1]
    quota = _cgroup_quota()
    if quota is not None:
        limits.append(max(1, int(quota)))
    slurm = os.environ.get("SLURM_CPUS_PER_TASK", "")
    if slurm.isdigit():
        limits.append(int(slurm))
    return min(limits)


def _cgroup_quota() -> float | None:
    """CPUs allowed by the cgroup's quota (v2 `cpu.max`, v1 `cfs_quota_us`), None if unlimited."""
    try:
        quota, period = Path("/sys/fs/cgroup/cpu.max").read_text().split()[:2]
        return None if quota == "max" else int(quota) / int(period)
    except (OSError, ValueError):
        pass
    try:
        v1 = Path("/sys/fs/cgroup/cpu")
        quota_us = int((v1 / "cpu.cfs_quota_us").read_text())
        return None if quota_us < 0 else quota_us / int((v1 / "cpu.cfs_period_us").read_text())
    except (OSError, ValueError):
        return None


def skip_nvml_probe_without_gpu() -> None:
    """Stop torch looking for NVIDIA's management library at every optimizer step when this
    machine has none.

    `import lightning` sets PYTORCH_NVML_BASED_CUDA_CHECK=1 (a CUDA check that does not
    initialise CUDA before DataLoader workers fork). With it, torch's optimizers call
    `torch.cuda.is_available()` at every step, which then tries to load libnvidia-ml.so.1 each
    time and caches no failure: 14% of a small MLP's step on a machine without a GPU. Where the
    library cannot be loaded there is no NVIDIA GPU to find that way, so the variable is removed
    and torch asks the CUDA runtime once instead. Where it loads, nothing changes.
    """
    import ctypes

    if os.environ.get("PYTORCH_NVML_BASED_CUDA_CHECK") != "1":
        return
    try:
        ctypes.CDLL("libnvidia-ml.so.1")
    except OSError:
        del os.environ["PYTORCH_NVML_BASED_CUDA_CHECK"]


_IMPORTED_AT = time.time()


def seconds_since_process_start() -> float:
    """Wall seconds since this process started (Linux /proc), else since litlab was imported."""
    try:
        # Field 22 of /proc/self/stat is the start time in clock ticks after boot; fields
        # after the parenthesised command name start at field 3.
        ticks = int(Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()[19])
        uptime = float(Path("/proc/uptime").read_text().split()[0])
        return uptime - ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return time.time() - _IMPORTED_AT
