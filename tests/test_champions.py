"""Champion lists: search by the best sections of common terms finds what full ranking finds.

A generated corpus of 1,300 sections (bench/corpus.py recombines the real articles, so the
same words recur everywhere) stands in for a large collection; the thresholds are scaled down
with it: lists of 40 sections, terms in more than 20 sections count as common.
"""

from __future__ import annotations

import sqlite3
import statistics
import sys
from pathlib import Path

import pytest

from kb.index import champions
from kb.index import build_index
from kb.search import parse_query
from kb.search import search
from kb.search.rank import champion_candidates, collection_stats
from kb.index import open_db

from helpers import write_article

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.corpus import generate_corpus  # noqa: E402

QUERIES = ["背中が熱い", "首の後ろが熱い", "しびれ 何科", "めまい 原因", "首 背中", "ストレス 熱感",
           "ストレスで首が熱くなる", "手足のしびれ 危険なサイン", "背中が熱い -更年期",
           '"自律神経の乱れ" めまい']


def use_lists(monkeypatch, on: bool) -> None:
    monkeypatch.setattr(champions, "FTS_BUDGET", 300 if on else 10**9)
    monkeypatch.setattr(champions, "CHEAP_DF", 20 if on else 10**9)
    monkeypatch.setattr(champions, "CHAMPION_MIN_DF", 80)


@pytest.fixture(scope="module")
def corpus_db(tmp_path_factory):
    folder = tmp_path_factory.mktemp("corpus")
    generate_corpus(folder / "articles", mb=1)
    db_path = folder / "kb.db"
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(champions, "LIST_SIZE", 40)
        mp.setattr(champions, "MIN_ARTICLES", 10)
        build_index(folder / "articles", db_path)
    db = open_db(db_path)
    yield db
    db.close()


@pytest.fixture(autouse=True)
def short_reads(monkeypatch):
    monkeypatch.setattr(champions, "LIST_SIZE", 40)
    monkeypatch.setattr(champions, "LIST_READ", 40)
    monkeypatch.setattr(champions, "MIN_ARTICLES", 10)


def test_a_full_build_keeps_full_lists_best_first(corpus_db):
    rows = corpus_db.execute(
        "select term, count(*), min(weight), max(weight) from term_champions group by term"
    ).fetchall()
    assert len(rows) > 10
    assert all(count == 40 for _, count, _, _ in rows)
    assert all(0 < low <= high < 1 for _, _, low, high in rows)
    best = champions.champions(corpus_db, rows[0][0])
    assert [w for _, w in best] == sorted((w for _, w in best), reverse=True)


def test_champion_search_finds_what_full_ranking_finds(corpus_db, monkeypatch):
    overlaps = []
    for query in QUERIES:
        use_lists(monkeypatch, False)
        full = [h.section_id for h in search(corpus_db, query, limit=10).hits]
        use_lists(monkeypatch, True)
        parsed = parse_query(query)
        assert champion_candidates(corpus_db, parsed, collection_stats(corpus_db, parsed)), query
        fast = [h.section_id for h in search(corpus_db, query, limit=10).hits]
        assert fast and fast[0] in full[:3], query
        overlaps.append(len(set(fast) & set(full)))
    assert statistics.mean(overlaps) >= 5


@pytest.mark.parametrize("query", ["背中が熱い -更年期", "めまい -耳"])
def test_champion_search_keeps_exclusions(corpus_db, monkeypatch, query):
    use_lists(monkeypatch, True)
    word = query.split(" -")[1]
    hits = search(corpus_db, query, limit=30).hits
    assert hits
    conn = corpus_db.conn
    for hit in hits:
        row = conn.execute("select heading, body, context, alts, readings from sections_fts "
                           "where rowid = ?", [hit.section_id]).fetchone()
        assert word not in " ".join(v or "" for v in row).split()


def test_champion_search_keeps_required_phrases(corpus_db, monkeypatch):
    use_lists(monkeypatch, True)
    hits = search(corpus_db, '"自律神経の乱れ" めまい', limit=30).hits
    assert hits
    for hit in hits:
        body = corpus_db.conn.execute(
            "select heading || ' ' || body || ' ' || context from sections_fts where rowid = ?",
            [hit.section_id]).fetchone()[0]
        assert "自律 神経 乱れ" in body


def test_an_incremental_build_keeps_lists_in_step(tmp_path):
    folder = tmp_path / "articles"
    generate_corpus(folder, mb=0.5)
    db_path = tmp_path / "kb.db"
    build_index(folder, db_path)
    removed = sorted(folder.glob("*.md"))[0]
    removed.unlink()
    write_article(folder, "new.md", title="背中の熱さ",
                  body="## 背中が熱い\n\n背中が熱い。背中が熱い。背中が熱いときの話。\n")
    build_index(folder, db_path)
    conn = sqlite3.connect(db_path)
    try:
        orphans = conn.execute(
            "select count(*) from term_champions where section_id not in (select id from sections)"
        ).fetchone()[0]
        new_ids = {r[0] for r in conn.execute("select id from sections where article_id = 'new'")}
        listed = {r[0] for r in conn.execute("select section_id from term_champions")}
        sizes = {r[0] for r in conn.execute("select count(*) from term_champions group by term")}
    finally:
        conn.close()
    assert orphans == 0  # the removed article's sections left every list
    assert new_ids & listed  # the new, very weighty section entered a list
    assert max(sizes) <= 40


def test_a_small_index_has_no_lists_and_searches_exactly(tmp_path, monkeypatch):
    monkeypatch.setattr(champions, "MIN_ARTICLES", 10**6)
    folder = tmp_path / "articles"
    generate_corpus(folder, mb=0.3)
    db_path = tmp_path / "kb.db"
    build_index(folder, db_path)
    db = open_db(db_path)
    try:
        assert not champions.has_lists(db)
        use_lists(monkeypatch, True)
        parsed = parse_query("背中が熱い")
        assert champion_candidates(db, parsed, collection_stats(db, parsed)) is None
        assert search(db, "背中が熱い").hits
    finally:
        db.close()
