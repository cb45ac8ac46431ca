"""Bad input, end to end through the entry point: exit code 1 and one message that names the
file or option, what is wrong and the fix; the traceback only in the run log."""

import hashlib
import logging
import re
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from omegaconf import DictConfig

from litlab.api import compose_config
from litlab.entry import run_entry
from litlab.entry import train_command as train
from litlab.errors import DataError
from litlab.evaluate import evaluate
from tests.conftest import CONF_DIR, TEST_OVERRIDES
from tests.synthetic import (
    BOSTON_HEADER,
    write_apparel,
    write_boston,
    write_cifar10,
    write_iceberg,
    write_mnist,
)

Setup = Callable[[Path], list[str]]  # writes broken files under a data root; gives overrides


def fail(cfg: DictConfig, job: Callable, caplog: pytest.LogCaptureFixture) -> str:
    """Run `job` through `run_entry`; assert exit code 1 and one error record; return it."""
    with pytest.raises(SystemExit) as exit_info:
        run_entry(job, cfg)
    assert exit_info.value.code == 1
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1, [r.getMessage() for r in errors]
    assert "Traceback" not in errors[0].getMessage()
    # The trace is kept, below the console's level: Hydra's file handler puts it in the run log.
    assert any("Traceback" in r.getMessage() for r in caplog.records if r.levelno == logging.DEBUG)
    return errors[0].getMessage()


@pytest.fixture
def entry(tmp_path, data_root, caplog) -> Callable[..., str]:
    """Compose a run (outputs in tmp_path, data in `data_root` unless overridden) and fail it."""
    caplog.set_level(logging.DEBUG, logger="litlab")

    def _run(overrides: list[str], config_name: str = "train") -> str:
        cfg = compose_config(
            CONF_DIR,
            [
                f"paths.data_dir={data_root}",
                f"paths.cache_dir={tmp_path / 'cache'}",
                f"paths.output_dir={tmp_path / 'run'}",
                f"paths.log_dir={tmp_path / 'logs'}",
                "data.download=false",
                *TEST_OVERRIDES,
                *overrides,
            ],
            config_name,
        )
        return fail(cfg, train if config_name == "train" else evaluate, caplog)

    return _run


def _mnist(root: Path, **kwargs) -> Path:
    return write_mnist(root, train=60, test=20, **kwargs)


def _cut(path: Path, keep: float) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])


def no_data_root(root: Path) -> list[str]:
    return [f"paths.data_dir={root / 'nowhere'}"]


def idx_missing(root: Path) -> list[str]:
    (_mnist(root) / "t10k-labels-idx1-ubyte").unlink()
    return []


def idx_truncated(root: Path) -> list[str]:
    _cut(_mnist(root) / "train-images-idx3-ubyte", 0.6)
    return []


def idx_gz_corrupt(root: Path) -> list[str]:
    path = _mnist(root, gzip=True) / "train-images-idx3-ubyte.gz"
    data = bytearray(path.read_bytes())
    data[100:400] = bytes(300)  # the deflate stream, past the gzip header
    path.write_bytes(bytes(data))  # the gzip header stays valid: decompressing finds the damage
    return []


def pickle_missing(root: Path) -> list[str]:
    (write_cifar10(root, batches=(10,) * 5, test=10) / "test_batch").unlink()
    return ["data=cifar10"]


def csv_missing(root: Path) -> list[str]:
    write_iceberg(root, records=10)  # the data root exists, the boston folder does not
    return ["data=boston"]


def json_missing(root: Path) -> list[str]:
    write_boston(root, rows=40)
    return ["data=iceberg"]


def images_missing(root: Path) -> list[str]:
    write_boston(root, rows=40)
    return ["data=apparel"]


def pickle_truncated(root: Path) -> list[str]:
    _cut(write_cifar10(root, batches=(10,) * 5, test=10) / "data_batch_3", 0.5)
    return ["data=cifar10"]


def csv_corrupt(root: Path) -> list[str]:
    path = write_boston(root, rows=40)
    path.write_text(path.read_text() + "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16\n")
    return ["data=boston"]


