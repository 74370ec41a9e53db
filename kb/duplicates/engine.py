"""Duplicates with the index: units read from the database, results written back to it.

A build calls :func:`update_duplicates` once its articles are written. Each section and each of
its paragraphs is a unit; its words come from the index (the section's terms and where each
stands, so nothing is analyzed again). A unit's MinHash signature and normalized-text hash are
kept in ``dup_signatures`` and made only for new or changed articles (in the build's analysis
workers, :func:`sign_sections`). Candidates that involve a new unit are found over all
signatures with LSH, screened by their signatures' agreement and verified on the exact shingle
sets; matches between unchanged articles are kept. The new matches then join the
``duplicates`` table, and only the clusters they touch are grouped again
(kb/duplicates/clustering.py). Sections that are boilerplate get ``sections.boilerplate = 1``
(search ranks them below content).
"""

from __future__ import annotations

import gc
import json
import multiprocessing
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import sqlite_utils

from . import clustering as duplicate_clusters
from ..analysis import span_bounds
from .clustering import unit_key
from .units import (
    BOILERPLATE_ARTICLES, CONTAINMENT_THRESHOLD, GROUP_SIMILARITY, MIN_PARAGRAPH_CHARS,
    MIN_SHINGLES, NEAR_THRESHOLD, SHINGLE_SIZE, groups_places, is_copy, lsh_bands, overlap,
    text_hash,
)
from .minhash import (
    MinHasher, hashes_of_ids, lsh_pairs, lsh_query, shingle_hashes, signatures_of, term_ids,
)
from .shingle_sets import ShingleSets
from .arrays import sorted_unique
from ..unionfind import UnionFind

_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
_HASHER = MinHasher()


def create_tables(db: sqlite_utils.Database) -> None:
    """The duplicate tables of an empty database."""
    db.execute(
        "create table dup_signatures (unit text primary key, article_id text not null, "
        "section_id integer not null, paragraph integer, start integer, end integer, "
        "text_hash text, shingles integer, signature blob)"
    )
    db.execute("create index dup_signatures_article on dup_signatures (article_id)")
    db["duplicate_clusters"].create(
        {"id": int, "kind": str, "places": int, "articles": int, "similarity": float,
         "sample": str}, pk="id")
    db["duplicates"].create(
        {"id": int, "kind": str, "similarity": float, "containment": float,
         "a_article_id": str, "a_section_id": int, "a_paragraph": int,
         "b_article_id": str, "b_section_id": int, "b_paragraph": int,
         "shared": str, "cluster_id": int},
        pk="id",
        foreign_keys=[("a_article_id", "articles", "id"), ("b_article_id", "articles", "id"),
                      ("a_section_id", "sections", "id"), ("b_section_id", "sections", "id"),
                      ("cluster_id", "duplicate_clusters", "id")],
    )
    duplicate_clusters.create_match_indexes(db)
    db["duplicate_places"].create(
        {"cluster_id": int, "article_id": str, "section_id": int, "paragraph": int},
        foreign_keys=[("cluster_id", "duplicate_clusters", "id"), ("article_id", "articles", "id"),
                      ("section_id", "sections", "id")],
    )
    db["duplicate_places"].create_index(["article_id"])


def delete_article(db: sqlite_utils.Database, article_id: str) -> None:
    """Forget an article's signatures and matches (the next update compares it again; the
    matches between other articles are kept)."""
    db.conn.execute("delete from dup_signatures where article_id = ?", [article_id])
    db.conn.execute("delete from duplicates where a_article_id = ? or b_article_id = ?",
                    [article_id, article_id])


@dataclass
class StoredUnit:
    key: str
    article_id: str
    section_id: int
    paragraph: int | None
    start: int
    end: int
    text_hash: str
    signature: np.ndarray
    shingle_count: int


def update_duplicates(db: sqlite_utils.Database, threshold: float = NEAR_THRESHOLD,
                      min_articles: int = BOILERPLATE_ARTICLES,
                      signed: dict[str, np.ndarray] | None = None,
                      written: set[str] = frozenset()) -> int:
    """Sign new units, find and verify matches among all, rewrite the result tables; returns
    the number of matches. ``signed``: units whose signatures the build already stored (made in
    its analysis workers, see :func:`sign_sections`), with their shingle hashes; ``written``:
    the articles the build wrote anew."""
    with _collector_paused():
        fresh = _sign_new_units(db)
        fresh.update(signed or {})
        removed = duplicate_clusters.removed_articles(db)
        if not fresh and not removed and not written:
            return db.execute("select count(*) from duplicates").fetchone()[0]  # nothing changed
        units = load_units(db)
        # the places of these articles are gone (a changed article's sections were written anew)
        changed = ({a for k, a in zip(units.keys, units.articles) if k in fresh}
                   | removed | set(written))
        again = duplicate_clusters.left_behind(db, changed)
        matches, obsolete = _matches(db, units, threshold, fresh, again)
        db.conn.execute("delete from duplicates where id in (select value from json_each(?))",
                        [json.dumps(obsolete)])
        _write(db, units, matches, min_articles, changed)
        return db.execute("select count(*) from duplicates").fetchone()[0]


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cycle collector off for a while: it walks every live object each time enough
    new ones are made, and this step makes hundreds of thousands (units, rows, arrays) without
    cycles to collect; on the 100,000-section benchmark the walks took a sixth of the time."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


