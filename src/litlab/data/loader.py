"""Batches served by indexing whole in-memory tensors: no per-sample Python, no collate."""

import math
from collections.abc import Iterator

import torch
from torch import Tensor


class EpochOrder:
    """The sample order of one rank for one epoch, reproducible from (seed, epoch).

    Lightning calls `set_epoch` at the start of every epoch (as for a DistributedSampler).
    Under DDP each rank takes every `world_size`-th index: training pads the order so all ranks
    run the same number of steps; evaluation does not pad, so every sample counts exactly once.
    """

    def __init__(
        self,
        num_samples: int,
        *,
        shuffle: bool,
        seed: int,
        rank: int = 0,
        world_size: int = 1,
        pad: bool = False,
    ) -> None:
        self.num_samples = num_samples
        self.shuffle = shuffle
        self.seed = seed
        self.rank = rank
        self.world_size = world_size
        self.pad = pad
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        if self.pad:
            return math.ceil(self.num_samples / self.world_size)
        return len(range(self.rank, self.num_samples, self.world_size))

    def indices(self) -> Tensor:
        if self.shuffle:
            generator = torch.Generator().manual_seed(self.seed + self.epoch)
            order = torch.randperm(self.num_samples, generator=generator)
        else:
            order = torch.arange(self.num_samples)
        if self.pad:
            total = len(self) * self.world_size
            order = torch.cat([order, order[: total - self.num_samples]])
        return order[self.rank :: self.world_size]


class TensorLoader:
    """Iterates `(x, y)` batches of `batch_size` rows taken from tensors already in memory.

    Lightning duck-types loaders: it calls `sampler.set_epoch` each epoch and reads
    `batch_sampler` (None: batching is done here). Its `state_dict` (the epoch and how many of
    its batches were served) goes into training checkpoints, so a fit resumed from a
    checkpoint saved mid-epoch goes on with the batches that epoch had not served yet.
    """

    batch_sampler = None

    def __init__(
        self,
        tensors: tuple[Tensor, ...],
        *,
        batch_size: int,
        sampler: EpochOrder,
        drop_last: bool = False,
    ) -> None:
        """Args:
        tensors: the tensors whose rows are served together, e.g. (inputs, targets).
        batch_size: rows per batch served (for several steps per call, the steps' batches).
        sampler: the order of the rows.
        drop_last: leave the epoch's last row out (when it would be a batch of one).
        """
        self.tensors = tensors
        self.batch_size = batch_size
        self.sampler = sampler
        self.drop_last = drop_last
        self._served = (sampler.epoch, 0)  # (epoch, batches served in it)
        self._resume_at: tuple[int, int] | None = None

    def __len__(self) -> int:
        return math.ceil(self.rows / self.batch_size)

    @property
    def rows(self) -> int:
        """The rows served in an epoch."""
        return len(self.sampler) - int(self.drop_last)

    def __iter__(self) -> Iterator[tuple[Tensor, ...]]:
        epoch, start = self.sampler.epoch, 0
        if self._resume_at is not None and self._resume_at[0] == epoch:
            start = self._resume_at[1]
        self._resume_at = None
        in_order = not self.sampler.shuffle and self.sampler.world_size == 1
        order = None if in_order else self.sampler.indices()[: self.rows].to(self.tensors[0].device)
        for step in range(start, len(self)):
            rows = slice(step * self.batch_size, (step + 1) * self.batch_size)
            self._served = (epoch, step + 1)
            if order is None:  # rows in their stored order: views, no copy
                yield tuple(t[rows] for t in self.tensors)
            else:
                index = order[rows]  # index_select: 7x faster than t[index] on image rows
                yield tuple(t.index_select(0, index) for t in self.tensors)

    def state_dict(self) -> dict[str, int]:
        epoch, batches = self._served
        return {"epoch": epoch, "batches": batches}

    def load_state_dict(self, state: dict[str, int]) -> None:
        """Start the next pass over `state["epoch"]` after the batches it had served."""
        self._resume_at = (state["epoch"], state["batches"])
