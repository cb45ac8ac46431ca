"""User-facing errors: shown as one message by the entry points, never as a traceback wall."""


class LitlabError(Exception):
    """A problem the user can fix: bad config, missing or corrupt data, unusable checkpoint."""


class ConfigError(LitlabError, ValueError):
    """A config value or a combination of config choices that cannot work."""


class DataError(LitlabError):
    """Missing, truncated or malformed data files."""


class CheckpointError(LitlabError):
    """A checkpoint or run directory that cannot be used."""
