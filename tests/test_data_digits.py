"""scikit-learn's bundled digits: the dataset that needs no download, end to end."""

import pytest
import torch

from litlab.data.digits import DigitsDataModule
from litlab.entry import train_command as train

DIGITS = [str(k) for k in range(10)]


def make(**kwargs) -> DigitsDataModule:
    options = {"input_shape": [1, 8, 8], "target_kind": "classification", "class_names": DIGITS,
               "batch_size": 32}  # fmt: skip
    return DigitsDataModule(data_dir="/nonexistent", **(options | kwargs))


def test_all_1797_images_as_uint8_pixels_in_seeded_splits():
    dm = make()
    dm.setup()
    sizes = {name: len(x) for name, (x, _) in dm.splits.items()}
    assert sizes == {"train": 1150, "val": 288, "test": 359}
    x, y = dm.splits["train"]
    assert x.shape[1:] == (1, 8, 8) and x.dtype == torch.uint8 and int(x.max()) == 255
    assert y.dtype == torch.int64 and set(y.tolist()) == set(range(10))
    shift, scale = dm.input_stats()
    assert shift.tolist() == [0.0] and scale.tolist() == [255.0]  # minmax: /255
    other = make(seed=0)
    other.setup()
    assert not torch.equal(dm.splits["test"][1], other.splits["test"][1])


def test_ten_epochs_of_an_mlp_clear_90_percent(compose_cfg):
    cfg = compose_cfg(["data=digits", "model=mlp", "trainer.max_epochs=10"])
    metrics = train(cfg)
    assert metrics["test/acc"] > 0.9


@pytest.mark.parametrize("augment", ["basic", "keras"])
def test_augmentation_options_run_on_8x8_images(compose_cfg, augment):
    assert "test/acc" in train(compose_cfg(["data=digits", f"augment={augment}", "debug=fdr"]))
