"""Checkpoints hold plain data, load with `weights_only=True` and never run code; API keys
stay out of every file a run writes."""

from pathlib import Path

import pytest
import torch

from litlab.checkpoints import load_checkpoint
from litlab.errors import CheckpointError
from litlab.evaluate import evaluate
from litlab.run import train
from litlab.weights import load_model
from tests.conftest import ROOT

SECRET = "f00dfeedf00dfeedf00dfeedf00dfeedf00dfeed"


def test_every_checkpoint_kind_loads_weights_only_and_no_file_holds_the_api_key(
    run_cli, compose_cfg, tmp_path, monkeypatch
):
    # The key comes from a .env at the project root (the command's folder), as a user keeps it;
    # W&B finds it, cannot reach its host, and logs offline.
    monkeypatch.delenv("WANDB_API_KEY", raising=False)
    monkeypatch.delenv("WANDB_MODE")
    monkeypatch.setenv("WANDB_BASE_URL", "http://127.0.0.1:9")  # nothing listens there
    (tmp_path / ".env").write_text(f"WANDB_API_KEY={SECRET}\n")
    run = tmp_path / "run"
    via = (str(ROOT / "tests" / "signal_at_step.py"), "SIGINT", "7")  # epoch 1 of 2
    stopped = run_cli(
        "debug=limit", "scheduler=cosine", "logger=[csv,wandb]", f"hydra.run.dir={run}", via=via
    )
    assert stopped.returncode == 130, stopped.stderr
    assert "http://127.0.0.1:9 cannot be reached: W&B runs offline" in stopped.stdout
    interrupt = torch.load(run / "checkpoints" / "last.ckpt", weights_only=True)
    assert interrupt["global_step"] == 8 and interrupt["lr_schedulers"]
    train(compose_cfg([f"resume={run}", f"paths.output_dir={run}", "logger=csv"]))

    for name in ("best.ckpt", "last.ckpt"):
        checkpoint = torch.load(run / "checkpoints" / name, weights_only=True)
        assert {"state_dict", "optimizer_states", "lr_schedulers", "callbacks"} <= checkpoint.keys()
    weights = torch.load(run / "checkpoints" / "best_weights.pt", weights_only=True)
    assert load_model(run / "checkpoints" / "best_weights.pt").net.state_dict().keys() == {
        k.removeprefix("net.") for k in weights["state_dict"] if k.startswith("net.")
    }

    written = [p for p in tmp_path.rglob("*") if p.is_file() and p.name != ".env"]
    assert any(p.suffix == ".wandb" for p in written)  # W&B's config and history are there
    assert any(p.name == "train.log" for p in written) and (run / ".hydra").is_dir()
    for path in written:
        assert SECRET.encode() not in path.read_bytes(), path
    assert SECRET not in stopped.stdout + stopped.stderr


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
