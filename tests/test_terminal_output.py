"""Terminal escapes in articles, pages and file names are shown, never obeyed: every human-readable
line kb prints has its control characters made visible (\\x1b); JSON keeps them, escaped."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kb.index import build_index
from kb.cli import cli

from helpers import SEEDS, article_text, write_article
from subprocesses import run_kb_in_a_terminal

# a window title, a clipboard write, a screen clear, an 8-bit CSI, a right-to-left override,
# a backspace
HOSTILE = "\x1b]0;pwned\x07\x1b]52;c;ZWNobyBoaQ==\x07\x1b[2J\x9b31m\u202e\x08"
SHOWN = r"\x1b]0;pwned\x07\x1b]52;c;ZWNobyBoaQ==\x07\x1b[2J\x9b31m\u202e\x08"
SHOWN_EACH = (r"\x1b", r"\x07", r"\x9b", r"\u202e", r"\x08")  # in Markdown, [ and ] are escaped
# the characters a terminal obeys (C0 but tab and line feed, DEL, C1, bidirectional controls)
OBEYED = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
# what kb itself may send a terminal: bold and the highlight (SGR sequences), nothing else
OWN_STYLE = re.compile(r"\x1b\[[0-9;]*m")
SHARED = (f"背中が熱いと感じる原因は{HOSTILE}自律神経の乱れです。ストレスや睡眠不足が続くと、"
          "交感神経が働きすぎて背中が熱くなります。夜更かしを避けて、湯船につかって休みましょう。")


def obeyed(text: str) -> list[str]:
    """The characters in ``text`` a terminal would obey."""
    return OBEYED.findall(text)


def strings(value) -> list[str]:
    """Every string in a JSON value."""
    if isinstance(value, str):
        return [value]
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else []
    return [s for item in items for s in strings(item)]


@pytest.fixture(scope="module")
def hostile_index(tmp_path_factory) -> Path:
    """Two articles sharing a paragraph full of terminal escapes, with escapes in a title and
    a heading too."""
    folder = tmp_path_factory.mktemp("hostile") / "articles"
    title = r'"背中が熱い\e]0;title\a\u202e"'  # YAML's escapes: ESC, BEL, RLO
    write_article(folder, "a.md", title=title,
                  body=f"## 背中の熱さ{HOSTILE}\n\n{SHARED}\n")
    write_article(folder, "b.md", title="背中の熱さと自律神経",
                  body=f"## 自律神経\n\n{SHARED}\n")
    db_path = folder.parent / "kb.db"
    build_index(folder, db_path, workers=1)
    return db_path


@pytest.mark.parametrize("command", [
    ["search", "背中"],
    ["search", "自律神経", "--kind", "section"],
    ["duplicates"],
    ["facts"],
    ["stats"],
])
def test_human_readable_output_shows_escapes_and_obeys_none(runner, hostile_index, command):
    result = runner.invoke(cli, [*command, "--db", str(hostile_index)])
    assert result.exit_code == 0, result.output
    assert obeyed(result.output) == [], command
    if command[0] in ("search", "duplicates"):
        assert SHOWN in result.output


def test_kb_check_shows_the_repeated_text_with_escapes_visible(runner, hostile_index, tmp_path):
    draft = tmp_path / "draft.md"
    draft.write_text(article_text(title="下書き", body=f"## 下書き\n\n{SHARED}\n"), "utf-8")
    result = runner.invoke(cli, ["check", str(draft), "--db", str(hostile_index)])
    assert result.exit_code == 1, result.output
    assert obeyed(result.output) == [] and SHOWN in result.output


def test_search_on_a_terminal_sends_only_its_own_styles(hostile_index):
    """On a real terminal (a pseudo-terminal) the highlight and bold are the only escapes."""
    shown = run_kb_in_a_terminal("search", "背中", "--db", str(hostile_index)).decode("utf-8")
    assert "pwned" in shown  # the hit with the escapes is there
    assert OWN_STYLE.search(shown)  # and kb's own highlight
    assert obeyed(OWN_STYLE.sub("", shown).replace("\r\n", "\n")) == []
    assert SHOWN in OWN_STYLE.sub("", shown)


@pytest.mark.parametrize("command", [
    ["search", "背中", "--json"],
    ["duplicates", "--json"],
    ["export"],
    ["export", "--format", "jsonl"],
])
def test_json_keeps_the_characters_escaped(runner, hostile_index, command):
    result = runner.invoke(cli, [*command, "--db", str(hostile_index)])
    assert result.exit_code == 0, result.output
    assert obeyed(result.stdout.replace("\n", "")) == []
    assert "\\u001b]0;pwned\\u0007" in result.stdout and "\\u202e" in result.stdout
    lines = result.stdout.splitlines() if "jsonl" in command else [result.stdout]
    assert any(HOSTILE in text for line in lines for text in strings(json.loads(line)))


def test_kb_check_json_keeps_the_characters_escaped(runner, hostile_index, tmp_path):
    draft = tmp_path / "draft.md"
    draft.write_text(article_text(title="下書き", body=f"## 下書き\n\n{SHARED}\n"), "utf-8")
    result = runner.invoke(cli, ["check", str(draft), "--db", str(hostile_index), "--json"])
    assert result.exit_code == 1
    assert obeyed(result.stdout.replace("\n", "")) == []
    assert json.loads(result.stdout)[0]["draft"]["text"] == SHARED


def test_import_dry_run_and_its_summary_show_escapes(runner, tmp_path):
    seed = (SEEDS / "001_7221afbe6145a639.txt").read_text(encoding="utf-8")
    lines = seed.splitlines()
    # the escapes in the title line and in a long paragraph of the article
    longest = max(range(len(lines)), key=lambda n: len(lines[n]))
    lines[longest] = lines[longest][:20] + HOSTILE + lines[longest][20:]
    page = tmp_path / "page.txt"
    page.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = runner.invoke(cli, ["import", str(page), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert obeyed(result.stdout.replace("\n", "")) == []
    assert all(shown in result.stdout for shown in SHOWN_EACH)
    assert obeyed(result.stderr.replace("\n", "")) == []


def test_import_from_export_dry_run_shows_escapes(runner, hostile_index, tmp_path):
    export = tmp_path / "kb.jsonl"
    assert runner.invoke(cli, ["export", "--db", str(hostile_index), "--format", "jsonl",
                               "-o", str(export)]).exit_code == 0
    result = runner.invoke(cli, ["import", "--from-export", str(export), "--out",
                                 str(tmp_path / "out"), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert obeyed(result.stdout.replace("\n", "")) == []
    assert all(shown in result.stdout for shown in SHOWN_EACH)


@pytest.mark.parametrize("command", [
    ["import", "page\x1b]0;pwned\x07\r.txt"],
    ["check", "draft\x1b]52;c;ZWNobyBoaQ==\x07\u202e.md"],
    ["export", "--db", "index\x1b[2J\r.db"],
    ["search", "背中", "--db", "none\x1b]0;pwned\x07.db"],
])
def test_error_messages_show_file_names_with_escapes_visible(runner, tmp_path, command):
    result = runner.invoke(cli, command)
    assert result.exit_code != 0
    assert "Error" in result.output and "Traceback" not in result.output
    assert obeyed(result.output.replace("\n", "")) == [], result.output
    assert "\\x1b" in result.output


@given(st.text())
@settings(max_examples=300, deadline=None)
def test_visible_text_has_nothing_to_obey_and_json_reads_back_the_same(text):
    from kb.terminal import json_text, visible

    assert obeyed(visible(text).replace("\n", "").replace("\t", "")) == []
    document = json_text({"text": text, "list": [text]}, indent=2)
    assert obeyed(document.replace("\n", "")) == []
    assert json.loads(document) == {"text": text, "list": [text]}
