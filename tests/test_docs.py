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


def test_metadata_describes_every_table_and_column(built_db):
    # Datasette shows these descriptions; a table or column added without one is a gap for editors.
    import sqlite3

    import yaml

    tables = yaml.safe_load((REPO_ROOT / "metadata.yml").read_text("utf-8"))["databases"]["kb"]["tables"]
    conn = sqlite3.connect(f"file:{built_db}?mode=ro", uri=True)
    try:
        names = [r[0] for r in conn.execute(
            "select name from sqlite_master where type = 'table' and name not like 'sqlite_%' "
            "and name not like '%_fts_%' and sql not like 'CREATE VIRTUAL TABLE%'")]
        missing = []
        for name in names:
            described = tables.get(name, {})
            if not described.get("description"):
                missing.append(name)
                continue
            columns = [r[1] for r in conn.execute(f"pragma table_info([{name}])")]
            missing += [f"{name}.{c}" for c in columns if c not in described.get("columns", {})]
    finally:
        conn.close()
    assert names and missing == []
