"""The test report: report.txt, report.json and its plots, written when a test ends."""

import json
import logging
from pathlib import Path

import lightning as L
from lightning.pytorch.utilities import rank_zero_only

from litlab.callbacks import plots
from litlab.callbacks.publish import publish_figure, publish_text
from litlab.callbacks.report_text import report_text
from litlab.outputs import as_float
from litlab.tasks.base import BaseTask

log = logging.getLogger(__name__)


class WriteTestReport(L.Callback):
    """Write the task's test report into `dirpath` and to every active logger.

    `report.txt` (sklearn-style table, confusion matrix), `report.json` (the same numbers and
    the test metrics), `plots/confusion_matrix.png` for single-label tasks and
    `plots/label_scores.png` for multi-label ones.

    Args:
        dirpath: the run directory.
    """

    def __init__(self, dirpath: str) -> None:
        self.dirpath = Path(dirpath)

    @rank_zero_only
    def on_test_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if not isinstance(pl_module, BaseTask) or pl_module.test_report is None:
            return
        report = pl_module.test_report
        metrics = {
            name: as_float(value)
            for name, value in trainer.callback_metrics.items()
            if name.startswith("test/")
        }
        checkpoint = str(trainer.ckpt_path) if trainer.ckpt_path else None
        text = report_text(report, metrics, checkpoint)
        log.info("Test report:\n%s", text)
        publish_text(trainer, self.dirpath, "report.txt", text)
        content = {"checkpoint": checkpoint, "metrics": metrics, **report.to_dict()}
        (self.dirpath / "report.json").write_text(json.dumps(content, indent=2) + "\n")
        if report.confusion_matrix is not None:
            publish_figure(
                trainer, self.dirpath, "plots/confusion_matrix.png", plots.confusion_matrix(report)
            )
        elif pl_module.target_kind == "multilabel":
            publish_figure(
                trainer, self.dirpath, "plots/label_scores.png", plots.label_bars(report)
            )
