"""The OmegaConf resolvers conf/ uses, registered once by each entry point (`register_resolvers`).

- `len`, `cwd`: plain helpers;
- `resume_run_dir`, `config_subdir`: where a run, or a resumed one, goes (`litlab.rundir`);
- `folder_classes`, `table_kind`, `table_columns`, ...: what the data files say while the config
  is composed (`litlab.data.peek`);
- `task_for_kind`, `outputs_for_kind`: the task of a kind of target (conf/task/auto.yaml).

Light: registering imports neither torch nor Lightning; a resolver imports what it needs when
a config first asks it.
"""

import os
from collections.abc import Callable, Sequence
from typing import Any

from omegaconf import DictConfig, OmegaConf

from litlab.data import peek
from litlab.errors import ConfigError
from litlab.rundir import config_subdir, resume_run_dir

# The task of each kind of target (the `target_kind` of its class; a test keeps them equal).
TASKS = {
    "classification": "litlab.tasks.classification.ClassificationTask",
    "binary": "litlab.tasks.binary.BinaryTask",
    "regression": "litlab.tasks.regression.RegressionTask",
    "multilabel": "litlab.tasks.multilabel.MultilabelTask",
}


# The functions of `litlab.data.peek` that are resolvers under their own names.
PEEKS = ("folder_classes", "image_channels", "table_classes", "table_columns", "table_width",
         "frame_kind", "frame_classes")  # fmt: skip


def task_for_kind(kind: str) -> str:
    """The task class (`_target_`) that trains on targets of `kind`."""
    if kind not in TASKS:
        raise ConfigError(
            f"data.target_kind={kind} has no task; choose one of {', '.join(TASKS)}, or a task "
            "(task=classification, ...)."
        )
    return TASKS[kind]


def outputs_for_kind(kind: str, class_names: Sequence[str]) -> int:
    """The outputs the task of `kind` needs for `class_names` (its `outputs_for`): one logit
    for binary, one per class, label or target column otherwise."""
    return 1 if kind == "binary" else len(class_names)


def chosen_task_kind(root: DictConfig) -> str | None:
    """The kind of the task the config names by its class (`task=binary`), or None when the
    task follows the data (`task=auto`, whose `_target_` is an interpolation) or is unknown."""
    task = root.get("task")
    # Read as written: resolving task=auto's target would ask the data's kind, which asks this.
    raw = OmegaConf.to_container(task, resolve=False) if isinstance(task, DictConfig) else None
    target = raw.get("_target_") if isinstance(raw, dict) else None
    if not isinstance(target, str) or "${" in target:
        return None
    kinds = {task_class: kind for kind, task_class in TASKS.items()}
    return kinds.get(target)


def _table_kind(file: str | None, target: Any, *, _root_: DictConfig) -> str:
    return peek.table_kind(file, _plain(target), chosen_task_kind(_root_))


def _plain(value: Any) -> Any:
    """Resolver arguments as plain lists and dicts (OmegaConf passes its containers)."""
    if isinstance(value, DictConfig) or OmegaConf.is_list(value):
        return OmegaConf.to_container(value, resolve=True)
    return value


def _with_plain_arguments(function: Callable[..., Any]) -> Callable[..., Any]:
    def resolver(*args: Any) -> Any:
        return function(*(_plain(arg) for arg in args))

    return resolver


def register_resolvers() -> None:
    """Register every resolver conf/ uses (idempotent)."""
    cached: dict[str, Callable[..., Any]] = {
        "cwd": os.getcwd,  # not ${hydra:runtime.cwd}: the sweep folder is made before Hydra has it
        # Cached: the answer must not change once the folder it names has been made.
        "resume_run_dir": resume_run_dir,
        "config_subdir": config_subdir,
    }
    # Not cached by OmegaConf: their answers follow their arguments (and the files they read,
    # which peek caches by version), so a K-fold's fold or a new file is seen.
    fresh: dict[str, Callable[..., Any]] = {
        "len": len,
        "table_kind": _table_kind,
        **{name: _with_plain_arguments(getattr(peek, name)) for name in PEEKS},
        "task_for_kind": task_for_kind,
        "outputs_for_kind": _with_plain_arguments(outputs_for_kind),
    }
    for name, resolver in cached.items():
        if not OmegaConf.has_resolver(name):
            OmegaConf.register_new_resolver(name, resolver, use_cache=True)
    for name, resolver in fresh.items():
        if not OmegaConf.has_resolver(name):
            OmegaConf.register_new_resolver(name, resolver)