def csv_truncated(root: Path) -> list[str]:
    path = write_boston(root, rows=40)
    text = path.read_text()
    path.write_text(text[: text.rindex("\n", 0, -1) + 20])  # the last row cut short
    return ["data=boston"]


def csv_empty(root: Path) -> list[str]:
    write_boston(root, rows=40).write_text(BOSTON_HEADER + "\n")
    return ["data=boston"]


def csv_target_column(root: Path) -> list[str]:
    write_boston(root, rows=40)
    return ["data=boston", "data.targets=[PRICE]"]


def _apparel_csv(root: Path) -> Path:
    write_apparel(root, per_folder=2)
    return root / "apparel" / "csv_data" / "nocolorinfo" / "train.csv"


def csv_label_columns(root: Path) -> list[str]:
    path = _apparel_csv(root)
    path.write_text(path.read_text().replace(",red,", ",crimson,", 1))
    return ["data=apparel", "data.num_workers=0"]


def csv_image_paths(root: Path) -> list[str]:
    path = _apparel_csv(root)
    lines = path.read_text().splitlines()
    lines[1] = lines[1].replace(".jpg", "_gone.jpg", 1)
    path.write_text("\n".join(lines) + "\n")
    return ["data=apparel", "data.num_workers=0"]


def csv_not_text(root: Path) -> list[str]:
    _apparel_csv(root).write_bytes(b'"unterminated\n' + bytes(range(128, 256)))
    return ["data=apparel", "data.num_workers=0"]


def image_corrupt(root: Path) -> list[str]:
    write_apparel(root, per_folder=2)
    _cut(next((root / "apparel" / "clothes_dataset" / "red_pants").glob("*.jpg")), 0.3)
    return ["data=apparel", "data.num_workers=0"]


def json_truncated(root: Path) -> list[str]:
    _cut(write_iceberg(root, records=10), 0.5)
    return ["data=iceberg"]


def split_empty(root: Path) -> list[str]:
    write_boston(root, rows=10)
    return ["data=boston", "data.test_set=seeded", "data.val_split=0.01"]


def batch_too_large(root: Path) -> list[str]:
    _mnist(root)
    return ["data.batch_size=1000"]


def schedule_too_short(root: Path) -> list[str]:
    _mnist(root)
    return ["scheduler=onecycle", "data.batch_size=12", "trainer.max_epochs=1"]  # 4 steps


def cannot_work(root: Path) -> list[str]:
    write_boston(root, rows=40)
    return ["data=boston", "model=cnn"]


def seed_not_a_number(root: Path) -> list[str]:
    _mnist(root)
    return ["seed=x"]


def learning_rate_negative(root: Path) -> list[str]:
    _mnist(root)
    return ["optimizer.lr=-1", "data.batch_size=16"]


def _with(*overrides: str, data: str = "mnist") -> Setup:
    """A setup writing small files of `data` and giving `overrides`."""

    def setup(root: Path) -> list[str]:
        writers = {"mnist": _mnist, "boston": write_boston,
                   "apparel": lambda r: write_apparel(r, per_folder=2)}  # fmt: skip
        writers[data](root)
        return [f"data={data}", *overrides]

    return setup


def csv_infinite(root: Path) -> list[str]:
    path = write_boston(root, rows=40)
    lines = path.read_text().splitlines()
    lines[3] = "inf," + lines[3].split(",", 1)[1]
    path.write_text("\n".join(lines) + "\n")
    return ["data=boston"]


def image_cell_empty(root: Path) -> list[str]:
    folder = write_apparel(root, per_folder=2)
    csv = folder / "csv_data" / "nocolorinfo" / "train.csv"
    lines = csv.read_text().splitlines()
    lines[2] = "," + lines[2].split(",", 1)[1]
    csv.write_text("\n".join(lines) + "\n")
    return ["data=apparel"]


def decompression_bomb(root: Path) -> list[str]:
    from PIL import Image

    folder = write_apparel(root, per_folder=2, csvs=False)
    bomb = next((folder / "clothes_dataset").glob("*/*.jpg"))
    # A tiny file that claims more pixels than PIL agrees to decode (2 x its 89 M limit).
    Image.new("1", (20000, 10000)).save(bomb.with_suffix(".png"))
    bomb.unlink()
    return ["data=apparel", "data.split_csvs=null"]


