"""The keys the model, task and callback option files set are real parameters of their targets,
with the signature's default where the file shows one (the file lists the knobs to override);
the trainer and every callback file list all of their target's arguments, so `key=value`
overrides any of them without a `+`."""

import inspect
from pathlib import Path

import pytest
import yaml
from hydra.utils import get_class, get_object

from tests.conftest import CONF_DIR

FILES = sorted(
    path for group in ("model", "task", "callbacks") for path in (CONF_DIR / group).glob("*.yaml")
)


def _litlab_nodes(node: object):
    """Nodes whose target is a litlab class with a signature of its own (not one that only
    changes a library class's behaviour, such as litlab's ModelCheckpoint)."""
    if isinstance(node, dict):
        target = str(node.get("_target_", ""))
        if target.startswith("litlab.") and "__init__" in vars(get_class(target)):
            yield node
        for value in node.values():
            yield from _litlab_nodes(value)


def _parameters(cls: type) -> dict[str, inspect.Parameter]:
    """The keyword parameters of `cls` (a class or a function), with its bases' where it passes
    **kwargs on to them."""
    if not isinstance(cls, type):
        return dict(inspect.signature(cls).parameters)
    parameters: dict[str, inspect.Parameter] = {}
    for klass in cls.__mro__:
        if "__init__" not in vars(klass):
            continue
        own = inspect.signature(klass).parameters
        parameters = {**own, **parameters}
        if not any(p.kind is p.VAR_KEYWORD for p in own.values()):
            break
    return {name: p for name, p in parameters.items() if p.kind is not p.VAR_KEYWORD}


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_option_keys_are_parameters_with_their_defaults(path: Path):
    for node in _litlab_nodes(yaml.safe_load(path.read_text())):
        parameters = _parameters(get_class(node["_target_"]))
        for key, value in node.items():
            if key.startswith("_"):
                continue
            assert key in parameters, f"{path.name}: {key} is not a parameter of {node['_target_']}"
            default = parameters[key].default
            is_literal = not (isinstance(value, str) and "${" in value)
            if is_literal and default is not inspect.Parameter.empty:
                shown = list(default) if isinstance(default, tuple) else default
                assert value == shown, (
                    f"{path.name}: {key}={value} but the code's default is {shown}"
                )


# Arguments litlab passes itself, from other groups.
BUILT = {"lightning.pytorch.Trainer": {"logger", "callbacks"}}
SCHEDULE_ARGS = {"optimizer", "total_steps"}  # the task gives them
EVERY_ARGUMENT = [
    CONF_DIR / "trainer" / "default.yaml",
    *sorted((CONF_DIR / "callbacks").glob("*.yaml")),
    *sorted(p for p in (CONF_DIR / "scheduler").glob("*.yaml") if p.stem != "none"),
]


@pytest.mark.parametrize("path", EVERY_ARGUMENT, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_trainer_and_callback_files_list_every_argument(path: Path):
    content = yaml.safe_load(path.read_text()) or {}
    nodes = (
        [content]
        if "_target_" in content
        else [node for node in content.values() if isinstance(node, dict) and "_target_" in node]
    )
    for node in nodes:
        target = node["_target_"]
        built = SCHEDULE_ARGS if ".schedules." in target else BUILT.get(target, set())
        wanted = set(_parameters(get_object(target))) - built
        listed = {key for key in node if not key.startswith("_")}
        assert listed == wanted, (
            f"{path.name}: missing {sorted(wanted - listed)}, unknown {sorted(listed - wanted)}"
        )
