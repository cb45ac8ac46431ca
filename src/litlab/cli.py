"""What the Hydra entry points share: one-message user errors, sweep jobs that fail softly."""

import logging
import math
import os
import signal
import sys
import traceback
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path

from omegaconf import DictConfig

from litlab.env_file import load_env_file
from litlab.errors import ConfigError, LitlabError, RunInterruptedError, signal_name
from litlab.resume import resume_hint

log = logging.getLogger("litlab")


def run_entry(job: Callable[[DictConfig], Mapping[str, float]], cfg: DictConfig) -> float | None:
    """Run `job(cfg)` and return the metric a sweep optimises (`optimized_metric`).

    A user error (LitlabError) becomes one message and exit code 1; its traceback goes to the
    run log only (or to the console with HYDRA_FULL_ERROR=1). In a multirun, any failure is
    recorded in the job's `error.txt` and returns NaN, so the other jobs go on. A run stopped
    by Ctrl-C or SIGTERM says how to resume and exits with 128 + the signal's number.
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
    except RunInterruptedError as err:  # its state is saved: say how to go on, end the sweep too
        log.warning("%s", err)
        sys.exit(err.exit_code)
    except (KeyboardInterrupt, SystemExit) as err:
        signum = stopping_signal(err)
        if signum is None:
            raise
        hint = resume_hint(Path(cfg.paths.output_dir))
        log.warning("Stopped by %s. %s", signal_name(signum), hint)
        sys.exit(128 + signum)
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


def stopping_signal(err: BaseException) -> int | None:
    """The signal that ended the run with `err`, if any: Ctrl-C or SIGTERM.

    Lightning turns a KeyboardInterrupt into `sys.exit(1)` and SIGTERM into SIGTERMException.
    """
    if isinstance(err, KeyboardInterrupt) or isinstance(err.__context__, KeyboardInterrupt):
        return signal.SIGINT
    exceptions = sys.modules.get("lightning.pytorch.utilities.exceptions")  # never imported here
    if exceptions is not None and isinstance(err, exceptions.SIGTERMException):
        return signal.SIGTERM
    return None


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
