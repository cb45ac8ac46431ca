"""The keys the model, task and callback option files set are real parameters of their targets,
with the signature's default where the file shows one (the file lists the knobs to override)."""

import inspect
from pathlib import Path

import pytest
import yaml
from hydra.utils import get_class

from tests.conftest import CONF_DIR

FILES = sorted(
    path for group in ("model", "task", "callbacks") for path in (CONF_DIR / group).glob("*.yaml")
)


def _litlab_nodes(node: object):
    if isinstance(node, dict):
        if str(node.get("_target_", "")).startswith("litlab."):
            yield node
        for value in node.values():
            yield from _litlab_nodes(value)


def _parameters(cls: type) -> dict[str, inspect.Parameter]:
    """The keyword parameters of `cls`, with its bases' where it passes **kwargs on to them."""
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
