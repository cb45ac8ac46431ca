"""data=image_folder: one folder per class, any size and format; train/val/test or seeded splits;
class names read while the config is composed; fit, eval and predict."""

import csv
from pathlib import Path

import pytest
import torch

from litlab.data.image_folder import ImageFolderDataModule
from litlab.entry import train_command as train
from litlab.errors import ConfigError, DataError
from litlab.evaluate import evaluate
from litlab.predict import predict
from tests.conftest import SHRINK
from tests.synthetic import SHAPE_CLASSES, write_image_folder

CLASSES = list(SHAPE_CLASSES)


def set_up(root: Path, **kwargs) -> ImageFolderDataModule:
    options = {"data_dir": str(root), "root": str(root), "input_shape": [3, 16, 16],
               "target_kind": "classification", "class_names": CLASSES, "batch_size": 4,
               "image_size": 16, "num_workers": 0}  # fmt: skip
    dm = ImageFolderDataModule(**(options | kwargs))
    dm.setup()
    return dm


@pytest.fixture(scope="module")
def flat(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = write_image_folder(tmp_path_factory.mktemp("flat") / "shapes", per_class=10)
    (root / ".ipynb_checkpoints").mkdir()  # hidden: not a class
    (root / "README.txt").write_text("not an image\n")  # files beside the class folders: ignored
    return root


def test_mixed_sizes_formats_and_modes_decode_to_squares_with_their_labels(flat):
    suffixes = {p.suffix for p in flat.rglob("*.*") if p.parent != flat}
    assert suffixes == {".jpg", ".png"}
    dm = set_up(flat)
    x, y = (
        torch.cat([s[0] for s in dm.splits.values()]),
        torch.cat([s[1] for s in dm.splits.values()]),
    )
    assert x.shape == (30, 3, 16, 16) and x.dtype == torch.uint8 and y.dtype == torch.int64
    assert torch.bincount(y).tolist() == [10, 10, 10]
    # Class k has its bright block in the k-th third of the top half: labels follow images.
    thirds = torch.stack(
        [x[:, :, :8, k * 5 : k * 5 + 5].float().mean((1, 2, 3)) for k in range(3)], 1
    )
    assert torch.equal(thirds.argmax(1), y)


def test_grayscale_gives_one_channel(flat):
    grey = set_up(flat, grayscale=True, input_shape=[1, 16, 16])
    colour = set_up(flat)
    assert grey.splits["train"][0].shape[1:] == (1, 16, 16)
    luma = torch.tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1)
    expected = (colour.splits["train"][0] * luma).sum(1, keepdim=True).round().to(torch.uint8)
    assert torch.equal(grey.splits["train"][0], expected)


def test_flat_folder_is_split_with_the_seed(flat):
    dm = set_up(flat)
    assert {name: len(x) for name, (x, _) in dm.splits.items()} == {
        "train": 19,
        "val": 5,
        "test": 6,
    }
    again, other = set_up(flat), set_up(flat, seed=1)
    assert torch.equal(dm.splits["test"][0], again.splits["test"][0])
    assert not torch.equal(dm.splits["test"][0], other.splits["test"][0])


def test_train_val_test_folders_are_used_as_given(tmp_path):
    root = write_image_folder(tmp_path / "shapes", per_class=4, splits=("train", "val", "test"))
    dm = set_up(root)
    assert {name: len(x) for name, (x, _) in dm.splits.items()} == {
        "train": 12,
        "val": 12,
        "test": 12,
    }
    assert torch.bincount(dm.splits["val"][1]).tolist() == [4, 4, 4]
    # Without val/, validation is cut from train/ with the seed; test/ stays as given.
    for path in (root / "val").rglob("*.*"):
        path.unlink()
    for folder in sorted((root / "val").rglob("*"), reverse=True):
        folder.rmdir()
    (root / "val").rmdir()
    dm = set_up(root)
    assert {name: len(x) for name, (x, _) in dm.splits.items()} == {
        "train": 10,
        "val": 2,
        "test": 12,
    }


