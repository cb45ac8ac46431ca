"""Re-test a past run: `python src/eval.py run_dir=logs/train/runs/<stamp>`.

The run's own saved config rebuilds data, task and model; overrides given here replace it.
"""

import hydra
from omegaconf import DictConfig

from litlab.entry import eval_command, run_entry
from litlab.resolvers import register_resolvers

register_resolvers()


@hydra.main(version_base="1.3", config_path="../conf", config_name="eval")
def main(cfg: DictConfig) -> float | None:
    return run_entry(eval_command, cfg)


if __name__ == "__main__":
    main()
