"""litlab's training path against a hand-written PyTorch loop, on the same data and model.

    make bench                                  # synthetic data of the real shapes
    make bench ARGS="--data-dir ../shared/data" # the real copies, where present
    make bench ARGS="compile=true"              # an option on litlab's side (raw stays eager fp32)

For each case the two loops alternate (raw, litlab, raw, litlab, ...) with the same data,
network, optimizer, batch size, thread count and number of steps; the litlab side is
`litlab.train`'s own path with the default callbacks and logger. Printed and written as JSON:
samples/s of each and their ratio, seconds from process start to the first training step
(beside a bare `import torch, lightning`), and peak memory.
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from omegaconf import DictConfig

from litlab.api import compose_config
from litlab.build import build_datamodule, build_task, build_trainer
from litlab.callbacks.throughput import Throughput
from litlab.data.base import TensorDataModule
from litlab.machine import set_threads
from litlab.registry import instantiate
from tests.synthetic import write_cifar10, write_mnist

ROOT = Path(__file__).resolve().parents[1]
WARMUP_STEPS = 5


@dataclass(frozen=True)
class Case:
    """One benchmark: a data option, a model option and where its files live."""

    data: str
    model: str
    folder: str  # the dataset's folder under the data root
    write_synthetic: Callable[[Path, int], None]


CASES = {
    "mlp_mnist": Case(
        "mnist", "mlp", "MNIST", lambda root, n: write_mnist(root, train=n, test=512)
    ),
    "cnn_cifar10": Case(
        "cifar10",
        "cnn",
        "cifar-10-batches-py",
        lambda root, n: write_cifar10(root, batches=(n // 5 + 1,) * 5, test=512),
    ),
}


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path, help="a data root with the real datasets")
    parser.add_argument("--cases", nargs="+", default=list(CASES), choices=list(CASES))
    parser.add_argument("--steps", type=int, default=300, help="timed training steps per run")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each loop, alternating")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--threads", type=int, default=None, help="default: litlab's choice")
    parser.add_argument(
        "--tiny",
        action="store_true",
        default=bool(os.environ.get("BENCH_TINY")),
        help="a few steps: checks the script (also BENCH_TINY=1)",
    )
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "bench.json")
    parser.add_argument(
        "overrides", nargs="*", help="config overrides for litlab's side, e.g. compile=true"
    )
    args = parser.parse_args(argv)
    if args.tiny:
        args.steps, args.repeats = 8, 1
    return args


def case_config(case: Case, data_root: Path, work: Path, args: argparse.Namespace) -> DictConfig:
    """The config `python src/train.py data=<data> model=<model>` would run, sized for timing."""
    overrides = [
        f"data={case.data}",
        f"model={case.model}",
        f"paths.data_dir={data_root}",
        f"paths.cache_dir={work / 'cache'}",
        f"paths.output_dir={work / case.data}",
        f"paths.log_dir={work / 'logs'}",
        f"data.batch_size={args.batch_size}",
        "extras.print_config=false",
        "trainer.max_epochs=1",
        f"trainer.limit_train_batches={args.steps + WARMUP_STEPS}",
        "trainer.limit_val_batches=2",
        *args.overrides,
    ]
    if args.threads is not None:
        overrides.append(f"threads={args.threads}")
    return compose_config(ROOT / "conf", overrides)


def raw_loop(cfg: DictConfig, datamodule: TensorDataModule, steps: int) -> float:
    """Samples/s of a hand-written loop: index, scale, forward, loss, backward, step."""
    torch.manual_seed(cfg.seed)
    net = instantiate(cfg.model)
    optimizer = instantiate(cfg.optimizer)(params=net.parameters())
    x_all, y_all = datamodule.splits["train"]
    shape = (1, -1) + (1,) * (x_all.ndim - 2)  # per-channel stats broadcast over (B, C, ...)
    shift, scale = (stat.view(shape) for stat in datamodule.input_stats())
    order = torch.randperm(len(x_all), generator=torch.Generator().manual_seed(cfg.seed))
    batch = cfg.data.batch_size
    start = 0.0
    for step in range(steps + WARMUP_STEPS):
        if step == WARMUP_STEPS:
            start = time.perf_counter()
        index = order[(step * batch) % len(order) :][:batch]
        x = (x_all[index].float() - shift) / scale
        loss = F.cross_entropy(net(x), y_all[index])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    return steps * batch / (time.perf_counter() - start)


def litlab_fit(cfg: DictConfig, datamodule: TensorDataModule, warmup: int) -> float:
    """Samples/s of `litlab.train`'s fit with the config's own callbacks and logger."""
    task = build_task(cfg)
    trainer = build_trainer(cfg)  # threads stay as set_threads left them
    timers = [c for c in trainer.callbacks if isinstance(c, Throughput)]
    if not timers:
        timers = [Throughput(warmup_steps=warmup)]
        trainer.callbacks.append(timers[0])
    trainer.fit(task, datamodule=datamodule)
    assert timers[0].samples_per_s is not None
    return timers[0].samples_per_s


def time_to_first_step(case: Case, data_root: Path, work: Path) -> dict[str, object]:
    """Seconds from process start to step 1 of `src/train.py`, and of a bare import."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import torch, lightning"], check=True)
    bare_import = time.perf_counter() - started
    out = work / "startup"
    command = [
        sys.executable, str(ROOT / "src" / "train.py"),
        f"data={case.data}", f"model={case.model}", f"paths.data_dir={data_root}",
        f"paths.cache_dir={work / 'cache'}", f"hydra.run.dir={out}", "extras.print_config=false",
        "trainer.max_epochs=1", "trainer.limit_train_batches=10", "trainer.limit_val_batches=2",
        "+callbacks.throughput._target_=litlab.callbacks.throughput.Throughput",
        "test=false",
    ]  # fmt: skip
    subprocess.run(command, check=True, capture_output=True)
    first_step = json.loads((out / "metrics.json").read_text())["perf/first_step_s"]
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {
        "command": f"src/train.py data={case.data} model={case.model}",
        "bare_import_torch_lightning_s": bare_import,
        "first_step_s": first_step,
        "overhead_s": first_step - bare_import,
        "train_py_peak_rss_mb": peak_mb,
    }


