"""Config values: the job a command runs as, its command-line overrides, plain copies.

`Job` is what litlab needs from Hydra's runtime (read once, by the entry point), so the
modules below it are given facts instead of reading Hydra's global state.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from omegaconf import DictConfig, OmegaConf

_ABSENT = object()


@dataclass(frozen=True)
class Job:
    """One run of a command, as Hydra launched it.

    Args:
        output_dir: the run (or sweep job) folder.
        overrides: the command-line overrides of this job (`data=boston`, `seed=1`).
        choices: the option chosen in each config group (`{"data": "boston", ...}`).
        multirun: whether the job is one of a sweep (`-m`, an Optuna search).
        config_dir: where Hydra saved this invocation's config (`<output dir>/.hydra`, or
            another folder when the output folder already held a run; None: not saved).
    """

    output_dir: Path
    overrides: tuple[str, ...] = ()
    choices: dict[str, str] = field(default_factory=dict)
    multirun: bool = False
    config_dir: Path | None = None

    @classmethod
    def from_hydra(cls, cfg: DictConfig) -> "Job":
        """The job Hydra is running in this process with `cfg` (its `paths.output_dir`)."""
        from hydra.core.hydra_config import HydraConfig
        from hydra.types import RunMode

        hydra_cfg = HydraConfig.get()
        output_dir = Path(cfg.paths.output_dir)
        # None outside a Hydra app (a composed config has no runtime output folder to resolve)
        subdir = OmegaConf.select(
            cast(DictConfig, hydra_cfg), "output_subdir", throw_on_resolution_failure=False
        )
        return cls(
            output_dir=output_dir,
            config_dir=output_dir / subdir if subdir is not None else None,
            overrides=tuple(hydra_cfg.overrides.task),
            choices={k: str(v) for k, v in hydra_cfg.runtime.choices.items() if v is not None},
            multirun=hydra_cfg.mode == RunMode.MULTIRUN,
        )

    @classmethod
    def of(cls, cfg: DictConfig, job: "Job | None" = None) -> "Job":
        """`job`, or for a config run outside Hydra (a test, a notebook) a job in its
        `paths.output_dir` with no overrides."""
        return job if job is not None else cls(Path(cfg.paths.output_dir))

    def overridden(self) -> set[str]:
        """The keys (or groups) the command line set: `{"data", "trainer.max_epochs"}`."""
        return set(override_values(self.overrides))


def override_values(overrides: Iterable[str]) -> dict[str, str]:
    """`["+model.dropout=0.1", "~tags", ...]` as `{"model.dropout": "0.1", "tags": "", ...}`."""
    pairs = (item.split("=", 1) for item in overrides)
    return {pair[0].lstrip("+~"): pair[1] if len(pair) > 1 else "" for pair in pairs}


def apply_overrides(target: DictConfig, source: DictConfig, overrides: Iterable[str]) -> None:
    """Give `target` the value `source` has for the key of each override (`~key` deletes it).

    Used to lay a command line over a saved config: `source` is the config the command
    composed, so its values are parsed and resolved as Hydra reads them. A group override of
    a `@package _global_` file (`experiment=...`) names no key and is skipped.
    """
    for override in overrides:
        key = override.split("=", 1)[0].lstrip("+~")
        if override.startswith("~"):
            parent, _, leaf = key.rpartition(".")
            node = OmegaConf.select(target, parent) if parent else target
            if isinstance(node, DictConfig):
                node.pop(leaf, None)
            continue
        value = OmegaConf.select(source, key, default=_ABSENT)
        if value is not _ABSENT:
            OmegaConf.update(target, key, value, merge=False)


def plain_config(cfg: DictConfig) -> dict[str, Any]:
    """The resolved config as plain dicts and lists: safe in checkpoints and logger configs."""
    container = OmegaConf.to_container(cfg, resolve=True, throw_on_missing=True)
    if not isinstance(container, dict):
        raise TypeError(f"a config must be a mapping, not {type(container).__name__}")
    return {str(key): value for key, value in container.items()}
