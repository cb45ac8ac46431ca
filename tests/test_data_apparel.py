"""The apparel reader: published split CSVs with Windows paths, or folder names alone."""

from pathlib import Path

import pytest
import torch

from litlab.data import dataframe, images
from litlab.data.apparel import ApparelDataModule
from litlab.errors import ConfigError, DataError
from tests.synthetic import APPAREL_COLORS, APPAREL_ITEMS, APPAREL_RGB, write_apparel

LABELS = [*APPAREL_COLORS, *APPAREL_ITEMS]


def make(data_dir: Path, **kwargs) -> ApparelDataModule:
    options = {"input_shape": [3, 32, 32], "target_kind": "multilabel", "class_names": LABELS,
               "batch_size": 8, "image_size": 32, "num_workers": 0}  # fmt: skip
    return ApparelDataModule(data_dir=str(data_dir), **(options | kwargs))


def set_up(data_dir: Path, **kwargs) -> ApparelDataModule:
    dm = make(data_dir, **kwargs)
    dm.setup()
    return dm


def rows(csv: Path) -> int:
    return len(csv.read_text().splitlines()) - 1


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data_dir = tmp_path_factory.mktemp("apparel")
    write_apparel(data_dir, per_folder=3, seed=1)
    return data_dir


def test_published_splits_are_honoured(root):
    dm = set_up(root)
    csvs = root / "apparel" / "csv_data" / "nocolorinfo"
    for split, (x, y) in dm.splits.items():
        assert len(x) == len(y) == rows(csvs / f"{split}.csv")
        assert x.shape[1:] == (3, 32, 32) and x.dtype == torch.uint8
        assert y.shape[1:] == (len(LABELS),) and y.dtype == torch.float32
        assert torch.equal(y.sum(1), torch.full((len(y),), 2.0))  # one colour, one item each


def test_labels_follow_their_images_through_windows_paths(root):
    # Each synthetic image is its colour plus noise: its mean colour gives its colour label.
    x, y = set_up(root).splits["test"]
    palette = torch.tensor([APPAREL_RGB[c] for c in APPAREL_COLORS], dtype=torch.float32)
    mean = x.float().mean((2, 3))  # (N, 3)
    nearest = torch.cdist(mean, palette).argmin(1)
    assert torch.equal(nearest, y[:, : len(APPAREL_COLORS)].argmax(1))


def test_colorinfo_csvs_with_integer_labels_and_an_extra_column(root):
    dm = set_up(root, split_csvs="csv_data/colorinfo")
    csvs = root / "apparel" / "csv_data" / "colorinfo"
    assert len(dm.splits["val"][0]) == rows(csvs / "val_color.csv")
    assert torch.equal(dm.splits["val"][1], set_up(root).splits["val"][1])


def test_folder_names_alone_give_labels_and_seeded_splits(tmp_path):
    write_apparel(tmp_path, per_folder=2, csvs=False)
    dm = set_up(tmp_path, split_csvs="csv_data/nocolorinfo")  # absent: folder names decide
    sizes = {name: len(x) for name, (x, _) in dm.splits.items()}
    assert sizes == {"train": 38, "val": 10, "test": 12}
    assert torch.equal(dm.splits["train"][1].sum(1), torch.full((38,), 2.0))
    again, other = set_up(tmp_path), set_up(tmp_path, seed=1)
    assert torch.equal(dm.splits["val"][0], again.splits["val"][0])
    assert not torch.equal(dm.splits["val"][0], other.splits["val"][0])


def test_label_columns_are_configurable(root):
    colours = list(APPAREL_COLORS)
    for split_csvs in ("csv_data/nocolorinfo", None):
        dm = set_up(root, class_names=colours, split_csvs=split_csvs)
        y = dm.splits["train"][1]
        assert y.shape[1:] == (len(colours),) and torch.equal(y.sum(1), torch.ones(len(y)))


