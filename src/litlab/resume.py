"""Continue a stopped run in its own directory: `resume=<run dir>` or `ckpt_path=last`.

Two resolvers in conf/hydra/default.yaml send Hydra to the run being resumed: `run.dir`
becomes that run's directory, and this invocation's `.hydra/` files go to
`.hydra/resumed-<stamp>/`, so the run's original config stays as it was. The job then
continues from `checkpoints/last.ckpt` with the run's saved config (`resumed_config`); keys
given on the command line (`trainer.max_epochs=20`) replace the saved ones. The W&B logger
finds the run's W&B id in its directory and continues that W&B run.
"""

from pathlib import Path

from omegaconf import DictConfig, OmegaConf

from litlab.errors import ConfigError

LAST = "checkpoints/last.ckpt"
SAVED_CONFIG = ".hydra/config.yaml"
# Keys of the resume command that choose what to resume, not how.
_RESUME_KEYS = ("resume", "ckpt_path")
_ABSENT = object()


def register_resume_resolvers() -> None:
    """`${resume_run_dir:...}` and `${config_subdir:...}` for conf/hydra/default.yaml."""
    if not OmegaConf.has_resolver("resume_run_dir"):
        OmegaConf.register_new_resolver("resume_run_dir", resume_run_dir)
    if not OmegaConf.has_resolver("config_subdir"):
        OmegaConf.register_new_resolver("config_subdir", config_subdir)


def resume_run_dir(resume: str | None, ckpt_path: str | None, new_dir: str) -> str:
    """The run directory to continue, if it has a last checkpoint; else `new_dir`.

    `ckpt_path=last` means the newest run next to `new_dir` (same runs folder) with one.
    """
    if resume is not None:
        return str(Path(resume).resolve()) if (Path(resume) / LAST).is_file() else new_dir
    if ckpt_path == "last":
        latest = latest_run(Path(new_dir).parent)
        return str(latest) if latest is not None else new_dir
    return new_dir


def config_subdir(run_dir: str, resume: str | None, ckpt_path: str | None, stamp: str) -> str:
    """`.hydra`, or `.hydra/resumed-<stamp>` when resuming a run that has its saved config."""
    resumed = (resume is not None or ckpt_path == "last") and (
        Path(run_dir) / SAVED_CONFIG
    ).is_file()
    return f".hydra/resumed-{stamp}" if resumed else ".hydra"


def resume_hint(run_dir: Path) -> str:
    """The command that continues the run in `run_dir`; empty if it has no last checkpoint."""
    if not (run_dir / LAST).is_file():
        return ""
    return f"Continue it with: python src/train.py resume={run_dir}"


def latest_run(runs_dir: Path) -> Path | None:
    """The newest run (by its time-stamped name) in `runs_dir` with a last checkpoint."""
    if not runs_dir.is_dir():
        return None
    runs = sorted(p for p in runs_dir.iterdir() if (p / LAST).is_file())
    return runs[-1].resolve() if runs else None


def resuming(cfg: DictConfig) -> bool:
    """Whether `cfg` asks to continue an earlier run."""
    return cfg.get("resume") is not None or cfg.get("ckpt_path") == "last"


def resumed_config(cfg: DictConfig) -> DictConfig:
    """The saved config of the run Hydra was sent to, set to continue from its last checkpoint.

    Keys given on this command line (other than resume and ckpt_path) take their new values.
    """
    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode

    asked = f"resume={cfg.resume}" if cfg.get("resume") is not None else "ckpt_path=last"
    hydra_cfg = HydraConfig.get()
    if hydra_cfg.mode == RunMode.MULTIRUN:
        raise ConfigError(f"{asked} continues one run: run it without -m.")
    run_dir = Path(cfg.paths.output_dir)
    if not (run_dir / LAST).is_file() or not (run_dir / SAVED_CONFIG).is_file():
        looked = cfg.resume if cfg.get("resume") is not None else f"the runs in {run_dir.parent}"
        raise ConfigError(
            f"{asked}: found no run to continue in {looked} (a run directory with {LAST} and "
            f"{SAVED_CONFIG}). Give resume=<run dir>, e.g. a folder of logs/train/runs."
        )
    saved = OmegaConf.load(run_dir / SAVED_CONFIG)
    assert isinstance(saved, DictConfig)
    OmegaConf.set_struct(saved, False)
    for override in hydra_cfg.overrides.task:
        _apply(saved, cfg, override)
    saved.resume = None
    saved.ckpt_path = str(run_dir / LAST)
    return saved


def _apply(saved: DictConfig, cfg: DictConfig, override: str) -> None:
    """Give `saved` the value `cfg` has for the key of `override` (or delete it: `~key`)."""
    key = override.split("=", 1)[0].lstrip("+~")
    if key in _RESUME_KEYS:
        return
    if override.startswith("~"):
        parent, _, leaf = key.rpartition(".")
        node = OmegaConf.select(saved, parent) if parent else saved
        if isinstance(node, DictConfig):
            node.pop(leaf, None)
        return
    value = OmegaConf.select(cfg, key, default=_ABSENT)
    if value is not _ABSENT:  # group overrides of @package _global_ files have no key
        OmegaConf.update(saved, key, value, merge=False)