@dataclass
class SignedUnits:
    """The units of some sections: for each, ``(owner, paragraph, start, end, text hash, shingle
    count)`` (owner: whatever the caller named the section by), its shingle hashes and its
    MinHash signature (a row of ``signatures``)."""

    rows: list[tuple]
    shingles: list[np.ndarray]
    signatures: np.ndarray


def sign_sections(sections: Iterable[tuple[Any, str, str, bytes | None]]) -> SignedUnits:
    """Sign the units (the section, and each paragraph long enough) of sections given as
    ``(owner, text, index terms, term spans)``: the words come from the index, so nothing is
    analyzed again. Empty sections have no units."""
    rows, sets = [], []
    for owner, text, body, blob in sections:
        if not text.strip():
            continue
        terms = (body or "").split()
        ids = term_ids(terms)
        starts = span_bounds(blob)[0]
        whole = hashes_of_ids(ids, SHINGLE_SIZE, unique=False)
        ranges = _unit_ranges(text)
        # each paragraph's words, found for all paragraphs at once
        bounds = (np.searchsorted(starts, [b for _, start, end in ranges[1:] for b in (start, end)])
                  .reshape(-1, 2).tolist() if len(starts) == len(terms) else [(0, 0)] * (len(ranges) - 1))
        for (paragraph, start, end), (first, last) in zip(ranges, [(0, len(ids)), *bounds]):
            if paragraph is None:
                items = whole
            elif last - first >= SHINGLE_SIZE:  # a paragraph's shingles are the section's
                items = whole[first : last - SHINGLE_SIZE + 1]
            else:
                items = hashes_of_ids(ids[first:last], SHINGLE_SIZE, unique=False)
            sets.append(items)
            rows.append((owner, paragraph, start, end, text_hash(text[start:end])))
    sizes = ShingleSets(sets).sizes().tolist()  # distinct shingles: each set's size
    rows = [(*row, size) for row, size in zip(rows, sizes)]
    return SignedUnits(rows, sets, signatures_of(_HASHER, sets))  # numpy signs all at once


def store_signatures(db: sqlite_utils.Database, article_id: str | None, signed: SignedUnits,
                     section_ids: Sequence[int] | None = None) -> dict[str, np.ndarray]:
    """Write signed units (owners are section ids, or indexes into ``section_ids``, or with no
    ``article_id`` ``(article id, section id)`` pairs); returns each unit's shingle hashes by
    its key."""
    out, values = {}, []
    for row, items, signature in zip(signed.rows, signed.shingles, signed.signatures):
        owner, paragraph, *rest = row
        if article_id is None:
            article, section_id = owner
        else:
            article, section_id = article_id, owner if section_ids is None else section_ids[owner]
        key = unit_key(section_id, paragraph)
        values.append((key, article, section_id, paragraph, *rest, signature.tobytes()))
        out[key] = items
    db.conn.executemany(
        "insert or replace into dup_signatures values (?, ?, ?, ?, ?, ?, ?, ?, ?)", values)
    return out


def _sign_new_units(db: sqlite_utils.Database) -> dict[str, np.ndarray]:
    """Sign the units of articles that have no signatures yet; returns their shingle hashes
    (verification reuses them instead of computing them again)."""
    rows = db.execute(
        """select s.article_id, s.id, s.text, f.body, t.spans from sections s
           join sections_fts f on f.rowid = s.id
           left join term_spans t on t.section_id = s.id
           where s.article_id not in (select distinct article_id from dup_signatures)
           order by s.article_id, s.id"""
    ).fetchall()
    out: dict[str, np.ndarray] = {}
    for signed in _signed_batches(rows):
        out.update(store_signatures(db, None, signed))
    return out


_SIGN_BATCH = 2000  # sections signed together (many to a numpy call)
_PENDING: list[list[tuple]] = []  # the batches a forked signing process reads (not pickled)


def _signed_batches(rows: list[tuple]) -> Iterator[SignedUnits]:
    """The sections ``(article id, section id, text, terms, spans)`` signed a batch at a time,
    in order; with many, in a process per core (forked: each reads its batches from the
    parent's memory, and sends back flat arrays)."""
    global _PENDING
    batches = [rows[start : start + _SIGN_BATCH] for start in range(0, len(rows), _SIGN_BATCH)]
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    workers = min(cores or 1, len(batches))  # the cores this process may use
    if workers < 2 or not hasattr(os, "fork"):
        yield from (_unflatten(_sign_batch(batch)) for batch in batches)
        return
    _PENDING = batches
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            for flat in pool.imap(_sign_pending, range(len(batches))):
                yield _unflatten(flat)
    finally:
        _PENDING = []


def _sign_pending(number: int) -> tuple:
    return _sign_batch(_PENDING[number])


