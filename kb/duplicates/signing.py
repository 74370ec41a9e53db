"""Signing units: each section and each of its paragraphs long enough, as a MinHash signature
and a normalized-text hash, kept in ``dup_signatures``.

The words come from the index (the section's terms and where each stands), so nothing is
analyzed again. The build's analysis workers sign the sections they write
(:func:`sign_sections`, :func:`store_signatures`); :func:`sign_new_units` signs whatever has no
signatures yet, many sections to a numpy call and, with many, in a process per core.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import sqlite_utils

from ..analysis import span_bounds
from .clustering import unit_key
from .minhash import hashes_of_ids, signatures_of, term_ids
from .shingle_sets import ShingleSets
from .units import HASHER, SHINGLE_SIZE, text_hash, unit_ranges

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
        ranges = unit_ranges(text)
        if not ranges:
            continue
        terms = (body or "").split()
        ids = term_ids(terms)
        starts = span_bounds(blob)[0]
        whole = hashes_of_ids(ids, SHINGLE_SIZE, unique=False)
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
    return SignedUnits(rows, sets, signatures_of(HASHER, sets))  # numpy signs all at once


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


def sign_new_units(db: sqlite_utils.Database) -> dict[str, np.ndarray]:
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
