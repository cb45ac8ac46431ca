"""Run an entry point that sends itself a signal after a given training step.

    python tests/signal_at_step.py SIGKILL 15 src/train.py <overrides>

The tests stop a real process at a known batch with it: Ctrl-C (SIGINT), SIGTERM or SIGKILL
arrive exactly as from a terminal or a scheduler, only at a reproducible moment.
"""

import os
import runpy
import signal
import sys
from typing import Any

import lightning as L


class SignalAtStep(L.Callback):
    """Send `signum` to this process when training step `step` has ended (`at_start`: when the
    training call that begins after step `step` starts)."""

    def __init__(self, signum: signal.Signals, step: int, *, at_start: bool = False) -> None:
        self.signum = signum
        self.step = step
        self.at_start = at_start

    def on_train_batch_start(self, trainer: L.Trainer, *args: Any) -> None:
        if self.at_start and trainer.global_step == self.step:
            os.kill(os.getpid(), self.signum)

    def on_train_batch_end(self, trainer: L.Trainer, *args: Any) -> None:
        if not self.at_start and trainer.global_step == self.step:
            os.kill(os.getpid(), self.signum)


def main() -> None:
    name, step, script, *args = sys.argv[1:]
    callback = SignalAtStep(signal.Signals[name], int(step))
    init = L.Trainer.__init__

    def with_callback(self: L.Trainer, *a: Any, callbacks: Any = None, **kw: Any) -> None:
        init(self, *a, callbacks=[*(callbacks or []), callback], **kw)

    L.Trainer.__init__ = with_callback  # type: ignore[method-assign]
    sys.argv = [script, *args]
    runpy.run_path(script, run_name="__main__")


if __name__ == "__main__":
    main()
