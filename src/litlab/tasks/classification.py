"""Single-label classification: softmax + cross-entropy over K classes."""

from typing import TYPE_CHECKING, Any

import torch
import torch.nn.functional as F
from torch import Tensor
from torchmetrics import MetricCollection
from torchmetrics.classification import (
    MulticlassAccuracy,
    MulticlassConfusionMatrix,
    MulticlassF1Score,
)

from litlab.errors import ConfigError, DataError
from litlab.tasks.base import BaseTask, Columns
from litlab.tasks.report import Report, confusion_matrix_figure, confusion_report

if TYPE_CHECKING:
    from matplotlib.figure import Figure


class ClassificationTask(BaseTask):
    """K-class classification; metrics `acc` (micro) and `f1_macro`; a per-class report and
    confusion matrix at test.

    Args (the others are BaseTask's):
        class_names: one name per class, in label order.
        label_smoothing: cross-entropy label smoothing (0 = none).
    """

    target_kind = "classification"
    target_dtype = torch.int64  # class indices (N,)
    target_ndim = 1
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

    def decide(self, outputs: Tensor) -> Tensor:
        return outputs.argmax(1)

    def readable(self, values: Tensor, prefix: str) -> Columns:
        return {prefix: self.class_labels(values)}

    def probabilities(self, outputs: Tensor) -> Columns:
        return {f"prob_{name}": outputs[:, i].tolist() for i, name in enumerate(self.class_names)}

    def report_figures(self, report: Report) -> dict[str, "Figure"]:
        return {"plots/confusion_matrix.png": confusion_matrix_figure(report)}

    def check_targets(self, targets: Tensor, source: str) -> None:
        super().check_targets(targets, source)
        if len(targets) and int(targets.min()) < 0:
            raise DataError(
                f"{source}: the files hold a negative class label {int(targets.min())}."
            )
        if len(targets) and int(targets.max()) >= len(self.class_names):
            raise ConfigError(
                f"{source}: labels go up to {int(targets.max())} but data.class_names has "
                f"{len(self.class_names)} names; give one name per class."
            )

    def chance_level(self, train_targets: Tensor, val_targets: Tensor) -> float:
        commonest = torch.mode(train_targets).values
        return float((val_targets == commonest).float().mean())  # acc
