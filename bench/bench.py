"""What users wait for: litlab's whole epochs and processes against a hand-written loop and Keras.

    make bench                                  # synthetic data of MNIST's and CIFAR-10's shapes
    make bench ARGS="--data-dir data"           # the real files, where the data root has them
    make bench ARGS="--keras-python /path/to/python"  # also Keras 3 (a Python with TensorFlow)
    make bench ARGS="compile=true"              # an option on litlab's side

Each case is one of the course's experiments, run the way a user runs it, `python src/train.py
experiment=<name>` with the throughput callback, as a process of its own; the yardstick is a
hand-written PyTorch loop in another process that never imports Lightning (bench/raw_loop.py),
on the same data (litlab's decoded cache), split, net, optimizer, batch size and threads, and,
for the MLP, Keras 3 running the same net (bench/keras_loop.py). The sides alternate, repeat
after repeat, and every ratio is taken within a repeat (paired), then summarised as min /
median / max over the repeats. Per side: the wall seconds of a whole epoch (training,
validation, epoch end; the first epoch left out), the steady-state samples per second, the
seconds from process start to the first step and to its end, and the process's own peak
memory. A last case checks that an epoch's memory does not grow with its samples: the peak
of an epoch of 1M samples x 100 classes against one of 10k. All of it goes to one JSON file.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Case:
    """One benchmark: an experiment of conf/experiment/, the dataset folder it reads."""

    experiment: str
    folder: str
    synthetic: int  # training samples of the synthetic stand-in
    keras: bool  # Keras runs the same net (MLPs only)


CASES = {
    "mlp_mnist": Case("mnist_mlp", "MNIST", 60_000, keras=True),
    "cnn_cifar10": Case("cifar10_cnn", "cifar-10-batches-py", 10_000, keras=False),
}


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path, help="a data root with the real datasets")
    parser.add_argument("--cases", nargs="+", default=list(CASES), choices=list(CASES))
    parser.add_argument("--repeats", type=int, default=3, help="runs of each side, alternating")
    parser.add_argument(
        "--epochs", type=int, default=3, help="epochs per run (the first is left out)"
    )
    parser.add_argument("--threads", type=int, default=1, help="torch threads of every side")
    parser.add_argument("--keras-python", type=Path, help="a Python with tensorflow and keras")
    parser.add_argument("--no-memory", action="store_true", help="skip the 1M-sample epoch")
    parser.add_argument(
        "--tiny",
        action="store_true",
        default=bool(os.environ.get("BENCH_TINY")),
        help="small data, one repeat, no memory case: checks the script (also BENCH_TINY=1)",
    )
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "bench.json")
    parser.add_argument(
        "overrides", nargs="*", help="overrides for litlab's side, e.g. compile=true"
    )
    args = parser.parse_args(argv)
    if args.tiny:
        args.repeats, args.epochs, args.no_memory = 1, 2, True
    return args


# -- running a side -----------------------------------------------------------------------------


def run(command: list[str], env: dict[str, str] | None = None) -> dict[str, float]:
    """Run `command` to its end; its wall seconds and its own peak memory (MiB)."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    stderr = process.stderr.read().decode() if process.stderr else ""
    if status != 0:
        raise SystemExit(f"{' '.join(command[:4])} ... failed:\n{stderr[-2000:]}")
    return {"process_s": seconds, "peak_mib": usage.ru_maxrss / 1024}


def environment(threads: int) -> dict[str, str]:
    return {**os.environ, "OMP_NUM_THREADS": str(threads), "HYDRA_FULL_ERROR": "1"}


def litlab_side(case: Case, data: Path, work: Path, args: argparse.Namespace, n: int) -> dict:
    folder = work / f"litlab-{n}"
    command = [
        sys.executable, str(ROOT / "src" / "train.py"), f"experiment={case.experiment}",
        f"paths.data_dir={data}", f"paths.cache_dir={work / 'cache'}", f"hydra.run.dir={folder}",
        f"trainer.max_epochs={args.epochs}", "callbacks=[default,throughput]", "test=false",
        f"threads={args.threads}", *args.overrides,
    ]  # fmt: skip
    measured = run(command, environment(args.threads))
    return measured | json.loads((folder / "perf.json").read_text())


