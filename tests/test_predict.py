"""predictions.csv: the test split of a past run, or new inputs read in its dataset's format;
how eval and predict rebuild a run."""

import csv
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from omegaconf import OmegaConf
from PIL import Image

from litlab.data.idx import read_idx
from litlab.entry import train_command as train
from litlab.errors import DataError
from litlab.evaluate import evaluate, run_config
from litlab.predict import predict
from litlab.tasks.base import BaseTask
from litlab.tasks.binary import BinaryTask
from litlab.tasks.classification import ClassificationTask
from litlab.tasks.multilabel import MultilabelTask
from litlab.tasks.regression import RegressionTask
from litlab.weights import load_model
from tests.tiny import make_task


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open() as file:
        return list(csv.DictReader(file))


def trained(compose_cfg, *overrides: str) -> Path:
    """A short training run on the synthetic data; its run directory."""
    cfg = compose_cfg([*overrides, "debug=limit"])
    train(cfg)
    return Path(cfg.paths.output_dir)


def predicted(compose_cfg, tmp_path: Path, run: Path, *overrides: str) -> list[dict[str, str]]:
    out = tmp_path / "predict"
    rows = predict(
        compose_cfg([f"run_dir={run}", f"paths.output_dir={out}", *overrides], "predict")
    )
    table = read_rows(out / "predictions.csv")
    assert rows["predictions"] == len(table)
    return table


def columns_of(task_class: type[BaseTask], names: list[str], outputs, targets, **kwargs):
    """The predictions.csv columns a task of `task_class` makes of `outputs`."""
    net = torch.nn.Linear(1, task_class.outputs_for(names))
    return make_task(task_class, net, names, **kwargs).prediction_columns(outputs, targets)


def test_columns_of_each_kind_of_task():
    names = ["a", "b", "c"]
    probs = torch.tensor([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6]])
    columns = columns_of(ClassificationTask, names, probs, torch.tensor([0, 1]))
    assert list(columns) == ["pred", "target", "prob_a", "prob_b", "prob_c"]
    assert columns["pred"] == ["a", "c"] and columns["target"] == ["a", "b"]

    binary = columns_of(BinaryTask, ["ship", "iceberg"], torch.tensor([[0.2], [0.9]]),
                        torch.tensor([1.0, 1.0]), threshold=0.3)  # fmt: skip
    assert binary == {"pred": ["ship", "iceberg"], "target": ["iceberg", "iceberg"],
                      "prob_iceberg": pytest.approx([0.2, 0.9])}  # fmt: skip

    multilabel = columns_of(
        MultilabelTask, names, probs, torch.tensor([[1.0, 0, 1], [0, 0, 0]]), threshold=0.25
    )
    assert multilabel["pred"] == ["a", "b c"] and multilabel["target"] == ["a c", ""]
    assert multilabel["prob_c"] == pytest.approx([0.1, 0.6])

    values = torch.tensor([[21.5, 1.0], [30.0, 2.0]])
    regression = columns_of(RegressionTask, ["MEDV", "X"], values, values + 1)
    assert list(regression) == ["pred_MEDV", "pred_X", "target_MEDV", "target_X"]
    assert regression["target_MEDV"] == [22.5, 31.0]


def test_test_split_predictions_agree_with_eval_and_image_files_with_the_split(
    compose_cfg, tmp_path, data_root
):
    run = trained(compose_cfg)
    table = predicted(compose_cfg, tmp_path, run)
    assert len(table) == 300  # the synthetic MNIST test set
    assert list(table[0]) == ["id", "pred", "target", *(f"prob_{k}" for k in range(10))]
    for row in table[:20]:
        assert sum(float(row[f"prob_{k}"]) for k in range(10)) == pytest.approx(1.0, abs=1e-4)
    accuracy = np.mean([row["pred"] == row["target"] for row in table])
    eval_cfg = compose_cfg([f"run_dir={run}", f"paths.output_dir={tmp_path / 'eval'}"], "eval")
    assert evaluate(eval_cfg)["test/acc"] == pytest.approx(accuracy, abs=1e-6)

    # The same test images as PNG files give the same probabilities.
    images = read_idx(data_root / "MNIST" / "raw" / "t10k-images-idx3-ubyte")
    folder = tmp_path / "new"
    for i in range(3):
        (folder / f"part{i % 2}").mkdir(parents=True, exist_ok=True)
        Image.fromarray(images[i].numpy()).save(folder / f"part{i % 2}" / f"digit{i}.png")
    files = predicted(compose_cfg, tmp_path, run, f"inputs={folder}")
    assert [row["file"] for row in files] == ["part0/digit0.png", "part0/digit2.png",
                                              "part1/digit1.png"]  # fmt: skip
    for row in files:
        index = int(row["file"][-5])
        for k in range(10):
            assert float(row[f"prob_{k}"]) == pytest.approx(
                float(table[index][f"prob_{k}"]), abs=1e-5
            )


def test_csv_rows_of_features_give_values_in_the_targets_units(compose_cfg, tmp_path, data_root):
    run = trained(compose_cfg, "data=boston", "data.target_scaling=standard")
    source = data_root / "boston" / "boston_housing.csv"
    lines = source.read_text().splitlines()
    header = lines[0].split(",")
    new = tmp_path / "houses.csv"
    new.write_text("\n".join(",".join(line.split(",")[:-1]) for line in lines[:5]) + "\n")
    table = predicted(compose_cfg, tmp_path, run, f"inputs={new}")
    assert [list(row) for row in table] == [["id", "pred_MEDV"]] * 4

    model = load_model(run / "checkpoints" / "best_weights.pt")
    features = torch.tensor([[float(v) for v in line.split(",")[:-1]] for line in lines[1:5]])
    expected = model(features).squeeze(1).tolist()
    assert [float(row["pred_MEDV"]) for row in table] == pytest.approx(expected, rel=1e-5)

    new.write_text(",".join(header[1:-1]) + "\n" + "1," * 11 + "1\n")  # no CRIM column
    with pytest.raises(DataError, match=r"12 feature columns .* the model takes 13"):
        predicted(compose_cfg, tmp_path, run, f"inputs={new}")


def test_unlabelled_iceberg_records_are_predicted_by_their_ids(compose_cfg, tmp_path, data_root):
    run = trained(compose_cfg, "data=iceberg")
    records = json.loads((data_root / "iceberg" / "train.json").read_text())[:4]
    for record in records:
        del record["is_iceberg"]
    new = tmp_path / "test.json"
    new.write_text(json.dumps(records))
    table = predicted(compose_cfg, tmp_path, run, f"inputs={new}")
    assert [row["id"] for row in table] == [record["id"] for record in records]
    assert list(table[0]) == ["id", "pred", "prob_iceberg"]
    for row in table:
        assert row["pred"] == ("iceberg" if float(row["prob_iceberg"]) > 0.5 else "ship")


def test_eval_keys_that_follow_an_overridden_key_follow_it(compose_cfg):
    saved = OmegaConf.create(OmegaConf.to_container(compose_cfg(["seed=1"]), resolve=True))
    cfg = compose_cfg(["paths.data_dir=/elsewhere", "seed=2"], "eval")
    run = run_config(cfg, saved, {"paths.data_dir", "seed"})
    assert run.data.data_dir == "/elsewhere"
    assert run.seed == 2 and run.data.seed == 2
    assert run.model == saved["model"]
