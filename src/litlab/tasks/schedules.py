"""Learning-rate schedules as factories `(optimizer, *, total_steps, ...) -> Lightning config`.

Configs give them as `_partial_` nodes; the task completes them with the optimizer and the
number of optimizer steps of the whole fit, which only the trainer knows (None: the fit has
no end, trainer.max_epochs=-1 and no trainer.max_steps).
"""

from typing import Any, Literal

from torch.optim import Optimizer
from torch.optim.lr_scheduler import CosineAnnealingLR, OneCycleLR, ReduceLROnPlateau

from litlab.errors import ConfigError


def planned_steps(total_steps: int | None, name: str) -> int:
    """The fit's optimizer steps, which a schedule planned over the whole fit needs."""
    if total_steps is None:
        raise ConfigError(
            f"scheduler={name} plans the learning rate over the whole fit, which has no end with "
            "trainer.max_epochs=-1 and no trainer.max_steps; give trainer.max_epochs (or "
            "trainer.max_steps), or use scheduler=plateau or none."
        )
    return total_steps


def cosine(optimizer: Optimizer, *, total_steps: int | None, min_lr: float = 0.0) -> dict[str, Any]:
    """Cosine decay from the optimizer's lr to `min_lr` over the whole fit, stepped per batch."""
    steps = planned_steps(total_steps, "cosine")
    scheduler = CosineAnnealingLR(optimizer, T_max=steps, eta_min=min_lr)
    return {"scheduler": scheduler, "interval": "step"}


def onecycle(
    optimizer: Optimizer,
    *,
    total_steps: int | None,
    max_lr: float,
    pct_start: float = 0.25,
    div_factor: float = 25.0,
    final_div_factor: float = 1e4,
) -> dict[str, Any]:
    """Smith's one-cycle: warm up to `max_lr` for `pct_start` of the fit, then anneal."""
    total_steps = planned_steps(total_steps, "onecycle")
    if not 0.0 < pct_start < 1.0:
        raise ConfigError(
            f"scheduler.pct_start={pct_start} must be a fraction between 0 and 1: the share of "
            "the fit spent warming up (0.25 here by default)."
        )
    if pct_start * total_steps == 1:  # OneCycleLR's one-step warm-up divides 0 by 0
        raise ConfigError(
            f"scheduler=onecycle: scheduler.pct_start={pct_start} of this fit's {total_steps} "
            "optimizer steps is a warm-up of one step, which OneCycleLR cannot schedule; train "
            "for more steps (trainer.max_epochs) or change scheduler.pct_start."
        )
    scheduler = OneCycleLR(
        optimizer,
        max_lr=max_lr,
        total_steps=total_steps,
        pct_start=pct_start,
        div_factor=div_factor,
        final_div_factor=final_div_factor,
    )
    return {"scheduler": scheduler, "interval": "step"}


def plateau(
    optimizer: Optimizer,
    *,
    total_steps: int | None,
    monitor: str = "val/loss",
    mode: Literal["min", "max"] = "min",
    factor: float = 0.1,
    patience: int = 3,
    min_lr: float = 0.0,
) -> dict[str, Any]:
    """Multiply the lr by `factor` when `monitor` stops improving for `patience` epochs."""
    del total_steps  # every schedule takes it; this one reacts to the metric instead
    scheduler = ReduceLROnPlateau(
        optimizer, mode=mode, factor=factor, patience=patience, min_lr=min_lr
    )
    return {"scheduler": scheduler, "monitor": monitor, "interval": "epoch"}
