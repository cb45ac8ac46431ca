"""Look at the data without training: `python src/show.py data=cifar10 augment=keras`.

Draws `plots/samples.png` (training images with their labels) and, with augmentation,
`plots/augmented.png` (the same images after it) in `logs/show/runs/<stamp>/`.
"""

import hydra
from omegaconf import DictConfig

from litlab.entry import run_entry, show_command
from litlab.resolvers import register_resolvers

register_resolvers()


@hydra.main(version_base="1.3", config_path="../conf", config_name="show")
def main(cfg: DictConfig) -> float | None:
    return run_entry(show_command, cfg)


if __name__ == "__main__":
    main()
