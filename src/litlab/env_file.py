"""Secrets from a git-ignored `.env` file, put into the environment, never into a config."""

import os
from pathlib import Path


def load_env_file(path: Path) -> list[str]:
    """Set each `NAME=value` line of `path` that the environment does not set yet.

    Blank lines, `#` comments and an `export ` prefix are allowed; quotes around a value are
    removed. Returns the names set (never their values). A missing file sets nothing.
    """
    if not path.is_file():
        return []
    names = []
    for raw in path.read_text().splitlines():
        line = raw.strip().removeprefix("export ").strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        name, value = (part.strip() for part in line.split("=", 1))
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        if name not in os.environ:
            os.environ[name] = value
            names.append(name)
    return names
