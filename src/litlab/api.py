"""litlab from Python: train as the command line does, load a run, compose configs.

    from litlab import train, load_run

    run = train(["data=digits", "model=cnn"])      # what `python src/train.py ...` runs
    run.history                                      # one row per epoch, as Keras' History
    run.predict(images)                              # with the run's own preprocessing
    load_run("logs/train/runs/<stamp>").metrics

Used by notebooks, the benchmark and the tests; the composition is the one `python
src/train.py` makes.
"""

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from omegaconf import DictConfig, open_dict

from litlab.config import Job
from litlab.registry import CONF_DIR
from litlab.resolvers import register_resolvers


def compose(
    overrides: Sequence[str] = (), config_name: str = "train", config_dir: Path = CONF_DIR
) -> tuple[DictConfig, Job]:
    """Compose a litlab config outside a Hydra app; also the job it describes.

    `${hydra:...}` interpolations resolve as in a run; give `paths.output_dir=...`, which
    only a running Hydra job defines.
    """
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra
    from hydra.core.hydra_config import HydraConfig

    register_resolvers()
    GlobalHydra.instance().clear()
    with initialize_config_dir(str(Path(config_dir).resolve()), version_base="1.3"):
        cfg = hydra_compose(config_name, overrides=list(overrides), return_hydra_config=True)
    HydraConfig.instance().set_config(cfg)
    choices = {k: str(v) for k, v in cfg.hydra.runtime.choices.items() if v is not None}
    with open_dict(cfg):
        del cfg.hydra
    job = Job(Path(cfg.paths.output_dir), overrides=tuple(overrides), choices=choices)
    return cfg, job


def compose_config(
    config_dir: Path = CONF_DIR, overrides: Sequence[str] = (), config_name: str = "train"
) -> DictConfig:
    """The config of `compose`, without its job."""
    return compose(overrides, config_name, config_dir)[0]


def train(overrides: Sequence[str] = (), *, config_dir: Path = CONF_DIR) -> "Run":
    """Run what `python src/train.py <overrides>` runs, in this process; return the run.

    The same composition, run folder (`logs/train/runs/<stamp>/` below the current folder),
    `.hydra/` files, train.log and callbacks as the command line; errors are raised as
    exceptions (a `LitlabError` carries the one-line message) instead of exit codes. Sweeps
    (`-m`) are the command line's.
    """
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir
    from hydra._internal.callbacks import Callbacks  # private: tests/test_structure.py watches it
    from hydra.core.global_hydra import GlobalHydra
    from hydra.core.utils import run_job
    from hydra.types import HydraContext

    from litlab.entry import execute, train_command
    from litlab.errors import ConfigError

    if "-m" in overrides or "--multirun" in overrides:
        raise ConfigError("litlab.train runs one run; run sweeps from the command line (-m).")
    register_resolvers()
    GlobalHydra.instance().clear()
    with initialize_config_dir(str(Path(config_dir).resolve()), version_base="1.3"):
        cfg = hydra_compose("train", [*overrides, "hydra.job.name=train"], return_hydra_config=True)
        context = HydraContext(
            config_loader=GlobalHydra.instance().config_loader(), callbacks=Callbacks(cfg)
        )
        result = run_job(
            hydra_context=context,
            task_function=lambda job_cfg: execute(train_command, job_cfg, Job.from_hydra(job_cfg)),
            config=cfg,
            job_dir_key="hydra.run.dir",
            job_subdir_key=None,
        )
    result.return_value  # noqa: B018  (raises the run's exception, if it failed)
    assert result.hydra_cfg is not None
    return load_run(Path(result.hydra_cfg.hydra.runtime.output_dir))


def load_run(run_dir: str | Path, device: str = "cpu") -> "Run":
    """A finished run, to read and to predict with (`Run`)."""
    from litlab.run import Run

    return Run(Path(run_dir), device)


if TYPE_CHECKING:
    from litlab.run import Run
