"""The run folder: its layout, its saved config, where a resumed run goes, and its lock.

    <run dir>/.hydra/config.yaml     the composed config (Hydra writes it before the job)
    <run dir>/checkpoints/best.ckpt  the best checkpoint (the one the test uses), last.ckpt
    <run dir>/metrics.json           every final metric by name
    <run dir>/fold_<i>/              one fit of a cross-validation, itself a run folder
    <run dir>/.lock                  held by the process that runs in the folder

Resuming (`resume=<run dir>` or `ckpt_path=last`) sends Hydra back to the run's own folder
through two resolvers of conf/hydra/default.yaml (`litlab.resolvers` registers them):
`hydra.run.dir` becomes that folder and the new invocation's `.hydra/` files go to
`.hydra/resumed-<stamp>/`, so the run's original config stays as it was. A new run sent into a
folder that already holds one writes its `.hydra/` files to `.hydra/refused-<stamp>/` and is
refused (`check_fresh`), so nothing of the first is changed.
"""

import json
import math
import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from omegaconf import DictConfig, OmegaConf

from litlab.config import Job, apply_overrides
from litlab.errors import ConfigError
from litlab.registry import saved_config

CONFIG = Path(".hydra") / "config.yaml"
CHECKPOINTS = Path("checkpoints")
BEST = CHECKPOINTS / "best.ckpt"
LAST = CHECKPOINTS / "last.ckpt"
BEST_WEIGHTS = CHECKPOINTS / "best_weights.pt"
METRICS = Path("metrics.json")
LOCK = Path(".lock")
CV_SUMMARY = Path("cv_summary.json")
_FOLD_DIR = re.compile(r"fold_\d+")
# Keys of the resume command that choose what to resume, not how.
_RESUME_KEYS = ("resume", "ckpt_path")


def fold_dir(run_dir: Path, fold: int) -> Path:
    """The folder of fold `fold`'s fit in the cross-validation run `run_dir`."""
    return run_dir / f"fold_{fold}"


def is_fold_dir(path: Path) -> bool:
    """Whether `path` is named as `fold_dir` names the fits of a cross-validation."""
    return _FOLD_DIR.fullmatch(path.name) is not None


def process_rank() -> int:
    """This process's rank in a distributed run, from the launcher's variables (0 if none)."""
    for name in ("RANK", "SLURM_PROCID", "LOCAL_RANK", "NODE_RANK"):
        value = os.environ.get(name, "")
        if value.isdigit() and int(value) > 0:
            return int(value)
    return 0


def write_metrics(path: Path, metrics: Mapping[str, float]) -> None:
    """Write `metrics.json` (rank 0): a flat, sorted map of metric name -> number (NaN: null)."""
    if process_rank() != 0:
        return
    clean = {k: (None if math.isnan(v) else v) for k, v in sorted(metrics.items())}
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(json.dumps(clean, indent=2) + "\n")
    os.replace(partial, path)


# -- where a run goes ---------------------------------------------------------------------------


def resume_run_dir(resume: str | None, ckpt_path: str | None, new_dir: str) -> str:
    """The folder of this invocation: the run to continue, or `new_dir` made unique.

    `resume=<dir>` continues that folder; `ckpt_path=last` the newest run beside `new_dir`
    with a last checkpoint. A new run whose stamped folder exists (two runs started in the
    same second) gets `<new_dir>-1`, `-2`, ...
    """
    if resume is not None and Path(resume).is_dir():
        return str(Path(resume).resolve())
    if resume is None and ckpt_path == "last":
        latest = latest_run(Path(new_dir).parent)
        if latest is not None:
            return str(latest)
    unique, n = new_dir, 0
    while Path(unique).exists():
        n += 1
        unique = f"{new_dir}-{n}"
    return unique


def config_subdir(
    run_dir: str, resume: str | None, ckpt_path: str | None, stamp: str
) -> str | None:
    """Where Hydra writes this invocation's `.hydra/` files in `run_dir` (None: nowhere).

    `.hydra` for a new run; `.hydra/resumed-<stamp>` when continuing a run; for a new run in a
    folder that already holds one, `.hydra/refused-<stamp>` (the job is then refused); none
    for the ranks > 0 of a multi-node job, which share rank 0's folder.
    """
    if process_rank() != 0:
        return None
    if resume is not None or ckpt_path == "last":
        return f".hydra/resumed-{stamp}"
    if (Path(run_dir) / CONFIG).is_file():
        return f".hydra/refused-{stamp}"
    return ".hydra"


