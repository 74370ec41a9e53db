"""A build against its surroundings: folders it cannot read or write, a full disk, hostile files,
foreign databases, power loss. Each fails with a message naming the path, the index as it was.

Real conditions throughout: permission bits (made to apply to root too, see
``helpers.obey_permissions``), a file size limit on a real process, real FIFOs and devices.
"""

from __future__ import annotations

import os
import resource
import signal
import sqlite3
import subprocess
from pathlib import Path

import pytest

from kb.index import build_index
from kb.cli import cli

from helpers import (ARTICLES, PYTHON, leftover_temporaries, obey_permissions, permissions_apply, query_all,
                     sha256, write_article)


def kb_build(folder, db_path, *, preexec_fn=None, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([PYTHON, "-m", "kb", "build", "--articles", str(folder), "--db",
                           str(db_path), "--workers", "1"], capture_output=True, text=True,
                          preexec_fn=preexec_fn, timeout=timeout)


def assert_clean_failure(proc: subprocess.CompletedProcess, *named: object) -> None:
    assert proc.returncode == 1, proc.stderr
    for name in named:
        assert str(name) in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr


# --- folders that cannot be read ---------------------------------------------------------------


def test_an_unreadable_folder_of_articles_fails_the_build_naming_it(built, articles_dir, tmp_path):
    if not permissions_apply(tmp_path):
        pytest.skip("permission bits cannot be made to apply to this process (root that cannot "
                    "drop CAP_DAC_OVERRIDE)")
    sub = articles_dir / "sub"
    write_article(sub, "inner.md", "中の記事", "中の本文。\n")
    build_index(articles_dir, built, workers=1)
    digest = sha256(built)
    sub.chmod(0)
    try:
        proc = kb_build(articles_dir, built, preexec_fn=obey_permissions)
    finally:
        sub.chmod(0o755)
    assert_clean_failure(proc, f"{sub}: this folder of articles cannot be read")
    assert sha256(built) == digest
    assert ("inner",) in query_all(built, "select id from articles")


# --- article files that never end, block, or are too large -------------------------------------


def build_output(runner, articles_dir, db_path, **env: str):
    result = runner.invoke(cli, ["build", "--articles", str(articles_dir), "--db", str(db_path),
                                 "--workers", "1"], env=env)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def test_an_article_over_the_size_limit_is_refused_naming_the_limit(built, articles_dir, runner):
    digest = sha256(built)
    big = articles_dir / "huge.md"
    with big.open("wb") as f:
        f.truncate(100_000_000)  # 100 MB (sparse: nothing is written, and nothing must be read)
    result = build_output(runner, articles_dir, built)
    assert result.exit_code == 1
    assert f"{big}: is larger than 10,000,000 bytes, the limit for an article" in result.output
    assert "KB_MAX_ARTICLE_BYTES" in result.output
    assert sha256(built) == digest


def test_the_size_limit_is_set_by_kb_max_article_bytes(built, articles_dir, runner):
    digest = sha256(built)
    article = write_article(articles_dir, "long.md", "長い記事", "本文です。\n" * 200)
    result = build_output(runner, articles_dir, built, KB_MAX_ARTICLE_BYTES="1000")
    assert result.exit_code == 1
    assert f"{article}: is larger than 1,000 bytes" in result.output
    assert sha256(built) == digest
    assert build_output(runner, articles_dir, built, KB_MAX_ARTICLE_BYTES="100000").exit_code == 0
    result = build_output(runner, articles_dir, built, KB_MAX_ARTICLE_BYTES="ten")
    assert result.exit_code == 1 and "KB_MAX_ARTICLE_BYTES='ten'" in result.output


def test_a_file_longer_than_its_size_says_is_read_only_up_to_the_limit(built, articles_dir, runner):
    """/proc/cpuinfo is a regular file of size 0 with text in it: only reading tells its length."""
    if not Path("/proc/cpuinfo").is_file() or len(Path("/proc/cpuinfo").read_bytes()) < 200:
        pytest.skip("no /proc/cpuinfo here to stand for a file that grows while it is read")
    (articles_dir / "cpu.md").symlink_to("/proc/cpuinfo")
    result = build_output(runner, articles_dir, built, KB_MAX_ARTICLE_BYTES="100")
    assert result.exit_code == 1
    assert f"{articles_dir / 'cpu.md'}: is larger than 100 bytes" in result.output


@pytest.mark.parametrize("kind", ["symlink-to-dev-zero", "fifo", "broken-symlink"])
def test_an_article_that_is_no_regular_file_is_reported_not_skipped(built, articles_dir, kind):
    digest = sha256(built)
    path = articles_dir / "odd.md"
    if kind == "fifo":
        os.mkfifo(path)
        words = "is a FIFO"
    elif kind == "symlink-to-dev-zero":
        path.symlink_to("/dev/zero")
        words = "is a character device"
    else:
        path.symlink_to(articles_dir / "nowhere.md")
        words = "cannot be read: No such file or directory"
    proc = kb_build(articles_dir, built, timeout=30)  # a FIFO opened for reading would block
    assert_clean_failure(proc, f"{path}: {words}")
    assert sha256(built) == digest


def test_kb_check_of_dev_zero_ends_with_a_message(built, tmp_path):
    draft = tmp_path / "draft.md"
    draft.symlink_to("/dev/zero")
    proc = subprocess.run([PYTHON, "-m", "kb", "check", str(draft), "--db", str(built)],
                          capture_output=True, text=True, timeout=30)
    assert proc.returncode == 2
    assert f"{draft}: is a character device" in proc.stderr


# --- a database kb did not build ---------------------------------------------------------------


@pytest.mark.parametrize("meta", [[("owner", "accounting")], [("schema_version", "3")]],
                         ids=["other-keys", "schema-version-alone"])
def test_a_foreign_database_with_a_kb_meta_table_is_not_replaced(tmp_path, runner, meta):
    folder = tmp_path / "articles"
    write_article(folder, "a.md")
    target = tmp_path / "ledger.db"
    conn = sqlite3.connect(target)
    conn.execute("create table kb_meta (key text primary key, value text)")
    conn.executemany("insert into kb_meta values (?, ?)", meta)
    conn.execute("create table invoices (id integer primary key, amount real)")
    conn.execute("insert into invoices (amount) values (12.5)")
    conn.commit()
    conn.close()
    digest = sha256(target)
    result = build_output(runner, folder, target)
    assert result.exit_code == 1
    assert f"{target}: exists and is not a kb index" in result.output
    assert sha256(target) == digest
    result = runner.invoke(cli, ["search", "本文", "--db", str(target)])
    assert result.exit_code == 1 and f"{target}: not a kb index" in result.output


# --- a folder that cannot be written, a full disk ----------------------------------------------


def file_size_limit(limit: int):
    """``preexec_fn``: writes past ``limit`` bytes fail with EFBIG, as on a full disk (SIGXFSZ,
    which would kill the process instead, is ignored)."""

    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)

    return apply


