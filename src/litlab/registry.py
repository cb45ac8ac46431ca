"""What a config may name: every `_target_` is built here, and a saved config is data.

A config composed from `conf/` and the command line is the user's own: any importable target
works, their own modules included (`model._target_=my_package.nets.MyNet`). A config read
back from a checkpoint or a run folder comes from whoever made that file, so `saved_config`
treats it as data: each `_target_` must be, exactly, a target that the project's `conf/` tree
names or one listed in the trust file (`.litlab/trusted_targets.txt` beside `conf/`, one per
line; `LITLAB_TRUST_FILE` moves it), and its interpolations may use no resolver that reads
the environment. A target a training run names outside `conf/` is added to the trust file
(`trust`), so eval, predict and resume of that run rebuild it on this machine, while a
checkpoint from elsewhere still names only what this project declares.
"""

import functools
import logging
import os
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, ListConfig, OmegaConf

from litlab.errors import CheckpointError, ConfigError, LitlabError

log = logging.getLogger(__name__)

PROJECT_DIR = Path(__file__).resolve().parents[2]  # src/litlab/registry.py -> the project
CONF_DIR = PROJECT_DIR / "conf"
TRUST_FILE = PROJECT_DIR / ".litlab" / "trusted_targets.txt"
# Resolvers a saved config may call: litlab's and Hydra's own, none that reads the environment.
# Those of litlab.data.peek read the names of folders and the columns of tables the config
# names, as its datamodule would; task_for_kind only ever names one of litlab's tasks.
SAFE_RESOLVERS = frozenset(
    {"len", "cwd", "now", "hydra", "oc.select", "resume_run_dir", "config_subdir"}
    | {"folder_classes", "image_channels", "table_kind", "table_classes", "table_columns"}
    | {"table_width", "frame_kind", "frame_classes", "task_for_kind", "outputs_for_kind"}
)
# A target as conf/ writes it: a dotted name, or an interpolation (conf/task/auto.yaml's).
_TARGET_LINE = re.compile(
    r"^\s*(?:-\s+)?_target_:\s*([\w.]+|\$\{[^#\s]*\})\s*(?:#.*)?$", re.MULTILINE
)
_RESOLVER = re.compile(r"\$\{\s*([\w.-]+)\s*:")


def trust_file() -> Path:
    """Where the user's trusted targets are listed (`LITLAB_TRUST_FILE` if set)."""
    return Path(os.environ.get("LITLAB_TRUST_FILE") or TRUST_FILE)


@functools.cache
def conf_targets(conf_dir: Path = CONF_DIR) -> frozenset[str]:
    """Every `_target_` that a YAML file of `conf_dir` names, as written (an interpolation
    stays one: a saved config may name the same, and it resolves as conf/ meant)."""
    return frozenset(
        target
        for path in conf_dir.rglob("*.yaml")
        for target in _TARGET_LINE.findall(path.read_text(encoding="utf-8"))
    )


def trusted_targets() -> frozenset[str]:
    """The targets a saved config may name: those of `conf/` and those of the trust file."""
    path = trust_file()
    listed = path.read_text(encoding="utf-8").splitlines() if path.is_file() else []
    user = {line.split("#", 1)[0].strip() for line in listed}
    return conf_targets() | {target for target in user if target}


def targets(node: Any) -> Iterator[str]:
    """Every `_target_` value in a nested mapping / list, as written (not resolved)."""
    if isinstance(node, Mapping):
        if "_target_" in node:
            yield str(node["_target_"])
        for value in node.values():
            yield from targets(value)
    elif isinstance(node, list | tuple):
        for item in node:
            yield from targets(item)


def trust(cfg: DictConfig) -> None:
    """Add the targets `cfg` names outside `conf/` and the trust file to the trust file."""
    raw = OmegaConf.to_container(cfg, resolve=False)
    new = sorted(set(targets(raw)) - trusted_targets())
    if not new:
        return
    path = trust_file()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as file:
            file.writelines(f"{target}\n" for target in new)
    except OSError as err:
        log.warning("Could not record %s in %s (%s).", ", ".join(new), path, err)
        return
    log.info("Trusted from now on in saved configs (listed in %s): %s", path, ", ".join(new))