def data_root_for(case: Case, args: argparse.Namespace, work: Path) -> tuple[Path, bool]:
    """The real data root if it holds the case's dataset, else a synthetic one of that shape."""
    if args.data_dir is not None and (args.data_dir / case.folder).exists():
        return args.data_dir, True
    case.write_synthetic(work / "data", (args.steps + WARMUP_STEPS + 2) * args.batch_size * 5 // 4)
    return work / "data", False


def run_case(case: Case, args: argparse.Namespace, work: Path) -> dict[str, object]:
    data_root, real = data_root_for(case, args, work)
    cfg = case_config(case, data_root, work, args)
    datamodule = build_datamodule(cfg)
    datamodule.setup("fit")
    set_threads(cfg.threads, processes=1)  # the same count for both loops
    raw, lit = [], []
    for _ in range(args.repeats):
        raw.append(raw_loop(cfg, datamodule, args.steps))
        lit.append(litlab_fit(cfg, datamodule, 0 if args.tiny else WARMUP_STEPS))
    return {
        "data": "real" if real else "synthetic",
        "threads": torch.get_num_threads(),
        "batch_size": args.batch_size,
        "steps": args.steps,
        "raw_samples_per_s": raw,
        "litlab_samples_per_s": lit,
        "ratio": statistics.median(lit) / statistics.median(raw),
    }


def main(argv: Sequence[str] | None = None) -> dict:
    args = parse_args(argv)
    results: dict[str, object] = {"torch": torch.__version__, "overrides": args.overrides}
    cases: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.cases:
            cases[name] = run_case(CASES[name], args, Path(tmp) / name)
        first = CASES[args.cases[0]]
        work = Path(tmp) / "startup"
        results["startup"] = time_to_first_step(first, data_root_for(first, args, work)[0], work)
    results["cases"] = cases
    results["bench_peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print_table(results)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"written to {args.out}")
    return results


def print_table(results: dict) -> None:
    print(f"{'case':14s} {'data':9s} {'raw/s':>9s} {'litlab/s':>9s} {'ratio':>6s}")
    for name, case in results["cases"].items():
        raw = statistics.median(case["raw_samples_per_s"])
        lit = statistics.median(case["litlab_samples_per_s"])
        print(f"{name:14s} {case['data']:9s} {raw:9.0f} {lit:9.0f} {case['ratio']:6.2f}")
    s = results["startup"]
    print(
        f"start-up of {s['command']}: first step {s['first_step_s']:.2f} s after process start; "
        f"bare `import torch, lightning` {s['bare_import_torch_lightning_s']:.2f} s; "
        f"overhead {s['overhead_s']:.2f} s; peak RSS {s['train_py_peak_rss_mb']:.0f} MB"
    )


if __name__ == "__main__":
    main()
