"""Builds: the schema, plain-SQLite search, build_index.py, incremental and atomic updates."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from kb.index import BuildFailed, build_index
from kb.cli import cli
from kb.search import search
from kb.index import open_db

from helpers import (ARTICLES, BUILD_SCRIPT, PYTHON, SMALL_SET, fts_rowids, leftover_temporaries,
                     query_all, sha256, write_article)

DATA_TABLES = {"articles", "sections", "qa", "facts"}
FTS_TABLES = {"sections_fts", "qa_fts"}


def dump(db_path: Path) -> dict[str, list[tuple]]:
    """Everything a build writes, keyed by article and position (row ids may differ)."""
    return {
        "articles": query_all(db_path, "select id, path, title, lang, site, url, author, published, "
                              "updated, category, tags, translation_of, meta, content_hash, "
                              "section_count, qa_count from articles order by id"),
        "sections": query_all(db_path, "select s.article_id, s.position, s.level, s.heading, "
                              "s.heading_path, s.text, s.markdown, s.line, s.anchor, s.is_qa, s.lang, "
                              "f.heading, f.body, f.context, f.alts, f.readings from sections s "
                              "join sections_fts f on f.rowid = s.id order by 1, 2"),
        "qa": query_all(db_path, "select s.article_id, s.position, q.label, q.question, q.answer, "
                        "f.question, f.answer, f.alts, f.readings from qa q "
                        "join sections s on s.id = q.section_id join qa_fts f on f.rowid = q.id "
                        "order by 1, 2"),
        "facts": query_all(db_path, "select article_id, symptom, cause, relation, evidence, curated "
                           "from facts order by 1, 2, 3"),
    }


def article_ids_found(db_path: Path, query: str) -> set[str]:
    db = open_db(db_path)
    try:
        return {h.article_id for h in search(db, query, limit=100).hits}
    finally:
        db.close()


def assert_consistent(db_path: Path) -> None:
    """Every FTS row belongs to a stored unit and every unit has its FTS row."""
    for table, fts in (("sections", "sections_fts"), ("qa", "qa_fts")):
        ids = {r[0] for r in query_all(db_path, f"select id from {table}")}
        assert ids == {r[0] for r in query_all(db_path, f"select rowid from {fts}")}, table
    counts = query_all(db_path, "select coalesce(sum(section_count), 0), coalesce(sum(qa_count), 0) "
                       "from articles")[0]
    assert counts == (len(query_all(db_path, "select id from sections")),
                      len(query_all(db_path, "select id from qa")))


# --- schema and plain SQLite -------------------------------------------------------------------


def test_a_build_creates_the_tables_and_fts5_tables(built_db):
    rows = query_all(built_db, "select name, type, sql from sqlite_master")
    names = {name for name, _, _ in rows}
    assert DATA_TABLES | FTS_TABLES <= names
    for name, _, sql in rows:
        if name in FTS_TABLES:  # a tokenizer every SQLite build has: no custom one
            tokenizer = re.search(r"tokenize\s*=\s*'(\w+)", sql)
            assert "using fts5" in sql.lower() and tokenizer
            assert tokenizer.group(1) in ("ascii", "unicode61")


def test_every_stored_term_is_one_fts_token(built_db):
    # what search compares in Python (space-separated terms) is what FTS5 indexed
    conn = sqlite3.connect(built_db)
    try:
        conn.execute("create virtual table temp.v using fts5vocab(main, 'sections_fts', 'row')")
        vocabulary = {row[0] for row in conn.execute("select term from temp.v")}
        stored = set()
        for row in conn.execute("select heading, body, context, alts, readings from sections_fts"):
            for value in row:
                stored.update((value or "").split())
    finally:
        conn.close()
    assert stored and stored == vocabulary


def test_the_database_passes_integrity_checks(built_db, tmp_path):
    copy = tmp_path / "copy.db"
    shutil.copy(built_db, copy)
    conn = sqlite3.connect(copy)
    try:
        assert conn.execute("pragma integrity_check").fetchone() == ("ok",)
        for table in FTS_TABLES:  # raises when the FTS index and its content disagree
            conn.execute(f"insert into {table}({table}) values('integrity-check')")
    finally:
        conn.close()
    assert_consistent(built_db)


@pytest.mark.parametrize(
    "match, article_id, heading",
    [
        ("背中 熱い", "hirai-back-heat", "生活リズムを整えて質の良い睡眠を確保する"),
        ("首 熱い", "comolab-neck-heat", "交感神経が刺激されて首が熱くなる"),
        ("痺れ 手足", "hands-feet-numbness", "手足のしびれとはどのような状態か"),
        ("stretch shoulder", "upper-back-heat-en", "Stretch the shoulder blades regularly"),
    ],
)
def test_plain_sqlite_finds_sections_with_pre_analyzed_terms(built_db, match, article_id, heading):
    rowids = fts_rowids(built_db, match)
    assert rowids
    found = query_all(built_db, f"select article_id, heading from sections where id in "
                      f"({','.join(map(str, rowids))})")
    assert (article_id, heading) in found


def test_plain_sqlite_finds_qa_pairs(built_db):
    rowids = fts_rowids(built_db, "ストレス 背中", table="qa_fts")
    questions = {r[0] for r in query_all(
        built_db, f"select question from qa where id in ({','.join(map(str, rowids))})")}
    assert "ストレスが原因で背中だけが熱くなることはありますか?" in questions


def test_the_index_matches_the_articles_folder(built_db):
    from kb.articles import parse_article_file

    stored = {r[0]: r[1:] for r in query_all(built_db, "select id, title, path from articles")}
    files = sorted(ARTICLES.glob("*.md"))
    assert set(stored) == {p.stem for p in files}
    for path in files:
        article = parse_article_file(path, ARTICLES)
        assert stored[article.id] == (article.title, path.name)
        headings = [r[0] for r in query_all(
            built_db, "select heading from sections where article_id = ? order by position", (article.id,))]
        assert headings == [s.heading for s in article.sections]


# --- build_index.py is kb build ----------------------------------------------------------------


def test_build_index_py_works_like_kb_build(articles_dir, tmp_path, runner):
    by_script = tmp_path / "script.db"
    by_cli = tmp_path / "cli.db"
    proc = subprocess.run([PYTHON, str(BUILD_SCRIPT), "--articles", str(articles_dir), "--db",
                           str(by_script), "--json"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert (report["articles"], report["analyzed"]) == (len(SMALL_SET), len(SMALL_SET))
    result = runner.invoke(cli, ["build", "--articles", str(articles_dir), "--db", str(by_cli),
                                 "--workers", "1", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["analyzed"] == len(SMALL_SET)
    assert dump(by_script) == dump(by_cli)


@pytest.mark.parametrize("command", [[str(BUILD_SCRIPT)], ["-m", "kb", "build"]],
                         ids=["build_index.py", "python-m-kb-build"])
def test_build_defaults_to_articles_and_kb_db(articles_dir, tmp_path, command):
    assert articles_dir == tmp_path / "articles"
    proc = subprocess.run([PYTHON, *command, "--quiet"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "kb.db").is_file()
    assert "hirai-back-heat" in article_ids_found(tmp_path / "kb.db", "背中が熱い")


def test_build_index_py_help_is_the_build_help():
    proc = subprocess.run([PYTHON, str(BUILD_SCRIPT), "--help"], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0
    for option in ("--articles", "--db", "--full", "--workers"):
        assert option in proc.stdout


# --- incremental builds ------------------------------------------------------------------------


def test_a_second_build_analyzes_nothing(built, articles_dir):
    before = dump(built)
    report = build_index(articles_dir, built, workers=1)
    assert (report.analyzed, report.unchanged, report.removed) == (0, len(SMALL_SET), 0)
    assert not report.full
    assert dump(built) == before


def test_a_second_build_through_the_cli_reports_nothing_analyzed(built, articles_dir, runner):
    result = runner.invoke(cli, ["build", "--articles", str(articles_dir), "--db", str(built),
                                 "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["analyzed"], report["unchanged"]) == (0, len(SMALL_SET))


EDITS = [
    # file, a word only that article uses, the word that replaces it
    ("upper-back-heat-en.md", "rhomboids", "zucchini"),
    ("hirai-back-heat.md", "マグネシウム", "ブロッコリー"),
    ("comolab-neck-heat.md", "ノルアドレナリン", "アボカド"),
]


@pytest.mark.parametrize("name, old, new", EDITS, ids=[e[0] for e in EDITS])
def test_changing_one_article_reanalyzes_only_it(built, articles_dir, tmp_path, name, old, new):
    article_id = Path(name).stem
    assert article_ids_found(built, old) == {article_id}
    assert article_ids_found(built, new) == set()
    path = articles_dir / name
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")

    report = build_index(articles_dir, built, workers=1)

    assert (report.analyzed, report.unchanged, report.removed) == (1, len(SMALL_SET) - 1, 0)
    assert article_ids_found(built, new) == {article_id}
    assert article_ids_found(built, old) == set()
    assert_consistent(built)
    # the same as building the changed folder from scratch
    fresh = tmp_path / "fresh.db"
    build_index(articles_dir, fresh, workers=1)
    assert dump(built) == dump(fresh)


@pytest.mark.parametrize("name", SMALL_SET)
def test_removing_a_file_removes_its_rows(built, articles_dir, name):
    article_id = Path(name).stem
    (articles_dir / name).unlink()

    report = build_index(articles_dir, built, workers=1)

    assert (report.removed, report.analyzed, report.unchanged) == (1, 0, len(SMALL_SET) - 1)
    for table, key in (("articles", "id"), ("sections", "article_id"), ("qa", "article_id"),
                       ("facts", "article_id")):
        assert query_all(built, f"select count(*) from {table} where {key} = ?", (article_id,)) == [(0,)]
    assert_consistent(built)
    for query in ("背中が熱い", "首の後ろが熱い", "upper back heat"):
        assert article_id not in article_ids_found(built, query)


def test_adding_a_file_analyzes_only_it(built, articles_dir):
    write_article(articles_dir, "new-article.md", "ズッキーニの話", "## ズッキーニ\n\nズッキーニは夏の野菜です。\n")
    report = build_index(articles_dir, built, workers=1)
    assert (report.analyzed, report.unchanged, report.articles) == (1, len(SMALL_SET), len(SMALL_SET) + 1)
    assert article_ids_found(built, "ズッキーニ") == {"new-article"}


def test_moving_a_file_into_a_sub_folder_keeps_the_article(built, articles_dir):
    (articles_dir / "sub").mkdir()
    (articles_dir / "hirai-back-heat.md").rename(articles_dir / "sub" / "hirai-back-heat.md")
    report = build_index(articles_dir, built, workers=1)
    assert (report.analyzed, report.removed) == (1, 1)
    assert query_all(built, "select path from articles where id = 'hirai-back-heat'") == [
        ("sub/hirai-back-heat.md",)]
    assert_consistent(built)


@pytest.mark.parametrize("how", ["api", "cli"])
def test_full_reanalyzes_every_article(built, articles_dir, runner, how):
    before = dump(built)
    if how == "api":
        report = build_index(articles_dir, built, full=True, workers=1)
        analyzed, full = report.analyzed, report.full
    else:
        result = runner.invoke(cli, ["build", "--articles", str(articles_dir), "--db", str(built),
                                     "--full", "--workers", "1", "--json"])
        assert result.exit_code == 0, result.output
        report = json.loads(result.stdout)
        analyzed, full = report["analyzed"], report["full"]
    assert analyzed == len(SMALL_SET)
    assert full is True
    assert dump(built) == before


# --- atomic builds -----------------------------------------------------------------------------


def _generate_corpus(folder: Path, count: int = 300) -> None:
    """``count`` small articles made of paragraphs of the real ones."""
    paragraphs = []
    for name in ("hirai-back-heat.md", "comolab-neck-heat.md", "dizziness.md"):
        body = (ARTICLES / name).read_text(encoding="utf-8").split("---\n", 2)[2]
        paragraphs += [p for p in body.split("\n\n") if p.strip() and not p.startswith("#")]
    for i in range(count):
        chosen = [paragraphs[(i * 7 + k) % len(paragraphs)] for k in range(10)]
        body = "\n\n".join(f"## 見出し{i}-{k}\n\n{p}" for k, p in enumerate(chosen)) + "\n"
        write_article(folder, f"generated-{i:03}.md", f"生成した記事{i}", body, site="生成")


def test_a_killed_build_leaves_the_previous_database_untouched(built, articles_dir, tmp_path):
    before = sha256(built)
    _generate_corpus(articles_dir)
    proc = subprocess.Popen(
        [PYTHON, "-m", "kb", "build", "--articles", str(articles_dir), "--db", str(built),
         "--workers", "1", "--quiet"],
        cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while not leftover_temporaries(built) and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(1.0)  # the build is now analyzing and writing its copy
        assert proc.poll() is None, "the build finished before it could be killed"
        assert leftover_temporaries(built), "the build never started its temporary copy"
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait(timeout=30)
        proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL

    assert sha256(built) == before
    assert article_ids_found(built, "背中が熱い") >= {"hirai-back-heat"}
    assert not any(a.startswith("generated") for a in article_ids_found(built, "背中が熱い"))

    report = build_index(articles_dir, built, workers=1)
    assert report.analyzed == 300 and report.unchanged == len(SMALL_SET)
    assert leftover_temporaries(built) == []  # the killed build's copy is cleaned up
    assert "generated-000" in article_ids_found(built, "生成した記事")
    assert_consistent(built)


@pytest.mark.parametrize("with_valid_change", [False, True], ids=["invalid-only", "valid-and-invalid"])
def test_a_failed_build_leaves_the_database_untouched(built, articles_dir, with_valid_change):
    before = sha256(built)
    if with_valid_change:
        write_article(articles_dir, "valid.md", "ズッキーニ", "ズッキーニの本文。\n")
    bad = articles_dir / "zz-bad.md"
    bad.write_text("---\ntitle: [unclosed\n---\n本文\n", encoding="utf-8")
    with pytest.raises(BuildFailed) as info:
        build_index(articles_dir, built, workers=1)
    assert str(bad) in str(info.value)
    assert sha256(built) == before
    assert leftover_temporaries(built) == []
    assert article_ids_found(built, "ズッキーニ") == set()

    bad.unlink()
    report = build_index(articles_dir, built, workers=1)  # a later build succeeds
    assert report.analyzed == (1 if with_valid_change else 0)


def test_a_failed_first_build_creates_no_database(articles_dir, db_path):
    (articles_dir / "bad.md").write_text("no front matter, no title\n", encoding="utf-8")
    with pytest.raises(BuildFailed):
        build_index(articles_dir, db_path, workers=1)
    assert not db_path.exists()
    assert leftover_temporaries(db_path) == []


def test_a_build_with_nothing_to_do_leaves_the_index_file_alone(built, articles_dir):
    """Nothing changed: the index is neither copied nor replaced (same file, same bytes); a
    changed boilerplate setting is a change."""
    from helpers import sha256

    inode, digest = built.stat().st_ino, sha256(built)
    report = build_index(articles_dir, built, workers=1)
    assert (report.analyzed, report.unchanged) == (0, len(SMALL_SET))
    assert (built.stat().st_ino, sha256(built)) == (inode, digest)
    build_index(articles_dir, built, workers=1, boilerplate_articles=5)
    assert built.stat().st_ino != inode


def test_article_files_are_found_in_sub_folders_skipping_hidden_ones(tmp_path):
    from kb.index.build import find_article_files, relative_names

    for name in ("b.md", "a/z.md", "a-b/y.md", "a/c/x.md", ".hidden/h.md", "a/.draft.md",
                 "notes.txt", "a/README.MD"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x", "utf-8")
    (tmp_path / "folder.md").mkdir()  # a folder named like an article
    files = find_article_files(tmp_path)
    # in the order of their path's parts (a build writes them, and numbers sections, so)
    assert relative_names(files, tmp_path) == ["a/c/x.md", "a/z.md", "a-b/y.md", "b.md"]
