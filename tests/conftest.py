"""Shared fixtures: synthetic data in the real on-disk formats, and composed configs.

Configs are composed with Hydra's compose API from the project's own `conf/`, so the tests
exercise the same composition as `python src/train.py`.
"""

import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
import torch
from omegaconf import DictConfig

from litlab.config import compose_config, register_resolvers
from litlab.data.synthetic import (
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

register_resolvers()
torch.set_num_threads(1)


@pytest.fixture(scope="session")
def data_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data root holding small learnable datasets in their real formats."""
    root = tmp_path_factory.mktemp("data")
    write_mnist(root, "MNIST", train=1000, test=300, seed=1)
    write_mnist(root, "FashionMNIST", train=600, test=200, seed=2, gzip=True)
    write_cifar10(root, batches=(40,) * 5, test=60, seed=3)
    write_boston(root, rows=150, seed=4)
    write_apparel(root, per_folder=4, seed=5)
    write_iceberg(root, records=60, seed=6)
    return root


ComposeFn = Callable[..., DictConfig]


@pytest.fixture
def compose_cfg(tmp_path: Path, data_root: Path) -> ComposeFn:
    """Compose `conf/<config_name>.yaml` with overrides; outputs go to a fresh tmp folder."""

    def _compose(overrides: Sequence[str] = (), config_name: str = "train") -> DictConfig:
        paths = [
            f"paths.data_dir={data_root}",
            f"paths.cache_dir={tmp_path / 'cache'}",
            f"paths.output_dir={tmp_path / 'run'}",
            f"paths.log_dir={tmp_path / 'logs'}",
        ]
        return compose_config(CONF_DIR, [*paths, *TEST_OVERRIDES, *overrides], config_name)

    return _compose


@pytest.fixture
def run_cli(tmp_path: Path, data_root: Path) -> Callable[..., subprocess.CompletedProcess]:
    """Run `python src/<script>.py <args>` in a subprocess, as a user would."""

    def _run(
        *args: str, script: str = "train", timeout: float = 300
    ) -> subprocess.CompletedProcess:
        command = [
            sys.executable,
            str(ROOT / "src" / f"{script}.py"),
            f"paths.data_dir={data_root}",
            f"paths.cache_dir={tmp_path / 'cache'}",
            f"paths.log_dir={tmp_path / 'logs'}",
            *TEST_OVERRIDES,
            *args,
        ]
        env = {**os.environ, "HYDRA_FULL_ERROR": "0", "OMP_NUM_THREADS": "1"}
        return subprocess.run(
            command,
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    return _run
