"""The random number generators' states in every checkpoint, restored when a fit resumes.

Lightning restores weights, optimizer, schedulers and loop counters but not the global RNGs
that dropout and augmentation draw from, so a resumed fit would draw other numbers than the
run it continues. With these states (and the data order, seeded by seed + epoch and kept by
the loader's own state) a resumed deterministic run ends with the same metrics as one that
was never stopped. The states are plain tensors and numbers: the checkpoint still loads
with `torch.load(weights_only=True)`.
"""

import random
from typing import Any

import lightning as L
import numpy as np
import torch


def rng_states() -> dict[str, Any]:
    """The states of Python's, numpy's, torch's and (if in use) CUDA's global generators."""
    version, keys, gauss = random.getstate()
    state = np.random.get_state(legacy=True)
    assert isinstance(state, tuple)  # legacy=True: ("MT19937", keys, pos, has_gauss, cached)
    kind, mt_keys, pos, has_gauss, cached = state
    return {
        "python": {"version": version, "keys": torch.tensor(keys), "gauss": gauss},
        "numpy": {
            "kind": kind,
            "keys": torch.from_numpy(mt_keys.astype(np.int64)),
            "pos": pos,
            "has_gauss": has_gauss,
            "cached": cached,
        },
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_initialized() else [],
    }


def set_rng_states(states: dict[str, Any]) -> None:
    """Restore the generators from `rng_states()`."""
    python, numpy = states["python"], states["numpy"]
    random.setstate((python["version"], tuple(python["keys"].tolist()), python["gauss"]))
    np.random.set_state(
        (
            numpy["kind"],
            numpy["keys"].numpy().astype(np.uint32),
            numpy["pos"],
            numpy["has_gauss"],
            numpy["cached"],
        )
    )
    torch.set_rng_state(states["torch"])
    if states["cuda"] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(states["cuda"])


class RNGState(L.Callback):
    """Save the global RNG states with each checkpoint; restore them when a fit resumes.

    They are restored when training starts, after the checkpoint has been loaded and the
    model built (which draws numbers of its own), so the first resumed step draws what the
    interrupted run would have drawn next.
    """

    def __init__(self) -> None:
        self._loaded: dict[str, Any] | None = None

    def state_dict(self) -> dict[str, Any]:
        return rng_states()

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self._loaded = state_dict

    def on_train_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if self._loaded is not None:
            set_rng_states(self._loaded)
            self._loaded = None
