"""data=table: numeric and categorical features, missing values, the target's kind and its task
read while the config is composed, Boston through it, K-fold, new rows to predict."""

import csv
import logging
from pathlib import Path

import pytest
import torch
from hydra.utils import get_class
from omegaconf import OmegaConf

from litlab.build import build_datamodule
from litlab.data.splits import train_rows
from litlab.data.table import TableDataModule
from litlab.entry import train_command as train
from litlab.errors import ConfigError, DataError
from litlab.predict import predict
from litlab.registry import saved_config
from litlab.resolvers import TASKS, outputs_for_kind
from tests.conftest import SHRINK
from tests.synthetic import write_table

ONE_EPOCH = [*SHRINK, "trainer.max_epochs=1"]


@pytest.fixture
def table(tmp_path: Path) -> Path:
    return write_table(tmp_path / "houses.csv", rows=120)


def table_cfg(compose_cfg, file: Path, *overrides: str):
    return compose_cfg(["data=table", f"data.file={file}", *overrides])


def set_up(cfg) -> TableDataModule:
    dm = build_datamodule(cfg)
    dm.setup()
    return dm


def rows_of(path: Path) -> list[dict[str, str]]:
    with path.open() as file:
        return list(csv.DictReader(file))


def test_numeric_features_and_one_hot_categories(compose_cfg, table):
    cfg = table_cfg(compose_cfg, table, "data.target=price", "data.features=[x1,color,x2]")
    columns = OmegaConf.to_container(cfg.data, resolve=True)["columns"]
    assert columns == {"x1": None, "color": ["blue", "green", "red"], "x2": None}
    assert list(cfg.data.input_shape) == [5] == list(cfg.model.input_shape)
    dm = set_up(cfg)
    x = torch.cat([split[0] for split in dm.splits.values()])
    assert x.shape == (120, 5) and x.dtype == torch.float32
    assert torch.equal(x[:, 1:4].sum(1), torch.ones(120))  # one category per row
    rows = rows_of(table)
    train_x, _ = dm.splits["train"]
    kept = train_rows(120, seed=cfg.seed, test_split=0.2, val_split=0.2).tolist()
    for i, row in zip(kept[:10], train_x[:10], strict=True):
        assert float(row[0]) == pytest.approx(float(rows[i]["x1"]), abs=1e-4)
        assert float(row[4]) == pytest.approx(float(rows[i]["x2"]), abs=1e-4)
        assert ["blue", "green", "red"][int(row[1:4].argmax())] == rows[i]["color"]


def test_categories_come_from_the_train_split_alone(compose_cfg, table, caplog):
    lines = table.read_text().splitlines()
    held_out = sorted(set(range(120)) - set(train_rows(120, seed=777, test_split=0.2,
                                                       val_split=0.2).tolist()))  # fmt: skip
    row = held_out[0]
    lines[row + 1] = lines[row + 1].replace(",red,", ",purple,").replace(",green,", ",purple,")
    lines[row + 1] = lines[row + 1].replace(",blue,", ",purple,")
    table.write_text("\n".join(lines) + "\n")
    cfg = table_cfg(compose_cfg, table, "data.target=price", "data.features=[x1,color,x2]")
    assert list(cfg.data.columns["color"]) == ["blue", "green", "red"]  # no purple
    caplog.set_level(logging.WARNING)
    dm = set_up(cfg)
    warnings = [r.getMessage() for r in caplog.records if "purple" in r.getMessage()]
    assert len(warnings) == 1 and "all zeros" in warnings[0]
    x = torch.cat([dm.splits["val"][0], dm.splits["test"][0]])
    assert (x[:, 1:4].sum(1) == 0).sum() == 1  # the purple row: all zeros


def test_missing_values_name_their_rows_and_columns(compose_cfg, table):
    lines = table.read_text().splitlines()
    for line, column, value in ((5, 0, ""), (9, 1, " "), (12, 2, "inf")):  # x1, color, x2
        cells = lines[line].split(",")
        cells[column] = value
        lines[line] = ",".join(cells)
    table.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError) as err:
        set_up(table_cfg(compose_cfg, table, "data.target=price", "data.features=[x1,color,x2]"))
    message = str(err.value)
    assert str(table) in message
    assert "3 rows (first: row 6 of the file) have a blank, non-numeric or infinite value in " \
           "x1, color, x2; fix or remove those rows: 6, 10, 13." in message  # fmt: skip


