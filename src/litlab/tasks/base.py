"""The base LightningModule: the step loop, logging, scaling and optimisers of every task.

A task subclass chooses its loss, its metrics, its targets' layout, its test report and its
figures, and how raw outputs become predictions and the columns of `predictions.csv`; it
never re-implements the loop. What other modules need to know about a kind of target is
asked of the task, so a new task is one file plus its YAML.

Metric names are `<stage>/<name>`: `train/loss`, `val/acc`, `test/f1_macro`, and
`val/<main metric>_best` for the best validation value so far.
Each step only keeps its (detached) outputs, targets and loss on the device; every `FLUSH_EVERY`
steps (and at the epoch's end) they are fed to the metrics' running states at once, so the
memory of an epoch does not grow with its samples and the hot path has no metric work and no
device-to-host sync. Metrics are computed at the epoch's end, synced over DDP ranks by
torchmetrics.
"""

import math
import warnings
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Protocol, cast

import lightning as L
import torch
from lightning.pytorch.utilities import GradClipAlgorithmType
from lightning.pytorch.utilities.warnings import PossibleUserWarning
from torch import Tensor, nn
from torch.optim import Optimizer
from torchmetrics import MaxMetric, Metric, MetricCollection, MinMetric

from litlab.data.scaling import ChannelScaler
from litlab.errors import ConfigError
from litlab.nets.layers import LAYERS_WITH_KERNELS
from litlab.tasks.report import Report

if TYPE_CHECKING:
    from matplotlib.figure import Figure

# Epoch values are synced by torchmetrics before they are logged (see `BaseTask.losses`), so
# Lightning's advice to add `sync_dist=True` under DDP does not apply to litlab's metric names.
warnings.filterwarnings(
    "ignore",
    message=r"It is recommended to use `self.log\('(train|val|test)/",
    category=PossibleUserWarning,
)

FLUSH_EVERY = 32  # steps whose outputs wait on the device before the metrics take them
# Precisions whose backward needs no gradient scaler: their steps may skip Lightning's wrappers.
PLAIN_PRECISIONS = ("32-true", "64-true", "bf16-true", "bf16-mixed")
OptimizerFactory = Callable[..., Optimizer]
SchedulerFactory = Callable[..., dict[str, Any]]
Columns = dict[str, list[object]]  # columns of predictions.csv, by name


class BatchMean(Metric):
    """Mean of per-batch means weighted by batch size; synced over DDP ranks at `compute`.

    Not torchmetrics' MeanMetric: its NaN check waits for the device at every update, and with
    the check disabled it ignores the weights (torchmetrics 1.9).
    """

    full_state_update = False
    total: Tensor
    count: Tensor

    def __init__(self) -> None:
        super().__init__()
        self.add_state("total", torch.tensor(0.0), dist_reduce_fx="sum")
        self.add_state("count", torch.tensor(0.0), dist_reduce_fx="sum")

    def update(self, values: Tensor, batch_sizes: Tensor) -> None:
        """Add per-batch means `values` of batches of `batch_sizes` samples (1-D, or scalars)."""
        sizes = batch_sizes.to(values.device, values.dtype)
        self.total += (values.detach() * sizes).sum()
        self.count += sizes.sum()

    def compute(self) -> Tensor:
        return self.total / self.count


class TaskData(Protocol):
    """What a task needs from its datamodule: its targets and the training split's statistics."""

    def all_targets(self) -> Tensor:
        """The targets of every split, concatenated."""
        ...

    def describe(self) -> str:
        """The dataset and where its files are, for messages."""
        ...

    def input_stats(self) -> tuple[Tensor, Tensor]: ...

    def target_stats(self) -> tuple[Tensor, Tensor]: ...