def spec_for(case: Case, data: Path, work: Path, args: argparse.Namespace) -> dict[str, Any]:
    """What the raw loop and Keras need to do what the litlab run does."""
    from omegaconf import OmegaConf

    from litlab.api import compose_config

    cfg = compose_config(
        ROOT / "conf",
        [f"experiment={case.experiment}", f"paths.data_dir={data}", "paths.output_dir=unused"],
    )
    plain = OmegaConf.to_container(cfg, resolve=True)
    assert isinstance(plain, dict)
    (cache,) = sorted((work / "cache").glob("*.pt"), key=lambda p: p.stat().st_mtime)[-1:]
    return {
        "cache": str(cache),
        "seed": plain["seed"],
        "val_split": plain["data"]["val_split"],
        "batch_size": plain["data"]["batch_size"],
        "model": plain["model"],
        "optimizer": {k: v for k, v in plain["optimizer"].items() if k != "_partial_"},
        "augment": plain.get("augment"),
        "label_smoothing": plain["task"].get("label_smoothing", 0.0),
        "num_classes": len(plain["data"]["class_names"]),
        "hidden": plain["model"].get("hidden", []),
        "lr": plain["optimizer"]["lr"],
        "epochs": args.epochs,
        "threads": args.threads,
        "warmup_steps": 5,
    }


def raw_side(spec: dict, work: Path, args: argparse.Namespace, n: int) -> dict:
    spec_file, result = work / "raw-spec.json", work / f"raw-{n}.json"
    spec_file.write_text(json.dumps(spec))
    command = [sys.executable, "-m", "bench.raw_loop", str(spec_file), str(result)]
    measured = run(command, environment(args.threads) | {"PYTHONPATH": str(ROOT)})
    return measured | json.loads(result.read_text())


def keras_side(spec: dict, work: Path, args: argparse.Namespace, n: int) -> dict:
    arrays = work / "arrays"
    if not arrays.exists():
        export_arrays(spec, arrays)
    spec_file, result = work / "keras-spec.json", work / f"keras-{n}.json"
    spec_file.write_text(json.dumps(spec | {"arrays": str(arrays)}))
    command = [str(args.keras_python), str(ROOT / "bench" / "keras_loop.py"), str(spec_file),
               str(result)]  # fmt: skip
    measured = run(command, environment(args.threads))
    return measured | json.loads(result.read_text())


def export_arrays(spec: dict, folder: Path) -> None:
    """The raw loop's split of litlab's decoded data as .npy files (Keras needs no torch)."""
    import torch

    from bench.raw_loop import seeded_holdout

    tensors = torch.load(spec["cache"], weights_only=True)
    train, val = seeded_holdout(len(tensors["train_y"]), spec["val_split"], spec["seed"])
    folder.mkdir(parents=True)
    x, y = tensors["train_x"].numpy(), tensors["train_y"].numpy()
    for name, array in (("x_train", x[train]), ("y_train", y[train]), ("x_val", x[val]),
                        ("y_val", y[val])):  # fmt: skip
        np.save(folder / f"{name}.npy", array)


# -- a case ---------------------------------------------------------------------------------------


def steady(side: dict, key: str) -> float:
    """The median over the epochs after the first (all of them if there is one); NaN if an
    epoch was too short to time its steps (a tiny run)."""
    values = side[key][1:] or side[key]
    return statistics.median(values) if values else float("nan")


def spread(values: list[float]) -> dict[str, float]:
    return {"min": min(values), "median": statistics.median(values), "max": max(values)}


