"""OmegaConf resolvers and config helpers shared by the entry points and the tests."""

from typing import Any

from omegaconf import DictConfig, OmegaConf


def register_resolvers() -> None:
    """Register litlab's resolvers (idempotent): `${len:${data.class_names}}`."""
    if not OmegaConf.has_resolver("len"):
        OmegaConf.register_new_resolver("len", len)


def plain_config(cfg: DictConfig) -> dict[str, Any]:
    """The resolved config as plain dicts and lists: safe in checkpoints and logger configs."""
    container = OmegaConf.to_container(cfg, resolve=True, throw_on_missing=True)
    assert isinstance(container, dict)
    return container


def hydra_choices() -> dict[str, str]:
    """The option chosen in each config group (`{"data": "mnist", ...}`), if Hydra is active."""
    from hydra.core.hydra_config import HydraConfig

    if not HydraConfig.initialized():
        return {}
    return {k: str(v) for k, v in HydraConfig.get().runtime.choices.items() if v is not None}
