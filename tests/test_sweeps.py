"""Sweeps: the summary of a multirun, the Optuna search and the launchers."""

import csv
import json
import math
from pathlib import Path

import optuna
import pytest
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.utils import JobReturn, JobStatus
from omegaconf import OmegaConf

from litlab.sweeps.jobs import JobOutcome, read_job
from litlab.sweeps.space import search_space
from litlab.sweeps.study import recover_interrupted, tell_outcome, trials_done
from litlab.sweeps.summary import guess_mode, rank_jobs, varying_overrides
from tests.conftest import CONF_DIR, SHRINK
from tests.wandb_records import offline_runs

# A search whose outcome does not depend on chance: the brute-force sampler tries each of
# the three learning rates once, and Adam refuses the negative one.
TINY_SEARCH = """\
# @package _global_
defaults:
  - override /hydra/sweeper: litlab_optuna
optimized_metric: val/acc
callbacks:
  optuna_pruning:
    _target_: litlab.sweeps.pruning.OptunaPruning
    monitor: val/acc
hydra:
  mode: MULTIRUN
  sweep:
    dir: ${paths.log_dir}/${task_name}/multiruns/${hydra.sweeper.study_name}
  sweeper:
    study_name: tiny
    direction: maximize
    sampler:
      _target_: optuna.samplers.BruteForceSampler
      seed: 0
    params:
      optimizer.lr: choice(0.003, -1.0, 0.001)
"""


def read_summary(sweep_dir: Path) -> list[dict[str, str]]:
    with (sweep_dir / "summary.csv").open() as file:
        return list(csv.DictReader(file))


def only_sweep(logs: Path) -> Path:
    (sweep,) = (logs / "train" / "multiruns").iterdir()
    return sweep


# -- the summary ---------------------------------------------------------------------------


def outcome(job: str, status: str = "completed", **metrics: float) -> JobOutcome:
    return JobOutcome(job, [f"seed={job}"], status, metrics)  # type: ignore[arg-type]


def test_jobs_rank_best_first_then_pruned_then_failed():
    jobs = [outcome("0", loss=0.5), outcome("1", "failed"), outcome("2", loss=0.2),
            outcome("3", "pruned", loss=0.1), outcome("4", loss=math.nan)]  # fmt: skip
    assert [o.job for o in rank_jobs(jobs, "loss", "min")] == ["2", "0", "4", "3", "1"]
    assert [o.job for o in rank_jobs(jobs, "loss", "max")] == ["0", "2", "4", "3", "1"]
    assert guess_mode("val/loss") == "min" and guess_mode("test/rmse") == "min"
    assert guess_mode("val/acc_best") == "max" and guess_mode("test/auroc") == "max"


def test_only_the_overrides_that_differ_become_columns():
    jobs = [
        JobOutcome("0", ["debug=limit", "seed=1"], "completed"),
        JobOutcome("1", ["debug=limit", "seed=2", "+model.dropout=0.1"], "completed"),
    ]
    assert varying_overrides(jobs) == ["seed", "model.dropout"]
    assert varying_overrides(jobs[:1]) == []


def test_a_job_folder_tells_how_the_job_ended(tmp_path):
    def job(name: str, metrics: dict | None = None, error: str | None = None) -> Path:
        folder = tmp_path / name
        (folder / ".hydra").mkdir(parents=True)
        (folder / ".hydra" / "overrides.yaml").write_text("- seed=1\n")
        if metrics is not None:
            (folder / "metrics.json").write_text(json.dumps(metrics))
        if error is not None:
            (folder / "error.txt").write_text(error + "\n\nTraceback ...")
        return folder

    done = read_job(job("0", {"val/loss": 0.5}), "val/loss")
    assert done.status == "completed" and done.metrics == {"val/loss": 0.5}
    assert done.overrides == ["seed=1"]
    assert read_job(job("1", {"val/loss": None}), "val/loss").message == "val/loss is NaN"
    assert read_job(job("2"), "val/loss").status == "failed"  # stopped before metrics.json
    crashed = read_job(job("3", error="ValueError: bad lr"), "val/loss")
    assert (crashed.status, crashed.message) == ("failed", "ValueError: bad lr")
    assert read_job(job("4", error="TrialPruned: epoch 2"), "val/loss").status == "pruned"