def label_outside_classes(root: Path) -> list[str]:
    _mnist(root)
    return ["data.class_names=[a,b,c]", "data.batch_size=16"]


def other_datasets_file(root: Path) -> list[str]:
    """MNIST/raw holding Fashion-MNIST's file (its MD5 made a published one for the test)."""
    from litlab.data import mnist

    raw = _mnist(root)
    fashion = write_mnist(root, "FashionMNIST", train=60, test=20, seed=9)
    (raw / "train-images-idx3-ubyte").write_bytes(
        (fashion / "train-images-idx3-ubyte").read_bytes()
    )
    digest = hashlib.md5((raw / "train-images-idx3-ubyte").read_bytes()).hexdigest()
    mnist.PUBLISHED[digest] = ("FashionMNIST", "train-images-idx3-ubyte")
    return []


CASES: dict[str, tuple[Setup, str]] = {
    "data root missing": (
        no_data_root,
        r"MNIST data not found: .*nowhere/MNIST/raw does not exist, nor does the data root "
        r".*nowhere \(paths\.data_dir\).*with paths\.data_dir=<folder>",
    ),
    "IDX file missing": (
        idx_missing, r"raw lacks t10k-labels-idx1-ubyte\[\.gz\].*copy the four IDX files"
    ),
    "IDX file truncated": (
        idx_truncated,
        r"train-images-idx3-ubyte: holds \d+ bytes but its header \[60, 28, 28\] needs \d+: the "
        r"file is truncated or corrupt; download it again",
    ),
    "IDX gzip corrupt": (
        idx_gz_corrupt,
        r"train-images-idx3-ubyte\.gz: cannot read this IDX file \(.+\); download it again",
    ),
    "pickle batch missing": (
        pickle_missing, r"CIFAR-10 data not found: .*cifar-10-batches-py lacks test_batch\..*unpack"
    ),
    "CSV missing": (
        csv_missing,
        r"Boston housing data not found: .*boston does not exist\.\nExpected files: "
        r"boston_housing\.csv\..*Place the CSV",
    ),
    "JSON missing": (
        json_missing,
        r"iceberg data not found: .*iceberg does not exist\.\nExpected files: train\.json\..*"
        r"Kaggle",
    ),
    "image folder missing": (
        images_missing,
        r"apparel data not found: .*apparel does not exist\.\nExpected files: "
        r"clothes_dataset/<color>_<item>/\*\.jpg\..*Roadbook_DeepLearning",
    ),
    "pickle batch truncated": (
        pickle_truncated,
        r"data_batch_3: cannot read this CIFAR-10 batch \(.+\); download the dataset again",
    ),
    "CSV corrupt": (
        csv_corrupt,
        r"boston_housing\.csv: cannot read this CSV \(.*Expected 14 fields in line 42, saw 16\)\. "
        r"It must be comma-separated text with a header row .*fix that line or place a good copy",
    ),
    "CSV truncated": (
        csv_truncated,
        r"boston_housing\.csv: 1 rows \(first: row \d+ of the file\) have a blank, non-numeric "
        r"or infinite value in .*MEDV; fix or remove",
    ),
    "CSV without rows": (
        csv_empty, r"boston_housing\.csv hold no samples; replace them with full copies"
    ),
    "CSV target column absent": (
        csv_target_column,
        r"boston_housing\.csv: no column PRICE; the header has CRIM, .*Fix data\.targets",
    ),
    "CSV label columns do not match": (
        csv_label_columns,
        r"train\.csv: no column red; the header has image, black, .*crimson.* The label columns "
        r"are data\.class_names",
    ),
    "CSV image paths do not match": (
        csv_image_paths,
        r"train\.csv lists 1 images that do not exist, e\.g\. .*_gone\.jpg; restore them or use "
        r"CSVs that match the image folder",
    ),
    "CSV not text": (
        csv_not_text,
        r"train\.csv: cannot read this CSV \(.+\)\. It must be comma-separated "
        r"text with a header row .*restore it",
    ),
    "image corrupt": (
        image_corrupt,
        r"red_pants/redpants00\d\.jpg: cannot read this image \(.+\); replace or remove it",
    ),
    "JSON truncated": (
        json_truncated,
        r"train\.json: cannot read this JSON file \(.+\); it is truncated or not JSON: place a "
        r"complete copy",
    ),
    "split leaves a stage empty": (
        split_empty,
        r"Boston housing: the val split is empty \(8 training samples\); use more data or change "
        r"data\.val_split",
    ),
    "batch larger than the data": (
        batch_too_large,
        r"data\.batch_size=1000 is larger than the 48 training samples of MNIST; lower "
        r"data\.batch_size",
    ),
    "schedule too short for its warm-up": (
        schedule_too_short,
        r"scheduler=onecycle: scheduler\.pct_start=0\.25 of this fit's 4 optimizer steps is a "
        r"warm-up of one step.*train for more steps \(trainer\.max_epochs\)",
    ),
    "combination that cannot work": (
        cannot_work, r"model=cnn needs image inputs .*use model=mlp for tabular data"
    ),
    "seed not a number": (seed_not_a_number, r"seed='x' is not a whole number; give one"),
    "learning rate negative": (
        learning_rate_negative,
        r"optimizer: Invalid learning rate: -1(\.0)?; fix that optimizer\.\* value",
    ),
    "batch size a fraction": (
        _with("data.batch_size=1.5"),
        r"^data\.batch_size=1\.5: litlab\.data\.mnist\.MNISTDataModule takes a whole number",
    ),
    "batch size a word": (_with("data.batch_size=abc"), r"^data\.batch_size=abc: .*a whole number"),
    "learning rate a word": (_with("optimizer.lr=abc"), r"^optimizer\.lr=abc: .*takes a number"),
    "epochs a word": (
        _with("trainer.max_epochs=abc"), r"^trainer\.max_epochs=abc: .*a whole number or null"
    ),
    "scaling unknown": (
        _with("data.scaling=zscore"), r"data\.scaling=zscore: .*one of minmax, standard, robust"
    ),
    "schedule option without a schedule": (
        _with("+scheduler.pct_start=1.5"),
        r"scheduler\.pct_start set options of scheduler, but no scheduler is chosen .*"
        r"scheduler=<option>",
    ),
    "one-cycle warm-up past the end": (
        _with("scheduler=onecycle", "scheduler.pct_start=1.5", "data.batch_size=16"),
        r"scheduler\.pct_start=1\.5 must be a fraction between 0 and 1",
    ),
    "schedule over an endless fit": (
        _with("scheduler=cosine", "trainer.max_epochs=-1", "data.batch_size=16"),
        r"scheduler=cosine plans the learning rate over the whole fit, which has no end .*"
        r"give trainer\.max_epochs",
    ),
    "early stopping on a metric never logged": (
        _with("callbacks.early_stopping.monitor=val/accuracy"),
        r"callbacks\.early_stopping\.monitor=val/accuracy is not a metric this run logs; it logs "
        r".*val/acc, val/acc_best",
    ),
    "dropout beyond 1": (
        _with("model.dropout=2"), r"model\.dropout=2(\.0)? must be a fraction in \[0, 1\)"
    ),
    "unknown option of a model": (
        _with("+model.depth=3"), r"model\.depth is not an option of litlab\.nets\.mlp\.MLP"
    ),
    "more folds than samples": (
        _with("cv.folds=500", data="boston"),
        r"cv\.folds=500 folds cannot be cut from the \d+ training samples",
    ),
    "infinite value in a CSV": (csv_infinite, r"row 4 of the file\) have a blank, non-numeric or "
                                              r"infinite value in CRIM"),
    "image cell empty": (
        image_cell_empty, r"train\.csv: 1 rows \(first: row 3 of the file\) have no image path"
    ),
    "image too large to decode": (
        decompression_bomb, r"\.png: cannot read this image \(Image size .* could be decompression"
    ),
    "label outside the classes": (
        label_outside_classes,
        r"MNIST \(.*MNIST/raw\): labels go up to 9 but data\.class_names has 3 names",
    ),
    "another dataset's file": (
        other_datasets_file,
        r"train-images-idx3-ubyte is the published FashionMNIST/raw/train-images-idx3-ubyte, "
        r"not MNIST's",
    ),
}  # fmt: skip


