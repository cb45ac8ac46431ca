"""Predict with a past run: `python src/predict.py run_dir=logs/train/runs/<stamp> [inputs=<path>]`.

Writes `predictions.csv` for the run's test split, or for a folder of images / a CSV / a JSON
file of new inputs in the run's dataset format.
"""

import hydra
from omegaconf import DictConfig

from litlab.entry import predict_command, run_entry
from litlab.resolvers import register_resolvers

register_resolvers()


@hydra.main(version_base="1.3", config_path="../conf", config_name="predict")
def main(cfg: DictConfig) -> float | None:
    return run_entry(predict_command, cfg)


if __name__ == "__main__":
    main()