def test_config_reads_class_names_channels_and_the_task(compose_cfg, flat):
    cfg = compose_cfg(["data=image_folder", f"data.root={flat}", "data.grayscale=true",
                       "data.image_size=20"])  # fmt: skip
    assert list(cfg.data.class_names) == CLASSES
    assert list(cfg.data.input_shape) == [1, 20, 20] == list(cfg.model.input_shape)
    assert cfg.task._target_ == "litlab.tasks.classification.ClassificationTask"
    assert cfg.task.num_outputs == 3


def test_empty_class_folder_is_named(tmp_path):
    root = write_image_folder(tmp_path / "shapes", per_class=2)
    (root / "triangle").mkdir()
    (root / "triangle" / "notes.txt").write_text("no image here\n")
    with pytest.raises(DataError, match="triangle: this class folder holds no image") as err:
        set_up(root, class_names=[*CLASSES, "triangle"])
    assert str(root / "triangle") in str(err.value)


def test_class_folder_only_in_val_is_named(tmp_path):
    root = write_image_folder(tmp_path / "shapes", per_class=2, splits=("train", "val"))
    write_image_folder(root / "val", classes=["triangle"], per_class=1)
    with pytest.raises(DataError, match=r"val/ has the class folder triangle, which .*train lacks"):
        set_up(root)


def test_missing_root_names_the_path_and_the_layout(compose_cfg, tmp_path):
    cfg = compose_cfg(["data=image_folder", f"data.root={tmp_path / 'nowhere'}", "debug=fdr"])
    assert list(cfg.data.class_names) == []  # nothing to read: the datamodule says why
    with pytest.raises(DataError) as err:
        train(cfg)
    message = str(err.value)
    assert str(tmp_path / "nowhere") in message and "does not exist (data.root)" in message
    assert "<root>/<class>/*.jpg" in message and "<root>/train/<class>" in message
    with pytest.raises(ConfigError, match=r"give data\.root=<folder>"):
        train(compose_cfg(["data=image_folder", "debug=fdr"]))


def test_folder_without_class_folders(tmp_path):
    (tmp_path / "flat").mkdir()
    (tmp_path / "flat" / "a.png").write_bytes(b"")
    with pytest.raises(DataError, match="flat holds no class folders"):
        set_up(tmp_path / "flat", class_names=[])


def test_fit_eval_and_predict_new_images(compose_cfg, flat, tmp_path):
    cfg = compose_cfg(["data=image_folder", f"data.root={flat}", "data.image_size=16",
                       "data.batch_size=4", "data.num_workers=0", *SHRINK,
                       "trainer.max_epochs=1"])  # fmt: skip
    metrics = train(cfg)
    assert "test/acc" in metrics
    run = Path(cfg.paths.output_dir)
    eval_cfg = compose_cfg([f"run_dir={run}", f"paths.output_dir={tmp_path / 'eval'}"], "eval")
    assert evaluate(eval_cfg)["test/acc"] == pytest.approx(metrics["test/acc"], abs=1e-6)

    new = tmp_path / "new"
    write_image_folder(new, per_class=1, seed=9)
    out = tmp_path / "predict"
    predict(compose_cfg([f"run_dir={run}", f"inputs={new}", f"paths.output_dir={out}"], "predict"))
    with (out / "predictions.csv").open() as file:
        rows = list(csv.DictReader(file))
    assert [row["file"].split("/")[0] for row in rows] == CLASSES
    assert list(rows[0]) == ["file", "pred", *(f"prob_{c}" for c in CLASSES)]
    assert all(row["pred"] in CLASSES for row in rows)


def test_k_fold_of_an_image_folder(compose_cfg, flat):
    cfg = compose_cfg(["data=image_folder", f"data.root={flat}", "data.image_size=16",
                       "data.batch_size=4", "data.num_workers=0", "cv.folds=2", *SHRINK,
                       "trainer.max_epochs=1"])  # fmt: skip
    metrics = train(cfg)
    assert {"test/acc", "test/acc_std", "val/acc"} <= metrics.keys()
    assert all(
        (Path(cfg.paths.output_dir) / f"fold_{i}" / "metrics.json").is_file() for i in (0, 1)
    )
