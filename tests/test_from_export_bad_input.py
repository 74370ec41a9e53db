"""kb import --from-export on malformed exports: every record that cannot be an article is named
by its line (JSON Lines) or number (a JSON document) and its field; never a traceback, never a
file written, however large, deep or broken the input."""

from __future__ import annotations

import json
import os

import pytest

from kb.cli import cli

from subprocesses import kb_env, run_kb

GOOD = {"id": "good", "meta": {"title": "記事"},
        "sections": [{"position": 0, "level": 0, "heading": "", "markdown": "本文です。"}]}


def section(**fields) -> dict:
    return {"position": 0, "level": 1, "heading": "見出し", "markdown": "本文。", **fields}


def with_(**fields) -> dict:
    """Another article (its own id), with ``fields``."""
    return {**GOOD, "id": "other", **fields}


BAD_RECORDS = {
    # the record (line 2 of a JSON Lines file), what the message must say
    "a number": (5, ":2: not an exported article"),
    "a list": ([GOOD], ":2: not an exported article"),
    "no sections": ({"id": "a", "meta": {}}, ":2: not an exported article: no sections"),
    "no id or meta": ({"sections": []}, ":2: not an exported article: no id, meta"),
    "id a list": (with_(id=["a"]), ":2: id: [\"a\"] is not text"),
    "id a number": (with_(id=7), ":2: id: 7 is not text"),
    "id empty": (with_(id=""), ":2: id: empty"),
    "meta a list": (with_(meta=["title"]), ":2: meta: [\"title\"] is not a JSON object"),
    "title a number": (with_(title=5), ":2: title: 5 is not text"),
    "path a number": (with_(path=5), ":2: path: 5 is not text"),
    "sections a mapping": (with_(sections={"0": {}}), ":2: sections: {\"0\": {}} is not a list"),
    "a section a number": (with_(sections=[1]), ":2: sections[0]: 1 is not a JSON object"),
    "level text": (with_(sections=[section(level="2")]),
                   ':2: sections[0].level: "2" is not a whole number'),
    "level true": (with_(sections=[section(level=True)]),
                   ":2: sections[0].level: true is not a whole number"),
    "level 100": (with_(sections=[section(level=100)]), ":2: sections[0].level: 100 is not a heading level"),
    "level -1": (with_(sections=[section(level=-1)]), ":2: sections[0].level: -1 is not a heading level"),
    "no position": (with_(sections=[{"level": 1, "heading": "h"}]),
                    ":2: sections[0].position: null is not a whole number"),
    "position a float": (with_(sections=[section(position=1.5)]),
                         ":2: sections[0].position: 1.5 is not a whole number"),
    "heading a number": (with_(sections=[section(heading=3)]), ":2: sections[0].heading: 3 is not text"),
    "markdown a list": (with_(sections=[section(markdown=["a"])]),
                        ":2: sections[0].markdown: [\"a\"] is not text"),
    "meta nested deep": (with_(meta={"title": "t", "x": json.loads("[" * 200 + "]" * 200)}),
                         ":2: meta: nested more than 16 levels"),
    "a lone surrogate": (with_(meta={"title": "\ud800"}), ":2: holds '\\ud800', a lone surrogate"),
}


def jsonl_with(bad: object) -> str:
    return json.dumps(GOOD) + "\n" + json.dumps(bad) + "\n"


@pytest.mark.parametrize("case", list(BAD_RECORDS))
def test_a_malformed_record_is_named_by_line_and_field(runner, tmp_path, case):
    bad, words = BAD_RECORDS[case]
    export = tmp_path / "kb.jsonl"
    export.write_text(jsonl_with(bad), "utf-8")
    out = tmp_path / "out"
    for dry_run in ([], ["--dry-run"]):
        result = runner.invoke(cli, ["import", "--from-export", str(export), "--out", str(out), *dry_run])
        assert result.exit_code == 1, (result.output, result.exception)
        assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
        assert f"Error: {export}{words}" in result.output, result.output
    assert not out.exists()


@pytest.mark.parametrize("case", ["level text", "no position", "a section a number", "id a list"])
def test_a_malformed_record_of_a_json_document_is_named_by_number(runner, tmp_path, case):
    bad, words = BAD_RECORDS[case]
    export = tmp_path / "kb.json"
    export.write_text(json.dumps({"format": "kb-export", "version": 1, "articles": [GOOD, bad]},
                                 indent=2), "utf-8")
    result = runner.invoke(cli, ["import", "--from-export", str(export), "--out", str(tmp_path / "o")])
    assert result.exit_code == 1
    assert f"{export} (article 2){words[2:]}" in result.output, result.output


