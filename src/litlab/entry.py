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

        route_library_logs()
        return cross_validate(cfg, job)
    from litlab.training import train

    route_library_logs()
    return train(cfg, job)


def eval_command(cfg: DictConfig, job: Job) -> Metrics:
    """`src/eval.py`: test a past run's checkpoint."""
    from litlab.evaluate import evaluate

    route_library_logs()
    return evaluate(cfg, job)


def predict_command(cfg: DictConfig, job: Job) -> Metrics:
    """`src/predict.py`: predictions of a past run."""
    from litlab.predict import predict

    route_library_logs()
    return predict(cfg, job)


def execute(command: Command, cfg: DictConfig, job: Job) -> Metrics:
    """Run `command` as `job`: secrets from `.env`, first words, the hardware asked for, the
    run folder held. Errors propagate (`run_entry` turns them into messages and exit codes;
    `litlab.api.train` raises them in a notebook)."""
    # Secrets (WANDB_API_KEY, ...) come from the environment or a git-ignored .env, never a config.
    load_env_file(Path(cfg.paths.root_dir) / ".env")
    # First words before the heavy imports (torch and Lightning take seconds to load).
    chosen = " ".join(
        f"{g}={job.choices[g]}" for g in ("data", "model", "trainer") if g in job.choices
    )
    log.info(
        "%s %s in %s (loading torch and Lightning)", cfg.get("task_name"), chosen, job.output_dir
    )
    check_hardware(cfg.trainer, job.choices.get("trainer"))
    check_fresh(cfg, job, job.config_dir)
    with hold(job.output_dir):
        return command(cfg, job)


def show_command(cfg: DictConfig, job: Job) -> Metrics:
    """`src/show.py`: draw the data (and its augmentation) without training."""
    from litlab.show import show

    route_library_logs()
    return show(cfg, job)


def run_entry(command: Command, cfg: DictConfig) -> float | None:
    """Run `command` as the job Hydra started; return the metric a sweep optimises."""
    job = Job.from_hydra(cfg)
    try:
        metrics = execute(command, cfg, job)
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
    except Exception as raised:
        error = resolver_error(raised)
        if os.environ.get("HYDRA_FULL_ERROR") == "1" or not (
            job.multirun or isinstance(error, LitlabError | OSError)
        ):
            raise
        log.debug("Traceback of the error below:\n%s", traceback.format_exc())
        log.error("%s", error_message(error))
        if not job.multirun:
            sys.exit(1)
        error_file = job.output_dir / "error.txt"
        error_file.write_text(f"{type(error).__name__}: {error}\n\n{traceback.format_exc()}")
        return math.nan


def resolver_error(err: Exception) -> Exception:
    """The user error (LitlabError) a config resolver raised, which OmegaConf wraps in an
    InterpolationResolutionError (`data.target_kind=ordinal` has no task); a required key left
    empty (`???`, e.g. model=custom without model._target_) as one; else `err`."""
    from omegaconf.errors import InterpolationResolutionError, MissingMandatoryValue

    if isinstance(err, MissingMandatoryValue):
        key = err.full_key or "a key"
        return ConfigError(f"{key} has no value (???) but the run needs one: give {key}=<value>.")

    cause: BaseException | None = err
    while isinstance(err, InterpolationResolutionError) and cause is not None:
        if isinstance(cause, LitlabError):
            return cause
        cause = cause.__cause__ or cause.__context__
    return err


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


# Warnings Lightning gives about choices litlab makes on purpose; any other warning is shown.
HARMLESS_WARNINGS = (
    r"Experiment logs directory .* exists and is not empty",  # the CSV log is the run folder's
    r"Checkpoint directory .* exists and is not empty",  # a resumed run writes its own files
    r"The number of training batches .* is smaller than the logging interval",  # per epoch
    r".*does not have many workers",  # batches are slices of tensors in memory
    r"Be aware that when using `ckpt_path`, callbacks used to create the checkpoint",  # eval
    r"You requested to overfit but enabled .* shuffling",  # debug=overfit
    r"`isinstance\(treespec, LeafSpec\)` is deprecated",  # inside Lightning and torch
)


def route_library_logs() -> None:
    """After Lightning is imported: its records go through Hydra's handlers, once each (the
    console shows its warnings; train.log gets everything), and known-harmless warnings go."""
    # Imported before any root handler exists (a notebook, a pre-forking server), Lightning
    # gives its loggers console handlers of their own and stops them propagating: their
    # records would skip the filters of Hydra's handlers and train.log.
    if logging.getLogger().handlers:
        for name in ("lightning", "lightning.pytorch", "lightning.fabric"):
            logger = logging.getLogger(name)
            logger.handlers.clear()
            logger.propagate = True
    for message in HARMLESS_WARNINGS:
        warnings.filterwarnings("ignore", message=message)


class ConsoleFormatter(logging.Formatter):
    """The console's lines: the message alone, as Keras prints; `WARNING:` or `ERROR:` before
    those that need the eye. (train.log keeps the time and the logger of every line.)"""

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        return text if record.levelno <= logging.INFO else f"{record.levelname}: {text}"


class LibraryChatter(logging.Filter):
    """For the console: drops the information lines of the libraries (Lightning's device
    report, tips, `Trainer.fit stopped`); their warnings and errors pass, train.log keeps all."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.WARNING or not record.name.startswith("lightning")


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
