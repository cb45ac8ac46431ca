"""Train a model: `python src/train.py data=cifar10 model=cnn trainer=gpu`.

Thin on purpose: Hydra composes the config; `litlab.entry.train_command` runs it (one run,
or a K-fold cross-validation of it).
"""

import hydra
from omegaconf import DictConfig

from litlab.entry import run_entry, train_command
from litlab.resolvers import register_resolvers

register_resolvers()


@hydra.main(version_base="1.3", config_path="../conf", config_name="train")
def main(cfg: DictConfig) -> float | None:
    return run_entry(train_command, cfg)


if __name__ == "__main__":
    main()
