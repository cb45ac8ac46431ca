"""Read an offline W&B run's `.wandb` log: wandb writes no readable summary when offline.

The log is a LevelDB-style record file (32 KiB blocks, 7-byte record headers: CRC, length,
type) after a 7-byte file header; each record is a `wandb_internal_pb2.Record`.
"""

import json
import struct
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from wandb.proto import wandb_internal_pb2

_BLOCK = 32768
_HEADER = 7
_FULL, _LAST = 1, 4


def records(path: Path) -> Iterator[Any]:
    """Every record of the `.wandb` file at `path`, in order."""
    data = path.read_bytes()
    position, pending = _HEADER, b""
    while position + _HEADER <= len(data):
        left_in_block = _BLOCK - position % _BLOCK
        if left_in_block < _HEADER:  # the block's tail is padding
            position += left_in_block
            continue
        _crc, length, kind = struct.unpack("<IHB", data[position : position + _HEADER])
        if length == 0 and kind == 0:
            position += left_in_block
            continue
        pending += data[position + _HEADER : position + _HEADER + length]
        position += _HEADER + length
        if kind in (_FULL, _LAST):
            record = wandb_internal_pb2.Record()
            record.ParseFromString(pending)
            pending = b""
            yield record


def summary(path: Path) -> dict[str, Any]:
    """What a run in the W&B app would show: run id, group, name, config, history, exit code."""
    run: dict[str, Any] = {"config": {}, "history": [], "exit_code": None, "axes": {}}
    for record in records(path):
        kind = record.WhichOneof("record_type")
        if kind == "run":
            run |= {"id": record.run.run_id, "group": record.run.run_group,
                    "name": record.run.display_name}  # fmt: skip
        elif kind == "config":
            run["config"] |= {_key(i): json.loads(i.value_json) for i in record.config.update}
        elif kind == "history":
            run["history"].append({_key(i): json.loads(i.value_json) for i in record.history.item})
        elif kind == "exit":
            run["exit_code"] = record.exit.exit_code
        elif kind == "metric":  # define_metric: what a metric is plotted against
            name = record.metric.glob_name or record.metric.name
            run["axes"][name] = record.metric.step_metric
    return run


def offline_runs(run_dir: Path) -> list[dict[str, Any]]:
    """The summaries of the offline W&B runs in `run_dir/wandb`, oldest first.

    W&B's service process writes the records after `wandb.finish()` returns; in this process,
    it is shut down first (`wandb.teardown`, which waits for it), so every record is on disk.
    (A run made by another process is complete once that process has exited.)
    """
    wandb = sys.modules.get("wandb")
    if wandb is not None:
        wandb.teardown()
    return [summary(p) for p in sorted((run_dir / "wandb").glob("offline-run-*/run-*.wandb"))]


def _key(item: Any) -> str:
    """An item's key: `key`, or `nested_key` joined with "/" (wandb stores some keys so)."""
    return item.key or "/".join(item.nested_key)