@pytest.mark.parametrize("first_build", [True, False], ids=["first-build", "update"])
def test_a_full_disk_fails_the_build_with_a_message(built, articles_dir, tmp_path, first_build):
    db_path = tmp_path / "new.db" if first_build else built
    digest = None if first_build else sha256(built)
    write_article(articles_dir, "new.md", "新しい記事", "新しい本文。\n")
    proc = kb_build(articles_dir, db_path, preexec_fn=file_size_limit(64_000))
    assert_clean_failure(proc, db_path, "the build stopped", "was not changed")
    assert leftover_temporaries(db_path) == []
    if first_build:
        assert not db_path.exists()
    else:
        assert sha256(built) == digest


def test_an_unwritable_folder_for_the_index_is_named(articles_dir, tmp_path):
    if not permissions_apply(tmp_path):
        pytest.skip("permission bits cannot be made to apply to this process (root that cannot "
                    "drop CAP_DAC_OVERRIDE)")
    folder = tmp_path / "readonly"
    folder.mkdir(mode=0o555)
    proc = kb_build(articles_dir, folder / "kb.db", preexec_fn=obey_permissions)
    assert_clean_failure(proc, f"{folder}: cannot write in this folder (Permission denied)")
    assert list(folder.iterdir()) == []


def test_an_index_path_below_a_file_is_named(articles_dir, tmp_path, runner):
    (tmp_path / "notes").write_text("a file, not a folder\n", encoding="utf-8")
    result = build_output(runner, articles_dir, tmp_path / "notes" / "kb.db")
    assert result.exit_code == 1
    assert f"{tmp_path / 'notes'}: is a file, not a folder" in result.output


