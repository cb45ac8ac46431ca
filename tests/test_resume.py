"""Resume: a stopped run continues in its own directory from its last checkpoint."""

import csv
import json

import pytest
import torch

from litlab.entry import train_command as train
from litlab.errors import ConfigError
from litlab.rundir import config_subdir, latest_run, resume_run_dir
from tests.conftest import SHRINK
from tests.wandb_records import offline_runs


def test_an_interrupted_fit_resumes_to_its_epochs_in_its_own_directory(run_cli, tmp_path):
    # max_steps stops the fit after 2 of its 4 epochs (5 batches each), like a kill would
    # after the second epoch's checkpoint.
    first = run_cli(*SHRINK, "trainer.max_epochs=4", "trainer.max_steps=10",
                    "logger=[csv,wandb]")  # fmt: skip
    assert first.returncode == 0, first.stderr
    (run,) = (tmp_path / "logs" / "train" / "runs").iterdir()
    assert json.loads((run / "metrics.json").read_text())["epochs"] == 2
    saved = (run / ".hydra" / "config.yaml").read_bytes()

    again = run_cli("ckpt_path=last", "trainer.max_steps=-1")
    assert again.returncode == 0, again.stderr
    assert list((tmp_path / "logs" / "train" / "runs").iterdir()) == [run]
    assert json.loads((run / "metrics.json").read_text())["epochs"] == 4
    # The run's config is untouched; the resume command is recorded beside it.
    assert (run / ".hydra" / "config.yaml").read_bytes() == saved
    (resumed,) = (run / ".hydra").glob("resumed-*")
    assert "ckpt_path=last" in (resumed / "overrides.yaml").read_text()
    # metrics.csv holds every epoch once; the W&B run goes on under the same id.
    with (run / "metrics.csv").open() as file:
        rows = list(csv.DictReader(file))
    epochs = [row["epoch"] for row in rows if row["train/loss"]]
    assert epochs == ["0", "1", "2", "3"]
    # The best validation value so far travels in the checkpoint: it covers all 4 epochs.
    val_acc = [float(row["val/acc"]) for row in rows if row["val/acc"]]
    final = json.loads((run / "metrics.json").read_text())
    assert len(val_acc) == 4 and final["val/acc_best"] == pytest.approx(max(val_acc))
    state = torch.load(run / "checkpoints" / "last.ckpt", weights_only=True)["state_dict"]
    assert float(state["val_best.max_value"]) == pytest.approx(max(val_acc))
    before, after = offline_runs(run)
    assert before["id"] == after["id"] and after["exit_code"] == 0


def test_resume_without_a_run_to_continue_says_so(compose_cfg, tmp_path):
    with pytest.raises(ConfigError, match="found no run to continue"):
        train(compose_cfg([f"resume={tmp_path / 'nowhere'}"]))


def test_hydra_is_sent_to_the_run_being_resumed(tmp_path):
    runs = tmp_path / "runs"
    new = str(runs / "2026-01-03_00-00-00")
    for name in ("2026-01-01_00-00-00", "2026-01-02_00-00-00"):
        (runs / name / "checkpoints").mkdir(parents=True)
        (runs / name / "checkpoints" / "last.ckpt").touch()
        (runs / name / ".hydra").mkdir()
        (runs / name / ".hydra" / "config.yaml").touch()
    (runs / "2026-01-02_12-00-00" / "checkpoints").mkdir(parents=True)  # nothing to resume
    (runs / "2026-01-02_12-00-00" / "checkpoints" / "last.ckpt").touch()  # and no config
    older, newer = sorted(p for p in runs.iterdir() if (p / ".hydra").is_dir())
    assert latest_run(runs) == newer
    assert resume_run_dir(None, "last", new) == str(newer)
    assert resume_run_dir(str(older), None, new) == str(older)
    assert resume_run_dir(str(runs / "missing"), None, new) == new
    assert resume_run_dir(None, "some.ckpt", new) == new
    assert resume_run_dir(None, "last", str(tmp_path / "empty" / "stamp")).endswith("stamp")
    # A new run whose stamped folder exists (started in the same second) gets its own.
    assert resume_run_dir(None, None, str(older)) == f"{older}-1"
    # Resuming: the run's own .hydra/ stays as it was, this invocation's goes beside it.
    assert config_subdir(str(older), str(older), None, "s") == ".hydra/resumed-s"
    assert config_subdir(str(older), None, "last", "s") == ".hydra/resumed-s"
    # A new run sent into a folder that holds one writes nothing over it (and is refused).
    assert config_subdir(str(older), None, None, "s") == ".hydra/refused-s"
    assert config_subdir(new, None, None, "s") == ".hydra"