def _sign_batch(batch: list[tuple]) -> tuple:
    """A batch's units signed, as rows, all shingle hashes end to end with each unit's count,
    and signatures: a few large arrays travel between processes much faster than many small."""
    signed = sign_sections(((a, s), *rest) for a, s, *rest in batch)
    lengths = np.array([len(x) for x in signed.shingles], dtype=np.int64)
    flat = np.concatenate(signed.shingles) if signed.shingles else np.zeros(0, dtype=np.uint32)
    return signed.rows, flat, lengths, signed.signatures


def _unflatten(flat: tuple) -> SignedUnits:
    rows, values, lengths, signatures = flat
    return SignedUnits(rows, np.split(values, np.cumsum(lengths)[:-1]) if len(lengths) else [],
                       signatures)


def _unit_ranges(text: str) -> list[tuple[int | None, int, int]]:
    """The section (paragraph None) and, when it has several, each paragraph long enough."""
    ranges: list[tuple[int | None, int, int]] = [(None, 0, len(text))]
    pieces, start = [], 0
    for m in _PARAGRAPH_BREAK.finditer(text):
        pieces.append((start, m.start()))
        start = m.end()
    pieces.append((start, len(text)))
    pieces = [(a, b) for a, b in pieces if text[a:b].strip()]
    if len(pieces) > 1:
        ranges += [(n, a, b) for n, (a, b) in enumerate(pieces) if len(text[a:b].strip()) >= MIN_PARAGRAPH_CHARS]
    return ranges


def load_units(db: sqlite_utils.Database, key: str | None = None) -> "_UnitTable":
    """Every stored unit, in key order (or the one named ``key``)."""
    rows = db.execute(
        "select unit, article_id, section_id, paragraph, start, end, text_hash, shingles, "
        "signature from dup_signatures " + ("where unit = ?" if key else "order by unit"),
        [key] if key else [],
    ).fetchall()
    return _UnitTable(rows)


class _UnitTable(Sequence[StoredUnit]):
    """Stored units as columns: what the whole index is scanned for (keys, articles, sections,
    text hashes, shingle counts, signatures) is read without making an object per unit, which
    an incremental build would pay for every unit of the index; a :class:`StoredUnit` is made
    when one is asked for."""

    def __init__(self, rows: list[tuple]) -> None:
        (self.keys, self.articles, sections, self.paragraphs, self.starts, self.ends,
         self.text_hashes, sizes, blobs) = (list(c) for c in zip(*rows)) if rows else ([],) * 9
        self.sections = np.array(sections, dtype=np.int64)
        # each unit's paragraph, -1 for a whole section
        self.paragraph_numbers = np.array([-1 if p is None else p for p in self.paragraphs],
                                          dtype=np.int64)
        self.sizes = np.array(sizes, dtype=np.int64)
        # every signature in one array (one numpy call)
        self.signatures = (np.frombuffer(b"".join(blobs), dtype=np.uint32).reshape(len(rows), -1)
                           if rows else np.zeros((0, _HASHER.permutations), dtype=np.uint32))
        self._made: dict[int, StoredUnit] = {}

    def __len__(self) -> int:
        return len(self.keys)

    def in_place_order(self) -> np.ndarray:
        """Unit indexes by article, then section (ids follow the order of an article's
        sections), then paragraph (the section itself first)."""
        articles = np.unique(np.array(self.articles, dtype=object), return_inverse=True)[1]
        return np.lexsort((self.paragraph_numbers, self.sections, articles.ravel()))

    def __getitem__(self, i):  # type: ignore[override]
        if isinstance(i, slice):
            return [self[n] for n in range(*i.indices(len(self)))]
        unit = self._made.get(i)
        if unit is None:
            unit = self._made[i] = StoredUnit(
                self.keys[i], self.articles[i], int(self.sections[i]), self.paragraphs[i],
                self.starts[i], self.ends[i], self.text_hashes[i], self.signatures[i],
                int(self.sizes[i]))
        return unit


@dataclass
class _Match:
    kind: str
    similarity: float
    containment: float
    a: int
    b: int
    shared: str


def _related(a: StoredUnit, b: StoredUnit) -> bool:
    """A section and its own paragraphs, or two pieces of one section, are not copies."""
    return a.section_id == b.section_id


