"""The base of every litlab dataset: decode once, split with the seed, serve tensor batches.

A subclass names its files (`sources`) and turns them into tensors (`decode`); this class
caches the decoded tensors, makes the seeded splits, checks them against the config and
serves batches by indexing. Pixels stay uint8 until they reach the batch's device, where
they become float and, for training batches only, pass through the augmentation module.
Scaling statistics come from the training split (`input_stats`, `target_stats`) and are
applied by the task, which stores them with its weights and checks the targets' layout
(`BaseTask.check_targets`).
"""

import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar, Literal

import lightning as L
import torch
from torch import Tensor, nn

from litlab.data.cache import load_or_decode
from litlab.data.loader import EpochOrder, TensorLoader
from litlab.data.scaling import SCALING_METHODS, ScalingMethod, fit_scaling
from litlab.data.splits import holdout, kfold
from litlab.errors import ConfigError, DataError

log = logging.getLogger(__name__)

TargetKind = str  # a task's `target_kind`: classification, binary, regression, multilabel, ...
Split = tuple[Tensor, Tensor]
OFFLINE_HINT = "`python src/train.py data=digits` trains on a dataset that needs no download."


class TensorDataModule(L.LightningDataModule):
    """An in-memory dataset with seeded train/val/test splits served as tensor batches.

    Args:
        data_dir: the data root; each dataset lives in its own distribution's layout below it.
        input_shape: the shape of one input as the config declares it; checked against the files.
        target_kind: the kind of target the files hold, which decides the task.
        class_names: one name per class (classification), label (multilabel) or target
            column (regression).
        batch_size: training batch size (per device under DDP).
        eval_batch_size: validation/test batch size; defaults to `batch_size`.
        val_split: fraction of the training data held out for validation.
        test_split: fraction held out for testing, for datasets that ship no test set.
        scaling: input scaling whose statistics come from the training split.
        target_scaling: `standard` scales regression targets for training; metrics stay in
            the original units.
        seed: seeds the splits and the per-epoch shuffling.
        folds, fold: K-fold mode: validation is fold `fold` of `folds` of the training data.
        cache_dir: where decoded tensors are cached (None: no cache).
        augment: a module applied to float training batches on their device (images only).
        download: fetch missing files where the dataset has a public home.
    """

    name: str = "dataset"  # shown in messages and logs
    how_to_get: ClassVar[str] = ""  # where the files come from, for the missing-data message

    def __init__(
        self,
        *,
        data_dir: str,
        input_shape: Sequence[int],
        target_kind: TargetKind,
        class_names: Sequence[str] | None = None,
        batch_size: int = 128,
        eval_batch_size: int | None = None,
        val_split: float = 0.2,
        test_split: float = 0.2,
        scaling: ScalingMethod = "minmax",
        target_scaling: Literal["standard", "none"] = "none",
        seed: int = 777,
        folds: int | None = None,
        fold: int = 0,
        cache_dir: str | None = None,
        augment: nn.Module | None = None,
        download: bool = True,
    ) -> None:
        super().__init__()
        if scaling not in SCALING_METHODS:
            raise ConfigError(
                f"data.scaling={scaling} is unknown; choose one of {', '.join(SCALING_METHODS)}."
            )
        if batch_size < 1:
            raise ConfigError(f"data.batch_size={batch_size} must be at least 1.")
        if augment is not None and len(input_shape) != 3:
            raise ConfigError(
                f"{self.name}: augmentation works on images (channels, height, width) but the "
                f"inputs have shape {list(input_shape)}; use augment=none."
            )
        self.data_dir = Path(data_dir)
        self.input_shape = tuple(input_shape)
        self.target_kind = target_kind
        self.class_names = list(class_names) if class_names is not None else None
        self.batch_size = batch_size
        self.eval_batch_size = eval_batch_size or batch_size
        self.val_split = val_split
        self.test_split = test_split
        self.scaling = scaling
        self.target_scaling = target_scaling
        self.seed = seed
        self.folds = folds
        self.fold = fold
        self.cache_dir = Path(cache_dir) if cache_dir is not None else None
        self.augment = augment
        self.download = download
        self.splits: dict[str, Split] = {}
        self._on_device: dict[str, Split] = {}
        self.steps_per_execution = 1  # optimizer steps per call; the run sets it (litlab.build)
        self._train_loader: TensorLoader | None = None
        self._train_state: dict[str, int] | None = None  # from a checkpoint, for the next loader

    # -- what a dataset provides ------------------------------------------------------------

    def sources(self) -> list[Path]:
        """The files `decode` reads; raise `self.missing(...)` when some are absent."""
        raise NotImplementedError

    def decode(self) -> dict[str, Tensor]:
        """Read the files into tensors `train_x`, `train_y` and optionally `val_*`, `test_*`."""
        raise NotImplementedError

    def fetch(self) -> None:
        """Download the files into `data_dir` (datasets with a public home override this)."""

    def decode_options(self) -> dict[str, object]:
        """Options that change what `decode` returns (part of the cache key)."""
        return {}

    # -- helpers for subclasses ---------------------------------------------------------------

    def missing(self, folder: Path, names: Sequence[str], detail: str = "") -> DataError:
        """The error for absent files: where we looked, what we expected, how to fix it."""
        if not self.data_dir.is_dir():
            state = (
                f"does not exist, nor does the data root {self.data_dir.resolve()} (paths.data_dir)"
            )
        else:
            state = "does not exist" if not folder.exists() else "lacks " + ", ".join(names)
        return DataError(
            f"{self.name} data not found: {folder.resolve()} {state}.\n"
            f"Expected files: {', '.join(names)}.{detail}\n"
            f"{self.how_to_get}\n"
            "Or point every dataset at a folder that holds them in their distributions' layouts "
            f"with paths.data_dir=<folder>. {OFFLINE_HINT}"
        )

    # -- Lightning hooks ----------------------------------------------------------------------

    def prepare_data(self) -> None:
        try:
            self.sources()
        except DataError:
            if not self.download:
                raise
            self.fetch()
            self.sources()  # a dataset with no public home is still missing: say so now

    def setup(self, stage: str | None = None) -> None:
        if self.splits:
            return
        tensors = load_or_decode(
            self.cache_dir, self.name, self.sources(), self.decode, **self.decode_options()
        )
        self._check(tensors)
        self.splits = self._split(tensors)
        sizes = ", ".join(f"{name} {len(split[0])}" for name, split in self.splits.items())
        log.info("%s: %s samples, input %s", self.name, sizes, self.input_shape)

    def train_dataloader(self) -> TensorLoader:
        # Several optimizer steps per call (`steps_per_execution`): their batches come as one.
        loader = self._loader("train", self.batch_size, shuffle=True)
        if self._train_state is not None:  # a fit resumed mid-epoch goes on where it stopped
            loader.load_state_dict(self._train_state)
            self._train_state = None
        self._train_loader = loader
        return loader

    def state_dict(self) -> dict[str, Any]:
        """How far the training loader is into its epoch, for the checkpoint.

        Lightning keeps a loader's state too, but applies it only to a loader it makes after the
        checkpoint is read; a schedule that asks for the fit's length (one-cycle, cosine) makes
        it before. The datamodule's own state is read first, whatever the order.
        """
        loader = self._train_loader
        return {"train_loader": loader.state_dict()} if loader is not None else {}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self._train_state = state_dict.get("train_loader")

    def val_dataloader(self) -> TensorLoader:
        return self._loader("val", self.eval_batch_size, shuffle=False)

    def test_dataloader(self) -> TensorLoader:
        return self._loader("test", self.eval_batch_size, shuffle=False)

    def predict_dataloader(self) -> TensorLoader:
        return self._loader("test", self.eval_batch_size, shuffle=False)

    def on_after_batch_transfer(self, batch: Any, dataloader_idx: int) -> Any:
        if isinstance(batch, Tensor):  # the model summary's example input, not a data batch
            return batch
        x, y = batch
        x = x.float()
        if self.augment is not None and self.trainer is not None and self.trainer.training:
            # One draw per step's batch, as with one step per call.
            x = torch.cat([self.augment(part) for part in x.split(self.batch_size)])
        return x, y

    # -- what the task asks ------------------------------------------------------------------

    def all_targets(self) -> Tensor:
        """The targets of every split, concatenated (the task checks their layout)."""
        return torch.cat([y for _, y in self.splits.values()])

    def describe(self) -> str:
        """The dataset and where its files are, for messages: `MNIST (data/MNIST/raw)`."""
        sources = self.sources()
        where = os.path.commonpath([str(p) for p in sources]) if sources else self.data_dir
        return f"{self.name} ({where})"

    def input_stats(self) -> tuple[Tensor, Tensor]:
        """Per-channel (shift, scale) of the training inputs for `scaling`."""
        return fit_scaling(self.splits["train"][0], self.scaling)

    def target_stats(self) -> tuple[Tensor, Tensor]:
        """Per-target (shift, scale) of the training targets for `target_scaling`."""
        y = self.splits["train"][1]
        return fit_scaling(y.reshape(len(y), -1), self.target_scaling)

    # -- internals ----------------------------------------------------------------------------

    def _split(self, tensors: dict[str, Tensor]) -> dict[str, Split]:
        train = (tensors["train_x"], tensors["train_y"])
        if "test_x" in tensors:
            test = (tensors["test_x"], tensors["test_y"])
        else:
            keep, held = holdout(len(train[0]), self.test_split, self.seed, name="data.test_split")
            train, test = _take(train, keep), _take(train, held)
        if self.folds is not None:
            keep, held = kfold(len(train[0]), self.folds, self.fold, self.seed)
            train, val = _take(train, keep), _take(train, held)
        elif "val_x" in tensors:
            val = (tensors["val_x"], tensors["val_y"])
        else:
            keep, held = holdout(len(train[0]), self.val_split, self.seed, name="data.val_split")
            train, val = _take(train, keep), _take(train, held)
        splits = {"train": train, "val": val, "test": test}
        for name, (x, _) in splits.items():
            if len(x) == 0:
                raise DataError(
                    f"{self.name}: the {name} split is empty ({len(train[0])} training samples); "
                    "use more data or change data.val_split / data.test_split."
                )
        if self.batch_size > len(train[0]):
            raise ConfigError(
                f"data.batch_size={self.batch_size} is larger than the {len(train[0])} training "
                f"samples of {self.name}; lower data.batch_size."
            )
        return splits

    def _check(self, tensors: dict[str, Tensor]) -> None:
        """The files must hold samples of the input shape the config declares."""
        if len(tensors["train_x"]) == 0:
            files = ", ".join(str(path) for path in self.sources())
            raise DataError(f"{self.name}: {files} hold no samples; replace them with full copies.")
        shape = tuple(tensors["train_x"].shape[1:])
        if shape != self.input_shape:
            raise ConfigError(
                f"{self.name}: the files hold inputs of shape {list(shape)} but the config "
                f"declares data.input_shape={list(self.input_shape)}; make them agree."
            )

    def _loader(self, split: str, batch_size: int, *, shuffle: bool) -> TensorLoader:
        tensors = self._device_split(split)
        rank, world = (
            (self.trainer.global_rank, self.trainer.world_size) if self.trainer else (0, 1)
        )
        order = EpochOrder(
            len(tensors[0]),
            shuffle=shuffle,
            seed=self.seed,
            rank=rank,
            world_size=world,
            pad=shuffle,
        )
        # A 1-sample last training batch breaks batch norm; it is dropped (reshuffled next epoch).
        drop_last = shuffle and len(order) % batch_size == 1
        per_call = batch_size * self.steps_per_execution  # steps per call: their batches as one
        return TensorLoader(tensors, batch_size=per_call, sampler=order, drop_last=drop_last)

    def _device_split(self, split: str) -> Split:
        """On an accelerator the whole split moves to its memory once: batches never cross PCIe."""
        device = self.trainer.strategy.root_device if self.trainer else torch.device("cpu")
        if device.type == "cpu":
            return self.splits[split]
        if split not in self._on_device:
            x, y = self.splits[split]
            self._on_device[split] = (x.to(device), y.to(device))
        return self._on_device[split]


def _take(split: Split, index: Tensor) -> Split:
    return split[0][index], split[1][index]
