"""Look at the data: training images with their labels, the same after augmentation (Keras'
`flow()` preview), and test images with what the model predicted, mistakes marked.

`plots/samples.png` and, with augmentation on, `plots/augmented.png` are drawn when a fit
starts; `plots/predictions.png` when a test ends. Runs on tables draw nothing.
`python src/show.py data=... augment=...` draws the first two without training.
"""

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import lightning as L
import torch
from lightning.pytorch.utilities import rank_zero_only
from torch import Tensor

from litlab.callbacks.publish import publish_figure
from litlab.tasks.base import BaseTask

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def is_image_data(datamodule: Any) -> bool:
    shape = tuple(getattr(datamodule, "input_shape", ()))
    return len(shape) == 3 and shape[0] in (1, 3)


def image_grid(
    images: Tensor, titles: Sequence[str], wrong: Sequence[bool] = (), columns: int = 8
) -> "Figure":
    """Images (N, C, H, W) in a grid, each with its title (red where `wrong`).

    One mosaic in one axes: drawing a figure of many axes costs ~0.5 s, this ~0.1 s."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    count, channels, height, width = images.shape
    columns = max(1, min(columns, count))
    rows = -(-count // columns)
    gap, title = max(1, round(0.12 * width)), max(4, round(0.34 * height))
    cell_w, cell_h = width + gap, height + title
    canvas = torch.ones(rows * cell_h, columns * cell_w, 3)
    for index, raw in enumerate(images.float()):
        low, high = raw.min(), raw.max()
        image = (raw - low) / (high - low) if high > low else raw * 0  # any range: 0..1
        top, left = (index // columns) * cell_h + title, (index % columns) * cell_w + gap // 2
        pixels = image.expand(3, -1, -1) if channels == 1 else image[:3]
        canvas[top : top + height, left : left + width] = pixels.permute(1, 2, 0)
    inches = 1.6 * columns
    figure = Figure(figsize=(inches, inches * canvas.shape[0] / canvas.shape[1]))
    FigureCanvasAgg(figure)
    ax = figure.add_axes((0, 0, 1, 1))
    ax.axis("off")
    ax.imshow(canvas.numpy(), interpolation="nearest")
    for index, text in enumerate(titles[:count]):
        is_wrong = bool(wrong[index]) if index < len(wrong) else False
        x = (index % columns) * cell_w + gap // 2 + width / 2
        y = (index // columns) * cell_h + title - 0.5
        ax.text(x, y, text, ha="center", va="bottom", fontsize=7,
                color="red" if is_wrong else "black")  # fmt: skip
    return figure


def data_figures(datamodule: Any, task: BaseTask, count: int = 16) -> dict[str, "Figure"]:
    """`plots/samples.png` of the first training images and, with augmentation,
    `plots/augmented.png` of the same images after it (one draw, as in training)."""
    if not is_image_data(datamodule):
        return {}
    x, y = (t[:count] for t in datamodule.splits["train"])
    labels = [str(v) for v in task.readable(y.cpu(), "t")["t"]]
    figures = {"plots/samples.png": image_grid(x.cpu(), labels)}
    if datamodule.augment is not None:
        with torch.random.fork_rng():  # the fit draws the same numbers with or without this
            augmented = datamodule.augment(x.float())
        figures["plots/augmented.png"] = image_grid(augmented.cpu(), labels)
    return figures


class DataPreview(L.Callback):
    """Draw the data a fit learns from and what its model predicts (see the module docstring).

    Args:
        dirpath: the run folder.
        count: images per figure.
    """

    def __init__(self, dirpath: str, count: int = 16) -> None:
        self.dirpath = Path(dirpath)
        self.count = count

    @rank_zero_only
    def on_fit_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        datamodule = getattr(trainer, "datamodule", None)
        if isinstance(pl_module, BaseTask) and datamodule is not None:
            for name, figure in data_figures(datamodule, pl_module, self.count).items():
                publish_figure(trainer, self.dirpath, name, figure)

    @rank_zero_only
    def on_test_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        datamodule = getattr(trainer, "datamodule", None)
        if not isinstance(pl_module, BaseTask) or not is_image_data(datamodule):
            return
        x, y = (t[: self.count] for t in datamodule.splits["test"])  # type: ignore[union-attr]
        with torch.no_grad():
            outputs = pl_module.predict_outputs(pl_module(x.float().to(pl_module.device))).cpu()
        predicted = [str(v) for v in pl_module.readable(pl_module.decide(outputs), "p")["p"]]
        true = [str(v) for v in pl_module.readable(y.cpu(), "t")["t"]]
        titles = [f"{p}\n({t})" if p != t else p for p, t in zip(predicted, true, strict=True)]
        wrong = [p != t for p, t in zip(predicted, true, strict=True)]
        figure = image_grid(x.cpu(), titles, wrong)
        publish_figure(trainer, self.dirpath, "plots/predictions.png", figure)
