"""The base LightningModule: the step loop, logging, scaling and optimisers of every task.

A task subclass chooses its loss, its metrics and how raw outputs become predictions; it
never re-implements the loop. Metric names are `<stage>/<name>`: `train/loss`, `val/acc`,
`test/f1_macro`, and `val/<main metric>_best` for the best validation value so far.
"""

from collections.abc import Callable, Sequence
from typing import Any, ClassVar, Literal

import lightning as L
import torch
from torch import Tensor, nn
from torch.optim import Optimizer
from torchmetrics import MaxMetric, MetricCollection, MinMetric

from litlab.data.scaling import ChannelScaler
from litlab.errors import ConfigError

OptimizerFactory = Callable[..., Optimizer]
SchedulerFactory = Callable[..., dict[str, Any]]


class BaseTask(L.LightningModule):
    """Train `net` on inputs scaled with training-split statistics.

    Args:
        net: the network; maps (B, *input_shape) to (B, num_outputs).
        optimizer: a partial optimizer, completed with the parameters.
        scheduler: a litlab schedule factory (see `litlab.tasks.schedules`) or None.
        input_shape: the shape of one input, (C, H, W) or (F,).
        num_outputs: the number of outputs the net must give.
    """

    target_kind: ClassVar[str]
    main_metric: ClassVar[str]
    main_mode: ClassVar[Literal["max", "min"]]

    def __init__(
        self,
        net: nn.Module,
        optimizer: OptimizerFactory,
        scheduler: SchedulerFactory | None = None,
        *,
        input_shape: Sequence[int],
        num_outputs: int,
    ) -> None:
        super().__init__()
        self.net = net
        self.optimizer_factory = optimizer
        self.scheduler_factory = scheduler
        self.num_outputs = num_outputs
        self.input_scaler = ChannelScaler(input_shape[0])
        # An example batch of two lets the model summary print each layer's output shape.
        self.example_input_array = torch.zeros(2, *input_shape)
        self._check_net_outputs()
        metrics = self.build_metrics()
        self.train_metrics = metrics.clone(prefix="train/")
        self.val_metrics = metrics.clone(prefix="val/")
        self.test_metrics = metrics.clone(prefix="test/")
        self.val_best = MaxMetric() if self.main_mode == "max" else MinMetric()

    # -- what a task provides ---------------------------------------------------------------

    def build_metrics(self) -> MetricCollection:
        raise NotImplementedError

    def loss(self, output: Tensor, target: Tensor) -> Tensor:
        raise NotImplementedError

    def predict_outputs(self, output: Tensor) -> Tensor:
        """Raw net outputs -> what a user reads: probabilities or values in target units."""
        raise NotImplementedError

    def metric_inputs(self, output: Tensor, target: Tensor) -> tuple[Tensor, Tensor]:
        """The (preds, target) pair the metrics take; raw outputs by default."""
        return output, target

    # -- the loop -----------------------------------------------------------------------------

    def forward(self, x: Tensor) -> Tensor:
        return self.net(self.input_scaler(x))

    def setup(self, stage: str) -> None:
        if stage == "fit":  # a restored checkpoint then overwrites these with its own
            self.input_scaler.set_stats(*self.trainer.datamodule.input_stats())

    def training_step(self, batch: tuple[Tensor, Tensor], batch_idx: int) -> Tensor:
        return self._step(batch, "train", self.train_metrics)

    def validation_step(self, batch: tuple[Tensor, Tensor], batch_idx: int) -> None:
        self._step(batch, "val", self.val_metrics)

    def test_step(self, batch: tuple[Tensor, Tensor], batch_idx: int) -> None:
        self._step(batch, "test", self.test_metrics)

    def predict_step(self, batch: tuple[Tensor, Tensor], batch_idx: int) -> Tensor:
        return self.predict_outputs(self(batch[0]))

    def _step(self, batch: tuple[Tensor, Tensor], stage: str, metrics: MetricCollection) -> Tensor:
        x, target = batch
        output = self(x)
        loss = self.loss(output, target)
        metrics.update(*self.metric_inputs(output.detach(), target))
        self.log(f"{stage}/loss", loss, on_step=False, on_epoch=True, prog_bar=True,
                 batch_size=len(x), sync_dist=True)  # fmt: skip
        return loss

    def on_train_epoch_end(self) -> None:
        self._log_epoch_metrics(self.train_metrics)

    def on_validation_epoch_end(self) -> None:
        values = self._log_epoch_metrics(self.val_metrics)
        if self.trainer.sanity_checking:
            return
        self.val_best.update(values[f"val/{self.main_metric}"])
        self.log(f"val/{self.main_metric}_best", self.val_best.compute(), prog_bar=True)

    def on_test_epoch_end(self) -> None:
        self._log_epoch_metrics(self.test_metrics)

    def _log_epoch_metrics(self, metrics: MetricCollection) -> dict[str, Tensor]:
        """Compute (synced across DDP ranks by torchmetrics), log and reset once per epoch."""
        values = metrics.compute()
        metrics.reset()
        for name, value in values.items():
            self.log(name, value, prog_bar=name.endswith(f"/{self.main_metric}"))
        return values

    # -- optimisation -------------------------------------------------------------------------

    def configure_optimizers(self) -> Any:
        optimizer = self.optimizer_factory(params=self.parameters())
        if self.scheduler_factory is None:
            return optimizer
        total_steps = int(self.trainer.estimated_stepping_batches)
        return {
            "optimizer": optimizer,
            "lr_scheduler": self.scheduler_factory(optimizer, total_steps=total_steps),
        }

    # -- checks -------------------------------------------------------------------------------

    def _check_net_outputs(self) -> None:
        with torch.no_grad():
            was_training = self.net.training
            shape = tuple(self.net.eval()(self.example_input_array).shape)
            self.net.train(was_training)
        if shape != (2, self.num_outputs):
            raise ConfigError(
                f"The net gives outputs of shape {list(shape[1:])} per input but this task needs "
                f"{self.num_outputs}; leave model.num_outputs to the task (its default) or fix it."
            )
