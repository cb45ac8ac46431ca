"""Runs that cannot be turned against their user, and never lose, mix or misreport results.

Security: a config read back from a checkpoint, a weights file or a run folder is data. Edited
files that name code-running targets, or that hide an environment lookup in an interpolation,
are refused through every entry point that reads them; a marker file that the code would write
never appears, and the secret reaches no file and no output.

Integrity: a run holds its folder; a moved or copied run resumes with its best so far and
overwrites its own checkpoints; a resume without the run's config stops; a full disk or a kill
during a checkpoint write leaves the last good checkpoint whole.
"""

import csv
import json
import logging
import os
import shutil
from pathlib import Path

import pytest
import torch
import yaml
from omegaconf import OmegaConf

from litlab.entry import run_entry
from litlab.entry import train_command as train
from litlab.errors import CheckpointError, ConfigError
from litlab.evaluate import evaluate
from litlab.predict import predict
from litlab.rundir import hold
from litlab.weights import load_model
from tests.conftest import SHRINK

SECRET = "s3cr3t-0f-the-user-d0-not-leak"


# -- security: saved configs are data ---------------------------------------------------------


class TouchOnUnpickle:
    """Unpickled, it runs `touch <path>`: a file that torch.load(weights_only=False) obeys."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self):
        return os.system, (f"touch {self.path}",)


def code_targets(marker: Path) -> dict[str, dict]:
    """Nodes that would write `marker` if anything built them."""
    command = f"touch {marker}"
    hub = marker.parent / "hub"  # a local hubconf whose import writes the marker
    hub.mkdir(exist_ok=True)
    (hub / "hubconf.py").write_text(f"import os\nos.system({command!r})\ndef net(): pass\n")
    pickled = marker.parent / "code.pkl"
    torch.save(TouchOnUnpickle(marker), pickled)
    return {
        "hub load": {"_target_": "torch.hub.load", "_args_": [str(hub), "net"], "source": "local"},
        "unsafe torch.load": {
            "_target_": "torch.load",
            "_args_": [str(pickled)],
            "weights_only": False,
        },
        "load_inline": {
            "_target_": "torch.utils.cpp_extension.load_inline",
            "name": "touch",
            "cpp_sources": [f'int x = system("{command}");'],
        },
        "os.system": {"_target_": "os.system", "_args_": [command]},
        "attribute path": {"_target_": "litlab.entry.os.system", "_args_": [command]},
        "exec": {"_target_": "builtins.exec", "_args_": [f"open({str(marker)!r}, 'w')"]},
        "fx source": {
            "_target_": "torch.fx.graph_module._exec_with_source",
            "_args_": [f"import os; os.system({command!r})", {}],
        },
        "subprocess": {"_target_": "subprocess.run", "_args_": [["touch", str(marker)]]},
    }


EDITS = ["os.system", "attribute path", "exec", "fx source", "subprocess", "hub load",
         "unsafe torch.load", "load_inline"]  # fmt: skip


@pytest.mark.parametrize("name", ["hub load", "unsafe torch.load"])  # (Hydra 1.3.8 blocks exec)
def test_the_payloads_run_code_when_anything_builds_them(tmp_path, name):
    from hydra.utils import instantiate

    marker = tmp_path / "MARKER"
    instantiate(code_targets(marker)[name])  # what a prefix-trusting loader did
    assert marker.exists()  # so a test that finds no marker proves the refusal


def edited_checkpoint(source: Path, target: Path, edit) -> Path:
    checkpoint = torch.load(source, weights_only=True)
    edit(checkpoint["hyper_parameters"])
    torch.save(checkpoint, target)
    return target


@pytest.mark.parametrize("name", EDITS)
@pytest.mark.parametrize("where", ["model", "optimizer", "data"])
def test_an_edited_checkpoint_runs_no_code_through_eval_and_predict(
    compose_cfg, trained, tmp_path, name, where
):
    marker = tmp_path / "MARKER"
    node = code_targets(marker)[name]
    ckpt = edited_checkpoint(
        trained / "checkpoints" / "best.ckpt", tmp_path / "edited.ckpt",
        lambda config: config.__setitem__(where, node),
    )  # fmt: skip
    for command, config_name in ((evaluate, "eval"), (predict, "predict")):
        cfg = compose_cfg([f"ckpt_path={ckpt}", f"paths.output_dir={tmp_path / config_name}"],
                          config_name)  # fmt: skip
        with pytest.raises(
            CheckpointError, match=f"names the class or function '{node['_target_']}'"
        ):
            command(cfg)
    assert not marker.exists()


def test_a_shared_run_folder_runs_no_code_through_eval_run_dir(compose_cfg, trained, tmp_path):
    marker = tmp_path / "MARKER"
    run = tmp_path / "shared"
    shutil.copytree(trained, run)
    best = run / "checkpoints" / "best.ckpt"
    edited_checkpoint(
        best, best, lambda config: config.__setitem__("model", code_targets(marker)["exec"])
    )
    cfg = compose_cfg([f"run_dir={run}", f"paths.output_dir={tmp_path / 'eval'}"], "eval")
    with pytest.raises(CheckpointError, match=r"'builtins\.exec', which this project does not"):
        evaluate(cfg)
    assert not marker.exists()


@pytest.mark.parametrize("name", EDITS)
def test_resuming_an_edited_run_folder_runs_no_code(compose_job, trained, tmp_path, name):
    marker = tmp_path / "MARKER"
    run = tmp_path / "shared"
    shutil.copytree(trained, run)
    config = yaml.safe_load((run / ".hydra" / "config.yaml").read_text())
    config["callbacks"]["innocent"] = code_targets(marker)[name]
    (run / ".hydra" / "config.yaml").write_text(yaml.safe_dump(config))
    cfg, job = compose_job([f"resume={run}", f"paths.output_dir={run}"])
    with pytest.raises(CheckpointError, match="which this project does not declare"):
        train(cfg, job)
    assert not marker.exists()


def test_a_weights_file_naming_code_is_refused(trained, tmp_path):
    marker = tmp_path / "MARKER"
    content = torch.load(trained / "checkpoints" / "best_weights.pt", weights_only=True)
    content["model"] = code_targets(marker)["subprocess"]
    torch.save(content, tmp_path / "weights.pt")
    with pytest.raises(CheckpointError, match=r"'subprocess\.run', which this project does not"):
        load_model(tmp_path / "weights.pt")
    assert not marker.exists()


@pytest.fixture
def secret(monkeypatch: pytest.MonkeyPatch) -> str:
    """A secret in the environment that no saved config may read."""
    monkeypatch.setenv("LITLAB_TEST_SECRET", SECRET)
    return SECRET


@pytest.mark.parametrize("entry", ["eval ckpt_path", "eval run_dir", "predict", "resume"])
def test_a_secret_interpolation_in_a_saved_config_is_never_resolved(  # noqa: PLR0917
    compose_job, trained, tmp_path, secret, caplog, entry
):
    caplog.set_level(logging.DEBUG)
    run = tmp_path / "shared"
    shutil.copytree(trained, run)
    lookup = "${oc.env:LITLAB_TEST_SECRET}"
    if entry == "resume":
        config = yaml.safe_load((run / ".hydra" / "config.yaml").read_text())
        config["data"]["data_dir"] = lookup
        (run / ".hydra" / "config.yaml").write_text(yaml.safe_dump(config))
        overrides, config_name = [f"resume={run}", f"paths.output_dir={run}"], "train"
    else:

        def hide(config: dict) -> None:
            config["data"]["data_dir"] = lookup

        best = run / "checkpoints" / "best.ckpt"
        ckpt = edited_checkpoint(
            best, best if entry == "eval run_dir" else run / "edited.ckpt", hide
        )
        source = f"run_dir={run}" if entry == "eval run_dir" else f"ckpt_path={ckpt}"
        config_name = "predict" if entry == "predict" else "eval"
        overrides = [source, f"paths.output_dir={tmp_path / 'e'}"]
    cfg, job = compose_job(overrides, config_name)
    command = {"train": train, "eval": evaluate, "predict": predict}[config_name]
    with pytest.raises(CheckpointError, match=r"calls the resolver oc\.env"):
        command(cfg, job)
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert all(secret.encode() not in p.read_bytes() for p in written)
    assert secret not in caplog.text


def test_a_target_in_the_trust_file_is_rebuilt_and_only_that(trained, tmp_path, trust_file):
    content = torch.load(trained / "checkpoints" / "best_weights.pt", weights_only=True)
    content["model"]["_target_"] = "tests.tiny.TrustedMLP"
    torch.save(content, tmp_path / "weights.pt")
    with pytest.raises(CheckpointError, match=r"tests\.tiny\.TrustedMLP"):
        load_model(tmp_path / "weights.pt")
    trust_file.write_text("# my own nets\ntests.tiny.TrustedMLP\n")
    assert type(load_model(tmp_path / "weights.pt").net).__name__ == "TrustedMLP"


# -- integrity: one run per folder ----------------------------------------------------------------


def test_a_second_run_in_a_held_folder_is_refused_and_changes_nothing(
    compose_cfg, tmp_path, caplog
):
    cfg = compose_cfg([*SHRINK])
    run = Path(cfg.paths.output_dir)
    run.mkdir(parents=True)
    (run / "metrics.json").write_text("{}\n")
    with hold(run), pytest.raises(SystemExit) as exit_info:  # as if another process ran there
        run_entry(train, cfg)
    assert exit_info.value.code == 1
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1
    assert f"{run} is in use by another run (process {os.getpid()})" in errors[0]
    assert f"resume={run}" in errors[0]
    assert sorted(p.name for p in run.iterdir()) == ["metrics.json"]


def test_the_lock_of_a_killed_run_holds_nothing(tmp_path):
    (tmp_path / ".lock").write_text("12345\n")  # left by a process killed with -9
    with hold(tmp_path):
        assert (tmp_path / ".lock").read_text().strip().isdigit()
    assert not (tmp_path / ".lock").exists()


def test_a_second_command_in_the_same_run_folder_is_refused(run_cli, tmp_path):
    run = tmp_path / "runs" / "fixed"
    first = run_cli(*SHRINK, f"hydra.run.dir={run}")
    assert first.returncode == 0, first.stderr
    before = {p: p.read_bytes() for p in run.rglob("*") if p.is_file() and p.suffix != ".log"}
    second = run_cli(*SHRINK, "seed=1", f"hydra.run.dir={run}")
    output = second.stdout + second.stderr
    assert second.returncode == 1 and "Traceback" not in output
    assert f"{run} already holds a run" in output and f"resume={run}" in output
    after = {p: p.read_bytes() for p in run.rglob("*") if p in before}
    assert after == before  # its config, checkpoints and metrics are untouched


def test_resuming_a_run_without_its_config_stops_and_writes_none(entry_job, trained, tmp_path):
    run = tmp_path / "copy"
    shutil.copytree(trained, run)
    shutil.rmtree(run / ".hydra")
    with pytest.raises(ConfigError, match=r"lacks \.hydra/config\.yaml"):
        entry_job([f"resume={run}", f"paths.output_dir={run}"])
    assert not (run / ".hydra" / "config.yaml").exists()


@pytest.fixture
def entry_job(compose_job):
    def _run(overrides, config_name="train"):
        return train(*compose_job(overrides, config_name))

    return _run


# -- integrity: moved runs, full disks, kills --------------------------------------------------


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open() as file:
        return [row for row in csv.DictReader(file) if row["val/loss"]]


def test_a_copied_run_resumes_with_its_best_so_far_in_its_own_files(
    compose_job, compose_cfg, data_root, tmp_path
):
    first = tmp_path / "first"
    cfg, job = compose_job([*SHRINK, "trainer.max_epochs=2", f"paths.output_dir={first}"])
    train(cfg, job)
    (first / ".hydra").mkdir()
    OmegaConf.save(cfg, first / ".hydra" / "config.yaml")  # as Hydra does for a command
    copy = tmp_path / "moved"
    shutil.copytree(first, copy)
    for epochs in (4, 5):  # resumed twice: each continues from the copy's own last.ckpt
        train(*compose_job([f"resume={copy}", f"paths.output_dir={copy}",
                            f"trainer.max_epochs={epochs}"]))  # fmt: skip
        names = sorted(p.name for p in (copy / "checkpoints").iterdir())
        assert names == ["best.ckpt", "best_weights.pt", "last.ckpt"]
        rows = read_rows(copy / "metrics.csv")
        assert [row["epoch"] for row in rows] == [str(e) for e in range(epochs)]
        metrics = json.loads((copy / "metrics.json").read_text())
        losses = [float(row["val/loss"]) for row in rows]
        assert metrics["val/loss_best"] == pytest.approx(min(losses))  # the pre-copy epochs too
        best = torch.load(copy / "checkpoints" / "best.ckpt", weights_only=True)
        assert best["epoch"] + 1 == metrics["best_epoch"] == losses.index(min(losses)) + 1
    assert json.loads((first / "metrics.json").read_text())["epochs"] == 2  # the original stays
    # eval of the copy tests the checkpoint its last resume tested, not a stale one
    eval_cfg = compose_cfg([f"run_dir={copy}", f"paths.output_dir={tmp_path / 'eval'}",
                            "trainer.limit_test_batches=2"], config_name="eval")  # fmt: skip
    assert evaluate(eval_cfg)["test/loss"] == pytest.approx(metrics["test/loss"], rel=1e-5)


def test_a_full_disk_during_a_checkpoint_is_one_message_and_keeps_the_last_good_one(
    compose_cfg, tmp_path, monkeypatch, caplog
):
    cfg = compose_cfg([*SHRINK, "trainer.max_epochs=3"])
    saves, real_save = [], torch.save

    def save(obj, file, *args, **kwargs):
        if str(getattr(file, "name", file)).endswith(".ckpt.partial"):
            saves.append(file)
            if len(saves) == 3:  # epoch 0's best and last are written, epoch 1's first is not
                raise RuntimeError("PytorchStreamWriter failed writing file data/0: file write "
                                   "failed")  # fmt: skip
        return real_save(obj, file, *args, **kwargs)

    monkeypatch.setattr(torch, "save", save)
    with pytest.raises(SystemExit) as exit_info:
        run_entry(train, cfg)
    assert exit_info.value.code == 1
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1 and "could not write the checkpoint" in errors[0]
    assert "free space" in errors[0]
    folder = Path(cfg.paths.output_dir) / "checkpoints"
    assert not list(folder.glob(".*.partial"))
    kept = torch.load(folder / "best.ckpt", weights_only=True)  # whole and loadable
    assert kept["epoch"] == 0


def test_a_full_disk_in_the_cache_folder_only_costs_the_cache(compose_cfg, monkeypatch, caplog):
    cfg = compose_cfg([*SHRINK, "trainer.max_epochs=1"])
    real_save = torch.save

    def save(obj, file, *args, **kwargs):
        path = Path(file if isinstance(file, str | Path) else file.name)
        if Path(cfg.paths.cache_dir) in path.parents:
            raise RuntimeError("PytorchStreamWriter failed writing file data/0: file write failed")
        return real_save(obj, file, *args, **kwargs)

    monkeypatch.setattr(torch, "save", save)
    assert "test/acc" in train(cfg)
    assert "continuing without it" in caplog.text
    assert not list(Path(cfg.paths.cache_dir).glob(".*.partial"))


def test_a_checkpoint_is_written_beside_its_target_and_renamed(tmp_path, monkeypatch):
    import os

    from litlab.plugins import AtomicCheckpointIO

    renames = []
    real = os.replace
    monkeypatch.setattr(
        os, "replace", lambda a, b: (renames.append((Path(a), Path(b))), real(a, b))
    )
    target = tmp_path / "checkpoints" / "best.ckpt"
    AtomicCheckpointIO().save_checkpoint({"weights": torch.ones(3)}, target)
    ((source, destination),) = renames
    assert source.parent == destination.parent == target.parent  # one file system: atomic
    assert torch.load(target, weights_only=True)["weights"].sum() == 3


def test_a_killed_writes_leftover_is_removed_when_the_folder_is_held_again(tmp_path):
    (tmp_path / "checkpoints").mkdir()
    leftover = tmp_path / "checkpoints" / ".last.ckpt.partial"
    leftover.write_bytes(b"half a checkpoint")
    with hold(tmp_path):
        assert not leftover.exists()
