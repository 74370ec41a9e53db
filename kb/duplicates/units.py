"""Duplicate and boilerplate content: copies and light rewrites across and within articles.

Units are sections and their paragraphs. Three kinds are found:

- ``exact``: the same text once width, punctuation and white space are normalized;
- ``near``: a light rewrite (sentences reordered, one dropped or added, words swapped, a clinic's
  name changed, kana for kanji). Units are compared on shingles of SudachiPy-normalized words
  (kb/duplicates/minhash.py finds candidates with MinHash and LSH), and every candidate is verified with the
  exact Jaccard similarity and containment of its shingle sets, so reported scores are true;
- ``boilerplate``: a block found in ``min_articles`` or more articles (booking and shop blocks),
  reported once as a cluster with all its places.

Text copied to many places is one cluster, not n² pairs.

This module holds the detection; storing its results with the index and the editors' commands
build on it.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Iterable, Sequence

from ..analysis import get_analyzer
from .minhash import MinHasher, bands_for, lsh_candidates, shingle_hashes
from ..model import Article
from ..unionfind import UnionFind

NEAR_THRESHOLD = 0.5  # Jaccard of shingles: below this two texts are not a light rewrite
CONTAINMENT_THRESHOLD = 0.7  # a shorter text mostly inside a longer one: a partial copy
# LSH aims at pairs this similar (Jaccard): below the threshold, since a partial copy (most of a
# shorter text inside a longer one) is less similar as a whole than it is contained
LSH_SIMILARITY = 0.4
MIN_PARAGRAPH_CHARS = 40  # shorter paragraphs say too little to count as a copy
MIN_SHINGLES = 5
SHINGLE_SIZE = 3
BOILERPLATE_ARTICLES = 3
# A match this close (or exact) puts its two places in one group. Looser matches stay pairs:
# groups are joined along chains of matches, and a chain of loose ones drifts from one text to
# an unrelated one (on a corpus that shares sentences, thousands of sections became one group).
GROUP_SIMILARITY = 0.7

_PUNCTUATION = re.compile(r"[\W_]+", re.UNICODE)
_PARAGRAPH = re.compile(r"\n\s*\n")


@dataclass
class Unit:
    """A section or one of its paragraphs, with what comparing it needs."""

    article_id: str
    position: int  # the section's position in its article
    paragraph: int | None  # None for a whole section
    heading: str
    text: str
    terms: list[str] = field(default_factory=list)

    @property
    def kind(self) -> str:
        return "section" if self.paragraph is None else "paragraph"

    def contains(self, other: "Unit") -> bool:
        """A section holds its own paragraphs (they are not copies of it)."""
        return (self.article_id == other.article_id and self.position == other.position
                and self.paragraph is None and other.paragraph is not None)


@dataclass
class Match:
    """Two units that share text, how much, and which text."""

    kind: str  # exact, near
    similarity: float  # Jaccard of shingles (1.0 for exact)
    containment: float  # share of the smaller unit's shingles found in the other
    a: Unit
    b: Unit
    shared: str


@dataclass
class Cluster:
    """Text found in several places: its members, and whether it is boilerplate."""

    kind: str  # exact, near, boilerplate
    members: list[Unit]
    similarity: float

    @property
    def articles(self) -> set[str]:
        return {m.article_id for m in self.members}


def normalized(text: str) -> str:
    """Text for exact comparison: width folded, lower case, no punctuation or white space."""
    return _PUNCTUATION.sub("", unicodedata.normalize("NFKC", text).lower())


def text_hash(text: str) -> str:
    """A short hash of a text's normalized form: exact copies share it."""
    return hashlib.blake2b(normalized(text).encode(), digest_size=12).hexdigest()


def overlap(a: set, b: set) -> tuple[float, float]:
    """Jaccard similarity of two shingle sets, and containment (the share of the smaller one
    found in the other)."""
    common = len(a & b)
    if not common:
        return 0.0, 0.0
    return common / len(a | b), common / min(len(a), len(b))


def lsh_bands(threshold: float, permutations: int) -> tuple[int, int]:
    """The LSH bands and rows for finding candidates at ``threshold`` (see ``LSH_SIMILARITY``)."""
    return bands_for(min(threshold, LSH_SIMILARITY), permutations)


def groups_places(kind: str, similarity: float) -> bool:
    """Whether a match joins its two places' groups (see ``GROUP_SIMILARITY``)."""
    return kind == "exact" or similarity >= GROUP_SIMILARITY


def is_copy(jaccard, containment, threshold: float = NEAR_THRESHOLD):
    """A light rewrite (similar enough) or a partial copy (mostly inside the other text); for
    two numbers, or element-wise for two numpy arrays."""
    return (jaccard >= threshold) | (containment >= CONTAINMENT_THRESHOLD)