def _matches(db: sqlite_utils.Database, units: "_UnitTable", threshold: float,
             known: dict[str, np.ndarray], again: set[str] = frozenset()
             ) -> tuple[list[_Match], list[int]]:
    """New matches, and the ids of stored loose matches to delete. Each new pair has at least
    one unit signed in this build (``known``) or to be compared again (``again``); the matches
    already stored link the rest, so they are not compared again. A stored loose match goes
    when its two groups became one, or when another match between them is closer (new, or
    stored: two groups it linked may have joined others): what a build from scratch keeps."""
    matches: list[_Match] = []
    index_of = dict(zip(units.keys, range(len(units))))
    obsolete: list[int] = []  # stored loose matches that a build from scratch would not keep
    fresh = {index_of[k] for k in (*known, *again) if k in index_of}
    fresh_hashes = {units.text_hashes[i] for i in fresh}  # only groups a new unit is in
    by_hash: dict[str, list[int]] = {}
    for index, digest in enumerate(units.text_hashes):
        if digest in fresh_hashes:
            by_hash.setdefault(digest, []).append(index)
    bands, rows = lsh_bands(threshold, _HASHER.permutations)
    signatures = units.signatures
    # one text, one signature: copies of a text are grouped by their hash (below), so LSH looks
    # at one of each; small buckets give all their pairs, big ones a star (see lsh_pairs)
    # (each text's first place stands for it, by article and position: the same whichever
    # build found it, so equally close matches to two copies of it come out the same)
    first_of: dict[str, int] = {}
    hashes = units.text_hashes
    in_order = units.in_place_order()
    for i in in_order.tolist():
        first_of.setdefault(hashes[i], i)
    place = np.empty(len(units), dtype=np.int64)  # each unit's rank in that order
    place[in_order] = np.arange(len(units))
    texts_of = [first_of[h] for h in hashes]
    distinct = sorted(set(texts_of))
    wanted = sorted({texts_of[i] for i in fresh})
    position = {index: n for n, index in enumerate(distinct)}
    found = lsh_pairs(signatures[distinct], bands, rows, star=True,
                      only=None if len(wanted) == len(distinct) else [position[i] for i in wanted],
                      all_pairs_up_to=_ALL_PAIRS_UP_TO)
    candidates = np.asarray(distinct, dtype=np.int64)[found]  # back to unit indexes, in order
    pairs = _worth_verifying(units, fresh, candidates, threshold)
    # Text copied to many places is one group: each copy is linked once (to the first, or to
    # any member already grouped), not to every other copy. A looser match is kept once per
    # pair of groups. The matches already stored say which groups there are.
    linked, stored_loose = _stored_links(db, units)
    find, link = linked.find, linked.union
    for members in by_hash.values():
        first = members[0]
        for b in members[1:]:
            if ((first in fresh or b in fresh) and not _related(units[first], units[b])
                    and find(first) != find(b)):
                link(first, b)
                matches.append(_Match("exact", 1.0, 1.0, first, b, ""))
    texts = StoredTexts(db, known)
    # every pair's true overlap at once (numpy), then the pairs in order, each linked or skipped
    involved = sorted_unique(pairs.ravel())
    sets = ShingleSets(texts.positions([units[i] for i in involved.tolist()]))
    local = np.zeros(len(units), dtype=np.int64)
    local[involved] = np.arange(len(involved))
    left, right = local[pairs[:, 0]], local[pairs[:, 1]]
    both = sets.intersection_sizes(left, right)
    size_a, size_b = sets.sizes()[left], sets.sizes()[right]
    with np.errstate(divide="ignore", invalid="ignore"):
        jaccards = both / np.maximum(size_a + size_b - both, 1)
        containments = both / np.maximum(np.minimum(size_a, size_b), 1)
    copies = np.flatnonzero(is_copy(jaccards, containments, threshold))
    # the closest first: a close match joins groups whatever looser one came before, and the
    # one looser match kept between two groups is the best of them
    copies = copies[np.lexsort((-containments[copies], -jaccards[copies]))]
    near: list[int] = []  # the pairs kept, by number
    loose: dict[tuple[int, int], tuple] | None = None  # groups' roots -> the best loose match
    for n, (a, b), similarity, containment in zip(
            copies.tolist(), pairs[copies].tolist(), np.round(jaccards[copies], 4).tolist(),
            np.round(containments[copies], 4).tolist()):
        ra, rb = find(a), find(b)
        if ra == rb:
            continue
        if groups_places("near", similarity):
            link(a, b)
            matches.append(_Match("near", similarity, containment, a, b, ""))
            near.append(n)
            continue
        if loose is None:  # every close match is linked: the groups are final from here
            loose = _best_loose(stored_loose, linked, obsolete, place)
        roots = (ra, rb) if ra < rb else (rb, ra)
        pa, pb = int(place[a]), int(place[b])
        rank = (similarity, containment, (pa, pb) if pa < pb else (pb, pa))
        kept = loose.get(roots)
        if kept is None or _closer(rank, kept[0]):
            if kept is not None and kept[1] is not None:
                obsolete.append(kept[1])  # a stored one, not as close: it goes
            loose[roots] = (rank, None, (n, a, b, similarity, containment))
    if loose is None:
        loose = _best_loose(stored_loose, linked, obsolete, place)
    for _, _, new in loose.values():
        if new is not None:
            n, a, b, similarity, containment = new
            matches.append(_Match("near", similarity, containment, a, b, ""))
            near.append(n)
    texts.read(units[i].section_id for m in matches for i in (m.a, m.b))
    whole = texts.texts(units[m.a] for m in matches if m.kind == "exact")
    for match in matches:
        if match.kind == "exact":
            match.shared = whole[units[match.a].key]
    kept = np.asarray(near, dtype=np.int64)
    passages = _shared_passages(texts, sets, [units[i] for i in pairs[kept, 0].tolist()],
                                left[kept], right[kept])
    for match, shared in zip((m for m in matches if m.kind == "near"), passages):
        match.shared = shared
    return matches, obsolete


