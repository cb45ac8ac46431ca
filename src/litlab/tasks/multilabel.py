"""Multi-label classification: one sigmoid + binary cross-entropy per label."""

from typing import TYPE_CHECKING, Any

import torch
import torch.nn.functional as F
from torch import Tensor
from torchmetrics import MetricCollection
from torchmetrics.classification import (
    MultilabelAccuracy,
    MultilabelExactMatch,
    MultilabelF1Score,
    MultilabelStatScores,
)

from litlab.tasks.base import BaseTask, Columns
from litlab.tasks.report import Report, label_bars_figure, label_report

if TYPE_CHECKING:
    from matplotlib.figure import Figure


class MultilabelTask(BaseTask):
    """L independent yes/no labels; metrics `f1_macro`, `f1_micro`, `exact_match` and `acc`.

    `acc` is Keras' binary accuracy over every (sample, label) pair; it flatters sparse
    labels (predicting nothing scores the fraction of zeros), so the main metric is
    `f1_macro`. The test report gives precision, recall and F1 per label.

    Args (the others are BaseTask's):
        class_names: one name per label, in target column order.
        threshold: probability above which a label is predicted.
    """

    target_kind = "multilabel"
    target_dtype = torch.float32  # 0.0 / 1.0 per label (N, L)
    target_ndim = 2
    main_metric = "f1_macro"
    main_mode = "max"

    def __init__(self, *args: Any, threshold: float = 0.5, **kwargs: Any) -> None:
        self.threshold = threshold
        super().__init__(*args, **kwargs)

    def build_metrics(self) -> MetricCollection:
        labels, threshold = self.num_outputs, self.threshold
        return MetricCollection(
            {
                "acc": MultilabelAccuracy(labels, threshold, average="micro", validate_args=False),
                "f1_macro": MultilabelF1Score(
                    labels, threshold, average="macro", validate_args=False
                ),
                "f1_micro": MultilabelF1Score(
                    labels, threshold, average="micro", validate_args=False
                ),
                "exact_match": MultilabelExactMatch(labels, threshold, validate_args=False),
            }
        )

    def build_report_metrics(self) -> MetricCollection:
        stats = MultilabelStatScores(
            self.num_outputs, self.threshold, average="none", validate_args=False
        )
        return MetricCollection({"stats": stats})

    def build_report(self, stats: dict[str, Tensor]) -> Report:
        return label_report(stats["stats"], self.class_names)

    def loss(self, output: Tensor, target: Tensor) -> Tensor:
        return F.binary_cross_entropy_with_logits(output, target)

    def metric_inputs(self, output: Tensor, target: Tensor) -> tuple[Tensor, Tensor]:
        return output.sigmoid(), target.long()  # probabilities, as in BinaryTask

    def predict_outputs(self, output: Tensor) -> Tensor:
        return output.sigmoid()

    def decide(self, outputs: Tensor) -> Tensor:
        return outputs > self.threshold

    def readable(self, values: Tensor, prefix: str) -> Columns:
        rows = (values > 0.5).tolist()  # decisions are bools, targets 0.0 / 1.0
        names = self.class_names
        return {prefix: [" ".join(n for n, on in zip(names, r, strict=True) if on) for r in rows]}

    def probabilities(self, outputs: Tensor) -> Columns:
        return {f"prob_{name}": outputs[:, i].tolist() for i, name in enumerate(self.class_names)}

    def report_figures(self, report: Report) -> dict[str, "Figure"]:
        return {"plots/label_scores.png": label_bars_figure(report)}

    def chance_level(self, train_targets: Tensor, val_targets: Tensor) -> float:
        guess = (train_targets.mean(0, keepdim=True) >= 0.5).float().expand_as(val_targets)
        tp = (guess * val_targets).sum(0)
        wrong = (guess != val_targets).float().sum(0)  # fp + fn per label
        return float((2 * tp / (2 * tp + wrong).clamp(min=1)).mean())  # f1_macro