def test_image_size_sets_the_cached_shape(root, tmp_path):
    cache = tmp_path / "cache"
    dm = set_up(root, image_size=20, input_shape=[3, 20, 20], cache_dir=str(cache))
    assert dm.splits["train"][0].shape[1:] == (3, 20, 20)
    with pytest.raises(ConfigError, match="input_shape"):
        set_up(root, image_size=24, cache_dir=str(cache))  # declared 32: a new decode, checked
    assert len(list(cache.glob("apparel-*.pt"))) == 2


def test_second_setup_reads_the_cache_not_the_jpegs(root, tmp_path, monkeypatch):
    first = set_up(root, cache_dir=str(tmp_path))

    def no_decoding(*args, **kwargs):
        raise AssertionError("decoded again")

    monkeypatch.setattr(dataframe, "decode_images", no_decoding)
    second = set_up(root, cache_dir=str(tmp_path))
    assert torch.equal(first.splits["train"][0], second.splits["train"][0])


def test_worker_processes_decode_the_same_pixels(root):
    files = sorted((root / "apparel" / "clothes_dataset").glob("*/*.jpg"))[:10]
    serial = images.decode_images(files, 16, num_workers=0)
    assert torch.equal(images.decode_images(files, 16, num_workers=2), serial)


def test_config_interpolates_the_input_shape_from_image_size(compose_cfg):
    cfg = compose_cfg(["data=apparel", "data.image_size=64"])
    assert list(cfg.data.input_shape) == [3, 64, 64]
    assert cfg.task._target_ == "litlab.tasks.multilabel.MultilabelTask"


# -- missing and corrupt files ------------------------------------------------------------


def test_missing_folder_names_the_layout(tmp_path):
    with pytest.raises(DataError) as err:
        make(tmp_path).prepare_data()
    message = str(err.value)
    assert str(tmp_path / "apparel") in message and "clothes_dataset/<color>_<item>" in message
    assert "data=digits" in message


@pytest.fixture
def copy(root: Path, tmp_path: Path) -> Path:
    import shutil

    shutil.copytree(root / "apparel", tmp_path / "apparel")
    return tmp_path


def _edit_csv(data_dir: Path, line: int, old: str, new: str) -> Path:
    csv = data_dir / "apparel" / "csv_data" / "nocolorinfo" / "train.csv"
    lines = csv.read_text().splitlines()
    lines[line] = lines[line].replace(old, new, 1)
    csv.write_text("\n".join(lines) + "\n")
    return csv


def test_csv_naming_an_absent_image(copy):
    csv = _edit_csv(copy, 2, ".jpg", "_gone.jpg")
    with pytest.raises(DataError, match="lists 1 images that do not exist") as err:
        set_up(copy)
    assert str(csv) in str(err.value) and "_gone.jpg" in str(err.value)


def test_label_that_is_not_zero_or_one(copy):
    _edit_csv(copy, 3, "1.0", "2")
    with pytest.raises(DataError, match=r"1 rows \(first: row 4 of the file\)"):
        set_up(copy)


def test_absent_label_column(copy):
    with pytest.raises(DataError, match="no column purple"):
        set_up(copy, class_names=[*LABELS, "purple"])


def test_corrupt_jpeg_is_named(copy):
    jpeg = sorted((copy / "apparel" / "clothes_dataset" / "red_shoes").glob("*.jpg"))[0]
    jpeg.write_bytes(b"not a jpeg")
    with pytest.raises(DataError, match="cannot read this image") as err:
        set_up(copy)
    assert str(jpeg) in str(err.value)


def test_two_csvs_for_one_split(copy):
    csvs = copy / "apparel" / "csv_data" / "nocolorinfo"
    (csvs / "train_old.csv").write_text((csvs / "train.csv").read_text())
    with pytest.raises(DataError, match="several train CSVs"):
        set_up(copy)


def test_folder_naming_no_label(copy):
    (copy / "apparel" / "clothes_dataset" / "misc").mkdir()
    with pytest.raises(DataError, match="misc: the folder name holds none of the labels"):
        set_up(copy, split_csvs=None)
