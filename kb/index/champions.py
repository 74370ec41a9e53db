"""Champion lists: for each common term, the sections where it weighs most, kept at build time.

FTS5 must compute bm25 for every section a query matches before it can return the best ones; a
common word (背中, 首 in a collection about backs and necks) matches half of the index, and that
costs hundreds of milliseconds on 100,000 sections. For the terms found in more than
``CHEAP_DF`` sections that have a list, search takes the best sections from it instead (an
indexed read of a few hundred rows), and FTS5 ranks only the rare terms' matches, within a budget.

A section's weight for a term is BM25's term-frequency part (the idf is the same for every
section of one term's list, so it does not change the order): the term in the heading counts
three times, and counts are saturated and normalized by length. Only occurrences that can put a
section near the top are collected (the term in the heading, or at least twice in the text).
"""

from __future__ import annotations

import heapq
from collections import Counter

import sqlite_utils

# Sections kept per term; search reads up to LIST_READ of them.
LIST_SIZE = 256
LIST_READ = 100
# A full build of fewer articles makes no lists: FTS5 ranks an index that small fast enough.
MIN_ARTICLES = 5000
# A query whose forms match fewer sections than this in all is ranked by FTS5 alone (exact).
FTS_BUDGET = 3000
# Terms in fewer sections than this are always searched through FTS5 (cheap).
CHEAP_DF = 500
# Terms in more sections than this with no list (a synonym group, a reading) are not fetched.
CHAMPION_MIN_DF = 2000
# Column weights and typical lengths (heading, text) for the term-frequency part.
_WEIGHTS = (3.0, 1.0)
_TYPICAL_LENGTH = (8.0, 120.0)
_K1 = 1.2
_B = 0.75


def section_weights(heading_terms: str, body_terms: str) -> list[tuple[str, float]]:
    """The (term, weight) pairs of one section worth a place in a champion list."""
    heading = heading_terms.split()
    body = body_terms.split()
    tf_heading = Counter(heading)
    tf_body = Counter(body)
    norm_heading = 1 - _B + _B * len(heading) / _TYPICAL_LENGTH[0]
    norm_body = 1 - _B + _B * len(body) / _TYPICAL_LENGTH[1]
    pairs = []
    for term in set(tf_heading) | {t for t, n in tf_body.items() if n >= 2}:
        weighted = (_WEIGHTS[0] * tf_heading.get(term, 0) / norm_heading
                    + _WEIGHTS[1] * tf_body.get(term, 0) / norm_body)
        pairs.append((term, round(weighted / (weighted + _K1), 6)))
    return pairs


class ChampionCollector:
    """Keeps, while a full build writes, the best LIST_SIZE sections of every term."""

    def __init__(self) -> None:
        self.heaps: dict[str, list[tuple[float, int]]] = {}

    def add(self, section_id: int, pairs: list[tuple[str, float]]) -> None:
        heaps = self.heaps
        for term, weight in pairs:
            heap = heaps.get(term)
            if heap is None:
                heaps[term] = [(weight, section_id)]
            elif len(heap) < LIST_SIZE:
                heapq.heappush(heap, (weight, section_id))
            elif weight > heap[0][0]:
                heapq.heapreplace(heap, (weight, section_id))

    def write(self, db: sqlite_utils.Database) -> None:
        """Store the lists of the terms common enough to have a full one."""
        rows = [
            (term, weight, section_id)
            for term, heap in self.heaps.items()
            if len(heap) >= LIST_SIZE
            for weight, section_id in heap
        ]
        db.conn.execute("delete from term_champions")
        db.conn.executemany(
            "insert into term_champions (term, weight, section_id) values (?, ?, ?)", rows
        )


def create_table(db: sqlite_utils.Database) -> None:
    """The champion lists' table: read by term, best first; deleted by section."""
    db.execute(
        "create table term_champions (term text not null, weight real not null, "
        "section_id integer not null, primary key (term, weight, section_id)) without rowid"
    )
    db.execute("create index term_champions_section on term_champions (section_id)")


def update(db: sqlite_utils.Database, removed: list[int], added: list[tuple[int, list]]) -> None:
    """An incremental build: drop removed sections, offer new ones to the terms' existing lists.

    Lists are not started for new terms and may come up a little short after deletions; the next
    full build makes them exact again.
    """
    conn = db.conn
    conn.executemany("delete from term_champions where section_id = ?", [(i,) for i in removed])
    for section_id, pairs in added:
        for term, weight in pairs:
            row = conn.execute(
                "select count(*), min(weight) from term_champions where term = ?", [term]
            ).fetchone()
            if not row[0]:
                continue
            if row[0] < LIST_SIZE or weight > row[1]:
                conn.execute(
                    "insert or ignore into term_champions (term, weight, section_id) "
                    "values (?, ?, ?)", [term, weight, section_id],
                )
                if row[0] >= LIST_SIZE:  # the list is full: its weakest section leaves
                    conn.execute(
                        "delete from term_champions where (term, weight, section_id) in "
                        "(select term, weight, section_id from term_champions where term = ? "
                        "order by weight limit 1)",
                        [term],
                    )


def has_lists(db: sqlite_utils.Database) -> bool:
    """True when the index has champion lists (a large index built in full)."""
    return db.execute("select exists (select 1 from term_champions)").fetchone()[0] == 1


def champions(db: sqlite_utils.Database, term: str, limit: int = LIST_READ) -> list[tuple[int, float]]:
    """The best sections for a term, best first, as (section id, weight)."""
    return db.execute(
        "select section_id, weight from term_champions where term = ? order by weight desc limit ?",
        [term, limit],
    ).fetchall()
