"""An Optuna search space written as Hydra sweep overrides.

`params` of the sweeper config and sweep overrides on the command line use Hydra's grammar:

    optimizer.lr: tag(log, interval(1e-4, 1e-2))   # float, log scale
    model.dropout: interval(0.0, 0.5)              # float
    trainer.max_epochs: tag(int, interval(2, 8))   # int (add `log` for a log scale)
    data.batch_size: range(32, 257, 32)            # int steps (range's stop is excluded)
    model.hidden: choice([64], [128, 64])          # categorical, any values
    optimizer: adam,sgd                            # categorical (the short form)

Any other override is fixed: every trial gets it as it is.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from hydra.core.override_parser.types import (
    ChoiceSweep,
    IntervalSweep,
    Override,
    RangeSweep,
    Sweep,
)
from optuna.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)

_PLAIN = (bool, int, float, str, type(None))


@dataclass(frozen=True)
class Param:
    """One searched override: its key (with any `+` prefix) and its Optuna distribution.

    `labels` maps each categorical value to its override text, for choices that Optuna
    cannot store as they are (lists, dicts, quoted strings).
    """

    key: str
    distribution: BaseDistribution
    labels: dict[Any, str] = field(default_factory=dict)

    def override(self, value: Any) -> str:
        """The override that gives a trial `value`: `optimizer.lr=0.0003`."""
        text = self.labels[value] if self.labels else _text(value)
        return f"{self.key}={text}"


@dataclass(frozen=True)
class SearchSpace:
    """The searched params by name (the key without prefix) and the fixed overrides."""

    params: dict[str, Param]
    fixed: list[str]


def search_space(overrides: Iterable[Override]) -> SearchSpace:
    """Sort parsed overrides into params and fixed ones; a later one replaces an earlier one."""
    params: dict[str, Param] = {}
    fixed: dict[str, str] = {}
    for override in overrides:
        name = override.key_or_group if override.package is None else override.get_key_element()
        name = name.lstrip("+~")
        params.pop(name, None)
        fixed.pop(name, None)
        if override.is_sweep_override():
            params[name] = Param(override.get_key_element(), *_distribution(override))
        else:
            fixed[name] = override.input_line or ""
    return SearchSpace(params, list(fixed.values()))


def _distribution(override: Override) -> tuple[BaseDistribution, dict[Any, str]]:
    sweep = override.value()
    if isinstance(sweep, ChoiceSweep):
        texts = list(override.sweep_string_iterator())
        choices: list[Any] = list(sweep.list)
        if all(isinstance(v, _PLAIN) for v in choices):
            return CategoricalDistribution(choices), dict(zip(choices, texts, strict=True))
        return CategoricalDistribution(texts), {text: text for text in texts}
    log = isinstance(sweep, Sweep) and "log" in sweep.tags
    if isinstance(sweep, RangeSweep):
        assert sweep.start is not None and sweep.stop is not None
        values: list[Any] = list(override.sweep_iterator())
        if all(isinstance(v, int) for v in (sweep.start, sweep.stop, sweep.step)):
            return IntDistribution(values[0], values[-1], log=log, step=int(sweep.step)), {}
        return FloatDistribution(values[0], values[-1], log=log, step=sweep.step), {}
    if isinstance(sweep, IntervalSweep):
        assert sweep.start is not None and sweep.end is not None
        if "int" in sweep.tags:
            return IntDistribution(int(sweep.start), int(sweep.end), log=log), {}
        return FloatDistribution(sweep.start, sweep.end, log=log), {}
    raise ValueError(
        f"{override.input_line}: the Optuna sweeper searches choice(...), a,b,c, range(...) "
        "and interval(...) (tag(log, ...) for a log scale, tag(int, interval(...)) for ints)."
    )


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return repr(value)
    return str(value)
