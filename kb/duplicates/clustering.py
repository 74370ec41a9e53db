"""Grouping duplicate matches into clusters, incrementally.

A cluster is the places (sections and paragraphs) that copies of one text occupy: matches that
join groups (exact, or close: :func:`kb.duplicates.units.groups_places`) make one cluster of all their
places. A looser match is a pair, in no cluster (``cluster_id`` is null): on a large index most
matches are such pairs, and a cluster of two places each would double what is written. A build
regroups only the clusters that gained a match or lost a place; the others are left as they are.

A cluster in enough articles is boilerplate (site chrome: booking, access, a profile, a
disclaimer), and its sections get ``sections.boilerplate = 1``, unless it is about its articles'
shared topic (:func:`is_on_topic`): a section that sister sites copy between articles on the same
subject stays content (a duplicate, ranked as any section) whatever the number of copies. Whether a
cluster is on topic depends only on its places' text and their articles' titles, so regrouping
only what changed still gives what a full build gives.
"""

from __future__ import annotations

import json

import sqlite_utils

from ..analysis import get_analyzer
from .units import BOILERPLATE_ARTICLES, groups_places
from ..unionfind import UnionFind


def unit_key(section_id: int, paragraph: int | None) -> str:
    """The name of a unit (a section, or one of its paragraphs) in ``dup_signatures``."""
    return f"{section_id}:{'' if paragraph is None else paragraph}"


def affected_clusters(db: sqlite_utils.Database, ends: set[tuple[int, int | None]],
                       changed_articles: set[str]) -> set[int]:
    """Clusters with a place in a changed or removed article, or at an end of a new match."""
    found = {row[0] for row in db.execute(
        "select distinct cluster_id from duplicate_places where article_id in "
        "(select value from json_each(?))", [json.dumps(sorted(changed_articles))])}
    sections = json.dumps(sorted({section for section, _ in ends}))
    for cluster_id, section_id, paragraph in db.execute(
        "select cluster_id, section_id, paragraph from duplicate_places "
        "where section_id in (select value from json_each(?))", [sections]
    ):
        if (section_id, paragraph) in ends:
            found.add(cluster_id)
    return found


def _group(stored: list[tuple]) -> list[tuple[list[tuple], list[tuple]]]:
    """Matches that join groups (:func:`groups_places`), grouped by the places they link:
    (places, matches) of each group, in order."""
    number: dict[tuple, int] = {}  # place -> a small int, so the union-find runs on a list
    ends = []
    for row in stored:
        a = number.setdefault((row[3], row[4], row[5]), len(number))
        b = number.setdefault((row[6], row[7], row[8]), len(number))
        ends.append((a, b))
    linked: UnionFind[int] = UnionFind()
    for a, b in ends:
        linked.union(a, b)
    place_of = list(number)
    members: dict[int, set[int]] = {}
    links: dict[int, list] = {}
    for row, (a, b) in zip(stored, ends):
        group = linked.find(a)
        members.setdefault(group, set()).update((a, b))
        links.setdefault(group, []).append(row)
    return sorted((([place_of[i] for i in sorted(places)], links[group])
                   for group, places in members.items()), key=lambda g: g[1][0][0])


def _write_clusters(db: sqlite_utils.Database, groups: list[tuple[list[tuple], list[tuple]]],
                    first_id: int, min_articles: int) -> dict[int, int]:
    """Write the clusters and their places; returns each match's cluster id by match id."""
    cluster_rows, places, boilerplate_sections = [], [], set()
    cluster_of: dict[int, int] = {}
    for cluster_id, (group, group_links) in enumerate(groups, start=first_id):
        articles = {m[0] for m in group}
        shared = (group_links[0][9] or "")[:500]
        kind = ("boilerplate" if len(articles) >= min_articles
                and not is_on_topic(db, group, shared)
                else "exact" if all(r[1] == "exact" for r in group_links) else "near")
        cluster_rows.append((cluster_id, kind, len(group), len(articles),
                             min(r[2] for r in group_links), shared))
        places += [(cluster_id, *m) for m in group]
        cluster_of.update((r[0], cluster_id) for r in group_links)
        if kind == "boilerplate":
            boilerplate_sections |= {m[1] for m in group if m[2] is None}
    conn = db.conn
    conn.executemany("insert into duplicate_clusters values (?, ?, ?, ?, ?, ?)", cluster_rows)
    conn.executemany("insert into duplicate_places values (?, ?, ?, ?)", places)
    conn.executemany("update sections set boilerplate = 1 where id = ?",
                     [(s,) for s in sorted(boilerplate_sections)])
    return cluster_of




