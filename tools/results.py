"""Re-run the experiments of docs/results.md and rewrite it: `make results DATA=<data root>`.

Each row of the table is one command, `python src/train.py experiment=<name>
paths.data_dir=<DATA>` (a `-m ... seed=0,1,2,3,4` sweep for the rows over seeds), run from the
project's folder as a subprocess, one after another. The test metric comes from the run's
`metrics.json` (of each job of a sweep), the wall time is the whole command's. Every row run
is recorded in docs/results.json with the machine that ran it; the rows not run this time
(`--only`) keep their last record, so the table is always whole. The page's text around the
table is tools/results_template.md.

    python tools/results.py --data ../shared/data --only boston_mlp boston_kfold --threads 1
"""

import argparse
import datetime
import json
import os
import platform
import shlex
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = Path(__file__).with_name("results_template.md")
SEEDS = "0,1,2,3,4"


@dataclass(frozen=True)
class Row:
    """A row of the table: an experiment (over seeds 0-4 if `seeds`), its data, the book's score."""

    experiment: str
    data: str
    book: str
    seeds: bool = False

    @property
    def key(self) -> str:
        return f"{self.experiment} seeds" if self.seeds else self.experiment

    def overrides(self, data_dir: str, extra: list[str]) -> list[str]:
        """The command's arguments after `python src/train.py`."""
        sweep = ["-m", f"experiment={self.experiment}", f"seed={SEEDS}"]
        one = [f"experiment={self.experiment}"]
        return [*(sweep if self.seeds else one), f"paths.data_dir={data_dir}", *extra]


FULL_MNIST = "MNIST, full (60k / 10k)"
FULL_FASHION = "Fashion-MNIST, full (60k / 10k)"
CIFAR_SUBSET = "CIFAR-10, **10% subset** (5k / 1k)"
BOSTON = "Boston, 506 rows (Keras' 102 test rows)"
APPAREL = "apparel, **sample** (480 images)"
BOSTON_FOLDS = "MAE 2.05 (mean test MAE of the 3 fold models: 2.057, 1.942, 2.155)"
ROWS = [
    Row("mnist_mlp", FULL_MNIST, "acc 0.968"),
    Row("mnist_cnn", FULL_MNIST, "—"),
    Row("fashion_mlp_course_64_32", FULL_FASHION, "— (see below)"),
    Row("fashion_mlp_course_128_128_32", FULL_FASHION, "— (see below)"),
    Row("fashion_mlp_wide", FULL_FASHION, "— (not the course's net)"),
    Row("fashion_cnn", FULL_FASHION, "acc 0.891"),
    Row("fashion_vgg_aug", FULL_FASHION, "acc 0.929"),
    Row("cifar10_mlp", CIFAR_SUBSET, "acc 0.485 (50k)"),
    Row("cifar10_cnn", CIFAR_SUBSET, "acc 0.718 (50k)"),
    Row("cifar10_vgg", CIFAR_SUBSET, "—"),
    Row("cifar10_resnet", CIFAR_SUBSET, "—"),
    Row("boston_mlp", BOSTON, "MAE 2.26 (one run, test)"),
    Row("boston_mlp", BOSTON, "MAE 2.26 (one run, test)", seeds=True),
    Row("boston_kfold", BOSTON, BOSTON_FOLDS),
    Row("boston_kfold", BOSTON, BOSTON_FOLDS, seeds=True),
    Row("apparel_mlp", APPAREL, "bin. acc 0.922 (full set)"),
    Row("apparel_cnn", APPAREL, "—"),
    Row("iceberg_cnn", "Kaggle's train.json (no copy here)", "val acc 0.74"),
]


# -- running one row ---------------------------------------------------------------------------


def run_folders(log_dir: Path, row: Row) -> set[Path]:
    """The run folders of this row's kind: runs, or the jobs of sweeps."""
    pattern = "multiruns/*/*/.hydra/overrides.yaml" if row.seeds else "runs/*/.hydra/overrides.yaml"
    return {path.parents[1] for path in (log_dir / "train").glob(pattern)}


def new_runs(before: set[Path], log_dir: Path, row: Row, arguments: list[str]) -> list[Path]:
    """The run folders (jobs of one sweep) that appeared since `before` with these overrides
    (another run started meanwhile in the same folder is left out)."""
    wanted = {arg for arg in arguments if arg != "-m" and not arg.startswith("seed=")}
    found = []
    for folder in sorted(run_folders(log_dir, row) - before):
        saved = yaml.safe_load((folder / ".hydra" / "overrides.yaml").read_text()) or []
        if wanted <= set(saved) and (folder / "metrics.json").is_file():
            found.append(folder)
    if row.seeds and found:  # the jobs of the newest sweep
        sweep = max(f.parent for f in found)
        found = [f for f in found if f.parent == sweep]
    return found


def run_row(row: Row, args: argparse.Namespace) -> dict | None:
    """Run the row's command; its record, or None if it failed (the reason is printed)."""
    extra = [*([f"threads={args.threads}"] if args.threads else []), *shlex.split(args.args)]
    arguments = row.overrides(args.data, extra)
    command = ["python", "src/train.py", *arguments]
    print(f"\n== {row.key}: {shlex.join(command)}", flush=True)
    env = dict(os.environ, **({"OMP_NUM_THREADS": str(args.threads)} if args.threads else {}))
    before = run_folders(args.log_dir, row)
    start = time.monotonic()
    result = subprocess.run([sys.executable, *command[1:]], cwd=ROOT, env=env, check=False)
    wall = time.monotonic() - start
    if result.returncode != 0:
        print(f"!! {row.key} failed (exit code {result.returncode}); its last record is kept")
        return None
    jobs = new_runs(before, args.log_dir, row, arguments)
    if not jobs or (len(jobs) > 1 and not row.seeds):
        print(f"!! {row.key}: {len(jobs)} new run folders with its metrics.json in {args.log_dir}")
        return None
    metrics = [json.loads((job / "metrics.json").read_text()) for job in jobs]
    return {
        "litlab": describe(metrics, row),
        "epochs": epochs(metrics),
        "command": shlex.join(command),
        "wall_s": round(wall),
        "machine": machine(args.threads),
    }


