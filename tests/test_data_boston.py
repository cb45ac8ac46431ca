"""The Boston housing CSV reader: columns, Keras' or a seeded test split, scaling from train."""

from pathlib import Path

import numpy as np
import pytest
import torch

from litlab.data.augment import BatchAugment
from litlab.data.boston import BostonDataModule
from litlab.entry import train_command as train
from litlab.errors import ConfigError, DataError
from tests.synthetic import write_boston


def make(data_dir: Path, **kwargs) -> BostonDataModule:
    options = {"input_shape": [13], "target_kind": "regression", "class_names": ["MEDV"],
               "batch_size": 8, "scaling": "standard"}  # fmt: skip
    return BostonDataModule(data_dir=str(data_dir), **(options | kwargs))


def set_up(data_dir: Path, **kwargs) -> BostonDataModule:
    dm = make(data_dir, **kwargs)
    dm.setup()
    return dm


def test_test_split_is_a_seeded_fifth_and_shapes_are_tabular(tmp_path):
    write_boston(tmp_path, rows=150)
    dm = set_up(tmp_path)
    sizes = {name: len(x) for name, (x, _) in dm.splits.items()}
    assert sizes == {"train": 96, "val": 24, "test": 30}
    x, y = dm.splits["train"]
    assert x.shape == (96, 13) and x.dtype == torch.float32
    assert y.shape == (96, 1) and y.dtype == torch.float32
    again, other = set_up(tmp_path), set_up(tmp_path, seed=1)
    assert torch.equal(dm.splits["test"][1], again.splits["test"][1])
    assert not torch.equal(dm.splits["test"][1], other.splits["test"][1])


def test_the_default_test_set_is_the_102_rows_keras_tests_on(tmp_path, compose_cfg):
    # keras.datasets.boston_housing.load_data(): x_train[0] is row 22 of the original file,
    # x_test[0] row 415 (its y_test begins 7.2, 18.8, 19.0: rows 415, 112, 339).
    assert compose_cfg(["data=boston"]).data.test_set == "keras"
    assert make(tmp_path).test_set == "seeded"  # a config saved before test_set: its own rows
    path = write_boston(tmp_path)
    table = torch.from_numpy(np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.float32))
    dm = set_up(tmp_path, test_set="keras")
    (tx, ty), (vx, _), (x, _) = dm.splits["test"], dm.splits["val"], dm.splits["train"]
    assert (len(x), len(vx), len(tx)) == (323, 81, 102)
    assert torch.equal(tx[:3], table[[415, 112, 339], :13])
    assert torch.equal(ty[:3, 0], table[[415, 112, 339], 13])
    assert torch.equal(make(tmp_path, test_set="keras").decode()["train_x"][0], table[22, :13])
    other = set_up(tmp_path, test_set="keras", seed=1)
    assert torch.equal(other.splits["test"][0], tx)  # the seed cuts validation, not test
    assert not torch.equal(other.splits["val"][0], vx)


def test_the_keras_test_set_needs_the_506_rows(tmp_path):
    write_boston(tmp_path, rows=150)
    message = r"has 150 rows, but data\.test_set=keras .* or use data\.test_set=seeded"
    with pytest.raises(DataError, match=message):
        set_up(tmp_path, test_set="keras")
    with pytest.raises(ConfigError, match=r"data\.test_set=course is unknown; choose one of keras"):
        make(tmp_path, test_set="course")


def test_rows_keep_features_and_target_together(tmp_path):
    # MEDV is a known linear function of the features plus noise of std 1: least squares
    # on the training rows must predict the test rows about that well.
    write_boston(tmp_path, rows=150, noise=1.0)
    dm = set_up(tmp_path)
    (x, y), (tx, ty) = dm.splits["train"], dm.splits["test"]
    ones = torch.ones(len(x), 1)
    w = torch.linalg.lstsq(torch.cat([x, ones], 1).double(), y.double()).solution
    pred = torch.cat([tx, torch.ones(len(tx), 1)], 1).double() @ w
    assert float((pred - ty).abs().mean()) < 1.5


def test_scaling_statistics_come_from_the_training_rows_only(tmp_path):
    write_boston(tmp_path, rows=150)
    dm = set_up(tmp_path, target_scaling="standard")
    x, y = dm.splits["train"]
    shift, scale = dm.input_stats()
    assert torch.allclose(shift, x.mean(0), atol=1e-4)
    assert torch.allclose(scale, x.double().std(0, unbiased=False).float(), rtol=1e-4)
    everything = torch.cat([split[0] for split in dm.splits.values()])
    assert not torch.allclose(shift, everything.mean(0), atol=1e-4)
    target_shift, target_scale = dm.target_stats()
    assert torch.allclose(target_shift, y.mean(0), atol=1e-4)
    assert torch.allclose(target_scale, y.double().std(0, unbiased=False).float(), rtol=1e-4)


def test_target_and_feature_columns_are_configurable(tmp_path):
    path = write_boston(tmp_path, rows=60)
    table = np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.float32)
    tensors = make(tmp_path, targets=["RM", "MEDV"], features=["LSTAT", "CRIM"]).decode()
    assert torch.equal(tensors["train_x"], torch.from_numpy(table[:, [12, 0]]))
    assert torch.equal(tensors["train_y"], torch.from_numpy(table[:, [5, 13]]))
    dm = set_up(tmp_path, targets=["RM"], class_names=["RM"])  # MEDV becomes a feature
    assert dm.splits["train"][0].shape[1] == 13


def test_one_name_per_target_column(tmp_path, compose_cfg):
    cfg = compose_cfg(["data=boston", "data.targets=[RM,MEDV]", "data.class_names=[MEDV]",
                       "data.features=[CRIM]", "data.input_shape=[1]", "debug=fdr"])  # fmt: skip
    message = r"2 columns but data\.class_names has 1 names; give one name per regression target"
    with pytest.raises(ConfigError, match=message):
        train(cfg)
    with pytest.raises(ConfigError, match=r"data.targets=\[RM\]"):
        make(tmp_path, targets="RM")


def test_images_only_augmentation_is_refused_for_tables(tmp_path):
    with pytest.raises(ConfigError, match="augment=none"):
        make(tmp_path, augment=BatchAugment(horizontal_flip=True))


def test_missing_file_names_the_path(tmp_path):
    with pytest.raises(DataError) as err:
        make(tmp_path).prepare_data()
    assert str(tmp_path / "boston") in str(err.value) and "boston_housing.csv" in str(err.value)
    assert "data=digits" in str(err.value)


def test_absent_column_lists_the_header(tmp_path):
    write_boston(tmp_path, rows=60)
    with pytest.raises(DataError, match="no column PRICE; the header has CRIM"):
        set_up(tmp_path, targets=["PRICE"], class_names=["PRICE"])


def test_blank_or_text_cells_are_named(tmp_path):
    path = write_boston(tmp_path, rows=60)
    lines = path.read_text().splitlines()
    lines[3] = "n/a" + lines[3][lines[3].index(",") :]
    lines[5] = lines[5].rsplit(",", 1)[0] + ","
    path.write_text("\n".join(lines) + "\n")
    message = r"2 rows \(first: row 4 of the file\) have a blank, non-numeric or infinite value in"
    with pytest.raises(DataError, match=message + " CRIM, MEDV"):
        set_up(tmp_path)