@pytest.mark.parametrize(
    ("target", "overrides", "expected"),
    [
        ("price", [], ("regression", ["price"])),
        ("label", [], ("binary", ["no", "yes"])),
        ("grade", [], ("classification", ["A", "B", "C"])),
        ("rating", [], ("classification", ["1", "2", "3", "4", "5"])),
        ("rating", ["task=regression"], ("regression", ["rating"])),
        ("rating", ["data.target_kind=regression"], ("regression", ["rating"])),
        ("price", ["data.features=[x1,x2]"], ("regression", ["price"])),
    ],
)
def test_the_task_follows_the_target(compose_cfg, table, target, overrides, expected):
    kind, classes = expected
    cfg = table_cfg(compose_cfg, table, f"data.target={target}", *overrides)
    assert cfg.data.target_kind == kind
    assert list(cfg.data.class_names) == classes
    assert get_class(cfg.task._target_).target_kind == kind
    outputs = 1 if kind == "binary" else len(classes)
    assert cfg.task.num_outputs == cfg.model.num_outputs == outputs
    other = [c for c in ("x1", "color", "x2", "price", "label", "grade", "rating") if c != target]
    if "data.features=[x1,x2]" in overrides:
        other = ["x1", "x2"]
    assert list(cfg.data.columns) == other
    y = torch.cat([split[1] for split in set_up(cfg).splits.values()])
    layout = {"regression": (torch.float32, 2), "binary": (torch.float32, 1),
              "classification": (torch.int64, 1)}  # fmt: skip
    assert (y.dtype, y.ndim) == layout[kind]


def test_every_kind_names_its_task():
    for kind, target in TASKS.items():
        task = get_class(target)
        assert task.target_kind == kind
        assert outputs_for_kind(kind, ["a", "b"]) == task.outputs_for(["a", "b"])


def test_a_run_of_a_table_resumes_from_its_saved_config(compose_cfg, table):
    cfg = table_cfg(compose_cfg, table, "data.target=label")
    raw = OmegaConf.to_container(cfg, resolve=False)  # as .hydra/config.yaml keeps it
    assert raw["task"]["_target_"] == "${task_for_kind:${data.target_kind}}"
    saved = saved_config(raw, table)  # the resolvers are safe, the target is conf/'s own
    assert saved.task._target_ == "litlab.tasks.binary.BinaryTask"


def test_boston_through_data_table_is_data_boston(compose_cfg, data_root, tmp_path):
    file = data_root / "boston" / "boston_housing.csv"
    boston = compose_cfg(["data=boston", "data.test_set=seeded", *ONE_EPOCH,  # as a table cuts it
                          f"paths.output_dir={tmp_path / 'boston'}"])  # fmt: skip
    table = compose_cfg(["data=table", f"data.file={file}", "data.target=MEDV", *ONE_EPOCH,
                         f"paths.output_dir={tmp_path / 'table'}"])  # fmt: skip
    assert list(table.data.input_shape) == [13] and table.data.target_kind == "regression"
    a, b = set_up(boston), set_up(table)
    for name in ("train", "val", "test"):
        assert torch.equal(a.splits[name][0], b.splits[name][0])
        assert torch.equal(a.splits[name][1], b.splits[name][1])
    for x, y in zip(a.input_stats(), b.input_stats(), strict=True):
        assert torch.equal(x, y)
    first, second = train(boston), train(table)
    assert second["test/mae"] == first["test/mae"] and second["test/rmse"] == first["test/rmse"]


def test_three_folds_of_a_table_with_categories(compose_cfg, table):
    metrics = train(table_cfg(compose_cfg, table, "data.target=grade", "cv.folds=3", *ONE_EPOCH))
    assert {"test/acc", "test/acc_std", "val/acc"} <= metrics.keys()


def test_new_rows_are_encoded_as_the_training_rows(compose_cfg, table, tmp_path):
    cfg = table_cfg(compose_cfg, table, "data.target=label", "data.features=[x1,color,x2]",
                    *ONE_EPOCH)  # fmt: skip
    train(cfg)
    new = tmp_path / "new.csv"
    new.write_text("x2,color,x1,extra\n5.0,red,1.5,z\n4.0,purple,-2.0,z\n6.0,blue,0.0,z\n")
    out = tmp_path / "predict"
    run = Path(cfg.paths.output_dir)
    predict(compose_cfg([f"run_dir={run}", f"inputs={new}", f"paths.output_dir={out}"], "predict"))
    rows = rows_of(out / "predictions.csv")
    assert [row["id"] for row in rows] == ["0", "1", "2"]
    assert list(rows[0]) == ["id", "pred", "prob_yes"] and rows[0]["pred"] in ("no", "yes")
    new.write_text("x2,x1\n5.0,1.5\n")
    with pytest.raises(DataError, match=r"no column color; the header has x2, x1"):
        predict(compose_cfg([f"run_dir={run}", f"inputs={new}", f"paths.output_dir={out}"],
                            "predict"))  # fmt: skip


