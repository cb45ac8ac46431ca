"""Loggers for litlab runs: a CSV log that a resumed run extends, and W&B that runs offline
when W&B cannot be reached and groups the jobs of a sweep.

`CSVLogger` is Lightning's, except that an existing `metrics.csv` (a resumed run's) is kept
and extended instead of deleted. `WandbLogger` is Lightning's, with defaults from the job:

- mode: `WANDB_MODE` if set; else online when an API key is found (`WANDB_API_KEY`, a
  git-ignored `.env`, or `wandb login`) and the W&B host answers; else offline, never a
  prompt. An offline run stays in `<run dir>/wandb/` until `wandb sync <that folder>`.
- id: the W&B run already in the run directory, if any, so a resumed run continues it.
- group: the sweep folder's name for the jobs of a multirun, the cross-validation's for its
  folds; name: the run, job or fold folder.

The API key is read from the environment by wandb itself; litlab never takes it as an
argument, so it cannot reach a saved config or log.
"""

import csv
import logging
import netrc
import os
import re
import socket
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlparse

import lightning.pytorch.loggers.csv_logs as lightning_csv
from lightning.pytorch.loggers import TensorBoardLogger as LightningTensorBoardLogger
from lightning.pytorch.loggers import WandbLogger as LightningWandbLogger
from lightning.pytorch.loggers.logger import rank_zero_experiment
from lightning.pytorch.utilities import rank_zero_only

from litlab.rundir import is_fold_dir

log = logging.getLogger(__name__)

Mode = Literal["online", "offline", "disabled"]
DEFAULT_HOST = "https://api.wandb.ai"
# wandb names run folders `run-<stamp>-<id>` (online) or `offline-run-<stamp>-<id>`.
_RUN_FOLDER = re.compile(r"^(?:offline-)?run-\d{8}_\d{6}-(?P<id>[A-Za-z0-9_-]+)$")


class _ExtendingWriter(lightning_csv.ExperimentWriter):
    """Lightning's CSV writer, appending to an existing metrics.csv instead of deleting it."""

    def _check_log_dir_exists(self) -> None:
        if self._fs.isfile(self.metrics_file_path):
            with self._fs.open(self.metrics_file_path, "r", newline="") as file:
                self.metrics_keys = list(csv.DictReader(file).fieldnames or [])


class CSVLogger(lightning_csv.CSVLogger):
    """Lightning's CSV logger (metrics.csv, hparams.yaml); a resumed run extends its metrics.csv."""

    @property
    @rank_zero_experiment
    def experiment(self) -> lightning_csv.ExperimentWriter:
        if self._experiment is None:
            self._fs.makedirs(self.root_dir, exist_ok=True)
            self._experiment = _ExtendingWriter(log_dir=self.log_dir)
        assert isinstance(self._experiment, lightning_csv.ExperimentWriter)
        return self._experiment


class TensorBoardLogger(LightningTensorBoardLogger):
    """Lightning's TensorBoard logger, plotting the epoch's metrics against the epoch (from 1)
    rather than the optimizer step, as Keras' TensorBoard callback does."""

    @rank_zero_only
    def log_metrics(self, metrics: Mapping[str, float], step: int | None = None) -> None:
        epoch = metrics.get("epoch")  # Lightning adds it to the metrics of an epoch's end
        if epoch is not None:
            metrics = {k: v for k, v in metrics.items() if k != "epoch"}
            step = int(epoch) + 1
        super().log_metrics(metrics, step)


