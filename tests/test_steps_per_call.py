"""Several optimizer steps per Lightning step (`steps_per_execution`, as in Keras): the same fit.

The same updates, schedule steps and clipping as one step per call, so a deterministic fit ends
with the same weights and metrics; a Ctrl-C in the middle of a call stops at the call's end
and resumes exactly; `auto` takes several steps only where they pay and change no meaning.
"""

import json
import signal
from pathlib import Path

import lightning as L
import pytest
import torch
from omegaconf import OmegaConf

from litlab.build import build_task, steps_per_call
from litlab.entry import run_entry
from litlab.entry import train_command as train
from tests.signal_at_step import SignalAtStep

# 1,150 training digits in batches of 32: 36 steps an epoch, the last of 30 samples.
FIT = ["data=digits", "trainer.max_epochs=2", "trainer.deterministic=true", "scheduler=onecycle",
       "optimizer.lr=0.01", "trainer.gradient_clip_val=0.5", "model.hidden=[32]"]  # fmt: skip
TOLERANCE = 1e-5  # float sums in another order (validation batches K times larger)


def fitted(compose_cfg, tmp_path: Path, name: str, steps: int) -> tuple[dict, dict]:
    deterministic = torch.are_deterministic_algorithms_enabled()
    out = tmp_path / name
    metrics = train(compose_cfg([*FIT, f"steps_per_execution={steps}", f"paths.output_dir={out}"]))
    torch.use_deterministic_algorithms(deterministic)
    state = torch.load(out / "checkpoints" / "last.ckpt", weights_only=True)
    return metrics, state


def test_several_steps_per_call_give_the_same_fit(compose_cfg, tmp_path):
    one, one_state = fitted(compose_cfg, tmp_path, "one", 1)
    five, five_state = fitted(compose_cfg, tmp_path, "five", 5)
    assert five_state["global_step"] == one_state["global_step"] == 72  # optimizer steps
    for name, tensor in one_state["state_dict"].items():
        assert torch.allclose(five_state["state_dict"][name], tensor, atol=TOLERANCE), name
    schedule = one_state["lr_schedulers"][0]
    assert five_state["lr_schedulers"][0]["_step_count"] == schedule["_step_count"]
    for name in ("train/loss", "val/loss", "val/acc", "test/acc", "test/loss"):
        assert five[name] == pytest.approx(one[name], abs=TOLERANCE), name


def test_a_ctrl_c_inside_a_call_stops_at_its_end_and_resumes_exactly(
    compose_cfg, compose_job, tmp_path, monkeypatch
):
    unstopped, _ = fitted(compose_cfg, tmp_path, "unstopped", 5)
    init = L.Trainer.__init__

    def with_ctrl_c(self, *args, callbacks=None, **kwargs):
        # Sent as call 3 (steps 10 to 14) starts: it arrives while the call runs.
        init(self, *args, callbacks=[*callbacks, SignalAtStep(signal.SIGINT, 10, at_start=True)],
             **kwargs)  # fmt: skip

    monkeypatch.setattr(L.Trainer, "__init__", with_ctrl_c)
    run = tmp_path / "run"
    deterministic = torch.are_deterministic_algorithms_enabled()
    cfg = compose_cfg([*FIT, "steps_per_execution=5", f"paths.output_dir={run}"])
    with pytest.raises(SystemExit) as exit_info:
        run_entry(train, cfg)
    assert exit_info.value.code == 130
    (run / ".hydra").mkdir()
    OmegaConf.save(cfg, run / ".hydra" / "config.yaml")  # as Hydra does for a command
    assert torch.load(run / "checkpoints" / "last.ckpt", weights_only=True)["global_step"] == 15
    monkeypatch.setattr(L.Trainer, "__init__", init)
    resumed = train(*compose_job([f"resume={run}", f"paths.output_dir={run}"]))
    torch.use_deterministic_algorithms(deterministic)
    for name in ("val/loss", "val/acc", "test/acc"):
        assert resumed[name] == pytest.approx(unstopped[name], abs=TOLERANCE), name


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ([], "several"),  # a small MLP on the CPU
        (["trainer.limit_train_batches=5"], 1),  # a number of batches would mean calls
        (["trainer.accumulate_grad_batches=2"], 1),
        (["trainer.max_steps=100"], 1),
        (["trainer=ddp_cpu"], 1),
        (
            [
                "data=cifar10",
                "model=resnet",
                "model.widths=[64,128,256,512]",
                "model.blocks=[2,2,2,2]",
            ],
            1,
        ),  # ResNet-18: slow steps
        (["steps_per_execution=3"], 3),
    ],
)
def test_auto_takes_several_steps_only_where_they_pay(compose_cfg, overrides, expected):
    cfg = compose_cfg(["data=digits", *overrides])
    chosen = steps_per_call(cfg, build_task(cfg))
    assert chosen > 1 if expected == "several" else chosen == expected


def test_throughput_records_each_epoch_and_what_the_run_chose(compose_cfg, tmp_path):
    out = tmp_path / "run"
    cfg = compose_cfg([*FIT, "steps_per_execution=5", "threads=1", f"paths.output_dir={out}",
                       "callbacks=[default,throughput]"])  # fmt: skip
    train(cfg)
    perf = json.loads((out / "perf.json").read_text())  # what bench/bench.py reads
    assert len(perf["epoch_s"]) == 2 and all(s > 0 for s in perf["epoch_s"])
    assert (perf["threads"], perf["steps_per_call"]) == (1, 5)
    assert perf["first_step_s"] > 0


def test_throughput_times_an_epoch_stopped_inside_it_up_to_the_stop(tmp_path):
    from litlab.callbacks.throughput import Throughput

    meter = Throughput(str(tmp_path))
    meter.on_train_epoch_end(trainer=None, pl_module=None)  # type: ignore[arg-type]  # epoch 1
    meter.on_train_epoch_start(trainer=None, pl_module=None)  # type: ignore[arg-type]  # epoch 2
    meter._close_epoch(meter._epoch_end)  # as on_train_end after a Ctrl-C inside epoch 2
    assert meter.epoch_s[0] >= 0
