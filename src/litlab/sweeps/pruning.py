"""Pruning of Optuna trials from validation metrics, as a Lightning callback."""

import lightning as L
import optuna
from lightning.pytorch.callbacks import Callback

from litlab.errors import ConfigError
from litlab.sweeps.study import running_trial


class OptunaPruning(Callback):
    """Report `monitor` to this job's Optuna trial after each validation; stop a pruned trial.

    The study's pruner (`hydra.sweeper.pruner`) decides; a pruned trial ends with
    `optuna.TrialPruned`, which the sweeper records as pruned. Outside litlab's Optuna sweeper
    the callback does nothing. Under DDP rank 0 decides and every rank stops together.

    Args:
        monitor: a metric logged at each validation, e.g. `val/loss` or `val/acc_best`.
    """

    def __init__(self, monitor: str) -> None:
        self.monitor = monitor
        self._trial: optuna.Trial | None = None

    def on_fit_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._trial = running_trial() if trainer.is_global_zero else None

    def on_validation_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if trainer.sanity_checking:
            return
        metrics = trainer.callback_metrics  # read on every rank: reading may sync across ranks
        prune = False
        if self._trial is not None:
            if self.monitor not in metrics:
                raise ConfigError(
                    f"OptunaPruning monitors {self.monitor}, which was not logged; logged: "
                    f"{', '.join(sorted(metrics))}."
                )
            self._trial.report(float(metrics[self.monitor]), step=trainer.current_epoch)
            prune = self._trial.should_prune()
        if trainer.strategy.broadcast(prune):
            raise optuna.TrialPruned(
                f"pruned after epoch {trainer.current_epoch} by the study's pruner "
                f"({self.monitor} was not promising)"
            )
