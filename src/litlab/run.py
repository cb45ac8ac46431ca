"""A finished run, read back in Python: its config, model, predictions, history and report.

    run = litlab.load_run("logs/train/runs/<stamp>")
    run.model                        # the task with its best weights, in eval mode
    run.predict(x)                   # tensors, arrays, image files or a DataFrame of rows
    run.history                      # one row per epoch (Keras' History.history)
    run.metrics, run.report          # metrics.json, report.json

The config is read from the best checkpoint as data (`litlab.registry.saved_config`): a run
someone sent you builds only what this project declares. In Jupyter a run shows its metrics,
its model summary and its learning curves.
"""

import base64
import html
import json
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import torch
from omegaconf import DictConfig
from torch import Tensor

from litlab.build import build_datamodule, build_task
from litlab.checkpoints import check_fits, checkpoint_config, load_checkpoint
from litlab.data.images import ReadsInputs
from litlab.errors import CheckpointError, ConfigError
from litlab.rundir import BEST, CV_SUMMARY, METRICS
from litlab.tasks.base import BaseTask


@dataclass
class Run:
    """A run folder, read lazily: nothing heavy is loaded until it is asked for.

    Args:
        folder: the run folder (a fold's folder for a cross-validation).
        device: where `model` and `predict` compute (cpu, cuda, mps).
    """

    folder: Path
    device: str = "cpu"
    _checkpoint: dict[str, Any] = field(default_factory=dict, repr=False)

    # -- what was trained ---------------------------------------------------------------------

    @cached_property
    def config(self) -> DictConfig:
        """The run's resolved config (data, task, model, ...), as its best checkpoint holds it."""
        return checkpoint_config(self._best(), self.folder / BEST)

    @cached_property
    def model(self) -> BaseTask:
        """The task with the run's best weights, in eval mode, on `device`."""
        task = build_task(self.config)
        checkpoint = self._best()
        check_fits(checkpoint, self.folder / BEST, task)
        task.load_state_dict(checkpoint["state_dict"])
        return task.eval().to(self.device)

    def _best(self) -> dict[str, Any]:
        if not self._checkpoint:
            if not (self.folder / BEST).is_file() and (self.folder / CV_SUMMARY).is_file():
                raise ConfigError(
                    f"{self.folder} is a cross-validation: each fold is a run of its own; load "
                    f"one, e.g. load_run({str(self.folder / 'fold_0')!r})."
                )
            self._checkpoint = load_checkpoint(self.folder / BEST)
        return self._checkpoint

    # -- using it -------------------------------------------------------------------------------

    def predict(self, inputs: Any, batch_size: int = 256) -> Any:
        """Predictions for `inputs`, as a DataFrame with the columns of `predictions.csv`.

        Args:
            inputs: a tensor or array of raw inputs as the dataset gives them (pixels 0..255,
                feature values), one input or a batch; an image file, a folder of images, or
                a list of image files; a CSV path or a pandas DataFrame of feature columns.
            batch_size: inputs per forward pass.
        """
        import pandas as pd

        x, ids = self._inputs(inputs)
        outputs = []
        with torch.no_grad():
            for start in range(0, len(x), batch_size):
                batch = x[start : start + batch_size].float().to(self.device)
                outputs.append(self.model.predict_outputs(self.model(batch)).cpu())
        columns = self.model.prediction_columns(torch.cat(outputs))
        return pd.DataFrame(columns, index=ids)

    def _inputs(self, inputs: Any) -> tuple[Tensor, list[str]]:
        """Raw inputs as one tensor (N, *input_shape), and what names each."""
        import numpy as np
        import pandas as pd

        shape = tuple(self.config.data.input_shape)
        if isinstance(inputs, Tensor | np.ndarray):
            x = torch.as_tensor(inputs)
            x = x.unsqueeze(0) if tuple(x.shape) == shape else x
            if tuple(x.shape[1:]) != shape:
                raise ConfigError(
                    f"inputs of shape {list(x.shape)}: this run's model takes {list(shape)} per "
                    "input (one input, or a batch of them)."
                )
            return x, [str(i) for i in range(len(x))]
        reader = build_datamodule(self.config)
        if not isinstance(reader, ReadsInputs):
            raise ConfigError(f"{type(reader).__name__} reads no files; give a tensor of inputs.")
        if isinstance(inputs, pd.DataFrame):
            with tempfile.TemporaryDirectory() as folder:
                path = Path(folder) / "inputs.csv"
                inputs.to_csv(path, index=False)
                read = reader.read_inputs(path)
            return read.x, [str(i) for i in inputs.index]
        paths = [Path(p) for p in inputs] if isinstance(inputs, Sequence) and not isinstance(
            inputs, str) else [Path(inputs)]  # fmt: skip
        read_all = [reader.read_inputs(path) for path in paths]
        ids = [i if len(paths) == 1 else f"{p}/{i}" for p, r in zip(paths, read_all, strict=True)
               for i in r.ids]  # fmt: skip
        return torch.cat([r.x for r in read_all]), ids

    # -- what it wrote --------------------------------------------------------------------------

    @property
    def history(self) -> Any:
        """One row per epoch (from 1): train and val metrics, as Keras' `History.history`."""
        import pandas as pd

        path = self.folder / "history.json"
        if not path.is_file():
            raise CheckpointError(f"{path} does not exist: the run has no epochs recorded.")
        return pd.DataFrame(json.loads(path.read_text())).set_index("epoch")

    @property
    def metrics(self) -> dict[str, float]:
        """Every final metric by name (metrics.json)."""
        return json.loads((self.folder / METRICS).read_text())

    @property
    def report(self) -> dict[str, Any]:
        """The test report: per-class precision, recall, F1, support (report.json)."""
        return json.loads((self.folder / "report.json").read_text())

    @property
    def plots(self) -> dict[str, Path]:
        """The run's figures by name: learning_curves, confusion_matrix, samples, ..."""
        return {p.stem: p for p in sorted((self.folder / "plots").glob("*.png"))}

    def show(self) -> None:
        """Display the run's figures (in Jupyter) or say where they are."""
        try:
            from IPython.display import Image, display
        except ImportError:
            print("\n".join(str(path) for path in self.plots.values()))
            return
        for path in self.plots.values():
            display(Image(filename=str(path)))

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td>{name}</td><td>{value:.4g}</td></tr>"
            for name, value in self.metrics.items()
            if isinstance(value, int | float) and name.startswith(("test/", "val/"))
        )
        curves = self.plots.get("learning_curves")
        image = ""
        if curves is not None:
            data = base64.b64encode(curves.read_bytes()).decode()
            image = f'<img src="data:image/png;base64,{data}" style="max-width: 640px"/>'
        summary = self.folder / "model_summary.txt"
        model = (
            f"<details><summary>model</summary><pre>{html.escape(summary.read_text())}</pre></details>"
            if summary.is_file()
            else ""
        )
        return f"<b>{self.folder}</b><table>{rows}</table>{model}{image}"
