"""Every experiment of `conf/experiment/` composes and trains through the whole path."""

import math

import pytest

from litlab.run import train
from tests.test_configs import EXPERIMENTS

MAIN_METRIC = {
    "ClassificationTask": "test/acc",
    "BinaryTask": "test/auroc",
    "RegressionTask": "test/mae",
    "MultilabelTask": "test/f1_macro",
}


@pytest.mark.parametrize("experiment", EXPERIMENTS)
def test_experiment_survives_fast_dev_run(compose_cfg, experiment):
    cfg = compose_cfg([f"experiment={experiment}", "debug=fdr"])
    metrics = train(cfg)
    assert MAIN_METRIC[cfg.task._target_.rsplit(".", 1)[-1]] in metrics
    assert all(math.isfinite(value) for value in metrics.values()), metrics
