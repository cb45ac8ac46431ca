"""Every experiment of `conf/experiment/`, and each dataset with the nets it is meant for,
composes and trains through the whole path with no further words."""

import math

import pytest
from omegaconf import DictConfig

from litlab.entry import train_command as train
from tests.test_configs import EXPERIMENTS

MAIN_METRIC = {
    "ClassificationTask": "test/acc",
    "BinaryTask": "test/auroc",
    "RegressionTask": "test/mae",
    "MultilabelTask": "test/f1_macro",
}


def main_test_metric(cfg: DictConfig) -> str:
    return MAIN_METRIC[cfg.task._target_.rsplit(".", 1)[-1]]


@pytest.mark.parametrize("experiment", EXPERIMENTS)
def test_experiment_survives_fast_dev_run(compose_cfg, experiment):
    cfg = compose_cfg([f"experiment={experiment}", "debug=fdr"])
    metrics = train(cfg)
    assert main_test_metric(cfg) in metrics
    assert all(math.isfinite(value) for value in metrics.values()), metrics


@pytest.mark.parametrize(
    ("data", "model"),
    [("boston", "mlp"), ("apparel", "cnn"), ("iceberg", "cnn"), ("cifar10", "resnet"),
     ("fashion_mnist", "vgg"), ("digits", "cnn")],
)  # fmt: skip
def test_data_and_model_alone_train(compose_cfg, data, model):
    cfg = compose_cfg([f"data={data}", f"model={model}", "debug=fdr"])
    assert main_test_metric(cfg) in train(cfg)
