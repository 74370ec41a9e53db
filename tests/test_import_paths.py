"""Where kb import writes: an export's ids and paths, and a page's name, can never put a file
outside --out, nor write through a symbolic link or into a special file; a bad one is named by
its record (file and line, or article number) and field, and nothing at all is written."""

from __future__ import annotations

import json
import os
import stat
import threading
from pathlib import Path

import pytest

from kb.cli import cli

from helpers import SEEDS

SEED = SEEDS / "001_7221afbe6145a639.txt"
SEED_ID = SEED.stem


def record(article_id="x", path=None, **meta) -> dict:
    """An exported article as small as kb import --from-export takes it."""
    out = {"id": article_id, "meta": {"title": "記事", **meta},
           "sections": [{"position": 0, "level": 0, "heading": "", "markdown": "本文です。"}]}
    if path is not None:
        out["path"] = path
    return out


def write_jsonl(path: Path, *records: dict) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), "utf-8")
    return path


def files_under(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


HOSTILE = {
    # field, value, the words of the reason
    "id climbing out": ("id", "../../victim", "folder separator"),
    "id climbing out with meta.id set": ("id", "../victim", "folder separator"),
    "absolute id": ("id", "/tmp/victim", "folder separator"),
    "id with a backslash": ("id", "..\\..\\victim", "folder separator"),
    "id with NUL": ("id", "a\x00b", "control character"),
    "id with an escape": ("id", "a\x1b]0;x\x07", "control character"),
    "id with a right-to-left override": ("id", "evil\u202egpj", "control character"),
    "id with a newline": ("id", "a\nb", "control character"),
    "hidden id": ("id", ".bashrc", "hidden"),
    "id of dots": ("id", "..", "names a folder"),
    "device name": ("id", "con", "device name"),
    "id too long": ("id", "あ" * 90, "longer than 255 bytes"),
    "path climbing out": ("path", "../../victim.md", "names a folder"),
    "path climbing out from a folder": ("path", "sub/../../victim.md", "names a folder"),
    "absolute path": ("path", "/tmp/victim.md", "absolute"),
    "path with NUL": ("path", "sub/a\x00.md", "control character"),
    "path with an empty part": ("path", "sub//a.md", "empty"),
    "hidden folder": ("path", ".git/hooks.md", "hidden"),
    "path not Markdown": ("path", "notes.txt", "not a Markdown file"),
    "path too deep": ("path", "a/" * 40 + "x.md", "folders deep"),
}


@pytest.mark.parametrize("case", list(HOSTILE))
@pytest.mark.parametrize("force", [False, True])
def test_a_hostile_id_or_path_is_refused_by_record_and_field(runner, tmp_path, case, force):
    field, value, words = HOSTILE[case]
    meta = {"id": "x"} if "meta.id" in case else {}
    bad = record(value, **meta) if field == "id" else record("x", path=value)
    export = write_jsonl(tmp_path / "kb.jsonl", record("good"), bad)
    work = tmp_path / "work"
    (work / "out").mkdir(parents=True)
    result = runner.invoke(cli, ["import", "--from-export", str(export), "--out",
                                 str(work / "out"), *(["--force"] if force else [])])
    assert result.exit_code == 1, result.output
    assert f"{export}:2: {field}: " in result.output and words in result.output, result.output
    assert "Traceback" not in result.output
    assert files_under(work) == {"out"}  # not even the good record is written
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kb.jsonl", "work"]


def test_a_bad_record_of_a_json_document_is_named_by_its_number(runner, tmp_path):
    export = tmp_path / "kb.json"
    export.write_text(json.dumps({"format": "kb-export", "version": 1,
                                  "articles": [record("a"), record("b"), record("../c")]}), "utf-8")
    result = runner.invoke(cli, ["import", "--from-export", str(export), "--out", str(tmp_path / "o")])
    assert result.exit_code == 1 and f"{export} (article 3): id: '../c'" in result.output
    assert not (tmp_path / "o").exists()


def test_two_records_for_one_file_are_refused(runner, tmp_path):
    export = write_jsonl(tmp_path / "kb.jsonl", record("a", path="sub/a.md"),
                         record("b", path="sub/a.md"))
    result = runner.invoke(cli, ["import", "--from-export", str(export), "--out", str(tmp_path / "o")])
    assert result.exit_code == 1
    assert f"{export}:2: sub/a.md is also the file of {export}:1" in result.output
    assert not (tmp_path / "o").exists()


def test_plain_ids_and_paths_in_subfolders_are_written(runner, tmp_path):
    export = write_jsonl(tmp_path / "kb.jsonl", record("背中-heat_1.v2"),
                         record("b", path="site/2025/b.md"), record("c", path="c.md"))
    out = tmp_path / "o"
    result = runner.invoke(cli, ["import", "--from-export", str(export), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert files_under(out) == {"背中-heat_1.v2.md", "site", "site/2025", "site/2025/b.md", "c.md"}


# --- symbolic links and special files under --out ----------------------------------------


def test_a_linked_subfolder_does_not_redirect_the_write(runner, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    (out / "sub").symlink_to(elsewhere)
    export = write_jsonl(tmp_path / "kb.jsonl", record("x", path="sub/x.md"))
    for force in ([], ["--force"]):
        result = runner.invoke(cli, ["import", "--from-export", str(export), "--out", str(out), *force])
        assert result.exit_code == 1 and f"{out / 'sub'}: is a symbolic link" in result.output
    assert list(elsewhere.iterdir()) == []


def test_a_link_named_like_the_article_is_not_written_through(runner, tmp_path):
    victim = tmp_path / "victim.md"
    victim.write_text("an editor's work\n", "utf-8")
    out = tmp_path / "out"
    out.mkdir()
    (out / "x.md").symlink_to(victim)
    export = write_jsonl(tmp_path / "kb.jsonl", record("x"))
    result = runner.invoke(cli, ["import", "--from-export", str(export), "--out", str(out), "--force"])
    assert result.exit_code == 1 and f"{out / 'x.md'}: is a symbolic link" in result.output
    assert victim.read_text("utf-8") == "an editor's work\n" and (out / "x.md").is_symlink()


def test_a_page_is_not_written_through_a_link_named_like_it(runner, tmp_path):
    victim = tmp_path / "victim.md"
    victim.write_text("an editor's work\n", "utf-8")
    out = tmp_path / "out"
    out.mkdir()
    (out / f"{SEED_ID}.md").symlink_to(victim)
    result = runner.invoke(cli, ["import", str(SEED), "--out", str(out), "--force"])
    assert result.exit_code == 1 and "is a symbolic link" in result.stderr
    assert victim.read_text("utf-8") == "an editor's work\n"


def test_an_out_folder_that_is_a_link_is_the_users_choice(runner, tmp_path):
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "out").symlink_to(real)
    export = write_jsonl(tmp_path / "kb.jsonl", record("x", path="sub/x.md"))
    result = runner.invoke(cli, ["import", "--from-export", str(export), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert (real / "sub" / "x.md").read_text("utf-8").startswith("---\n")


def test_a_fifo_named_like_the_article_is_refused_without_waiting(runner, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    os.mkfifo(out / f"{SEED_ID}.md")
    unblock = threading.Timer(10, _open_for_reading, [out / f"{SEED_ID}.md"])  # a hang fails
    unblock.start()
    try:
        result = runner.invoke(cli, ["import", str(SEED), "--out", str(out), "--force"])
    finally:
        unblock.cancel()
    assert result.exit_code == 1 and "is not a regular file" in result.stderr
    assert stat.S_ISFIFO(os.stat(out / f"{SEED_ID}.md").st_mode)


def _open_for_reading(path: Path) -> None:
    with open(path, "rb") as f:
        f.read()


@pytest.mark.skipif(os.geteuid() != 0, reason="making a device node needs root")
def test_a_device_named_like_the_article_is_refused(runner, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    os.mknod(out / "x.md", 0o666 | stat.S_IFCHR, os.makedev(1, 3))  # a /dev/null
    export = write_jsonl(tmp_path / "kb.jsonl", record("x"))
    result = runner.invoke(cli, ["import", "--from-export", str(export), "--out", str(out), "--force"])
    assert result.exit_code == 1 and "is not a regular file" in result.output
    assert stat.S_ISCHR(os.stat(out / "x.md").st_mode)


def test_force_replaces_a_regular_article_whole_keeping_its_mode(runner, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "x.md").write_text("old\n", "utf-8")
    os.chmod(out / "x.md", 0o640)
    export = write_jsonl(tmp_path / "kb.jsonl", record("x"))
    result = runner.invoke(cli, ["import", "--from-export", str(export), "--out", str(out), "--force"])
    assert result.exit_code == 0, result.output
    assert (out / "x.md").read_text("utf-8").startswith("---\n")
    assert stat.S_IMODE(os.stat(out / "x.md").st_mode) == 0o640
    assert files_under(out) == {"x.md"}  # no temporary file left


@pytest.mark.parametrize("url", [
    f"https://example.jp/column/{'背中が熱い' * 40}/",
    f"https://example.jp/{'a' * 300}.html",
])
def test_an_article_id_from_a_long_url_is_a_short_file_name(url):
    from kb.files import safe_name
    from kb.ingest.importer import page_article_id

    article_id = page_article_id("pages/page.html", {"url": url})
    assert article_id.startswith(("背中", "aaa"))
    assert safe_name(f"{article_id}.md")  # a plain name, at most 255 bytes