def _shared_passages(texts: StoredTexts, sets: ShingleSets, firsts: list[StoredUnit],
                     a: np.ndarray, b: np.ndarray, batch: int = 50_000) -> list[str]:
    """For each pair (``firsts[i]``, set number ``a[i]``; the other side set number ``b[i]``)
    the passages of the first that the other repeats: the runs of words whose shingles both
    hold, joined with an ellipsis (the whole text when no word places are stored). A batch of
    pairs' common shingles is found at once (every common place of 500,000 matches at once
    took 1.5 GB); only the text is cut pair by pair."""
    out: list[str] = []
    for start in range(0, len(firsts), batch):
        end = start + batch
        out += _passages_of_batch(texts, sets, firsts[start:end], a[start:end], b[start:end])
    return out


def _passages_of_batch(texts: StoredTexts, sets: ShingleSets, firsts: list[StoredUnit],
                       a: np.ndarray, b: np.ndarray) -> list[str]:
    starts, ends, word_offsets, words = texts.word_places(firsts)
    whole = (words == 0) | (sets.lengths()[a] != np.maximum(words - SHINGLE_SIZE + 1, 1))
    pair, place = sets.common_positions(a, b)
    keep = ~whole[pair]
    pair, place = pair[keep], place[keep]
    # shingle i covers words i .. i + width - 1; a passage breaks where one does not reach (or
    # touch) the next, or where the pair changes
    width = np.minimum(SHINGLE_SIZE, words)
    first_word = word_offsets[pair] + place
    begins, finishes = starts[first_word], ends[first_word + width[pair] - 1]
    opens = np.ones(len(pair), dtype=bool)
    opens[1:] = (pair[1:] != pair[:-1]) | (begins[1:] > finishes[:-1] + 1)
    heads = np.flatnonzero(opens)
    tails = np.append(heads[1:], len(pair))[: len(heads)] - 1
    pieces: list[list[str]] = [[] for _ in firsts]
    text_of = [texts.section(u.section_id)[0] for u in firsts]
    for n, begin, end in zip(pair[heads].tolist(), begins[heads].tolist(), finishes[tails].tolist()):
        pieces[n].append(text_of[n][begin:end].strip())
    out = []
    for n, unit in enumerate(firsts):
        if whole[n]:
            text = texts.section(unit.section_id)[0]
            out.append(text[unit.start : unit.end].strip())
        else:
            out.append(" … ".join(pieces[n]))
    return out


def _closer(rank: tuple, other: tuple) -> bool:
    """Whether a loose match ranked (similarity, containment, places) beats another: closer, or
    as close and first by its places."""
    return rank[:2] > other[:2] or (rank[:2] == other[:2] and rank[2] < other[2])


def _best_loose(stored: np.ndarray, linked: UnionFind[int], obsolete: list[int],
                place: np.ndarray) -> dict[tuple[int, int], tuple]:
    """The closest stored loose match between each two groups, by the groups' roots, as
    (rank, id, None); the ids of the others (and of those whose two groups became one) are
    added to ``obsolete``. ``stored`` holds rows (id, unit, unit, similarity, containment);
    ``place`` each unit's rank by article and position (it breaks ties, as for new matches)."""
    if not len(stored):
        return {}
    root = np.arange(len(place))  # each unit's group (its own when it is in none)
    grouped = list(linked.parent)
    root[grouped] = [linked.find(x) for x in grouped]
    ids, a, b = stored[:, 0].astype(np.int64), stored[:, 1].astype(np.int64), stored[:, 2].astype(np.int64)
    ra, rb = np.minimum(root[a], root[b]), np.maximum(root[a], root[b])
    pa, pb = np.minimum(place[a], place[b]), np.maximum(place[a], place[b])
    same = ra == rb
    obsolete += ids[same].tolist()
    keep = ~same
    # best first within each pair of groups: closest, then first by places
    order = np.lexsort((pb[keep], pa[keep], -stored[keep, 4], -stored[keep, 3], rb[keep], ra[keep]))
    rows = np.flatnonzero(keep)[order]
    firsts = np.ones(len(rows), dtype=bool)
    firsts[1:] = (ra[rows][1:] != ra[rows][:-1]) | (rb[rows][1:] != rb[rows][:-1])
    obsolete += ids[rows[~firsts]].tolist()
    best = rows[firsts]
    return {(x, y): ((sim, cont, (p, q)), match_id, None) for x, y, sim, cont, p, q, match_id in zip(
        ra[best].tolist(), rb[best].tolist(), stored[best, 3].tolist(), stored[best, 4].tolist(),
        pa[best].tolist(), pb[best].tolist(), ids[best].tolist())}


