"""The test report: report.txt, report.json and its plots, written when a test ends."""

import json
import logging
from pathlib import Path

import lightning as L
from lightning.pytorch.utilities import rank_zero_only

from litlab.callbacks.publish import publish_figure, publish_text
from litlab.tasks.base import BaseTask
from litlab.tasks.report import report_table, report_text

log = logging.getLogger(__name__)


class WriteTestReport(L.Callback):
    """Write the task's test report into `dirpath` and to every active logger.

    `report.txt` (sklearn-style table, confusion matrix), `report.json` (the same numbers and
    the test metrics) and the task's figures (`report_figures`: the confusion matrix of
    single-label tasks, `plots/label_scores.png` of multi-label ones).

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
            name: float(value)
            for name, value in trainer.callback_metrics.items()
            if name.startswith("test/")
        }
        checkpoint = str(trainer.ckpt_path) if trainer.ckpt_path else None
        text = report_text(report, metrics, checkpoint)
        log.info("Test report:\n%s", report_table(report))
        publish_text(trainer, self.dirpath, "report.txt", text)
        content = {"checkpoint": checkpoint, "metrics": metrics, **report.to_dict()}
        (self.dirpath / "report.json").write_text(json.dumps(content, indent=2) + "\n")
        for name, figure in pl_module.report_figures(report).items():
            publish_figure(trainer, self.dirpath, name, figure)
