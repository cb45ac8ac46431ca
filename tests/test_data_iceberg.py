"""The iceberg reader on Kaggle-format train.json files: bands, "na" angles, broken records."""

import json
from pathlib import Path

import pytest
import torch

from litlab.data.iceberg import IcebergDataModule
from litlab.errors import DataError
from tests.synthetic import write_iceberg


def make(data_dir: Path, **kwargs) -> IcebergDataModule:
    options = {"input_shape": [3, 75, 75], "target_kind": "binary", "batch_size": 4,
               "class_names": ["ship", "iceberg"], "scaling": "standard"}  # fmt: skip
    return IcebergDataModule(data_dir=str(data_dir), **(options | kwargs))


def set_up(data_dir: Path, **kwargs) -> IcebergDataModule:
    dm = make(data_dir, **kwargs)
    dm.setup()
    return dm


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("iceberg")
    write_iceberg(root, records=30, seed=3, na_every=3)
    return root


def test_every_record_is_kept_with_na_angles_and_split_by_seed(data_dir):
    records = json.loads((data_dir / "iceberg" / "train.json").read_text())
    assert sum(r["inc_angle"] == "na" for r in records) == 10
    dm = set_up(data_dir)
    sizes = {name: len(x) for name, (x, _) in dm.splits.items()}
    assert sizes == {"train": 19, "val": 5, "test": 6}
    x, y = dm.splits["train"]
    assert x.shape[1:] == (3, 75, 75) and x.dtype == torch.float32
    assert y.shape == (19,) and y.dtype == torch.float32 and set(y.tolist()) <= {0.0, 1.0}
    again, other = set_up(data_dir), set_up(data_dir, seed=5)
    assert torch.equal(dm.splits["test"][0], again.splits["test"][0])
    assert not torch.equal(dm.splits["test"][0], other.splits["test"][0])


def test_channels_are_band_1_band_2_and_their_mean_row_by_row(data_dir):
    records = json.loads((data_dir / "iceberg" / "train.json").read_text())
    tensors = make(data_dir).decode()
    x, y = tensors["train_x"], tensors["train_y"]
    assert torch.equal(x[7, 0], torch.tensor(records[7]["band_1"]).view(75, 75))
    assert torch.equal(x[7, 1, 2], torch.tensor(records[7]["band_2"][150:225]))
    assert torch.allclose(x[:, 2], (x[:, 0] + x[:, 1]) / 2)
    assert y.tolist() == [r["is_iceberg"] for r in records]


def test_standard_scaling_uses_training_images_only(data_dir):
    dm = set_up(data_dir)
    x = dm.splits["train"][0]
    shift, scale = dm.input_stats()
    per_channel = x.transpose(0, 1).reshape(3, -1).double()
    assert torch.allclose(shift, per_channel.mean(1).float(), atol=1e-4)
    assert torch.allclose(scale, per_channel.std(1, unbiased=False).float(), rtol=1e-4)
    test = dm.splits["test"][0].transpose(0, 1).reshape(3, -1)
    assert not torch.allclose(shift, test.mean(1), atol=1e-4)


def test_missing_file_says_where_to_get_it(tmp_path):
    with pytest.raises(DataError) as err:
        make(tmp_path).prepare_data()
    message = str(err.value)
    assert str(tmp_path / "iceberg") in message and "train.json" in message
    assert "Kaggle" in message and "data=digits" in message


def _write(tmp_path: Path, content: str) -> None:
    (tmp_path / "iceberg").mkdir()
    (tmp_path / "iceberg" / "train.json").write_text(content)


def _record(**changes) -> dict:
    band = [0.0] * 75 * 75
    return {
        "id": "a1",
        "band_1": band,
        "band_2": band,
        "inc_angle": "na",
        "is_iceberg": 1,
    } | changes


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('[{"id": "a1", "band_1": [1, 2', "cannot read this JSON file"),
        ('{"band_1": []}', "expected a non-empty list of records"),
        (json.dumps([_record(), 3]), "record 1 is a int, not an object"),
        (json.dumps([_record(band_2=[1.0] * 100)]), "band_2 must be 5625 numbers, found 100"),
        (json.dumps([{"id": "b2", "band_1": [], "band_2": []}]), r"\(id b2\) has no is_iceberg"),
        (json.dumps([_record(is_iceberg=2)]), "is_iceberg is 2, not 0 or 1"),
        (json.dumps([_record(band_1=["x"] * 5625)]), "a band holds a value that is not a number"),
    ],
    ids=["truncated", "not-a-list", "not-a-record", "short-band", "no-label", "bad-label", "text"],
)
def test_broken_files_are_named_with_what_is_wrong(tmp_path, content, message):
    _write(tmp_path, content)
    with pytest.raises(DataError, match=message) as err:
        set_up(tmp_path)
    assert "train.json" in str(err.value)
