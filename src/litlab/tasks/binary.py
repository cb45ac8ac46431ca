"""Binary classification: one logit, sigmoid + binary cross-entropy."""

from collections.abc import Sequence
from typing import Any

import torch.nn.functional as F
from torch import Tensor
from torchmetrics import MetricCollection
from torchmetrics.classification import (
    BinaryAccuracy,
    BinaryAUROC,
    BinaryConfusionMatrix,
    BinaryF1Score,
)

from litlab.errors import ConfigError
from litlab.tasks.base import BaseTask
from litlab.tasks.report import Report, confusion_report


class BinaryTask(BaseTask):
    """Two classes from one logit (the positive class's); metrics `acc`, `f1`, `auroc`.

    Args (the others are BaseTask's):
        class_names: the negative then the positive class (target 0, target 1).
        threshold: probability above which a prediction is positive.
    """

    target_kind = "binary"
    main_metric = "acc"
    main_mode = "max"

    def __init__(self, *args: Any, threshold: float = 0.5, **kwargs: Any) -> None:
        self.threshold = threshold
        super().__init__(*args, **kwargs)
        if len(self.class_names) != 2:
            raise ConfigError(
                f"task=binary needs two class names (negative, positive), got {self.class_names}."
            )

    @classmethod
    def outputs_for(cls, class_names: Sequence[str]) -> int:
        return 1  # the logit of the positive class

    def build_metrics(self) -> MetricCollection:
        threshold = self.threshold
        return MetricCollection(
            {
                "acc": BinaryAccuracy(threshold, validate_args=False),
                "f1": BinaryF1Score(threshold, validate_args=False),
                "auroc": BinaryAUROC(validate_args=False),
            }
        )

    def build_report_metrics(self) -> MetricCollection:
        return MetricCollection(
            {"confmat": BinaryConfusionMatrix(self.threshold, validate_args=False)}
        )

    def build_report(self, stats: dict[str, Tensor]) -> Report:
        return confusion_report(stats["confmat"], self.class_names)

    def loss(self, output: Tensor, target: Tensor) -> Tensor:
        return F.binary_cross_entropy_with_logits(output.squeeze(1), target)

    def metric_inputs(self, output: Tensor, target: Tensor) -> tuple[Tensor, Tensor]:
        # Probabilities, not logits: torchmetrics would read logits that all lie in [0, 1]
        # as probabilities.
        return output.squeeze(1).sigmoid(), target.long()

    def predict_outputs(self, output: Tensor) -> Tensor:
        return output.sigmoid()