BAD_FILES = {
    "articles not a list": ('{"format": "kb-export", "articles": 5}', '"articles" is not a list'),
    "a document that is a list": ("[1, 2]", "not a kb export"),
    "deeply nested": ("[" * 100_000 + "]" * 100_000, ":1: JSON nested too deeply"),
    "deeply nested line": (json.dumps(GOOD) + "\n" + "[" * 100_000 + "]" * 100_000 + "\n",
                           ":2: JSON nested too deeply"),
    "broken JSON on line 3": (json.dumps(GOOD) + "\n" + json.dumps(with_()) + "\n{oops\n",
                              ":3: not valid JSON"),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_a_malformed_file_is_named(runner, tmp_path, case):
    content, words = BAD_FILES[case]
    export = tmp_path / "kb.json"
    export.write_text(content, "utf-8")
    result = runner.invoke(cli, ["import", "--from-export", str(export), "--out", str(tmp_path / "o")])
    assert result.exit_code == 1, (result.output, result.exception)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert str(export) in result.output and words in result.output, result.output
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("layout", ["jsonl", "json"])
def test_invalid_utf8_is_named_by_its_line(runner, tmp_path, layout):
    good, other = json.dumps(GOOD).encode(), json.dumps(with_()).encode()
    if layout == "jsonl":
        data = good + b"\n" + other + b"\n" + good.replace(b"good", b"g\xffod") + b"\n"
    else:
        data = (b'{"format": "kb-export", "articles": [\n' + good + b",\n"
                + good.replace(b"good", b"g\xffod") + b"\n]}\n")
    export = tmp_path / "kb.json"
    export.write_bytes(data)
    result = runner.invoke(cli, ["import", "--from-export", str(export), "--out", str(tmp_path / "o")])
    assert result.exit_code == 1
    assert f"{export}:3: not UTF-8 text" in result.output, result.output


def test_a_1_gb_export_is_refused_at_the_limit_without_reading_it_all(tmp_path):
    """A 1 GB file (sparse: no disk used) with the limit at 1 MB: refused with the setting
    named, in a process that could not hold the file in memory."""
    export = tmp_path / "kb.json"
    with open(export, "wb") as f:
        f.write(b'{"format": "kb-export", "version": 1, "articles": [')
        f.truncate(1 << 30)
    result = run_kb("import", "--from-export", str(export), "--out", str(tmp_path / "o"),
                    env=kb_env(KB_MAX_EXPORT_BYTES=str(1 << 20)), max_memory=2 << 30)
    assert result.returncode == 1, result.stderr
    assert f"{export}: line 1 is larger than 1,048,576 bytes".encode() in result.stderr
    assert b"KB_MAX_EXPORT_BYTES" in result.stderr and b"Traceback" not in result.stderr


def test_a_long_line_of_json_lines_is_refused_and_short_ones_are_read(runner, tmp_path, monkeypatch):
    monkeypatch.setenv("KB_MAX_EXPORT_BYTES", "2000")
    long = with_(meta={"title": "記事", "note": "あ" * 1000})
    export = tmp_path / "kb.jsonl"
    export.write_text(jsonl_with(long), "utf-8")
    result = runner.invoke(cli, ["import", "--from-export", str(export), "--out", str(tmp_path / "o")])
    assert result.exit_code == 1 and f"{export}: line 2 is larger than 2,000 bytes" in result.output
    export.write_text(jsonl_with(with_(id="other")), "utf-8")
    result = runner.invoke(cli, ["import", "--from-export", str(export), "--out", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "o").iterdir()) == ["good.md", "other.md"]


def test_a_section_with_an_empty_or_missing_heading_is_an_empty_heading(runner, tmp_path):
    """``##`` alone is a heading with no text: an export of one is rebuilt as it was."""
    export = tmp_path / "kb.jsonl"
    export.write_text(jsonl_with(with_(sections=[section(heading=""),
                                                 {"position": 1, "level": 2}])), "utf-8")
    out = tmp_path / "o"
    result = runner.invoke(cli, ["import", "--from-export", str(export), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert (out / "other.md").read_text("utf-8").endswith("---\n#\n\n本文。\n\n##\n")


def test_an_export_fifo_nobody_writes_to_is_empty_not_a_hang(tmp_path):
    fifo = tmp_path / "kb.jsonl"
    os.mkfifo(fifo)
    result = run_kb("import", "--from-export", str(fifo), "--out", str(tmp_path / "o"), timeout=30)
    assert result.returncode == 1 and f"{fifo}: empty, not a kb export".encode() in result.stderr
