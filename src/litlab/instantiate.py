"""The one way litlab turns a config node into an object.

Every `_target_` must live under an allowed module prefix, so neither a config file nor a
config stored in a checkpoint can name arbitrary code to run.
"""

from collections.abc import Iterator
from typing import Any

from omegaconf import DictConfig, ListConfig, OmegaConf

from litlab.errors import ConfigError, LitlabError

ALLOWED_PREFIXES = ("litlab.", "torch.", "lightning.", "torchmetrics.", "kornia.")


def _targets(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if "_target_" in node:
            yield str(node["_target_"])
        for value in node.values():
            yield from _targets(value)
    elif isinstance(node, list):
        for item in node:
            yield from _targets(item)


def check_targets(cfg: DictConfig | ListConfig) -> None:
    """Raise ConfigError if any `_target_` in `cfg` is outside the allowed module prefixes."""
    for target in _targets(OmegaConf.to_container(cfg, resolve=True)):
        if not target.startswith(ALLOWED_PREFIXES):
            raise ConfigError(
                f"_target_ '{target}' is not allowed: litlab only instantiates classes under "
                f"{', '.join(ALLOWED_PREFIXES)} (add your code to the litlab package)."
            )


def instantiate(cfg: DictConfig, **kwargs: Any) -> Any:
    """Instantiate `cfg` (a node with `_target_`) after checking its targets.

    A user error (LitlabError) raised by a constructor comes out as itself, not wrapped in
    Hydra's InstantiationException, so the entry point shows its one message.
    """
    from hydra.errors import InstantiationException
    from hydra.utils import instantiate as hydra_instantiate

    check_targets(cfg)
    try:
        return hydra_instantiate(cfg, **kwargs)
    except InstantiationException as err:
        cause = err.__cause__
        while isinstance(cause, InstantiationException):  # nested `_target_` nodes
            cause = cause.__cause__
        if isinstance(cause, LitlabError):
            raise cause from None
        raise


def instantiate_group(cfg: DictConfig | None) -> list[Any]:
    """Instantiate every entry of a group of named nodes (callbacks, loggers); nulls are skipped."""
    if not cfg:
        return []
    return [instantiate(node) for node in cfg.values() if node is not None and "_target_" in node]
