"""Trainer plugins litlab provides: a DDP strategy whose ranks re-run the Hydra job, a
checkpoint writer that never leaves a half-written file, and a profiler that costs nothing.

DDP: Lightning starts the other ranks of a node by re-running `sys.argv`. Inside a Hydra
multirun that re-runs the whole sweep (a second sweep folder, every job twice), and in a single
run it leans on `hydra.run.dir`. `HydraDDPStrategy` starts each rank as a single run of the
job's own overrides in the job's own output directory, so a DDP run writes one run directory,
in or out of a sweep. Everything else is Lightning's DDP unchanged.
"""

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

import lightning.pytorch.strategies.launchers.subprocess_script as lightning_launcher
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from hydra.utils import get_original_cwd
from lightning.fabric.plugins import TorchCheckpointIO
from lightning.pytorch.profilers import PassThroughProfiler
from lightning.pytorch.strategies import DDPStrategy
from lightning.pytorch.strategies.launchers.subprocess_script import _SubprocessScriptLauncher

from litlab.errors import ConfigError

_BASIC_LAUNCHER = "hydra._internal.core_plugins.basic_launcher.BasicLauncher"

# Hydra overrides that describe the launching process, not the job: each rank is a plain run.
_NOT_FOR_RANKS = (
    "hydra.mode",
    "hydra.run.",
    "hydra.sweep.",
    "hydra.sweeper",
    "hydra/sweeper",
    "hydra.launcher",
    "hydra/launcher",
    "hydra.output_subdir",
    "hydra.job.name",
)


def _quoted(value: str) -> str:
    """A Hydra override value that stays one string (paths may hold `,` or `=`)."""
    return '"' + value.replace('"', '\\"') + '"'


def rank_command(local_rank: int) -> tuple[list[str], str]:
    """The command and working directory that start `local_rank` of the current Hydra job."""
    import __main__  # at call time: the script Hydra runs, not whoever imported this module

    hydra_cfg = HydraConfig.get()
    launcher = hydra_cfg.launcher.get("_target_")
    if hydra_cfg.mode == RunMode.MULTIRUN and launcher != _BASIC_LAUNCHER:
        raise ConfigError(
            f"trainer.strategy starts the DDP ranks of a job by re-running {sys.argv[0]}, but "
            f"hydra/launcher ({launcher}) runs jobs in worker processes. Sweep DDP jobs with "
            "the default launcher, or on SLURM (hydra/launcher=slurm), where srun starts the ranks."
        )
    if __main__.__spec__ is None:
        command = [sys.executable, os.path.abspath(sys.argv[0])]
    else:
        command = [sys.executable, "-m", __main__.__spec__.name]
    command.append(f"--config-name={hydra_cfg.job.config_name}")
    for source in hydra_cfg.runtime.config_sources:  # as given by --config-path, --config-dir
        if source.provider == "main" and source.schema == "file":
            command.append(f"--config-path={source.path}")
        elif source.provider == "command-line":
            command.append(f"--config-dir={source.path}")
    command += list(hydra_cfg.overrides.task)
    command += [
        o for o in hydra_cfg.overrides.hydra if not o.lstrip("+~").startswith(_NOT_FOR_RANKS)
    ]
    command += [
        f"hydra.run.dir={_quoted(hydra_cfg.runtime.output_dir)}",
        "hydra.output_subdir=null",  # the job's .hydra/ is rank 0's to write
        f"hydra.job.name={hydra_cfg.job.name}_rank{local_rank}",  # log file of its own
    ]
    return command, get_original_cwd()


@contextmanager
def _rank_command_for_hydra() -> Iterator[None]:
    # Lightning looks up `_hydra_subprocess_cmd` in its launcher module each time it starts
    # the ranks; swap it for the duration of that call only.
    original = lightning_launcher._hydra_subprocess_cmd
    lightning_launcher._hydra_subprocess_cmd = rank_command
    try:
        yield
    finally:
        lightning_launcher._hydra_subprocess_cmd = original


class HydraJobLauncher(_SubprocessScriptLauncher):
    """Lightning's subprocess launcher, starting ranks with `rank_command` under Hydra."""

    def _call_children_scripts(self) -> None:
        with _rank_command_for_hydra():
            super()._call_children_scripts()


class HydraDDPStrategy(DDPStrategy):
    """Lightning's `strategy="ddp"` whose ranks re-run the Hydra job, not the command line."""

    def _configure_launcher(self) -> None:
        super()._configure_launcher()
        if type(self._launcher) is _SubprocessScriptLauncher:
            assert self.cluster_environment is not None
            self._launcher = HydraJobLauncher(
                self.cluster_environment, self.num_processes, self.num_nodes
            )


NOTHING = nullcontext()  # reusable and reentrant: one for every hook


class NoProfiler(PassThroughProfiler):
    """Lightning's default PassThroughProfiler, with `profile()` a shared no-op context.

    Lightning enters `profiler.profile(name)` around every hook of every callback and of the
    module: about 180 times a step with litlab's default callbacks. The passthrough builds a
    generator-based context each time (1.5-3 µs here, a tenth of a small MLP's step in all);
    this returns one `nullcontext`. `debug=profiler` replaces it with a profiler that times.
    """

    def profile(self, action_name: str) -> nullcontext:  # type: ignore[override]
        return NOTHING


class AtomicCheckpointIO(TorchCheckpointIO):
    """Lightning's checkpoint writer, made atomic: a checkpoint is written to a hidden file
    beside its target (the same file system), synced, then renamed over it. A kill or a full
    disk during the write leaves the previous checkpoint whole; the hidden file of a killed
    write is removed when the run folder is next held (`litlab.rundir.hold`)."""

    def save_checkpoint(
        self, checkpoint: dict[str, Any], path: str | Path, storage_options: Any | None = None
    ) -> None:
        import torch

        if storage_options is not None:
            raise TypeError("AtomicCheckpointIO takes no storage_options.")
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}.partial")
        try:
            with open(partial, "wb") as file:
                torch.save(checkpoint, file)
                file.flush()
                os.fsync(file.fileno())
            os.replace(partial, target)
        except RuntimeError as err:  # torch's writer reports a full disk as a RuntimeError
            partial.unlink(missing_ok=True)
            raise OSError(f"could not write the checkpoint {target}: {err}") from err
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