class WandbLogger(LightningWandbLogger):
    """Lightning's W&B logger with litlab's defaults (see the module docstring).

    Args:
        save_dir: the run directory; W&B writes its files to `save_dir/wandb/`.
        project: the W&B project.
        mode: online, offline or disabled; None chooses as described above.
        name, group, id: the W&B run's name, group and id; None takes them from Hydra and
            from an earlier W&B run in `save_dir`.
        tags: tags of the W&B run.
        log_model: upload checkpoints as artifacts (True: at the end, with the best one
            aliased `best`; "all": each one as it is saved). Online runs only.
        **kwargs: passed to `wandb.init` (entity, job_type, notes, ...).
    """

    def __init__(
        self,
        *,
        save_dir: str,
        project: str = "litlab",
        mode: Mode | None = None,
        name: str | None = None,
        group: str | None = None,
        id: str | None = None,
        tags: Sequence[str] = (),
        log_model: bool | Literal["all"] = False,
        **kwargs: Any,
    ) -> None:
        mode = mode or choose_mode()
        if mode != "online" and log_model:
            log.warning("W&B runs %s: checkpoints are not uploaded (log_model needs online).", mode)
            log_model = False
        job_name, job_group = default_names(Path(save_dir))
        super().__init__(
            save_dir=save_dir,
            project=project,
            name=name or job_name,
            group=group or job_group,
            id=id or previous_run_id(Path(save_dir)),
            tags=list(tags),
            log_model=log_model,
            mode=mode,
            **kwargs,
        )
        if mode == "offline":
            log.info(
                "W&B logs offline to %s/wandb; upload later with `wandb sync <its run folder>`.",
                save_dir,
            )
        self._epoch_axis = False

    @property
    def experiment(self) -> Any:
        """The W&B run; the stages' metrics are plotted against the epoch, not the step."""
        run = super().experiment
        if not self._epoch_axis and hasattr(run, "define_metric"):
            run.define_metric("epoch")
            for metrics in ("train/*", "val/*", "test/*", "lr-*"):
                run.define_metric(metrics, step_metric="epoch")
            self._epoch_axis = True
        return run


def choose_mode() -> Mode:
    """`WANDB_MODE` if set; online with an API key and a reachable host; offline otherwise."""
    if os.environ.get("WANDB_MODE"):
        return "offline" if os.environ["WANDB_MODE"] in ("offline", "dryrun") else "online"
    base_url = os.environ.get("WANDB_BASE_URL", DEFAULT_HOST)
    if not has_api_key(base_url):
        log.info("No W&B API key (WANDB_API_KEY, .env or `wandb login`): W&B runs offline.")
        return "offline"
    if not reachable(base_url):
        log.info("%s cannot be reached: W&B runs offline.", base_url)
        return "offline"
    return "online"


def has_api_key(base_url: str) -> bool:
    """Whether wandb will find credentials: in the environment or in ~/.netrc."""
    if os.environ.get("WANDB_API_KEY") or os.environ.get("WANDB_IDENTITY_TOKEN_FILE"):
        return True
    try:
        return netrc.netrc().authenticators(urlparse(base_url).hostname or "") is not None
    except (OSError, netrc.NetrcParseError):
        return False


def reachable(base_url: str, timeout: float = 3.0) -> bool:
    """Whether a TCP connection to the W&B host opens within `timeout` seconds."""
    url = urlparse(base_url)
    port = url.port or (80 if url.scheme == "http" else 443)
    try:
        with socket.create_connection((url.hostname or "", port), timeout=timeout):
            return True
    except OSError:
        return False


def previous_run_id(save_dir: Path) -> str | None:
    """The id of the newest W&B run already in `save_dir/wandb`, if any."""
    folders = sorted((save_dir / "wandb").glob("*run-*"), key=lambda p: p.name.split("run-")[-1])
    ids = [m["id"] for p in folders if p.is_dir() and (m := _RUN_FOLDER.match(p.name))]
    return ids[-1] if ids else None


def default_names(save_dir: Path) -> tuple[str, str | None]:
    """(run name, group): the run folder's name; for a job of a multirun, `<sweep>-<job>` in
    the group `<sweep>`, the sweep folder's name; for a fold of a cross-validation,
    `<cv>-fold_<i>` in the group `<cv>`, the name the cross-validation's own folder gets."""
    if is_fold_dir(save_dir):
        cv_name, _ = default_names(save_dir.parent)
        return f"{cv_name}-{save_dir.name}", cv_name
    if (save_dir.parent / "multirun.yaml").is_file():  # Hydra's sweepers write it first
        sweep = save_dir.parent.name
        return f"{sweep}-{save_dir.name}", sweep
    return save_dir.name, None


def finish_wandb_run() -> None:
    """Finish the process's W&B run, if one is open, so the next logger starts its own."""
    wandb = sys.modules.get("wandb")  # never imported here: only a W&B logger opens a run
    if wandb is not None and wandb.run is not None:
        wandb.finish()
