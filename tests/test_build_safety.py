"""A build against its surroundings: folders it cannot read or write, a full disk, hostile files,
foreign databases, power loss. Each fails with a message naming the path, the index as it was.

Real conditions throughout: permission bits (made to apply to root too, see
``helpers.obey_permissions``), a file size limit on a real process, real FIFOs and devices.
"""

from __future__ import annotations

import subprocess

import pytest

from kb.build import build_index

from helpers import (PYTHON, leftover_temporaries, obey_permissions, permissions_apply, query_all,
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