def is_on_topic(db: sqlite_utils.Database, places: list[tuple], shared: str) -> bool:
    """Whether a block repeated in several articles is about each of their topics: it holds a
    word of every one of their titles.

    A section that sister sites copy between articles on one subject names that subject
    (ぎっくり腰, in every title and in the copied text); booking, access, a profile or a
    disclaimer repeated on articles about different subjects misses the subject of at least one.
    ``places`` are the cluster's (article id, section id, paragraph); the block's words are its
    whole sections' heading and text terms, or (a cluster of paragraphs only) the words of its
    ``shared`` passage.
    """
    sections = sorted({p[1] for p in places if p[2] is None})
    if sections:
        block: set[str] = set()
        for heading, body in db.execute(
            "select heading, body from sections_fts "
            "where rowid in (select value from json_each(?))",
            [json.dumps(sections)],
        ):
            block.update((heading or "").split(), (body or "").split())
    else:
        block = set(get_analyzer().terms(shared))
    titles = _title_terms(db, sorted({p[0] for p in places}))
    return bool(titles) and all(not block.isdisjoint(title) for title in titles)


def _title_terms(db: sqlite_utils.Database, articles: list[str]) -> list[set[str]]:
    """The analyzed words of each of these articles' titles (the titles that have words)."""
    analyzer = get_analyzer()
    rows = db.execute("select title from articles where id in (select value from json_each(?))",
                      [json.dumps(articles)]).fetchall()
    return [terms for (title,) in rows if (terms := set(analyzer.terms(title or "")))]


def removed_articles(db: sqlite_utils.Database) -> set[str]:
    """Articles that clusters still have places in but the index no longer holds."""
    return {row[0] for row in db.execute(
        "select distinct article_id from duplicate_places "
        "where article_id not in (select id from articles)")}


def add_matches(db: sqlite_utils.Database, rows: list[tuple], changed_articles: set[str],
                min_articles: int) -> None:
    """Add new matches, given as ``(kind, similarity, containment, a_article_id, a_section_id,
    a_paragraph, b_article_id, b_section_id, b_paragraph, shared)``, then group into clusters
    again only what changed: the clusters that gained a match or lost a place (an article
    changed or removed). Loose matches go in as pairs, in no cluster."""
    conn = db.conn
    next_id = conn.execute("select coalesce(max(id), 0) + 1 from duplicates").fetchone()[0]
    new = [(next_id + n, *row[:2], *row[3:]) for n, row in enumerate(rows)]  # as stored, below
    joins = [groups_places(row[0], row[1]) for row in rows]
    ends = ({(row[4], row[5]) for row, join in zip(rows, joins) if join}
            | {(row[7], row[8]) for row, join in zip(rows, joins) if join})
    affected = json.dumps(sorted(affected_clusters(db, ends, changed_articles)))
    conn.execute("update sections set boilerplate = 0 where id in (select section_id from "
                 "duplicate_places where cluster_id in (select value from json_each(?)))", [affected])
    for table, key in (("duplicate_places", "cluster_id"), ("duplicate_clusters", "id")):
        conn.execute(f"delete from {table} where {key} in (select value from json_each(?))", [affected])
    stored = conn.execute(
        "select id, kind, similarity, a_article_id, a_section_id, a_paragraph, b_article_id, "
        "b_section_id, b_paragraph, shared from duplicates "
        "where cluster_id in (select value from json_each(?)) order by id", [affected]
    ).fetchall()
    first_id = conn.execute("select coalesce(max(id), 0) + 1 from duplicate_clusters").fetchone()[0]
    grouping = stored + [row for row, join in zip(new, joins) if join]
    cluster_of = _write_clusters(db, _group(grouping), first_id, min_articles)
    # new matches go in with their cluster (no update of each row afterwards); many at once
    # go in without the article indexes, built again afterwards (a sort: several times faster
    # than adding hundreds of thousands of entries one by one at random places)
    bulk = len(new) >= BULK_ROWS
    if bulk:
        for name in MATCH_INDEXES:
            conn.execute(f"drop index if exists {name}")
    conn.executemany(
        "insert into duplicates (id, kind, similarity, containment, a_article_id, a_section_id, "
        "a_paragraph, b_article_id, b_section_id, b_paragraph, shared, cluster_id) "
        "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(*stored_row[:3], row[2], *stored_row[3:], cluster_of.get(stored_row[0]))
         for stored_row, row in zip(new, rows)],
    )
    if bulk:
        create_match_indexes(db)
    conn.executemany("update duplicates set cluster_id = ? where id = ?",
                     [(cluster_of[row[0]], row[0]) for row in stored])


