"""Seeded splits of `range(num_samples)`: hold-out fractions and K-fold folds.

`TensorDataModule` cuts its splits with these; `train_rows` tells which rows of a file with no
shipped splits make up the train split, so that a table's categories can be learned from those
rows alone, even while the config is composed (this module needs no Lightning).
"""

import torch
from torch import Tensor

from litlab.errors import ConfigError


def seeded_permutation(num_samples: int, seed: int) -> Tensor:
    return torch.randperm(num_samples, generator=torch.Generator().manual_seed(seed))


def holdout(num_samples: int, fraction: float, seed: int, *, name: str) -> tuple[Tensor, Tensor]:
    """Split `range(num_samples)` into (kept, held out) with `fraction` held out, seeded."""
    if not 0.0 < fraction < 1.0:
        raise ConfigError(f"{name}={fraction} must be a fraction strictly between 0 and 1.")
    order = seeded_permutation(num_samples, seed)
    held = round(num_samples * fraction)
    return order[held:].sort().values, order[:held].sort().values


def kfold(num_samples: int, folds: int, fold: int, seed: int) -> tuple[Tensor, Tensor]:
    """Return (train, validation) indices of fold `fold` of `folds` seeded, near-equal folds."""
    if folds < 2:
        raise ConfigError(f"cv.folds={folds}: K-fold needs at least 2 folds.")
    if folds > num_samples:
        raise ConfigError(
            f"cv.folds={folds} folds cannot be cut from the {num_samples} training samples: give "
            f"at most cv.folds={num_samples} (3, 5 or 10 are usual)."
        )
    if not 0 <= fold < folds:
        raise ConfigError(f"fold {fold} does not exist: folds are numbered 0..{folds - 1}.")
    parts = seeded_permutation(num_samples, seed).tensor_split(folds)
    train = torch.cat([part for i, part in enumerate(parts) if i != fold])
    return train.sort().values, parts[fold].sort().values


def train_rows(
    num_samples: int,
    *,
    seed: int,
    test_split: float,
    val_split: float,
    folds: int | None = None,
    fold: int = 0,
) -> Tensor:
    """The rows of a dataset with no shipped test or val set that its train split holds, in
    order, cut exactly as `TensorDataModule` cuts them: the test rows first, then validation
    (fold `fold` of `folds`, or `val_split` of the rest)."""
    rows = torch.arange(num_samples)
    keep, _ = holdout(num_samples, test_split, seed, name="data.test_split")
    rows = rows[keep]
    if folds is not None:
        keep, _ = kfold(len(rows), folds, fold, seed)
    else:
        keep, _ = holdout(len(rows), val_split, seed, name="data.val_split")
    return rows[keep]
