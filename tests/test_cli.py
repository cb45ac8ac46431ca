"""The entry points as a user meets them: exit codes, run folders, one-line errors."""

import json
from pathlib import Path

from tests.conftest import SHRINK


def only_run_dir(logs: Path) -> Path:
    (run,) = (logs / "train" / "runs").iterdir()
    return run


def test_train_cli_writes_a_complete_run_folder(run_cli, tmp_path):
    result = run_cli(*SHRINK)
    assert result.returncode == 0, result.stderr
    run = only_run_dir(tmp_path / "logs")
    for name in ("train.log", "metrics.json", "metrics.csv", ".hydra/config.yaml",
                 "checkpoints/best.ckpt", "checkpoints/last.ckpt"):  # fmt: skip
        assert (run / name).exists(), name
    assert "test/acc" in json.loads((run / "metrics.json").read_text())
    assert "Seed: 777" in (run / "train.log").read_text()


def test_missing_data_is_one_clear_message(run_cli, tmp_path):
    result = run_cli(f"paths.data_dir={tmp_path / 'nowhere'}")
    assert result.returncode == 1
    output = result.stdout + result.stderr
    assert "MNIST data not found" in output and "data=digits" in output
    assert "Traceback" not in output
    # The full trace is kept in the run log for whoever needs it.
    assert "Traceback" in (only_run_dir(tmp_path / "logs") / "train.log").read_text()