# the indexes that find an article's matches, by name and column
MATCH_INDEXES = {"idx_duplicates_a_article_id": "a_article_id",
                 "idx_duplicates_b_article_id": "b_article_id"}
BULK_ROWS = 50_000


def create_match_indexes(db: sqlite_utils.Database) -> None:
    """The indexes of ``MATCH_INDEXES`` (those missing)."""
    for name, column in MATCH_INDEXES.items():
        db.execute(f"create index if not exists {name} on duplicates ({column})")


def left_behind(db: sqlite_utils.Database, changed_articles: set[str]) -> set[str]:
    """Units that stay in a cluster which loses places (their article changed or went): they
    are compared again, since the links that held them together may have gone with those
    places (each copy is linked to one other, not to all). This also restores a loose match
    that stood for others: one is kept between two groups, and if its end in a group goes, the
    group's other members, compared again, find the text at its other end."""
    broken = affected_clusters(db, set(), changed_articles)
    if not broken:
        return set()
    return {unit_key(section_id, paragraph) for section_id, paragraph in db.execute(
        "select section_id, paragraph from duplicate_places where cluster_id in "
        "(select value from json_each(?)) and article_id not in (select value from json_each(?))",
        [json.dumps(sorted(broken)), json.dumps(sorted(changed_articles))])}


def _places(db: sqlite_utils.Database, cluster_id: int) -> list[tuple]:
    """A cluster's places: (article id, section id, paragraph)."""
    return db.execute("select article_id, section_id, paragraph from duplicate_places "
                      "where cluster_id = ?", [cluster_id]).fetchall()


def boilerplate_setting(meta: dict[str, str]) -> int:
    """How many articles make a block boilerplate, as an index's ``kb_meta`` says (3 when it
    does not say)."""
    value = meta.get("boilerplate_articles", "")
    return int(value) if value.isdigit() else BOILERPLATE_ARTICLES


def classify_again(db: sqlite_utils.Database, min_articles: int) -> None:
    """Every cluster's kind and the sections' boilerplate marks again, for a new number of
    articles that makes a block boilerplate (the clusters themselves do not change)."""
    db.execute(
        """update duplicate_clusters set kind = case when k.loose then 'near' else 'exact' end
           from (select cluster_id, max(kind != 'exact') as loose from duplicates
                 where cluster_id is not null group by cluster_id) as k
           where k.cluster_id = duplicate_clusters.id""")
    chrome = [(cluster_id,) for cluster_id, shared in db.execute(
        "select id, sample from duplicate_clusters where articles >= ?", [min_articles]).fetchall()
        if not is_on_topic(db, _places(db, cluster_id), shared or "")]
    db.conn.executemany("update duplicate_clusters set kind = 'boilerplate' where id = ?", chrome)
    db.execute("update sections set boilerplate = 0 where boilerplate")
    db.execute(
        """update sections set boilerplate = 1 where id in (
             select p.section_id from duplicate_places p join duplicate_clusters c
             on c.id = p.cluster_id where c.kind = 'boilerplate' and p.paragraph is null)""")
