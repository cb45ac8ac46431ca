"""data=dataframe: images listed in a CSV with Windows paths; one label column (classification)
or several 0/1 columns (multilabel); split CSVs; eval and predict."""

import csv
import shutil
from pathlib import Path

import pytest
import torch

from litlab.build import build_datamodule
from litlab.entry import train_command as train
from litlab.errors import DataError
from litlab.evaluate import evaluate
from litlab.predict import predict
from tests.conftest import SHRINK
from tests.synthetic import write_image_table

ONE_EPOCH = [*SHRINK, "trainer.max_epochs=1"]
KINDS = ["both", "left", "none", "top"]


@pytest.fixture(scope="module")
def listed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_image_table(tmp_path_factory.mktemp("listed"), rows=30)


def frame_cfg(compose_cfg, file: Path, labels: str, *overrides: str):
    return compose_cfg(["data=dataframe", f"data.file={file}", f"data.label_columns={labels}",
                        "data.image_column=file", "data.image_size=16", "data.num_workers=0",
                        "data.batch_size=4", *overrides])  # fmt: skip


def csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open() as file:
        return list(csv.DictReader(file))


def all_of(dm) -> tuple[torch.Tensor, torch.Tensor]:
    return tuple(torch.cat([split[i] for split in dm.splits.values()]) for i in (0, 1))


def test_several_label_columns_are_multilabel(compose_cfg, listed):
    cfg = frame_cfg(compose_cfg, listed, "[left,top]")
    assert cfg.data.target_kind == "multilabel" and list(cfg.data.class_names) == ["left", "top"]
    assert cfg.task._target_ == "litlab.tasks.multilabel.MultilabelTask"
    assert cfg.task.num_outputs == 2 and list(cfg.model.input_shape) == [3, 16, 16]
    dm = build_datamodule(cfg)
    dm.setup()
    x, y = all_of(dm)
    assert x.shape == (30, 3, 16, 16) and x.dtype == torch.uint8
    assert y.dtype == torch.float32 and y.shape == (30, 2)
    # The labels follow their images through the Windows paths: a bright bar where labelled.
    left = x[:, :, :, :3].float().mean((1, 2, 3)) > x[:, :, 6:, 8:].float().mean((1, 2, 3)) + 60
    top = x[:, :, :3, :].float().mean((1, 2, 3)) > x[:, :, 6:, 8:].float().mean((1, 2, 3)) + 60
    assert torch.equal(torch.stack([left, top], 1).float(), y)


def test_one_label_column_is_classification_by_its_sorted_values(compose_cfg, listed):
    cfg = frame_cfg(compose_cfg, listed, "[kind]", "data.grayscale=true")
    assert cfg.data.target_kind == "classification" and list(cfg.data.class_names) == KINDS
    assert cfg.task.num_outputs == 4 and list(cfg.data.input_shape) == [1, 16, 16]
    dm = build_datamodule(cfg)
    dm.setup()
    x, y = all_of(dm)
    assert x.shape[1] == 1 and y.dtype == torch.int64
    assert sorted(KINDS[i] for i in y.tolist()) == sorted(r["kind"] for r in csv_rows(listed))


def test_paths_relative_to_image_dir_and_absolute(compose_cfg, listed, tmp_path):
    elsewhere = tmp_path / "tables" / "images.csv"
    elsewhere.parent.mkdir()
    shutil.copy(listed, elsewhere)
    cfg = frame_cfg(compose_cfg, elsewhere, "[kind]", f"data.image_dir={listed.parent}")
    assert len(all_of(_set_up(cfg))[0]) == 30
    lines = listed.read_text().splitlines()
    absolute = [lines[0]] + [
        str(listed.parent.joinpath(*line.split(",", 1)[0].split("\\")))
        + ","
        + line.split(",", 1)[1]
        for line in lines[1:]
    ]
    elsewhere.write_text("\n".join(absolute) + "\n")
    assert len(all_of(_set_up(frame_cfg(compose_cfg, elsewhere, "[kind]")))[0]) == 30


def _set_up(cfg):
    dm = build_datamodule(cfg)
    dm.setup()
    return dm


def test_a_folder_of_split_csvs_is_used_as_given(compose_cfg, listed, tmp_path):
    folder = tmp_path / "splits"
    folder.mkdir()
    lines = listed.read_text().splitlines()
    for name, part in (("train", lines[1:19]), ("val", lines[19:25]), ("test", lines[25:])):
        paths = [f"..\\{listed.parent.name}\\{line}" for line in part]  # relative to the CSVs
        (folder / f"{name}.csv").write_text("\n".join([lines[0], *paths]) + "\n")
    shutil.copytree(listed.parent, tmp_path / listed.parent.name, dirs_exist_ok=True)
    dm = _set_up(frame_cfg(compose_cfg, folder, "[left,top]"))
    sizes = {name: len(x) for name, (x, _) in dm.splits.items()}
    assert sizes == {"train": 18, "val": 6, "test": 6}


def test_absent_images_and_columns_are_named(compose_cfg, listed, tmp_path):
    broken = tmp_path / "broken.csv"
    lines = listed.read_text().splitlines()
    broken.write_text("\n".join([lines[0], lines[1].replace(".", "_gone.", 1), *lines[2:]]) + "\n")
    with pytest.raises(DataError, match=r"broken\.csv lists 1 images that do not exist"):
        _set_up(frame_cfg(compose_cfg, broken, "[kind]", f"data.image_dir={listed.parent}"))
    with pytest.raises(DataError, match=r"no column right; the header has file, kind, left, top"):
        train(frame_cfg(compose_cfg, listed, "[left,right]", "debug=fdr"))
    with pytest.raises(DataError, match=r"nowhere\.csv does not exist \(data\.file\)"):
        train(frame_cfg(compose_cfg, tmp_path / "nowhere.csv", "[kind]", "debug=fdr"))


def test_fit_eval_and_predict(compose_cfg, listed, tmp_path):
    cfg = frame_cfg(compose_cfg, listed, "[left,top]", *ONE_EPOCH)
    metrics = train(cfg)
    run = Path(cfg.paths.output_dir)
    eval_cfg = compose_cfg([f"run_dir={run}", f"paths.output_dir={tmp_path / 'eval'}"], "eval")
    assert evaluate(eval_cfg)["test/f1_macro"] == pytest.approx(metrics["test/f1_macro"], abs=1e-6)

    out = tmp_path / "split"
    predict(compose_cfg([f"run_dir={run}", f"paths.output_dir={out}"], "predict"))
    rows = csv_rows(out / "predictions.csv")
    assert len(rows) == 6 and list(rows[0]) == ["id", "pred", "target", "prob_left", "prob_top"]

    out = tmp_path / "new"
    images = listed.parent / "imgs" / "left"
    predict(compose_cfg([f"run_dir={run}", f"inputs={images}", f"paths.output_dir={out}"],
                        "predict"))  # fmt: skip
    rows = csv_rows(out / "predictions.csv")
    assert [row["file"] for row in rows] == sorted(p.name for p in images.iterdir())


def test_k_fold_of_a_dataframe(compose_cfg, listed):
    cfg = frame_cfg(compose_cfg, listed, "[left,top]", "cv.folds=2", *ONE_EPOCH)
    metrics = train(cfg)
    assert {"test/f1_macro", "test/f1_macro_std"} <= metrics.keys()
    assert all(
        (Path(cfg.paths.output_dir) / f"fold_{i}" / "metrics.json").is_file() for i in (0, 1)
    )
