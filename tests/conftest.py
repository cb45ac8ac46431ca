"""Shared fixtures: synthetic data in the real on-disk formats, and composed configs.

Configs are composed with Hydra's compose API from the project's own `conf/`, so the tests
exercise the same composition as `python src/train.py`.
"""

import os
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest
import torch
from omegaconf import DictConfig

from litlab.api import compose, compose_config
from litlab.config import Job
from litlab.resolvers import register_resolvers
from tests.forkserver import ForkServer
from tests.synthetic import (
    write_apparel,
    write_boston,
    write_cifar10,
    write_iceberg,
    write_mnist,
)

ROOT = Path(__file__).resolve().parents[1]
CONF_DIR = ROOT / "conf"

# Quiet, single-threaded, deterministic defaults for every composed test config.
TEST_OVERRIDES = ["extras.print_config=false", "threads=1"]
# A short run (as debug=limit, but in logs/train like any run): two epochs of a few batches.
SHRINK = ["trainer.max_epochs=2", "trainer.limit_train_batches=5", "trainer.limit_val_batches=2",
          "trainer.limit_test_batches=2"]  # fmt: skip

register_resolvers()
torch.set_num_threads(1)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The slow tests first (longest first is the shortest schedule): the workers then fill
    the time around them with short tests instead of waiting for one long test at the end."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


@pytest.fixture(scope="session")
def data_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data root holding small learnable datasets in their real formats."""
    root = tmp_path_factory.mktemp("data")
    write_mnist(root, "MNIST", train=1000, test=300, seed=1)
    write_mnist(root, "FashionMNIST", train=600, test=200, seed=2, gzip=True)
    write_cifar10(root, batches=(60,) * 5, test=60, seed=3)  # 270 train: a batch of 256 fits
    write_boston(root, seed=4)  # 506 rows: the Keras test split
    write_apparel(root, per_folder=4, seed=5)
    write_iceberg(root, records=60, seed=6)
    return root


@pytest.fixture(autouse=True)
def trust_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Targets a test's runs trust go to a file of the test's own, not the project's."""
    path = tmp_path / "trusted_targets.txt"
    monkeypatch.setenv("LITLAB_TRUST_FILE", str(path))
    return path


@pytest.fixture(autouse=True)
def offline_wandb(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[None]:
    """W&B stays offline and out of the home folder; a run a test leaves open is finished."""
    monkeypatch.setenv("WANDB_MODE", "offline")
    home = tmp_path_factory.getbasetemp() / "wandb_home"
    for name in ("WANDB_CONFIG_DIR", "WANDB_CACHE_DIR", "WANDB_DATA_DIR"):
        monkeypatch.setenv(name, str(home / name.lower()))
    yield
    wandb = sys.modules.get("wandb")
    if wandb is not None and wandb.run is not None:
        wandb.finish()


ComposeFn = Callable[..., DictConfig]


@pytest.fixture
def compose_job(tmp_path: Path, data_root: Path) -> Callable[..., tuple[DictConfig, Job]]:
    """Compose `conf/<config_name>.yaml` with overrides, and its job (choices, overrides);
    outputs go to a fresh tmp folder."""

    def _compose(
        overrides: Sequence[str] = (), config_name: str = "train"
    ) -> tuple[DictConfig, Job]:
        paths = [
            f"paths.data_dir={data_root}",
            f"paths.cache_dir={tmp_path / 'cache'}",
            f"paths.output_dir={tmp_path / 'run'}",
            f"paths.log_dir={tmp_path / 'logs'}",
        ]
        return compose([*paths, *TEST_OVERRIDES, *overrides], config_name, CONF_DIR)

    return _compose


@pytest.fixture
def compose_cfg(compose_job: Callable[..., tuple[DictConfig, Job]]) -> ComposeFn:
    """Compose `conf/<config_name>.yaml` with overrides; outputs go to a fresh tmp folder."""

    def _compose(overrides: Sequence[str] = (), config_name: str = "train") -> DictConfig:
        return compose_job(overrides, config_name)[0]

    return _compose


@pytest.fixture(scope="session")
def trained(tmp_path_factory: pytest.TempPathFactory, data_root: Path) -> Path:
    """A finished short MLP run on MNIST files, with the config Hydra would have saved; read
    it, or copy it before changing anything."""
    from omegaconf import OmegaConf

    from litlab.entry import train_command

    out = tmp_path_factory.mktemp("trained")
    cfg = compose_config(
        CONF_DIR,
        [f"paths.data_dir={data_root}", f"paths.cache_dir={out / 'cache'}",
         f"paths.output_dir={out}", *SHRINK, *TEST_OVERRIDES],
    )  # fmt: skip
    train_command(cfg)
    (out / ".hydra").mkdir()
    OmegaConf.save(cfg, out / ".hydra" / "config.yaml")
    return out


@pytest.fixture(scope="session")
def fork_server() -> Iterator[ForkServer]:
    """Starts `python <script>` runs without paying the imports again (tests/forkserver.py)."""
    server = ForkServer()
    yield server
    server.close()


@pytest.fixture
def run_cli(
    tmp_path: Path, data_root: Path, fork_server: ForkServer
) -> Callable[..., subprocess.CompletedProcess]:
    """Run `python src/<script>.py <args>` as a user would, a process of its own; `via`: a
    wrapper script and its arguments that runs the entry point (e.g. tests/signal_at_step.py)."""

    def _run(
        *args: str,
        script: str = "train",
        timeout: float = 600,
        via: Sequence[str] = (),
        env: dict[str, str] | None = None,
    ) -> subprocess.CompletedProcess:
        entry = str(ROOT / "src" / f"{script}.py")
        command = [
            *via,
            entry,
            f"paths.data_dir={data_root}",
            f"paths.cache_dir={tmp_path / 'cache'}",
            f"paths.log_dir={tmp_path / 'logs'}",
            *TEST_OVERRIDES,
            *args,
        ]
        env = {**os.environ, "HYDRA_FULL_ERROR": "0", "OMP_NUM_THREADS": "1", **(env or {})}
        return fork_server.run(command[0], command[1:], cwd=tmp_path, env=env, timeout=timeout)

    return _run
