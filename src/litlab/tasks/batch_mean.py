"""The epoch mean of a per-batch value (the loss), weighted by batch size, as a torchmetric."""

import torch
from torch import Tensor
from torchmetrics import Metric


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
