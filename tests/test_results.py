"""`make results`: tools/results.py runs each row's documented command on a data root, reads the
run's metrics.json and writes the row into the results page, keeping the other rows' figures."""

import datetime
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import torch

from tests.conftest import ROOT

EARLIER = {
    "cifar10_vgg": {
        "litlab": "acc 0.603",
        "epochs": "10 (10)",
        "command": "python src/train.py experiment=cifar10_vgg paths.data_dir=../shared/data",
        "wall_s": 271,
        "machine": "2 CPUs, torch 2.14.1, 2 threads, 2026-11-22",
        "earlier": True,
    }
}


def _row(page: str, name: str) -> list[str]:
    line = next(line for line in page.splitlines() if line.startswith(f"| {name} |"))
    return [cell.strip() for cell in line.strip("|").split(" | ")]


def test_results_runs_a_row_and_writes_its_line_of_the_table(tmp_path: Path, data_root: Path):
    record, page = tmp_path / "results.json", tmp_path / "results.md"
    record.write_text(json.dumps(EARLIER))
    shrink = f"trainer.max_epochs=3 paths.cache_dir={tmp_path / 'cache'}"
    command = [sys.executable, "tools/results.py", "--data", str(data_root), "--only",
               "boston_mlp", "--threads", "1", "--args", shrink, "--log-dir",
               str(tmp_path / "logs"), "--output", str(page), "--record", str(record)]  # fmt: skip
    result = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=600, check=False,
        env={**os.environ, "HYDRA_FULL_ERROR": "0"},
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]

    (run,) = (tmp_path / "logs" / "train" / "runs").iterdir()  # the one-run row's run
    mae = json.loads((run / "metrics.json").read_text())["test/mae"]
    text = page.read_text()
    _, _, book, litlab, shown, epochs, wall, machine = _row(text, "`boston_mlp`")
    assert book == "MAE 2.26 (one run, test)"
    assert litlab == f"MAE **{mae:.2f}**"
    assert shown == (
        f"`python src/train.py experiment=boston_mlp paths.data_dir={data_root} threads=1 "
        f"{shrink} paths.log_dir={tmp_path / 'logs'}`"
    )
    assert epochs.endswith(")") and wall.endswith(" s")
    assert f"{os.cpu_count()} CPUs" in machine and f"torch {torch.__version__}" in machine
    assert "1 thread," in machine and datetime.date.today().isoformat() in machine

    assert _row(text, "`cifar10_vgg`")[3:] == [
        "acc 0.603", f"`{EARLIER['cifar10_vgg']['command']}`", "10 (10)", "271 s",
        "2 CPUs, torch 2.14.1, 2 threads, 2026-11-22 (earlier run)",
    ]  # fmt: skip
    assert _row(text, "`boston_kfold`")[3] == "not run"
    assert "{table}" not in text and "{hours}" not in text
    seeds = _row(text, "`boston_mlp`, seeds 0, 1, 2, 3, 4")[3]  # the row's sweep over seeds
    assert re.fullmatch(r"MAE \d\.\d\d ± \d\.\d\d \((\d\.\d\d, ){4}\d\.\d\d\)", seeds)
    assert set(json.loads(record.read_text())) == {"cifar10_vgg", "boston_mlp", "boston_mlp seeds"}


def test_make_results_passes_the_rows_threads_and_overrides():
    dry = subprocess.run(
        ["make", "-n", "results", "DATA=../shared/data", "ONLY=boston_mlp boston_kfold",
         "THREADS=1", "ARGS=trainer=gpu"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert (
        'tools/results.py --data "../shared/data" --only boston_mlp boston_kfold --threads 1 '
        '--args "trainer=gpu"'
    ) in dry.stdout
    missing = subprocess.run(
        ["make", "results"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert missing.returncode != 0 and "make results needs DATA=<data root>" in missing.stdout


def test_results_refuses_an_unknown_row():
    result = subprocess.run(
        [sys.executable, "tools/results.py", "--data", "x", "--only", "boston"],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 2 and "unknown rows ['boston']" in result.stderr
