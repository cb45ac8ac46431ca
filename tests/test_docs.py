"""Every command of README.md and docs/*.md runs as written, in a fresh copy of the project.

The commands are the `python src/...`, `srun python src/...` and `make ...` lines of the fenced
code blocks (a line ending in a backslash goes on on the next). Each block runs top to bottom,
through bash, in its own copy of the project (src/, conf/, bench/, examples/, Makefile,
pyproject.toml, the venv linked as .venv/ and first on PATH, as after `source
.venv/bin/activate`), whose `data/` holds the synthetic datasets, so `data/` and `logs/` are
the defaults a user gets. The harness
adds nothing that changes how a command resolves. It only
- shrinks training: one epoch of two batches per stage (`trainer.max_epochs=1`,
  `trainer.limit_*_batches=2`) and two trials for a search (`hydra.sweeper.n_trials=2`),
  appended where the command does not set the key itself; `make train` gets them as `ARGS`,
  `make bench` runs with `BENCH_TINY=1`; a resumed run keeps the shrink its saved config has;
- writes the new inputs the docs predict on (`houses.csv`, `my_photos/`, `test.json`);
- reads `<stamp>` as the newest run folder of `logs/train/runs`.
Plain `python src/<entry>.py ...` lines start through tests/forkserver.py (a new interpreter in
all but its imports); every other line through bash. A command that needs what this machine
lacks (a GPU, Apple's MPS, SLURM's sbatch or srun) must
stop with exit code 1 and exactly its one-line message. `make install` and the `make test*`
targets are checked with `make -n` (here they would install 5 GB, or run these tests again).
"""

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.forkserver import ForkServer
from tests.synthetic import class_patterns

DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
ENV = r"(?:[A-Z_]+=\S+ )*"  # variables set for the command: PYTHONPATH=examples python ...
COMMAND = re.compile(rf"^{ENV}(?:srun )?(?:python src/\w+\.py|make [a-z])")
TRAIN = re.compile(rf"^{ENV}(?:srun )?python src/train\.py")
RESUME = re.compile(r"(?:^|\s)(?:resume=|ckpt_path=last)")
SHRINK = {
    "trainer.max_epochs": "1",
    "trainer.limit_train_batches": "2",
    "trainer.limit_val_batches": "2",
    "trainer.limit_test_batches": "2",
}
SEARCH_SHRINK = {"hydra.sweeper.n_trials": "2"}
DRY_RUN = ("install", "test", "test-fast", "test-lowest", "lint", "typecheck")
FIX = (
    "Use trainer=cpu, or leave trainer out: the default (accelerator=auto) takes a GPU when "
    "there is one and the CPU otherwise."
)
NO_GPU = "{} asks for a GPU, but this machine has none (torch finds no CUDA device). " + FIX
NO_MPS = "{} asks for an Apple-silicon GPU (MPS), which this machine does not have. " + FIX
NO_SLURM = (
    "hydra/launcher=slurm submits each job to SLURM with sbatch, which this machine does not "
    "have. Run the command on a SLURM login node, or use hydra/launcher=submitit_local to run "
    "the jobs here, each in its own process."
)


@dataclass(frozen=True)
class Block:
    """The commands of one fenced code block, in order."""

    doc: str
    line: int
    commands: tuple[str, ...]


def without_comment(line: str) -> str:
    """`line` up to an unquoted `#` that starts a shell comment."""
    quote = None
    for i, char in enumerate(line):
        if quote:
            quote = None if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "#" and (i == 0 or line[i - 1].isspace()):
            return line[:i].rstrip()
    return line.rstrip()


def blocks() -> list[Block]:
    found = []
    for doc in DOCS:
        lines = doc.read_text().splitlines()
        in_code, commands, start, i = False, [], 0, 0
        while i < len(lines):
            text = lines[i].strip()
            if text.startswith("```"):
                if in_code and commands:
                    found.append(Block(doc.name, start, tuple(commands)))
                in_code, commands, start = not in_code, [], i + 2
            elif in_code:
                text = without_comment(text)
                while text.endswith("\\") and i + 1 < len(lines):
                    i += 1
                    text = text[:-1].rstrip() + " " + without_comment(lines[i].strip())
                if COMMAND.match(text):
                    commands.append(text)
            i += 1
    return found


BLOCKS = blocks()


def test_the_docs_have_commands():
    assert sum(len(block.commands) for block in BLOCKS) >= 50


# -- a fresh project ----------------------------------------------------------------------------


