"""Single-label classification: softmax + cross-entropy over K classes."""

from typing import Any

import torch.nn.functional as F
from torch import Tensor
from torchmetrics import MetricCollection
from torchmetrics.classification import (
    MulticlassAccuracy,
    MulticlassConfusionMatrix,
    MulticlassF1Score,
)

from litlab.tasks.base import BaseTask
from litlab.tasks.report import Report, confusion_report


class ClassificationTask(BaseTask):
    """K-class classification; metrics `acc` (micro) and `f1_macro`; a per-class report and
    confusion matrix at test.

    Args (the others are BaseTask's):
        class_names: one name per class, in label order.
        label_smoothing: cross-entropy label smoothing (0 = none).
    """

    target_kind = "classification"
    main_metric = "acc"
    main_mode = "max"

    def __init__(self, *args: Any, label_smoothing: float = 0.0, **kwargs: Any) -> None:
        self.label_smoothing = label_smoothing
        super().__init__(*args, **kwargs)

    def build_metrics(self) -> MetricCollection:
        classes = self.num_outputs
        return MetricCollection(
            {
                "acc": MulticlassAccuracy(classes, average="micro", validate_args=False),
                "f1_macro": MulticlassF1Score(classes, average="macro", validate_args=False),
            }
        )

    def build_report_metrics(self) -> MetricCollection:
        return MetricCollection(
            {"confmat": MulticlassConfusionMatrix(self.num_outputs, validate_args=False)}
        )

    def build_report(self, stats: dict[str, Tensor]) -> Report:
        return confusion_report(stats["confmat"], self.class_names)

    def loss(self, output: Tensor, target: Tensor) -> Tensor:
        return F.cross_entropy(output, target, label_smoothing=self.label_smoothing)

    def predict_outputs(self, output: Tensor) -> Tensor:
        return output.softmax(dim=1)