def _stored_links(db: sqlite_utils.Database, units: "_UnitTable"
                  ) -> tuple[UnionFind[int], np.ndarray]:
    """The groups the stored matches make (linked in a union-find), and the stored loose
    matches as rows (id, unit, unit, similarity, containment) of one array. All are read: on a corpus dense with
    copies the clusters of the units a change touches reach most of them anyway. Each place is
    looked up as one number (section and paragraph), for all matches at once."""
    linked: UnionFind[int] = UnionFind()
    rows = db.execute(
        f"select id, kind = 'exact' or similarity >= ?, a_section_id * {_PLACES} + "
        f"coalesce(a_paragraph + 1, 0), b_section_id * {_PLACES} + coalesce(b_paragraph + 1, 0), "
        "similarity, containment from duplicates", [GROUP_SIMILARITY]).fetchall()
    if not rows or not len(units):
        return linked, np.zeros((0, 5))
    numbers = np.array([r[:4] for r in rows], dtype=np.int64)
    codes = units.sections * _PLACES + units.paragraph_numbers + 1
    order = np.argsort(codes)
    ends = []
    for column in (2, 3):  # each end's unit, or -1 for a place no longer stored
        found = order[np.minimum(np.searchsorted(codes, numbers[:, column], sorter=order),
                                 len(codes) - 1)]
        ends.append(np.where(codes[found] == numbers[:, column], found, -1))
    known = (ends[0] >= 0) & (ends[1] >= 0)
    joins = known & (numbers[:, 1] == 1)
    for a, b in zip(ends[0][joins].tolist(), ends[1][joins].tolist()):
        linked.union(a, b)
    loose = np.flatnonzero(known & ~joins)
    scores = np.array([r[4:] for r in rows], dtype=np.float64).reshape(-1, 2)
    return linked, np.column_stack([numbers[loose, 0], ends[0][loose], ends[1][loose],
                                    scores[loose, 0], scores[loose, 1]]).astype(np.float64)


_PLACES = 1 << 20  # a place as one number: section id * _PLACES + paragraph + 1 (0: the section)


# LSH buckets up to this size give all their pairs, bigger ones a star (each member with the
# first): a member is then compared with more than the first, which matters now that loosely
# similar texts are not grouped (a partial copy must meet its own source, not a cousin of it).
_ALL_PAIRS_UP_TO = 8

# A MinHash estimate of Jaccard similarity is a count of agreeing positions out of 128: a pair
# whose true similarity may, at four standard errors (a Wilson bound), still make it a copy
# is verified; the rest are dropped unverified (a true copy is practically never lost).
_Z = 4.0


def _similarity_bound(agree: np.ndarray, n: int) -> np.ndarray:
    """Upper Wilson bounds of Jaccard similarity from ``agree`` positions out of ``n``."""
    z2 = _Z * _Z
    return (agree + z2 / 2 + _Z * np.sqrt(agree * (1 - agree / n) + z2 / 4)) / (n + z2)


def _worth_verifying(units: "_UnitTable", fresh: set[int],
                     candidates: np.ndarray, threshold: float, chunk: int = 100_000) -> np.ndarray:
    """The candidate pairs (rows of two unit indexes, in order) to verify exactly, after the
    cheap tests done for all of them at once: at least one side new, not two pieces of one
    section, both long enough, and a signature estimate that leaves the pair a chance of being
    a copy. Pairs are estimated a chunk at a time (each needs its two signatures side by side)."""
    if not len(candidates):
        return candidates
    is_fresh = np.zeros(len(units), dtype=bool)
    is_fresh[list(fresh)] = True
    signatures, section, size = units.signatures, units.sections, units.sizes
    kept = []
    for start in range(0, len(candidates), chunk):
        pairs = candidates[start : start + chunk]
        a, b = pairs[:, 0], pairs[:, 1]
        keep = (is_fresh[a] | is_fresh[b]) & (section[a] != section[b])
        keep &= np.minimum(size[a], size[b]) >= MIN_SHINGLES
        agree = (signatures[a] == signatures[b]).sum(axis=1)
        estimate = _similarity_bound(agree, signatures.shape[1])
        # containment from Jaccard and the sizes: |A n B| = J (|A| + |B|) / (1 + J)
        smaller = np.maximum(np.minimum(size[a], size[b]), 1)
        contained = estimate * (size[a] + size[b]) / ((1 + estimate) * smaller)
        keep &= (estimate >= threshold) | (contained >= CONTAINMENT_THRESHOLD)
        kept.append(pairs[keep])
    return np.concatenate(kept)


