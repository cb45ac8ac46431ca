"""Re-test a past run: `python src/eval.py run_dir=logs/train/runs/<stamp>`.

The run's own saved config rebuilds data, task and model; overrides given here replace it.
"""

import hydra
from omegaconf import DictConfig

from litlab.cli import run_entry
from litlab.config import register_resolvers

register_resolvers()


@hydra.main(version_base="1.3", config_path="../conf", config_name="eval")
def main(cfg: DictConfig) -> float | None:
    from litlab.evaluate import evaluate  # imported here so --help and config errors answer at once

    return run_entry(evaluate, cfg)


if __name__ == "__main__":
    main()