def saved_config(raw: Mapping[str, Any] | DictConfig, source: Path) -> DictConfig:
    """A config read from `source` (a checkpoint or run folder), checked as data.

    Raises:
        CheckpointError: a `_target_` that is not trusted, or an interpolation that calls a
            resolver outside `SAFE_RESOLVERS` (such as `oc.env`).
    """
    plain = OmegaConf.to_container(raw, resolve=False) if isinstance(raw, DictConfig) else raw
    if not isinstance(plain, Mapping):
        raise CheckpointError(f"{source} holds no config mapping; it is not a litlab file.")
    for text in _strings(plain):
        unsafe = sorted(set(_RESOLVER.findall(text)) - SAFE_RESOLVERS)
        if unsafe:
            raise CheckpointError(
                f"{source} holds a config that calls the resolver {', '.join(unsafe)} "
                f"({text!r}); a saved config is data and may not read the environment or run "
                "code. Use a checkpoint or run folder written by litlab."
            )
    allowed = trusted_targets()
    for target in targets(plain):
        if target not in allowed:
            raise CheckpointError(
                f"{source} names the class or function {target!r}, which this project does "
                f"not declare (conf/ or {trust_file()}); litlab builds nothing else from a "
                "saved config. If you wrote that code and trust this file, add the name to "
                f"{trust_file()}."
            )
    config = OmegaConf.create(dict(plain))
    OmegaConf.set_struct(config, False)
    return config


def _strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, Mapping):
        for key, value in node.items():
            yield from _strings(key)
            yield from _strings(value)
    elif isinstance(node, list | tuple):
        for item in node:
            yield from _strings(item)


def instantiate(cfg: DictConfig, **kwargs: Any) -> Any:
    """Build the object `cfg` (a node with `_target_`) describes.

    Every value is first checked against the type hints of its target's signature
    (`check_arguments`), so `data.batch_size=abc` is one message naming the key and what it
    takes. A user error (LitlabError) raised by a constructor comes out as itself, not wrapped
    in Hydra's InstantiationException; a constructor's own TypeError or ValueError becomes a
    ConfigError naming the node.
    """
    from hydra.errors import InstantiationException
    from hydra.utils import instantiate as hydra_instantiate

    check_arguments(cfg, given=set(kwargs))
    try:
        return hydra_instantiate(cfg, **kwargs)
    except InstantiationException as err:
        cause = err.__cause__
        while isinstance(cause, InstantiationException):  # nested `_target_` nodes
            cause = cause.__cause__
        if isinstance(cause, LitlabError):
            raise cause from None
        if isinstance(cause, TypeError | ValueError):
            raise ConfigError(_constructor_message(cfg, cause)) from err
        raise


def check_arguments(cfg: DictConfig, given: set[str] = frozenset()) -> None:  # type: ignore[assignment]
    """Raise ConfigError unless every key of `cfg` (and of its nested `_target_` nodes) is a
    parameter of its target with a value of the type the target's signature names.

    Args:
        cfg: a node with `_target_`.
        given: parameters passed in code rather than by the config (not checked).
    """
    key = cfg._get_full_key(None) or "config"
    if "_target_" not in cfg:
        keys = ", ".join(f"{key}.{name!s}" for name in cfg)
        raise ConfigError(
            f"{keys} set options of {key}, but no {key} is chosen to take them; choose one "
            f"first ({key}=<option>), then set its keys."
        )
    target = str(cfg._target_)
    parameters, open_ended = _signature(target)
    for item, value in cfg.items():
        name = str(item)
        if name.startswith("_") or name in given:
            continue
        if isinstance(value, DictConfig) and "_target_" in value:
            check_arguments(value)
            continue
        if name not in parameters:
            if open_ended:
                continue
            raise ConfigError(
                f"{key}.{name} is not an option of {target}; its options are "
                f"{', '.join(n for n in parameters if n not in given)}."
            )
        hint = parameters[name]
        if hint is not None and not _conforms(value, hint):
            raise ConfigError(
                f"{key}.{name}={_shown(value)}: {target} takes {_describe(hint)} there; give one."
            )


def locate(target: str) -> Any:
    """The class or function a `_target_` names; ConfigError when it cannot be imported."""
    from hydra.utils import get_object

    try:
        return get_object(target)
    except (ImportError, AttributeError) as err:
        cause = err.__cause__ or err
        raise ConfigError(
            f"_target_ {target} cannot be imported ({type(cause).__name__}: {cause}); check the "
            "name, and that its module is on the Python path (PYTHONPATH) with what it imports."
        ) from err


