"""Run `python <script> <args>` as a new interpreter would, minus the seconds of imports.

A server process imports the heavy libraries once (torch, Lightning, Hydra, pandas, ...; never
litlab, so each run imports the litlab of its own folder), then forks one child per request.
The child becomes what `python script args` in `cwd` with `env` is: its own session, working
folder, environment, argv, `sys.path` (the script's folder, then PYTHONPATH's), stdout and
stderr files; it runs the script as `__main__` and ends with the script's exit status (a signal
that kills it included). The tests' command lines and entry points are the real ones; only the
interpreter start-up is shared.
"""

import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import traceback
from collections.abc import Mapping, Sequence
from pathlib import Path

HEAVY = ("torch", "lightning", "hydra", "omegaconf", "numpy", "pandas", "PIL.Image",
         "matplotlib.figure", "matplotlib.backends.backend_agg", "torchmetrics", "torchvision",
         "sklearn.datasets", "rich", "optuna", "yaml", "wandb")  # fmt: skip


def _child(request: dict) -> None:
    """Become `python script args` (never returns)."""
    import runpy

    code = 1
    try:
        os.setsid()  # its own session: a timeout kills it with every process it started
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        for fd, name in ((1, "stdout"), (2, "stderr")):
            target = os.open(request[name], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            os.dup2(target, fd)
        script = os.path.abspath(request["script"])
        extra = [os.path.abspath(p) for p in request["env"].get("PYTHONPATH", "").split(":") if p]
        sys.path[:] = [os.path.dirname(script), *extra, *request["base_path"]]
        sys.argv = [request["script"], *request["args"]]
        try:
            runpy.run_path(script, run_name="__main__")
            code = 0
        except SystemExit as end:
            code = end.code if isinstance(end.code, int) else (0 if end.code is None else 1)
            if isinstance(end.code, str):
                print(end.code, file=sys.stderr)
    except BaseException:
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def serve() -> None:
    """The server: import the heavy libraries, then fork a child per request line on stdin."""
    import importlib

    for name in HEAVY:
        importlib.import_module(name)
    base_path = [p for p in sys.path[1:] if p]  # without the server's own first entry
    for line in sys.stdin:
        request = json.loads(line)
        request["base_path"] = base_path
        pid = os.fork()
        if pid == 0:
            _child(request)
        print(json.dumps({"pid": pid}), flush=True)
        _, status = os.waitpid(pid, 0)
        code = -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
        print(json.dumps({"returncode": code}), flush=True)


class ForkServer:
    """A running server; `run` one script at a time."""

    def __init__(self) -> None:
        root = Path(__file__).resolve().parents[1]
        self.process = subprocess.Popen(
            [sys.executable, "-c", "from tests.forkserver import serve; serve()"],
            cwd=root,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": str(root)},
        )

    def run(
        self,
        script: str,
        args: Sequence[str],
        *,
        cwd: Path,
        env: Mapping[str, str],
        timeout: float,
    ) -> subprocess.CompletedProcess:
        """Run `python script args` in `cwd` with `env`; its exit status and output."""
        out, err = (Path(tempfile.mkstemp(suffix=f".{name}")[1]) for name in ("out", "err"))
        assert self.process.stdin is not None and self.process.stdout is not None
        request = {"script": script, "args": list(args), "cwd": str(cwd), "env": dict(env),
                   "stdout": str(out), "stderr": str(err)}  # fmt: skip
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        pid = json.loads(self.process.stdout.readline())["pid"]
        ready, _, _ = select.select([self.process.stdout], [], [], timeout)
        if not ready:
            os.killpg(pid, signal.SIGKILL)
        returncode = json.loads(self.process.stdout.readline())["returncode"]
        stdout, stderr = out.read_text(errors="replace"), err.read_text(errors="replace")
        out.unlink()
        err.unlink()
        if not ready:
            raise subprocess.TimeoutExpired([script, *args], timeout, stdout, stderr)
        return subprocess.CompletedProcess([script, *args], returncode, stdout, stderr)

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        self.process.wait(timeout=30)
