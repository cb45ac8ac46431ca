"""Single-label classification: softmax + cross-entropy over K classes."""

from collections.abc import Sequence

import torch.nn.functional as F
from torch import Tensor, nn
from torchmetrics import MetricCollection
from torchmetrics.classification import (
    MulticlassAccuracy,
    MulticlassConfusionMatrix,
    MulticlassF1Score,
)

from litlab.tasks.base import BaseTask, OptimizerFactory, SchedulerFactory
from litlab.tasks.report import Report, confusion_report


class ClassificationTask(BaseTask):
    """K-class classification; metrics `acc` (micro) and `f1_macro`; a per-class report and
    confusion matrix at test.

    Args:
        class_names: one name per class, in label order.
        label_smoothing: cross-entropy label smoothing (0 = none).
    """

    target_kind = "classification"
    main_metric = "acc"
    main_mode = "max"

    def __init__(
        self,
        net: nn.Module,
        optimizer: OptimizerFactory,
        scheduler: SchedulerFactory | None = None,
        *,
        input_shape: Sequence[int],
        num_outputs: int,
        class_names: Sequence[str],
        label_smoothing: float = 0.0,
    ) -> None:
        self.label_smoothing = label_smoothing
        super().__init__(
            net,
            optimizer,
            scheduler,
            input_shape=input_shape,
            num_outputs=num_outputs,
            class_names=class_names,
        )

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
