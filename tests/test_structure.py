"""The package's shape: imports point down the layers, no cycles, and the private Lightning
names litlab leans on are still where it expects them."""

import ast
import inspect
from pathlib import Path

import pytest

from tests.conftest import ROOT

SRC = ROOT / "src"
# Top to bottom: a module may import its own layer and those below, never one above.
LAYERS = [
    ("litlab.api", "litlab.entry", "litlab.resolvers"),
    ("litlab.cv",),
    ("litlab.training", "litlab.evaluate", "litlab.predict", "litlab.run", "litlab.show"),
    ("litlab.build",),
    (
        "litlab.callbacks",
        "litlab.loggers",
        "litlab.sweeps",
        "hydra_plugins",
        "litlab.plugins",
        "litlab.machine",
    ),
    ("litlab.weights", "litlab.checkpoints"),
    ("litlab.tasks",),
    ("litlab.data",),
    ("litlab.nets",),
    ("litlab.rundir",),
    ("litlab.config", "litlab.registry"),
    ("litlab.errors", "litlab"),
]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {
    module_name(p): p
    for p in SRC.rglob("*.py")
    if p.parent != SRC  # not the entry scripts
}


def imports(path: Path) -> set[str]:
    """The project modules `path` imports, at module level or inside functions."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
        else:
            continue
        for imported in names:
            name = imported
            while name and name not in MODULES:
                name = name.rpartition(".")[0]
            if name and name != module_name(path):
                found.add(name)
    return found


GRAPH = {name: imports(path) for name, path in MODULES.items()}


def layer(module: str) -> int:
    matches = [
        (len(prefix), i)
        for i, names in enumerate(LAYERS)
        for prefix in names
        if module == prefix or module.startswith(prefix + ".")
    ]
    assert matches, f"{module} is in no layer of LAYERS: add it"
    return max(matches)[1]


def test_every_import_points_down_the_layers():
    upward = [
        f"{module} imports {target}"
        for module, targets in GRAPH.items()
        for target in targets
        # The package itself is a facade: `litlab.train` / `litlab.load_run` come from the top.
        if "litlab" not in (module, target) and layer(target) < layer(module)
    ]
    assert upward == []


def test_no_import_cycles():
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    cycles = []

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for target in sorted(GRAPH[module]):
            if state.get(target) == 1:
                cycles.append([*path[path.index(target) :], target])
            elif target not in state:
                visit(target, [*path, target])
        state[module] = 2

    for module in sorted(GRAPH):
        if module not in state:
            visit(module, [module])
    assert cycles == []


# Private names of Lightning (and OmegaConf) that litlab overrides or calls. When an upgrade
# moves one, this fails here, naming it, instead of somewhere deep in a run.
PRIVATE = [
    ("lightning.pytorch.loggers.csv_logs", "ExperimentWriter._check_log_dir_exists"),
    ("lightning.pytorch.strategies.launchers.subprocess_script", "_hydra_subprocess_cmd"),
    ("lightning.pytorch.strategies.launchers.subprocess_script", "_SubprocessScriptLauncher"),
    (
        "lightning.pytorch.strategies.launchers.subprocess_script",
        "_SubprocessScriptLauncher._call_children_scripts",
    ),
    ("lightning.pytorch.strategies", "DDPStrategy._configure_launcher"),
    ("omegaconf", "DictConfig._get_full_key"),
    ("hydra._internal.core_plugins.basic_launcher", "BasicLauncher"),
    ("hydra._internal.callbacks", "Callbacks"),
]


@pytest.mark.parametrize(("module", "name"), PRIVATE, ids=[n for _, n in PRIVATE])
def test_private_names_litlab_relies_on_exist(module, name):
    import importlib

    value = importlib.import_module(module)
    for part in name.split("."):
        assert hasattr(value, part), f"{module}.{name} has moved: litlab relies on it"
        value = getattr(value, part)


def test_private_attributes_litlab_reads_exist(tmp_path):
    from lightning.pytorch.callbacks import ModelSummary
    from lightning.pytorch.loggers.csv_logs import CSVLogger, ExperimentWriter
    from lightning.pytorch.strategies import DDPStrategy
    from lightning.pytorch.strategies.launchers.subprocess_script import _hydra_subprocess_cmd

    logger = CSVLogger(tmp_path)
    assert hasattr(logger, "_fs") and hasattr(logger, "_experiment")
    writer = ExperimentWriter(str(tmp_path / "w"))
    assert hasattr(writer, "metrics_keys") and hasattr(writer, "metrics_file_path")
    assert hasattr(ModelSummary(max_depth=2), "_max_depth")
    assert hasattr(DDPStrategy(), "_launcher")
    import torch
    from lightning.pytorch.core.optimizer import LightningOptimizer

    optimizer = LightningOptimizer(torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1))
    assert callable(optimizer._on_before_step) and callable(optimizer._on_after_step)
    assert list(inspect.signature(_hydra_subprocess_cmd).parameters) == ["local_rank"]
