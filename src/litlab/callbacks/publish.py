"""Write a figure or a text into the run directory and send it to every active logger.

CSV keeps files (a copy goes to its folder when that is not the run directory), TensorBoard
gets `add_figure` / `add_text`, W&B `log_image` / `log_text`. Call from rank zero only.
"""

import logging
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import lightning as L
from lightning.pytorch.loggers import CSVLogger, TensorBoardLogger, WandbLogger

if TYPE_CHECKING:
    from matplotlib.figure import Figure

log = logging.getLogger(__name__)


def publish_figure(trainer: L.Trainer, run_dir: Path, name: str, figure: "Figure") -> Path:
    """Save `figure` as `run_dir/name` (a .png path) and log it as `name` without suffix."""
    path = run_dir / name
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=120)
    key = str(Path(name).with_suffix(""))
    for logger in trainer.loggers:
        if isinstance(logger, TensorBoardLogger):
            logger.experiment.add_figure(key, figure, global_step=trainer.global_step, close=False)
        elif isinstance(logger, WandbLogger):
            logger.log_image(key=key, images=[str(path)])
        else:
            _copy_for(logger, run_dir, name)
    return path


def publish_text(trainer: L.Trainer, run_dir: Path, name: str, text: str) -> Path:
    """Write `text` to `run_dir/name` and log it as `name` without suffix."""
    path = run_dir / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    key = str(Path(name).with_suffix(""))
    for logger in trainer.loggers:
        if isinstance(logger, TensorBoardLogger):
            # TensorBoard renders markdown: indent by four spaces for a monospace block.
            block = "\n".join("    " + line for line in text.splitlines())
            logger.experiment.add_text(key, block, global_step=trainer.global_step)
        elif isinstance(logger, WandbLogger):
            logger.log_text(key=key, columns=[key], data=[[text]])
        else:
            _copy_for(logger, run_dir, name)
    return path


def _copy_for(logger: object, run_dir: Path, name: str) -> None:
    """A CSV logger writing elsewhere than the run directory gets its own copy."""
    if not isinstance(logger, CSVLogger):
        log.debug("%s takes no files; %s stays in %s.", type(logger).__name__, name, run_dir)
        return
    target = Path(logger.log_dir) / name
    if target.resolve() != (run_dir / name).resolve():
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(run_dir / name, target)
