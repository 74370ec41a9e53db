"""Small helpers shared by the tests (fixtures live in conftest.py)."""

from __future__ import annotations

import hashlib
import sqlite3
import sys
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
ARTICLES = REPO_ROOT / "articles"
SEEDS = Path(__file__).resolve().parent / "fixtures" / "seeds"
PYTHON = sys.executable
BUILD_SCRIPT = REPO_ROOT / "build_index.py"
# A small folder for tests that change articles: two Japanese source articles and an English one.
SMALL_SET = ("hirai-back-heat.md", "comolab-neck-heat.md", "upper-back-heat-en.md")


def sha256(path: Path) -> str:
    """The sha256 of a file's bytes: a database is untouched when this does not change."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def article_text(title: str | None = "テスト記事", body: str = "本文です。\n", **front: Any) -> str:
    """The text of an article: YAML front matter (title first) and a Markdown body."""
    fields = ({"title": title} if title is not None else {}) | front
    lines = ["---", *(f"{k}: {_yaml_value(v)}" for k, v in fields.items()), "---"]
    return "\n".join(lines) + "\n" + body


def write_article(folder: Path, name: str, title: str | None = "テスト記事",
                  body: str = "本文です。\n", **front: Any) -> Path:
    """Write ``folder/name`` as a UTF-8 article and return its path."""
    path = Path(folder) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(article_text(title, body, **front), encoding="utf-8")
    return path


def build_after_rule_change(tmp_path: Path, monkeypatch: Any, variable: str, rules: str,
                            body: str) -> tuple[Path, Any]:
    """Build one article (a second build has nothing to do), then point the environment
    ``variable`` at a rule file holding ``rules`` and build again: the index's path and the
    last build's report."""
    from kb.index import build_index

    folder = tmp_path / "articles"
    write_article(folder, "a.md", title="記事A", body=body)
    db_path = tmp_path / "kb.db"
    build_index(folder, db_path, workers=1)
    assert build_index(folder, db_path, workers=1).analyzed == 0
    rule_file = tmp_path / "rules.txt"
    rule_file.write_text(rules, encoding="utf-8")
    monkeypatch.setenv(variable, str(rule_file))
    return db_path, build_index(folder, db_path, workers=1)


def front_matter(path: Path) -> dict[str, Any]:
    """An article's front matter read with PyYAML alone, independently of kb's parser."""
    text = Path(path).read_text(encoding="utf-8-sig")
    _, source, _ = text.split("---\n", 2)
    return yaml.safe_load(source)


def leftover_temporaries(db_path: Path) -> list[Path]:
    """Temporary build files next to the database (a finished build leaves none)."""
    return sorted(Path(db_path).parent.glob(f".{Path(db_path).name}.*.tmp"))


def fts_rowids(db_path: Path, match: str, table: str = "sections_fts") -> list[int]:
    """Rowids an FTS5 MATCH finds, through a plain sqlite3 connection (no kb code involved)."""
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        return [r[0] for r in conn.execute(
            f"select rowid from {table} where {table} match ?", [match]
        )]
    finally:
        conn.close()


def query_all(db_path: Path, sql: str, params: tuple = ()) -> list[tuple]:
    """Rows of a query through a plain read-only sqlite3 connection."""
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def _yaml_value(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "[" + ", ".join(str(v) for v in value) + "]"
    return str(value)


def obey_permissions() -> None:
    """``preexec_fn`` of a subprocess: file permission bits apply to it even when the tests run
    as root (it loses the capabilities that let root read and search any file or folder, from
    its next ``exec`` on). Nothing to do for another user, whom the bits bind already."""
    import ctypes
    import os

    if os.geteuid() != 0:
        return
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (1, 2):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
        if libc.prctl(24, capability, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
            raise OSError(ctypes.get_errno(), "cannot drop a capability")


def permissions_apply(tmp_path: Path) -> bool:
    """Whether a subprocess started with :func:`obey_permissions` is refused a mode-000 folder
    (false where the capabilities cannot be dropped: then such a test cannot run here)."""
    import subprocess

    probe = tmp_path / "permission-probe"
    probe.mkdir()
    probe.chmod(0)
    try:
        result = subprocess.run([PYTHON, "-c", "import os, sys; os.listdir(sys.argv[1])", str(probe)],
                                preexec_fn=obey_permissions, capture_output=True)
    except (OSError, subprocess.SubprocessError):
        return False
    finally:
        probe.chmod(0o755)
        probe.rmdir()
    return result.returncode != 0
