"""OmegaConf resolvers and config helpers shared by the entry points and the tests."""

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf, open_dict


def register_resolvers() -> None:
    """Register litlab's resolvers (idempotent): `${len:${data.class_names}}`, and those that
    send a resumed run to its own directory (see `litlab.resume`)."""
    from litlab.resume import register_resume_resolvers

    if not OmegaConf.has_resolver("len"):
        OmegaConf.register_new_resolver("len", len)
    register_resume_resolvers()


def plain_config(cfg: DictConfig) -> dict[str, Any]:
    """The resolved config as plain dicts and lists: safe in checkpoints and logger configs."""
    container = OmegaConf.to_container(cfg, resolve=True, throw_on_missing=True)
    assert isinstance(container, dict)  # a DictConfig always gives a dict
    return {str(key): value for key, value in container.items()}


def hydra_choices() -> dict[str, str]:
    """The option chosen in each config group (`{"data": "mnist", ...}`), if Hydra is active."""
    from hydra.core.hydra_config import HydraConfig

    if not HydraConfig.initialized():
        return {}
    return {k: str(v) for k, v in HydraConfig.get().runtime.choices.items() if v is not None}


def compose_config(
    config_dir: Path, overrides: Sequence[str] = (), config_name: str = "train"
) -> DictConfig:
    """Compose a litlab config outside a Hydra app (tests, benchmarks, notebooks).

    `${hydra:...}` interpolations resolve as in a run; give `paths.output_dir=...`, which
    only a running Hydra job defines.
    """
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra
    from hydra.core.hydra_config import HydraConfig

    register_resolvers()
    GlobalHydra.instance().clear()
    with initialize_config_dir(str(Path(config_dir).resolve()), version_base="1.3"):
        cfg = compose(config_name, overrides=list(overrides), return_hydra_config=True)
    HydraConfig.instance().set_config(cfg)
    with open_dict(cfg):
        del cfg.hydra
    return cfg
