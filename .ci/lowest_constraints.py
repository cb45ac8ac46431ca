"""Print `name==x` for every `name>=x` requirement of pyproject.toml (the lowest versions)."""

import re
import tomllib
from pathlib import Path

project = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())["project"]
requirements = [*project["dependencies"], *project["optional-dependencies"]["dev"]]
for requirement in requirements:
    match = re.match(r"^([A-Za-z0-9_.\-\[\]]+)\s*>=\s*([0-9][^,;\s]*)", requirement)
    if match is None:
        raise SystemExit(f"no lower bound in {requirement!r}: give every dependency one")
    name = re.sub(r"\[.*\]", "", match[1])
    print(f"{name}=={match[2]}")
