"""Champion lists: search by the best sections of common terms gives what full ranking gives.

The real articles are too few for any term to be common, so the thresholds are lowered: every
term in 3 or more sections counts as common, and a list keeps 6 sections.
"""

from __future__ import annotations

import sqlite3

import pytest

from kb import champions
from kb.build import build_index
from kb.query import parse_query
from kb.search import _champion_candidates, _collection_stats, search
from kb.store import open_db

from helpers import ARTICLES, write_article

QUERIES = ["背中が熱い", "首の後ろが熱い", "しびれ 何科", "めまい 原因", "首 背中", "ストレス 熱感"]


@pytest.fixture
def small_lists(monkeypatch):
    monkeypatch.setattr(champions, "LIST_SIZE", 6)
    monkeypatch.setattr(champions, "LIST_READ", 6)


@pytest.fixture
def champion_db(tmp_path, small_lists):
    db_path = tmp_path / "kb.db"
    build_index(ARTICLES, db_path)
    db = open_db(db_path)
    yield db
    db.close()


def test_a_full_build_keeps_lists_for_common_terms_only(champion_db):
    rows = champion_db.execute(
        "select term, count(*), max(weight) from term_champions group by term"
    ).fetchall()
    assert rows, "terms of 6 or more weighty sections get a list"
    assert all(count == 6 for _, count, _ in rows)
    assert all(0 < weight < 1 for _, _, weight in rows)
    best = champions.champions(champion_db, rows[0][0])
    assert [w for _, w in best] == sorted((w for _, w in best), reverse=True)


@pytest.mark.parametrize("query", QUERIES)
def test_champion_search_finds_what_full_ranking_finds(champion_db, monkeypatch, query):
    monkeypatch.setattr(champions, "CHAMPION_MIN_DF", 10**9)
    full = [h.section_id for h in search(champion_db, query, limit=5).hits]
    monkeypatch.setattr(champions, "CHAMPION_MIN_DF", 3)
    parsed = parse_query(query)
    assert _champion_candidates(champion_db, parsed, _collection_stats(champion_db, parsed))
    fast = [h.section_id for h in search(champion_db, query, limit=5).hits]
    assert fast and full
    assert fast[0] == full[0]
    assert len(set(fast) & set(full)) >= 3


def test_an_incremental_build_keeps_lists_in_step(tmp_path, small_lists):
    folder = tmp_path / "articles"
    folder.mkdir()
    for path in ARTICLES.glob("*.md"):
        (folder / path.name).write_bytes(path.read_bytes())
    db_path = tmp_path / "kb.db"
    build_index(folder, db_path)
    removed = next(folder.glob("hirai*.md"))
    removed.unlink()
    write_article(folder, "new.md", title="背中の熱さ",
                  body="## 背中が熱い\n\n背中が熱い。背中が熱い。背中が熱いときの話。\n")
    build_index(folder, db_path)
    conn = sqlite3.connect(db_path)
    try:
        orphans = conn.execute(
            "select count(*) from term_champions where section_id not in (select id from sections)"
        ).fetchone()[0]
        new_ids = {r[0] for r in conn.execute(
            "select s.id from sections s where s.article_id = 'new'")}
        listed = {r[0] for r in conn.execute("select section_id from term_champions")}
    finally:
        conn.close()
    assert orphans == 0  # sections of the removed article left every list
    assert new_ids & listed  # the new, very weighty section entered a list
