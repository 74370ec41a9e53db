"""Every question about duplicates, answered from the index: the list (``kb duplicates``), a
draft's repeats (``kb check``), one article's matches (the export, the article page) and the
duplicates and boilerplate pages, a page at a time.

Outside the engine (kb/duplicates/engine.py, signing.py and clustering.py, which write the
duplicate tables and read them only to update them), this module alone reads ``duplicates``,
``duplicate_clusters``, ``duplicate_places`` and ``dup_signatures``. Matches are
shown two ways: a *pair* (a loose match, or a cluster of two places) with its two sides, and a
*group* (a cluster in more than two places, or boilerplate) with all its places, which its
closest match stands for where one entry is wanted.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from typing import Any

import numpy as np
import sqlite_utils

from .clustering import unit_key
from .minhash import lsh_query, shingle_hashes
from .stored import StoredTexts, load_units
from .units import (
    HASHER, MIN_SHINGLES, NEAR_THRESHOLD, SHINGLE_SIZE, Unit, is_copy, lsh_bands, overlap,
    text_hash,
)

Place = tuple[str, int, int | None]  # (article id, section id, paragraph or None)

# The one rule that makes a cluster (``c``) a group rather than a pair: boilerplate, or text in
# more than two places. A cluster of two places reads best as its one match, side by side.
IS_GROUP = "(c.kind = 'boilerplate' or c.places > 2)"

# every match (``d``) with its cluster, if it has one
_MATCHES = "duplicates d left join duplicate_clusters c on c.id = d.cluster_id"
_MATCH_COLUMNS = ("d.kind, d.similarity, d.containment, d.a_article_id, d.a_section_id, "
                  "d.a_paragraph, d.b_article_id, d.b_section_id, d.b_paragraph, d.shared, d.id")
_CLOSEST_FIRST = "d.similarity desc, d.containment desc, d.id"
_GROUP_COLUMNS = "c.id, c.kind, c.places, c.articles, c.similarity, c.sample"
_WIDEST_FIRST = "c.articles desc, c.places desc, c.id"


def _filters(article_id: str | None, kind: str | None, min_similarity: float = 0.0
             ) -> tuple[str, str, dict[str, Any]]:
    """SQL conditions for pairs (on ``d`` and ``c`` of ``_MATCHES``) and for groups (on
    ``duplicate_clusters c``) of one article, of one kind, at least this similar; and their
    parameters."""
    pair_where = [f"(c.id is null or not {IS_GROUP})"]
    group_where = [IS_GROUP]
    if min_similarity:
        pair_where.append("d.similarity >= :min")
        group_where.append("c.similarity >= :min")
    if article_id:
        pair_where.append("(d.a_article_id = :article or d.b_article_id = :article)")
        group_where.append(
            "c.id in (select cluster_id from duplicate_places where article_id = :article)")
    if kind:
        pair_where.append("d.kind = :kind")
        group_where.append("c.kind = :kind")
    params = {"article": article_id, "kind": kind, "min": min_similarity}
    return " and ".join(pair_where), " and ".join(group_where), params


def list_duplicates(db: sqlite_utils.Database, *, min_similarity: float = 0.0,
                    article_id: str | None = None, kind: str | None = None) -> list[dict]:
    """Matches, most similar first, in the DESIGN contract's shape; text found in many places is
    one entry (its closest match's two places as ``a`` and ``b``, all of them in ``places``).
    The filters are SQL (an index holds hundreds of thousands of matches), and the sides are
    read in one query."""
    conn = db.conn
    pair_where, group_where, params = _filters(article_id, kind, min_similarity)
    rows = conn.execute(f"select {_MATCH_COLUMNS} from {_MATCHES} where {pair_where}",
                        params).fetchall()
    groups = {r[0]: r[1:] for r in conn.execute(
        f"select c.id, c.kind, c.similarity from duplicate_clusters c where {group_where}", params)}
    chosen = json.dumps(sorted(groups))
    # each group's closest match stands for it (its two places and what they share)
    firsts = conn.execute(
        f"""select * from (select {_MATCH_COLUMNS}, d.cluster_id, row_number() over (partition
              by d.cluster_id order by {_CLOSEST_FIRST}) as n
            from duplicates d where d.cluster_id in (select value from json_each(?)))
            where n = 1""", [chosen]).fetchall()
    places: dict[int, list[Place]] = {}
    for cluster_id, *place in conn.execute(
        "select cluster_id, article_id, section_id, paragraph from duplicate_places "
        "where cluster_id in (select value from json_each(?)) order by rowid", [chosen]
    ):
        places.setdefault(cluster_id, []).append(tuple(place))
    entries = [(row, None) for row in rows] + [(row[:11], row[11]) for row in firsts]
    entries.sort(key=lambda e: (-e[0][1], -e[0][2], e[0][10]))
    wanted = [p for row, _ in entries for p in _ends(row)]
    wanted += [p for group in places.values() for p in group]
    sides = _sides(conn, wanted)
    out = []
    for row, cluster_id in entries:
        entry = _pair(row, sides)
        if cluster_id is not None:
            entry["kind"], entry["similarity"] = groups[cluster_id]
            entry["places"] = [sides[p] for p in places.get(cluster_id, [])]
        out.append(entry)
    return out


def pairs_page(conn: sqlite3.Connection, *, article_id: str | None = None,
               kind: str | None = None, limit: int, offset: int = 0) -> tuple[int, list[dict]]:
    """Pairs (a copy or a light rewrite in two places) of one article, of one kind: how many
    there are, and ``limit`` of them from ``offset``, most similar first, both sides with their
    texts. Paged in SQL: a large index holds hundreds of thousands of matches."""
    pair_where, _, params = _filters(article_id, kind)
    total = conn.execute(f"select count(*) from {_MATCHES} where {pair_where}",
                         params).fetchone()[0]
    rows = conn.execute(
        f"select {_MATCH_COLUMNS} from {_MATCHES} where {pair_where} order by {_CLOSEST_FIRST} "
        "limit :limit offset :offset", {**params, "limit": limit, "offset": offset}).fetchall()
    sides = _sides(conn, [p for row in rows for p in _ends(row)])
    return total, [_pair(row, sides) for row in rows]


def groups_page(conn: sqlite3.Connection, *, article_id: str | None = None,
                kind: str | None = None, limit: int, offset: int = 0,
                places_shown: int) -> tuple[int, list[dict]]:
    """Groups (a text in three places or more, or boilerplate) of one article, of one kind: how
    many there are, and ``limit`` of them from ``offset``, those in most articles first, each
    with its sample and its first ``places_shown`` places (``shown``)."""
    _, group_where, params = _filters(article_id, kind)
    total = conn.execute(f"select count(*) from duplicate_clusters c where {group_where}",
                         params).fetchone()[0]
    rows = conn.execute(
        f"select {_GROUP_COLUMNS} from duplicate_clusters c where {group_where} "
        f"order by {_WIDEST_FIRST} limit :limit offset :offset",
        {**params, "limit": limit, "offset": offset}).fetchall()
    if not rows:
        return total, []
    places: dict[int, list[Place]] = {r[0]: [] for r in rows}
    for cluster_id, *place in conn.execute(
        """select cluster_id, article_id, section_id, paragraph from duplicate_places
           where cluster_id in (select value from json_each(?))
           order by cluster_id, article_id, section_id""", [json.dumps(list(places))]
    ):
        if len(places[cluster_id]) < places_shown:
            places[cluster_id].append(tuple(place))
    sides = _sides(conn, [p for shown in places.values() for p in shown], texts=False)
    return total, [{"id": r[0], "kind": r[1], "places": r[2], "articles": r[3],
                    "similarity": r[4], "sample": r[5], "shown": [sides[p] for p in places[r[0]]]}
                   for r in rows]


def matches_by_section(conn: sqlite3.Connection, article_id: str) -> dict[int, int]:
    """How many matches each section of an article is in (its paragraphs' included), by
    section id; sections in none are left out."""
    return dict(conn.execute(
        """select section_id, count(*) from (
             select a_section_id as section_id from duplicates where a_article_id = :id
             union all select b_section_id from duplicates where b_article_id = :id)
           group by section_id""", {"id": article_id}).fetchall())


def article_duplicates(conn: sqlite3.Connection, article_id: str) -> list[dict]:
    """An article's matches as the export writes them, seen from its side: which of its
    sections (and paragraph) repeats what, and where; a match of a group has the group's kind
    and number of places. All in one query, most similar first."""
    out = []
    for row in conn.execute(
        f"""select coalesce(c.kind, d.kind), d.similarity, d.containment,
                  d.a_article_id, sa.position, sa.heading, d.a_paragraph,
                  d.b_article_id, sb.position, sb.heading, d.b_paragraph, d.shared, c.places
           from duplicates d left join duplicate_clusters c on c.id = d.cluster_id and {IS_GROUP}
             left join sections sa on sa.id = d.a_section_id
             left join sections sb on sb.id = d.b_section_id
           where d.a_article_id = :id or d.b_article_id = :id
           order by {_CLOSEST_FIRST}""", {"id": article_id}
    ):
        kind, similarity, containment, *a, shared, places = row
        a_side, b_side = a[:4], a[4:]
        here, there = (a_side, b_side) if a_side[0] == article_id else (b_side, a_side)
        out.append({
            "kind": kind, "similarity": similarity, "containment": containment,
            "here": _export_place(article_id, *here[1:]), "there": _export_place(*there),
            "shared": shared or "", "places": places or 2,
        })
    return out


def _export_place(article_id: str, position: int | None, heading: str | None,
                  paragraph: int | None) -> dict[str, Any]:
    return {"article_id": article_id, "section_position": position, "heading": heading or "",
            "paragraph": paragraph}


def check_draft(db: sqlite_utils.Database, units: Sequence[Unit],
                threshold: float = NEAR_THRESHOLD) -> list[dict]:
    """Which published sections and paragraphs the units of a draft
    (:func:`kb.duplicates.units.units_of`) repeat, how much and where; most similar first."""
    stored = load_units(db)
    draft_hashes = [shingle_hashes(u.terms, SHINGLE_SIZE) for u in units]
    draft_sets = [set(h.tolist()) for h in draft_hashes]
    draft_signatures = [HASHER.signature(h).astype(np.uint32) for h in draft_hashes]
    hashes = {text_hash(u.text): i for i, u in enumerate(units)}
    bands, rows = lsh_bands(threshold, HASHER.permutations)
    # a draft unit too short to compare can only be an exact copy (found by its text below)
    comparable = [i for i, h in enumerate(draft_sets) if len(h) >= MIN_SHINGLES]
    # one row a signature, also when there are none (a stub draft: one word, no body)
    queries = np.asarray([draft_signatures[i] for i in comparable], dtype=np.uint32)
    found = lsh_query(queries.reshape(len(comparable), HASHER.permutations),
                      stored.signatures, bands, rows)
    pairs = {(comparable[q], s) for q, s in found.tolist()}
    pairs |= {(hashes[u.text_hash], n) for n, u in enumerate(stored) if u.text_hash in hashes}
    texts = StoredTexts(db)
    found = []
    for d, s in sorted(pairs):
        mine, theirs = draft_sets[d], texts.shingles(stored[s])
        exact = stored[s].text_hash in hashes and hashes[stored[s].text_hash] == d
        if not exact and (len(mine) < MIN_SHINGLES or len(theirs) < MIN_SHINGLES):
            continue
        jaccard, containment = (1.0, 1.0) if exact else overlap(mine, theirs)
        if exact or is_copy(jaccard, containment, threshold):
            place = (stored[s].article_id, stored[s].section_id, stored[s].paragraph)
            found.append({
                "kind": "exact" if exact else "near", "similarity": round(jaccard, 4),
                "containment": round(containment, 4),
                "draft": {"heading": units[d].heading, "text": units[d].text,
                          "paragraph": units[d].paragraph},
                "published": _sides(db.conn, [place])[place],
            })
    return sorted(found, key=lambda f: (-f["similarity"], -f["containment"]))


def _ends(row: tuple) -> tuple[Place, Place]:
    """The two places of a match read with ``_MATCH_COLUMNS``."""
    return tuple(row[3:6]), tuple(row[6:9])


def _pair(row: tuple, sides: dict[Place, dict[str, Any]]) -> dict[str, Any]:
    """A match read with ``_MATCH_COLUMNS`` as a pair: its scores, its two sides and what they
    share."""
    a, b = _ends(row)
    return {"kind": row[0], "similarity": row[1], "containment": row[2], "a": sides[a],
            "b": sides[b], "shared": row[9]}


def _sides(conn: sqlite3.Connection, places: list[Place],
           texts: bool = True) -> dict[Place, dict[str, Any]]:
    """Each (article, section, paragraph) as a side of a duplicate: the article's title, the
    section's heading and anchor and (with ``texts``) the text of the section or paragraph;
    all read in two queries."""
    section_ids = json.dumps(sorted({p[1] for p in places}))
    sections = {r[0]: r[1:] for r in conn.execute(
        f"""select s.id, s.heading, s.anchor, a.title, {'s.text' if texts else "''"}
            from sections s join articles a on a.id = s.article_id
            where s.id in (select value from json_each(?))""", [section_ids])}
    units = json.dumps(sorted({unit_key(p[1], p[2]) for p in places if p[2] is not None}))
    ranges = {r[0]: (r[1], r[2]) for r in conn.execute(
        "select unit, start, end from dup_signatures "
        "where unit in (select value from json_each(?))",
        [units])} if texts else {}
    out = {}
    for article_id, section_id, paragraph in places:
        heading, anchor, title, text = sections.get(section_id, ("", None, "", ""))
        if paragraph is not None and texts:
            start, end = ranges.get(unit_key(section_id, paragraph), (0, len(text)))
            text = text[start:end].strip()
        out[(article_id, section_id, paragraph)] = {
            "article_id": article_id, "article_title": title, "heading": heading or title,
            "text": text, "section_id": section_id, "paragraph": paragraph, "anchor": anchor}
    return out