class StoredTexts:
    """Section texts, index terms and term places read once each, for verifying candidates and
    showing what two units share."""

    def __init__(self, db: sqlite_utils.Database, known: dict[str, np.ndarray] | None = None) -> None:
        self.db = db
        self.known = known or {}  # unit -> shingle hashes already computed, one per position
        self.cache: dict[int, tuple[str, str, np.ndarray, np.ndarray]] = {}

    def read(self, section_ids: Iterable[int]) -> None:
        """Read many sections in one query (those not read yet)."""
        wanted = sorted({i for i in section_ids if i not in self.cache})
        for section_id, text, body, blob in self.db.execute(
            "select s.id, s.text, f.body, t.spans from sections s join sections_fts f on f.rowid = s.id "
            "left join term_spans t on t.section_id = s.id "
            "where s.id in (select value from json_each(?))", [json.dumps(wanted)]
        ):
            # word places as 32-bit numbers: all matched sections' places are kept at once
            # (30 million words on the 100,000-section benchmark: 480 MB as 64-bit)
            starts, ends = span_bounds(blob)
            self.cache[section_id] = (text, body or "", starts.astype(np.int32), ends.astype(np.int32))

    def section(self, section_id: int) -> tuple[str, str, np.ndarray, np.ndarray]:
        if section_id not in self.cache:
            self.read([section_id])
        return self.cache.get(section_id) or ("", "", *span_bounds(None))

    def word_places(self, units: Sequence[StoredUnit]) -> tuple[np.ndarray, ...]:
        """Where the words of many units start and end in their sections' texts, for all at
        once: ``starts`` and ``ends`` of every word of every section involved, end to end, and
        for each unit the index of its first word there and its number of words."""
        sections = sorted({u.section_id for u in units})
        self.read(sections)
        number = {section_id: n for n, section_id in enumerate(sections)}
        spans = [self.section(section_id)[2:] for section_id in sections]
        sizes = np.array([len(s[0]) for s in spans], dtype=np.int64)
        offsets = np.r_[0, np.cumsum(sizes)]
        starts = np.concatenate([s[0] for s in spans]) if spans else np.zeros(0, np.int64)
        ends = np.concatenate([s[1] for s in spans]) if spans else np.zeros(0, np.int64)
        # a paragraph's words: its bounds looked up among its section's word starts (each
        # start tagged with its section's number, so one sorted array serves all sections)
        owner = np.repeat(np.arange(len(sections), dtype=np.uint64), sizes)
        tagged = (owner << np.uint64(32)) | starts.astype(np.uint64)
        unit_section = np.array([number[u.section_id] for u in units], dtype=np.int64)
        whole = np.array([u.paragraph is None for u in units], dtype=bool)
        bounds = np.array([(u.start, u.end) for u in units], dtype=np.uint64).reshape(-1, 2)
        tags = unit_section.astype(np.uint64) << np.uint64(32)
        first = np.searchsorted(tagged, tags | bounds[:, 0])
        last = np.searchsorted(tagged, tags | bounds[:, 1])
        first = np.where(whole, offsets[unit_section], first)
        last = np.where(whole, offsets[unit_section + 1], last)
        return starts, ends, first, last - first

    def terms(self, unit: StoredUnit) -> list[str]:
        """A unit's index terms."""
        _, body, starts, _ = self.section(unit.section_id)
        terms = body.split()
        if unit.paragraph is None:
            return terms
        if len(starts) != len(terms):
            return []
        first, last = np.searchsorted(starts, [unit.start, unit.end])
        return terms[first:last]

    def texts(self, units: Iterable[StoredUnit]) -> dict[str, str]:
        """Many units' texts by key, their sections read in one query."""
        units = list(units)
        self.read(u.section_id for u in units)
        return {u.key: self.section(u.section_id)[0][u.start : u.end].strip() for u in units}

    def positions(self, units: Sequence[StoredUnit]) -> list[np.ndarray]:
        """Each unit's shingle hashes, one per position (as signed; from the index terms for a
        unit not signed in this build, their sections read in one query)."""
        self.read(u.section_id for u in units if u.key not in self.known)
        return [self.known[u.key] if u.key in self.known
                else hashes_of_ids(term_ids(self.terms(u)), SHINGLE_SIZE, unique=False)
                for u in units]

    def shingles(self, unit: StoredUnit) -> set[int]:
        """A unit's distinct shingle hashes."""
        return set(self.positions([unit])[0].tolist())


def _write(db: sqlite_utils.Database, units: "_UnitTable", matches: list[_Match],
           min_articles: int, changed_articles: set[str]) -> None:
    """Add the new matches and group what changed into clusters (kb/duplicates/clustering.py)."""
    article, paragraph = units.articles, units.paragraphs
    section = units.sections.tolist()
    rows = [(m.kind, m.similarity, m.containment, article[m.a], section[m.a], paragraph[m.a],
             article[m.b], section[m.b], paragraph[m.b], m.shared[:2000]) for m in matches]
    duplicate_clusters.add_matches(db, rows, changed_articles, min_articles)


# --- reading the results ------------------------------------------------------------------------


