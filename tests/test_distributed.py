"""DDP on the CPU (trainer=ddp_cpu): ranks re-run the Hydra job, metrics are synced."""

import json

import pytest

from litlab.entry import train_command as train
from tests.conftest import SHRINK
from tests.test_sweeps import read_summary


@pytest.mark.slow  # ~30 s: each job starts a second Python process that imports Lightning
def test_ddp_jobs_of_a_sweep_train_once_each_and_test_like_one_process(
    run_cli, compose_cfg, tmp_path
):
    # The whole test split (300 samples, 150 per rank) so both ways test the same samples.
    result = run_cli("hydra.mode=MULTIRUN", "trainer=ddp_cpu", *SHRINK,
                     "trainer.limit_test_batches=1.0", "seed=1,2")  # fmt: skip
    assert result.returncode == 0, result.stderr

    # One sweep folder with one folder per job: the ranks did not re-run the sweep.
    logs = tmp_path / "logs" / "train"
    assert [p.name for p in logs.iterdir()] == ["multiruns"]
    (sweep,) = (logs / "multiruns").iterdir()
    assert sorted(p.name for p in sweep.iterdir() if p.is_dir()) == ["0", "1"]
    assert [r["status"] for r in read_summary(sweep)] == ["completed", "completed"]
    for job, seed in (("0", 1), ("1", 2)):  # rank 1 of each job ran that job's overrides
        rank1 = (sweep / job / "train_rank1.log").read_text()
        assert "GLOBAL_RANK: 1" in rank1 and f"Seed: {seed}" in rank1

    # Rank 0 reports the metrics of all ranks: one process testing the same weights agrees.
    ddp = json.loads((sweep / "0" / "metrics.json").read_text())
    best = sweep / "0" / "checkpoints" / "best.ckpt"
    alone = train(compose_cfg(["train=false", f"ckpt_path={best}", "seed=1"]))
    assert alone["test/acc"] == pytest.approx(ddp["test/acc"], abs=1e-6)
    assert alone["test/loss"] == pytest.approx(ddp["test/loss"], rel=1e-4)