class BaseTask(L.LightningModule):
    """Train `net` on inputs scaled with training-split statistics.

    Args:
        net: the network; maps (B, *input_shape) to (B, num_outputs).
        optimizer: a partial optimizer, completed with the parameters.
        scheduler: a litlab schedule factory (see `litlab.tasks.schedules`) or None.
        input_shape: the shape of one input, (C, H, W) or (F,).
        num_outputs: the number of outputs the net must give (see `outputs_for`).
        class_names: the names of the classes, labels or target columns, in target order.
        l1: Keras' `kernel_regularizer=l1(l1)` on every layer: `l1` times the sum of the
            absolute weights of the net's Linear and Conv layers (not their biases, nor
            normalisation layers) is added to the training loss, and so to `train/loss`;
            validation and test losses leave it out. L2 is the optimizer's weight_decay.
    """

    target_kind: ClassVar[str]
    target_dtype: ClassVar[torch.dtype]  # the targets' layout: int64 (N,) class indices, ...
    target_ndim: ClassVar[int]
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
        class_names: Sequence[str],
        l1: float = 0.0,
    ) -> None:
        super().__init__()
        check_num_outputs(type(self), num_outputs, class_names)
        if not l1 >= 0.0:
            raise ConfigError(f"task.l1={l1} must be a number >= 0 (0 turns it off).")
        self.l1 = l1
        self.class_names = [str(name) for name in class_names]
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
        # The mean loss of each stage is a metric like the others, so every epoch value is
        # synced over DDP ranks inside this module's hooks, on every rank at the same point.
        # (Lightning's `sync_dist` reduce would run when rank 0's progress bar reads it, while
        # the other ranks are already syncing metrics here: a deadlock.)
        self.losses = nn.ModuleDict({f"{s}_loss": BatchMean() for s in ("train", "val", "test")})
        self._epoch_steps: dict[str, list[tuple[Tensor, Tensor, Tensor]]] = {}
        self.val_best = MaxMetric() if self.main_mode == "max" else MinMetric()
        self.val_best.persistent(True)  # in checkpoints: a resumed fit keeps its best so far
        self.report_metrics = self.build_report_metrics()
        self.test_report: Report | None = None  # set at the end of each test epoch
        self.steps_per_call = 1  # optimizer steps of one training_step (`run_in_calls`)
        self._micro_batch = 0  # the batch size of one of those steps
        self._clip: tuple[float, str] | None = None  # gradient clipping, when steps_per_call > 1
        self._schedule: dict[str, Any] | None = None  # the lr schedule's Lightning config

    # -- what a task provides ---------------------------------------------------------------

    @classmethod
    def outputs_for(cls, class_names: Sequence[str]) -> int:
        """The number of net outputs for these classes / labels / targets: one per name."""
        return len(class_names)

    def build_metrics(self) -> MetricCollection:
        raise NotImplementedError

    def build_report_metrics(self) -> MetricCollection:
        """Test-only metrics the report is made from (confusion matrix, per-label counts)."""
        raise NotImplementedError

    def build_report(self, stats: dict[str, Tensor]) -> Report:
        """The test report from the computed `build_report_metrics` values."""
        raise NotImplementedError

    def loss(self, output: Tensor, target: Tensor) -> Tensor:
        raise NotImplementedError

    def predict_outputs(self, output: Tensor) -> Tensor:
        """Raw net outputs -> what a user reads: probabilities or values in target units."""
        raise NotImplementedError

    def metric_inputs(self, output: Tensor, target: Tensor) -> tuple[Tensor, Tensor]:
        """The (preds, target) pair the metrics take; raw outputs by default."""
        return output, target

    def decide(self, outputs: Tensor) -> Tensor:
        """`predict_outputs` -> decisions: class indices, yes/no per label, or values."""
        raise NotImplementedError

    def readable(self, values: Tensor, prefix: str) -> Columns:
        """Decisions or true targets as columns of names (`prefix`) or values (`prefix_<t>`)."""
        raise NotImplementedError

    def probabilities(self, outputs: Tensor) -> Columns:
        """`prob_<name>` columns of `predict_outputs`; none by default."""
        return {}

    def report_figures(self, report: Report) -> dict[str, "Figure"]:
        """The test report's figures, by file name below the run folder; none by default."""
        return {}

    def chance_level(self, train_targets: Tensor, val_targets: Tensor) -> float:
        """The main metric on `val_targets` of a model that learned nothing: one that always
        predicts what is most common in `train_targets` (classes), or their mean (values)."""
        raise NotImplementedError

    def metric_names(self) -> set[str]:
        """Every metric this task logs: `<stage>/loss`, `<stage>/<metric>`, `val/<main>_best`."""
        names = ["loss", *self.train_metrics.keys(keep_base=True)]
        stages = ("train", "val", "test")
        return {f"{stage}/{name}" for stage in stages for name in names} | {
            f"val/{self.main_metric}_best"
        }

    def check_targets(self, targets: Tensor, source: str) -> None:
        """Raise naming `source` unless `targets` have this task's layout and class names.

        Raises:
            TypeError: a reader gave targets of another dtype or number of dimensions.
            ConfigError: the targets have more columns than `class_names` has names.
        """
        if targets.dtype != self.target_dtype or targets.ndim != self.target_ndim:
            raise TypeError(
                f"{source}: the reader gave {targets.dtype} targets of {targets.ndim} dims; "
                f"{self.target_kind} targets are {self.target_dtype} with {self.target_ndim} dims."
            )
        if self.target_ndim == 2 and targets.shape[1] != len(self.class_names):
            raise ConfigError(
                f"{source}: the targets have {targets.shape[1]} columns but data.class_names "
                f"has {len(self.class_names)} names; give one name per {self.target_kind} target."
            )

    # -- predictions ------------------------------------------------------------------------

    def prediction_columns(self, outputs: Tensor, targets: Tensor | None = None) -> Columns:
        """The columns of `predictions.csv` after the id: prediction, target, probabilities.

        Args:
            outputs: `predict_outputs` of every input, (N, outputs).
            targets: the true targets as the datamodule holds them, if known.
        """
        columns = self.readable(self.decide(outputs), "pred")
        if targets is not None:
            columns |= self.readable(targets, "target")
        return columns | self.probabilities(outputs)

    def class_labels(self, values: Tensor) -> list[object]:
        """Class indices (or 0/1 decisions) as class names."""
        return [self.class_names[int(v)] for v in values.reshape(-1).tolist()]

    # -- the loop -----------------------------------------------------------------------------

    def forward(self, x: Tensor) -> Tensor:
        return self.net(self.input_scaler(x))

    def setup(self, stage: str) -> None:
        data = self.task_data(required=stage == "fit")
        if data is None:  # predicting new inputs from a bare loader
            return
        self.check_targets(data.all_targets(), data.describe())
        if stage == "fit":  # a restored checkpoint then overwrites these with its own
            self.input_scaler.set_stats(*data.input_stats())

    def task_data(self, *, required: bool = True) -> TaskData | None:
        """The datamodule of this fit (Lightning attaches it to the trainer)."""
        datamodule = getattr(self.trainer, "datamodule", None)
        if datamodule is None and required:
            raise ConfigError(
                "A litlab task trains from a datamodule, which gives its scaling statistics: "
                "trainer.fit(task, datamodule=...)."
            )
        return datamodule

    def run_in_calls(
        self, steps: int, batch_size: int, clip: tuple[float, str] | None = None
    ) -> None:
        """Make each training step a call of `steps` optimizer steps on `steps` batches of
        `batch_size` (Keras' steps_per_execution): the same updates, schedule steps, clipping
        (`clip`: value and algorithm, which the trainer cannot apply then) and metrics as one
        step per call, with Lightning's per-step work done once per call."""
        self.steps_per_call = steps
        self._micro_batch = batch_size
        self._clip = clip
        self.automatic_optimization = steps == 1

    def training_step(self, batch: tuple[Tensor, Tensor], batch_idx: int) -> Tensor:
        if self.automatic_optimization:
            return self._step(batch, "train")
        return self._steps(batch)

    def _steps(self, batch: tuple[Tensor, Tensor]) -> Tensor:
        """Several optimizer steps, one per batch of `_micro_batch` rows; their losses.

        The call's last step goes through Lightning (its backward and optimizer-step hooks run
        once per call, its counters advance); the others take the plain path (backward,
        clipping, step, schedule) where the precision has no gradient scaler, and Lightning's
        step counter is advanced for them as for its own steps.
        """
        optimizer = self.optimizers()
        assert not isinstance(optimizer, list)
        schedule = self._schedule if (self._schedule or {}).get("interval") == "step" else None
        plain = self.trainer.precision in PLAIN_PRECISIONS
        x, target = batch
        parts = list(zip(x.split(self._micro_batch), target.split(self._micro_batch), strict=True))
        losses = []
        for index, part in enumerate(parts):
            loss = self._step(part, "train")
            if plain and index < len(parts) - 1:
                optimizer.optimizer.zero_grad()
                loss.backward()
                self._clip_gradients(optimizer.optimizer)
                optimizer._on_before_step()  # Lightning's step counter, as its own step does
                optimizer.optimizer.step()
                optimizer._on_after_step()
            else:  # the order of Lightning's automatic step: forward, zero_grad, backward, step
                optimizer.zero_grad()
                self.manual_backward(loss)
                self._clip_gradients(optimizer)
                optimizer.step()
            if schedule is not None:
                schedule["scheduler"].step()
            losses.append(loss.detach())
        return torch.stack(losses)  # (steps,): what the callbacks see as this call's loss

    def optimizer_steps(self) -> float:
        """The optimizer steps of the whole fit (inf if it has no end): Lightning's estimate
        counts calls, which run `steps_per_call` steps each (the epoch's last maybe fewer)."""
        calls = self.trainer.estimated_stepping_batches
        loader = self.trainer.train_dataloader
        rows = getattr(loader, "rows", None)
        if self.automatic_optimization or not math.isfinite(calls) or rows is None:
            return calls
        steps_per_epoch = math.ceil(rows / self._micro_batch)
        return calls * steps_per_epoch / max(1, len(loader))  # type: ignore[arg-type]

    def _clip_gradients(self, optimizer: Any) -> None:
        if self._clip is not None:
            value, algorithm = self._clip
            algorithm_type = GradClipAlgorithmType(algorithm)
            self.trainer.precision_plugin.clip_gradients(optimizer, value, algorithm_type)

    def validation_step(self, batch: tuple[Tensor, Tensor], batch_idx: int) -> None:
        self._step(batch, "val")

    def test_step(self, batch: tuple[Tensor, Tensor], batch_idx: int) -> None:
        self._step(batch, "test")

    def predict_step(self, batch: tuple[Tensor, Tensor], batch_idx: int) -> Tensor:
        return self.predict_outputs(self(batch[0]))

    def _step(self, batch: tuple[Tensor, Tensor], stage: str) -> Tensor:
        x, target = batch
        output = self(x)
        loss = self.loss(output, target)
        if stage == "train" and self.l1 > 0:
            loss = loss + self.l1 * self.l1_penalty()
        # Kept on the device and fed to the metrics every FLUSH_EVERY steps: no metric work or
        # host sync per step, and an epoch's memory bounded by what waits.
        pending = self._epoch_steps.setdefault(stage, [])
        pending.append((output.detach(), target, loss.detach()))
        if len(pending) >= FLUSH_EVERY:
            self._flush(stage)
        return loss

    def l1_penalty(self) -> Tensor:
        """The sum of the absolute weights of the net's Linear and Conv layers (`l1`)."""
        kernels = [m.weight for m in self.net.modules() if isinstance(m, LAYERS_WITH_KERNELS)]
        return torch.stack([w.abs().sum() for w in kernels]).sum()

    def _stage_metrics(self, stage: str) -> list[MetricCollection]:
        metrics = {"train": self.train_metrics, "val": self.val_metrics, "test": self.test_metrics}
        return [metrics[stage], *([self.report_metrics] if stage == "test" else [])]

    def _flush(self, stage: str) -> None:
        """Feed the outputs waiting for `stage` to its metrics and its mean loss."""
        steps = self._epoch_steps.pop(stage, [])
        if not steps:
            return
        outputs, targets, losses = zip(*steps, strict=True)
        preds, target = self.metric_inputs(torch.cat(outputs), torch.cat(targets))
        for collection in self._stage_metrics(stage):
            collection.update(preds, target)
        sizes = torch.tensor([len(t) for t in targets])
        self._loss_metric(stage).update(torch.stack(losses), sizes)

    def on_train_epoch_end(self) -> None:
        self._log_epoch_metrics("train")
        schedule = self._schedule or {}
        if not self.automatic_optimization and schedule.get("interval") == "epoch":
            monitor = schedule.get("monitor")
            if monitor is None:
                schedule["scheduler"].step()
            elif monitor in self.trainer.callback_metrics:  # ReduceLROnPlateau
                schedule["scheduler"].step(self.trainer.callback_metrics[monitor])

    def on_validation_epoch_end(self) -> None:
        values = self._log_epoch_metrics("val")
        if self.trainer.sanity_checking or not values:
            return
        self.val_best.update(values[f"val/{self.main_metric}"])
        self.log(f"val/{self.main_metric}_best", self.val_best.compute(), prog_bar=True)

    def on_test_epoch_end(self) -> None:
        self._log_epoch_metrics("test")
        stats = self.report_metrics.compute()  # every rank takes part in the sync
        self.report_metrics.reset()
        self.test_report = self.build_report(stats)

    def _loss_metric(self, stage: str) -> BatchMean:
        return cast(BatchMean, self.losses[f"{stage}_loss"])

    def _log_epoch_metrics(self, stage: str) -> dict[str, Tensor]:
        """Compute the stage's loss and metrics (synced across DDP ranks by torchmetrics), log
        and reset them (the test report's metrics are computed by the caller)."""
        self._flush(stage)
        loss = self._loss_metric(stage)
        if not loss.update_called:  # no batch in this stage, e.g. limit_val_batches=0
            return {}
        metrics = self._stage_metrics(stage)[0]
        values = {f"{stage}/loss": loss.compute(), **metrics.compute()}
        loss.reset()
        metrics.reset()
        for name, value in values.items():
            self.log(name, value, prog_bar=name.endswith(("/loss", f"/{self.main_metric}")))
        return values

    # -- optimisation -------------------------------------------------------------------------

    def configure_optimizers(self) -> Any:
        try:
            optimizer = self.optimizer_factory(params=self.parameters())
        except (TypeError, ValueError) as err:  # torch's own check of lr, betas, momentum, ...
            raise ConfigError(f"optimizer: {err}; fix that optimizer.* value.") from err
        if self.scheduler_factory is None:
            return optimizer
        steps = self.optimizer_steps()  # inf: no max_epochs nor max_steps
        try:
            scheduler = self.scheduler_factory(
                optimizer, total_steps=int(steps) if math.isfinite(steps) else None
            )
        except (TypeError, ValueError) as err:  # torch's own check of the schedule's values
            raise ConfigError(f"scheduler: {err}; fix that scheduler.* value.") from err
        self._schedule = scheduler  # stepped here when a call runs several steps
        return {"optimizer": optimizer, "lr_scheduler": scheduler}

    # -- checks -------------------------------------------------------------------------------

    def _check_net_outputs(self) -> None:
        with torch.no_grad():
            was_training = self.net.training
            # forward, not __call__: a compiled net would compile for this one check.
            shape = tuple(self.net.eval().forward(self.example_input_array).shape)
            self.net.train(was_training)
        if shape != (2, self.num_outputs):
            raise ConfigError(
                f"The net gives outputs of shape {list(shape[1:])} per input but this task needs "
                f"{self.num_outputs}; leave model.num_outputs to the task (its default) or fix it."
            )


def check_num_outputs(task: type[BaseTask], num_outputs: int, class_names: Sequence[str]) -> None:
    """Raise ConfigError unless `num_outputs` is what `task` needs for `class_names`."""
    needed = task.outputs_for(class_names)
    if num_outputs != needed:
        raise ConfigError(
            f"task.num_outputs={num_outputs} does not fit: {task.target_kind} on the "
            f"{len(class_names)} names of data.class_names needs num_outputs={needed}. Leave "
            "task.num_outputs to the task config, which derives it from the data."
        )
