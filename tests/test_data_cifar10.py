"""The CIFAR-10 reader and datamodule on pickle batches in the release's layout."""

import os
import pickle
from pathlib import Path

import numpy as np
import pytest
import torch

from litlab.data.cifar10 import CIFAR10DataModule, read_batch
from litlab.errors import DataError
from tests.synthetic import CIFAR10_CLASSES, write_cifar10


def make(data_dir: Path, **kwargs) -> CIFAR10DataModule:
    names = list(CIFAR10_CLASSES)
    options = {"input_shape": [3, 32, 32], "target_kind": "classification",
               "class_names": names, "batch_size": 8, "download": False}  # fmt: skip
    return CIFAR10DataModule(data_dir=str(data_dir), **(options | kwargs))


def test_repacked_batches_of_any_size_give_counts_shapes_dtypes(tmp_path):
    write_cifar10(tmp_path, batches=(30, 10, 25, 5, 50), test=20)
    dm = make(tmp_path, val_split=0.2)
    dm.setup()
    x, y = dm.splits["train"]
    assert (len(x), len(dm.splits["val"][0]), len(dm.splits["test"][0])) == (96, 24, 20)
    assert x.shape[1:] == (3, 32, 32) and x.dtype == torch.uint8 and y.dtype == torch.int64


def test_images_and_labels_keep_file_order_and_channel_layout(tmp_path):
    folder = write_cifar10(tmp_path, batches=(12,) * 5, test=6)
    raw = pickle.loads((folder / "data_batch_2").read_bytes())
    tensors = make(tmp_path).decode()
    assert tensors["train_y"][12:24].tolist() == raw[b"labels"]
    first = tensors["train_x"][12]  # row = 1024 red, 1024 green, 1024 blue values
    assert torch.equal(first[1].flatten(), torch.from_numpy(raw[b"data"][0, 1024:2048]))


def test_python2_style_batches_with_str_keys_are_read(tmp_path):
    folder = tmp_path / "cifar"
    folder.mkdir()
    data = np.arange(4 * 3072, dtype=np.int64).astype(np.uint8).reshape(4, 3072)
    batch = {"data": data, "labels": np.array([3, 1, 4, 1]), "batch_label": "x"}
    (folder / "b").write_bytes(pickle.dumps(batch, protocol=2))
    images, labels = read_batch(folder / "b")
    assert images.shape == (4, 3, 32, 32) and labels.tolist() == [3, 1, 4, 1]


def test_label_names_must_match_the_config_in_order(tmp_path):
    write_cifar10(tmp_path, batches=(10,) * 5, test=5)
    names = list(CIFAR10_CLASSES)
    names[0], names[1] = names[1], names[0]
    with pytest.raises(DataError, match="label_names"):
        make(tmp_path, class_names=names).setup()


def test_missing_batches_name_the_folder_and_files(tmp_path):
    folder = write_cifar10(tmp_path, batches=(10,) * 5, test=5)
    (folder / "data_batch_3").unlink()
    with pytest.raises(DataError) as err:
        make(tmp_path).prepare_data()
    message = str(err.value)
    assert str(folder) in message and "data_batch_3" in message and "data=digits" in message


def test_a_failed_download_ends_in_the_missing_data_message(tmp_path, monkeypatch):
    from torchvision import datasets

    def offline(*args, **kwargs):
        raise OSError("network unreachable")

    monkeypatch.setattr(datasets, "CIFAR10", offline)
    with pytest.raises(DataError) as err:
        make(tmp_path, download=True).prepare_data()  # offline: the download is patched to fail
    assert "download failed: network unreachable" in str(err.value)
    assert "cifar-10-batches-py" in str(err.value) and "data=digits" in str(err.value)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda batch: batch.pop(b"labels"), "needs keys 'data' and 'labels'"),
        (lambda batch: batch.update({b"data": np.zeros((10, 3072), np.float32)}), "uint8 rows"),
        (lambda batch: batch.update({b"data": np.zeros((10, 1000), np.uint8)}), "uint8 rows"),
        (lambda batch: batch.update({b"labels": [0, 1, 2]}), "10 images but labels of shape"),
    ],
    ids=["no-labels", "float-data", "short-rows", "label-count"],
)
def test_malformed_batches_are_named(tmp_path, edit, message):
    path = write_cifar10(tmp_path, batches=(10,) * 5, test=5) / "data_batch_1"
    batch = pickle.loads(path.read_bytes())
    edit(batch)
    path.write_bytes(pickle.dumps(batch, protocol=2))
    with pytest.raises(DataError, match=message) as err:
        make(tmp_path).setup()
    assert str(path) in str(err.value)


def test_truncated_batch_is_named(tmp_path):
    folder = write_cifar10(tmp_path, batches=(10,) * 5, test=5)
    path = folder / "test_batch"
    path.write_bytes(path.read_bytes()[:500])
    with pytest.raises(DataError, match="test_batch: cannot read"):
        make(tmp_path).setup()


class _Exploit:
    def __reduce__(self):
        return (os.system, ("touch pwned",))


def test_pickles_naming_other_code_are_refused_not_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    folder = write_cifar10(tmp_path, batches=(10,) * 5, test=5)
    (folder / "data_batch_1").write_bytes(pickle.dumps({"data": _Exploit()}, protocol=2))
    with pytest.raises(DataError, match="refusing to build"):
        make(tmp_path).setup()
    assert not (tmp_path / "pwned").exists()