# -- what a record says ----------------------------------------------------------------------


def describe(metrics: list[dict], row: Row) -> str:
    """The test metric of a run (or the mean over a sweep's seeds), as the table shows it."""
    first = metrics[0]
    if "test/mae" in first:  # regression: MAE, and its spread over folds or seeds
        values = [m["test/mae"] for m in metrics]
        if row.seeds:
            each = ", ".join(f"{v:.2f}" for v in values)
            return f"MAE {statistics.fmean(values):.2f} ± {statistics.stdev(values):.2f} ({each})"
        if "test/mae_std" in first:
            return f"MAE **{first['test/mae']:.2f}** ± {first['test/mae_std']:.2f} over the folds"
        return f"MAE **{first['test/mae']:.2f}**"
    if "test/exact_match" in first:
        return (
            f"bin. acc {first['test/acc']:.3f}, F1 macro {first['test/f1_macro']:.2f}, "
            f"exact match {first['test/exact_match']:.2f}"
        )
    if "test/auroc" in first:
        return f"acc {first['test/acc']:.3f}, AUROC {first['test/auroc']:.3f}"
    return f"acc **{first['test/acc']:.3f}** (F1 macro {first['test/f1_macro']:.3f})"


def epochs(metrics: list[dict]) -> str:
    """`epochs (best epoch)`, the means over folds or jobs."""
    ran = statistics.fmean(m["epochs"] for m in metrics if "epochs" in m)
    best = statistics.fmean(m["best_epoch"] for m in metrics if "best_epoch" in m)
    per_fit = len(metrics) > 1 or "epochs_std" in metrics[0]  # seeds or folds
    return f"{ran:.0f} ({best:.0f})" + (" per fit" if per_fit else "")


def machine(threads: int | None) -> str:
    """CPUs, torch version, threads and today's date."""
    import torch

    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        names = [line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines()
                 if line.startswith("model name")]  # fmt: skip
        cpu = names[0] if names else cpu
    used = (
        f"{threads} thread{'s' if threads != 1 else ''}" if threads else "threads: litlab's default"
    )
    today = datetime.date.today().isoformat()
    return f"{os.cpu_count()} CPUs ({cpu}), torch {torch.__version__}, {used}, {today}"


# -- the page ----------------------------------------------------------------------------------


def table(records: dict[str, dict]) -> str:
    columns = ["experiment", "data", "book", "litlab (test)", "command", "epochs (best)",
               "wall time", "machine, date"]  # fmt: skip
    lines = ["| " + " | ".join(columns) + " |", "|---" * len(columns) + "|"]
    for row in ROWS:
        record = records.get(row.key)
        name = f"`{row.experiment}`" + (f", seeds {SEEDS.replace(',', ', ')}" if row.seeds else "")
        if record is None:
            cells = ["not run", "", "", "", ""]
        else:
            earlier = " (earlier run)" if record.get("earlier") else ""
            cells = [
                record["litlab"],
                f"`{record['command']}`",
                record.get("epochs", ""),
                f"{record['wall_s']} s" if record.get("wall_s") is not None else "",
                record["machine"] + earlier,
            ]
        lines.append("| " + " | ".join([name, row.data, row.book, *cells]) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", required=True, help="the data root (paths.data_dir)")
    parser.add_argument("--only", nargs="*", default=None, help="rows to run (experiment names)")
    parser.add_argument("--threads", type=int, default=None, help="threads= of every run")
    parser.add_argument("--args", default="", help="more overrides for every command")
    parser.add_argument("--log-dir", type=Path, default=ROOT / "logs", help="paths.log_dir")
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "results.md")
    parser.add_argument("--record", type=Path, default=ROOT / "docs" / "results.json")
    args = parser.parse_args(argv)
    if args.log_dir != ROOT / "logs":
        args.args = f"{args.args} paths.log_dir={args.log_dir}".strip()
    known = {row.experiment for row in ROWS}
    unknown = sorted(set(args.only or ()) - known)
    if unknown:
        parser.error(f"unknown rows {unknown}; the rows are {sorted(known)}")
    records = json.loads(args.record.read_text()) if args.record.is_file() else {}
    failed = []
    for row in ROWS:
        if args.only is not None and row.experiment not in args.only:
            continue
        record = run_row(row, args)
        if record is None:
            failed.append(row.key)
            continue
        records[row.key] = record
        args.record.write_text(json.dumps(records, indent=2, ensure_ascii=False) + "\n")
        print(f"== {row.key}: {record['litlab']} in {record['wall_s']} s", flush=True)
    hours = sum(r.get("wall_s") or 0 for r in records.values()) / 3600
    page = TEMPLATE.read_text().replace("{table}", table(records))
    page = page.replace("{hours}", f"{hours:.1f}")
    args.output.write_text(page)
    print(f"\nWrote {args.output}" + (f"; failed: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
