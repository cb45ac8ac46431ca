"""Binary classification: one logit, sigmoid + binary cross-entropy."""

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import torch
import torch.nn.functional as F
from torch import Tensor
from torchmetrics import MetricCollection
from torchmetrics.classification import (
    BinaryAccuracy,
    BinaryAUROC,
    BinaryConfusionMatrix,
    BinaryF1Score,
)

from litlab.errors import ConfigError, DataError
from litlab.tasks.base import BaseTask, Columns
from litlab.tasks.report import Report, confusion_matrix_figure, confusion_report

if TYPE_CHECKING:
    from matplotlib.figure import Figure


class BinaryTask(BaseTask):
    """Two classes from one logit (the positive class's); metrics `acc`, `f1`, `auroc`.

    Args (the others are BaseTask's):
        class_names: the negative then the positive class (target 0, target 1).
        threshold: probability above which a prediction is positive.
    """

    target_kind = "binary"
    target_dtype = torch.float32  # 0.0 / 1.0 (N,)
    target_ndim = 1
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
                # Binned: a running state of fixed size (exact to 1e-3), not every output.
                "auroc": BinaryAUROC(thresholds=1001, validate_args=False),
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

    def decide(self, outputs: Tensor) -> Tensor:
        return outputs > self.threshold  # (N, 1)

    def readable(self, values: Tensor, prefix: str) -> Columns:
        return {prefix: self.class_labels(values)}

    def probabilities(self, outputs: Tensor) -> Columns:
        return {f"prob_{self.class_names[1]}": outputs.reshape(-1).tolist()}

    def report_figures(self, report: Report) -> dict[str, "Figure"]:
        return {"plots/confusion_matrix.png": confusion_matrix_figure(report)}

    def check_targets(self, targets: Tensor, source: str) -> None:
        super().check_targets(targets, source)
        if not torch.isin(targets, torch.tensor([0.0, 1.0])).all():
            raise DataError(f"{source}: binary targets must be 0 or 1; fix the labels.")

    def chance_level(self, train_targets: Tensor, val_targets: Tensor) -> float:
        commonest = float(train_targets.mean() >= 0.5)
        return float((val_targets == commonest).float().mean())  # acc