def test_grid_sweep_summary_shared_wandb_group_and_a_failed_job(run_cli, tmp_path):
    result = run_cli(
        "hydra.mode=MULTIRUN", *SHRINK, "logger=[csv,wandb]", "optimizer.lr=0.003,-1.0,0.001"
    )
    # Every job ran; the sweep then exits 1 for its failed job, so a scheduler sees it.
    assert result.returncode == 1, result.stderr
    assert "1 of 3 jobs failed (1); their folders hold error.txt." in result.stdout + result.stderr
    sweep = only_sweep(tmp_path / "logs")
    rows = read_summary(sweep)
    # Best first by the checkpoint's metric (val/loss, min); the failed job last, with why.
    assert [r["status"] for r in rows] == ["completed", "completed", "failed"]
    assert float(rows[0]["val/loss"]) <= float(rows[1]["val/loss"])
    assert rows[2]["optimizer.lr"] == "-1.0" and "Invalid learning rate" in rows[2]["message"]
    assert (sweep / rows[2]["job"] / "error.txt").is_file()
    assert "3 jobs, best first by val/loss (min)" in result.stdout
    # One W&B run per job, grouped by the sweep, each finished (the failed one as failed).
    runs = {job: offline_runs(sweep / job) for job in ("0", "1", "2")}
    assert all(len(r) == 1 for r in runs.values())
    assert {r[0]["group"] for r in runs.values()} == {sweep.name}
    assert len({r[0]["id"] for r in runs.values()}) == 3
    assert [runs[job][0]["exit_code"] for job in ("0", "1", "2")] == [0, 1, 0]


# -- Optuna --------------------------------------------------------------------------------


def test_mnist_optuna_declares_its_space():
    parser = OverridesParser.create()
    cfg = OmegaConf.load(CONF_DIR / "hparams_search" / "mnist_optuna.yaml")
    params = cfg.hydra.sweeper.params
    space = search_space(parser.parse_overrides([f"{k}={v}" for k, v in params.items()]))
    lr = space.params["optimizer.lr"].distribution
    assert isinstance(lr, optuna.distributions.FloatDistribution) and lr.log
    hidden = space.params["model.hidden"]
    assert hidden.override("[256,128]") == "model.hidden=[256,128]"
    batch = space.params["data.batch_size"]
    assert batch.distribution.choices == (64, 128, 256)  # type: ignore[attr-defined]
    assert batch.override(128) == "data.batch_size=128"


def test_search_space_from_sweep_overrides():
    parser = OverridesParser.create()
    space = search_space(parser.parse_overrides([
        "trainer.max_epochs=tag(int, interval(2, 8))", "+model.dropout=range(0.1,0.4,0.1)",
        "optimizer=adam,sgd", "seed=3", "seed=4", "model.dropout=interval(0.0, 0.5)",
    ]))  # fmt: skip
    epochs = space.params["trainer.max_epochs"].distribution
    assert epochs == optuna.distributions.IntDistribution(2, 8)
    # A later override of a key replaces an earlier one, as on Hydra's command line.
    assert space.params["model.dropout"].override(0.25) == "model.dropout=0.25"
    assert space.params["optimizer"].override("sgd") == "optimizer=sgd"
    assert space.fixed == ["seed=4"]


def test_interrupted_trials_are_failed_queued_again_and_not_counted():
    study = optuna.create_study(direction="maximize")
    study.tell(study.ask({"x": optuna.distributions.FloatDistribution(0, 1)}), 0.5)
    stale = study.ask({"x": optuna.distributions.FloatDistribution(0, 1)})  # left running
    recover_interrupted(study)
    assert study.trials[stale.number].state == optuna.trial.TrialState.FAIL
    assert trials_done(study) == 1
    again = study.ask({"x": optuna.distributions.FloatDistribution(0, 1)})
    assert again.params == stale.params


