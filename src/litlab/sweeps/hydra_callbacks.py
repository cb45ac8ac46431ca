"""Hydra callbacks (`hydra.callbacks` in conf/hydra/default.yaml): job clean-up, sweep summary.

Hydra instantiates these in every process it starts, so this module imports nothing heavy.
A multirun with a failed job exits with code 1 once every job has run and the summary is
written, so a scheduler or CI sees the failure.
"""

import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hydra.core.utils import JobReturn, JobStatus
from hydra.experimental.callback import Callback
from omegaconf import DictConfig, OmegaConf

if TYPE_CHECKING:
    from litlab.sweeps.summary import Mode

log = logging.getLogger("litlab")

# What Lightning's DDP launcher exports for the ranks of one job.
_RANK_ENV = ("MASTER_ADDR", "MASTER_PORT", "NODE_RANK", "LOCAL_RANK", "WORLD_SIZE")


class JobEnd(Callback):
    """Close what a job opened, so the next job of a sweep in this process starts clean.

    Finishes the job's W&B run (marked failed if the job failed) and ends a DDP process group,
    restoring the rank variables; otherwise the next job would log into the same W&B run and
    believe it is a rank of the previous job.
    """

    def __init__(self) -> None:
        self._environ: dict[str, str] = {}

    def on_job_start(self, config: DictConfig, **kwargs: Any) -> None:
        self._environ = {name: os.environ[name] for name in _RANK_ENV if name in os.environ}

    def on_job_end(self, config: DictConfig, job_return: JobReturn, **kwargs: Any) -> None:
        output_dir = Path(config.hydra.runtime.output_dir)
        failed = job_return.status == JobStatus.FAILED or (output_dir / "error.txt").is_file()
        wandb = sys.modules.get("wandb")
        if wandb is not None and wandb.run is not None:
            wandb.finish(exit_code=1 if failed else 0)
        distributed = sys.modules.get("torch.distributed")
        if distributed is not None and distributed.is_available() and distributed.is_initialized():
            distributed.destroy_process_group()
        for name in _RANK_ENV:
            if name in self._environ:
                os.environ[name] = self._environ[name]
            else:
                os.environ.pop(name, None)


class LauncherCheck(Callback):
    """Before a multirun: a launcher whose scheduler this machine lacks is one message, exit 1.

    `hydra/launcher=slurm` (or submitit_slurm) submits each job with `sbatch`; without it,
    submitit fails deep in its code with a trace.
    """

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        import shutil

        target = str(OmegaConf.select(config, "hydra.launcher._target_", default=""))
        if target.endswith("SlurmLauncher") and shutil.which("sbatch") is None:
            log.error(
                "hydra/launcher=slurm submits each job to SLURM with sbatch, which this machine "
                "does not have. Run the command on a SLURM login node, or use "
                "hydra/launcher=submitit_local to run the jobs here, each in its own process."
            )
            sys.exit(1)


class SweepSummary(Callback):
    """At the end of a multirun: `summary.csv` in the sweep folder and a table, best job first.

    Jobs are ranked by `optimized_metric` in the sweeper's direction; without one, by the
    metric the checkpoint callback monitors, in its mode (`val/loss`, min, by default). When a
    job failed, the process then exits with code 1.
    """

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        from rich.console import Console

        from litlab.sweeps.summary import summarize, summary_table, write_summary_csv

        sweep_dir = Path(config.hydra.sweep.dir)
        if not sweep_dir.is_dir():
            return
        metric, mode = ranking(config)
        outcomes = summarize(sweep_dir, metric, mode)
        path = sweep_dir / "summary.csv"
        write_summary_csv(path, outcomes, metric)
        console = Console()
        if not console.is_terminal:  # a log file or a pipe: no terminal width to fit
            console.width = 160
        console.print(summary_table(outcomes, metric, mode))
        failed = [o.job for o in outcomes if o.status == "failed"]
        log.info("Sweep summary of %d jobs (%d failed): %s", len(outcomes), len(failed), path)
        if failed:
            log.error(
                "%d of %d jobs failed (%s); their folders hold error.txt.",
                len(failed), len(outcomes), ", ".join(failed),
            )  # fmt: skip
            sys.exit(1)


def ranking(config: DictConfig) -> tuple[str, "Mode"]:
    """The metric a sweep is ranked by and its mode, `min` or `max`."""
    from litlab.sweeps.summary import guess_mode

    monitor = OmegaConf.select(config, "callbacks.model_checkpoint.monitor", default=None)
    metric = OmegaConf.select(config, "optimized_metric", default=None) or monitor or "val/loss"
    direction = OmegaConf.select(config, "hydra.sweeper.direction", default=None)
    if direction is not None:
        return metric, "min" if str(direction).startswith("min") else "max"
    if metric == monitor:
        mode = OmegaConf.select(config, "callbacks.model_checkpoint.mode")
        return metric, "min" if mode == "min" else "max"
    return metric, guess_mode(metric)
