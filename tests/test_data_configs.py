"""Data configs: every dataset option is overridable and the YAML agrees with the Python."""

import inspect

import pytest
from hydra.utils import get_class
from omegaconf import OmegaConf

from litlab.data.base import TensorDataModule
from tests.conftest import CONF_DIR

DATA_OPTIONS = sorted(p.stem for p in (CONF_DIR / "data").glob("*.yaml"))
BASE_PARAMETERS = inspect.signature(TensorDataModule.__init__).parameters
# Where the YAML chooses otherwise than the class, on purpose: Boston tests on Keras' rows, while
# the class keeps the seeded rows for configs saved before `test_set` existed.
CHOSEN = {("boston", "test_set"): "keras"}


def _plain(value: object) -> object:
    return list(value) if isinstance(value, tuple) else value


def test_shared_options_restate_the_base_defaults():
    listed = OmegaConf.to_container(OmegaConf.load(CONF_DIR / "data_defaults.yaml").data)
    for key, value in listed.items():
        assert BASE_PARAMETERS[key].default == value, key


@pytest.mark.parametrize("option", DATA_OPTIONS)
def test_dataset_knobs_in_yaml_restate_their_python_defaults(option):
    raw = OmegaConf.to_container(OmegaConf.load(CONF_DIR / "data" / f"{option}.yaml"))
    own = inspect.signature(get_class(raw["_target_"]).__init__).parameters
    for key, param in own.items():
        if key in BASE_PARAMETERS or param.default is inspect.Parameter.empty:
            continue
        assert key in raw, f"data={option}: add {key} to the YAML so it can be overridden"
        derived = isinstance(raw[key], str) and "${" in raw[key]  # read from the files
        default = CHOSEN.get((option, key), _plain(param.default))
        assert derived or default == raw[key], key


@pytest.mark.parametrize("option", DATA_OPTIONS)
def test_every_dataset_option_is_overridable_without_a_plus(compose_cfg, option):
    knobs = {"batch_size": 7, "val_split": 0.3, "test_split": 0.1, "scaling": "robust"}
    cfg = compose_cfg([f"data={option}", *(f"data.{k}={v}" for k, v in knobs.items())])
    assert {key: cfg.data[key] for key in knobs} == knobs
