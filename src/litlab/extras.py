"""Conveniences before a run: the composed config printed as a tree."""

from lightning.pytorch.utilities import rank_zero_only
from omegaconf import DictConfig, OmegaConf


@rank_zero_only
def print_config_tree(cfg: DictConfig) -> None:
    """Print each top-level group of `cfg` as a branch of a rich tree (resolved YAML)."""
    from rich import print as rich_print
    from rich.syntax import Syntax
    from rich.tree import Tree

    tree = Tree("config", guide_style="dim")
    for key, value in cfg.items():
        text = (
            OmegaConf.to_yaml(value, resolve=True) if isinstance(value, DictConfig) else str(value)
        )
        tree.add(str(key)).add(Syntax(text.rstrip(), "yaml"))
    rich_print(tree)
