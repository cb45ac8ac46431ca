"""Regression: MSE (or MAE, Huber) on standardised targets; MAE and RMSE in the targets' units."""

from collections.abc import Callable
from typing import Any, Literal

import torch
import torch.nn.functional as F
from torch import Tensor
from torchmetrics import MetricCollection
from torchmetrics.regression import MeanAbsoluteError, MeanSquaredError, R2Score

from litlab.data.scaling import ChannelScaler
from litlab.errors import ConfigError
from litlab.tasks.base import BaseTask, Columns
from litlab.tasks.report import Report

LOSSES: dict[str, Callable[[Tensor, Tensor], Tensor]] = {
    "mse": F.mse_loss,
    "mae": F.l1_loss,
    "huber": F.huber_loss,
}


class RegressionTask(BaseTask):
    """T real-valued targets; metrics `mae` and `rmse` over all targets, in original units.

    The net predicts targets scaled by the training split's statistics (the data's
    `target_scaling`; identity when it is `none`); the scaler lives in this task's weights, so
    evaluation and prediction undo exactly what training applied.

    Args (the others are BaseTask's):
        class_names: one name per target column.
        loss: the training loss on scaled targets, as Keras' `compile(loss=...)`: `mse`,
            `mae` (what the metric measures: less pull from outliers) or `huber` (delta 1).
    """

    target_kind = "regression"
    target_dtype = torch.float32  # one column per target (N, T)
    target_ndim = 2
    main_metric = "mae"
    main_mode = "min"

    def __init__(
        self, *args: Any, loss: Literal["mse", "mae", "huber"] = "mse", **kwargs: Any
    ) -> None:
        if loss not in LOSSES:
            raise ConfigError(f"task.loss={loss} is unknown; choose one of {', '.join(LOSSES)}.")
        super().__init__(*args, **kwargs)
        self.loss_fn = LOSSES[loss]
        self.target_scaler = ChannelScaler(self.num_outputs)

    def setup(self, stage: str) -> None:
        super().setup(stage)
        data = self.task_data(required=False)
        if stage == "fit" and data is not None:  # as the input scaler: a checkpoint overwrites it
            self.target_scaler.set_stats(*data.target_stats())

    def build_metrics(self) -> MetricCollection:
        return MetricCollection(
            {"mae": MeanAbsoluteError(), "rmse": MeanSquaredError(squared=False)}
        )

    def build_report_metrics(self) -> MetricCollection:
        targets = self.num_outputs
        return MetricCollection(
            {
                "mae": MeanAbsoluteError(num_outputs=targets),
                "rmse": MeanSquaredError(squared=False, num_outputs=targets),
                "r2": R2Score(multioutput="raw_values"),
            }
        )

    def build_report(self, stats: dict[str, Tensor]) -> Report:
        columns = ["mae", "rmse", "r2"]
        values = {k: stats[k].reshape(-1).tolist() for k in columns}  # (T,) each
        rows = {name: {k: values[k][i] for k in columns} for i, name in enumerate(self.class_names)}
        return Report(columns, rows)

    def loss(self, output: Tensor, target: Tensor) -> Tensor:
        return self.loss_fn(output, self.target_scaler(target))

    def metric_inputs(self, output: Tensor, target: Tensor) -> tuple[Tensor, Tensor]:
        return self.predict_outputs(output), target

    def predict_outputs(self, output: Tensor) -> Tensor:
        return self.target_scaler.inverse(output)

    def decide(self, outputs: Tensor) -> Tensor:
        return outputs  # values are their own decision

    def readable(self, values: Tensor, prefix: str) -> Columns:
        return {
            f"{prefix}_{name}": values[:, i].tolist() for i, name in enumerate(self.class_names)
        }

    def chance_level(self, train_targets: Tensor, val_targets: Tensor) -> float:
        return float((val_targets - train_targets.mean(0)).abs().mean())  # mae
