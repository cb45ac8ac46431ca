"""litlab from Python: compose the configs of `conf/` outside a Hydra app.

Used by notebooks, the benchmark and the tests; the composition is the one `python
src/train.py` makes.
"""

from collections.abc import Sequence
from pathlib import Path

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
