"""The stored units as matching and the draft check read them: every unit's signature and
place in columns (:class:`UnitTable`), and the texts, index terms and word places of their
sections read once each (:class:`StoredTexts`)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import sqlite_utils

from ..analysis import span_bounds
from .clustering import unit_key
from .minhash import hashes_of_ids, term_ids
from .units import HASHER, SHINGLE_SIZE


@dataclass
class StoredUnit:
    """One stored unit: its key (:func:`kb.duplicates.clustering.unit_key`), place, text hash,
    signature and number of distinct shingles."""

    key: str
    article_id: str
    section_id: int
    paragraph: int | None
    start: int
    end: int
    text_hash: str
    signature: np.ndarray
    shingle_count: int


def load_units(db: sqlite_utils.Database, key: str | None = None) -> "UnitTable":
    """Every stored unit, in key order (or the one named ``key``)."""
    rows = db.execute(
        "select unit, article_id, section_id, paragraph, start, end, text_hash, shingles, "
        "signature from dup_signatures " + ("where unit = ?" if key else "order by unit"),
        [key] if key else [],
    ).fetchall()
    return UnitTable(rows)


class UnitTable(Sequence[StoredUnit]):
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
                           if rows else np.zeros((0, HASHER.permutations), dtype=np.uint32))
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
        """A section's text, index terms, and where each term starts and ends (empty for a
        section that is not stored)."""
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


def unit_shingles(db: sqlite_utils.Database, section_id: int, paragraph: int | None = None,
                  texts: StoredTexts | None = None) -> set[int]:
    """The shingle hashes of a stored unit (a section, or one of its paragraphs): what
    similarity is measured on (bench/duplicates.py checks what matched units share). Empty for
    a unit that is not stored."""
    found = load_units(db, unit_key(section_id, paragraph))
    return (texts or StoredTexts(db)).shingles(found[0]) if found else set()
