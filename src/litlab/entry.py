"""What the entry points share: the commands, one-message errors, exit codes a scheduler trusts.

`src/train.py`, `src/eval.py` and `src/predict.py` hand their composed config to `run_entry`
with one of the commands below. A user error (LitlabError) becomes one message and exit code
1, its traceback going to the run log only (or to the console with HYDRA_FULL_ERROR=1); in a
multirun a failed job is recorded in its `error.txt` and the sweep goes on (the sweep then
exits 1, see `litlab.sweeps.hydra_callbacks`); a run stopped by Ctrl-C or SIGTERM says how to
resume and exits with 128 + the signal's number.
"""

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

from litlab.config import Job
from litlab.errors import ConfigError, LitlabError, RunInterruptedError, signal_name
from litlab.machine import check_hardware
from litlab.rundir import check_fresh, hold, resume_hint

log = logging.getLogger("litlab")

Metrics = Mapping[str, float]
Command = Callable[[DictConfig, Job], Metrics]


def train_command(cfg: DictConfig, job: Job | None = None) -> Metrics:
    """`src/train.py`: one run, or a K-fold cross-validation of it (`cv.folds=k`)."""
    if cfg.get("cv") and cfg.cv.folds is not None:
        from litlab.cv import cross_validate

        return cross_validate(cfg, job)
    from litlab.train import train

    return train(cfg, job)


def eval_command(cfg: DictConfig, job: Job) -> Metrics:
    """`src/eval.py`: test a past run's checkpoint."""
    from litlab.evaluate import evaluate

    return evaluate(cfg, job)


def predict_command(cfg: DictConfig, job: Job) -> Metrics:
    """`src/predict.py`: predictions of a past run."""
    from litlab.predict import predict

    return predict(cfg, job)


def run_entry(command: Command, cfg: DictConfig) -> float | None:
    """Run `command` as the job Hydra started; return the metric a sweep optimises."""
    job = Job.from_hydra(cfg)
    route_library_logs()
    # Secrets (WANDB_API_KEY, ...) come from the environment or a git-ignored .env, never a config.
    load_env_file(Path(cfg.paths.root_dir) / ".env")
    try:
        check_hardware(cfg.trainer, job.choices.get("trainer"))
        check_fresh(cfg, job, job.config_dir)
        with hold(job.output_dir):
            metrics = command(cfg, job)
        return optimized_value(metrics, cfg.get("optimized_metric"))
    except RunInterruptedError as err:  # its state is saved: say how to go on, end the sweep too
        log.warning("%s %s", err, resume_hint(job.output_dir))
        sys.exit(err.exit_code)
    except (KeyboardInterrupt, SystemExit) as err:
        signum = stopping_signal(err)
        if signum is None:
            raise
        log.warning("Stopped by %s. %s", signal_name(signum), resume_hint(job.output_dir))
        sys.exit(128 + signum)
    except Exception as err:
        if os.environ.get("HYDRA_FULL_ERROR") == "1" or not (
            job.multirun or isinstance(err, LitlabError | OSError)
        ):
            raise
        log.debug("Traceback of the error below:\n%s", traceback.format_exc())
        log.error("%s", error_message(err))
        if not job.multirun:
            sys.exit(1)
        error_file = job.output_dir / "error.txt"
        error_file.write_text(f"{type(err).__name__}: {err}\n\n{traceback.format_exc()}")
        return math.nan


def error_message(err: Exception) -> str:
    """The one line shown for a user error; a disk or file-system error names the path."""
    if isinstance(err, OSError) and not isinstance(err, LitlabError):
        where = f" ({err.filename})" if err.filename else ""
        return (
            f"{err.strerror or err}{where}: litlab could not read or write a file. Check the "
            "path, its permissions and the free space (df -h); the files written before it "
            "are kept."
        )
    return str(err)


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


def optimized_value(metrics: Metrics, name: str | None) -> float | None:
    """The value of `optimized_metric` (what a sweep ranks), if one is set."""
    if name is None:
        return None
    if name not in metrics:
        raise ConfigError(
            f"optimized_metric={name} was not logged; the run logged: {', '.join(sorted(metrics))}."
        )
    return metrics[name]


def load_env_file(path: Path) -> list[str]:
    """Set each `NAME=value` line of a `.env` file that the environment does not set yet.

    Blank lines, `#` comments and an `export ` prefix are allowed; quotes around a value are
    removed. Returns the names set (never their values). A missing file sets nothing.
    """
    if not path.is_file():
        return []
    names = []
    for raw in path.read_text().splitlines():
        line = raw.strip().removeprefix("export ").strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        name, value = (part.strip() for part in line.split("=", 1))
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        if name not in os.environ:
            os.environ[name] = value
            names.append(name)
    return names
