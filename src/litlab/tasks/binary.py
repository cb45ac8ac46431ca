"""Binary classification: one logit, sigmoid + binary cross-entropy."""

from collections.abc import Sequence

import torch.nn.functional as F
from torch import Tensor, nn
from torchmetrics import MetricCollection
from torchmetrics.classification import (
    BinaryAccuracy,
    BinaryAUROC,
    BinaryConfusionMatrix,
    BinaryF1Score,
)

from litlab.errors import ConfigError
from litlab.tasks.base import BaseTask, OptimizerFactory, SchedulerFactory
from litlab.tasks.report import Report, confusion_report


class BinaryTask(BaseTask):
    """Two classes from one logit (the positive class's); metrics `acc`, `f1`, `auroc`.

    Args:
        class_names: the negative then the positive class (target 0, target 1).
        threshold: probability above which a prediction is positive.
    """

    target_kind = "binary"
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
        threshold: float = 0.5,
    ) -> None:
        if len(class_names) != 2:
            raise ConfigError(
                f"task=binary needs two class names (negative, positive), got {list(class_names)}."
            )
        self.threshold = threshold
        super().__init__(
            net,
            optimizer,
            scheduler,
            input_shape=input_shape,
            num_outputs=num_outputs,
            class_names=class_names,
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
