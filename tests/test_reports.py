"""The files a run leaves for its reader hold the right numbers: test report, plots, learning
curves, model summary, best epoch, exported weights; figures and texts reach every logger."""

import json
import math
from pathlib import Path

import pytest
import torch
from lightning.pytorch.loggers import CSVLogger, TensorBoardLogger, WandbLogger

from litlab.build import build_datamodule
from litlab.callbacks.preview import image_grid
from litlab.callbacks.publish import publish_figure, publish_text
from litlab.callbacks.report import WriteTestReport
from litlab.entry import train_command as train
from litlab.evaluate import evaluate
from litlab.tasks.classification import ClassificationTask
from litlab.tasks.multilabel import MultilabelTask
from litlab.tasks.regression import RegressionTask
from litlab.tasks.report import new_figure
from litlab.weights import load_model
from tests.conftest import SHRINK
from tests.tiny import known_run, quiet_trainer

PNG_MAGIC = b"\x89PNG"


def _report_of(tmp_path: Path, task, data) -> tuple[dict, str]:
    quiet_trainer(callbacks=[WriteTestReport(str(tmp_path))]).test(
        task, datamodule=data, verbose=False
    )
    return json.loads((tmp_path / "report.json").read_text()), (tmp_path / "report.txt").read_text()


def _lines(text: str) -> list[str]:
    return [" ".join(line.split()) for line in text.splitlines()]


def test_classification_report_files(tmp_path):
    targets = torch.tensor([0, 1, 1, 2, 2, 0])
    logits = torch.nn.functional.one_hot(torch.tensor([0, 0, 1, 2, 2, 2]), 3).float()
    report, text = _report_of(tmp_path, *known_run(ClassificationTask, logits, targets,
                                                   ["cat", "dog", "cow"]))  # fmt: skip

    assert report["checkpoint"] is None
    assert report["metrics"]["test/acc"] == pytest.approx(4 / 6)
    assert report["confusion_matrix"] == [[1, 0, 1], [1, 1, 0], [0, 0, 2]]
    assert report["rows"]["cow"] == pytest.approx(
        {"precision": 2 / 3, "recall": 1.0, "f1": 0.8, "support": 2}
    )
    assert report["summary"]["macro avg"]["f1"] == pytest.approx((1 / 2 + 2 / 3 + 4 / 5) / 3)
    lines = _lines(text)
    assert "cow 0.6667 1.0000 0.8000 2" in lines
    assert "accuracy 0.6667 6" in lines
    assert "macro avg 0.7222 0.6667 0.6556 6" in lines
    assert "cat 1 0 1" in lines  # a row of the confusion matrix: true cat
    assert (tmp_path / "plots" / "confusion_matrix.png").read_bytes()[:4] == PNG_MAGIC


def test_multilabel_report_files(tmp_path):
    targets = torch.tensor([[1, 0], [0, 1], [1, 1], [0, 0]]).float()
    logits = torch.tensor([[3, -3], [3, 3], [3, -3], [-3, -3]]).float()
    report, text = _report_of(tmp_path, *known_run(MultilabelTask, logits, targets, ["red", "hat"]))

    # red: tp 2, fp 1; hat: tp 1, fn 1; micro: tp 3, fp 1, fn 1.
    assert report["rows"]["red"] == pytest.approx(
        {"precision": 2 / 3, "recall": 1.0, "f1": 0.8, "support": 2}
    )
    assert report["rows"]["hat"] == pytest.approx(
        {"precision": 1.0, "recall": 0.5, "f1": 2 / 3, "support": 2}
    )
    assert report["summary"]["micro avg"]["f1"] == pytest.approx(0.75)
    assert report["metrics"]["test/exact_match"] == pytest.approx(2 / 4)
    assert "micro avg 0.7500 0.7500 0.7500 4" in _lines(text)
    assert (tmp_path / "plots" / "label_scores.png").read_bytes()[:4] == PNG_MAGIC
    assert not (tmp_path / "plots" / "confusion_matrix.png").exists()