@pytest.mark.parametrize(("setup", "message"), CASES.values(), ids=list(CASES))
def test_bad_data_and_config_are_one_message(entry, tmp_path, setup, message):
    root = tmp_path / "data"
    logged = entry([f"paths.data_dir={root}", *setup(root)])
    assert re.search(message, logged, re.DOTALL), logged
    assert not (tmp_path / "run" / "checkpoints").exists()


# -- checkpoints and run directories --------------------------------------------------------


def _garbage(tmp: Path, run: Path) -> list[str]:
    (tmp / "garbage.ckpt").write_bytes(b"not a checkpoint" * 64)
    return [f"ckpt_path={tmp / 'garbage.ckpt'}"]


def _truncated(tmp: Path, run: Path) -> list[str]:
    shutil.copy(run / "checkpoints" / "last.ckpt", tmp / "cut.ckpt")
    _cut(tmp / "cut.ckpt", 0.5)
    return [f"ckpt_path={tmp / 'cut.ckpt'}"]


def _zip(tmp: Path, run: Path) -> list[str]:
    with zipfile.ZipFile(tmp / "notes.zip", "w") as archive:  # a zip, as checkpoints are
        archive.writestr("notes/readme.txt", "not a checkpoint")
    return [f"ckpt_path={tmp / 'notes.zip'}"]