def test_file_and_target_must_be_given_and_exist(compose_cfg, tmp_path, table):
    with pytest.raises(ConfigError, match=r"give data\.file=<CSV or Parquet file> and data"):
        train(compose_cfg(["data=table", "debug=fdr"]))
    missing = tmp_path / "nowhere.csv"
    with pytest.raises(DataError, match=rf"{missing} does not exist \(data\.file\)"):
        train(table_cfg(compose_cfg, missing, "data.target=price", "debug=fdr"))
    with pytest.raises(DataError, match=r"no column cost; the header has x1, color, x2"):
        train(table_cfg(compose_cfg, table, "data.target=cost", "debug=fdr"))


def test_a_constant_target_has_nothing_to_learn(compose_cfg, tmp_path):
    path = tmp_path / "same.csv"
    path.write_text("a,b\n" + "".join(f"{i},1\n" for i in range(20)))
    with pytest.raises(DataError, match=r"target column b holds only the value 1"):
        train(table_cfg(compose_cfg, path, "data.target=b", "debug=fdr"))


def test_a_parquet_table_trains_as_its_csv_does(compose_cfg, table, tmp_path):
    import pandas as pd

    path = tmp_path / "houses.parquet"
    pd.read_csv(table).to_parquet(path)
    overrides = ["data.target=price", "data.features=[x1,color,x2]", *ONE_EPOCH]
    parquet = table_cfg(compose_cfg, path, *overrides, f"paths.output_dir={tmp_path / 'pq'}")
    csv_cfg = table_cfg(compose_cfg, table, *overrides, f"paths.output_dir={tmp_path / 'csv'}")
    columns = [OmegaConf.to_container(c.data, resolve=True)["columns"] for c in (parquet, csv_cfg)]
    assert columns[0] == columns[1] == {"x1": None, "color": ["blue", "green", "red"], "x2": None}
    assert parquet.data.target_kind == "regression" and list(parquet.data.input_shape) == [5]
    a, b = set_up(parquet), set_up(csv_cfg)
    for name in ("train", "val", "test"):
        assert torch.allclose(a.splits[name][0], b.splits[name][0])
    assert train(parquet)["test/mae"] == pytest.approx(train(csv_cfg)["test/mae"], rel=1e-5)


def test_parquet_without_an_engine_or_broken_is_one_message(tmp_path, table, monkeypatch):
    import pandas as pd

    def absent(*args, **kwargs):
        raise ImportError("Unable to find a usable engine")  # what pandas raises without one

    options = {"data_dir": str(tmp_path), "target": "price", "input_shape": [5],
               "target_kind": "regression", "class_names": ["price"]}  # fmt: skip
    path = tmp_path / "houses.parquet"
    pd.read_csv(table).to_parquet(path)
    no_engine = r"reading Parquet needs pyarrow or fastparquet, .*\(pip install pyarrow\); or give"
    with monkeypatch.context() as patch:
        patch.setattr(pd, "read_parquet", absent)
        with pytest.raises(DataError, match=no_engine):
            TableDataModule(file=str(path), **options).setup()
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"PAR1 not a parquet file PAR1")
    unreadable = r"broken\.parquet: cannot read this Parquet file .*; place a good copy"
    with pytest.raises(DataError, match=unreadable):
        TableDataModule(file=str(broken), **options).setup()


def test_a_kind_without_a_task_is_one_message(compose_cfg, table, caplog):
    from litlab.entry import run_entry

    cfg = table_cfg(compose_cfg, table, "data.target=price", "data.target_kind=ordinal")
    caplog.set_level(logging.DEBUG, logger="litlab")
    with pytest.raises(SystemExit) as exit_info:
        run_entry(train, cfg)  # the resolver's error, not OmegaConf's wrapping of it
    assert exit_info.value.code == 1
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == [
        "data.target_kind=ordinal has no task; choose one of classification, binary, regression, "
        "multilabel, or a task (task=classification, ...)."
    ]
