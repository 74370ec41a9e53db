"""Duplicate and boilerplate content: copies and light rewrites across and within articles.

Units are sections and their paragraphs. Three kinds are found:

- ``exact``: the same text once width, punctuation and white space are normalized;
- ``near``: a light rewrite (sentences reordered, one dropped or added, words swapped, a clinic's
  name changed, kana for kanji). Units are compared on shingles of SudachiPy-normalized words
  (kb/duplicates/minhash.py finds candidates with MinHash and LSH), and every candidate is
  verified with the exact Jaccard similarity and containment of its shingle sets, so reported
  scores are true;
- ``boilerplate``: a block found in ``min_articles`` or more articles (booking and shop blocks),
  reported once as a cluster with all its places.

Text copied to many places is one cluster, not n² pairs.

This module holds what a copy is (the settings, the text hash, the overlap measures) and a
draft's units; kb/duplicates/engine.py finds the copies in the index, kb/duplicates/report.py
reads them.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field

from ..analysis import get_analyzer
from .minhash import MinHasher, bands_for
from ..model import Article

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
# The hash functions of every signature: drawn from a fixed seed, so stored signatures, new ones
# and a draft's are comparable.
HASHER = MinHasher()

_PUNCTUATION = re.compile(r"[\W_]+", re.UNICODE)
_PARAGRAPH = re.compile(r"\n\s*\n")


@dataclass
class Unit:
    """A section of a draft or one of its paragraphs, with its analyzed words (a published
    unit is stored instead: kb/duplicates/stored.py)."""

    article_id: str
    position: int  # the section's position in its article
    paragraph: int | None  # None for a whole section
    heading: str
    text: str
    terms: list[str] = field(default_factory=list)


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


def unit_ranges(text: str) -> list[tuple[int | None, int, int]]:
    """A section's units as (paragraph, start, end) in its text: the section (paragraph None)
    and, when it has several paragraphs, each one long enough; none for a blank section."""
    if not text.strip():
        return []
    ranges: list[tuple[int | None, int, int]] = [(None, 0, len(text))]
    pieces, start = [], 0
    for m in _PARAGRAPH.finditer(text):
        pieces.append((start, m.start()))
        start = m.end()
    pieces.append((start, len(text)))
    pieces = [(a, b) for a, b in pieces if text[a:b].strip()]
    if len(pieces) > 1:
        ranges += [(n, a, b) for n, (a, b) in enumerate(pieces)
                   if len(text[a:b].strip()) >= MIN_PARAGRAPH_CHARS]
    return ranges


def units_of(article: Article) -> list[Unit]:
    """An article's sections and paragraphs (:func:`unit_ranges`), with their analyzed words."""
    analyzer = get_analyzer()
    units = []
    for section in article.sections:
        for paragraph, start, end in unit_ranges(section.text):
            piece = section.text[start:end]
            units.append(Unit(article.id, section.position, paragraph, section.heading,
                              piece if paragraph is None else piece.strip(),
                              analyzer.terms(piece, article.lang)))
    return units
