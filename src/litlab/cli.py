"""What the Hydra entry points share: one-message user errors, sweep jobs that fail softly."""

import logging
import math
import os
import sys
import traceback
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path

from omegaconf import DictConfig

from litlab.env_file import load_env_file
from litlab.errors import ConfigError, LitlabError

log = logging.getLogger("litlab")


def run_entry(job: Callable[[DictConfig], Mapping[str, float]], cfg: DictConfig) -> float | None:
    """Run `job(cfg)` and return the metric a sweep optimises (`optimized_metric`).

    A user error (LitlabError) becomes one message and exit code 1; its traceback goes to the
    run log only (or to the console with HYDRA_FULL_ERROR=1). In a multirun, any failure is
    recorded in the job's `error.txt` and returns NaN, so the other jobs go on.
    """
    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode

    multirun = HydraConfig.get().mode == RunMode.MULTIRUN
    route_library_logs()
    # Secrets (WANDB_API_KEY, ...) come from the environment or a git-ignored .env, never a config.
    load_env_file(Path(cfg.paths.root_dir) / ".env")
    try:
        metrics = job(cfg)
        return optimized_value(metrics, cfg.get("optimized_metric"))
    except Exception as err:
        if os.environ.get("HYDRA_FULL_ERROR") == "1" or not (
            multirun or isinstance(err, LitlabError)
        ):
            raise
        log.debug("Traceback of the error below:\n%s", traceback.format_exc())
        log.error("%s", err)
        if not multirun:
            sys.exit(1)
        error_file = Path(HydraConfig.get().runtime.output_dir) / "error.txt"
        error_file.write_text(f"{type(err).__name__}: {err}\n\n{traceback.format_exc()}")
        return math.nan


def route_library_logs() -> None:
    """Let Hydra's handlers print and file Lightning's records, once each."""
    # `import lightning` gives its logger a console handler of its own, which would print
    # every record a second time beside Hydra's console handler.
    if logging.getLogger().handlers:
        logging.getLogger("lightning").handlers.clear()
    # The CSV logger shares the run directory with Hydra's files by design.
    warnings.filterwarnings(
        "ignore", message=r"Experiment logs directory .* exists and is not empty"
    )


def optimized_value(metrics: Mapping[str, float], name: str | None) -> float | None:
    if name is None:
        return None
    if name not in metrics:
        raise ConfigError(
            f"optimized_metric={name} was not logged; the run logged: {', '.join(sorted(metrics))}."
        )
    return metrics[name]