def data_root_for(case: Case, args: argparse.Namespace, work: Path) -> tuple[Path, bool]:
    """The real data root if it holds the case's dataset, else a synthetic one of that shape."""
    if args.data_dir is not None and (args.data_dir / case.folder).exists():
        return args.data_dir.resolve(), True
    from tests.synthetic import write_cifar10, write_mnist

    samples = 500 if args.tiny else case.synthetic
    if case.folder == "MNIST":
        write_mnist(work / "data", train=samples, test=200)
    else:
        write_cifar10(work / "data", batches=(samples // 5,) * 5, test=200)
    return work / "data", False


def run_case(case: Case, args: argparse.Namespace, work: Path) -> dict[str, Any]:
    data, real = data_root_for(case, args, work)
    keras = case.keras and args.keras_python is not None
    sides: dict[str, list[dict]] = {"litlab": [], "raw": [], **({"keras": []} if keras else {})}
    spec: dict[str, Any] | None = None
    for n in range(args.repeats):  # interleaved: litlab, raw, keras, litlab, raw, keras, ...
        sides["litlab"].append(litlab_side(case, data, work, args, n))
        spec = spec or spec_for(case, data, work, args)
        sides["raw"].append(raw_side(spec, work, args, n))
        if keras:
            sides["keras"].append(keras_side(spec, work, args, n))
    result: dict[str, Any] = {
        "experiment": case.experiment,
        "data": "real" if real else "synthetic",
    }
    for name, runs in sides.items():
        result[name] = {
            "epoch_s": [steady(r, "epoch_s") for r in runs],
            "train_samples_per_s": [steady(r, "train_samples_per_s") for r in runs],
            "first_step_s": [r.get("first_step_s") for r in runs],
            "process_s": [r["process_s"] for r in runs],
            "peak_mib": [r["peak_mib"] for r in runs],
        }
    # What litlab chose: torch threads and optimizer steps per call (steps_per_execution).
    result["litlab"]["threads"] = [r["threads"] for r in sides["litlab"]]
    result["litlab"]["steps_per_call"] = [r["steps_per_call"] for r in sides["litlab"]]
    for other in sides.keys() - {"litlab"}:
        # epoch_vs > 1: litlab's epoch is longer; steps_vs < 1: its steady steps are slower.
        for key, figure in (("epoch_vs", "epoch_s"), ("steps_vs", "train_samples_per_s")):
            pairs = zip(result["litlab"][figure], result[other][figure], strict=True)
            result[f"{key}_{other}"] = spread([mine / theirs for mine, theirs in pairs])
    result["threads"] = args.threads
    return result


# -- memory of an epoch against its samples --------------------------------------------------------


def write_idx(path: Path, array: np.ndarray) -> None:
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(
        int(d).to_bytes(4, "big") for d in array.shape
    )
    path.write_bytes(header + array.astype(np.uint8).tobytes())


def memory_case(work: Path, args: argparse.Namespace) -> dict[str, Any]:
    """Peak memory of one epoch of 10k and of 1M samples (tiny inputs, 100 classes)."""
    rng = np.random.default_rng(0)
    classes = [f"c{i}" for i in range(100)]
    peaks = {}
    for samples in (10_000, 1_000_000):
        root = work / f"memory-{samples}"
        raw = root / "MNIST" / "raw"
        raw.mkdir(parents=True)
        for prefix, count in (("train", samples), ("t10k", 100)):
            write_idx(raw / f"{prefix}-images-idx3-ubyte", rng.integers(0, 255, (count, 2, 2)))
            write_idx(raw / f"{prefix}-labels-idx1-ubyte", rng.integers(0, 100, count))
        command = [
            sys.executable, str(ROOT / "src" / "train.py"), f"paths.data_dir={root}",
            f"paths.cache_dir={root / 'cache'}", f"hydra.run.dir={root / 'run'}",
            f"data.class_names=[{','.join(classes)}]", "data.input_shape=[1,2,2]",
            "data.batch_size=1024", "data.val_split=0.01", "model.hidden=[32]",
            "trainer.max_epochs=1", "test=false", f"threads={args.threads}",
        ]  # fmt: skip
        peaks[samples] = run(command, environment(args.threads))["peak_mib"]
    return {
        "peak_mib_10k": peaks[10_000],
        "peak_mib_1m": peaks[1_000_000],
        "ratio": peaks[1_000_000] / peaks[10_000],
    }


# -- the report -----------------------------------------------------------------------------------


def print_table(results: dict[str, Any]) -> None:
    print(f"threads {results['threads']} per process; ratios paired per repeat: min / median / max")
    for name, case in results["cases"].items():
        print(f"{name} ({case['experiment']}, {case['data']} data)")
        for side in ("litlab", "raw", "keras"):
            if side in case:
                s = case[side]
                chose = (
                    f"   threads {s['threads']}, steps per call {s['steps_per_call']}"
                    if side == "litlab"
                    else ""
                )
                print(f"  {side:7s} epoch {statistics.median(s['epoch_s']):7.2f} s   "
                      f"{statistics.median(s['train_samples_per_s']):9.0f} samples/s   "
                      f"process {statistics.median(s['process_s']):6.1f} s   "
                      f"peak {statistics.median(s['peak_mib']):6.0f} MiB{chose}")  # fmt: skip
        for key in sorted(k for k in case if k.startswith(("epoch_vs", "steps_vs"))):
            r = case[key]
            print(f"  {key:16s} {r['min']:.2f} / {r['median']:.2f} / {r['max']:.2f}")
    if "memory" in results:
        m = results["memory"]
        print(f"memory: epoch of 10k samples {m['peak_mib_10k']:.0f} MiB, of 1M x 100 classes "
              f"{m['peak_mib_1m']:.0f} MiB (x{m['ratio']:.2f})")  # fmt: skip


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    import torch

    results: dict[str, Any] = {
        "torch": torch.__version__,
        "threads": args.threads,
        "overrides": args.overrides,
        "machine": f"{os.cpu_count()} CPUs, {os.uname().machine}",
        "cases": {},
    }
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.cases:
            results["cases"][name] = run_case(CASES[name], args, Path(tmp) / name)
        if not args.no_memory:
            results["memory"] = memory_case(Path(tmp) / "memory", args)
    print_table(results)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"written to {args.out}")
    return results


if __name__ == "__main__":
    main()
