"""Docs kept honest: every command has help text and is described in README.md."""

from __future__ import annotations

import re

import pytest

from kb.cli import cli

from helpers import REPO_ROOT

README = REPO_ROOT / "README.md"
COMMANDS = sorted(cli.commands)


def listed_commands(help_text: str) -> list[str]:
    """The command names in the Commands: section of a click group's --help."""
    section = help_text.split("Commands:", 1)[1]
    return sorted(m.group(1) for m in re.finditer(r"(?m)^  (\S+)", section))


def test_kb_help_lists_every_command(runner):
    result = runner.invoke(cli, ["--help"])
    assert result.exit_code == 0
    assert listed_commands(result.output) == COMMANDS
    assert {"build", "search", "stats"} <= set(COMMANDS)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_text(runner, command):
    help_text = (cli.commands[command].help or "").strip()
    assert help_text, f"kb {command} has no help text"
    result = runner.invoke(cli, [command, "--help"])
    assert result.exit_code == 0
    assert help_text.split("\n")[0] in result.output


@pytest.mark.skipif(not README.exists(), reason="README.md is not written yet")
@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_is_in_the_readme(command):
    assert re.search(rf"\bkb {command}\b", README.read_text(encoding="utf-8")), (
        f"kb {command} is not mentioned in README.md"
    )


@pytest.mark.skipif(not README.exists(), reason="README.md is not written yet")
def test_readme_mentions_build_index_py():
    assert "python build_index.py" in README.read_text(encoding="utf-8")