def _signature(target: str) -> tuple[dict[str, Any], bool]:
    """The parameters of `target` by name with their type hints (None: unknown), and whether
    it also takes other keywords; a class passing **kwargs to its base adds the base's."""
    import inspect
    import typing

    obj = locate(target)
    functions = (
        [vars(klass)["__init__"] for klass in obj.__mro__ if "__init__" in vars(klass)]
        if isinstance(obj, type)
        else [obj]
    )
    parameters: dict[str, Any] = {}
    for function in functions:
        try:
            own = inspect.signature(function).parameters
        except (TypeError, ValueError):  # a builtin without a signature: check nothing
            return {}, True
        try:
            hints = typing.get_type_hints(function)
        except Exception:  # unresolvable forward references: check names only
            hints = {}
        for name, parameter in own.items():
            if parameter.kind in (parameter.VAR_KEYWORD, parameter.VAR_POSITIONAL):
                continue
            if name != "self" and name not in parameters:
                parameters[name] = hints.get(name)
        if not any(p.kind is p.VAR_KEYWORD for p in own.values()):
            return parameters, False
    return parameters, True


_PLAIN = {int: "a whole number", float: "a number", bool: "true or false", str: "a text"}


def _conforms(value: Any, hint: Any) -> bool:
    """Whether a config value fits a type hint; hints of unknown kinds accept anything."""
    import types
    import typing
    from collections.abc import Mapping as MappingABC
    from collections.abc import Sequence as SequenceABC
    from pathlib import PurePath

    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is Any or hint is None:
        return True
    if hint is type(None):
        return value is None
    if origin in (typing.Union, types.UnionType):
        known = [a for a in args if _is_known(a)]
        return not known or any(_conforms(value, a) for a in known)
    if origin is typing.Literal:
        return value in args
    if hint is bool:
        return isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if hint is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if hint is str or (isinstance(hint, type) and issubclass(hint, PurePath)):
        return isinstance(value, str)
    if origin in (list, tuple) or origin is SequenceABC:
        if not isinstance(value, ListConfig | list | tuple):
            return False
        inner = [a for a in args if a is not Ellipsis]
        return len(inner) != 1 or all(_conforms(item, inner[0]) for item in value)
    if origin in (dict,) or origin is MappingABC or hint in (dict,):
        return isinstance(value, DictConfig | dict)
    return True  # a class, a callable, ...: built or passed in code


def _is_known(hint: Any) -> bool:
    """Whether `_conforms` can judge values for `hint` (not a class it knows nothing of)."""
    import typing
    from collections.abc import Mapping as MappingABC
    from collections.abc import Sequence as SequenceABC
    from pathlib import PurePath

    origin = typing.get_origin(hint)
    return (
        hint in (*_PLAIN, type(None))
        or origin in (typing.Literal, list, tuple, dict, SequenceABC, MappingABC)
        or (isinstance(hint, type) and issubclass(hint, PurePath))
    )


def _describe(hint: Any, plural: bool = False) -> str:
    """A type hint in words: `a whole number or null`, `one of min, max`, `a list of texts`."""
    import types
    import typing

    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is type(None):
        return "null"
    if hint in _PLAIN:
        word = _PLAIN[hint]
        return (word.removeprefix("a ") + "s") if plural and word.startswith("a ") else word
    if origin in (typing.Union, types.UnionType):
        literals = [
            str(v) for a in args if typing.get_origin(a) is typing.Literal for v in a.__args__
        ]
        words = [f"one of {', '.join(dict.fromkeys(literals))}"] if literals else []
        words += [
            _describe(a, plural)
            for a in args
            if _is_known(a) and typing.get_origin(a) is not typing.Literal
        ]
        return " or ".join(dict.fromkeys(words))
    if origin is typing.Literal:
        return "one of " + ", ".join(str(a) for a in args)
    if origin in (list, tuple) or str(origin).endswith("Sequence'>"):
        inner = [a for a in args if a is not Ellipsis]
        return (
            f"a list ([...]) of {_describe(inner[0], plural=True)}" if len(inner) == 1 else "a list"
        )
    if origin is dict or str(origin).endswith("Mapping'>"):
        return "a mapping ({...})"
    return "a path" if isinstance(hint, type) else str(hint)


def _shown(value: Any) -> str:
    if isinstance(value, DictConfig | ListConfig):
        return str(OmegaConf.to_container(value))
    return str(value)


def instantiate_group(cfg: DictConfig | None) -> list[Any]:
    """Build every entry of a group of named nodes (callbacks, loggers); nulls are skipped."""
    if not cfg:
        return []
    return [instantiate(node) for node in cfg.values() if node is not None and "_target_" in node]


def _constructor_message(cfg: DictConfig, cause: Exception) -> str:
    """One line for a constructor that refused its arguments, naming the config node."""
    key = cfg._get_full_key(None)
    where = f"{key} ({cfg.get('_target_')})" if key else str(cfg.get("_target_", "a config node"))
    detail = str(cause).strip().splitlines()[0] if str(cause).strip() else type(cause).__name__
    return f"{where} cannot be built: {detail}. Fix the {key or 'config'}.* values you gave."