def list_duplicates(db: sqlite_utils.Database, *, min_similarity: float = 0.0,
                    article_id: str | None = None, kind: str | None = None) -> list[dict]:
    """Matches, most similar first, in the DESIGN contract's shape; text found in many places is
    one entry (its closest match's two places as ``a`` and ``b``, all of them in ``places``).
    The filters are SQL (an index holds hundreds of thousands of matches), and the sides are
    read in one query."""
    conn = db.conn
    params = {"article": article_id, "kind": kind, "min": min_similarity}
    pair_where, group_where = match_filters(article_id, kind, min_similarity)
    columns = ("d.kind, d.similarity, d.containment, d.a_article_id, d.a_section_id, "
               "d.a_paragraph, d.b_article_id, d.b_section_id, d.b_paragraph, d.shared, d.id")
    rows = conn.execute(
        f"select {columns} from duplicates d left join duplicate_clusters c "
        f"on c.id = d.cluster_id where {' and '.join(pair_where)}", params).fetchall()
    groups = {r[0]: r[1:] for r in conn.execute(
        f"select c.id, c.kind, c.similarity from duplicate_clusters c "
        f"where {' and '.join(group_where)}", params)}
    chosen = json.dumps(sorted(groups))
    # each group's closest match stands for it (its two places and what they share)
    firsts = conn.execute(
        f"""select * from (select {columns}, d.cluster_id, row_number() over (partition by
              d.cluster_id order by d.similarity desc, d.containment desc, d.id) as n
            from duplicates d where d.cluster_id in (select value from json_each(?)))
            where n = 1""", [chosen]).fetchall()
    places: dict[int, list[tuple]] = {}
    for cluster_id, *place in conn.execute(
        "select cluster_id, article_id, section_id, paragraph from duplicate_places "
        "where cluster_id in (select value from json_each(?)) order by rowid", [chosen]
    ):
        places.setdefault(cluster_id, []).append(tuple(place))
    entries = [(row, None) for row in rows] + [(row[:11], row[11]) for row in firsts]
    entries.sort(key=lambda e: (-e[0][1], -e[0][2], e[0][10]))
    wanted = [p for row, _ in entries for p in (tuple(row[3:6]), tuple(row[6:9]))]
    wanted += [p for group in places.values() for p in group]
    side = duplicate_sides(conn, wanted)
    out = []
    for row, cluster_id in entries:
        entry = {"kind": row[0] if cluster_id is None else groups[cluster_id][0],
                 "similarity": row[1] if cluster_id is None else groups[cluster_id][1],
                 "containment": row[2], "a": side[tuple(row[3:6])], "b": side[tuple(row[6:9])],
                 "shared": row[9]}
        if cluster_id is not None:
            entry["places"] = [side[p] for p in places.get(cluster_id, [])]
        out.append(entry)
    return out


def match_filters(article_id: str | None, kind: str | None, min_similarity: float = 0.0
                  ) -> tuple[list[str], list[str]]:
    """SQL conditions for listing duplicates: on pairs (``duplicates d`` left-joined with its
    ``duplicate_clusters c``: a loose match, in no cluster, or a cluster of two places that is
    not boilerplate) and on groups (``duplicate_clusters c`` in many places, or boilerplate),
    with the parameters ``:article``, ``:kind`` and ``:min``."""
    many = "(c.kind = 'boilerplate' or c.places > 2)"
    pair_where = [f"(c.id is null or not {many})"]
    group_where = [many]
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
    return pair_where, group_where


def duplicate_sides(conn, places: list[tuple[str, int, int | None]],
                    texts: bool = True) -> dict[tuple[str, int, int | None], dict[str, Any]]:
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
        "select unit, start, end from dup_signatures where unit in (select value from json_each(?))",
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


def _side(db: sqlite_utils.Database, article_id: str, section_id: int, paragraph: int | None) -> dict:
    return duplicate_sides(db.conn, [(article_id, section_id, paragraph)])[(article_id, section_id, paragraph)]


def unit_shingles(db: sqlite_utils.Database, section_id: int, paragraph: int | None = None,
                  texts: StoredTexts | None = None) -> set[int]:
    """The shingle hashes of a stored unit (a section, or one of its paragraphs): what
    similarity is measured on. Empty for a unit that is not stored."""
    found = load_units(db, unit_key(section_id, paragraph))
    return (texts or StoredTexts(db)).shingles(found[0]) if found else set()


def unit_overlap(db: sqlite_utils.Database, a: tuple[int, int | None],
                 b: tuple[int, int | None]) -> tuple[float, float]:
    """Jaccard similarity and containment of two stored units, each given as (section id,
    paragraph or None), computed exactly from their words."""
    texts = StoredTexts(db)
    return overlap(unit_shingles(db, *a, texts=texts), unit_shingles(db, *b, texts=texts))


def check_draft(db: sqlite_utils.Database, units: Sequence, threshold: float = NEAR_THRESHOLD) -> list[dict]:
    """Which published sections and paragraphs the units of a draft (kb.duplicates.units.Unit) repeat,
    how much and where; most similar first."""
    stored = load_units(db)
    draft_hashes = [shingle_hashes(u.terms, SHINGLE_SIZE) for u in units]
    draft_sets = [set(h.tolist()) for h in draft_hashes]
    draft_signatures = [_HASHER.signature(h).astype(np.uint32) for h in draft_hashes]
    hashes = {text_hash(u.text): i for i, u in enumerate(units)}
    bands, rows = lsh_bands(threshold, _HASHER.permutations)
    # a draft unit too short to compare can only be an exact copy (found by its text below)
    comparable = [i for i, h in enumerate(draft_sets) if len(h) >= MIN_SHINGLES]
    # one row a signature, also when there are none (a stub draft: one word, no body)
    queries = np.asarray([draft_signatures[i] for i in comparable], dtype=np.uint32)
    found = lsh_query(queries.reshape(len(comparable), _HASHER.permutations),
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
            found.append({
                "kind": "exact" if exact else "near", "similarity": round(jaccard, 4),
                "containment": round(containment, 4),
                "draft": {"heading": units[d].heading, "text": units[d].text,
                          "paragraph": units[d].paragraph},
                "published": _side(db, stored[s].article_id, stored[s].section_id, stored[s].paragraph),
            })
    return sorted(found, key=lambda f: (-f["similarity"], -f["containment"]))
