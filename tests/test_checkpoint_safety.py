"""Checkpoints hold plain data, load with `weights_only=True` and never run code; API keys
stay out of every file a run writes."""

import logging
import os
import signal
from pathlib import Path

import lightning as L
import pytest
import torch

from litlab.checkpoints import load_checkpoint
from litlab.entry import run_entry
from litlab.entry import train_command as train
from litlab.errors import CheckpointError
from litlab.evaluate import evaluate
from litlab.weights import load_model
from tests.signal_at_step import SignalAtStep

SECRET = "f00dfeedf00dfeedf00dfeedf00dfeedf00dfeed"


def test_every_checkpoint_kind_loads_weights_only_and_no_file_holds_the_api_key(
    compose_cfg, tmp_path, monkeypatch, caplog
):
    # The key comes from a .env at the project root, as a user keeps it (W&B stays offline).
    # SIGTERM after step 7 leaves an interrupt checkpoint.
    monkeypatch.delenv("WANDB_API_KEY", raising=False)  # and unset again after the test
    (tmp_path / ".env").write_text(f"WANDB_API_KEY={SECRET}\n")
    init = L.Trainer.__init__
    stop = SignalAtStep(signal.SIGTERM, 7)
    monkeypatch.setattr(
        L.Trainer,
        "__init__",
        lambda self, *a, callbacks, **kw: init(self, *a, callbacks=[*callbacks, stop], **kw),
    )
    caplog.set_level(logging.DEBUG)
    run = tmp_path / "run"
    overrides = ["debug=limit", "scheduler=cosine", f"paths.root_dir={tmp_path}"]
    with pytest.raises(SystemExit):
        run_entry(train, compose_cfg([*overrides, "logger=[csv,wandb]"]))
    assert os.environ["WANDB_API_KEY"] == SECRET  # read from .env, for wandb to find
    interrupt = torch.load(run / "checkpoints" / "last.ckpt", weights_only=True)
    assert interrupt["global_step"] == 8 and interrupt["lr_schedulers"]
    stop.step = -1
    train(compose_cfg([*overrides, f"ckpt_path={run / 'checkpoints' / 'last.ckpt'}"]))

    for name in ("best.ckpt", "last.ckpt"):
        checkpoint = torch.load(run / "checkpoints" / name, weights_only=True)
        assert {"state_dict", "optimizer_states", "lr_schedulers", "callbacks"} <= checkpoint.keys()
    weights = torch.load(run / "checkpoints" / "best_weights.pt", weights_only=True)
    assert load_model(run / "checkpoints" / "best_weights.pt").net.state_dict().keys() == {
        k.removeprefix("net.") for k in weights["state_dict"] if k.startswith("net.")
    }
    written = [p for p in tmp_path.rglob("*") if p.is_file() and p.name != ".env"]
    assert any(p.suffix == ".wandb" for p in written)  # W&B's config and history are there
    for path in written:
        assert SECRET.encode() not in path.read_bytes(), path
    assert SECRET not in caplog.text


class RunsCode:
    """Unpickling this would call `open(path, "w")`: it would create the file."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple:
        return (open, (str(self.path), "w"))


@pytest.fixture
def code_checkpoint(tmp_path: Path) -> tuple[Path, Path]:
    """A checkpoint-shaped file that runs code when loaded without weights_only, and the file
    that code would create."""
    marker = tmp_path / "code_ran"
    path = tmp_path / "evil.ckpt"
    torch.save(
        {"state_dict": {}, "pytorch-lightning_version": "2.6.6", "format": RunsCode(marker)},
        path,
    )
    return path, marker


def test_loading_a_checkpoint_never_runs_code_from_it(compose_cfg, code_checkpoint, tmp_path):
    path, marker = code_checkpoint
    refused = "litlab loads nothing else, as that could run code"
    with pytest.raises(CheckpointError, match=refused):
        load_checkpoint(path)
    with pytest.raises(CheckpointError, match=refused):
        load_model(path)
    with pytest.raises(CheckpointError, match=refused):
        train(compose_cfg([f"ckpt_path={path}"]))
    with pytest.raises(CheckpointError, match=refused):
        evaluate(compose_cfg([f"ckpt_path={path}"], config_name="eval"))
    assert not marker.exists()
