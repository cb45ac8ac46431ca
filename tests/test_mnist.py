"""The IDX reader and the MNIST / Fashion-MNIST datamodules on files in torchvision's layout."""

from pathlib import Path

import pytest
import torch

from litlab.data.idx import read_idx
from litlab.data.mnist import FashionMNISTDataModule, MNISTDataModule
from litlab.errors import ConfigError, DataError
from tests.synthetic import write_mnist

DIGITS = [str(k) for k in range(10)]


def make(data_dir: Path, cls: type = MNISTDataModule, **kwargs) -> MNISTDataModule:
    options = {"input_shape": [1, 28, 28], "target_kind": "classification", "class_names": DIGITS,
               "batch_size": 8}  # fmt: skip
    return cls(data_dir=str(data_dir), download=False, **(options | kwargs))


@pytest.mark.parametrize("gzip", [False, True])
def test_reader_gives_counts_shapes_dtypes(tmp_path, gzip):
    write_mnist(tmp_path, train=50, test=20, gzip=gzip)
    dm = make(tmp_path, val_split=0.2)
    dm.setup("fit")
    x, y = dm.splits["train"]
    assert (len(x), len(dm.splits["val"][0]), len(dm.splits["test"][0])) == (40, 10, 20)
    assert x.shape[1:] == (1, 28, 28) and x.dtype == torch.uint8 and y.dtype == torch.int64
    assert int(y.min()) >= 0 and int(y.max()) <= 9


def test_split_is_seeded_and_disjoint(tmp_path):
    write_mnist(tmp_path, train=100, test=10)
    split = {}
    for seed in (0, 0, 1):
        dm = make(tmp_path, seed=seed)
        dm.setup("fit")
        split.setdefault(seed, []).append(dm.splits["val"][0])
    assert torch.equal(split[0][0], split[0][1])
    assert not torch.equal(split[0][0], split[1][0])


def test_batches_cover_the_split_once_in_a_new_order_each_epoch(tmp_path):
    write_mnist(tmp_path, train=100, test=10)
    dm = make(tmp_path, batch_size=16, val_split=0.2)
    dm.setup("fit")
    loader = dm.train_dataloader()
    orders = []
    for epoch in (0, 1):
        loader.sampler.set_epoch(epoch)
        labels = torch.cat([y for _, y in loader])
        assert len(labels) == 80 and torch.equal(
            labels.sort().values, dm.splits["train"][1].sort().values
        )
        orders.append(labels)
    assert not torch.equal(orders[0], orders[1])


def test_cache_is_reused_and_refreshed_when_files_change(tmp_path):
    write_mnist(tmp_path / "data", train=30, test=10)
    cache = tmp_path / "cache"
    make(tmp_path / "data", cache_dir=str(cache)).setup()
    assert len(list(cache.glob("MNIST-*.pt"))) == 1
    write_mnist(tmp_path / "data", train=40, test=10, seed=5)
    dm = make(tmp_path / "data", cache_dir=str(cache))
    dm.setup()
    assert len(dm.splits["train"][0]) + len(dm.splits["val"][0]) == 40


def test_read_only_cache_folder_still_works(tmp_path):
    write_mnist(tmp_path / "data", train=30, test=10)
    cache = tmp_path / "ro"
    cache.mkdir()
    cache.chmod(0o500)
    try:
        make(tmp_path / "data", cache_dir=str(cache)).setup()
    finally:
        cache.chmod(0o700)


def test_fashion_mnist_reads_gz_in_its_own_folder(tmp_path):
    write_mnist(tmp_path, "FashionMNIST", train=30, test=10, gzip=True)
    dm = make(tmp_path, FashionMNISTDataModule)
    dm.setup()
    assert len(dm.splits["test"][0]) == 10


def test_missing_files_name_the_folder_the_files_and_the_fixes(tmp_path):
    with pytest.raises(DataError) as err:
        make(tmp_path).prepare_data()
    message = str(err.value)
    assert str(tmp_path / "MNIST" / "raw") in message
    assert "train-images-idx3-ubyte" in message and "t10k-labels-idx1-ubyte" in message
    assert "paths.data_dir" in message and "data=digits" in message


def test_truncated_idx_file_is_named(tmp_path):
    raw = write_mnist(tmp_path, train=30, test=10)
    images = raw / "train-images-idx3-ubyte"
    images.write_bytes(images.read_bytes()[:-100])
    with pytest.raises(DataError, match="truncated or corrupt"):
        read_idx(images)


def test_corrupt_gzip_is_named(tmp_path):
    raw = write_mnist(tmp_path, train=30, test=10, gzip=True)
    broken = raw / "t10k-labels-idx1-ubyte.gz"
    broken.write_bytes(b"not gzip at all")
    with pytest.raises(DataError, match=r"t10k-labels-idx1-ubyte\.gz"):
        read_idx(broken)


def test_declared_shape_must_match_the_files(tmp_path):
    write_mnist(tmp_path, train=30, test=10, size=20)
    with pytest.raises(ConfigError, match="input_shape"):
        make(tmp_path).setup()


def test_too_small_splits_and_batches_are_refused(tmp_path):
    write_mnist(tmp_path, train=3, test=2)
    with pytest.raises(DataError, match="val split is empty"):
        make(tmp_path, val_split=0.1).setup()
    write_mnist(tmp_path, train=30, test=10)
    with pytest.raises(ConfigError, match="batch_size"):
        make(tmp_path, batch_size=64).setup()
