"""The Optuna study of a litlab search: where it is stored, its sampler and pruner, its trials.

Shared by the sweeper (`hydra_plugins.litlab_optuna_sweeper`), which asks and tells, and by
the jobs, whose `OptunaPruning` callback reports to the trial the job runs.
"""

import logging
import math
from pathlib import Path
from typing import Any, Literal

import optuna
from hydra.core.hydra_config import HydraConfig
from hydra.core.utils import JobReturn, JobStatus
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf

from litlab.errors import ConfigError
from litlab.sweeps.jobs import read_job

log = logging.getLogger(__name__)

SWEEPER_TARGET = "hydra_plugins.litlab_optuna_sweeper.optuna_sweeper.OptunaSweeper"
STUDY_FILE = "optuna.db"
# Study user attribute: numbers of trials a stopped sweep left running (re-run on resume).
INTERRUPTED = "interrupted_trials"
FINISHED = (
    optuna.trial.TrialState.COMPLETE,
    optuna.trial.TrialState.PRUNED,
    optuna.trial.TrialState.FAIL,
)


def storage_url(storage: str | None, sweep_dir: Path) -> str:
    """The study's storage: `storage` if given, else an SQLite file in the sweep folder."""
    return storage or f"sqlite:///{(sweep_dir / STUDY_FILE).resolve()}"


def build_optuna(spec: DictConfig | dict | None, **kwargs: Any) -> Any:
    """Instantiate an Optuna sampler or pruner from `{_target_: optuna..., ...}` (None: None)."""
    from hydra.utils import instantiate

    if spec is None:
        return None
    target = str(OmegaConf.select(OmegaConf.create(spec), "_target_"))
    if not target.startswith("optuna."):
        raise ConfigError(f"hydra.sweeper sampler/pruner must be an optuna class, not {target}.")
    return instantiate(spec, **kwargs)


def open_study(
    name: str,
    storage: str,
    direction: Literal["minimize", "maximize"],
    sampler: DictConfig | None,
    pruner: DictConfig | None,
) -> optuna.Study:
    """Create the study, or load it to resume; a seeded sampler continues its sequence."""
    study = optuna.create_study(
        study_name=name, storage=storage, direction=direction, load_if_exists=True
    )
    seed = OmegaConf.select(OmegaConf.create(sampler), "seed") if sampler is not None else None
    # Re-seeding with the same seed would draw the first trials' parameters again on resume.
    offset = {} if seed is None else {"seed": int(seed) + len(study.trials)}
    study.sampler = build_optuna(sampler, **offset) or optuna.samplers.TPESampler()
    study.pruner = build_optuna(pruner) or optuna.pruners.NopPruner()
    return study


def recover_interrupted(study: optuna.Study) -> None:
    """Fail the trials a stopped sweep left running and queue their parameters again."""
    stale = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,))
    for trial in stale:
        log.warning("Trial %d was interrupted: marked failed, queued again.", trial.number)
        study.tell(trial.number, state=optuna.trial.TrialState.FAIL)
        study.enqueue_trial(trial.params)
    if stale:
        earlier = study.user_attrs.get(INTERRUPTED, [])
        study.set_user_attr(INTERRUPTED, [*earlier, *(t.number for t in stale)])


def trials_done(study: optuna.Study) -> int:
    """Trials that ran to an outcome (completed, pruned or failed; interrupted ones excluded)."""
    interrupted = set(study.user_attrs.get(INTERRUPTED, []))
    finished = study.get_trials(deepcopy=False, states=FINISHED)
    return sum(t.number not in interrupted for t in finished)


def tell_outcome(study: optuna.Study, trial: optuna.Trial, result: JobReturn) -> bool:
    """Tell the study how the job of `trial` ended: its value, pruned, or failed.

    Returns False once the sampler has covered its whole space (grid or brute force).
    """
    value = result.return_value if result.status == JobStatus.COMPLETED else None
    if isinstance(value, int | float) and not math.isnan(value):
        return tell(study, trial, values=float(value))
    assert result.hydra_cfg is not None
    job_dir = Path(result.hydra_cfg.hydra.runtime.output_dir)
    outcome = read_job(job_dir, None)
    pruned = outcome.status == "pruned"
    state = optuna.trial.TrialState.PRUNED if pruned else optuna.trial.TrialState.FAIL
    log.warning("Trial %d %s: %s", trial.number, state.name.lower(), outcome.message or value)
    return tell(study, trial, state=state)


def tell(study: optuna.Study, trial: optuna.Trial, **outcome: Any) -> bool:
    """`study.tell(trial, **outcome)`; False once the sampler has covered its whole space."""
    try:
        study.tell(trial, **outcome)
    except RuntimeError as err:
        # Grid and brute-force samplers call `Study.stop()` when every point has been tried,
        # which Optuna allows only inside `Study.optimize`; the trial was recorded before.
        if "Study.stop" not in str(err):
            raise
        return False
    return True


def running_trial() -> optuna.Trial | None:
    """The trial this Hydra job runs, if it is a job of litlab's Optuna sweeper."""
    if not HydraConfig.initialized():
        return None
    hydra_cfg = HydraConfig.get()
    sweeper = hydra_cfg.sweeper
    if hydra_cfg.mode != RunMode.MULTIRUN or sweeper.get("_target_") != SWEEPER_TARGET:
        return None
    storage = optuna.storages.get_storage(storage_url(sweeper.storage, Path(hydra_cfg.sweep.dir)))
    study_id = storage.get_study_id_from_name(sweeper.study_name)
    # The sweeper launches each trial as the job numbered like it.
    trial_id = storage.get_trial_id_from_study_id_trial_number(study_id, hydra_cfg.job.num)
    pruner = build_optuna(sweeper.pruner) or optuna.pruners.NopPruner()
    study = optuna.load_study(study_name=sweeper.study_name, storage=storage, pruner=pruner)
    return optuna.Trial(study, trial_id)