def test_regression_report_files(tmp_path):
    targets = torch.tensor([[1.0], [2.0], [3.0], [6.0]])
    outputs = torch.tensor([[1.0], [3.0], [3.0], [4.0]])  # errors 0, 1, 0, -2
    report, text = _report_of(tmp_path, *known_run(RegressionTask, outputs, targets, ["price"]))

    assert report["rows"]["price"] == pytest.approx(
        {"mae": 0.75, "rmse": math.sqrt(5 / 4), "r2": 1 - 5 / 14}
    )
    assert report["metrics"]["test/mae"] == pytest.approx(0.75)
    assert "price 0.7500 1.1180 0.6429" in _lines(text)
    assert not (tmp_path / "plots").exists()


def test_training_run_leaves_every_report(compose_cfg, tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    board = [f"+logger.tb.{k}={v}" for k, v in (
        ("_target_", "lightning.pytorch.loggers.TensorBoardLogger"),
        ("save_dir", tmp_path / "tb"), ("name", "''"), ("version", "''"),
    )]  # fmt: skip
    cfg = compose_cfg(["trainer.max_epochs=3", "model.hidden=[32]", *board])
    metrics = train(cfg)
    out = Path(cfg.paths.output_dir)

    tags = EventAccumulator(str(tmp_path / "tb")).Reload().Tags()
    plots = ["confusion_matrix", "learning_curves", "predictions", "samples"]  # every plot
    assert sorted(tags["images"]) == [f"plots/{name}" for name in plots]
    assert sorted(p.stem for p in (out / "plots").glob("*.png")) == plots
    assert {"report/text_summary", "model_summary/text_summary"} <= set(tags["tensors"])

    history = json.loads((out / "history.json").read_text())
    assert [row["epoch"] for row in history] == [1, 2, 3]
    assert history[-1]["train/acc"] == pytest.approx(metrics["train/acc"])
    val_losses = [row["val/loss"] for row in history]
    assert metrics["val/loss_best"] == pytest.approx(min(val_losses))
    assert metrics["best_epoch"] == 1 + val_losses.index(min(val_losses))
    for name in plots:
        assert (out / "plots" / f"{name}.png").read_bytes()[:4] == PNG_MAGIC
    assert "Total params: 25,450" in (out / "model_summary.txt").read_text()  # 784*32+32 + 330

    report = json.loads((out / "report.json").read_text())
    assert report["checkpoint"] == str(out / "checkpoints" / "best.ckpt")
    assert report["metrics"] == pytest.approx({k: v for k, v in metrics.items() if "test/" in k})
    assert report["summary"]["accuracy"]["f1"] == pytest.approx(metrics["test/acc"])
    assert sum(map(sum, report["confusion_matrix"])) == report["summary"]["accuracy"]["support"]

    # The exported weights rebuild the best model without Lightning or Hydra.
    weights = torch.load(out / "checkpoints" / "best_weights.pt", weights_only=True)
    assert weights["best_epoch"] == metrics["best_epoch"]
    model = load_model(out / "checkpoints" / "best_weights.pt")
    datamodule = build_datamodule(cfg)
    datamodule.setup("test")
    images, labels = next(iter(datamodule.test_dataloader()))
    accuracy = (model(images.float()).argmax(1) == labels).float().mean()
    best = torch.load(out / "checkpoints" / "best.ckpt", weights_only=True)["state_dict"]
    assert torch.equal(model.state_dict()["net.1.weight"], best["net.1.weight"])
    assert accuracy > 0.8  # the synthetic classes are learnable; chance is 0.1

    # Re-testing the run writes the same report into the eval folder.
    eval_out = tmp_path / "eval"
    evaluate(compose_cfg([f"run_dir={out}", f"paths.output_dir={eval_out}"], config_name="eval"))
    again = json.loads((eval_out / "report.json").read_text())
    assert again["confusion_matrix"] == report["confusion_matrix"]


def _trainer_with(*loggers):
    return quiet_trainer(logger=list(loggers))


def test_figures_and_texts_reach_tensorboard_and_a_csv_logger_elsewhere(tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    run_dir = tmp_path / "run"
    board = TensorBoardLogger(tmp_path / "tb", name="", version="")
    csv = CSVLogger(tmp_path / "csv", name="", version="")
    trainer = _trainer_with(board, csv)
    figure = new_figure(3, 3)
    figure.subplots().plot([1, 2], [3, 4])
    publish_figure(trainer, run_dir, "plots/curve.png", figure)
    publish_text(trainer, run_dir, "report.txt", "precision 1.0")
    board.experiment.flush()

    assert (run_dir / "plots" / "curve.png").read_bytes()[:4] == PNG_MAGIC
    assert (tmp_path / "csv" / "plots" / "curve.png").read_bytes()[:4] == PNG_MAGIC
    assert (tmp_path / "csv" / "report.txt").read_text() == "precision 1.0"
    events = EventAccumulator(str(tmp_path / "tb")).Reload()
    assert events.Tags()["images"] == ["plots/curve"]
    assert "report/text_summary" in events.Tags()["tensors"]


def test_figures_and_texts_reach_wandb_offline(tmp_path, monkeypatch):
    monkeypatch.setenv("WANDB_SILENT", "true")
    logger = WandbLogger(offline=True, save_dir=str(tmp_path), project="litlab-test")
    trainer = _trainer_with(logger)
    figure = new_figure(3, 3)
    publish_figure(trainer, tmp_path / "run", "plots/curve.png", figure)
    publish_text(trainer, tmp_path / "run", "report.txt", "precision 1.0")
    logger.experiment.finish()

    media = [p.relative_to(tmp_path) for p in tmp_path.glob("wandb/*/files/media/**/*.*")]
    assert any(p.parent.name == "plots" and p.name.startswith("curve") for p in media)
    assert any(p.name.startswith("report") and p.suffix == ".json" for p in media)


@pytest.mark.slow
def test_ddp_run_finishes_and_reports_once(run_cli, tmp_path):
    # Epoch metrics are synced inside the task's hooks on every rank; a reduce that only rank
    # 0's progress bar starts used to leave the ranks waiting on each other forever.
    result = run_cli("trainer=ddp_cpu", *SHRINK, "model.hidden=[16]", timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    (run_dir,) = (tmp_path / "logs" / "train" / "runs").iterdir()
    report = json.loads((run_dir / "report.json").read_text())
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert report["metrics"]["test/acc"] == pytest.approx(metrics["test/acc"])
    assert (run_dir / "plots" / "learning_curves.png").exists()


def test_an_image_grid_shows_each_image_scaled_under_its_title_and_mistakes_in_red():
    images = torch.rand(10, 1, 8, 8) * 50 + 100  # any range is drawn from black to white
    images[3] = 7.0  # a flat image is black, not a division by zero
    titles = [f"cat {i}" for i in range(10)]
    wrong = [i % 4 == 0 for i in range(10)]
    figure = image_grid(images, titles, wrong, columns=4)
    (ax,) = figure.axes
    assert [text.get_text() for text in ax.texts] == titles
    assert [text.get_color() == "red" for text in ax.texts] == wrong
    mosaic = torch.from_numpy(ax.images[0].get_array().copy())
    assert mosaic.shape[2] == 3 and float(mosaic.min()) == 0.0 and float(mosaic.max()) == 1.0
    first = (images[0, 0] - images[0].min()) / (images[0].max() - images[0].min())
    rows, columns = mosaic.shape[0] // 3, mosaic.shape[1] // 4  # 3 rows of 4 cells
    found = [
        (top, left)
        for top in range(rows - 7)
        for left in range(columns - 7)
        if torch.allclose(mosaic[top : top + 8, left : left + 8, 0], first, atol=1e-6)
    ]
    assert len(found) == 1  # the first image, whole, in the first cell
    assert mosaic[rows * 3 - 1, -1].tolist() == [1.0, 1.0, 1.0]  # the two empty cells are blank
