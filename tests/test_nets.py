"""Each net gives (batch, num_outputs) for every dataset's input shape; bad sizes fail clearly."""

import pytest
import torch
from torch import nn

from litlab.callbacks.model_summary import summarize
from litlab.errors import ConfigError
from litlab.nets.cnn import CNN
from litlab.nets.mlp import MLP
from litlab.nets.resnet import ResNet
from litlab.nets.vgg import VGG
from litlab.registry import instantiate

IMAGE_SHAPES = {
    "mnist": (1, 28, 28),
    "cifar10": (3, 32, 32),
    "apparel": (3, 112, 112),
    "iceberg": (3, 75, 75),
    "digits": (1, 8, 8),
}
SHAPES = {**IMAGE_SHAPES, "boston": (13,)}
CONV_NETS = [CNN, VGG, ResNet]


def _check_outputs(net: nn.Module, shape: tuple[int, ...], outputs: int = 7) -> None:
    x = torch.rand(3, *shape) * 255
    assert net.eval()(x).shape == (3, outputs)
    net.train()(x).sum().backward()  # batch norm in training mode, gradients reach the input
    assert all(p.grad is not None for p in net.parameters())


@pytest.mark.parametrize("data", list(SHAPES))
def test_mlp_fits_every_input_shape(data):
    _check_outputs(MLP(SHAPES[data], 7, batch_norm=True, dropout=0.1), SHAPES[data])


@pytest.mark.parametrize("net_class", CONV_NETS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("data", list(IMAGE_SHAPES))
def test_conv_nets_fit_every_image_shape(net_class, data):
    _check_outputs(net_class(IMAGE_SHAPES[data], 7), IMAGE_SHAPES[data])


@pytest.mark.parametrize("net_class", CONV_NETS, ids=lambda c: c.__name__)
def test_conv_nets_run_channels_last(net_class):
    net = net_class((3, 32, 32), 10)
    convs = [m for m in net.modules() if isinstance(m, nn.Conv2d)]
    assert all(c.weight.is_contiguous(memory_format=torch.channels_last) for c in convs)
    plain = net_class((3, 32, 32), 10, channels_last=False)
    plain.load_state_dict(net.state_dict())
    x = torch.rand(2, 3, 32, 32)
    assert torch.allclose(net.eval()(x), plain.eval()(x), atol=1e-5)


@pytest.mark.parametrize(
    ("net_class", "options"),
    [(CNN, {"channels": [8, 8, 8, 8]}), (VGG, {"channels": [8, 8, 8, 8]})],
    ids=["cnn", "vgg"],
)
def test_pooling_below_one_pixel_is_a_config_error(net_class, options):
    with pytest.raises(ConfigError, match=r"8x8 input below one pixel .* at most 3 fit"):
        net_class((1, 8, 8), 10, **options)
    _check_outputs(net_class((1, 8, 8), 7, channels=[8, 8, 8]), (1, 8, 8))  # 3 fit


def test_cnn_without_pooling_takes_any_number_of_blocks():
    _check_outputs(CNN((1, 8, 8), 7, channels=[4, 4, 4, 4, 4], pool="none"), (1, 8, 8))


def test_unknown_pool_names_the_choices():
    with pytest.raises(ConfigError, match="choose one of max, avg, none"):
        CNN((1, 28, 28), 10, pool="min")


def test_resnet_stages_need_one_block_count_per_width():
    with pytest.raises(ConfigError, match="one number of blocks per stage"):
        ResNet((3, 32, 32), 10, widths=[16, 32], blocks=[2])


def test_resnet18_layout_is_one_override_away():
    net = ResNet((3, 32, 32), 10, widths=[64, 128, 256, 512], blocks=[2, 2, 2, 2])
    assert sum(p.numel() for p in net.parameters()) == pytest.approx(11.17e6, rel=0.01)


def test_book_mlp_is_one_override_away(compose_cfg):
    net = instantiate(compose_cfg(["model.hidden=[64,32]"]).model)
    linears = [(m.in_features, m.out_features) for m in net if isinstance(m, nn.Linear)]
    assert linears == [(784, 64), (64, 32), (32, 10)]


def test_summary_lists_layers_shapes_and_parameters_like_keras():
    net = MLP((1, 28, 28), 10, hidden=[64, 32])
    text = summarize(net, torch.zeros(2, 1, 28, 28))
    lines = [" ".join(line.split()) for line in text.splitlines()]
    assert "0 (Flatten) (None, 784) 0" in lines
    assert "1 (Linear) (None, 64) 50,240" in lines
    assert "5 (Linear) (None, 10) 330" in lines
    assert "Total params: 52,650 (0.20 MB)" in lines  # Keras prints the same for this model
    assert net.training  # the summary's pass leaves the mode as it found it


def test_summary_depth_groups_nested_blocks():
    net = CNN((1, 28, 28), 10)
    rows = [line.split()[0] for line in summarize(net, torch.zeros(2, 1, 28, 28), 2).splitlines()]
    assert {"features.0", "features.1", "head.1", "head.3"} <= set(rows)
    assert "features.0.0" not in rows
