"""The matching engine: finds the copies among the stored units and writes them to the index.

A build calls :func:`update_duplicates` once its articles are written. Each section and each of
its paragraphs is a unit, signed once (kb/duplicates/signing.py: a MinHash signature and a
normalized-text hash in ``dup_signatures``, made only for new or changed articles). Candidates
that involve a new unit are found over all signatures with LSH, screened by their signatures'
agreement and verified on the exact shingle sets; matches between unchanged articles are kept.
The new matches then join the ``duplicates`` table, and only the clusters they touch are
grouped again (kb/duplicates/clustering.py). Sections that are boilerplate get
``sections.boilerplate = 1`` (search ranks them below content). Reading the results is
kb/duplicates/report.py's job.
"""

from __future__ import annotations

import gc
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import sqlite_utils

from . import clustering as duplicate_clusters
from .arrays import sorted_unique
from .minhash import lsh_pairs
from .shingle_sets import ShingleSets
from .signing import sign_new_units
from .stored import StoredTexts, StoredUnit, UnitTable, load_units
from .units import (
    BOILERPLATE_ARTICLES, CONTAINMENT_THRESHOLD, GROUP_SIMILARITY, HASHER, MIN_SHINGLES,
    NEAR_THRESHOLD, SHINGLE_SIZE, groups_places, is_copy, lsh_bands,
)
from ..unionfind import UnionFind


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


def update_duplicates(db: sqlite_utils.Database, threshold: float = NEAR_THRESHOLD,
                      min_articles: int = BOILERPLATE_ARTICLES,
                      signed: dict[str, np.ndarray] | None = None,
                      written: set[str] = frozenset()) -> int:
    """Sign new units, find and verify matches among all, rewrite the result tables; returns
    the number of matches. ``signed``: units whose signatures the build already stored (made in
    its analysis workers, see :func:`kb.duplicates.signing.sign_sections`), with their shingle
    hashes; ``written``: the articles the build wrote anew."""
    with _collector_paused():
        fresh = sign_new_units(db)
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


def _matches(db: sqlite_utils.Database, units: UnitTable, threshold: float,
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
    bands, rows = lsh_bands(threshold, HASHER.permutations)
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


def _stored_links(db: sqlite_utils.Database, units: UnitTable
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


def _worth_verifying(units: UnitTable, fresh: set[int],
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


def _write(db: sqlite_utils.Database, units: UnitTable, matches: list[_Match],
           min_articles: int, changed_articles: set[str]) -> None:
    """Add the new matches and group what changed into clusters (kb/duplicates/clustering.py)."""
    article, paragraph = units.articles, units.paragraphs
    section = units.sections.tolist()
    rows = [(m.kind, m.similarity, m.containment, article[m.a], section[m.a], paragraph[m.a],
             article[m.b], section[m.b], paragraph[m.b], m.shared[:2000]) for m in matches]
    duplicate_clusters.add_matches(db, rows, changed_articles, min_articles)