@pytest.fixture
def project(tmp_path: Path, data_root: Path) -> Path:
    """A copy of the project as a clone has it, with the synthetic data as its data/."""
    copy = tmp_path / "project"
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", "results")
    for name in ("src", "conf", "bench", "examples"):
        shutil.copytree(ROOT / name, copy / name, ignore=ignore)
    for name in ("Makefile", "pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, copy / name)
    (copy / "tests").mkdir()
    for name in ("__init__.py", "synthetic.py"):  # the benchmark writes its data with it
        shutil.copy(ROOT / "tests" / name, copy / "tests" / name)
    (copy / "logs").mkdir()
    (copy / ".venv").symlink_to(Path(sys.prefix))
    (copy / "data").symlink_to(data_root)
    write_new_inputs(copy, data_root)
    return copy


def write_new_inputs(copy: Path, data_root: Path) -> None:
    """The files the docs predict on: Boston rows, a folder of photos, iceberg records."""
    from PIL import Image

    rows = (data_root / "boston" / "boston_housing.csv").read_text().splitlines()[:6]
    (copy / "houses.csv").write_text("\n".join(",".join(r.split(",")[:-1]) for r in rows) + "\n")
    photos = copy / "my_photos"
    photos.mkdir()
    import numpy as np

    rng = np.random.default_rng(0)
    for k, size in enumerate((8, 20, 33)):
        pixels = class_patterns(np.array([k]), (size, size), rng)[0]
        Image.fromarray(pixels).save(photos / f"digit{k}.png")
    records = json.loads((data_root / "iceberg" / "train.json").read_text())[:3]
    for record in records:
        del record["is_iceberg"]
    (copy / "test.json").write_text(json.dumps(records))


def environment(copy: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WANDB_", "HYDRA_"))}
    env |= {
        "PATH": f"{copy / '.venv' / 'bin'}:{os.environ['PATH']}",
        "HOME": str(copy.parent / "home"),  # no ~/.netrc, no wandb settings of the user's
        "OMP_NUM_THREADS": "1",
        "BENCH_TINY": "1",
    }
    env.pop("LITLAB_TRUST_FILE", None)
    return env


# -- what the harness does to a command -----------------------------------------------------------


def sets(command: str, key: str) -> bool:
    return re.search(rf"(?:^|\s)[+~]?{re.escape(key)}=", command) is not None


def shrunk(command: str) -> str:
    """The command with the shrink appended where it does not set the keys itself."""
    if command.startswith("make "):
        target = command.split()[1]
        if target in DRY_RUN:
            return f"make -n {command.removeprefix('make ')}"
        if target == "train" and "ARGS=" not in command:
            args = " ".join(f"{k}={v}" for k, v in SHRINK.items())
            return f'{command} ARGS="{args}"'
        return command
    if not TRAIN.match(command) or "--help" in command or RESUME.search(command):
        return command
    shrink = SHRINK | (SEARCH_SHRINK if "hparams_search=" in command else {})
    extra = [f"{k}={v}" for k, v in shrink.items() if not sets(command, k)]
    return " ".join([command, *extra])


def lacking(command: str) -> str | None:
    """The one-line message a command must give on this machine, if it needs what is missing."""
    import torch

    if "hydra/launcher=slurm" in command and shutil.which("sbatch") is None:
        return NO_SLURM
    choice = re.search(r"(?:^|\s)trainer=(\w+)", command)
    name = f"trainer={choice[1]}" if choice else ""
    if choice and choice[1] in ("gpu", "ddp") and not torch.cuda.is_available():
        return NO_GPU.format(name)
    if choice and choice[1] == "mps" and not torch.backends.mps.is_available():
        return NO_MPS.format(name)
    return None


def newest(folder: Path) -> Path:
    return sorted(p for p in folder.iterdir() if p.is_dir())[-1]


PLAIN_PYTHON = re.compile(rf"^{ENV}python src/\w+\.py(?: |$)")
SHELL = set("$|;&<>`*?(){}")  # a command with these needs bash to mean what it says


def execute(command: str, copy: Path, fork_server: ForkServer) -> subprocess.CompletedProcess:
    """Run a command line as bash would; `python src/<entry>.py ...` (with variables set before
    it) through the fork server, which starts it as a new interpreter without its imports."""
    words = shlex.split(command)
    if not PLAIN_PYTHON.match(command) or SHELL & set(command.replace("'", "")):
        return subprocess.run(
            ["bash", "-c", command], check=False, cwd=copy, env=environment(copy),
            capture_output=True, text=True, timeout=600,
        )  # fmt: skip
    assignments = dict(word.split("=", 1) for word in words[: words.index("python")])
    script, *args = words[words.index("python") + 1 :]
    env = environment(copy) | assignments
    return fork_server.run(script, args, cwd=copy, env=env, timeout=600)


def run(command: str, copy: Path, fork_server: ForkServer) -> None:
    """Run one documented command in `copy` and check what it gives."""
    runs = copy / "logs" / "train" / "runs"
    if "<stamp>" in command:
        command = command.replace("<stamp>", newest(runs).name)
    expected = lacking(command)
    if command.startswith("srun ") and shutil.which("srun") is None:
        command = command.removeprefix("srun ")  # the message is litlab's, not bash's
    multiruns = copy / "logs" / "train" / "multiruns"
    result = execute(shrunk(command), copy, fork_server)
    output = result.stdout + result.stderr
    assert "Traceback" not in output, f"{command}\n{output[-3000:]}"
    if expected is not None:
        said = [line for line in output.splitlines() if line.endswith(expected)]
        assert result.returncode == 1, f"{command}\n{output[-3000:]}"
        assert len(said) == 1, f"{command}\n{output}"
        assert "ERROR" not in output.replace(said[0], ""), f"{command}\n{output}"
        return
    assert result.returncode == 0, f"{command}\n{output[-3000:]}"
    if TRAIN.match(command) and re.search(r"(?:^|\s)(?:-m|hparams_search=)", command):
        summaries = [p / "summary.csv" for p in multiruns.iterdir() if (p / "summary.csv").exists()]
        summary = max(summaries, key=lambda p: p.stat().st_mtime).read_text()
        assert ",failed," not in summary, f"{command}\n{summary}"


@pytest.mark.slow  # about 4 minutes in all: `make test` runs them, `make test-fast` does not
@pytest.mark.parametrize("block", BLOCKS, ids=[f"{b.doc}:{b.line}" for b in BLOCKS])
def test_documented_commands_run_as_written(block: Block, project: Path, fork_server):
    for command in block.commands:
        run(command, project, fork_server)
