"""An Optuna sweeper on the ask/tell API that launches trials through the Hydra launcher.

Each trial is one Hydra job (numbered like the trial), so joblib and submitit launchers run
trials in parallel or on a cluster. The study lives in an SQLite file in the sweep folder
(or any Optuna storage): the same command resumes it, with `n_trials` as the study's budget.
Heavy imports (optuna, litlab) wait until a sweep starts: Hydra imports this module at every
start-up to find its plugins.
"""

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, cast

from hydra.core.config_store import ConfigStore
from hydra.core.plugins import Plugins
from hydra.core.utils import JobReturn
from hydra.errors import CompactHydraException
from hydra.plugins.launcher import Launcher
from hydra.plugins.sweeper import Sweeper
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig, OmegaConf

if TYPE_CHECKING:
    import optuna

    from litlab.sweeps.space import SearchSpace

log = logging.getLogger(__name__)


@dataclass
class LitlabOptunaSweeperConf:
    """`hydra.sweeper` settings; `params` maps override keys to Hydra sweep expressions."""

    _target_: str = "hydra_plugins.litlab_optuna_sweeper.optuna_sweeper.OptunaSweeper"
    _recursive_: bool = False  # sampler and pruner stay specs: the study builds them
    direction: str = "minimize"  # or maximize: what to do with `optimized_metric`
    study_name: str = "optuna"
    storage: str | None = None  # None: sqlite:///<sweep dir>/optuna.db
    n_trials: int = 20  # the study's budget, counted over every run of the same study
    n_jobs: int = 1  # trials launched together (in parallel with a parallel launcher)
    sampler: Any = field(default_factory=lambda: {"_target_": "optuna.samplers.TPESampler"})
    pruner: Any = None  # e.g. {_target_: optuna.pruners.MedianPruner}
    params: dict[str, str] = field(default_factory=dict)


ConfigStore.instance().store(
    group="hydra/sweeper", name="litlab_optuna", node=LitlabOptunaSweeperConf, provider="litlab"
)


class OptunaSweeper(Sweeper):
    """Ask Optuna for trials, launch them as Hydra jobs, tell it how each ended."""

    def __init__(
        self,
        *,
        direction: str,
        study_name: str,
        storage: str | None,
        n_trials: int,
        n_jobs: int,
        sampler: DictConfig | None,
        pruner: DictConfig | None,
        params: DictConfig,
    ) -> None:
        if direction not in ("minimize", "maximize"):
            raise ValueError(f"hydra.sweeper.direction={direction}: use minimize or maximize.")
        self.direction = cast(Literal["minimize", "maximize"], direction)
        self.study_name = study_name
        self.storage = storage
        self.n_trials = n_trials
        self.n_jobs = n_jobs
        self.sampler = sampler
        self.pruner = pruner
        self.params = {str(k): str(v) for k, v in params.items()}
        self.config: DictConfig | None = None
        self.launcher: Launcher | None = None
        self.hydra_context: HydraContext | None = None

    def setup(
        self, *, hydra_context: HydraContext, task_function: TaskFunction, config: DictConfig
    ) -> None:
        self.config = config
        self.hydra_context = hydra_context
        self.launcher = Plugins.instance().instantiate_launcher(
            hydra_context=hydra_context, task_function=task_function, config=config
        )

    def sweep(self, arguments: list[str]) -> list[JobReturn]:
        from litlab.errors import LitlabError
        from litlab.sweeps.search import Search

        assert self.launcher is not None
        try:
            space, study = self._open(arguments)
        except (LitlabError, ValueError) as err:  # a config mistake: one message, no traceback
            raise CompactHydraException(str(err)) from err
        search = Search(study, space, self.launcher, self.validate_batch_is_legal)
        return search.run(self.n_trials, self.n_jobs)

    def _open(self, arguments: list[str]) -> tuple["SearchSpace", "optuna.Study"]:
        """The search space of `params` and the sweep's arguments, and the study, resumed."""
        from hydra.core.override_parser.overrides_parser import OverridesParser

        from litlab.errors import ConfigError
        from litlab.sweeps.space import search_space
        from litlab.sweeps.study import open_study, recover_interrupted, storage_url, trials_done

        assert self.config is not None and self.hydra_context is not None
        if self.config.get("optimized_metric") is None:
            raise ConfigError("An Optuna search needs the metric to optimise: optimized_metric=...")
        parser = OverridesParser.create(config_loader=self.hydra_context.config_loader)
        space = search_space(
            parser.parse_overrides([f"{k}={v}" for k, v in self.params.items()] + arguments)
        )
        if not space.params:
            raise ConfigError("Nothing to search: give hydra.sweeper.params or sweep overrides.")
        sweep_dir = Path(self.config.hydra.sweep.dir)
        sweep_dir.mkdir(parents=True, exist_ok=True)
        OmegaConf.save(self.config, sweep_dir / "multirun.yaml")

        storage = storage_url(self.storage, sweep_dir)
        study = open_study(self.study_name, storage, self.direction, self.sampler, self.pruner)
        recover_interrupted(study)
        log.info("Study %s in %s: %d of %d trials done.", self.study_name, storage,
                 trials_done(study), self.n_trials)  # fmt: skip
        return space, study