def latest_run(runs_dir: Path) -> Path | None:
    """The newest run (by its time-stamped name) in `runs_dir` with a last checkpoint."""
    if not runs_dir.is_dir():
        return None
    runs = sorted(p for p in runs_dir.iterdir() if (p / LAST).is_file() and (p / CONFIG).is_file())
    return runs[-1].resolve() if runs else None


def resume_hint(run_dir: Path) -> str:
    """The command that continues the run in `run_dir`; empty if it has no last checkpoint."""
    if not (run_dir / LAST).is_file():
        return ""
    return f"Continue it with: python src/train.py resume={run_dir}"


def resuming(cfg: DictConfig) -> bool:
    """Whether `cfg` asks to continue an earlier run."""
    return cfg.get("resume") is not None or cfg.get("ckpt_path") == "last"


def resumed_config(cfg: DictConfig, job: Job) -> DictConfig:
    """The saved config of the run Hydra was sent to, set to continue from its last checkpoint.

    Keys given on this command line (other than resume and ckpt_path) take their new values.
    The saved config is data (`litlab.registry.saved_config`).
    """
    asked = f"resume={cfg.resume}" if cfg.get("resume") is not None else "ckpt_path=last"
    if job.multirun:
        raise ConfigError(f"{asked} continues one run: run it without -m.")
    run_dir = job.output_dir
    if not (run_dir / LAST).is_file() or not (run_dir / CONFIG).is_file():
        looked = cfg.resume if cfg.get("resume") is not None else f"the runs beside {run_dir}"
        absent = [str(name) for name in (LAST, CONFIG) if not (run_dir / name).is_file()]
        raise ConfigError(
            f"{asked}: found no run to continue in {looked} (it lacks {' and '.join(absent)}). "
            "Give resume=<run dir>, a folder of logs/train/runs with both."
        )
    loaded = OmegaConf.load(run_dir / CONFIG)
    if not isinstance(loaded, DictConfig):
        raise ConfigError(f"{run_dir / CONFIG} is not a config mapping; the run cannot resume.")
    saved = saved_config(loaded, run_dir / CONFIG)
    overrides = [o for o in job.overrides if o.split("=", 1)[0].lstrip("+~") not in _RESUME_KEYS]
    apply_overrides(saved, cfg, overrides)
    saved.resume = None
    saved.ckpt_path = str(run_dir / LAST)
    return saved


def check_fresh(cfg: DictConfig, job: Job, config_dir: Path | None) -> None:
    """Refuse a new run in a folder that already holds one (its `.hydra/` went elsewhere)."""
    if config_dir is None or resuming(cfg) or not config_dir.name.startswith("refused-"):
        return
    run_dir = job.output_dir
    raise ConfigError(
        f"{run_dir} already holds a run (its {CONFIG}); a second run there would mix their "
        f"results. Continue that run with resume={run_dir}, or give this one a folder of its own "
        "(another hydra.run.dir, or none for a new stamped folder)."
    )


# -- the lock -----------------------------------------------------------------------------------


@contextmanager
def hold(run_dir: Path) -> Iterator[None]:
    """Hold `run_dir` while the block runs: a second process is refused with one message.

    An OS file lock on `<run dir>/.lock`, released by the OS when the process ends however it
    ends, so a killed run leaves no stale lock (the file may stay; it locks nothing). The file
    is removed when the block ends. Ranks > 0 share rank 0's folder and hold nothing.
    """
    try:
        import fcntl
    except ImportError:  # no flock (Windows): runs are not guarded
        yield
        return
    if process_rank() != 0:
        yield
        return
    run_dir.mkdir(parents=True, exist_ok=True)
    with open(run_dir / LOCK, "a+") as file:
        try:
            fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            file.seek(0)
            holder = file.read().strip() or "unknown"
            raise ConfigError(
                f"{run_dir} is in use by another run (process {holder}); two runs in one folder "
                "would mix their results. Wait for it to end (or stop it), then resume it with "
                f"resume={run_dir}; or start a new run in a folder of its own."
            ) from None
        file.seek(0)
        file.truncate()
        file.write(f"{os.getpid()}\n")
        file.flush()
        for partial in (run_dir / CHECKPOINTS).glob(".*.partial"):  # a killed write's leftovers
            partial.unlink(missing_ok=True)
        try:
            yield
        finally:
            (run_dir / LOCK).unlink(missing_ok=True)
            fcntl.flock(file, fcntl.LOCK_UN)
