"""K-fold cross-validation: `cv.folds=k` fits the run's model k times, once per fold.

A layer above one run: the training data is cut into k seeded folds (`litlab.data.base.kfold`).
Fit `i` trains on the other folds, is validated on fold `i` and tested on the test set; it is
a complete run (`litlab.training.train`) in `<run dir>/fold_<i>/`, and its held-out score is that of
its best checkpoint (the one its test used) on fold `i`. The per-fold metrics, their mean and
standard deviation (over the folds, with k - 1 degrees of freedom) are printed and written to
`cv_summary.json` and `cv_summary.csv`; the run's `metrics.json` holds the means (and
`<name>_std`), so sweeps and Optuna rank cross-validated runs by them. The folds' W&B runs
form one group (`litlab.loggers.default_names`).
"""

import copy
import csv
import dataclasses
import json
import logging
import statistics
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path

from omegaconf import DictConfig, OmegaConf

from litlab.build import build_datamodule, build_task, print_config_tree
from litlab.config import Job
from litlab.errors import ConfigError
from litlab.loggers import finish_wandb_run
from litlab.registry import instantiate
from litlab.rundir import BEST, METRICS, fold_dir, write_metrics
from litlab.training import train

log = logging.getLogger(__name__)

Metrics = dict[str, float]


def cross_validate(cfg: DictConfig, job: Job | None = None) -> Metrics:
    """Fit and test once per fold of `cfg.cv.folds`; return each metric's mean (and std)."""
    job = Job.of(cfg, job)
    check_cv(cfg)
    if cfg.extras.print_config:
        print_config_tree(cfg)
    run_dir = Path(cfg.paths.output_dir)
    per_fold = []
    for fold in range(cfg.cv.folds):
        log.info("Cross-validation: fold %d of %d", fold + 1, cfg.cv.folds)
        fold_cfg = fold_config(cfg, fold)
        fold_job = dataclasses.replace(job, output_dir=Path(fold_cfg.paths.output_dir))
        metrics = train(fold_cfg, fold_job) | held_out_metrics(fold_cfg)
        write_metrics(fold_job.output_dir / METRICS, metrics)
        finish_wandb_run()  # the next fold logs into a W&B run of its own
        per_fold.append(metrics)
    mean, std = summarize(per_fold)
    write_summary(run_dir, per_fold, mean, std)
    log.info("%s", summary_table(per_fold, mean, std))
    overall = mean | {f"{name}_std": value for name, value in std.items()}
    write_metrics(run_dir / METRICS, overall)
    return overall


def check_cv(cfg: DictConfig) -> None:
    """Raise ConfigError when `cfg` cannot be cross-validated as asked."""
    folds = cfg.cv.folds
    if isinstance(folds, bool) or not isinstance(folds, int) or folds < 2:
        raise ConfigError(f"cv.folds={folds}: K-fold needs a whole number of at least 2 folds.")
    if not cfg.train:
        raise ConfigError("cv.folds fits one model per fold: it needs train=true.")
    strategy = OmegaConf.select(cfg, "trainer.strategy")
    if isinstance(strategy, DictConfig) or strategy not in (None, "auto", "single_device"):
        raise ConfigError(
            "cv.folds fits its folds one after another in this process, on one device: use "
            "trainer=cpu or trainer=gpu, or run each fold as a job of a sweep: "
            f"-m data.folds={folds} data.fold={','.join(map(str, range(folds)))}"
        )
    if cfg.get("resume") is not None or cfg.get("ckpt_path") is not None:
        raise ConfigError(
            "cv.folds starts k new fits: it cannot resume a run or start from ckpt_path; "
            "drop resume / ckpt_path, or run one fold as a plain run (data.folds=k data.fold=i)."
        )


def fold_config(cfg: DictConfig, fold: int) -> DictConfig:
    """The config of fit `fold`: validated on that fold, in its own sub-folder, no CV of its own."""
    fold_cfg = copy.deepcopy(cfg)
    changes = {
        "cv.folds": None,
        "data.folds": cfg.cv.folds,
        "data.fold": fold,
        "paths.output_dir": str(fold_dir(Path(cfg.paths.output_dir), fold)),
        "extras.print_config": False,  # printed once for the whole cross-validation
    }
    for key, value in changes.items():
        OmegaConf.update(fold_cfg, key, value, merge=False)
    return fold_cfg


def held_out_metrics(fold_cfg: DictConfig) -> Metrics:
    """`val/*` of the fold's best checkpoint on its held-out fold; {} without a checkpoint.

    The values a fit logs last are those of its last epoch; the fold is scored with the
    weights its test used. `*_best` values stay those of the fit (its best epoch).
    """
    best = Path(fold_cfg.paths.output_dir) / BEST
    if not best.is_file():
        log.warning("No %s: the held-out scores are those of the fit's last epoch.", best)
        return {}
    trainer = instantiate(
        fold_cfg.trainer,
        callbacks=[],
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
    )
    with warnings.catch_warnings():  # only the weights are wanted, not the fit's callback states
        warnings.filterwarnings("ignore", message="Be aware that when using `ckpt_path`")
        results = trainer.validate(
            build_task(fold_cfg),
            datamodule=build_datamodule(fold_cfg),
            ckpt_path=str(best),
            weights_only=True,
            verbose=False,
        )
    return {k: float(v) for k, v in results[0].items() if not k.endswith("_best")}


def summarize(per_fold: Sequence[Mapping[str, float]]) -> tuple[Metrics, Metrics]:
    """(mean, std) over the folds of every metric all folds have; std with k - 1 dof."""
    names = sorted(set.intersection(*(set(metrics) for metrics in per_fold)))
    values = {name: [metrics[name] for metrics in per_fold] for name in names}
    mean = {name: statistics.fmean(v) for name, v in values.items()}
    std = {name: statistics.stdev(v) for name, v in values.items()}
    return mean, std


def write_summary(
    run_dir: Path, per_fold: Sequence[Mapping[str, float]], mean: Metrics, std: Metrics
) -> None:
    """`cv_summary.json` and `cv_summary.csv`: one row per fold, then the mean and the std."""
    folds = [{"fold": i, **metrics} for i, metrics in enumerate(per_fold)]
    content = {"folds": folds, "mean": mean, "std": std}
    (run_dir / "cv_summary.json").write_text(json.dumps(content, indent=2) + "\n")
    names = list(mean)
    with (run_dir / "cv_summary.csv").open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["fold", *names])
        for i, metrics in enumerate(per_fold):
            writer.writerow([i, *(repr(metrics[name]) for name in names)])
        writer.writerow(["mean", *(repr(mean[name]) for name in names)])
        writer.writerow(["std", *(repr(std[name]) for name in names)])


def summary_table(per_fold: Sequence[Mapping[str, float]], mean: Metrics, std: Metrics) -> str:
    """The validation and test metrics of each fold, then mean ± std, as a text table."""
    names = [name for stage in ("val/", "test/") for name in mean if name.startswith(stage)]
    rows = [["fold", *names]]
    rows += [[str(i), *(f"{m[name]:.4g}" for name in names)] for i, m in enumerate(per_fold)]
    rows.append(["mean ± std", *(f"{mean[n]:.4g} ± {std[n]:.2g}" for n in names)])
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.rjust(w) for cell, w in zip(row, widths, strict=True)) for row in rows]
    title = f"Cross-validation over {len(per_fold)} folds (std over the folds, k - 1 dof):"
    return "\n".join([title, *lines])
