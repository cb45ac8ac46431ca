"""Combinations that cannot work stop before training with one message naming the fix."""

from pathlib import Path

import pytest

from litlab.entry import train_command as train
from litlab.errors import ConfigError

CASES = {
    "cnn on tabular data": (["data=boston", "model=cnn"], "model=cnn needs image.*model=mlp"),
    "vgg on tabular data": (["data=boston", "model=vgg"], "model=vgg needs image inputs"),
    "resnet on tabular data": (["data=boston", "model=resnet"], "model=resnet needs image inputs"),
    "classification on multilabel targets": (
        ["data=apparel", "task=classification"],
        "task=classification trains on classification targets but data=apparel holds "
        "multilabel targets; use task=multilabel",
    ),
    "binary on classification targets": (["data=mnist", "task=binary"], "use task=classification"),
    "regression on binary targets": (["data=iceberg", "task=regression"], "use task=binary"),
    "multilabel on regression targets": (["data=boston", "task=multilabel"], "use task=regression"),
    "10-output head on 11 labels": (
        ["data=apparel", "task.num_outputs=10"],
        r"task.num_outputs=10 does not fit: multilabel on the 11 names of data.class_names "
        r"needs num_outputs=11\. Leave task.num_outputs to the task config",
    ),
    "two logits for a binary task": (
        ["data=iceberg", "task.num_outputs=2"], "binary on the 2 names .* needs num_outputs=1"
    ),
    "model head unlike the task's": (
        ["data=mnist", "model.num_outputs=5"],
        r"model.num_outputs=5 but task=classification on data=mnist needs 10 outputs; leave "
        r"model.num_outputs to the task",
    ),
    "pooling below one pixel": (
        ["data=digits", "model=cnn", "model.channels=[8,8,8,8]"],
        r"model=cnn: its 4 blocks shrink the 8x8 input below one pixel .* use fewer blocks",
    ),
}  # fmt: skip


@pytest.mark.parametrize(("overrides", "message"), CASES.values(), ids=list(CASES))
def test_incompatible_choices_fail_before_training(compose_job, overrides, message):
    cfg, job = compose_job(overrides)
    with pytest.raises(ConfigError, match=message):
        train(cfg, job)
    assert not (Path(cfg.paths.output_dir) / "checkpoints").exists()


def test_incompatible_choice_is_one_message_on_the_command_line(run_cli):
    result = run_cli("data=boston", "model=cnn")
    assert result.returncode == 1
    assert "use model=mlp for tabular data" in result.stderr + result.stdout
    assert "Traceback" not in result.stderr