CKPT_CASES: dict[str, tuple[Callable[[Path, Path], list[str]], str, str]] = {
    "checkpoint corrupt": (
        _garbage, "train",
        r"garbage\.ckpt cannot be read as a checkpoint: it holds something other than tensors "
        r"and plain data .* use another checkpoint of the run",
    ),
    "checkpoint truncated": (
        _truncated, "train",
        r"cut\.ckpt cannot be read as a checkpoint: it is not a file torch\.save wrote .*It may "
        r"be truncated",
    ),
    "a zip that is not a checkpoint": (
        _zip, "eval",
        r"notes\.zip cannot be read as a checkpoint: .*use another checkpoint of the run",
    ),
    "evaluated on data of another kind": (
        lambda tmp, run: [f"run_dir={run}", "data=boston"], "eval",
        r"best\.ckpt was trained on inputs of shape \[1, 28, 28\] with 10 classification "
        r"targets, but the data given now has inputs \[13\].* A model can only be evaluated on "
        r"data like its own",
    ),
    "checkpoint missing": (
        lambda tmp, run: [f"ckpt_path={run / 'checkpoints' / 'gone.ckpt'}"], "train",
        r"No checkpoint at .*gone\.ckpt \(it has best\.ckpt, last\.ckpt\); check the path",
    ),
    "checkpoint of another net": (
        lambda tmp, run: [f"ckpt_path={run / 'checkpoints' / 'last.ckpt'}", "model=cnn"], "train",
        r"last\.ckpt holds the weights of another model: tensors only in the checkpoint: "
        r"net\.1\.bias.*It was trained with model\._target_=litlab\.nets\.mlp\.MLP; "
        r"model\.hidden=\[256, 128\]: use those settings, or a checkpoint of this model",
    ),
    "checkpoint of other layer sizes, evaluated": (
        lambda tmp, run: [f"run_dir={run}", "model.hidden=[17]"], "eval",
        r"best\.ckpt holds the weights of another model: tensors .*of other shapes: net\.1\.bias "
        r"\[256\] there, \[17\] here.*model\.hidden=\[256, 128\]: use those settings",
    ),
    "checkpoint of another optimizer": (
        lambda tmp, run: [f"ckpt_path={run / 'checkpoints' / 'last.ckpt'}", "optimizer=sgd"],
        "train",
        r"last\.ckpt continues a fit whose optimizer is torch\.optim\.Adam, but this run "
        r"configures torch\.optim\.SGD.*continue with the checkpoint's optimizer",
    ),
    "weights file given as a checkpoint": (
        lambda tmp, run: [f"ckpt_path={run / 'checkpoints' / 'best_weights.pt'}"], "eval",
        r"best_weights\.pt holds weights but is not a training checkpoint: give a \.ckpt file",
    ),
    "run_dir that does not exist": (
        lambda tmp, run: [f"run_dir={tmp / 'nowhere'}"], "eval",
        r"nowhere does not exist; give a run directory such as logs/train/runs/<stamp>",
    ),
    "run_dir that is not a run": (
        lambda tmp, run: [f"run_dir={run / 'plots'}"], "eval",
        r"plots is not a litlab run \(it has no \.hydra/config\.yaml and no checkpoints/\)",
    ),
    "resume of a folder that is not a run": (
        lambda tmp, run: [f"resume={run / 'plots'}"], "train",
        r"resume=.*plots: found no run to continue in .*plots .*Give resume=<run dir>",
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", list(CKPT_CASES))
def test_unusable_checkpoints_and_runs_are_one_message(entry, trained, tmp_path, case):
    setup, config_name, message = CKPT_CASES[case]
    logged = entry(setup(tmp_path, trained), config_name)
    assert re.search(message, logged, re.DOTALL), logged


def test_resuming_a_run_with_a_corrupt_last_checkpoint_loses_nothing(entry, trained, tmp_path):
    run = tmp_path / "copy"
    shutil.copytree(trained, run)
    _cut(run / "checkpoints" / "last.ckpt", 0.5)
    before = {p: p.read_bytes() for p in run.rglob("*") if p.is_file()}
    logged = entry([f"resume={run}", f"paths.output_dir={run}"])
    assert re.search(r"last\.ckpt cannot be read as a checkpoint.*best\.ckpt", logged), logged
    assert {p: p.read_bytes() for p in run.rglob("*") if p.is_file()} == before


def test_hydra_full_error_shows_the_whole_trace(compose_cfg, monkeypatch):
    monkeypatch.setenv("HYDRA_FULL_ERROR", "1")
    with pytest.raises(DataError, match="MNIST data not found"):
        run_entry(train, compose_cfg(["paths.data_dir=/nowhere", "data.download=false"]))


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("trainer.max_epoch=3", r"Could not override 'trainer\.max_epoch'\.\nTo append to your "
                                r"config use \+trainer\.max_epoch=3"),
        ("data=mnsit", r"Could not find 'data/mnsit'\n\nAvailable options in 'data':\n\tapparel"),
    ],
)  # fmt: skip
def test_unknown_option_or_group_is_hydras_one_message(run_cli, override, message):
    result = run_cli(override)
    assert result.returncode == 1
    assert re.search(message, result.stderr), result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_a_cache_file_of_the_wrong_keys_is_decoded_again(compose_cfg, tmp_path, caplog):
    import torch

    cache = tmp_path / "cache"
    run = [f"paths.cache_dir={cache}", "data=digits", "trainer.max_epochs=1"]
    first = train(compose_cfg([*run, f"paths.output_dir={tmp_path / 'first'}"]))
    (file,) = cache.glob("*.pt")
    torch.save({"images": torch.zeros(3)}, file)  # readable, but not what the reader wrote
    again = train(compose_cfg([*run, f"paths.output_dir={tmp_path / 'again'}"]))
    assert f"Ignoring cache {file}: it holds no decoded splits; decoding again." in caplog.text
    assert again["test/acc"] == pytest.approx(first["test/acc"])  # the same data, decoded again
    assert "train_x" in torch.load(file, weights_only=True)  # and cached again


def test_a_fit_that_learned_nothing_says_so(compose_cfg, caplog):
    caplog.set_level(logging.WARNING, logger="litlab")
    train(compose_cfg(["data=digits", "optimizer.lr=1e6", "trainer.max_epochs=2"]))  # Adam
    (warning,) = [r.getMessage() for r in caplog.records if "learned" in r.getMessage()]
    assert warning.startswith("The model learned (next to) nothing: its best val/acc")
    assert "Check the learning rate (optimizer.lr=1000000.0; 1e-3 suits Adam)" in warning
