"""One build at a time per database: a second build waits for the first, then builds on its index.

Real processes: ``kb build`` subprocesses, and a plain Python process holding the lock file.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

from kb.index import build_index

from helpers import ARTICLES, PYTHON, leftover_temporaries, query_all, write_article


def kb_build(folder: Path, db_path: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen([PYTHON, "-m", "kb", "build", "--articles", str(folder), "--db",
                             str(db_path), "--workers", "1", *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def article_ids(db_path: Path) -> set[str]:
    return {r[0] for r in query_all(db_path, "select id from articles")}


def test_a_build_waits_while_another_process_holds_the_database(tmp_path):
    folder = tmp_path / "articles"
    write_article(folder, "a.md", "首の熱さ", "首が熱い。\n")
    db_path = tmp_path / "kb.db"
    # another build, as far as the lock is concerned: a process that holds .kb.db.lock
    holder = subprocess.Popen(
        [PYTHON, "-c", "import fcntl, os, sys\n"
                       "fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)\n"
                       "fcntl.flock(fd, fcntl.LOCK_EX)\n"
                       "os.write(fd, str(os.getpid()).encode())\n"
                       "print('locked', flush=True)\n"
                       "sys.stdin.readline()\n",
         str(tmp_path / ".kb.db.lock")],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline() == "locked\n"
        build = kb_build(folder, db_path)
        time.sleep(1.5)  # long enough for the build to run, were it not waiting
        assert build.poll() is None, build.communicate()
        assert not db_path.exists() and leftover_temporaries(db_path) == []
        holder.stdin.write("done\n")
        holder.stdin.flush()
        holder.wait(timeout=10)
        _, stderr = build.communicate(timeout=60)
    finally:
        holder.kill()
    assert build.returncode == 0, stderr
    assert f"waiting for another build of {db_path} (pid {holder.pid})" in stderr
    assert article_ids(db_path) == {"a"}


def test_an_article_added_during_a_full_build_is_kept(tmp_path):
    """The second build waits for the first, so the first cannot replace the index the second
    wrote (which held the new article) with its own, older one."""
    folder = tmp_path / "articles"
    paragraphs = [p for p in (ARTICLES / "hirai-back-heat.md").read_text("utf-8").split("\n\n")
                  if p.strip() and not p.startswith(("#", "---"))]
    # one long article, so that a full build takes a few seconds
    write_article(folder, "long.md", "長い記事", "\n\n".join(paragraphs * 80) + "\n")
    db_path = tmp_path / "kb.db"
    build_index(folder, db_path, workers=1)
    first = kb_build(folder, db_path, "--full")
    try:
        deadline = time.monotonic() + 30
        while not leftover_temporaries(db_path) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert first.poll() is None, "the first build ended before the second could start"
        write_article(folder, "new.md", "新しい記事", "新しい本文。\n")
        second = kb_build(folder, db_path)
        _, second_err = second.communicate(timeout=60)
        _, first_err = first.communicate(timeout=60)
    finally:
        first.kill()
    assert first.returncode == 0 and second.returncode == 0, (first_err, second_err)
    assert article_ids(db_path) == {"long", "new"}
    assert "waiting for another build" in second_err
