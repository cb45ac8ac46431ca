"""Each net gives (batch, num_outputs) for every dataset's input shape; bad sizes fail clearly."""

import math

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


# -- Keras' options: initialisers, padding and stride, LeakyReLU's slope ------------------------

KERAS_INITS = {  # name: (the std of each weight given fan_in, fan_out; uniform?)
    "he_normal": (lambda i, o: math.sqrt(2 / i), False),
    "he_uniform": (lambda i, o: math.sqrt(2 / i), True),
    "glorot_uniform": (lambda i, o: math.sqrt(2 / (i + o)), True),
    "glorot_normal": (lambda i, o: math.sqrt(2 / (i + o)), False),
    "lecun_normal": (lambda i, o: math.sqrt(1 / i), False),
}


def _kernel_layers(net: nn.Module) -> list[nn.Linear | nn.Conv2d]:
    return [m for m in net.modules() if isinstance(m, nn.Linear | nn.Conv2d)]


@pytest.mark.parametrize("init", list(KERAS_INITS))
def test_keras_initialisers_give_their_std_and_zero_biases(init):
    torch.manual_seed(0)
    std_of, uniform = KERAS_INITS[init]
    dense = MLP((300,), 10, hidden=[600], init=init)[1]  # 180k weights, fan_in 300, fan_out 600
    conv = CNN((1, 8, 8), 10, channels=[64, 64], init=init).features[1][0][0]  # 64 x 64 x 3 x 3
    for layer, fan_in, fan_out in ((dense, 300, 600), (conv, 64 * 9, 64 * 9)):
        weight, std = layer.weight.detach(), std_of(fan_in, fan_out)
        assert weight.std().item() == pytest.approx(std, rel=0.03), layer
        assert weight.mean().item() == pytest.approx(0.0, abs=0.03 * std)
        # Keras' uniform spans [-sqrt(3) std, sqrt(3) std]; its truncated normal stops at 2 of
        # its own standard deviations (std / 0.8796), so its tails are cut.
        bound = math.sqrt(3) * std if uniform else 2 * std / 0.87962566103423978
        assert weight.abs().max().item() <= bound * (1 + 1e-6)
        assert weight.abs().max().item() >= 0.95 * bound
        assert torch.count_nonzero(layer.bias) == 0


@pytest.mark.parametrize("net_class", [MLP, *CONV_NETS], ids=lambda c: c.__name__)
def test_every_net_initialises_every_dense_and_conv_layer(net_class):
    shape = (3, 16, 16) if net_class is not MLP else (13,)
    torch.manual_seed(0)
    net = net_class(shape, 7, init="he_uniform")
    layers = _kernel_layers(net)
    assert len(layers) >= 2
    for layer in layers:
        fan_in = layer.weight[0].numel()  # in_channels x kernel, as Keras counts it
        assert layer.weight.abs().max().item() <= math.sqrt(6 / fan_in) * (1 + 1e-6)
        assert layer.bias is None or torch.count_nonzero(layer.bias) == 0
    norms = [m for m in net.modules() if isinstance(m, nn.BatchNorm2d)]
    assert all(torch.all(m.weight == 1) and torch.all(m.bias == 0) for m in norms)
    _check_outputs(net, shape)


@pytest.mark.parametrize("net_class", [MLP, *CONV_NETS], ids=lambda c: c.__name__)
def test_default_init_is_torchs(net_class):
    shape = (3, 16, 16) if net_class is not MLP else (13,)
    torch.manual_seed(1)
    net = net_class(shape, 7, init="default")
    torch.manual_seed(1)
    plain = net_class(shape, 7)
    assert all(torch.equal(a, b) for a, b in zip(net.parameters(), plain.parameters(), strict=True))
    biases = [layer.bias for layer in _kernel_layers(net) if layer.bias is not None]
    assert any(torch.count_nonzero(b) > 0 for b in biases)  # torch draws them; Keras zeroes them


def test_unknown_init_names_the_choices():
    with pytest.raises(
        ConfigError, match=r"model\.init=zeros is unknown; choose one of default, he"
    ):
        MLP((13,), 1, init="zeros")  # type: ignore[arg-type]


def _feature_map(net: CNN, shape: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(net.features(torch.zeros(1, *shape)).shape[1:])


@pytest.mark.parametrize(
    ("options", "size"),
    [
        ({}, 28),  # same padding keeps the size
        ({"padding": "valid"}, 26),  # a 3x3 kernel takes 2 pixels
        ({"padding": "valid", "kernel_size": 5}, 24),
        ({"stride": 2}, 14),  # stride 2 halves it
        ({"stride": 2, "padding": "valid"}, 13),  # Keras: ceil((28 - 3 + 1) / 2)
        ({"stride": 3}, 10),  # ceil(28 / 3)
    ],
)
def test_cnn_padding_and_stride_size_the_feature_map_and_head(options, size):
    net = CNN((1, 28, 28), 7, channels=[4], pool="none", **options)
    assert _feature_map(net, (1, 28, 28)) == (4, size, size)
    assert net.head[1].in_features == 4 * size * size  # Flatten -> Dense sized for it
    _check_outputs(net, (1, 28, 28))


def test_cnn_pooled_sizes_follow_padding_and_stride():
    # Per block: conv 3x3 valid, stride 2 (28 -> 13, 6 -> 2), then a 2x2 max-pool (6, 1).
    net = CNN((1, 28, 28), 7, channels=[4, 8], padding="valid", stride=2)
    assert _feature_map(net, (1, 28, 28)) == (8, 1, 1)
    _check_outputs(net, (1, 28, 28))
    message = r"below one pixel \(28x28 -> 6x6 -> 1x1 -> 0x0\); at most 2 fit: .*model\.stride=1"
    with pytest.raises(ConfigError, match=message):
        CNN((1, 28, 28), 7, channels=[4, 8, 8], padding="valid", stride=2)


def test_cnn_refuses_unknown_padding_and_stride_0():
    with pytest.raises(ConfigError, match=r"model\.padding=full is unknown; choose one of same"):
        CNN((1, 28, 28), 7, padding="full")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match=r"model\.stride=0 must be"):
        CNN((1, 28, 28), 7, stride=0)


@pytest.mark.parametrize("net_class", [MLP, *CONV_NETS], ids=lambda c: c.__name__)
def test_negative_slope_sets_every_leaky_relu(net_class):
    shape = (3, 16, 16) if net_class is not MLP else (13,)
    net = net_class(shape, 7, activation="leaky_relu", negative_slope=0.3)
    leaky = [m for m in net.modules() if isinstance(m, nn.LeakyReLU)]
    assert leaky and all(m.negative_slope == 0.3 for m in leaky)
    assert torch.equal(leaky[0](torch.tensor([-2.0, 3.0])), torch.tensor([-0.6, 3.0]))


def test_keras_options_are_config_keys(compose_cfg):
    cfg = compose_cfg(["model=cnn", "model.padding=valid", "model.stride=2", "model.init=he_normal",
                       "model.activation=leaky_relu", "model.negative_slope=0.3"])  # fmt: skip
    net = instantiate(cfg.model)
    assert _feature_map(net, (1, 28, 28)) == (64, 1, 1)  # 28 -> 13 -> 6, 6 -> 2 -> 1
    assert torch.count_nonzero(net.features[0][0][0].bias) == 0
