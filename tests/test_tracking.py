"""Experiment tracking: W&B offline without network, TensorBoard, secrets from .env."""

import os
from pathlib import Path

import pytest

from litlab.entry import load_env_file
from litlab.entry import train_command as train
from litlab.loggers import choose_mode, previous_run_id
from tests.wandb_records import offline_runs

SECRET = "0123456789abcdef0123456789abcdef01234567"


def test_wandb_without_network_logs_offline_and_keeps_the_key_out(compose_cfg, monkeypatch):
    import wandb

    # A key is set, but W&B cannot be reached: the run goes offline instead of failing.
    monkeypatch.delenv("WANDB_MODE")
    monkeypatch.setenv("WANDB_API_KEY", SECRET)
    monkeypatch.setenv("WANDB_BASE_URL", "http://127.0.0.1:9")  # nothing listens there
    cfg = compose_cfg(["logger=wandb", "debug=limit", "seed=3"])
    metrics = train(cfg)
    wandb.finish()

    run_dir = Path(cfg.paths.output_dir)
    (run,) = offline_runs(run_dir)
    assert run["exit_code"] == 0
    assert run["config"]["seed"] == 3 and run["config"]["data"]["seed"] == 3
    assert run["axes"]["val/*"] == run["axes"]["train/*"] == "epoch"  # plotted per epoch
    logged = {key: value for step in run["history"] for key, value in step.items()}
    assert logged["test/acc"] == pytest.approx(metrics["test/acc"])
    assert {"val/loss", "train/loss", "trainer/global_step"} <= logged.keys()
    for path in run_dir.rglob("*"):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), path


def test_wandb_mode_follows_wandb_mode_then_key_then_network(monkeypatch, tmp_path):
    monkeypatch.setenv("WANDB_MODE", "offline")
    assert choose_mode() == "offline"
    monkeypatch.setenv("WANDB_MODE", "online")
    assert choose_mode() == "online"
    monkeypatch.delenv("WANDB_MODE")
    monkeypatch.delenv("WANDB_API_KEY", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.netrc
    assert choose_mode() == "offline"


def test_a_resumed_run_directory_names_its_wandb_run(tmp_path):
    assert previous_run_id(tmp_path) is None
    for folder in ("offline-run-20260101_120000-first1", "run-20260102_080000-second2"):
        (tmp_path / "wandb" / folder).mkdir(parents=True)
    (tmp_path / "wandb" / "latest-run").mkdir()
    assert previous_run_id(tmp_path) == "second2"


def test_tensorboard_and_csv_together(compose_cfg):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    cfg = compose_cfg(["logger=[csv,tensorboard]", "debug=limit"])
    train(cfg)
    run_dir = Path(cfg.paths.output_dir)
    scalars, val_steps = set(), []
    for events in (run_dir / "tensorboard").glob("events.out.tfevents.*"):
        accumulator = EventAccumulator(str(events)).Reload()
        scalars |= set(accumulator.Tags()["scalars"])
        if "val/loss" in accumulator.Tags()["scalars"]:
            val_steps += [event.step for event in accumulator.Scalars("val/loss")]
    assert {"val/loss", "val/acc", "test/acc"} <= scalars
    assert val_steps == [1, 2]  # debug=limit: two epochs, plotted against the epoch
    assert "val/loss" in (run_dir / "metrics.csv").read_text().splitlines()[0]


def test_env_file_sets_missing_variables_only(tmp_path, monkeypatch):
    monkeypatch.setenv("LITLAB_TEST_KEPT", "from the shell")
    monkeypatch.delenv("LITLAB_TEST_NEW", raising=False)
    monkeypatch.delenv("LITLAB_TEST_QUOTED", raising=False)
    env = tmp_path / ".env"
    env.write_text(
        "# secrets\nexport LITLAB_TEST_NEW=abc\nLITLAB_TEST_QUOTED='x y'\n"
        "LITLAB_TEST_KEPT=from the file\n\n"
    )
    assert load_env_file(env) == ["LITLAB_TEST_NEW", "LITLAB_TEST_QUOTED"]
    assert os.environ["LITLAB_TEST_NEW"] == "abc"
    assert os.environ["LITLAB_TEST_QUOTED"] == "x y"
    assert os.environ["LITLAB_TEST_KEPT"] == "from the shell"
    assert load_env_file(tmp_path / "missing") == []
