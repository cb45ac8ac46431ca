"""User-facing errors: shown as one message by the entry points, never as a traceback wall."""

import signal


class LitlabError(Exception):
    """A problem the user can fix: bad config, missing or corrupt data, unusable checkpoint."""


class ConfigError(LitlabError, ValueError):
    """A config value or a combination of config choices that cannot work."""


class DataError(LitlabError):
    """Missing, truncated or malformed data files."""


class CheckpointError(LitlabError):
    """A checkpoint or run directory that cannot be used."""


class DivergedError(LitlabError):
    """The training loss became NaN or infinite: the fit stops before saving those weights."""


class RunInterruptedError(Exception):
    """The run was stopped by a signal (Ctrl-C, SIGTERM) after saving what lets it resume.

    Not a LitlabError: in a sweep it ends the sweep, not only the job. `exit_code` is the
    shell's convention for a process ended by that signal, 128 + its number (130 for Ctrl-C).
    """

    def __init__(self, message: str, signum: int) -> None:
        super().__init__(message)
        self.exit_code = 128 + signum


def signal_name(signum: int) -> str:
    """How messages name a signal: `Ctrl-C (SIGINT)`, `SIGTERM`."""
    name = signal.Signals(signum).name
    return f"Ctrl-C ({name})" if signum == signal.SIGINT else name
