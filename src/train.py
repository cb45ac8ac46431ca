"""Train a model: `python src/train.py data=cifar10 model=cnn trainer=gpu`.

Thin on purpose: the config is composed by Hydra and the run lives in `litlab.run`.
"""

import hydra
from omegaconf import DictConfig

from litlab.cli import run_entry
from litlab.config import register_resolvers

register_resolvers()


@hydra.main(version_base="1.3", config_path="../conf", config_name="train")
def main(cfg: DictConfig) -> float | None:
    from litlab.run import train  # imported here so --help and config errors answer at once

    return run_entry(train, cfg)


if __name__ == "__main__":
    main()
