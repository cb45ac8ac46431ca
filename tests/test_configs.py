"""Every option of every config group composes; every runnable option trains one batch."""

from pathlib import Path

import pytest
import yaml
from omegaconf import OmegaConf

from litlab.entry import train_command as train
from tests.conftest import CONF_DIR

GROUPS = sorted(
    p.name for p in CONF_DIR.iterdir() if p.is_dir() and p.name not in {"hydra", "local"}
)
OPTIONS = [(g, f.stem) for g in GROUPS for f in sorted((CONF_DIR / g).glob("*.yaml"))]

# Composed, not run here: hardware this machine lacks, and DDP on CPU, whose ranks are
# launched by re-running the command line (it has its own CLI test).
NOT_IN_PROCESS = {
    ("trainer", "gpu"),
    ("trainer", "ddp"),
    ("trainer", "mps"),
    ("trainer", "ddp_cpu"),
}
# Groups whose options only matter to a multirun (sweepers) or are covered by their own tests.
COMPOSE_ONLY_GROUPS = {"hparams_search", "paths", "extras"}


def test_every_group_of_the_design_exists():
    expected = {"data", "task", "model", "optimizer", "scheduler", "augment", "trainer",
                "callbacks", "logger", "experiment", "hparams_search", "debug", "hydra",
                "paths", "extras", "local"}  # fmt: skip
    assert expected <= {p.name for p in CONF_DIR.iterdir() if p.is_dir()}


def data_files(root: Path) -> dict[str, list[str]]:
    """What the generic datasets need to read: files of the synthetic data root."""
    apparel = root / "apparel"
    return {
        "table": [f"data.file={root / 'boston' / 'boston_housing.csv'}", "data.target=MEDV"],
        "image_folder": [f"data.root={apparel / 'clothes_dataset'}", "data.num_workers=0"],
        "dataframe": [f"data.file={apparel / 'csv_data' / 'nocolorinfo'}",
                      f"data.image_dir={apparel}", "data.label_columns=[red,blue,pants]",
                      "data.num_workers=0"],
    }  # fmt: skip


# Options that name the user's own code: here, one of litlab's nets stands in for it.
USER_CODE = {"model=custom": ["model._target_=litlab.nets.mlp.MLP"]}


def with_files(overrides: list[str], root: Path) -> list[str]:
    """`overrides` and what their options need: a generic dataset's files, a custom net."""
    needs = data_files(root)
    chosen = [o.removeprefix("data=") for o in overrides if o.startswith("data=")]
    extra = [o for option in chosen for o in needs.get(option, [])]
    return overrides + extra + [o for option in overrides for o in USER_CODE.get(option, [])]


@pytest.mark.parametrize(("group", "option"), OPTIONS, ids=[f"{g}={o}" for g, o in OPTIONS])
def test_option_composes(compose_cfg, data_root, group, option):
    cfg = compose_cfg(with_files([f"{group}={option}"], data_root))
    assert cfg.data.input_shape and 0 not in cfg.data.input_shape


RUNNABLE = [
    (g, o) for g, o in OPTIONS if (g, o) not in NOT_IN_PROCESS and g not in COMPOSE_ONLY_GROUPS
]


# A task option runs on a dataset of its kind (the default data, MNIST, is classification).
DATA_FOR_TASK = {"binary": "iceberg", "regression": "boston", "multilabel": "apparel"}


@pytest.mark.parametrize(("group", "option"), RUNNABLE, ids=[f"{g}={o}" for g, o in RUNNABLE])
def test_option_trains_one_batch(compose_cfg, data_root, group, option):
    overrides = [f"{group}={option}"]
    if group == "task" and option in DATA_FOR_TASK:
        overrides.insert(0, f"data={DATA_FOR_TASK[option]}")
    if group != "debug":
        overrides.append("debug=fdr")
    metrics = train(compose_cfg(with_files(overrides, data_root)))
    assert any(name.startswith("test/") for name in metrics)


EXPERIMENTS = [o for g, o in OPTIONS if g == "experiment"]


def test_every_exercise_of_the_course_is_an_experiment():
    exercises = {"mnist_mlp", "mnist_cnn", "fashion_mlp_course_64_32",
                 "fashion_mlp_course_128_128_32", "fashion_cnn", "fashion_vgg_aug", "cifar10_mlp",
                 "cifar10_cnn", "cifar10_resnet", "boston_mlp", "boston_kfold", "apparel_mlp",
                 "apparel_cnn", "iceberg_cnn"}  # fmt: skip
    assert exercises <= set(EXPERIMENTS)


def test_the_trainer_group_changes_only_the_hardware(compose_cfg):
    # Experiments come after the trainer group in train.yaml's defaults and choose no trainer
    # option, so their epochs and early stopping hold on any hardware.
    for experiment in EXPERIMENTS:
        content = yaml.safe_load((CONF_DIR / "experiment" / f"{experiment}.yaml").read_text())
        chosen = [str(entry) for entry in content.get("defaults", [])]
        assert not any("trainer" in entry for entry in chosen), experiment
    here = OmegaConf.to_container(compose_cfg(["experiment=cifar10_vgg"]), resolve=True)
    gpu = OmegaConf.to_container(
        compose_cfg(["experiment=cifar10_vgg", "trainer=gpu"]), resolve=True
    )
    assert isinstance(here, dict) and isinstance(gpu, dict)
    assert gpu["trainer"].pop("accelerator") == "gpu"
    here["trainer"].pop("accelerator")
    assert gpu == here  # the same epochs, early stopping, batch size, ...
