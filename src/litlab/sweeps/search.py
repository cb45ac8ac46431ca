"""The ask/tell loop of litlab's Optuna sweeper: trials become Hydra jobs, outcomes go back."""

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import optuna
from hydra.core.utils import JobReturn
from hydra.errors import HydraException
from hydra.plugins.launcher import Launcher

from litlab.sweeps.space import SearchSpace
from litlab.sweeps.study import tell, tell_outcome, trials_done

log = logging.getLogger(__name__)


@dataclass
class Search:
    """Run trials of `study` over `space` through `launcher` until the study's budget is spent.

    `validate` composes each trial's config first (the sweeper's `validate_batch_is_legal`),
    so a trial whose overrides do not compose fails alone instead of stopping the sweep.
    """

    study: optuna.Study
    space: SearchSpace
    launcher: Launcher
    validate: Callable[[Sequence[Sequence[str]]], None]

    def run(self, n_trials: int, n_jobs: int) -> list[JobReturn]:
        """Launch up to `n_jobs` trials at a time until the study holds `n_trials` outcomes."""
        distributions = {name: param.distribution for name, param in self.space.params.items()}
        results: list[JobReturn] = []
        while (left := n_trials - trials_done(self.study)) > 0:
            trials = [self.study.ask(distributions) for _ in range(min(n_jobs, left))]
            batch_results, covered = self._run_trials(trials)
            results += batch_results
            if covered:
                log.info("The sampler has tried every point of its search space.")
                break
        self._log_best()
        return results

    def _run_trials(self, trials: list[optuna.Trial]) -> tuple[list[JobReturn], bool]:
        """Launch `trials`; also say whether the sampler has covered its whole space."""
        launchable: dict[int, tuple[optuna.Trial, list[str]]] = {}
        told: list[bool] = []
        for trial in trials:
            overrides = self.overrides(trial)
            try:
                self.validate([overrides])
            except HydraException as err:
                log.warning("Trial %d failed: %s", trial.number, err)
                told.append(tell(self.study, trial, state=optuna.trial.TrialState.FAIL))
            else:
                launchable[trial.number] = (trial, overrides)
        results: list[JobReturn] = []
        for numbers in _consecutive(sorted(launchable)):
            batch = [launchable[n] for n in numbers]
            # Job n runs trial n: its folder is named like the trial, and its pruning
            # callback finds the trial by the job number.
            returns = self.launcher.launch([o for _, o in batch], initial_job_idx=numbers[0])
            told += [
                tell_outcome(self.study, t, r) for (t, _), r in zip(batch, returns, strict=True)
            ]
            results += returns
        return results, not all(told)

    def overrides(self, trial: optuna.Trial) -> list[str]:
        """The job overrides of `trial`: the fixed ones, then one per searched param."""
        chosen = (self.space.params[name].override(v) for name, v in trial.params.items())
        return [*self.space.fixed, *chosen]

    def _log_best(self) -> None:
        completed = self.study.get_trials(states=(optuna.trial.TrialState.COMPLETE,))
        if completed:
            best = self.study.best_trial
            log.info("Best trial %d: %s with %s", best.number, best.value, best.params)
        else:
            log.warning("No trial of study %s has completed.", self.study.study_name)


def _consecutive(numbers: list[int]) -> list[list[int]]:
    """Sorted numbers in runs of consecutive ones: [0, 1, 3] -> [[0, 1], [3]]."""
    runs: list[list[int]] = []
    for number in numbers:
        if runs and runs[-1][-1] + 1 == number:
            runs[-1].append(number)
        else:
            runs.append([number])
    return runs