# --- power loss: what reaches the disk, in which order -----------------------------------------


def test_the_new_index_is_synced_before_it_replaces_the_old_and_the_folder_after(
        built, articles_dir, monkeypatch):
    """Every os.fsync the build makes is let through and recorded with what it synced and the
    state of both files at that moment (SQLite syncs nothing: synchronous=OFF)."""
    write_article(articles_dir, "new.md", "新しい記事", "新しい本文。\n")
    old_digest = sha256(built)
    synced = []
    real_fsync = os.fsync

    def recording_fsync(fd: int) -> None:
        path = Path(os.readlink(f"/proc/self/fd/{fd}"))
        if path.is_file():  # the file being synced: complete, with the new article?
            ids = {r[0] for r in query_all(path, "select id from articles")}
            integrity = query_all(path, "pragma integrity_check")
            synced.append(("file", path, "new" in ids and integrity == [("ok",)], sha256(built)))
        else:
            synced.append(("folder", path, None, sha256(built)))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", recording_fsync)
    build_index(articles_dir, built, workers=1)
    new_digest = sha256(built)
    assert new_digest != old_digest
    assert len(synced) == 2, synced
    (kind, path, complete, db_then), (kind2, folder, _, db_later) = synced
    assert kind == "file" and path.name.startswith(f".{built.name}.") and path.suffix == ".tmp"
    assert complete and db_then == old_digest  # the whole new index, before the rename
    assert kind2 == "folder" and folder == built.parent and db_later == new_digest


# --- memory: flat per article ------------------------------------------------------------------

GROWTH_SCRIPT = r"""
import resource, sys
from kb.analysis import get_analyzer
from kb.index.build import analyze_article
from kb.articles import parse_article
body = open(sys.argv[1], encoding="utf-8").read().split("---\n", 2)[2]
text = "\n".join(line for line in body.splitlines() if line.strip() and not line.startswith("#"))
def article(times):
    source = "---\ntitle: 長い記事\n---\n" + "\n".join([text] * times)
    return parse_article(source.encode(), "long.md")
get_analyzer().japanese
small, big = article(25), article(100)
analyze_article(small)  # every word of the text seen: the analyzer's caches are full
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
analyze_article(big)
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(len(big.sections[0].text.encode()), after - before)
"""


def test_the_memory_analysis_needs_grows_little_with_the_length_of_a_section():
    """Peak memory a 1.6 MB section adds to the analysis of a 0.4 MB one of the same words (so
    the analyzer's caches are already full): Sudachi's morpheme lists, kept for the whole
    section until its facts were read, cost over a hundred bytes per byte of text."""
    proc = subprocess.run([PYTHON, "-c", GROWTH_SCRIPT, str(ARTICLES / "hirai-back-heat.md")],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    size, growth = map(int, proc.stdout.split())
    assert size > 1_500_000
    assert growth < 40 * size, f"{growth / 2**20:.0f} MiB for a {size / 1e6:.1f} MB section"
