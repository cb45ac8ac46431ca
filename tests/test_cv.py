"""K-fold cross-validation: the folds, one fit per fold, the summary, eval of a fold."""

import csv
import json
import statistics
from pathlib import Path

import pytest
import torch

from litlab.data.base import kfold
from litlab.entry import train_command as train
from litlab.errors import ConfigError
from litlab.evaluate import evaluate
from litlab.loggers import default_names


def test_kfold_partitions_the_samples_into_near_equal_folds():
    held = [kfold(10, 3, fold, seed=0) for fold in range(3)]
    for train_idx, val_idx in held:
        assert sorted([*train_idx.tolist(), *val_idx.tolist()]) == list(range(10))
    assert sorted(i for _, val_idx in held for i in val_idx.tolist()) == list(range(10))
    assert sorted(len(val_idx) for _, val_idx in held) == [3, 3, 4]
    assert torch.equal(kfold(10, 3, 1, seed=0)[1], held[1][1])  # seeded
    assert not torch.equal(kfold(10, 3, 1, seed=1)[1], held[1][1])


def test_three_folds_give_three_fits_and_their_mean_and_std(compose_cfg, tmp_path):
    cfg = compose_cfg(["data=boston", "cv.folds=3", "debug=limit"])
    metrics = train(cfg)
    run = Path(cfg.paths.output_dir)

    folds = [json.loads((run / f"fold_{i}" / "metrics.json").read_text()) for i in range(3)]
    for i, fold in enumerate(folds):
        saved = torch.load(run / f"fold_{i}" / "checkpoints" / "best.ckpt", weights_only=True)
        assert saved["hyper_parameters"]["data"]["folds"] == 3
        assert saved["hyper_parameters"]["data"]["fold"] == i
        # The held-out score is that of the best checkpoint, the one chosen by val/loss.
        assert fold["val/loss"] == pytest.approx(fold["val/loss_best"], rel=1e-5)
        assert {"test/mae", "val/mae"} <= fold.keys()
    assert len({fold["val/mae"] for fold in folds}) == 3  # three different held-out folds

    summary = json.loads((run / "cv_summary.json").read_text())
    assert [row["fold"] for row in summary["folds"]] == [0, 1, 2]
    for name in ("val/mae", "test/mae", "test/rmse"):
        values = [fold[name] for fold in folds]
        assert summary["mean"][name] == pytest.approx(statistics.fmean(values))
        assert summary["std"][name] == pytest.approx(statistics.stdev(values))
        assert metrics[name] == pytest.approx(statistics.fmean(values))
        assert metrics[f"{name}_std"] == pytest.approx(statistics.stdev(values))
    assert json.loads((run / "metrics.json").read_text()) == pytest.approx(metrics)

    with (run / "cv_summary.csv").open() as file:
        rows = list(csv.DictReader(file))
    assert [row["fold"] for row in rows] == ["0", "1", "2", "mean", "std"]
    assert float(rows[1]["test/mae"]) == pytest.approx(folds[1]["test/mae"])
    assert float(rows[4]["test/mae"]) == pytest.approx(summary["std"]["test/mae"])

    # A fold's checkpoint alone rebuilds that fold (its data split and target scaling).
    eval_cfg = compose_cfg(
        [f"ckpt_path={run / 'fold_1' / 'checkpoints' / 'best.ckpt'}",
         f"paths.output_dir={tmp_path / 'eval'}",
         f"trainer.limit_test_batches={cfg.trainer.limit_test_batches}"],  # the fold's test
        config_name="eval",
    )  # fmt: skip
    assert evaluate(eval_cfg)["test/mae"] == pytest.approx(folds[1]["test/mae"], rel=1e-5)
    with pytest.raises(ConfigError, match="fold_0"):
        evaluate(compose_cfg([f"run_dir={run}"], config_name="eval"))


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (["cv.folds=1"], "at least 2 folds"),
        (["cv.folds=2", "train=false"], "train=true"),
        (["cv.folds=2", "trainer=ddp_cpu"], "one device"),
    ],
)
def test_impossible_cross_validations_are_one_message(compose_cfg, overrides, message):
    with pytest.raises(ConfigError, match=message):
        train(compose_cfg(["data=boston", *overrides]))


def test_the_folds_of_a_cross_validation_form_one_wandb_group(tmp_path):
    run = tmp_path / "2026-01-01_12-00-00"
    assert default_names(run) == ("2026-01-01_12-00-00", None)
    assert default_names(run / "fold_2") == ("2026-01-01_12-00-00-fold_2", "2026-01-01_12-00-00")
