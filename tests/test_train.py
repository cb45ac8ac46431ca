"""End-to-end training through `litlab.training.train` on synthetic MNIST-format files."""

import json
from pathlib import Path

import pytest
import torch

from litlab.entry import train_command as train
from litlab.evaluate import evaluate


def test_fast_dev_run_reaches_test(compose_cfg):
    metrics = train(compose_cfg(["debug=fdr"]))
    assert {"test/acc", "test/loss", "test/f1_macro"} <= metrics.keys()


def test_fit_learns_tests_best_checkpoint_and_eval_reproduces(compose_cfg, tmp_path):
    cfg = compose_cfg(["trainer.max_epochs=4"])
    metrics = train(cfg)
    out = Path(cfg.paths.output_dir)

    # The synthetic classes are learnable: far above chance (0.1), with margin below 1.0.
    assert metrics["test/acc"] >= 0.9
    assert metrics["val/acc_best"] >= metrics["val/acc"] - 1e-6
    assert json.loads((out / "metrics.json").read_text()) == pytest.approx(metrics)
    for name in ("best.ckpt", "last.ckpt"):
        checkpoint = torch.load(out / "checkpoints" / name, weights_only=True)
        assert checkpoint["hyper_parameters"]["data"]["seed"] == 777

    eval_out = tmp_path / "eval"
    eval_metrics = evaluate(
        compose_cfg([f"run_dir={out}", f"paths.output_dir={eval_out}"], config_name="eval")
    )
    for name in ("test/acc", "test/loss", "test/f1_macro"):
        assert eval_metrics[name] == pytest.approx(metrics[name], abs=1e-6)
    assert json.loads((eval_out / "metrics.json").read_text()) == pytest.approx(eval_metrics)


def test_seed_zero_is_honoured_and_runs_repeat(compose_cfg):
    cfg = compose_cfg(["seed=0", "debug=limit"])
    assert cfg.seed == 0 and cfg.data.seed == 0
    first, second = train(cfg), train(cfg)
    assert first["val/loss"] == second["val/loss"]
    other = train(compose_cfg(["seed=1", "debug=limit"]))
    assert other["val/loss"] != first["val/loss"]


def test_train_and_test_switches(compose_cfg, tmp_path):
    cfg = compose_cfg(["debug=limit", "test=false"])
    metrics = train(cfg)
    assert not any(name.startswith("test/") for name in metrics)
    best = Path(cfg.paths.output_dir) / "checkpoints" / "best.ckpt"
    tested = train(
        compose_cfg(["train=false", f"ckpt_path={best}", f"paths.output_dir={tmp_path / 't'}"])
    )
    assert set(tested) == {"test/acc", "test/loss", "test/f1_macro"}


@pytest.mark.parametrize("preset", ["fdr", "limit", "overfit", "profiler"])
def test_debug_presets_run(compose_cfg, preset):
    overrides = [f"debug={preset}"]
    if preset in ("overfit", "profiler"):
        overrides.append("trainer.max_epochs=1")
    cfg = compose_cfg(overrides)
    assert "test/acc" in train(cfg)
    if preset == "profiler":  # it replaces the default NoProfiler and times every hook
        report = (Path(cfg.paths.output_dir) / "fit-profile.txt").read_text()
        assert "run_training_epoch" in report


def test_callbacks_none_trains_and_tests_the_last_weights(compose_cfg):
    cfg = compose_cfg(["callbacks=none", "debug=limit"])
    metrics = train(cfg)
    assert "test/acc" in metrics and "best_epoch" not in metrics
    assert not (Path(cfg.paths.output_dir) / "checkpoints").exists()
