"""Seeded train / validation / test splits and K-fold partitions of sample indices."""

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
    if not 0 <= fold < folds:
        raise ConfigError(f"fold {fold} does not exist: folds are numbered 0..{folds - 1}.")
    parts = seeded_permutation(num_samples, seed).tensor_split(folds)
    train = torch.cat([part for i, part in enumerate(parts) if i != fold])
    return train.sort().values, parts[fold].sort().values
