"""Look at the data without training (`src/show.py`): the figures a fit's preview draws."""

import logging
from pathlib import Path

from omegaconf import DictConfig

from litlab.build import build_datamodule, build_task, check_compatible
from litlab.callbacks.preview import data_figures
from litlab.config import Job
from litlab.errors import ConfigError

log = logging.getLogger(__name__)


def show(cfg: DictConfig, job: Job | None = None) -> dict[str, float]:
    """Write `plots/samples.png` (and `plots/augmented.png`) of `cfg`'s data; return how many."""
    job = Job.of(cfg, job)
    check_compatible(cfg, job.choices)
    datamodule = build_datamodule(cfg)
    datamodule.setup("fit")
    figures = data_figures(datamodule, build_task(cfg))
    if not figures:
        raise ConfigError(
            f"data={job.choices.get('data', cfg.data._target_)} holds no images to show: "
            f"its inputs have shape {list(cfg.data.input_shape)}."
        )
    for name, figure in figures.items():
        path = Path(cfg.paths.output_dir) / name
        path.parent.mkdir(parents=True, exist_ok=True)
        figure.savefig(path, dpi=120)
        log.info("%s", path)
    return {"figures": float(len(figures))}
