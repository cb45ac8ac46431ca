"""litlab from Python: `train` runs what the command line runs; `load_run` reads a run back."""

import json
import re

import pandas as pd
import pytest
import torch

from litlab import load_run, train
from litlab.errors import ConfigError
from tests.conftest import ROOT, SHRINK


@pytest.fixture
def in_project(tmp_path, data_root, monkeypatch):
    """The current folder is a project whose data root holds the synthetic datasets."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data").symlink_to(data_root)
    return tmp_path


def test_train_writes_the_run_folder_the_command_line_writes(in_project):
    run = train(["data=digits", "model=cnn", "threads=1", *SHRINK])
    assert run.folder.parent == in_project / "logs" / "train" / "runs"
    for name in (".hydra/config.yaml", "train.log", "metrics.json", "checkpoints/best.ckpt"):
        assert (run.folder / name).is_file(), name
    history = run.history
    assert list(history.index) == [1, 2] and {"train/loss", "val/acc"} <= set(history.columns)
    assert history.loc[2, "val/acc"] == pytest.approx(
        json.loads((run.folder / "history.json").read_text())[1]["val/acc"]
    )
    assert run.metrics["test/acc"] == pytest.approx(run.report["summary"]["accuracy"]["f1"])
    assert {"learning_curves", "samples", "predictions"} <= set(run.plots)
    assert re.search(r"<table>.*test/acc", run._repr_html_())


def test_a_past_run_predicts_tensors_and_image_files(in_project):
    run = load_run(train(["data=digits", "threads=1", *SHRINK]).folder)
    assert not run.model.training
    pixels = torch.randint(0, 256, (5, 1, 8, 8), dtype=torch.uint8)
    table = run.predict(pixels)
    assert list(table.columns) == ["pred", *(f"prob_{c}" for c in "0123456789")]
    assert len(table) == 5 and table.filter(like="prob_").sum(axis=1).round(4).eq(1).all()
    assert run.predict(pixels[0]).shape == (1, 11)  # one input
    with pytest.raises(ConfigError, match=r"this run's model takes \[1, 8, 8\]"):
        run.predict(torch.zeros(2, 3, 8, 8))
    from PIL import Image

    folder = in_project / "photos"
    folder.mkdir()
    for i in range(3):
        Image.fromarray(pixels[i, 0].numpy()).resize((20, 20)).save(folder / f"{i}.png")
    assert list(run.predict(folder).index) == ["0.png", "1.png", "2.png"]


def test_a_table_run_predicts_a_dataframe(in_project, data_root):
    run = train(["data=boston", "threads=1", *SHRINK])
    rows = pd.read_csv(data_root / "boston" / "boston_housing.csv").drop(columns="MEDV").head(4)
    predicted = run.predict(rows)
    assert list(predicted.columns) == ["pred_MEDV"] and len(predicted) == 4


def test_train_raises_the_message_the_command_line_prints(in_project):
    with pytest.raises(ConfigError, match="model=cnn needs image inputs"):
        train(["data=boston", "model=cnn"])
    with pytest.raises(ConfigError, match="runs one run"):
        train(["-m", "seed=1,2"])


def test_the_notebook_example_runs(in_project):
    """docs/notebook.md's cells, in order, in one namespace (epochs shrunk)."""
    text = (ROOT / "docs" / "notebook.md").read_text()
    cells = re.findall(r"```python\n(.*?)```", text, re.DOTALL)
    assert len(cells) >= 3
    (in_project / "my_photos").mkdir()
    from PIL import Image

    Image.new("L", (16, 16), 200).save(in_project / "my_photos" / "one.png")
    namespace: dict = {}
    for cell in cells:
        exec(cell.replace("trainer.max_epochs=5", "trainer.max_epochs=1"), namespace)
