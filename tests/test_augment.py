"""Batch augmentation: what each transform does, per sample, and only to training batches.

Geometry is checked on "coordinate images" whose two channels hold each pixel's own x and y
(in pixels from the image centre): bilinear resampling reproduces linear ramps exactly, so
an output pixel's values are the input position it was read from.
"""

import lightning as L
import pytest
import torch
from torch import Tensor, nn

from litlab.data.augment import BatchAugment
from litlab.data.mnist import MNISTDataModule
from litlab.errors import ConfigError
from litlab.registry import instantiate
from tests.synthetic import write_mnist


def coordinates(batch: int, height: int, width: int) -> Tensor:
    """(batch, 2, H, W): channel 0 the x, channel 1 the y of each pixel about the centre."""
    y, x = torch.meshgrid(torch.arange(height) - (height - 1) / 2,
                          torch.arange(width) - (width - 1) / 2, indexing="ij")  # fmt: skip
    return torch.stack([x, y]).expand(batch, 2, height, width).clone()


def centre(image: Tensor, margin: int) -> Tensor:
    """The pixels at least `margin` from every border, where no fill is involved."""
    return image[..., margin:-margin, margin:-margin]


def test_no_options_leave_the_batch_unchanged():
    x = torch.rand(4, 3, 8, 8)
    assert torch.equal(BatchAugment()(x), x)


def test_flip_gives_each_image_or_its_mirror_and_both_occur():
    torch.manual_seed(0)
    x = torch.rand(64, 3, 8, 8)
    out = BatchAugment(horizontal_flip=True)(x)
    same = (out == x).flatten(1).all(1)
    mirrored = (out == x.flip(-1)).flatten(1).all(1)
    assert bool((same | mirrored).all()) and same.any() and mirrored.any()


def test_pad_crop_is_an_integer_shift_of_at_most_the_padding():
    torch.manual_seed(0)
    x = torch.rand(32, 3, 10, 10)
    out = BatchAugment(crop_padding=2)(x)
    padded = torch.nn.functional.pad(x, (2,) * 4, mode="reflect")
    offsets = set()
    for i in range(len(x)):
        found = [(dy, dx) for dy in range(5) for dx in range(5)
                 if torch.equal(out[i], padded[i, :, dy : dy + 10, dx : dx + 10])]  # fmt: skip
        assert len(found) == 1
        offsets.add(found[0])
    assert len(offsets) > 5


def test_rotation_turns_each_image_about_its_centre_by_its_own_angle():
    torch.manual_seed(0)
    grid = coordinates(8, 15, 15)
    out = BatchAugment(rotation_range=20)(grid)
    inner_out, inner_in = centre(out, 3), centre(grid, 3)
    assert torch.allclose(inner_out.norm(dim=1), inner_in.norm(dim=1), atol=1e-3)
    # the angle of each sample, from a pixel right of the centre
    angles = torch.rad2deg(torch.atan2(inner_out[:, 1, 4, 8], inner_out[:, 0, 4, 8]))
    assert bool((angles.abs() <= 20.01).all()) and len(set(angles.round().tolist())) > 4


def test_shift_moves_each_image_by_at_most_its_range_in_fractions_or_pixels():
    torch.manual_seed(0)
    grid = coordinates(16, 12, 20)  # not square: fractions are of each side
    for width_shift, max_dx in ((0.1, 2.0), (3, 3.0)):
        out = BatchAugment(width_shift_range=width_shift, height_shift_range=0.25)(grid)
        move = centre(out - grid, 4).flatten(2)  # (B, 2, pixels): one move per image
        assert torch.allclose(move, move[..., :1].expand_as(move), atol=1e-4)
        dx, dy = move[:, 0, 0], move[:, 1, 0]
        assert bool((dx.abs() <= max_dx + 1e-4).all()) and bool((dy.abs() <= 3.0 + 1e-4).all())
        assert dx.std() > 0 and dy.std() > 0


def test_zoom_scales_each_axis_about_the_centre_as_keras_does():
    grid = coordinates(4, 12, 20)
    out = BatchAugment(zoom_range=[0.5, 0.5])(grid)  # 0.5: read at half the distance, zoom in
    assert torch.allclose(out, grid * 0.5, atol=1e-4)
    torch.manual_seed(0)
    out = BatchAugment(zoom_range=0.2)(coordinates(32, 12, 20))
    zx, zy = out[:, 0, 6, 14] / grid[0, 0, 6, 14], out[:, 1, 9, 10] / grid[0, 1, 9, 10]
    assert bool(((zx >= 0.8 - 1e-4) & (zx <= 1.2 + 1e-4)).all())
    assert bool((zx < 0.95).any()) and bool((zx > 1.05).any())
    assert not torch.allclose(zx, zy)  # drawn per axis


