"""Training that goes wrong: a NaN loss, Ctrl-C, SIGTERM and SIGKILL; and the exact resume."""

import logging
import math
import re
import signal
from pathlib import Path

import lightning as L
import pytest
import torch
from lightning.pytorch.callbacks import ModelCheckpoint
from torch import nn

from litlab.api import compose_config
from litlab.callbacks.nonfinite_loss import StopOnNonFiniteLoss
from litlab.entry import run_entry
from litlab.entry import train_command as train
from litlab.errors import DivergedError
from litlab.tasks.classification import ClassificationTask
from tests.conftest import CONF_DIR, ROOT, TEST_OVERRIDES
from tests.signal_at_step import SignalAtStep
from tests.tiny import TinyData, make_task, quiet_trainer

# -- a NaN or infinite loss -----------------------------------------------------------------


class PoisonWeights(L.Callback):
    """Make the net's weights NaN just before training step `step` (counted from 0)."""

    def __init__(self, step: int) -> None:
        self.step = step

    def on_train_batch_start(self, trainer: L.Trainer, pl_module, batch, batch_idx) -> None:
        if trainer.global_step == self.step:
            with torch.no_grad():
                pl_module.net.weight.fill_(math.nan)


def fit_poisoned(dirpath: Path, check_every: int) -> tuple[L.Trainer, str]:
    """Four steps per epoch; the loss of step 9 (epoch 2, batch 1) is NaN."""
    x = torch.arange(16, dtype=torch.float32).unsqueeze(1)
    task = make_task(ClassificationTask, nn.Linear(1, 2), ["a", "b"])
    trainer = quiet_trainer(
        max_epochs=5,
        enable_checkpointing=True,
        callbacks=[
            StopOnNonFiniteLoss(check_every=check_every),
            PoisonWeights(step=9),
            ModelCheckpoint(dirpath=dirpath, save_last=True),
        ],
    )
    with pytest.raises(DivergedError) as err:
        trainer.fit(task, datamodule=TinyData(x, (x[:, 0] % 2).long()))
    return trainer, str(err.value)


def test_a_nan_loss_stops_the_fit_naming_its_step_and_keeps_the_last_good_checkpoint(tmp_path):
    _, message = fit_poisoned(tmp_path, check_every=100)
    assert "The training loss became nan at step 10 (epoch 2, batch 1)" in message
    assert f"The last checkpoint saved before it is kept: {tmp_path / 'last.ckpt'}" in message
    assert "optimizer.lr" in message and "trainer.gradient_clip_val" in message
    # Checked before validation: no checkpoint of epoch 2 was written over the good one.
    last = torch.load(tmp_path / "last.ckpt", weights_only=True)
    assert (last["epoch"], last["global_step"]) == (1, 8)
    assert all(torch.isfinite(t).all() for t in last["state_dict"].values())


def test_the_losses_are_checked_every_check_every_steps(tmp_path):
    trainer, message = fit_poisoned(tmp_path, check_every=1)
    assert "at step 10 (epoch 2, batch 1)" in message
    assert trainer.global_step == 10  # stopped right after the bad step


def test_a_diverging_run_is_one_message_and_in_a_sweep_a_failed_job(compose_cfg, tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="litlab")
    overrides = ["data=boston", "optimizer=sgd", "optimizer.lr=1e6", "debug=limit"]
    with pytest.raises(SystemExit) as exit_info:
        run_entry(train, compose_cfg(overrides))
    assert exit_info.value.code == 1
    (error,) = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    step = r"The training loss became (nan|inf|-inf) at step \d+ \(epoch 0, batch \d+\)"
    assert re.match(step, error), error

    job = tmp_path / "job"
    sweep = ["hydra.mode=MULTIRUN", f"hydra.runtime.output_dir={job}", f"paths.output_dir={job}"]
    assert math.isnan(run_entry(train, compose_cfg([*overrides, *sweep])))
    assert re.match("DivergedError: " + step, (job / "error.txt").read_text())


# -- Ctrl-C, SIGTERM and SIGKILL; resuming -----------------------------------------------------

# 800 training samples in batches of 64: 13 steps an epoch. Augmentation draws from the
# global RNG at every step, so an exact resume needs its state.
RUN = ["data.batch_size=64", "trainer.max_epochs=3", "trainer.deterministic=true", "augment=basic",
       "steps_per_execution=1"]  # fmt: skip