def units_of(article: Article) -> list[Unit]:
    """An article's sections and paragraphs, with their analyzed words."""
    analyzer = get_analyzer()
    units = []
    for section in article.sections:
        if not section.text.strip():
            continue
        units.append(Unit(article.id, section.position, None, section.heading, section.text,
                          analyzer.terms(section.text, article.lang)))
        paragraphs = [p for p in _PARAGRAPH.split(section.text) if p.strip()]
        if len(paragraphs) > 1:
            for n, paragraph in enumerate(paragraphs):
                if len(paragraph.strip()) >= MIN_PARAGRAPH_CHARS:
                    units.append(Unit(article.id, section.position, n, section.heading,
                                      paragraph.strip(), analyzer.terms(paragraph, article.lang)))
    return units


def find_matches(units: Sequence[Unit], threshold: float = NEAR_THRESHOLD,
                 hasher: MinHasher | None = None) -> list[Match]:
    """Exact and near pairs among units, verified; a section and its own paragraphs are not
    compared, nor units of one article's same section."""
    matches: list[Match] = []
    by_text: dict[str, list[int]] = {}
    for index, unit in enumerate(units):
        key = text_hash(unit.text)
        by_text.setdefault(key, []).append(index)
    exact_pairs = set()
    for members in by_text.values():
        for i, a in enumerate(members):
            for b in members[i + 1 :]:
                if not _related(units[a], units[b]):
                    exact_pairs.add((a, b))
                    matches.append(Match("exact", 1.0, 1.0, units[a], units[b], units[a].text))
    hasher = hasher or MinHasher()
    hashes = [shingle_hashes(u.terms, SHINGLE_SIZE) for u in units]
    sets = [set(h.tolist()) for h in hashes]
    signatures = [hasher.signature(h) for h in hashes]
    bands, rows = lsh_bands(threshold, hasher.permutations)
    for a, b in sorted(lsh_candidates(signatures, bands, rows)):
        if (a, b) in exact_pairs or _related(units[a], units[b]):
            continue
        if len(sets[a]) < MIN_SHINGLES or len(sets[b]) < MIN_SHINGLES:
            continue
        common = sets[a] & sets[b]
        jaccard, containment = overlap(sets[a], sets[b])
        if is_copy(jaccard, containment, threshold):
            matches.append(Match("near", round(jaccard, 4), round(containment, 4), units[a],
                                 units[b], _shared_text(units[a], common)))
    return sorted(matches, key=lambda m: (-m.similarity, -m.containment))


def clusters(matches: Iterable[Match], min_articles: int = BOILERPLATE_ARTICLES) -> list[Cluster]:
    """Units grouped by the matches that join groups (:func:`groups_places`); each looser match
    is a group of its two units. A group in ``min_articles`` articles or more is boilerplate."""
    linked: UnionFind[int] = UnionFind()
    find = linked.find
    links = list(matches)
    grouping = [m for m in links if groups_places(m.kind, m.similarity)]
    for match in grouping:
        linked.union(id(match.a), id(match.b))
    groups: dict[int, dict[int, Unit]] = {}
    kinds: dict[int, set[str]] = {}
    best: dict[int, float] = {}
    for match in grouping:
        root = find(id(match.a))
        groups.setdefault(root, {}).update({id(match.a): match.a, id(match.b): match.b})
        kinds.setdefault(root, set()).add(match.kind)
        best[root] = min(best.get(root, 1.0), match.similarity)
    members = [(list(g.values()), kinds[r], best[r]) for r, g in groups.items()]
    members += [([m.a, m.b], {m.kind}, m.similarity) for m in links
                if not groups_places(m.kind, m.similarity)]
    out = []
    for units, kind_set, similarity in members:
        kind = "exact" if kind_set == {"exact"} else "near"
        cluster = Cluster(kind, sorted(units, key=lambda u: (u.article_id, u.position, u.paragraph or -1)),
                          similarity)
        if len(cluster.articles) >= min_articles:
            cluster.kind = "boilerplate"
        out.append(cluster)
    return sorted(out, key=lambda c: (-len(c.members), -c.similarity))


def _related(a: Unit, b: Unit) -> bool:
    return a.contains(b) or b.contains(a) or (
        a.article_id == b.article_id and a.position == b.position)


def _shared_text(unit: Unit, common: set[int]) -> str:
    """The sentences of a unit that hold the shared shingles (what the other one repeats)."""
    sentences = [s for s in re.split(r"(?<=[。！？!?])", unit.text) if s.strip()]
    analyzer = get_analyzer()
    kept = [s for s in sentences
            if set(shingle_hashes(analyzer.terms(s), SHINGLE_SIZE).tolist()) & common]
    return "".join(kept).strip() or unit.text
