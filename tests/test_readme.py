"""Every `python src/train.py ...` command shown in README.md and docs/ composes.

A sweep's first value stands for the sweep; commands with placeholders (`<stamp>`, `...`)
or continued over several lines are left out.
"""

import re
import shlex

import pytest
from hydra.core.override_parser.overrides_parser import OverridesParser

from tests.conftest import ROOT

DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
COMMAND = re.compile(r"^(?:srun )?python src/train\.py(?P<args>.*)$")


def shown_commands() -> list[tuple[str, str]]:
    commands = []
    for doc in DOCS:
        in_code = False
        for line in doc.read_text().splitlines():
            if line.startswith("```"):
                in_code = not in_code
                continue
            match = COMMAND.match(line.strip()) if in_code else None
            if match and not re.search(r"<|\.\.\.|\\$|--help", line):
                commands.append((doc.name, match["args"]))
    return commands


def first_of_each_sweep(args: list[str]) -> list[str]:
    """One plain override per argument: a sweep's first value, a search interval's start."""
    plain = []
    for override in OverridesParser.create().parse_overrides([a for a in args if a != "-m"]):
        if override.is_interval_sweep():
            value = str(override.value().start)  # type: ignore[union-attr]
        elif override.is_sweep_override():
            value = next(override.sweep_string_iterator())
        else:
            plain.append(override.input_line)
            continue
        plain.append(f"{override.get_key_element()}={value}")
    return plain


@pytest.mark.parametrize(("doc", "args"), shown_commands())
def test_shown_command_composes(compose_cfg, doc, args):
    overrides = first_of_each_sweep(shlex.split(args, comments=True))
    compose_cfg(overrides)  # raises on an unknown group, option or key


def test_the_docs_show_commands():
    assert len(shown_commands()) >= 30
