"""The console as a Keras user reads it: one line per epoch, the events, nothing else."""

import json
import re

from litlab.callbacks.progress import epoch_line, value_text
from tests.conftest import SHRINK


def test_an_epoch_line_reads_like_keras():
    metrics = {"train/loss": 0.21132, "train/acc": 0.937, "val/loss": 0.17204,
               "val/acc": 0.94853, "val/acc_best": 0.95}  # fmt: skip
    assert epoch_line(3, 20, 4.12, metrics) == (
        "Epoch 3/20 - 4.1s - loss 0.2113 - acc 0.9370 - val_loss 0.1720 - val_acc 0.9485"
    )
    assert epoch_line(3, -1, 1.0, {"train/loss": 1.0}).startswith("Epoch 3 - 1.0s")
    assert value_text(386388.4) == "3.864e+05" and value_text(float("nan")) == "nan"


def epoch_lines(text: str) -> list[str]:
    return re.findall(r"Epoch \d+/\d+ - .*", text)


def test_a_redirected_run_writes_one_line_per_epoch_and_says_when_it_stopped(run_cli, tmp_path):
    # Early stopping with no patience on a metric that cannot improve after the first epoch.
    result = run_cli(*SHRINK, "trainer.max_epochs=6", "callbacks.early_stopping.patience=1",
                     "callbacks.early_stopping.monitor=val/acc_best",
                     "callbacks.early_stopping.mode=max")  # fmt: skip
    assert result.returncode == 0, result.stderr
    (run,) = (tmp_path / "logs" / "train" / "runs").iterdir()
    history = json.loads((run / "history.json").read_text())
    expected = [
        epoch_line(row["epoch"], 6, 0.0, {k: v for k, v in row.items() if k != "epoch"})
        for row in history
    ]
    without_time = [re.sub(r" - [\d.]+s - ", " - 0.0s - ", line) for line in expected]
    for text in (result.stdout + result.stderr, (run / "train.log").read_text()):
        lines = [re.sub(r" - [\d.]+s - ", " - 0.0s - ", line) for line in epoch_lines(text)]
        assert lines == without_time  # once each, in order, the values of history.json
    stopped = len(history)
    best = json.loads((run / "metrics.json").read_text())["best_epoch"]
    assert stopped < 6
    assert (
        f"Early stopping at epoch {stopped}: val/acc_best has not improved for 1 epochs; "
        f"testing the best weights, epoch {best} (val/acc_best "
    ) in result.stdout + result.stderr
    assert "Test - loss " in result.stdout + result.stderr
    assert "Run folder: " in result.stdout + result.stderr


def test_no_config_tree_tips_or_device_report_by_default(run_cli):
    result = run_cli(*SHRINK, "trainer.max_epochs=1")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    for noise in ("Tip:", "GPU available", "TPU available", "┣", "├── data", "LeafSpec"):
        assert noise not in output, noise