@pytest.fixture(scope="module")
def unstopped(tmp_path_factory: pytest.TempPathFactory, data_root: Path) -> dict[str, float]:
    """The metrics of the run below when nothing stops it."""
    out = tmp_path_factory.mktemp("unstopped")
    deterministic = torch.are_deterministic_algorithms_enabled()
    cfg = compose_config(
        CONF_DIR,
        [f"paths.data_dir={data_root}", f"paths.cache_dir={out / 'cache'}",
         f"paths.output_dir={out}", *TEST_OVERRIDES, *RUN],
    )  # fmt: skip
    metrics = train(cfg)
    torch.use_deterministic_algorithms(deterministic)
    return metrics


@pytest.fixture
def resume(compose_job, tmp_path):
    """Continue the run in tmp_path/run in this process, as `resume=<run dir>` does."""
    deterministic = torch.are_deterministic_algorithms_enabled()

    def _resume() -> dict[str, float]:
        run = tmp_path / "run"
        return train(*compose_job([f"resume={run}", f"paths.output_dir={run}"]))

    yield _resume
    torch.use_deterministic_algorithms(deterministic)


def stopped_at(run_cli, tmp_path: Path, name: str, step: int):
    """Run RUN in tmp_path/run, sending the process `name` after training step `step`."""
    via = (str(ROOT / "tests" / "signal_at_step.py"), name, str(step))
    return run_cli(*RUN, f"hydra.run.dir={tmp_path / 'run'}", via=via)


def test_ctrl_c_saves_the_run_exits_130_and_resuming_ends_as_the_unstopped_run(
    run_cli, tmp_path, resume, unstopped
):
    secret = "0ddba11c0ffee0ddba11c0ffee0ddba11c0ffee0"
    (tmp_path / ".env").write_text(f"WANDB_API_KEY={secret}\n")  # read by the run, kept out
    result = stopped_at(run_cli, tmp_path, "SIGINT", 15)  # mid-epoch 1
    assert result.returncode == 130, result.stderr
    run = tmp_path / "run"
    output = result.stdout + result.stderr
    for path in [p for p in run.rglob("*") if p.is_file()]:  # train.log, .hydra/, checkpoints
        assert secret.encode() not in path.read_bytes(), path
    assert (
        f"Stopped by Ctrl-C (SIGINT) at epoch 1, step 16; the run's state is saved in "
        f"{run / 'checkpoints' / 'last.ckpt'}. Continue it with: python src/train.py resume={run}"
    ) in output
    assert "Traceback" not in output
    assert torch.load(run / "checkpoints" / "last.ckpt", weights_only=True)["global_step"] == 16
    # The loader goes on with the batches epoch 1 had not served, with the same random draws.
    assert resume() == unstopped


def test_a_killed_run_resumes_from_its_last_checkpoint_to_the_same_metrics(
    run_cli, tmp_path, resume, unstopped
):
    result = stopped_at(run_cli, tmp_path, "SIGKILL", 15)
    assert result.returncode == -signal.SIGKILL
    last = torch.load(tmp_path / "run" / "checkpoints" / "last.ckpt", weights_only=True)
    assert last["global_step"] == 13  # the end of epoch 0: epoch 1 is done again
    assert resume() == unstopped


def test_sigterm_saves_the_run_and_exits_143(compose_cfg, tmp_path, monkeypatch, caplog):
    caplog.set_level(logging.INFO, logger="litlab")
    init = L.Trainer.__init__

    def with_sigterm(self, *args, callbacks=None, **kwargs):
        init(self, *args, callbacks=[*callbacks, SignalAtStep(signal.SIGTERM, 3)], **kwargs)

    monkeypatch.setattr(L.Trainer, "__init__", with_sigterm)
    with pytest.raises(SystemExit) as exit_info:
        run_entry(train, compose_cfg(["debug=limit"]))
    assert exit_info.value.code == 128 + signal.SIGTERM
    run = tmp_path / "run"
    assert f"Stopped by SIGTERM at epoch 0, step 4; the run's state is saved in {run}" in (
        caplog.text
    )
    assert torch.load(run / "checkpoints" / "last.ckpt", weights_only=True)["global_step"] == 4
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # handlers put back