def test_shear_changes_images_but_keeps_the_centre():
    torch.manual_seed(0)
    grid = coordinates(8, 15, 15)
    out = BatchAugment(shear_range=20)(grid)
    assert torch.allclose(out[:, :, 7, 7], grid[:, :, 7, 7], atol=1e-4)
    assert not torch.allclose(out, grid, atol=1e-2)


@pytest.mark.parametrize(("fill_mode", "has_zeros"), [("constant", True), ("nearest", False),
                                                      ("reflect", False)])  # fmt: skip
def test_fill_mode_decides_what_enters_at_the_borders(fill_mode, has_zeros):
    torch.manual_seed(0)
    x = torch.full((8, 1, 16, 16), 100.0)
    out = BatchAugment(width_shift_range=0.4, rotation_range=30, fill_mode=fill_mode)(x)
    assert bool((out < 1).any()) == has_zeros


def test_every_sample_gets_its_own_draw_on_the_batch_device(compose_cfg):
    torch.manual_seed(0)
    x = torch.rand(1, 3, 16, 16).expand(6, 3, 16, 16)
    out = preset(compose_cfg, "keras")(x)
    assert out.shape == x.shape and out.dtype == x.dtype and out.device == x.device
    assert len({tuple(o.flatten()[:20].tolist()) for o in out}) == 6


def test_bad_options_fail_at_construction_naming_the_choices():
    with pytest.raises(ConfigError, match="nearest, reflect, constant"):
        BatchAugment(fill_mode="wrap")
    for zoom in ([1.2, 0.8], 1.5):
        with pytest.raises(ConfigError, match="zoom_range"):
            BatchAugment(zoom_range=zoom)


def preset(compose_cfg, name: str, *overrides: str) -> nn.Module | None:
    """The augmentation `augment=<name>` with overrides builds, as a run builds it."""
    cfg = compose_cfg([f"augment={name}", *overrides])
    return instantiate(cfg.augment) if cfg.augment is not None else None


def test_every_preset_parameter_is_overridable(compose_cfg):
    x = torch.rand(4, 3, 8, 8)
    off = ["augment.horizontal_flip=false"]
    assert torch.equal(preset(compose_cfg, "basic", *off, "augment.crop_padding=0")(x), x)
    keras_off = [f"augment.{key}=0" for key in ("rotation_range", "width_shift_range",
                 "height_shift_range", "shear_range", "zoom_range")]  # fmt: skip
    assert torch.equal(preset(compose_cfg, "keras", *off, *keras_off)(x), x)
    assert preset(compose_cfg, "none") is None


# -- only training batches are augmented --------------------------------------------------


class _Marker(nn.Module):
    """An 'augmentation' that makes augmented pixels recognisable."""

    def forward(self, x: Tensor) -> Tensor:
        return x + 1000


class _Recorder(L.LightningModule):
    def __init__(self) -> None:
        super().__init__()
        self.layer = nn.Linear(28 * 28, 10)
        self.seen: dict[str, list[bool]] = {"train": [], "val": [], "test": []}

    def _record(self, stage: str, batch: tuple[Tensor, Tensor]) -> Tensor:
        x, y = batch
        self.seen[stage].append(bool((x >= 1000).all()))
        return nn.functional.cross_entropy(self.layer(x.flatten(1) / 1000), y)

    def training_step(self, batch, batch_idx):
        return self._record("train", batch)

    def validation_step(self, batch, batch_idx):
        self._record("val", batch)

    def test_step(self, batch, batch_idx):
        self._record("test", batch)

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=0.01)


def test_train_batches_are_augmented_and_validation_and_test_batches_never(tmp_path):
    write_mnist(tmp_path, train=60, test=20)
    dm = MNISTDataModule(data_dir=str(tmp_path), input_shape=[1, 28, 28], batch_size=8,
                         target_kind="classification", class_names=list("0123456789"),
                         augment=_Marker(), download=False)  # fmt: skip
    model = _Recorder()
    trainer = L.Trainer(max_epochs=2, limit_train_batches=3, logger=False, accelerator="cpu",
                        enable_checkpointing=False, enable_progress_bar=False,
                        enable_model_summary=False, num_sanity_val_steps=1)  # fmt: skip
    trainer.fit(model, datamodule=dm)
    trainer.test(model, datamodule=dm, verbose=False)
    assert model.seen["train"] == [True] * 6
    assert model.seen["val"] and not any(model.seen["val"])
    assert model.seen["test"] and not any(model.seen["test"])