def test_a_pruned_job_is_told_as_pruned(tmp_path):
    (tmp_path / ".hydra").mkdir()
    (tmp_path / ".hydra" / "overrides.yaml").write_text("[]\n")
    (tmp_path / "error.txt").write_text("TrialPruned: pruned after epoch 1\n")
    result = JobReturn(status=JobStatus.COMPLETED, _return_value=math.nan)
    result.hydra_cfg = OmegaConf.create({"hydra": {"runtime": {"output_dir": str(tmp_path)}}})
    study = optuna.create_study()
    trial = study.ask()
    trial.report(0.3, step=1)
    assert tell_outcome(study, trial, result)
    assert study.trials[0].state == optuna.trial.TrialState.PRUNED


def test_optuna_search_records_a_failed_trial_and_resumes(run_cli, tmp_path):
    search = tmp_path / "conf" / "hparams_search"
    search.mkdir(parents=True)
    (search / "tiny_optuna.yaml").write_text(TINY_SEARCH)
    args = (*SHRINK, f"hydra.searchpath=[file://{tmp_path / 'conf'}]",
            "hparams_search=tiny_optuna")  # fmt: skip
    sweep = tmp_path / "logs" / "train" / "multiruns" / "tiny"
    first = run_cli(*args, "hydra.sweeper.n_trials=2")
    failed = any(row["status"] == "failed" for row in read_summary(sweep))
    assert first.returncode == (1 if failed else 0), first.stderr
    again = run_cli(*args, "hydra.sweeper.n_trials=3")  # the same study, one more trial
    assert again.returncode == 1, again.stderr  # its summary lists the failed trial
    assert "2 of 3 trials done" in again.stdout + again.stderr

    study = optuna.load_study(study_name="tiny", storage=f"sqlite:///{sweep / 'optuna.db'}")
    by_lr = {t.params["optimizer.lr"]: t for t in study.trials}
    assert sorted(by_lr) == [-1.0, 0.001, 0.003]
    assert by_lr[-1.0].state == optuna.trial.TrialState.FAIL
    for lr in (0.001, 0.003):
        trial = by_lr[lr]
        assert trial.state == optuna.trial.TrialState.COMPLETE
        # Job n ran trial n: its metrics, and the values its pruning callback reported.
        metrics = json.loads((sweep / str(trial.number) / "metrics.json").read_text())
        assert trial.value == pytest.approx(metrics["val/acc"])
        assert len(trial.intermediate_values) == 2  # SHRINK: two epochs
    rows = read_summary(sweep)
    assert [r["status"] for r in rows] == ["completed", "completed", "failed"]
    assert sorted(r["job"] for r in rows) == ["0", "1", "2"]


# -- launchers -----------------------------------------------------------------------------


def test_submitit_local_runs_a_job(run_cli, tmp_path):
    result = run_cli("hydra.mode=MULTIRUN", "hydra/launcher=submitit_local", *SHRINK)
    assert result.returncode == 0, result.stderr
    sweep = only_sweep(tmp_path / "logs")
    (row,) = read_summary(sweep)
    assert row["status"] == "completed" and float(row["test/acc"]) > 0
    assert list((sweep / ".submitit").rglob("*_result.pkl"))


def test_slurm_launcher_is_sized_from_the_trainer():
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    GlobalHydra.instance().clear()
    with initialize_config_dir(str(CONF_DIR), version_base="1.3"):
        overrides = ["hydra/launcher=slurm", "trainer=ddp", "trainer.devices=4",
                     "trainer.num_nodes=2"]  # fmt: skip
        cfg = compose("train", overrides=overrides, return_hydra_config=True)
    launcher = cfg.hydra.launcher
    assert launcher._target_.endswith("SlurmLauncher")
    assert (launcher.nodes, launcher.tasks_per_node, launcher.gpus_per_node) == (2, 4, 4)
